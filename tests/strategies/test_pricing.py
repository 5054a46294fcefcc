"""Quote computation: keeper-bots-v2 reference rule, aggressiveness, skew, edge, ticks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jitmaker.accounts.enums import MarketType, PositionDirection
from jitmaker.errors import ConfigError
from jitmaker.strategies.pricing import (
    BPS,
    PriceType,
    PricingConfig,
    Quote,
    ReferenceSource,
    compute_quote,
    reference_prices,
)

from .helpers import ORACLE, TICK, market

DLOB = ReferenceSource.DLOB_CLAMPED_TO_AMM


# ---- reference prices (keeper-bots-v2 jitPerp rule) ----


def test_reference_book_inside_amm_is_used_as_is() -> None:
    m = market(dlob_best_bid=ORACLE - 50_000, dlob_best_ask=ORACLE + 60_000)
    assert reference_prices(DLOB, m) == (ORACLE - 50_000, ORACLE + 60_000)


def test_reference_book_outside_amm_is_clamped_into_amm() -> None:
    # book bid above the AMM ask clamps down to the AMM ask; book ask below AMM bid clamps up
    m = market(dlob_best_bid=ORACLE + 900_000, dlob_best_ask=ORACLE - 900_000)
    assert reference_prices(DLOB, m) == (ORACLE + 100_000, ORACLE - 100_000)
    # book far outside on the passive side clamps to the AMM side
    m = market(dlob_best_bid=ORACLE - 900_000, dlob_best_ask=ORACLE + 900_000)
    assert reference_prices(DLOB, m) == (ORACLE - 100_000, ORACLE + 100_000)


def test_reference_empty_book_side_falls_back_to_amm() -> None:
    m = market(dlob_best_bid=None, dlob_best_ask=ORACLE + 10_000)
    assert reference_prices(DLOB, m) == (ORACLE - 100_000, ORACLE + 10_000)


def test_reference_without_amm_needs_both_book_sides() -> None:
    spot = market(market_type=MarketType.SPOT, amm_bid=None, amm_ask=None)
    assert reference_prices(DLOB, spot) is None
    spot = market(amm_bid=None, amm_ask=None, dlob_best_bid=1_000, dlob_best_ask=2_000)
    assert reference_prices(DLOB, spot) == (1_000, 2_000)


def test_reference_oracle_source() -> None:
    assert reference_prices(ReferenceSource.ORACLE, market()) == (ORACLE, ORACLE)
    assert reference_prices(ReferenceSource.ORACLE, market(oracle_price=0)) is None


# ---- worked quotes ----


def test_keeper_aggressiveness_through_the_reference() -> None:
    # 30 bps through a 149.9/150.1 AMM reference, edge disabled by a -99.99% floor
    cfg = PricingConfig(bid_aggressiveness_bps=30, ask_aggressiveness_bps=30, min_edge_bps=-9999)
    q = compute_quote(cfg, market())
    assert q is not None
    # 149_900_000 * 1.003 = 150_349_700 (on tick); 150_100_000 * 0.997 = 149_649_700
    # crossed → repaired around the midpoint 149_999_700 (tick-floored)
    assert (q.bid, q.ask) == (149_999_700, 149_999_800)


def test_asymmetric_aggressiveness_and_tick_rounding() -> None:
    cfg = PricingConfig(bid_aggressiveness_bps=5, ask_aggressiveness_bps=-7, min_edge_bps=-9999)
    q = compute_quote(cfg, market(tick_size=1_000))
    assert q is not None
    # bid 149_900_000*10005/10000 = 149_974_950 -> down to 149_974_000
    # ask ceil(150_100_000*10007/10000) = 150_205_070 -> up to 150_206_000
    assert (q.bid, q.ask) == (149_974_000, 150_206_000)


def test_min_edge_caps_bid_and_floors_ask() -> None:
    cfg = PricingConfig(reference=ReferenceSource.ORACLE, min_edge_bps=10)
    q = compute_quote(cfg, market())
    assert q is not None
    assert (q.bid, q.ask) == (ORACLE - 150_000, ORACLE + 150_000)


def test_inventory_skew_at_full_long_lowers_both_sides() -> None:
    cfg = PricingConfig(reference=ReferenceSource.ORACLE, min_edge_bps=-9999, inventory_skew_bps=20)
    flat = compute_quote(cfg, market(), 0, 10, -10)
    long = compute_quote(cfg, market(), 10, 10, -10)
    half_short = compute_quote(cfg, market(), -5, 10, -10)
    assert flat is not None and long is not None and half_short is not None
    assert (flat.bid, flat.ask) == (ORACLE, ORACLE + TICK)  # repaired: bid == ask at the oracle
    # 20 bps of 150 = 0.3 lower on both sides (then repaired to one tick apart)
    assert (long.bid, long.ask) == (ORACLE - 300_000, ORACLE - 300_000 + TICK)
    assert half_short.bid == ORACLE + 150_000 and half_short.ask == ORACLE + 150_000 + TICK


def test_oracle_price_type_sends_offsets() -> None:
    q = Quote(bid=ORACLE - 300, ask=ORACLE + 500, oracle_price=ORACLE, price_type=PriceType.ORACLE)
    assert (q.bid_param, q.ask_param) == (-300, 500)
    limit = Quote(bid=ORACLE - 300, ask=ORACLE + 500, oracle_price=ORACLE)
    assert (limit.bid_param, limit.ask_param) == (ORACLE - 300, ORACLE + 500)


def test_quote_crossing_rule_matches_jit_proxy() -> None:
    q = Quote(bid=100, ask=200, oracle_price=150)
    assert q.crosses(PositionDirection.LONG, 100) and not q.crosses(PositionDirection.LONG, 101)
    assert q.crosses(PositionDirection.SHORT, 200) and not q.crosses(PositionDirection.SHORT, 199)


def test_no_quote_without_reference() -> None:
    assert compute_quote(PricingConfig(), market(amm_bid=None, amm_ask=None)) is None
    assert compute_quote(PricingConfig(), market(oracle_price=0)) is None


# ---- config parsing ----


def test_from_mapping_symmetric_and_override() -> None:
    cfg = PricingConfig.from_mapping(
        {"aggressiveness_bps": 30, "ask_aggressiveness_bps": 10, "reference": "oracle"}
    )
    assert cfg.bid_aggressiveness_bps == 30 and cfg.ask_aggressiveness_bps == 10
    assert cfg.reference is ReferenceSource.ORACLE
    assert PricingConfig.from_mapping({"price_type": "ORACLE"}).price_type is PriceType.ORACLE


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"bogus": 1}, "p.bogus"),
        ({"min_edge_bps": 1.5}, "p.min_edge_bps"),
        ({"min_edge_bps": 10_000}, "p.min_edge_bps"),
        ({"inventory_skew_bps": -1}, "p.inventory_skew_bps"),
        ({"reference": "mid"}, "p.reference"),
        ({"price_type": 3}, "p.price_type"),
    ],
)
def test_from_mapping_rejects_bad_values(data: dict, path: str) -> None:
    with pytest.raises(ConfigError) as err:
        PricingConfig.from_mapping(data, "p")
    assert err.value.path == path


# ---- properties ----

bps = st.integers(-(BPS - 1), BPS - 1)


@st.composite
def quoting_inputs(draw: st.DrawFn):
    oracle = draw(st.integers(1, 10**12))
    tick = draw(st.sampled_from([1, 10, 100, 1_000, 100_000]))
    spread = draw(st.integers(0, oracle))
    amm_bid = max(1, oracle - draw(st.integers(0, spread)))
    amm_ask = oracle + draw(st.integers(0, spread))
    book_bid = draw(st.none() | st.integers(1, 2 * oracle + 1))
    book_ask = draw(st.none() | st.integers(1, 2 * oracle + 1))
    has_amm = draw(st.booleans())
    m = market(
        tick_size=tick,
        oracle_price=oracle,
        amm_bid=amm_bid if has_amm else None,
        amm_ask=amm_ask if has_amm else None,
        dlob_best_bid=book_bid,
        dlob_best_ask=book_ask,
    )
    cfg = PricingConfig(
        reference=draw(st.sampled_from(list(ReferenceSource))),
        bid_aggressiveness_bps=draw(bps),
        ask_aggressiveness_bps=draw(bps),
        min_edge_bps=draw(bps),
        inventory_skew_bps=draw(st.integers(0, BPS - 1)),
        price_type=draw(st.sampled_from(list(PriceType))),
    )
    limit = draw(st.integers(0, 10**12))
    pos = draw(st.integers(-2 * limit - 1, 2 * limit + 1))
    return cfg, m, pos, limit


@settings(max_examples=400)
@given(quoting_inputs())
def test_quote_invariants(inputs) -> None:
    cfg, m, pos, limit = inputs
    q = compute_quote(cfg, m, pos, limit, -limit)
    if q is None:
        assert reference_prices(cfg.reference, m) is None
        return
    tick, oracle = m.tick_size, m.oracle_price
    assert 0 <= q.bid < q.ask
    assert q.bid % tick == 0 and q.ask % tick == 0
    # min edge: bid <= oracle*(1-edge), ask >= oracle*(1+edge), exactly in rationals
    assert q.bid * BPS <= oracle * (BPS - cfg.min_edge_bps)
    assert q.ask * BPS >= oracle * (BPS + cfg.min_edge_bps)
    assert q.bid_param + (oracle if cfg.price_type is PriceType.ORACLE else 0) == q.bid


@settings(max_examples=300)
@given(quoting_inputs(), st.integers(1, 10**12))
def test_skew_direction_longer_position_never_raises_prices(inputs, more: int) -> None:
    cfg, m, pos, limit = inputs
    lower = compute_quote(cfg, m, pos, limit, -limit)
    higher = compute_quote(cfg, m, pos + more, limit, -limit)
    if lower is None:
        assert higher is None
        return
    assert higher is not None
    assert higher.bid <= lower.bid and higher.ask <= lower.ask
