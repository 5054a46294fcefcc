"""Position bounds from target leverage and account value."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jitmaker.errors import ConfigError
from jitmaker.strategies.sizing import (
    LEVERAGE_PRECISION,
    MarketSizing,
    PositionLimits,
    leverage_ppm,
    position_limits,
    size_subaccount,
    split_leverage,
)

BASE = 10**9
STEP = 10_000_000


def test_keeper_formula_one_x() -> None:
    # $10,000 at $150, 1x → 66.666… SOL → 66.66 SOL after the 0.01 step
    limits = position_limits(10_000 * 10**6, 150 * 10**6, LEVERAGE_PRECISION, BASE, STEP)
    assert limits == PositionLimits(66_660_000_000, -66_660_000_000)


def test_cap_and_zero_cases() -> None:
    capped = position_limits(
        10_000 * 10**6, 150 * 10**6, 3 * LEVERAGE_PRECISION, BASE, STEP, 5 * BASE
    )
    assert capped == PositionLimits(5 * BASE, -5 * BASE)
    assert position_limits(-1, 150 * 10**6, LEVERAGE_PRECISION, BASE, STEP) == PositionLimits(0, 0)
    assert position_limits(10**9, 0, LEVERAGE_PRECISION, BASE, STEP) == PositionLimits(0, 0)


def test_spot_decimals() -> None:
    # 6-decimal spot token at $2, $100 account, 2x → 100 tokens
    assert position_limits(100 * 10**6, 2 * 10**6, 2 * LEVERAGE_PRECISION, 10**6, 1) == (
        PositionLimits(100 * 10**6, -100 * 10**6)
    )


def test_leverage_parsing_is_exact() -> None:
    assert leverage_ppm(1) == 1_000_000
    assert leverage_ppm(0.1) == 100_000
    assert leverage_ppm("2.5") == 2_500_000
    assert leverage_ppm(Decimal("0.0000019")) == 1
    for bad in (-1, "x", float("nan"), float("inf"), True, None):
        with pytest.raises(ConfigError):
            leverage_ppm(bad)


def test_split_evenly_and_by_weight() -> None:
    assert split_leverage(1_000_000, {"a": 1, "b": 1, "c": 1}) == {
        "a": 333_333,
        "b": 333_333,
        "c": 333_333,
    }
    assert split_leverage(1_000_000, {"a": 3, "b": 1}) == {"a": 750_000, "b": 250_000}
    assert split_leverage(1_000_000, {"a": 0}) == {"a": 0}


def test_subaccount_shares_leverage() -> None:
    markets = {
        "SOL": MarketSizing(price=150 * 10**6, base_precision=BASE, step_size=STEP),
        "BTC": MarketSizing(price=60_000 * 10**6, base_precision=BASE, step_size=10**5, weight=3),
    }
    limits = size_subaccount(12_000 * 10**6, 2 * LEVERAGE_PRECISION, markets)
    # SOL gets 0.5x: $6,000 / $150 = 40 SOL; BTC 1.5x: $18,000 / $60,000 = 0.3 BTC
    assert limits["SOL"] == PositionLimits(40 * BASE, -40 * BASE)
    assert limits["BTC"] == PositionLimits(300_000_000, -300_000_000)


@settings(max_examples=300)
@given(
    value=st.integers(-(10**12), 10**13),
    lev=st.integers(0, 20 * LEVERAGE_PRECISION),
    prices=st.lists(st.integers(1, 10**11), min_size=1, max_size=6),
    weights=st.lists(st.integers(0, 5), min_size=6, max_size=6),
    steps=st.lists(st.sampled_from([1, 1000, 10**5, 10**7]), min_size=6, max_size=6),
)
def test_total_notional_within_target_leverage(value, lev, prices, weights, steps) -> None:
    markets = {
        i: MarketSizing(price=p, base_precision=BASE, step_size=steps[i], weight=weights[i])
        for i, p in enumerate(prices)
    }
    limits = size_subaccount(value, lev, markets)
    notional_x_base = 0  # sum of |max position| * price, in QUOTE × BASE units
    for i, lim in limits.items():
        assert lim.max_position == -lim.min_position >= 0
        assert lim.max_position % steps[i] == 0
        notional_x_base += lim.max_position * prices[i]
    # Σ notional <= leverage × value (exact, scaled by BASE × LEVERAGE_PRECISION)
    assert notional_x_base * LEVERAGE_PRECISION <= max(value, 0) * lev * BASE
