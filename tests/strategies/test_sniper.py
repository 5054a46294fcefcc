"""Sniper: one shot at the first crossing slot (minus lead), bounded retries, never a miss-fire."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jitmaker.errors import ConfigError
from jitmaker.strategies import (
    AttemptOutcome,
    AttemptTag,
    OutcomeKind,
    PricingConfig,
    ReferenceSource,
    Skip,
    SkipReason,
)
from jitmaker.strategies.sniper import Sniper

from .helpers import (
    ORACLE,
    auction,
    crossing_slots,
    market,
    position,
    random_auction_case,
    taker_order,
)
from .test_shotgun import drive

ORACLE_PRICING = PricingConfig(reference=ReferenceSource.ORACLE, min_edge_bps=0)


@settings(max_examples=300)
@given(case=random_auction_case(), lead=st.integers(0, 5))
def test_single_shot_exactly_at_first_crossing_minus_lead_and_never_without_cross(
    case, lead
) -> None:
    order, m, cfg, arrival = case
    pos = position()
    sniper = Sniper(lead_slots=lead, max_retries=3, pricing=cfg)
    last = order.slot + order.auction_duration
    attempts, skips = drive(sniper, auction(order), m, pos, arrival, last + 3)  # no outcomes
    crosses = crossing_slots(order, m, cfg, pos)  # brute-force scan of auction_price
    if not crosses:
        assert attempts == []
        if order.auction_start_price or order.auction_end_price:  # else: no auction at all
            assert any(s.reason is SkipReason.NEVER_CROSSES for s in skips)
    else:
        expected = max(crosses[0] - lead, arrival, order.slot)
        assert [a.slot for a in attempts] == [expected]
        assert attempts[0].tag is AttemptTag.SNIPE


@settings(max_examples=200)
@given(case=random_auction_case(), lead=st.integers(0, 3), retries=st.integers(0, 4))
def test_retries_are_bounded_and_only_after_crossing(case, lead, retries) -> None:
    order, m, cfg, arrival = case
    pos = position()
    sniper = Sniper(lead_slots=lead, max_retries=retries, pricing=cfg)
    last = order.slot + order.auction_duration
    attempts, _ = drive(
        sniper, auction(order), m, pos, arrival, last + 3, outcome=lambda a: OutcomeKind.NOT_CROSSED
    )
    crosses = crossing_slots(order, m, cfg, pos)
    expected: list[int] = []
    if crosses:
        s = max(crosses[0] - lead, arrival, order.slot)
        while len(expected) < 1 + retries and s <= last:
            expected.append(s)
            s = max(s + 1, crosses[0])
    assert [a.slot for a in attempts] == expected
    assert all(a.tag is AttemptTag.RETRY for a in attempts[1:])


def test_worked_snipe_with_lead() -> None:
    # taker long 149.5 → 150.5 over 10 slots; ask 150.0001 first reached at slot 1006
    order, m, pos = taker_order(), market(), position()
    attempts, _ = drive(
        Sniper(lead_slots=2, pricing=ORACLE_PRICING), auction(order), m, pos, 1000, 1015
    )
    assert [a.slot for a in attempts] == [1004]
    assert attempts[0].taker_price == ORACLE - 100_000  # two slots early: not yet crossed locally


def test_never_fires_at_an_auction_that_never_reaches_our_price() -> None:
    order = taker_order(start=ORACLE - 500_000, end=ORACLE - 1)  # tops out below our ask
    attempts, skips = drive(
        Sniper(lead_slots=3, pricing=ORACLE_PRICING),
        auction(order),
        market(),
        position(),
        1000,
        1015,
    )
    assert attempts == []
    assert skips == [Skip("taker-A", 7, 1000, SkipReason.NEVER_CROSSES, "sniper")]


@pytest.mark.parametrize(
    "kind",
    [
        OutcomeKind.FILLED,
        OutcomeKind.TAKER_ORDER_NOT_FOUND,
        OutcomeKind.TIMEOUT,
        OutcomeKind.UNKNOWN,
    ],
)
def test_non_retryable_outcome_ends_the_auction(kind) -> None:
    attempts, _ = drive(
        Sniper(pricing=ORACLE_PRICING),
        auction(taker_order()),
        market(),
        position(),
        1000,
        1015,
        outcome=lambda a: kind,
    )
    assert [a.slot for a in attempts] == [1006]


@pytest.mark.parametrize(
    "kind", [OutcomeKind.NOT_CROSSED, OutcomeKind.NO_FILL, OutcomeKind.BLOCKHASH_EXPIRED]
)
def test_retryable_outcomes_retry_next_slot(kind) -> None:
    attempts, _ = drive(
        Sniper(max_retries=2, pricing=ORACLE_PRICING),
        auction(taker_order()),
        market(),
        position(),
        1000,
        1015,
        outcome=lambda a: kind,
    )
    assert [a.slot for a in attempts] == [1006, 1007, 1008]


def test_waits_for_outcome_and_ignores_stale_ones() -> None:
    sniper = Sniper(max_retries=5, pricing=ORACLE_PRICING)
    m, pos = market(), position()
    views = ({m.key: m}, {m.key: pos})
    assert sniper.on_auction(auction(taker_order()), m, pos, 1006)
    assert sniper.on_slot(1007, *views) == []  # pending: no second shot
    sniper.on_outcome(AttemptOutcome("taker-A", 7, 1003, OutcomeKind.NOT_CROSSED))  # stale
    assert sniper.on_slot(1008, *views) == []
    sniper.on_outcome(AttemptOutcome("taker-A", 7, 1006, OutcomeKind.NOT_CROSSED))
    retry = sniper.on_slot(1009, *views)
    assert len(retry) == 1 and retry[0].tag is AttemptTag.RETRY and retry[0].attempt_no == 2


def test_target_follows_the_market() -> None:
    # the quote tightens (oracle drops) while the auction runs: the snipe moves earlier
    sniper = Sniper(pricing=ORACLE_PRICING)
    order, pos = taker_order(), position()
    m0, m1 = market(), market(oracle_price=ORACLE - 300_000)
    assert sniper.on_auction(auction(order), m0, pos, 1000) == []
    assert sniper.on_slot(1001, {m0.key: m0}, {m0.key: pos}) == []
    # with ask 149.7001 the fixed auction (149.5 + 0.1/slot) crosses at slot 1003
    assert sniper.on_slot(1002, {m1.key: m1}, {m1.key: pos}) == []
    fired = sniper.on_slot(1003, {m1.key: m1}, {m1.key: pos})
    assert len(fired) == 1 and fired[0].slot == 1003


@pytest.mark.parametrize("options", [{"lead_slots": -1}, {"max_retries": 1.0}, {"budget": 3}])
def test_bad_options_are_config_errors(options) -> None:
    with pytest.raises(ConfigError):
        Sniper.from_options(options)
