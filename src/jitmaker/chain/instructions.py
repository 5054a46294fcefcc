"""Instruction data encoders/decoders and ``Instruction`` builders for what a maker sends.

Covers jit-proxy ``jit`` (``JitParams``), Drift ``place_and_make_perp_order`` /
``place_and_make_spot_order`` (``OrderParams``) and the two ComputeBudget instructions.
Encoding is hand-written ``struct`` packing of the Anchor/Borsh layouts (protocol.md §5.1,
§6.2) — about 1 µs instead of anchorpy's ~80 µs — and is checked byte for byte against
anchorpy's coder in the tests.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from enum import IntEnum
from typing import NamedTuple

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from jitmaker.accounts.enums import (
    MarketType,
    OrderTriggerCondition,
    OrderType,
    PositionDirection,
    PostOnlyParam,
    SpotFulfillmentType,
)
from jitmaker.chain.pdas import COMPUTE_BUDGET_PROGRAM_ID, DRIFT_PROGRAM_ID, JIT_PROXY_PROGRAM_ID
from jitmaker.errors import DecodeError, EncodeError

__all__ = [
    "IX_JIT",
    "IX_PLACE_AND_MAKE_PERP_ORDER",
    "IX_PLACE_AND_MAKE_SPOT_ORDER",
    "MAKER_ORDER_BIT_IOC",
    "DecodedInstruction",
    "JitParams",
    "MakerAccounts",
    "OrderParams",
    "PriceType",
    "anchor_discriminator",
    "decode_instruction_data",
    "decode_jit_data",
    "decode_order_params",
    "decode_place_and_make_data",
    "encode_compute_unit_limit",
    "encode_compute_unit_price",
    "encode_jit_data",
    "encode_jit_params",
    "encode_order_params",
    "encode_place_and_make_perp_data",
    "encode_place_and_make_spot_data",
    "jit_instruction",
    "place_and_make_perp_order_instruction",
    "place_and_make_spot_order_instruction",
    "set_compute_unit_limit_instruction",
    "set_compute_unit_price_instruction",
]


def anchor_discriminator(name: str, namespace: str = "global") -> bytes:
    """First 8 bytes of ``sha256("<namespace>:<name>")`` (Anchor's sighash)."""
    return hashlib.sha256(f"{namespace}:{name}".encode()).digest()[:8]


IX_JIT = anchor_discriminator("jit")
IX_PLACE_AND_MAKE_PERP_ORDER = anchor_discriminator("place_and_make_perp_order")
IX_PLACE_AND_MAKE_SPOT_ORDER = anchor_discriminator("place_and_make_spot_order")
assert IX_JIT.hex() == "632a618c983ea7ea"
assert IX_PLACE_AND_MAKE_PERP_ORDER.hex() == "95750bed2f5f59ed"
assert IX_PLACE_AND_MAKE_SPOT_ORDER.hex() == "959e5542ef09f362"

MAKER_ORDER_BIT_IOC = 1
"""``OrderParams.bit_flags`` bit that place_and_make requires (ImmediateOrCancel)."""


class PriceType(IntEnum):
    """jit-proxy ``PriceType``: how ``bid``/``ask`` are read (absolute, or offsets to oracle)."""

    LIMIT = 0
    ORACLE = 1


class JitParams(NamedTuple):
    """jit-proxy ``JitParams``. ``post_only=None`` is read on chain as MustPostOnly."""

    taker_order_id: int
    max_position: int
    min_position: int
    bid: int
    ask: int
    price_type: PriceType = PriceType.LIMIT
    post_only: PostOnlyParam | None = None


class OrderParams(NamedTuple):
    """Drift ``OrderParams`` (IDL field order). Defaults describe a JIT maker order."""

    order_type: OrderType = OrderType.LIMIT
    market_type: MarketType = MarketType.PERP
    direction: PositionDirection = PositionDirection.LONG
    user_order_id: int = 0
    base_asset_amount: int = 0
    price: int = 0
    market_index: int = 0
    reduce_only: bool = False
    post_only: PostOnlyParam = PostOnlyParam.MUST_POST_ONLY
    bit_flags: int = MAKER_ORDER_BIT_IOC
    max_ts: int | None = None
    trigger_price: int | None = None
    trigger_condition: OrderTriggerCondition = OrderTriggerCondition.ABOVE
    oracle_price_offset: int | None = None
    auction_duration: int | None = None
    auction_start_price: int | None = None
    auction_end_price: int | None = None


class MakerAccounts(NamedTuple):
    """The fixed accounts shared by ``jit`` and ``place_and_make_*`` (in IDL order)."""

    state: Pubkey
    user: Pubkey
    user_stats: Pubkey
    taker: Pubkey
    taker_stats: Pubkey
    authority: Pubkey


# ---------------------------------------------------------------------------------------------
# encoders

_JIT_HEAD = struct.Struct("<8sIqqqqB")  # discriminator + JitParams up to price_type
_OP_HEAD = struct.Struct("<BBBBQQH?BB")  # OrderParams fixed prefix (25 bytes)
_NONE = b"\x00"
_I64 = struct.Struct("<q")
_U64 = struct.Struct("<Q")
_I32 = struct.Struct("<i")
_U32 = struct.Struct("<I")
_PRICE_TYPES = (0, 1)
_ENUM_LIMITS = (
    ("order_type", len(OrderType)),
    ("market_type", len(MarketType)),
    ("direction", len(PositionDirection)),
    ("post_only", len(PostOnlyParam)),
    ("trigger_condition", len(OrderTriggerCondition)),
)
_POST_ONLY_SOME = {v: bytes((1, v)) for v in range(4)}


def encode_jit_params(params: JitParams) -> bytes:
    """Borsh ``JitParams`` (38 or 39 bytes), without the discriminator."""
    return encode_jit_data(params)[8:]


def encode_jit_data(params: JitParams) -> bytes:
    """Full ``jit`` instruction data: discriminator + ``JitParams`` (46 or 47 bytes)."""
    taker_order_id, max_pos, min_pos, bid, ask, price_type, post_only = params
    if price_type not in _PRICE_TYPES:
        raise EncodeError(f"invalid JitParams.price_type {price_type!r}")
    try:
        head = _JIT_HEAD.pack(IX_JIT, taker_order_id, max_pos, min_pos, bid, ask, price_type)
        if post_only is None:
            return head + _NONE
        return head + _POST_ONLY_SOME[post_only]
    except (struct.error, KeyError, TypeError) as exc:
        raise EncodeError(f"invalid JitParams {params!r}: {exc}") from None


def _opt(layout: struct.Struct, value: int | None) -> bytes:
    if value is None:
        return _NONE
    return b"\x01" + layout.pack(value)


def encode_order_params(params: OrderParams) -> bytes:
    """Borsh ``OrderParams`` (32 bytes when every option is None)."""
    p = params
    try:
        for name, limit in _ENUM_LIMITS:
            if not 0 <= getattr(p, name) < limit:
                raise ValueError(f"{name} out of range")
        return b"".join(
            (
                _OP_HEAD.pack(
                    p.order_type,
                    p.market_type,
                    p.direction,
                    p.user_order_id,
                    p.base_asset_amount,
                    p.price,
                    p.market_index,
                    p.reduce_only,
                    p.post_only,
                    p.bit_flags,
                ),
                _opt(_I64, p.max_ts),
                _opt(_U64, p.trigger_price),
                bytes((p.trigger_condition,)),
                _opt(_I32, p.oracle_price_offset),
                b"\x00" if p.auction_duration is None else bytes((1, p.auction_duration)),
                _opt(_I64, p.auction_start_price),
                _opt(_I64, p.auction_end_price),
            )
        )
    except (struct.error, ValueError, TypeError) as exc:
        raise EncodeError(f"invalid OrderParams {params!r}: {exc}") from None


def _u32(value: int, what: str) -> bytes:
    try:
        return _U32.pack(value)
    except struct.error as exc:
        raise EncodeError(f"invalid {what} {value!r}: {exc}") from None


def encode_place_and_make_perp_data(params: OrderParams, taker_order_id: int) -> bytes:
    """``place_and_make_perp_order(params, taker_order_id)`` instruction data."""
    return b"".join(
        (
            IX_PLACE_AND_MAKE_PERP_ORDER,
            encode_order_params(params),
            _u32(taker_order_id, "taker_order_id"),
        )
    )


def encode_place_and_make_spot_data(
    params: OrderParams,
    taker_order_id: int,
    fulfillment_type: SpotFulfillmentType | None = None,
) -> bytes:
    """``place_and_make_spot_order(params, taker_order_id, fulfillment_type)`` data."""
    if fulfillment_type is None:
        tail = _NONE
    elif 0 <= fulfillment_type <= 3:
        tail = bytes((1, fulfillment_type))
    else:
        raise EncodeError(f"invalid fulfillment_type {fulfillment_type!r}")
    return b"".join(
        (
            IX_PLACE_AND_MAKE_SPOT_ORDER,
            encode_order_params(params),
            _u32(taker_order_id, "taker_order_id"),
            tail,
        )
    )


def encode_compute_unit_limit(units: int) -> bytes:
    """ComputeBudget ``SetComputeUnitLimit``: byte 2 + u32."""
    return b"\x02" + _u32(units, "compute unit limit")


def encode_compute_unit_price(micro_lamports: int) -> bytes:
    """ComputeBudget ``SetComputeUnitPrice``: byte 3 + u64 micro-lamports per CU."""
    try:
        return b"\x03" + _U64.pack(micro_lamports)
    except struct.error as exc:
        raise EncodeError(f"invalid compute unit price {micro_lamports!r}: {exc}") from None


# ---------------------------------------------------------------------------------------------
# Instruction builders (solders objects; for tests, logging and non-hot paths)


def _maker_metas(accounts: MakerAccounts) -> list[AccountMeta]:
    return [
        AccountMeta(accounts.state, is_signer=False, is_writable=False),
        AccountMeta(accounts.user, is_signer=False, is_writable=True),
        AccountMeta(accounts.user_stats, is_signer=False, is_writable=True),
        AccountMeta(accounts.taker, is_signer=False, is_writable=True),
        AccountMeta(accounts.taker_stats, is_signer=False, is_writable=True),
        AccountMeta(accounts.authority, is_signer=True, is_writable=False),
    ]


def jit_instruction(
    accounts: MakerAccounts,
    params: JitParams,
    remaining_accounts: Sequence[AccountMeta] = (),
    *,
    drift_program_id: Pubkey = DRIFT_PROGRAM_ID,
    program_id: Pubkey = JIT_PROXY_PROGRAM_ID,
) -> Instruction:
    """jit-proxy ``jit``: the 6 maker accounts, ``drift_program``, then remaining accounts."""
    metas = _maker_metas(accounts)
    metas.append(AccountMeta(drift_program_id, is_signer=False, is_writable=False))
    metas.extend(remaining_accounts)
    return Instruction(program_id, encode_jit_data(params), metas)


def place_and_make_perp_order_instruction(
    accounts: MakerAccounts,
    params: OrderParams,
    taker_order_id: int,
    remaining_accounts: Sequence[AccountMeta] = (),
    *,
    program_id: Pubkey = DRIFT_PROGRAM_ID,
) -> Instruction:
    """Drift ``place_and_make_perp_order``."""
    metas = _maker_metas(accounts)
    metas.extend(remaining_accounts)
    return Instruction(program_id, encode_place_and_make_perp_data(params, taker_order_id), metas)


def place_and_make_spot_order_instruction(
    accounts: MakerAccounts,
    params: OrderParams,
    taker_order_id: int,
    remaining_accounts: Sequence[AccountMeta] = (),
    *,
    fulfillment_type: SpotFulfillmentType | None = None,
    program_id: Pubkey = DRIFT_PROGRAM_ID,
) -> Instruction:
    """Drift ``place_and_make_spot_order`` (``fulfillment_type`` None is read as Match)."""
    metas = _maker_metas(accounts)
    metas.extend(remaining_accounts)
    data = encode_place_and_make_spot_data(params, taker_order_id, fulfillment_type)
    return Instruction(program_id, data, metas)


def set_compute_unit_limit_instruction(units: int) -> Instruction:
    return Instruction(COMPUTE_BUDGET_PROGRAM_ID, encode_compute_unit_limit(units), [])


def set_compute_unit_price_instruction(micro_lamports: int) -> Instruction:
    return Instruction(COMPUTE_BUDGET_PROGRAM_ID, encode_compute_unit_price(micro_lamports), [])


# ---------------------------------------------------------------------------------------------
# decoders (logging, tests, the simulator)


class DecodedInstruction(NamedTuple):
    """``name`` is the snake_case instruction name; ``args`` maps argument name -> value."""

    name: str
    args: dict[str, object]


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def take(self, layout: struct.Struct) -> int:
        try:
            (value,) = layout.unpack_from(self.data, self.pos)
        except struct.error:
            raise DecodeError(f"instruction data too short at byte {self.pos}") from None
        self.pos += layout.size
        return value

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise DecodeError(f"instruction data too short at byte {self.pos}")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def option(self, layout: struct.Struct) -> int | None:
        tag = self.byte()
        if tag == 0:
            return None
        if tag != 1:
            raise DecodeError(f"invalid Option tag {tag} at byte {self.pos - 1}")
        return self.take(layout)

    def enum(self, enum: type[IntEnum]) -> IntEnum:
        value = self.byte()
        try:
            return enum(value)
        except ValueError:
            raise DecodeError(f"invalid {enum.__name__} variant {value}") from None

    def end(self) -> None:
        if self.pos != len(self.data):
            raise DecodeError(f"{len(self.data) - self.pos} trailing bytes in instruction data")


_U8 = struct.Struct("<B")
_U16 = struct.Struct("<H")


def _read_order_params(r: _Reader) -> OrderParams:
    order_type = r.enum(OrderType)
    market_type = r.enum(MarketType)
    direction = r.enum(PositionDirection)
    user_order_id = r.byte()
    base = r.take(_U64)
    price = r.take(_U64)
    market_index = r.take(_U16)
    reduce_only = r.byte()
    if reduce_only > 1:
        raise DecodeError(f"invalid bool {reduce_only}")
    post_only = r.enum(PostOnlyParam)
    bit_flags = r.byte()
    max_ts = r.option(_I64)
    trigger_price = r.option(_U64)
    trigger_condition = r.enum(OrderTriggerCondition)
    oracle_price_offset = r.option(_I32)
    auction_duration = r.option(_U8)
    auction_start = r.option(_I64)
    auction_end = r.option(_I64)
    return OrderParams(
        order_type,
        market_type,
        direction,
        user_order_id,
        base,
        price,
        market_index,
        bool(reduce_only),
        post_only,
        bit_flags,
        max_ts,
        trigger_price,
        trigger_condition,
        oracle_price_offset,
        auction_duration,
        auction_start,
        auction_end,
    )


def decode_order_params(data: bytes) -> OrderParams:
    """Inverse of ``encode_order_params`` (the whole buffer must be consumed)."""
    r = _Reader(data)
    params = _read_order_params(r)
    r.end()
    return params


def decode_jit_data(data: bytes) -> JitParams:
    """Inverse of ``encode_jit_data`` (checks the discriminator)."""
    if data[:8] != IX_JIT:
        raise DecodeError("not a jit-proxy jit instruction")
    r = _Reader(data, 8)
    taker_order_id = r.take(_U32)
    max_pos = r.take(_I64)
    min_pos = r.take(_I64)
    bid = r.take(_I64)
    ask = r.take(_I64)
    price_type = r.enum(PriceType)
    tag = r.byte()
    if tag == 0:
        post_only = None
    elif tag == 1:
        post_only = r.enum(PostOnlyParam)
    else:
        raise DecodeError(f"invalid Option tag {tag}")
    r.end()
    return JitParams(taker_order_id, max_pos, min_pos, bid, ask, price_type, post_only)


def decode_place_and_make_data(
    data: bytes,
) -> tuple[OrderParams, int, SpotFulfillmentType | None]:
    """``(params, taker_order_id, fulfillment_type)``; fulfillment_type is None for perp."""
    disc = data[:8]
    if disc not in (IX_PLACE_AND_MAKE_PERP_ORDER, IX_PLACE_AND_MAKE_SPOT_ORDER):
        raise DecodeError("not a place_and_make_perp/spot_order instruction")
    r = _Reader(data, 8)
    params = _read_order_params(r)
    taker_order_id = r.take(_U32)
    fulfillment = None
    if disc == IX_PLACE_AND_MAKE_SPOT_ORDER:
        tag = r.byte()
        if tag == 1:
            fulfillment = r.enum(SpotFulfillmentType)
        elif tag != 0:
            raise DecodeError(f"invalid Option tag {tag}")
    r.end()
    return params, taker_order_id, fulfillment


def decode_instruction_data(program_id: Pubkey, data: bytes) -> DecodedInstruction:
    """Decode data of any instruction this module builds, given the invoked program id.

    Program ids are matched by role: ComputeBudget exactly; otherwise by discriminator, so
    forks with other program ids decode too.
    """
    if program_id == COMPUTE_BUDGET_PROGRAM_ID:
        r = _Reader(data)
        kind = r.byte()
        if kind == 2:
            units = r.take(_U32)
            r.end()
            return DecodedInstruction("set_compute_unit_limit", {"units": units})
        if kind == 3:
            price = r.take(_U64)
            r.end()
            return DecodedInstruction("set_compute_unit_price", {"micro_lamports": price})
        raise DecodeError(f"unsupported ComputeBudget instruction {kind}")
    disc = data[:8]
    if disc == IX_JIT:
        return DecodedInstruction("jit", {"params": decode_jit_data(data)})
    if disc == IX_PLACE_AND_MAKE_PERP_ORDER:
        params, taker_order_id, _ = decode_place_and_make_data(data)
        return DecodedInstruction(
            "place_and_make_perp_order", {"params": params, "taker_order_id": taker_order_id}
        )
    if disc == IX_PLACE_AND_MAKE_SPOT_ORDER:
        params, taker_order_id, fulfillment = decode_place_and_make_data(data)
        return DecodedInstruction(
            "place_and_make_spot_order",
            {"params": params, "taker_order_id": taker_order_id, "fulfillment_type": fulfillment},
        )
    raise DecodeError(f"unknown instruction discriminator {disc.hex()}")
