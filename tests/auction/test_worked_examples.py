"""protocol.md §4.8 worked examples #1–#16 (auction and limit-price math), one test each."""

from __future__ import annotations

import pytest

from jitmaker.accounts.enums import OrderBitFlag, OrderType, PositionDirection
from jitmaker.accounts.order import Order
from jitmaker.auction import (
    auction_price,
    calculate_auction_prices,
    has_auction_price,
    is_auction_complete,
    limit_price,
    standardize_price_i64,
)

LONG, SHORT = PositionDirection.LONG, PositionDirection.SHORT
TICK = 100
ORACLE = 150_123_456


def market(direction: PositionDirection, start: int, end: int, **kw: int) -> Order:
    fields = dict(
        order_type=OrderType.MARKET,
        direction=direction,
        auction_start_price=start,
        auction_end_price=end,
        auction_duration=7,
        slot=1000,
        status=1,
    )
    fields.update(kw)
    return Order.new(**fields)


EX1 = market(LONG, 150_000_000, 150_751_000)


def test_ex1_fixed_market_long_mid_auction() -> None:
    assert auction_price(EX1, 1003, ORACLE, TICK) == 150_321_800


def test_ex2_fixed_market_short_mid_auction() -> None:
    order = market(SHORT, 150_751_000, 150_000_000)
    assert auction_price(order, 1003, ORACLE, TICK) == 150_429_200


def test_ex3_first_slot_is_start_price() -> None:
    assert auction_price(EX1, 1000, ORACLE, TICK) == 150_000_000


def test_ex4_last_live_slot_is_end_price_and_still_live() -> None:
    assert auction_price(EX1, 1007, ORACLE, TICK) == 150_751_000
    assert not is_auction_complete(EX1, 1007)
    assert limit_price(EX1, 1007, ORACLE, TICK) == 150_751_000


def test_ex5_after_auction_limit_is_stored_price_or_none() -> None:
    with_price = EX1.replace(price=151_000_000)
    assert is_auction_complete(with_price, 1008)
    assert not has_auction_price(with_price, 1008)
    assert limit_price(with_price, 1008, ORACLE, TICK) == 151_000_000
    assert limit_price(EX1, 1008, ORACLE, TICK) is None


def test_ex6_auction_function_clamps_elapsed_to_duration() -> None:
    assert auction_price(EX1, 1050, ORACLE, TICK) == 150_751_000


def oracle_order(direction: PositionDirection, start: int, end: int, dur: int, **kw: int) -> Order:
    fields = dict(
        order_type=OrderType.ORACLE,
        direction=direction,
        auction_start_price=start,
        auction_end_price=end,
        auction_duration=dur,
        slot=2000,
        status=1,
    )
    fields.update(kw)
    return Order.new(**fields)


def test_ex7_oracle_long() -> None:
    order = oracle_order(LONG, -150_000, 300_000, 10)
    assert auction_price(order, 2003, ORACLE, TICK) == 150_108_400


def test_ex8_oracle_short() -> None:
    order = oracle_order(SHORT, 200_000, -250_000, 12)
    assert auction_price(order, 2005, ORACLE, TICK) == 150_136_000


def test_ex9_oracle_short_later_slot() -> None:
    order = oracle_order(SHORT, 200_000, -250_000, 12)
    assert auction_price(order, 2007, ORACLE, TICK) == 150_061_000


def test_ex10_oracle_offset_price_floored_at_one_tick() -> None:
    order = oracle_order(LONG, -45, -30, 10)
    assert auction_price(order, 2000, 50, 10) == 10


PEGGED = Order.new(
    order_type=OrderType.LIMIT,
    direction=LONG,
    oracle_price_offset=100_000,
    auction_start_price=-200_000,
    auction_end_price=100_000,
    auction_duration=15,
    slot=3000,
    status=1,
)


def test_ex11_oracle_pegged_limit_long() -> None:
    assert auction_price(PEGGED, 3004, ORACLE, TICK) == 150_003_400


def test_ex11b_pegged_limit_last_live_slot_and_after() -> None:
    assert has_auction_price(PEGGED, 3015)
    assert auction_price(PEGGED, 3015, ORACLE, TICK) == 150_223_400
    assert limit_price(PEGGED, 3015, ORACLE, TICK) == 150_223_400
    assert not has_auction_price(PEGGED, 3016)
    assert limit_price(PEGGED, 3016, ORACLE, TICK) == 150_223_400


def test_ex12_triggered_trigger_limit_short_is_fixed() -> None:
    order = Order.new(
        order_type=OrderType.TRIGGER_LIMIT,
        direction=SHORT,
        auction_start_price=99_000_000,
        auction_end_price=98_505_000,
        auction_duration=10,
        slot=500,
        price=98_000_000,
    )
    assert auction_price(order, 503, ORACLE, 1_000) == 98_852_000
    # the oracle is not read by a fixed auction
    assert auction_price(order, 503, None, 1_000) == 98_852_000


def test_ex12_trigger_market_oracle_flag_switches_to_oracle_offset() -> None:
    fixed = Order.new(
        order_type=OrderType.TRIGGER_MARKET,
        direction=LONG,
        auction_start_price=-150_000,
        auction_end_price=300_000,
        auction_duration=10,
        slot=2000,
        bit_flags=OrderBitFlag.ORACLE_TRIGGER_MARKET,
    )
    # same numbers as example #7 once the OracleTriggerMarket flag makes them offsets
    assert auction_price(fixed, 2003, ORACLE, TICK) == 150_108_400


def test_ex13_duration_zero_has_no_auction_and_uses_stored_price() -> None:
    order = Order.new(
        order_type=OrderType.LIMIT, direction=LONG, price=149_000_000, slot=10, status=1
    )
    assert is_auction_complete(order, 10)
    assert not has_auction_price(order, 10)
    assert limit_price(order, 10, ORACLE, TICK) == 149_000_000


def test_ex14_calculate_auction_prices_long_below_oracle() -> None:
    assert calculate_auction_prices(ORACLE, LONG, 149_000_000) == (148_255_000, 149_000_000)


def test_ex15_calculate_auction_prices_short_market_then_standardized() -> None:
    start, end = calculate_auction_prices(ORACLE, SHORT, 0)
    assert (start, end) == (ORACLE, 149_372_839)
    assert standardize_price_i64(start, TICK, SHORT) == 150_123_500
    assert standardize_price_i64(end, TICK, SHORT) == 149_372_900


@pytest.mark.parametrize(("direction", "expected"), [(LONG, -150_100), (SHORT, -150_000)])
def test_ex16_standardize_price_i64_negative(direction: PositionDirection, expected: int) -> None:
    assert standardize_price_i64(-150_050, 100, direction) == expected
