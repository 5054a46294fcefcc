"""Properties of the auction path and of first_crossing_slot, over random valid orders."""

from __future__ import annotations

import itertools

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from jitmaker.accounts.order import Order
from jitmaker.auction import (
    MAX_PREDICTION_MARKET_PRICE,
    auction_price,
    auction_window,
    first_crossing_slot,
    has_auction_price,
    is_auction_complete,
    is_oracle_offset_auction,
    standardize_price,
    taker_crosses,
)
from tests.auction.strategies import auctioned_orders


def _path(order: Order, oracle: int, tick: int, pm: bool) -> list[int]:
    first, last = auction_window(order)
    return [auction_price(order, s, oracle, tick, pm) for s in range(first, last + 1)]


def _edge_price(order: Order, value: int, oracle: int, tick: int, pm: bool) -> int:
    """The program's price for a start/end value held constant (independent restatement)."""
    if is_oracle_offset_auction(order):
        price = max(oracle + value, tick)
        if pm:
            price = min(price, MAX_PREDICTION_MARKET_PRICE)
        return standardize_price(price, tick, order.direction)
    return standardize_price(value, tick, order.direction)


@settings(max_examples=300)
@given(auctioned_orders(min_duration=1))
def test_price_moves_monotonically_from_start_to_end(case: tuple) -> None:
    order, oracle, tick, pm = case
    path = _path(order, oracle, tick, pm)
    steps = list(itertools.pairwise(path))
    if order.direction == 0:
        assert all(a <= b for a, b in steps)
    else:
        assert all(a >= b for a, b in steps)
    assert path[0] == _edge_price(order, order.auction_start_price, oracle, tick, pm)
    assert path[-1] == _edge_price(order, order.auction_end_price, oracle, tick, pm)


@settings(max_examples=300)
@given(auctioned_orders(), st.integers(0, 10_000))
def test_end_price_from_the_last_slot_on(case: tuple, after: int) -> None:
    order, oracle, tick, pm = case
    last = order.slot + order.auction_duration
    end_price = _edge_price(order, order.auction_end_price, oracle, tick, pm)
    assert auction_price(order, last, oracle, tick, pm) == end_price
    assert auction_price(order, last + after, oracle, tick, pm) == end_price
    # duration 0 prices the end straight away, as the program does
    instant = order.replace(auction_duration=0)
    assert auction_price(instant, order.slot, oracle, tick, pm) == end_price


@settings(max_examples=200)
@given(auctioned_orders(), st.integers(1, 1_000))
def test_slot_before_the_order_prices_as_the_first_slot(case: tuple, before: int) -> None:
    order, oracle, tick, pm = case
    assume(order.slot >= before)
    assert auction_price(order, order.slot - before, oracle, tick, pm) == auction_price(
        order, order.slot, oracle, tick, pm
    )


@settings(max_examples=200)
@given(auctioned_orders(), st.integers(-5, 300))
def test_completion_flags_follow_the_window(case: tuple, k: int) -> None:
    order, *_ = case
    slot = order.slot + k
    window = auction_window(order)
    if window is None:
        assert order.auction_duration == 0 and is_auction_complete(order, slot)
        return
    live = slot <= window[1]
    assert is_auction_complete(order, slot) == (not live)
    has_prices = order.auction_start_price != 0 or order.auction_end_price != 0
    assert has_auction_price(order, slot) == (live and has_prices)


def _scan(
    order: Order, maker: int, oracle: int, tick: int, pm: bool, from_slot: int | None = None
) -> int | None:
    """Brute force: evaluate auction_price at every live slot."""
    window = auction_window(order)
    if window is None or (order.auction_start_price == 0 and order.auction_end_price == 0):
        return None
    first, last = window
    if from_slot is not None:
        first = max(first, from_slot)
    for slot in range(first, last + 1):
        if taker_crosses(order.direction, auction_price(order, slot, oracle, tick, pm), maker):
            return slot
    return None


@st.composite
def crossing_cases(draw: st.DrawFn) -> tuple:
    order, oracle, tick, pm = draw(auctioned_orders(max_duration=80))
    if order.auction_duration:
        path = _path(order, oracle, tick, pm)
        near = path[draw(st.integers(0, len(path) - 1))] + draw(st.integers(-2 * tick, 2 * tick))
    else:
        near = oracle
    choice = draw(st.integers(0, 9))
    if choice < 7:  # mostly near the path, where crossings land mid-auction
        maker = near
    elif choice < 9:
        maker = draw(st.sampled_from([oracle, 0, 1, tick, 10**13]))
    else:
        maker = draw(st.integers(-10, 10**12))
    return order, maker, oracle, tick, pm


@settings(max_examples=1000)
@given(crossing_cases())
def test_first_crossing_slot_agrees_with_a_scan(case: tuple) -> None:
    order, maker, oracle, tick, pm = case
    assert first_crossing_slot(order, maker, oracle, tick, pm) == _scan(
        order, maker, oracle, tick, pm
    )


@settings(max_examples=500)
@given(crossing_cases(), st.integers(-3, 90))
def test_first_crossing_slot_from_a_later_slot_agrees_with_a_scan(case: tuple, k: int) -> None:
    order, maker, oracle, tick, pm = case
    from_slot = order.slot + k
    assert first_crossing_slot(order, maker, oracle, tick, pm, from_slot=from_slot) == _scan(
        order, maker, oracle, tick, pm, from_slot
    )
