"""The Drift User account (4376 bytes): fast decode, exact encode, convenient construction.

``decode_user`` validates length, discriminator and every enum byte, then builds the record
with a handful of C-level calls: one record unpack each for the used spot positions, perp
positions and order slots (``_getter.record_codec``: the C accelerator where built, else
``struct.iter_unpack``), one ``unpack_from`` for the trailing scalars. All 32
order slots are returned in account order (driftpy's decoder drops non-open ones).

``User.authority`` / ``User.delegate`` are solders ``Pubkey`` objects built on each access
(about 0.1 µs via ``Pubkey.from_bytes``); the raw 32 bytes are ``authority_bytes`` /
``delegate_bytes`` and are what hot paths should key on.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from itertools import chain
from typing import Any

from jitmaker.accounts._getter import record_codec
from jitmaker.accounts._layout import Record, record
from jitmaker.accounts.discriminators import USER_DISCRIMINATOR
from jitmaker.accounts.enums import MarginMode, OrderStatus, UserStatus
from jitmaker.accounts.order import (
    EMPTY_ORDER,
    I_AUCTION_DURATION,
    I_ORDER_ID,
    I_STATUS,
    ORDER_SIZE,
    ORDER_STRUCT,
    Order,
)
from jitmaker.accounts.positions import (
    PERP_POSITION_STRUCT,
    SPOT_POSITION_STRUCT,
    PerpPosition,
    SpotPosition,
)
from jitmaker.errors import DecodeError, EncodeError

__all__ = [
    "MAX_ORDERS",
    "MAX_PERP_POSITIONS",
    "MAX_SPOT_POSITIONS",
    "USER_SIZE",
    "User",
    "decode_user",
    "encode_user",
]

USER_SIZE = 4376
MAX_ORDERS = 32
MAX_PERP_POSITIONS = 8
MAX_SPOT_POSITIONS = 8

# byte offsets (protocol.md §2.1)
_SPOTS_AT = 104
_PERPS_AT = 424
_ORDERS_AT = 1192
_TAIL_AT = 4264
_HEAD = struct.Struct("<32s32s32s")
_TAIL = struct.Struct("<q3Q3q2Q2I2HB2?B?B?2B3sI12s")
assert _TAIL_AT + _TAIL.size == USER_SIZE
_USER_STRUCT = struct.Struct(
    "<8s32s32s32s"
    + SPOT_POSITION_STRUCT.format.lstrip("<") * MAX_SPOT_POSITIONS
    + PERP_POSITION_STRUCT.format.lstrip("<") * MAX_PERP_POSITIONS
    + ORDER_STRUCT.format.lstrip("<") * MAX_ORDERS
    + _TAIL.format.lstrip("<")
)
assert _USER_STRUCT.size == USER_SIZE

# enum bytes checked with one strided slice per field: (first offset, stride, end, variants, name)
_ENUM_CHECKS = tuple(
    (start, stride, end, bytes(range(n)), n, name)
    for start, stride, end, n, name in (
        (_ORDERS_AT + 82, ORDER_SIZE, _TAIL_AT, 4, "orders[{}].status"),
        (_ORDERS_AT + 83, ORDER_SIZE, _TAIL_AT, 5, "orders[{}].order_type"),
        (_ORDERS_AT + 84, ORDER_SIZE, _TAIL_AT, 2, "orders[{}].market_type"),
        (_ORDERS_AT + 86, ORDER_SIZE, _TAIL_AT, 2, "orders[{}].existing_position_direction"),
        (_ORDERS_AT + 87, ORDER_SIZE, _TAIL_AT, 2, "orders[{}].direction"),
        (_ORDERS_AT + 91, ORDER_SIZE, _TAIL_AT, 4, "orders[{}].trigger_condition"),
        (_SPOTS_AT + 34, 40, _PERPS_AT, 2, "spot_positions[{}].balance_type"),
        (4355, 1, 4356, 3, "margin_mode"),
    )
)
(_C0, _C1, _C2, _C3, _C4, _C5, _C6, _) = _ENUM_CHECKS

_new = tuple.__new__
_EMPTY_PERP = PerpPosition.new()
_EMPTY_SPOT = SpotPosition.new()


class _UserMixin:
    __slots__ = ()

    # ---- counters and helpers ----
    def open_orders_list(self) -> list[Order]:
        """The orders whose status is Open, in slot order."""
        return [o for o in self[5] if o[I_STATUS] == 1]  # type: ignore[index]

    def order_by_id(self, order_id: int) -> Order | None:
        """The open-or-not order slot holding ``order_id`` (None if absent)."""
        for o in self[5]:  # type: ignore[index]
            if o[I_ORDER_ID] == order_id and o[I_STATUS] != 0:
                return o
        return None

    def perp_position(self, market_index: int) -> PerpPosition | None:
        """The in-use perp position of ``market_index`` (None if the user has none)."""
        for p in self[4]:  # type: ignore[index]
            if p[13] == market_index and not p.is_available:
                return p
        return None

    def spot_position(self, market_index: int) -> SpotPosition | None:
        """The in-use spot position of ``market_index`` (None if the user has none)."""
        for p in self[3]:  # type: ignore[index]
            if p[4] == market_index and not p.is_available:
                return p
        return None

    @property
    def status_flags(self) -> UserStatus:
        """``status`` as a ``UserStatus`` flag set (being liquidated, bankrupt, ...)."""
        return UserStatus(self[19])  # type: ignore[index]

    @property
    def name_str(self) -> str:
        """``name`` decoded as UTF-8 with trailing spaces/NULs stripped."""
        return self[2].decode("utf-8", "replace").rstrip(" \0")  # type: ignore[index]

    def pack(self) -> bytes:
        return encode_user(self)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return (
            f"User(authority={self.authority}, sub_account_id={self[18]}, "  # type: ignore[attr-defined,index]
            f"open_orders={self[22]}, open_auctions={self[24]}, "  # type: ignore[index]
            f"next_order_id={self[15]}, status={self[19]}, idle={self[21]})"  # type: ignore[index]
        )


User = record(
    "User",
    [
        ("authority", "pubkey"),
        ("delegate", "pubkey"),
        ("name", ("bytes", 32)),
        ("spot_positions", ("array", SpotPosition, MAX_SPOT_POSITIONS)),
        ("perp_positions", ("array", PerpPosition, MAX_PERP_POSITIONS)),
        ("orders", ("array", Order, MAX_ORDERS)),
        ("last_add_perp_lp_shares_ts", "i64"),
        ("total_deposits", "u64"),
        ("total_withdraws", "u64"),
        ("total_social_loss", "u64"),
        ("settled_perp_pnl", "i64"),
        ("cumulative_spot_fees", "i64"),
        ("cumulative_perp_funding", "i64"),
        ("liquidation_margin_freed", "u64"),
        ("last_active_slot", "u64"),
        ("next_order_id", "u32"),
        ("max_margin_ratio", "u32"),
        ("next_liquidation_id", "u16"),
        ("sub_account_id", "u16"),
        ("status", "u8"),
        ("is_margin_trading_enabled", "bool"),
        ("idle", "bool"),
        ("open_orders", "u8"),
        ("has_open_order", "bool"),
        ("open_auctions", "u8"),
        ("has_open_auction", "bool"),
        ("margin_mode", MarginMode),
        ("pool_id", "u8"),
        ("padding1", ("bytes", 3)),
        ("last_fuel_bonus_update_ts", "u32"),
        ("padding", ("bytes", 12)),
    ],
    mixin=_UserMixin,
    doc=(
        "A decoded Drift User account. ``orders`` holds all 32 slots (Order records) in "
        "account order; ``perp_positions``/``spot_positions`` all 8 slots. ``status`` is the "
        "raw bitmask (see ``UserStatus``). Build one with ``User.new(...)``."
    ),
)
_I_ORDERS = User._INDEX["orders"]
# the helpers above index the tuple directly
assert [User._INDEX[f] for f in ("next_order_id", "sub_account_id", "status", "idle")] == [
    15,
    18,
    19,
    21,
]
assert [User._INDEX[f] for f in ("open_orders", "open_auctions")] == [22, 24]


def _user_new(cls: Any = User, **fields: Any) -> Any:
    """Build a User. ``orders``/``perp_positions``/``spot_positions`` may be shorter than the
    account's arrays (padded with empty slots). Unless given explicitly, ``open_orders``,
    ``has_open_order``, ``open_auctions`` and ``has_open_auction`` are derived from the
    orders the way the program maintains them, and ``next_order_id`` is 1 + the largest
    order id (1 when there are none)."""
    orders = [o if isinstance(o, Order) else Order.new(**o) for o in fields.pop("orders", ())]
    if len(orders) > MAX_ORDERS:
        raise TypeError(f"User: at most {MAX_ORDERS} orders, got {len(orders)}")
    perps = [
        p if isinstance(p, PerpPosition) else PerpPosition.new(**p)
        for p in fields.pop("perp_positions", ())
    ]
    spots = [
        p if isinstance(p, SpotPosition) else SpotPosition.new(**p)
        for p in fields.pop("spot_positions", ())
    ]
    if len(perps) > MAX_PERP_POSITIONS or len(spots) > MAX_SPOT_POSITIONS:
        raise TypeError("User: at most 8 perp and 8 spot positions")
    orders += [EMPTY_ORDER] * (MAX_ORDERS - len(orders))
    perps += [_EMPTY_PERP] * (MAX_PERP_POSITIONS - len(perps))
    spots += [_EMPTY_SPOT] * (MAX_SPOT_POSITIONS - len(spots))
    open_orders = sum(1 for o in orders if o[I_STATUS] == OrderStatus.OPEN)
    open_auctions = sum(
        1 for o in orders if o[I_STATUS] == OrderStatus.OPEN and o[I_AUCTION_DURATION] != 0
    )
    derived = {
        "open_orders": open_orders,
        "has_open_order": open_orders > 0,
        "open_auctions": open_auctions,
        "has_open_auction": open_auctions > 0,
        "next_order_id": 1 + max((o[I_ORDER_ID] for o in orders), default=0),
    }
    derived.update(fields)
    derived.update(orders=tuple(orders), perp_positions=tuple(perps), spot_positions=tuple(spots))
    return Record.new.__func__(cls, **derived)  # type: ignore[attr-defined]


User.new = classmethod(_user_new)  # type: ignore[assignment]


def _check_user(data: bytes) -> None:
    if len(data) != USER_SIZE:
        raise DecodeError(f"User: expected {USER_SIZE} bytes, got {len(data)}")
    if data[:8] != USER_DISCRIMINATOR:
        raise DecodeError(
            f"User: wrong discriminator: expected {USER_DISCRIMINATOR.hex()}, "
            f"got {bytes(data[:8]).hex()}"
        )
    for start, stride, end, _ok, n, name in _ENUM_CHECKS:
        for k, value in enumerate(data[start:end:stride]):
            if value >= n:
                raise DecodeError(
                    f"User: invalid enum value {value} for field {name.format(k)} "
                    f"(expected 0..{n - 1})"
                )


_spots_unpack = record_codec(SpotPosition, SPOT_POSITION_STRUCT.format).unpack
_perps_unpack = record_codec(PerpPosition, PERP_POSITION_STRUCT.format).unpack
_orders_unpack = record_codec(Order, ORDER_STRUCT.format).unpack
_head_unpack = _HEAD.unpack_from
_from_bytes = int.from_bytes
_ZERO_SPOT = bytes(40)
_ZERO_PERP = bytes(96)
_ZERO_ORDER_TAILS = tuple(bytes(ORDER_SIZE * (MAX_ORDERS - n)) for n in range(MAX_ORDERS + 1))
_EMPTY_ORDERS = tuple((EMPTY_ORDER,) * (MAX_ORDERS - n) for n in range(MAX_ORDERS + 1))
_EMPTY_PERPS = tuple(
    (_EMPTY_PERP,) * (MAX_PERP_POSITIONS - n) for n in range(MAX_PERP_POSITIONS + 1)
)
_EMPTY_SPOTS = tuple(
    (_EMPTY_SPOT,) * (MAX_SPOT_POSITIONS - n) for n in range(MAX_SPOT_POSITIONS + 1)
)
_tail_unpack = _TAIL.unpack_from


def decode_user(data: bytes) -> Any:
    """Decode a User account (bytes, bytearray or memoryview of exactly 4376 bytes).

    Raises ``DecodeError`` on a wrong length, discriminator or enum byte.
    """
    if type(data) is not bytes:
        data = bytes(data)
    if len(data) != USER_SIZE or data[:8] != USER_DISCRIMINATOR or data[4355] > 2:
        _check_user(data)
    # Never-used slots are all zero and, in practice, trailing: decode (and validate) only the
    # slots up to the last non-zero one and share the empty record for the rest.
    # (``bytes.rstrip(b"\0")`` is slow on long runs; a little-endian int's bit length finds the
    # last non-zero byte in C.)
    if data.startswith(_ZERO_SPOT, _PERPS_AT - 40):
        n = (_from_bytes(data[_SPOTS_AT:_PERPS_AT], "little").bit_length() + 319) // 320
    else:
        n = MAX_SPOT_POSITIONS
    if n:
        if data[_C6[0] : _SPOTS_AT + 40 * n : 40].translate(None, _C6[3]):
            _check_user(data)
        spots = _spots_unpack(data, _SPOTS_AT, n, _EMPTY_SPOTS[n])
    else:
        spots = _EMPTY_SPOTS[0]
    if data.startswith(_ZERO_PERP, _ORDERS_AT - 96):
        n = (_from_bytes(data[_PERPS_AT:_ORDERS_AT], "little").bit_length() + 767) // 768
    else:
        n = MAX_PERP_POSITIONS
    if n:
        perps = _perps_unpack(data, _PERPS_AT, n, _EMPTY_PERPS[n])
    else:
        perps = _EMPTY_PERPS[0]
    # orders: up to the last slot with a non-zero status, if every slot after it is all zero
    n = len(data[_C0[0] : _TAIL_AT : ORDER_SIZE].rstrip(b"\0"))
    if n < MAX_ORDERS and not data.startswith(_ZERO_ORDER_TAILS[n], _ORDERS_AT + ORDER_SIZE * n):
        n = MAX_ORDERS
    if n:
        end = _ORDERS_AT + ORDER_SIZE * n
        if (
            data[_C0[0] : end : ORDER_SIZE].translate(None, _C0[3])
            or data[_C1[0] : end : ORDER_SIZE].translate(None, _C1[3])
            or data[_C2[0] : end : ORDER_SIZE].translate(None, _C2[3])
            or data[_C3[0] : end : ORDER_SIZE].translate(None, _C3[3])
            or data[_C4[0] : end : ORDER_SIZE].translate(None, _C4[3])
            or data[_C5[0] : end : ORDER_SIZE].translate(None, _C5[3])
        ):
            _check_user(data)
        orders = _orders_unpack(data, _ORDERS_AT, n, _EMPTY_ORDERS[n])
    else:
        orders = _EMPTY_ORDERS[0]
    return _new(User, (*_head_unpack(data, 8), spots, perps, orders, *_tail_unpack(data, _TAIL_AT)))


_pack = _USER_STRUCT.pack
_chain = chain.from_iterable


def encode_user(user: Any) -> bytes:
    """The exact 4376 account bytes of ``user`` (inverse of ``decode_user``)."""
    try:
        spots, perps, orders = user[3], user[4], user[5]
        if len(orders) != MAX_ORDERS or len(perps) != 8 or len(spots) != 8:
            raise EncodeError(
                f"User: needs 32 orders, 8 perp and 8 spot positions, got "
                f"{len(orders)}/{len(perps)}/{len(spots)}"
            )
        return _pack(
            USER_DISCRIMINATOR,
            user[0],
            user[1],
            user[2],
            *_chain(spots),
            *_chain(perps),
            *_chain(orders),
            *user[6:],
        )
    except struct.error as exc:
        raise EncodeError(f"User: a field is out of range or of the wrong type: {exc}") from exc


def iter_orders(users: Iterable[Any]) -> Iterable[Order]:
    """Every order slot of every user (helper for bulk scans)."""
    for user in users:
        yield from user[_I_ORDERS]
