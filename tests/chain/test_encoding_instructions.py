"""Instruction data encoders vs anchorpy's coder (Drift IDL, jit-proxy IDL fixture) and spec bytes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import driftpy
import pytest
from anchorpy import Context, Idl
from anchorpy.coder.instruction import InstructionCoder
from anchorpy.program.namespace.instruction import _InstructionFn
from anchorpy.program.namespace.types import _build_types
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.instruction import AccountMeta
from solders.pubkey import Pubkey

from jitmaker.accounts.enums import (
    MarketType,
    OrderTriggerCondition,
    OrderType,
    PositionDirection,
    PostOnlyParam,
    SpotFulfillmentType,
)
from jitmaker.chain.instructions import (
    IX_JIT,
    IX_PLACE_AND_MAKE_PERP_ORDER,
    IX_PLACE_AND_MAKE_SPOT_ORDER,
    JitParams,
    MakerAccounts,
    OrderParams,
    PriceType,
    anchor_discriminator,
    decode_instruction_data,
    decode_jit_data,
    decode_order_params,
    decode_place_and_make_data,
    encode_compute_unit_limit,
    encode_compute_unit_price,
    encode_jit_data,
    encode_jit_params,
    encode_order_params,
    encode_place_and_make_perp_data,
    encode_place_and_make_spot_data,
    jit_instruction,
    place_and_make_perp_order_instruction,
    place_and_make_spot_order_instruction,
    set_compute_unit_limit_instruction,
    set_compute_unit_price_instruction,
)
from jitmaker.chain.pdas import COMPUTE_BUDGET_PROGRAM_ID, DRIFT_PROGRAM_ID, JIT_PROXY_PROGRAM_ID
from jitmaker.errors import DecodeError, EncodeError

FIXTURES = Path(__file__).parent / "fixtures"
DRIFT_IDL = Idl.from_json((Path(driftpy.__file__).parent / "idl" / "drift.json").read_text())
JIT_IDL = Idl.from_json((FIXTURES / "jit_proxy_jit_idl.json").read_text())
DRIFT_CODER = InstructionCoder(DRIFT_IDL)
JIT_CODER = InstructionCoder(JIT_IDL)
DT = _build_types(DRIFT_IDL)
JT = _build_types(JIT_IDL)

U8 = st.integers(0, 2**8 - 1)
U16 = st.integers(0, 2**16 - 1)
U32 = st.integers(0, 2**32 - 1)
U64 = st.integers(0, 2**64 - 1)
I32 = st.integers(-(2**31), 2**31 - 1)
I64 = st.integers(-(2**63), 2**63 - 1)


def _variant(types: dict, enum_name: str, member) -> object:
    """anchorpy enum value for one of our IntEnum members (matched by variant index)."""
    enum_type = types[enum_name]
    idl_type = next(
        t for t in (DRIFT_IDL.types if types is DT else JIT_IDL.types) if t.name == enum_name
    )
    name = idl_type.ty.variants[int(member)].name
    return getattr(enum_type, name)()


order_params = st.builds(
    OrderParams,
    order_type=st.sampled_from(OrderType),
    market_type=st.sampled_from(MarketType),
    direction=st.sampled_from(PositionDirection),
    user_order_id=U8,
    base_asset_amount=U64,
    price=U64,
    market_index=U16,
    reduce_only=st.booleans(),
    post_only=st.sampled_from(PostOnlyParam),
    bit_flags=U8,
    max_ts=st.none() | I64,
    trigger_price=st.none() | U64,
    trigger_condition=st.sampled_from(OrderTriggerCondition),
    oracle_price_offset=st.none() | I32,
    auction_duration=st.none() | U8,
    auction_start_price=st.none() | I64,
    auction_end_price=st.none() | I64,
)

jit_params = st.builds(
    JitParams,
    taker_order_id=U32,
    max_position=I64,
    min_position=I64,
    bid=I64,
    ask=I64,
    price_type=st.sampled_from(PriceType),
    post_only=st.none() | st.sampled_from(PostOnlyParam),
)


def _anchor_order_params(p: OrderParams) -> object:
    return DT["OrderParams"](
        order_type=_variant(DT, "OrderType", p.order_type),
        market_type=_variant(DT, "MarketType", p.market_type),
        direction=_variant(DT, "PositionDirection", p.direction),
        user_order_id=p.user_order_id,
        base_asset_amount=p.base_asset_amount,
        price=p.price,
        market_index=p.market_index,
        reduce_only=p.reduce_only,
        post_only=_variant(DT, "PostOnlyParam", p.post_only),
        bit_flags=p.bit_flags,
        max_ts=p.max_ts,
        trigger_price=p.trigger_price,
        trigger_condition=_variant(DT, "OrderTriggerCondition", p.trigger_condition),
        oracle_price_offset=p.oracle_price_offset,
        auction_duration=p.auction_duration,
        auction_start_price=p.auction_start_price,
        auction_end_price=p.auction_end_price,
    )


def _anchor_jit_params(p: JitParams) -> object:
    return JT["JitParams"](
        taker_order_id=p.taker_order_id,
        max_position=p.max_position,
        min_position=p.min_position,
        bid=p.bid,
        ask=p.ask,
        price_type=_variant(JT, "PriceType", p.price_type),
        post_only=None if p.post_only is None else _variant(JT, "PostOnlyParam", p.post_only),
    )


# ---- discriminators and spec examples ---------------------------------------------------------


def test_discriminators_are_anchor_sighashes_and_match_both_idls():
    assert IX_JIT == hashlib.sha256(b"global:jit").digest()[:8]
    assert IX_JIT == JIT_CODER.sighashes["jit"]
    assert IX_PLACE_AND_MAKE_PERP_ORDER == DRIFT_CODER.sighashes["place_and_make_perp_order"]
    assert IX_PLACE_AND_MAKE_SPOT_ORDER == DRIFT_CODER.sighashes["place_and_make_spot_order"]
    assert anchor_discriminator("User", "account").hex() == "9f755fe3ef973aec"


def test_place_and_make_perp_matches_protocol_example_bytes():
    # protocol.md §5.1: maker short 4.2 SOL at 150.25 on perp 0, taker order 17.
    params = OrderParams(
        direction=PositionDirection.SHORT, base_asset_amount=4_200_000_000, price=150_250_000
    )
    expected = bytes.fromhex(
        "95750bed2f5f59ed" "01010100" "00ea56fa00000000" "10a2f40800000000"
        "0000" "000101" "00000000000000" "11000000"
    )  # fmt: skip
    data = encode_place_and_make_perp_data(params, 17)
    assert data == expected
    assert len(data) == 44


def test_jit_matches_protocol_example_bytes():
    # protocol.md §6.2: order 17, max 5 SOL, min -3 SOL, bid -0.04, ask +0.04, Oracle, Some(Must).
    params = JitParams(
        17,
        5_000_000_000,
        -3_000_000_000,
        -40_000,
        40_000,
        PriceType.ORACLE,
        PostOnlyParam.MUST_POST_ONLY,
    )
    expected = bytes.fromhex(
        "632a618c983ea7ea" "11000000" "00f2052a01000000" "00a22f4dffffffff"
        "c063ffffffffffff" "409c000000000000" "01" "0101"
    )  # fmt: skip
    assert encode_jit_data(params) == expected
    assert len(encode_jit_data(params._replace(post_only=None))) == 46
    assert encode_jit_params(params) == expected[8:]


def test_compute_budget_data_matches_solders():
    for units in (0, 200_000, 1_400_000, 2**32 - 1):
        assert encode_compute_unit_limit(units) == bytes(set_compute_unit_limit(units).data)
    for price in (0, 1, 50_000, 2**64 - 1):
        assert encode_compute_unit_price(price) == bytes(set_compute_unit_price(price).data)
    assert set_compute_unit_limit_instruction(7) == set_compute_unit_limit(7)
    assert set_compute_unit_price_instruction(9) == set_compute_unit_price(9)


# ---- byte-for-byte vs anchorpy (hypothesis) ---------------------------------------------------


@settings(max_examples=300)
@given(order_params, U32)
def test_place_and_make_perp_equals_anchorpy(params, taker_order_id):
    reference = DRIFT_CODER.encode(
        "place_and_make_perp_order",
        {"params": _anchor_order_params(params), "taker_order_id": taker_order_id},
    )
    assert encode_place_and_make_perp_data(params, taker_order_id) == reference


@settings(max_examples=300)
@given(order_params, U32, st.none() | st.sampled_from(SpotFulfillmentType))
def test_place_and_make_spot_equals_anchorpy(params, taker_order_id, fulfillment):
    anchor_fulfillment = (
        None if fulfillment is None else _variant(DT, "SpotFulfillmentType", fulfillment)
    )
    reference = DRIFT_CODER.encode(
        "place_and_make_spot_order",
        {
            "params": _anchor_order_params(params),
            "taker_order_id": taker_order_id,
            "fulfillment_type": anchor_fulfillment,
        },
    )
    assert encode_place_and_make_spot_data(params, taker_order_id, fulfillment) == reference


@settings(max_examples=300)
@given(jit_params)
def test_jit_equals_anchorpy_from_jit_proxy_idl(params):
    reference = JIT_CODER.encode("jit", {"params": _anchor_jit_params(params)})
    assert encode_jit_data(params) == reference


# ---- decoders ---------------------------------------------------------------------------------


@settings(max_examples=200)
@given(order_params, U32, st.none() | st.sampled_from(SpotFulfillmentType))
def test_order_params_round_trip(params, taker_order_id, fulfillment):
    assert decode_order_params(encode_order_params(params)) == params
    perp = encode_place_and_make_perp_data(params, taker_order_id)
    assert decode_place_and_make_data(perp) == (params, taker_order_id, None)
    spot = encode_place_and_make_spot_data(params, taker_order_id, fulfillment)
    assert decode_place_and_make_data(spot) == (params, taker_order_id, fulfillment)
    decoded = decode_instruction_data(DRIFT_PROGRAM_ID, spot)
    assert decoded.name == "place_and_make_spot_order"
    assert decoded.args == {
        "params": params,
        "taker_order_id": taker_order_id,
        "fulfillment_type": fulfillment,
    }


@settings(max_examples=200)
@given(jit_params)
def test_jit_round_trip(params):
    data = encode_jit_data(params)
    assert decode_jit_data(data) == params
    assert decode_instruction_data(JIT_PROXY_PROGRAM_ID, data).args == {"params": params}


def test_decode_compute_budget_and_rejects_garbage():
    limit = decode_instruction_data(COMPUTE_BUDGET_PROGRAM_ID, encode_compute_unit_limit(123))
    assert limit == ("set_compute_unit_limit", {"units": 123})
    price = decode_instruction_data(COMPUTE_BUDGET_PROGRAM_ID, encode_compute_unit_price(9))
    assert price == ("set_compute_unit_price", {"micro_lamports": 9})
    data = encode_jit_data(JitParams(1, 2, 3, 4, 5))
    with pytest.raises(DecodeError):
        decode_jit_data(data[:-1])  # truncated
    with pytest.raises(DecodeError):
        decode_jit_data(data + b"\x00")  # trailing byte
    with pytest.raises(DecodeError):
        decode_jit_data(data[:-1] + b"\x02")  # bad Option tag
    with pytest.raises(DecodeError):
        decode_instruction_data(DRIFT_PROGRAM_ID, b"\x00" * 16)
    bad_enum = bytearray(encode_order_params(OrderParams()))
    bad_enum[0] = 9  # no OrderType 9
    with pytest.raises(DecodeError):
        decode_order_params(bytes(bad_enum))


# ---- range checks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        JitParams(-1, 0, 0, 0, 0),
        JitParams(2**32, 0, 0, 0, 0),
        JitParams(0, 2**63, 0, 0, 0),
        JitParams(0, 0, 0, 0, 0, 2),
        JitParams(0, 0, 0, 0, 0, PriceType.LIMIT, 4),
    ],
)
def test_jit_out_of_range_raises_encode_error(params):
    with pytest.raises(EncodeError):
        encode_jit_data(params)


@pytest.mark.parametrize(
    "fields",
    [
        {"base_asset_amount": -1},
        {"price": 2**64},
        {"market_index": 2**16},
        {"max_ts": 2**63},
        {"oracle_price_offset": 2**31},
        {"auction_duration": 256},
        {"trigger_condition": 4},
        {"order_type": 5},
        {"market_type": 2},
        {"direction": -1},
        {"post_only": 4},
    ],
)
def test_order_params_out_of_range_raises_encode_error(fields):
    with pytest.raises(EncodeError):
        encode_order_params(OrderParams()._replace(**fields))


def test_taker_order_id_and_fulfillment_range_checked():
    with pytest.raises(EncodeError):
        encode_place_and_make_perp_data(OrderParams(), 2**32)
    with pytest.raises(EncodeError):
        encode_place_and_make_spot_data(OrderParams(), 1, 4)
    with pytest.raises(EncodeError):
        encode_compute_unit_limit(-1)
    with pytest.raises(EncodeError):
        encode_compute_unit_price(2**64)


# ---- full Instruction objects vs anchorpy's instruction builder ------------------------------

ACCOUNTS = MakerAccounts(*(Pubkey.new_unique() for _ in range(6)))
REMAINING = [
    AccountMeta(Pubkey.new_unique(), is_signer=False, is_writable=False),
    AccountMeta(Pubkey.new_unique(), is_signer=False, is_writable=True),
]


def _anchor_accounts(extra: dict | None = None) -> dict:
    names = ("state", "user", "user_stats", "taker", "taker_stats", "authority")
    return {**dict(zip(names, ACCOUNTS, strict=True)), **(extra or {})}


def _idl_ix(idl: Idl, name: str):
    return next(ix for ix in idl.instructions if ix.name == name)


def test_jit_instruction_equals_anchorpy_instruction():
    params = JitParams(17, 10, -10, 5, 6, PriceType.ORACLE, None)
    fn = _InstructionFn(_idl_ix(JIT_IDL, "jit"), JIT_CODER.build, JIT_PROXY_PROGRAM_ID)
    ctx = Context(
        accounts=_anchor_accounts({"drift_program": DRIFT_PROGRAM_ID}),
        remaining_accounts=REMAINING,
    )
    reference = fn(_anchor_jit_params(params), ctx=ctx)
    assert jit_instruction(ACCOUNTS, params, REMAINING) == reference
    flags = [(m.is_signer, m.is_writable) for m in reference.accounts[:7]]
    assert flags == [(0, 0), (0, 1), (0, 1), (0, 1), (0, 1), (1, 0), (0, 0)]


def test_place_and_make_instructions_equal_anchorpy_instructions():
    params = OrderParams(direction=PositionDirection.SHORT, base_asset_amount=10**9, price=10**8)
    ctx = Context(accounts=_anchor_accounts(), remaining_accounts=REMAINING)
    perp_fn = _InstructionFn(
        _idl_ix(DRIFT_IDL, "placeAndMakePerpOrder"), DRIFT_CODER.build, DRIFT_PROGRAM_ID
    )
    reference = perp_fn(_anchor_order_params(params), 17, ctx=ctx)
    assert place_and_make_perp_order_instruction(ACCOUNTS, params, 17, REMAINING) == reference

    spot = params._replace(market_type=MarketType.SPOT, market_index=1)
    spot_fn = _InstructionFn(
        _idl_ix(DRIFT_IDL, "placeAndMakeSpotOrder"), DRIFT_CODER.build, DRIFT_PROGRAM_ID
    )
    reference = spot_fn(
        _anchor_order_params(spot), 18, _variant(DT, "SpotFulfillmentType", 1), ctx=ctx
    )
    ours = place_and_make_spot_order_instruction(
        ACCOUNTS, spot, 18, REMAINING, fulfillment_type=SpotFulfillmentType.MATCH
    )
    assert ours == reference


def test_fixture_is_the_minimal_jit_idl():
    raw = json.loads((FIXTURES / "jit_proxy_jit_idl.json").read_text())
    assert [ix["name"] for ix in raw["instructions"]] == ["jit"]
    assert {t["name"] for t in raw["types"]} == {"JitParams", "PostOnlyParam", "PriceType"}
