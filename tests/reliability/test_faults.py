"""The real engine against the simulator under faults, judged on the simulator's ground truth.

One mixed run (every fault kind twice: socket drops, silent stalls, delayed frames, 429
bursts, early-expiring blockhashes, corrupted payloads) is shared by the first tests; the
others each provoke one failure the mixed run cannot: a kill-switch halt, subscriptions the
server drops without a word, and a dead primary RPC endpoint. ``bench/soak.py`` runs the long
version of the mixed run.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from bench.soak import (
    CAP_BASE,
    FAULT_KINDS,
    our_fills_truth,
    run_faults,
    start_bot,
    verdict,
)

from jitmaker.engine.core import HAS_OPEN_ORDER_OFFSET

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mixed() -> dict:
    # 12 faults (each kind twice) in ~55 s at 40 ms slots, then a quiet tail in which every
    # transaction resolves (blockhashes expire after 150 blocks = 6 s)
    return asyncio.run(run_faults(duration_s=50, n_faults=12, slot_ms=40, seed=7))


def test_mixed_run_meets_every_done_when_property(mixed):
    assert verdict(mixed) == [], mixed


def test_every_fault_kind_injected_and_recovered(mixed):
    by_kind = mixed["faults"]["by_kind"]
    for kind in FAULT_KINDS:
        assert by_kind[kind]["injected"] >= 2, by_kind
        assert by_kind[kind]["recovered"] == by_kind[kind]["injected"], (kind, by_kind[kind])
    assert mixed["state_before_stop"] == "running"
    assert mixed["engine"]["halts"] == []


def test_every_fill_the_simulator_recorded_is_counted_exactly_once(mixed):
    assert mixed["fills"]["truth"] > 0, mixed["fills"]
    assert mixed["fills"]["bot"] == mixed["fills"]["truth"]


def test_positions_match_truth_and_never_pass_the_cap(mixed):
    pos = mixed["positions"]
    assert pos["bot"] == pos["truth"]
    # the path rebuilt from every recorded fill ends where the ledger is, so it is complete
    assert pos["rebuilt_from_fills"] == pos["truth"]
    assert mixed["limit_breaches"] == {"bot": 0, "truth": 0}
    assert pos["truth"], pos  # fills left positions to hold against the cap
    assert all(abs(v) <= CAP_BASE * 10**9 for v in pos["truth"].values())


def test_socket_faults_make_the_engine_stale_and_nothing_is_signed_meanwhile(mixed):
    socket = [r for r in mixed["records"] if r["kind"] in ("drop_ws", "stall_ws")]
    assert socket and all(r["saw_stale"] for r in socket), socket
    assert mixed["sends_while_stale"] == {"bot": 0, "truth": 0}, mixed["stale_sends_truth"]
    assert mixed["engine"]["refused_stale"] + mixed["engine"]["stale_episodes"] > 0


def test_reconnects_resnapshot_and_corrupt_payloads_are_counted_not_fatal(mixed):
    engine = mixed["engine"]
    assert engine["reconnects"] + engine["ws_replacements"] >= 2, engine
    assert engine["resyncs"] >= 2, engine
    assert sum(engine["corrupt_payloads"].values()) >= 1, engine


# ------------------------------------------------------------------ single failures


async def _stop(sim, engine, task) -> dict:
    engine.stop("test done")
    try:
        return await task
    finally:
        await sim.stop()


async def test_drawdown_kill_switch_halts_visibly_and_stops_sending():
    halted_at: list[float] = []

    def tune(engine, _sim):
        real = engine.halt

        def halt(reason: str) -> None:
            halted_at.append(time.monotonic())
            real(reason)

        engine.halt = halt

    # a 1-micro-USDC drawdown trips as soon as a position marks down
    sim, engine, _kp, task = await start_bot(
        seed=41,
        slot_ms=40,
        jit={"killSwitch": {"maxDrawdownUsdc": "0.000001"}},
        metrics=True,
        tune=tune,
    )
    try:
        for _ in range(300):
            if halted_at:
                break
            await asyncio.sleep(0.05)
        assert halted_at, engine.summary()
        await asyncio.sleep(2.0)  # auctions keep coming; none may be answered
        port = engine.health.bound_port
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/readyz") as resp:
                ready_status, ready = resp.status, await resp.json()
            async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
                metrics = await resp.text()
        after = [t for t in engine.sent_at.values() if t > halted_at[0]]
    finally:
        summary = await _stop(sim, engine, task)
    assert ready_status == 503 and ready["state"] == "halted", ready
    assert "drawdown" in ready["halt_reason"]
    assert 'jitmaker_state{state="halted"} 1.0' in metrics
    assert "jitmaker_halted 1.0" in metrics
    assert summary["halts"] and "drawdown" in summary["halts"][0]["reason"]
    assert summary["auctions_seen"] > 0
    assert after == []


async def test_silently_dropped_subscriptions_are_caught_by_reconciliation():
    from jitmaker.accounts import MarketType

    def tune(engine, _sim):
        engine.resync_interval_s = 2.0

    sim, engine, keypair, task = await start_bot(seed=43, slot_ms=40, tune=tune)
    keys = [(MarketType.PERP, i) for i in range(3)]
    own = str(engine.our_users[0])

    def own_notifications() -> int:
        states = engine.subs.feed_states()
        return sum(st.notifications for key, st in states.items() if own in key)

    try:
        await asyncio.sleep(1.0)
        # the server forgets our own-account and order-book subscriptions; the socket, the
        # slot feed and the auction feed carry on, so silence proves nothing
        pubsub = sim.pubsub
        dropped = 0
        for sub in list(pubsub.accounts.get(engine.our_users[0], {}).values()):
            pubsub._remove(sub)
            dropped += 1
        for sub in list(pubsub.programs.get(engine._drift, {}).values()):
            if any(f.offset == HAS_OPEN_ORDER_OFFSET for f in sub.filters):  # the book feed
                pubsub._remove(sub)
                dropped += 1
        assert dropped == 2
        # frames the server queued before the drop may still be on their way (a loaded
        # machine delays them): let them arrive before the silence is measured
        await asyncio.sleep(1.0)
        heard, at_drop = own_notifications(), [engine._position(k) for k in keys]
        await asyncio.sleep(8.0)
        heard_after, later = own_notifications(), [engine._position(k) for k in keys]
        repairs, missing = engine.counters.own_account_repairs, engine.counters.missing_orders
    finally:
        summary = await _stop(sim, engine, task)
    truth_fills, truth_positions = our_fills_truth(sim.report(), str(keypair.pubkey()))
    assert truth_fills > 0
    assert heard_after == heard  # the feed really went quiet
    assert later != at_drop and repairs > 0  # RPC reads kept our position moving
    assert missing > 0  # book snapshots found orders the feed never told us about
    bot = {int(k.split("-")[1]): m["position_base"] for k, m in summary["markets"].items()}
    assert {m: bot.get(m, 0) for m in truth_positions} == truth_positions
    assert summary["fills"] == truth_fills


def _dead_port() -> int:
    import socket

    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_dead_primary_endpoints_fail_over_and_keep_trading():
    dead_http, dead_ws = f"http://127.0.0.1:{_dead_port()}", f"ws://127.0.0.1:{_dead_port()}"
    sim, engine, keypair, task = await start_bot(
        seed=44, slot_ms=40, dead_primary=dead_http, dead_ws=dead_ws
    )
    try:
        await asyncio.sleep(4.0)
        health = engine.rpc.health()
        ws_index = engine._ws_index
    finally:
        summary = await _stop(sim, engine, task)
    truth_fills, _ = our_fills_truth(sim.report(), str(keypair.pubkey()))
    assert health[0].failures > 0 and health[1].ok > 0, health
    assert ws_index == 1  # the websocket moved to the endpoint derived from the failover URL
    assert truth_fills > 0
    assert summary["fills"] == truth_fills
