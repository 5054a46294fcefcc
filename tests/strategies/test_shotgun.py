"""Shotgun: once per slot from the first crossing slot, until fill, auction end or budget."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jitmaker.accounts.enums import MarketType, OrderStatus, PositionDirection
from jitmaker.errors import ConfigError
from jitmaker.strategies import (
    Attempt,
    AttemptOutcome,
    AttemptTag,
    OutcomeKind,
    PriceType,
    PricingConfig,
    ReferenceSource,
    Skip,
    SkipReason,
)
from jitmaker.strategies.shotgun import Shotgun

from .helpers import (
    ORACLE,
    auction,
    crossing_slots,
    market,
    position,
    random_auction_case,
    taker_order,
)

ORACLE_PRICING = PricingConfig(reference=ReferenceSource.ORACLE, min_edge_bps=0)


def drive(strategy, auc, m, pos, arrival: int, until: int, outcome=None):
    """on_auction at ``arrival``, then on_slot every slot to ``until``; ``outcome(attempt)``
    may return an OutcomeKind to report right after each attempt."""
    attempts: list[Attempt] = []
    skips: list[Skip] = []

    def take(commands) -> None:
        for c in commands:
            if isinstance(c, Attempt):
                attempts.append(c)
                if outcome is not None and (kind := outcome(c)) is not None:
                    strategy.on_outcome(AttemptOutcome(c.taker, c.taker_order_id, c.slot, kind))
            else:
                skips.append(c)

    take(strategy.on_auction(auc, m, pos, arrival))
    for s in range(arrival, until + 1):
        take(strategy.on_slot(s, {m.key: m}, {m.key: pos}))
    return attempts, skips


@settings(max_examples=250)
@given(case=random_auction_case(), budget=st.integers(1, 50))
def test_fires_once_per_slot_from_first_crossing_until_budget_or_end(case, budget) -> None:
    order, m, cfg, arrival = case
    pos = position()
    shotgun = Shotgun(max_attempts=budget, pricing=cfg)
    attempts, _ = drive(
        shotgun, auction(order), m, pos, arrival, order.slot + order.auction_duration + 3
    )
    expected = [s for s in crossing_slots(order, m, cfg, pos) if s >= arrival][:budget]
    assert [a.slot for a in attempts] == expected
    # crossing is monotone: once crossed, every later live slot is fired at (budget permitting)
    if expected:
        last = order.slot + order.auction_duration
        assert expected == list(range(expected[0], min(last, expected[0] + budget - 1) + 1))
    assert [a.attempt_no for a in attempts] == list(range(1, len(attempts) + 1))


def test_worked_long_taker_against_our_ask() -> None:
    # taker long 149.5 -> 150.5 over 10 slots (+0.1 a slot); our ask = oracle + one tick
    # (bid == ask == oracle at edge 0 is repaired to bid 150.0000 / ask 150.0001) → crosses at +6
    order = taker_order()
    pos = position()
    attempts, _ = drive(Shotgun(pricing=ORACLE_PRICING), auction(order), market(), pos, 1000, 1020)
    assert [a.slot for a in attempts] == list(range(1006, 1011))
    first = attempts[0]
    assert first.tag is AttemptTag.SHOTGUN and first.maker_direction is PositionDirection.SHORT
    assert (first.bid, first.ask) == (ORACLE, ORACLE + 100)  # bid==ask repaired by one tick
    assert (first.max_position, first.min_position) == (pos.max_position, pos.min_position)
    assert first.taker_price == ORACLE + 100_000 and first.price_type is PriceType.LIMIT


def test_stops_on_fill_taker_gone_and_position_limit_but_not_on_not_crossed() -> None:
    order = taker_order()
    for kind, expected in [
        (OutcomeKind.FILLED, [1006]),
        (OutcomeKind.TAKER_ORDER_NOT_FOUND, [1006]),
        (OutcomeKind.POSITION_LIMIT, [1006]),
        (OutcomeKind.NOT_CROSSED, list(range(1006, 1011))),
        (OutcomeKind.NO_FILL, list(range(1006, 1011))),
    ]:
        attempts, _ = drive(
            Shotgun(pricing=ORACLE_PRICING),
            auction(order),
            market(),
            position(),
            1000,
            1020,
            outcome=lambda a, k=kind: k if a.slot == 1006 else None,
        )
        assert [a.slot for a in attempts] == expected, kind


def test_dedupes_per_slot_across_entry_points() -> None:
    shotgun = Shotgun(pricing=ORACLE_PRICING)
    order, m, pos = taker_order(), market(), position()
    first = shotgun.on_auction(auction(order), m, pos, 1006)
    again = shotgun.on_auction(auction(order), m, pos, 1006)  # duplicate notification
    tick = shotgun.on_slot(1006, {m.key: m}, {m.key: pos})
    older = shotgun.on_slot(1005, {m.key: m}, {m.key: pos})  # out-of-order slot
    assert len(first) == 1 and again == [] and tick == [] and older == []
    assert len(shotgun.on_slot(1007, {m.key: m}, {m.key: pos})) == 1


def test_partial_fill_by_others_keeps_going_and_tiny_remainder_stops() -> None:
    shotgun = Shotgun(pricing=ORACLE_PRICING)
    m, pos = market(), position()
    assert len(shotgun.on_auction(auction(taker_order()), m, pos, 1006)) == 1
    half = taker_order(filled=10**9)
    assert len(shotgun.on_auction(auction(half), m, pos, 1007)) == 1
    updated = taker_order(filled=2 * 10**9 - 5_000_000)  # 0.005 left < min order 0.01
    out = shotgun.on_auction(auction(updated), m, pos, 1008)
    assert out == [Skip("taker-A", 7, 1008, SkipReason.ORDER_TOO_SMALL, "shotgun")]
    assert shotgun.on_slot(1009, {m.key: m}, {m.key: pos}) == []


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"is_self": True}, SkipReason.SELF_TRADE),
        ({"m": market(market_index=3)}, SkipReason.UNKNOWN_MARKET),
        ({"pos": position(base=10 * 10**9 - 5_000_000)}, None),  # room on the short side: fine
        ({"pos": position(base=-10 * 10**9 + 5_000_000)}, SkipReason.POSITION_LIMIT),
        ({"m": market(oracle_price=0)}, SkipReason.NO_REFERENCE_PRICE),
    ],
)
def test_skips_with_reasons(kwargs, reason) -> None:
    m = kwargs.get("m", market())
    pos = kwargs.get("pos", position())
    out = Shotgun(pricing=ORACLE_PRICING).on_auction(
        auction(taker_order(), is_self=kwargs.get("is_self", False)), m, pos, 1006
    )
    if reason is None:
        assert len(out) == 1 and isinstance(out[0], Attempt)
    else:
        assert out == [Skip("taker-A", 7, 1006, reason, "shotgun")]


def test_skip_is_emitted_once_per_reason() -> None:
    shotgun = Shotgun(pricing=ORACLE_PRICING)
    m, pos = market(), position(base=-10 * 10**9)
    assert len(shotgun.on_auction(auction(taker_order()), m, pos, 1006)) == 1
    assert shotgun.on_slot(1007, {m.key: m}, {m.key: pos}) == []


def test_closed_or_finished_orders_are_forgotten() -> None:
    shotgun = Shotgun(pricing=ORACLE_PRICING)
    m, pos = market(), position()
    shotgun.on_auction(auction(taker_order()), m, pos, 1001)
    assert shotgun.tracked_count == 1
    gone = taker_order(status=OrderStatus.CANCELED)
    assert shotgun.on_auction(auction(gone), m, pos, 1002) == []
    assert shotgun.tracked_count == 0
    assert shotgun.on_auction(auction(taker_order()), m, pos, 1011) == []  # auction over
    assert shotgun.tracked_count == 0


def test_memory_is_bounded_under_many_auctions() -> None:
    shotgun = Shotgun(pricing=ORACLE_PRICING, max_tracked_auctions=64)
    m, pos = market(), position()
    for i in range(5_000):
        order = taker_order(order_id=i, slot=1000 + i // 100)
        shotgun.on_auction(auction(order, taker=f"t{i % 37}"), m, pos, 1000 + i // 100)
        assert shotgun.tracked_count <= 64
    assert shotgun.tracked_count == 64  # the auctions were tracked, up to the bound
    shotgun.on_slot(1000 + 5_000 // 100 + 11, {m.key: m}, {m.key: pos})
    assert shotgun.tracked_count == 0  # every auction has ended


def test_oracle_price_type_attempt_carries_offsets() -> None:
    cfg = PricingConfig(
        reference=ReferenceSource.ORACLE, min_edge_bps=10, price_type=PriceType.ORACLE
    )
    order = taker_order(end=ORACLE + 1_000_000)
    attempts, _ = drive(Shotgun(pricing=cfg), auction(order), market(), position(), 1000, 1010)
    assert attempts and (attempts[0].bid, attempts[0].ask) == (-150_000, 150_000)
    assert attempts[0].quote.ask == ORACLE + 150_000


def test_per_market_pricing_override() -> None:
    spot = market(market_type=MarketType.SPOT, market_index=1)
    shotgun = Shotgun.from_options(
        {"pricing": {"reference": "oracle"}, "markets": {"spot:1": {"min_edge_bps": 50}}}
    )
    assert shotgun.pricing_for(spot.key).min_edge_bps == 50
    assert shotgun.pricing_for(spot.key).reference is ReferenceSource.ORACLE
    assert shotgun.pricing_for(market().key).min_edge_bps == 0


@pytest.mark.parametrize(
    "options",
    [{"max_attempts": 0}, {"max_attempts": "3"}, {"bogus": 1}, {"markets": {"perp": {}}}],
)
def test_bad_options_are_config_errors(options) -> None:
    with pytest.raises(ConfigError):
        Shotgun.from_options(options)
