"""PerpMarket / SpotMarket / State / UserStats: offsets from protocol.md §2, errors, helpers."""

from __future__ import annotations

import re
import struct

import pytest

from jitmaker.accounts import (
    AMM,
    AccountKind,
    ContractTier,
    ContractType,
    FeeTier,
    MarketStatus,
    OracleSource,
    PerpMarket,
    SpotBalanceType,
    SpotMarket,
    State,
    UserStats,
    account_kind,
    amm_bid_ask,
    amm_reserve_price,
    decode_perp_market,
    decode_spot_market,
    decode_state,
    decode_user_stats,
    encode_perp_market,
    encode_spot_market,
    encode_state,
    encode_user_stats,
    token_amount,
)
from jitmaker.errors import DecodeError


def _put(data: bytearray, offset: int, fmt: str, value: int) -> None:
    struct.pack_into("<" + fmt, data, offset, value)


def test_perp_market_offsets_from_protocol_doc():
    data = bytearray(encode_perp_market(PerpMarket.new()))
    for offset, fmt, value in [
        (72, "q", -7),  # amm.historical_oracle_data.last_oracle_price
        (104, "q", 99_000_000),  # ...last_oracle_price_twap_5min
        (176, "Q", 5 * 10**12),  # base_asset_reserve (low half of u128)
        (192, "Q", 6 * 10**12),  # quote_asset_reserve
        (256, "Q", 123),  # sqrt_k
        (272, "Q", 100_000_000),  # peg_multiplier
        (336, "q", -1),  # base_asset_amount_with_amm low word
        (344, "q", -1),  # ... high word -> i128 -1
        (752, "Q", 101),  # last_mark_price_twap
        (768, "Q", 777),  # last_update_slot
        (808, "Q", 10_000_000),  # order_step_size
        (816, "Q", 100),  # order_tick_size
        (824, "Q", 20_000_000),  # min_order_size
        (832, "Q", 555),  # mm_oracle_slot
        (904, "I", 1_000),  # long_spread
        (908, "I", 2_000),  # short_spread
        (912, "q", 98_000_000),  # mm_oracle_price
        (925, "B", 100),  # amm_jit_intensity
        (926, "B", OracleSource.PYTH_LAZER_1M),  # oracle_source
        (960, "i", -250),  # reference_price_offset
        (1136, "I", 1_000),  # margin_ratio_initial
        (1140, "I", 500),  # margin_ratio_maintenance
        (1160, "H", 42),  # market_index
        (1162, "B", MarketStatus.REDUCE_ONLY),
        (1163, "B", ContractType.PREDICTION),
        (1164, "B", ContractTier.ISOLATED),
        (1165, "B", 0x44),  # paused_operations
        (1168, "h", -50),  # fee_adjustment
        (1184, "Q", 101_500_000),  # last_fill_price
    ]:
        _put(data, offset, fmt, value)
    data[1000:1008] = b"SOL-PERP"
    m = decode_perp_market(bytes(data))
    amm = m.amm
    assert amm.historical_oracle_data.last_oracle_price == -7
    assert amm.historical_oracle_data.last_oracle_price_twap_5min == 99_000_000
    assert (amm.base_asset_reserve, amm.quote_asset_reserve) == (5 * 10**12, 6 * 10**12)
    assert (amm.sqrt_k, amm.peg_multiplier) == (123, 100_000_000)
    assert amm.base_asset_amount_with_amm == -1
    assert (amm.last_mark_price_twap, amm.last_update_slot) == (101, 777)
    assert (m.order_step_size, m.order_tick_size, m.min_order_size) == (10**7, 100, 2 * 10**7)
    assert (amm.mm_oracle_slot, amm.mm_oracle_price) == (555, 98_000_000)
    assert (amm.long_spread, amm.short_spread, amm.amm_jit_intensity) == (1_000, 2_000, 100)
    assert m.oracle_source is OracleSource.PYTH_LAZER_1M is amm.oracle_source
    assert amm.reference_price_offset == -250
    assert (m.margin_ratio_initial, m.margin_ratio_maintenance) == (1_000, 500)
    assert m.market_index == 42
    assert m.status is MarketStatus.REDUCE_ONLY
    assert m.contract_type is ContractType.PREDICTION
    assert m.contract_tier is ContractTier.ISOLATED
    assert (m.paused_operations, m.fee_adjustment, m.last_fill_price) == (0x44, -50, 101_500_000)
    assert m.name_str == "SOL-PERP"
    assert encode_perp_market(m) == bytes(data)


def test_perp_market_errors_name_the_problem():
    data = bytearray(encode_perp_market(PerpMarket.new()))
    with pytest.raises(DecodeError, match="PerpMarket: expected 1216 bytes, got 1215"):
        decode_perp_market(bytes(data[:-1]))
    with pytest.raises(DecodeError, match="PerpMarket: wrong discriminator"):
        decode_perp_market(bytes(8) + bytes(data[8:]))
    data[926] = 16
    with pytest.raises(DecodeError, match=re.escape("for field amm.oracle_source")):
        decode_perp_market(bytes(data))
    data[926] = 0
    data[1164] = 6
    with pytest.raises(DecodeError, match="contract_tier"):
        decode_perp_market(bytes(data))


def _amm(**fields) -> AMM:
    return AMM.new(base_asset_reserve=1_000 * 10**9, quote_asset_reserve=1_000 * 10**9, **fields)


def test_amm_bid_ask_formula():
    amm = _amm(peg_multiplier=100_000_000, long_spread=1_000, short_spread=2_000)
    assert amm_reserve_price(amm) == 100_000_000
    assert amm_bid_ask(PerpMarket.new(amm=amm)) == (99_800_000, 100_100_000)
    shifted = amm.replace(reference_price_offset=-500)
    assert amm_bid_ask(shifted) == (99_750_000, 100_050_000)


def test_amm_bid_ask_rounds_down():
    # reserve price 3 * 1_000_001 / 3 ... use uneven reserves: 2e12 quote / 3e12 base * peg 1e6
    amm = AMM.new(
        base_asset_reserve=3 * 10**12,
        quote_asset_reserve=2 * 10**12,
        peg_multiplier=1_000_000,
        long_spread=3,
        short_spread=3,
    )
    reserve = 2 * 10**12 * 1_000_000 // (3 * 10**12)
    assert reserve == 666_666
    assert amm_bid_ask(amm) == (
        reserve * 999_997 // 1_000_000,
        reserve * 1_000_003 // 1_000_000,
    )
    assert amm_bid_ask(AMM.new()) == (0, 0)


def test_spot_market_fields_and_token_amount():
    market = SpotMarket.new(
        market_index=1,
        decimals=6,
        cumulative_deposit_interest=15_000_000_001,
        cumulative_borrow_interest=15_000_000_001,
        order_tick_size=100,
        order_step_size=1_000,
        min_order_size=10_000,
        oracle_source=OracleSource.PYTH_PULL,
        deposit_balance=2**100,
        name=b"SOL",
    )
    data = encode_spot_market(market)
    back = decode_spot_market(data)
    assert back == market and account_kind(data) is AccountKind.SPOT_MARKET
    assert back.oracle_source is OracleSource.PYTH_PULL and back.deposit_balance == 2**100
    assert back.name_str == "SOL" and back.precision == 10**6
    # 1e9 scaled = 1 token at interest 1.0; 1.5000000001 -> deposit rounds down, borrow up
    assert token_amount(10**9, back, SpotBalanceType.DEPOSIT) == 1_500_000
    assert token_amount(10**9, back, SpotBalanceType.BORROW) == 1_500_001
    with pytest.raises(DecodeError, match="SpotMarket: expected 776 bytes"):
        decode_spot_market(data + b"\0")


def test_state_offsets_from_protocol_doc():
    data = bytearray(encode_state(State.new()))
    _put(data, 168, "I", 100)  # perp fee tier 0 fee_numerator
    _put(data, 172, "I", 100_000)  # fee_denominator
    _put(data, 176, "I", 20)  # maker_rebate_numerator
    _put(data, 520, "Q", 10_000)  # perp flat_filler_fee
    _put(data, 888, "Q", 7)  # mark_oracle_percent_divergence
    _put(data, 904, "q", -3)  # slots_before_stale_for_amm
    _put(data, 966, "H", 70)  # number_of_markets
    _put(data, 968, "H", 30)  # number_of_spot_markets
    data[971] = 10  # min_perp_auction_duration
    data[974] = 0b1000_0100  # exchange_status
    state = decode_state(bytes(data))
    tier = state.perp_fee_structure.fee_tiers[0]
    assert isinstance(tier, FeeTier)
    assert (tier.fee_numerator, tier.fee_denominator, tier.maker_rebate_numerator) == (
        100,
        100_000,
        20,
    )
    assert state.perp_fee_structure.flat_filler_fee == 10_000
    assert state.oracle_guard_rails.price_divergence.mark_oracle_percent_divergence == 7
    assert state.oracle_guard_rails.validity.slots_before_stale_for_amm == -3
    assert (state.number_of_markets, state.number_of_spot_markets) == (70, 30)
    assert state.min_perp_auction_duration == 10
    assert state.exchange_status == 0x84
    assert "AMM_PAUSED" in repr(state.exchange_status_flags)
    assert encode_state(state) == bytes(data)
    assert account_kind(data) is AccountKind.STATE


def test_user_stats_offsets_from_protocol_doc():
    data = bytearray(encode_user_stats(UserStats.new()))
    _put(data, 72, "Q", 11)  # fees.total_fee_paid
    _put(data, 128, "Q", 5_000_000)  # maker_volume_30d
    _put(data, 136, "Q", 6_000_000)  # taker_volume_30d
    _put(data, 184, "H", 3)  # number_of_sub_accounts
    data[188] = 2  # referrer_status
    _put(data, 216, "Q", 99)  # if_staked_gov_token_amount
    stats = decode_user_stats(bytes(data))
    assert stats.fees.total_fee_paid == 11
    assert (stats.maker_volume30d, stats.taker_volume_30d) == (5_000_000, 6_000_000)
    assert (stats.number_of_sub_accounts, stats.referrer_status) == (3, 2)
    assert stats.if_staked_gov_token_amount == 99
    assert account_kind(data) is AccountKind.USER_STATS


def test_account_kind_unknown():
    assert account_kind(b"\x01" * 100) is AccountKind.UNKNOWN
    assert account_kind(b"") is AccountKind.UNKNOWN


def test_codecs_accept_bytearray_and_memoryview():
    data = encode_perp_market(PerpMarket.new(market_index=7))
    assert decode_perp_market(bytearray(data)).market_index == 7
    assert decode_perp_market(memoryview(data)).market_index == 7
    with pytest.raises(DecodeError, match="wrong discriminator"):
        decode_perp_market(memoryview(bytes(8) + data[8:]))


def test_decode_account_dispatches_by_discriminator():
    from jitmaker.accounts import decode_account, encode_user
    from jitmaker.accounts.user import User

    for record, encode, kind in [
        (PerpMarket.new(market_index=3), encode_perp_market, AccountKind.PERP_MARKET),
        (State.new(min_perp_auction_duration=10), encode_state, AccountKind.STATE),
        (User.new(sub_account_id=4), encode_user, AccountKind.USER),
    ]:
        assert decode_account(encode(record)) == (kind, record)
    with pytest.raises(DecodeError, match="unsupported account"):
        decode_account(bytes(64))
