"""Pre-trade risk: position bounds, oracle validity, volatility filter, kill switch."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jitmaker.accounts.enums import MarketStatus, MarketType, PositionDirection
from jitmaker.errors import ConfigError
from jitmaker.risk import (
    MAX_BLIND_SENDS,
    HaltReason,
    KillSwitch,
    KillSwitchConfig,
    OracleLimits,
    RiskConfig,
    RiskGate,
    RiskReason,
    TradingState,
    VolatilityFilter,
    check_oracle,
    check_position_limits,
    projected_position,
)
from jitmaker.strategies import Attempt, AttemptTag, OutcomeKind, PositionLimits, PriceType, Quote

from .strategies.helpers import ORACLE, market

LONG, SHORT = PositionDirection.LONG, PositionDirection.SHORT
MIN_ORDER = 10_000_000
SOL = 10**9


def attempt(direction: PositionDirection, max_position: int, min_position: int) -> Attempt:
    return Attempt(
        taker="t",
        taker_order_id=1,
        market_type=MarketType.PERP,
        market_index=0,
        maker_direction=direction,
        bid=ORACLE - 100,
        ask=ORACLE + 100,
        price_type=PriceType.LIMIT,
        max_position=max_position,
        min_position=min_position,
        slot=1000,
        tag=AttemptTag.SHOTGUN,
        attempt_no=1,
        quote=Quote(ORACLE - 100, ORACLE + 100, ORACLE),
        taker_price=ORACLE,
    )


# ---- position limits ----


def test_projection_mirrors_jit_proxy_sizing() -> None:
    # protocol §4.8 #18: maker short, +1.2 SOL, min −3 SOL, taker 5 SOL → trades 4.2 SOL
    assert (
        projected_position(SHORT, 12 * SOL // 10, 5 * SOL, -3 * SOL, 5 * SOL, MIN_ORDER) == -3 * SOL
    )
    # #22: room 0.005 <= min order 0.01 → PositionLimitBreached
    assert projected_position(LONG, 995_000_000, SOL, -SOL, SOL, MIN_ORDER) is None
    # a small taker limits the size
    assert projected_position(LONG, 0, 5 * SOL, -5 * SOL, SOL, MIN_ORDER) == SOL


def test_attempt_bounds_wider_than_limits_are_refused() -> None:
    limits = PositionLimits(5 * SOL, -5 * SOL)
    verdict = check_position_limits(attempt(LONG, 6 * SOL, -5 * SOL), 0, limits, MIN_ORDER)
    assert verdict.reason is RiskReason.LIMITS_TOO_WIDE
    assert check_position_limits(attempt(LONG, 5 * SOL, -5 * SOL), 0, limits, MIN_ORDER).ok


def test_over_limit_position_may_only_shrink() -> None:
    limits = PositionLimits(5 * SOL, -5 * SOL)  # limits shrank; we hold +8
    grow = check_position_limits(attempt(LONG, 5 * SOL, -5 * SOL), 8 * SOL, limits, MIN_ORDER)
    assert grow.reason is RiskReason.POSITION_LIMIT
    shrink = check_position_limits(
        attempt(SHORT, 5 * SOL, -5 * SOL), 8 * SOL, limits, MIN_ORDER, SOL
    )
    assert shrink.ok


@st.composite
def position_case(draw: st.DrawFn):
    cap = draw(st.integers(0, 100 * SOL))
    limits = PositionLimits(cap, -draw(st.integers(0, 100 * SOL)))
    lo, hi = limits.min_position - 10 * SOL, limits.max_position + 10 * SOL
    att_max = draw(st.integers(0, hi))
    att_min = draw(st.integers(lo, 0))
    existing = draw(st.integers(lo, hi))
    unfilled = draw(st.none() | st.integers(0, 200 * SOL))
    direction = draw(st.sampled_from([LONG, SHORT]))
    min_order = draw(st.sampled_from([1, MIN_ORDER]))
    return limits, attempt(direction, att_max, att_min), existing, unfilled, min_order


def _outside(position: int, limits: PositionLimits) -> int:
    return max(position - limits.max_position, limits.min_position - position, 0)


@settings(max_examples=1000)
@given(position_case())
def test_approved_attempts_never_leave_or_widen_limits(case) -> None:
    limits, att, existing, unfilled, min_order = case
    verdict = check_position_limits(att, existing, limits, min_order, unfilled)
    if not verdict.ok:
        return
    projected = projected_position(
        att.maker_direction, existing, att.max_position, att.min_position, unfilled, min_order
    )
    assert projected is not None
    # every partial fill lies between existing and projected: check both ends
    for end in (existing, projected):
        if _outside(existing, limits) == 0:
            assert limits.contains(end)
        else:
            assert _outside(end, limits) <= _outside(existing, limits)
            assert not (existing > limits.max_position and end < limits.min_position)
            assert not (existing < limits.min_position and end > limits.max_position)


@settings(max_examples=200)
@given(
    cap=st.integers(MIN_ORDER, 50 * SOL),
    takers=st.lists(
        st.tuples(st.sampled_from([LONG, SHORT]), st.integers(1, 30 * SOL), st.integers(0, 100)),
        min_size=1,
        max_size=40,
    ),
)
def test_sequence_of_landed_fills_stays_within_limits(cap, takers) -> None:
    """Attempts the gate approves, landing one after another with jit-proxy semantics."""
    limits = PositionLimits(cap, -cap)
    gate = RiskGate(RiskConfig(max_volatility_bps=None))
    m = market()
    position = approved = 0
    for direction, unfilled, fill_pct in takers:
        att = attempt(direction, limits.max_position, limits.min_position)
        if not gate.check(att, m, position, limits, 1000, unfilled).ok:
            continue
        approved += 1
        # on chain: size = min(room, max(unfilled, min order)); we trade some fraction of it
        room = cap - position if direction is LONG else position + cap
        assert room > MIN_ORDER
        size = min(room, max(unfilled, MIN_ORDER)) * fill_pct // 100
        position += size if direction is LONG else -size
        assert limits.contains(position)
    # not vacuous: from flat, a cap above the minimum order leaves room for the first taker
    assert approved > 0 or cap == MIN_ORDER


# ---- market status and oracle ----


def test_market_status_gates() -> None:
    gate = RiskGate(RiskConfig(max_volatility_bps=None))
    limits = PositionLimits(5 * SOL, -5 * SOL)
    buy = attempt(LONG, 5 * SOL, -5 * SOL)
    paused = gate.check(buy, market(status=MarketStatus.FILL_PAUSED), 0, limits, 1000)
    assert paused.reason is RiskReason.MARKET_STATUS
    reduce_only = market(status=MarketStatus.REDUCE_ONLY)
    assert gate.check(buy, reduce_only, 0, limits, 1000).reason is RiskReason.REDUCE_ONLY
    # short 2 SOL, buying at most 1 SOL reduces it
    assert gate.check(buy, reduce_only, -2 * SOL, limits, 1000, SOL).ok
    # buying up to 5 SOL could flip the position: refused
    assert gate.check(buy, reduce_only, -2 * SOL, limits, 1000, 5 * SOL).reason is (
        RiskReason.REDUCE_ONLY
    )


def test_oracle_staleness_and_confidence() -> None:
    limits = OracleLimits(max_staleness_slots=10, max_conf_bps=50)
    assert check_oracle(market(oracle_slot=990), 1000, limits).ok
    assert check_oracle(market(oracle_slot=989), 1000, limits).reason is RiskReason.ORACLE_STALE
    # 50 bps of 150 = 0.75: exactly at the bound is fine, one more is not
    assert check_oracle(market(oracle_conf=750_000), 1000, limits).ok
    wide = check_oracle(market(oracle_conf=750_001), 1000, limits)
    assert wide.reason is RiskReason.ORACLE_CONFIDENCE
    assert check_oracle(market(oracle_price=0), 1000, limits).reason is RiskReason.ORACLE_MISSING


# ---- volatility ----


def test_volatility_filter_window_and_threshold() -> None:
    f = VolatilityFilter(window_slots=10, max_move_bps=100)
    f.observe(100, 100_000_000)
    f.observe(105, 101_000_000)  # +100 bps: at the threshold, still calm
    assert f.move_bps(105) == 100 and f.check(105).ok
    f.observe(106, 101_010_000)
    assert f.check(106).reason is RiskReason.VOLATILE
    assert f.check(117).ok  # the spike left the window
    f.observe(50, 1)  # out of order: ignored
    assert f.move_bps(106) == 101


def test_volatility_memory_is_bounded() -> None:
    f = VolatilityFilter(window_slots=10**9, max_move_bps=100, max_samples=64)
    for s in range(10_000):
        f.observe(s, 100 + s % 3)
    assert len(f) == 64


def test_gate_uses_per_market_volatility() -> None:
    gate = RiskGate(RiskConfig(volatility_window_slots=10, max_volatility_bps=50))
    sol, btc = market(), market(market_index=1)
    gate.observe_oracle(sol.key, 990, ORACLE)
    gate.observe_oracle(sol.key, 995, ORACLE * 101 // 100)  # +100 bps
    gate.observe_oracle(btc.key, 995, ORACLE)
    limits = PositionLimits(5 * SOL, -5 * SOL)
    buy = attempt(LONG, 5 * SOL, -5 * SOL)
    assert gate.check(buy, sol, 0, limits, 1000).reason is RiskReason.VOLATILE
    assert gate.check(buy, btc, 0, limits, 1000).ok


# ---- kill switch ----


def test_kill_switch_max_loss_and_drawdown() -> None:
    ks = KillSwitch(KillSwitchConfig(max_loss_quote=100, max_drawdown_quote=300))
    assert ks.record_pnl(-100, 1) == [] and ks.allows_new_attempts
    (event,) = ks.record_pnl(-101, 2)
    assert (event.previous, event.state, event.reason) == (
        TradingState.RUNNING,
        TradingState.HALTED,
        HaltReason.MAX_LOSS,
    )
    assert not ks.allows_new_attempts
    assert ks.record_pnl(-500, 3) == []  # already halted: no duplicate event
    (back,) = ks.reset(4)
    assert back.state is TradingState.RUNNING and back.reason is HaltReason.RESET
    ks.record_pnl(1_000, 5)
    (dd,) = ks.record_pnl(699, 6)  # 301 below the peak
    assert dd.reason is HaltReason.DRAWDOWN


def test_kill_switch_consecutive_failures_reset_by_landing() -> None:
    ks = KillSwitch(KillSwitchConfig(max_consecutive_failures=3, max_unknown_errors=None))
    for slot in range(2):
        assert ks.record_outcome(OutcomeKind.BLOCKHASH_EXPIRED, slot) == []
    assert ks.record_outcome(OutcomeKind.NO_FILL, 2) == []  # landed: streak over
    assert ks.record_outcome(OutcomeKind.EXPIRED, 3) == []  # neutral
    assert ks.record_outcome(OutcomeKind.TIMEOUT, 4) == []
    assert ks.record_outcome(OutcomeKind.RATE_LIMITED, 5) == []
    (event,) = ks.record_outcome(OutcomeKind.TIMEOUT, 6)
    assert event.reason is HaltReason.CONSECUTIVE_FAILURES and event.slot == 6


def test_kill_switch_caps_blind_sends_below_its_failure_streak() -> None:
    ks = KillSwitch(KillSwitchConfig(max_consecutive_failures=8, max_unknown_errors=None))
    assert ks.blind_cap == 6
    ks.record_outcome(OutcomeKind.FILLED, 1, sent=10.0)
    assert not ks.blind_cap_reached([15.0, 14.0, 13.0, 12.0, 11.0, 10.0, 9.0])  # 5 blind
    assert ks.blind_cap_reached([16.0, 15.0, 14.0, 13.0, 12.0, 11.0])  # 6 blind
    ks.record_outcome(OutcomeKind.FILLED, 2, sent=13.0)  # releases everything sent before
    assert not ks.blind_cap_reached([16.0, 15.0, 14.0, 13.0, 12.0, 11.0])
    assert ks.blind_cap_reached([float(s) for s in range(30, 24, -1)])
    assert KillSwitch(KillSwitchConfig(max_consecutive_failures=1)).blind_cap == 1
    off = KillSwitch(KillSwitchConfig(max_consecutive_failures=None))
    assert off.blind_cap == MAX_BLIND_SENDS
    assert KillSwitch(KillSwitchConfig(max_consecutive_failures=1000)).blind_cap == MAX_BLIND_SENDS


def test_kill_switch_unknown_errors_in_window() -> None:
    ks = KillSwitch(
        KillSwitchConfig(
            max_consecutive_failures=None, max_unknown_errors=3, unknown_error_window_slots=100
        )
    )
    assert ks.record_outcome(OutcomeKind.UNKNOWN, 0) == []
    assert ks.record_outcome(OutcomeKind.UNKNOWN, 50) == []
    assert ks.record_outcome(OutcomeKind.UNKNOWN, 100) == []  # slot 0 left the window
    (event,) = ks.record_outcome(OutcomeKind.UNKNOWN, 149)
    assert event.reason is HaltReason.UNKNOWN_ERRORS
    assert ks.state is TradingState.HALTED and ks.reason is HaltReason.UNKNOWN_ERRORS


def test_manual_halt_blocks_the_gate_until_reset() -> None:
    gate = RiskGate(RiskConfig(max_volatility_bps=None))
    limits = PositionLimits(5 * SOL, -5 * SOL)
    buy = attempt(LONG, 5 * SOL, -5 * SOL)
    (event,) = gate.kill_switch.halt(7)
    assert event.reason is HaltReason.MANUAL
    verdict = gate.check(buy, market(), 0, limits, 1000)
    assert verdict.reason is RiskReason.HALTED and verdict.detail == "manual"
    gate.kill_switch.reset(8)
    assert gate.check(buy, market(), 0, limits, 1000).ok
    assert [e.state for e in gate.kill_switch.events] == [TradingState.HALTED, TradingState.RUNNING]


def test_risk_config_from_mapping() -> None:
    cfg = RiskConfig.from_mapping(
        {"max_oracle_staleness_slots": 5, "max_volatility_bps": None, "max_loss_quote": 10**9}
    )
    assert cfg.oracle.max_staleness_slots == 5 and cfg.max_volatility_bps is None
    assert cfg.kill_switch.max_loss_quote == 10**9
    for bad in ({"bogus": 1}, {"max_oracle_conf_bps": -1}, {"max_unknown_errors": "3"}):
        with pytest.raises(ConfigError) as err:
            RiskConfig.from_mapping(bad)
        assert err.value.path.startswith("risk.")


def test_gate_from_daemon_config_and_engine_hooks() -> None:
    from types import SimpleNamespace

    config = SimpleNamespace(
        oracle_max_staleness_slots=25,
        oracle_max_confidence_bps=100,
        volatility_window_slots=50,
        volatility_max_bps=300,
        kill_switch=SimpleNamespace(
            max_drawdown_quote=0,  # 0 disables
            max_consecutive_failures=2,
            max_unknown_errors=0,
            unknown_error_window_slots=150,
        ),
    )
    gate = RiskGate.from_config(config)
    assert gate.config.oracle == OracleLimits(25, 100)
    assert gate.config.kill_switch.max_drawdown_quote is None
    assert gate.config.kill_switch.max_unknown_errors is None
    assert gate.on_outcome(OutcomeKind.TIMEOUT, 1) is None and not gate.halted
    event = gate.on_outcome(OutcomeKind.TIMEOUT, 2)
    assert event is not None and event.reason is HaltReason.CONSECUTIVE_FAILURES and gate.halted
