"""The kill switch's "N failures in a row" is in send order, not in the order outcomes arrive.

Why: a dropped transaction is known to have failed only once its blockhash expires (~150
blocks after it was sent), and after a status outage (429s on getSignatureStatuses) every
pending one resolves in the same poll, landed ones first. Under load, the mixed fault run
(tests/reliability/test_faults.py) saw 69 expiries of transactions sent at the same time as
transactions that had landed arrive together, and the engine halted on "50 consecutive
failures" although no 50 attempts in a row had failed; the harness then waited 30 s for each
remaining fault's recovery until pytest-timeout killed it.
"""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

from solders.keypair import Keypair

from jitmaker.chain.rpctypes import Commitment
from jitmaker.chain.sender import Expired, Landed
from jitmaker.config import parse_config
from jitmaker.engine import Engine, EngineState
from jitmaker.risk import KillSwitch, KillSwitchConfig, RiskGate
from jitmaker.strategies.commands import OutcomeKind

LIMIT = 5


class _Flights:
    """Stands in for the executor: what each signature was, and when it was sent."""

    def __init__(self) -> None:
        self.sent_at: dict[str, float] = {}

    def on_outcome(self, signature: str, *_args, **_kw) -> SimpleNamespace | None:
        sent = self.sent_at.pop(signature, None)
        return None if sent is None else SimpleNamespace(sent_at=sent)


def _engine(with_risk: bool = True) -> tuple[Engine, _Flights]:
    keypair = Keypair.from_seed(hashlib.sha256(b"jitmaker-test/streak").digest())
    raw = {
        "global": {
            "endpoint": "http://127.0.0.1:9",
            "keeperPrivateKey": list(bytes(keypair)),
            "disableMetrics": True,
        },
        "botConfigs": {
            "jitMaker": {
                "marketIndexes": [0],
                "subaccounts": [0],
                "targetLeverage": 1,
                "killSwitch": {"maxConsecutiveFailures": LIMIT},
            }
        },
    }
    config = parse_config(raw, env={})
    risk = RiskGate.from_config(config) if with_risk else None
    engine = Engine(config, keypair, http_url="http://127.0.0.1:9", risk=risk)
    flights = _Flights()
    engine.executor = flights
    engine.state = EngineState.RUNNING
    return engine, flights


def _landed(sig: str) -> Landed:
    return Landed(sig, 100, Commitment.CONFIRMED)


def _expired(sig: str) -> Expired:
    return Expired(sig, 150, 151)


def test_expiries_arriving_after_later_sends_landed_do_not_halt_the_engine():
    engine, flights = _engine()
    # 4 * LIMIT attempts sent 10 ms apart: every other one dropped by the node
    sigs = [f"sig{i}" for i in range(4 * LIMIT)]
    for i, sig in enumerate(sigs):
        flights.sent_at[sig] = 1000.0 + i / 100
    dropped = sigs[1::2]
    assert len(dropped) > LIMIT
    for sig in sigs[0::2]:  # the landed ones are confirmed within a poll or two
        engine._on_tx_outcome(_landed(sig))
    for sig in dropped:  # the dropped ones all expire together, much later
        engine._on_tx_outcome(_expired(sig))
    assert engine.state == EngineState.RUNNING, engine.halt_reason
    assert engine.counters.halts == []
    # the only failure sent after the last landed attempt is the last one
    assert engine.risk.kill_switch.consecutive_failures == 1


def test_failures_sent_after_the_last_landed_attempt_halt_whatever_order_they_arrive_in():
    engine, flights = _engine()
    sigs = [f"sig{i}" for i in range(LIMIT + 1)]
    for i, sig in enumerate(sigs):
        flights.sent_at[sig] = 1000.0 + i
    for sig in sigs[1:LIMIT]:  # later sends fail first
        engine._on_tx_outcome(_expired(sig))
    engine._on_tx_outcome(_landed(sigs[0]))  # an earlier send lands late: no streak reset
    assert engine.state == EngineState.RUNNING
    engine._on_tx_outcome(_expired(sigs[LIMIT]))
    assert engine.state == EngineState.HALTED
    assert "consecutive_failures" in engine.halt_reason
    assert len(engine.counters.halts) == 1


def test_kill_switch_without_send_order_keeps_arrival_order():
    ks = KillSwitch(KillSwitchConfig(max_consecutive_failures=3, max_unknown_errors=None))
    ks.record_outcome(OutcomeKind.TIMEOUT, 1)
    ks.record_outcome(OutcomeKind.TIMEOUT, 2)
    ks.record_outcome(OutcomeKind.FILLED, 3)
    assert ks.consecutive_failures == 0
    ks.record_outcome(OutcomeKind.TIMEOUT, 4)
    ks.record_outcome(OutcomeKind.TIMEOUT, 5)
    (event,) = ks.record_outcome(OutcomeKind.BLOCKHASH_EXPIRED, 6)
    assert event.detail == "3 consecutive failures"
    assert len(ks.reset(7)) == 1
    assert ks.consecutive_failures == 0 and ks.allows_new_attempts


def test_sends_nobody_has_answered_are_capped_below_the_failure_streak():
    # a node that silently drops everything (a forgotten blockhash) answers no send until the
    # blockhash expires; at tens of attempts a second the bot must stop adding blind sends
    # before they are enough to halt it on their own
    from collections import OrderedDict

    from jitmaker.engine.executor import RefusedReason

    engine, flights = _engine()
    now = 1000.0
    engine.clock = lambda: now
    in_flight: OrderedDict[str, SimpleNamespace] = OrderedDict()
    flights.in_flight = in_flight

    def send(sig: str, at: float) -> None:
        in_flight[sig] = SimpleNamespace(sent_at=at)
        flights.sent_at[sig] = at

    def resolve(outcome) -> None:
        in_flight.pop(outcome.signature, None)
        engine._on_tx_outcome(outcome)

    send("ok", now - 0.5)
    resolve(_landed("ok"))
    sent = 0
    while engine._can_trade() is None and sent < 10 * LIMIT:
        send(f"blind{sent}", now - 0.4 + sent / 1000)  # none old enough for the age rule
        sent += 1
    assert engine._can_trade() is RefusedReason.UNCONFIRMED
    assert sent < LIMIT
    for i in range(sent):  # all of them dropped: a streak, but not a halt
        resolve(_expired(f"blind{i}"))
    assert engine.state == EngineState.RUNNING, engine.halt_reason
    assert engine._can_trade() is None  # nothing blind in flight: sending resumes
    # a send that lands releases the cap for everything sent before it
    for i in range(sent):
        send(f"again{i}", now - 0.2 + i / 1000)
    assert engine._can_trade() is RefusedReason.UNCONFIRMED
    send("newest", now - 0.1)
    resolve(_landed("newest"))
    assert engine._can_trade() is None


def test_without_a_risk_gate_blind_sends_are_still_capped():
    # the send order is then kept by a kill switch with every trigger off: no halt, the
    # MAX_BLIND_SENDS cap still bounds what a silent node can swallow
    from collections import OrderedDict

    from jitmaker.engine.executor import RefusedReason
    from jitmaker.risk import MAX_BLIND_SENDS

    engine, flights = _engine(with_risk=False)
    assert engine.risk is None
    now = 1000.0
    engine.clock = lambda: now
    in_flight: OrderedDict[str, SimpleNamespace] = OrderedDict()
    flights.in_flight = in_flight
    sent = 0
    while engine._can_trade() is None and sent < 2 * MAX_BLIND_SENDS:
        in_flight[f"blind{sent}"] = SimpleNamespace(sent_at=now - 0.5 + sent / 10_000)
        flights.sent_at[f"blind{sent}"] = now - 0.5 + sent / 10_000
        sent += 1
    assert sent == MAX_BLIND_SENDS
    assert engine._can_trade() is RefusedReason.UNCONFIRMED
    flights.sent_at["newest"] = now - 0.1
    engine._on_tx_outcome(_landed("newest"))
    assert engine._can_trade() is None
    for i in range(sent):  # all dropped: never a halt without a risk gate
        in_flight.pop(f"blind{i}")
        engine._on_tx_outcome(_expired(f"blind{i}"))
    assert engine.state == EngineState.RUNNING
