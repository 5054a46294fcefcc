"""Reliability soak: the real engine against the simulator, under faults and for hours.

Two modes (``make soak`` runs the first):

* ``faults`` - an accelerated run (default 600 s of wall time at 100 ms slots, i.e. 40 minutes
  of chain time) with at least 30 mixed faults: socket drops (with refused reconnects), silent
  stalls, delayed notifications, 429 bursts, early-expiring blockhashes and corrupted account
  payloads. Each fault is switched on, held, switched off, and the time until the engine is
  RUNNING with every input fresh (and, after a socket fault, a new snapshot in) is measured.
  Judged against the simulator's ground truth: every fill it recorded for our maker counted
  by the bot exactly once, positions never beyond the cap, no new transaction received while
  the bot's inputs were stale, every fault recovered.
* ``memory`` - hours of chain time at fast slots with a light fault schedule. The simulator
  runs in a child process (``bench.soak_simproc``), so what is sampled is the bot's process
  alone (``bench.soak_probe``): RSS, malloc in use/free, allocated blocks, gc objects, tasks
  and the length of every map the engine holds, without tracemalloc unless ``--trace``. Flat
  means a least-squares slope per chain hour within tolerance over the second half.

Results go to ``bench/results/soak.json`` (faults) and ``bench/results/soak_memory.json``.

Usage: python -m bench.soak [--mode faults|memory|both] [--duration S] [--faults N]
       [--slot-ms MS] [--seed N] [--hours H] [--max-wall S] [--sample S] [--trace]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import json
import os
import random
import sys
import tempfile
import time
import tracemalloc
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
FAULT_KINDS = (
    "drop_ws",
    "stall_ws",
    "delay_ws",
    "rate_limit",
    "expire_blockhashes",
    "corrupt_account",
)
WS_FAULTS = frozenset({"drop_ws", "stall_ws", "delay_ws"})
STALE_BOUND_S = 2.0  # the promise: STALE within 2 s of the last frame
CAP_BASE = 3  # maxPositionBase for every market (whole base units)


@dataclass
class FaultRecord:
    kind: str
    detail: str
    start: float  # monotonic
    end: float = 0.0  # switched off (or, for one-shot corruption, consumed)
    recovered_at: float | None = None
    start_slot: int = 0
    end_slot: int = 0
    saw_stale: bool = False
    detected_s: float | None = None  # fault start -> the engine's verdict first says stale
    fresh_again_at: float | None = None  # first fresh() after the fault began and was seen
    must_go_stale: bool = False  # the fault is beyond what the freshness bounds tolerate

    @property
    def recovery_s(self) -> float | None:
        return None if self.recovered_at is None else self.recovered_at - self.start

    @property
    def after_clear_s(self) -> float | None:
        return None if self.recovered_at is None else max(0.0, self.recovered_at - self.end)


@dataclass
class TxSeen:
    first: dict[str, float] = field(default_factory=dict)  # signature -> first arrival


def bot_keypair(label: str) -> Any:
    from solders.keypair import Keypair

    return Keypair.from_seed(hashlib.sha256(f"jitmaker-soak/{label}".encode()).digest())


def quantiles(values: list[float]) -> dict[str, Any]:
    data = sorted(values)
    if not data:
        return {"count": 0, "p50": None, "p95": None, "max": None}

    def rank(q: int) -> float:
        return round(data[max(0, -(-q * len(data) // 100) - 1)], 3)

    return {"count": len(data), "p50": rank(50), "p95": rank(95), "max": round(data[-1], 3)}


# ------------------------------------------------------------------------------ setup


async def start_bot(
    *,
    seed: int,
    slot_ms: int,
    report_path: str | None = None,
    jit: dict[str, Any] | None = None,
    glob: dict[str, Any] | None = None,
    metrics: bool = False,
    tune: Any = None,
    dead_primary: str | None = None,
    dead_ws: str | None = None,
    record_sends: bool = True,
    sim: Any = None,
) -> tuple[Any, Any, Any, asyncio.Task]:
    """A simulator and a running Engine on it (RUNNING before this returns).

    ``dead_primary``/``dead_ws``: endpoints that refuse connections, configured as the
    primaries with the simulator as the failover endpoint. ``sim``: an already started
    simulator (e.g. ``bench.soak_simproc.RemoteSim``); by default one is made in-process."""
    from jitmaker.config import parse_config
    from jitmaker.engine import Engine, EngineState
    from jitmaker.risk import RiskGate

    if sim is None:
        from jitmaker.sim.app import Simulator

        sim = Simulator(None, seed=seed, slot_ms=slot_ms, report_path=report_path)
        await sim.start()
    keypair = bot_keypair(str(seed))
    sim.fund(keypair.pubkey(), 100_000 * 10**6)
    raw = {
        "global": {
            "endpoint": dead_primary or sim.http_url,
            **({"failoverEndpoints": [sim.http_url]} if dead_primary else {}),
            "wsEndpoint": sim.ws_url,
            "keeperPrivateKey": list(bytes(keypair)),
            "resubTimeoutMs": 2000,
            "shutdownGraceS": 15,
            **({"metricsPort": 0} if metrics else {"disableMetrics": True}),
            **(glob or {}),
        },
        "botConfigs": {
            "jitMaker": {
                "marketIndexes": [0, 1, 2],
                "subaccounts": [0, 0, 0],
                "aggressivenessBps": 30,
                "targetLeverage": 1,
                "maxPositionBase": CAP_BASE,
                **(jit or {}),
            }
        },
    }
    config = parse_config(raw, env={})
    engine = Engine(
        config,
        keypair,
        http_url=dead_primary or sim.http_url,
        ws_url=dead_ws or sim.ws_url,
        risk=RiskGate.from_config(config),
    )
    # what the bot hands to its sender, and when: the instant each transaction was signed
    engine.sent_at = {}
    real_send = engine._send

    def send(raw: bytes, signature: str, last_valid: int, programs: Any) -> None:
        engine.sent_at[signature] = time.monotonic()
        real_send(raw, signature, last_valid, programs)

    if record_sends:  # every signature is kept: not for the memory soak
        engine._send = send
    if tune is not None:
        tune(engine, sim)
    task = asyncio.create_task(engine.run(None), name="soak-engine")
    for _ in range(600):
        if engine.state == EngineState.RUNNING or task.done():
            break
        await asyncio.sleep(0.05)
    if task.done():
        await task  # raises the start-up failure
    return sim, engine, keypair, task


def healthy(engine: Any, since: float) -> bool:
    """RUNNING, every input fresh, and slot frames heard since ``since``."""
    from jitmaker.engine import EngineState

    return (
        engine.state == EngineState.RUNNING and engine.fresh() and engine._last_slot_frame > since
    )


# ------------------------------------------------------------------------------ faults


class FaultDriver:
    """Injects faults one at a time on a schedule and measures each recovery."""

    def __init__(self, sim: Any, engine: Any, keypair: Any, rng: random.Random) -> None:
        self.sim, self.engine, self.rng = sim, engine, rng
        from jitmaker.chain.pdas import user_pda

        self.own_user = user_pda(keypair.pubkey(), 0)
        self.records: list[FaultRecord] = []
        self._corrupt_turn = 0

    async def inject(self, kind: str, recover_timeout_s: float = 30.0) -> FaultRecord:
        from jitmaker.engine import EngineState

        sim, faults, slot_s = self.sim, self.sim.faults, self.sim.slot_ms / 1000
        rng = self.rng
        rec = FaultRecord(kind, "", time.monotonic(), start_slot=sim.slot)
        self.records.append(rec)
        watcher = asyncio.create_task(self._watch_stale(rec))
        try:
            if kind == "drop_ws":
                refuse = rng.choice((0, int(0.5 / slot_s), int(1.5 / slot_s)))
                rec.detail = f"refuse_slots={refuse}"
                rec.must_go_stale = True
                faults.drop_ws(refuse_slots=refuse)
                await asyncio.sleep(refuse * slot_s)
            elif kind == "stall_ws":
                hold = rng.uniform(2.5, 4.0)
                rec.detail = f"hold_s={hold:.2f}"
                rec.must_go_stale = True
                faults.stall_ws(True)
                await asyncio.sleep(hold)
                faults.stall_ws(False)
            elif kind == "delay_ws":
                ms, hold = rng.choice((250, 1000, 1500)), rng.uniform(2.0, 3.0)
                rec.detail = f"ms={ms} hold_s={hold:.2f}"
                # beyond the lag bound (slots behind the probed RPC slot, plus one probe
                # period, plus a margin) it must be seen; a 250 ms latency may be tolerated
                bound_s = self.engine.feed_max_lag_slots * slot_s + self.engine.rpc_probe_interval_s
                rec.must_go_stale = ms / 1000 >= bound_s + 0.3
                faults.delay_ws(ms)
                await asyncio.sleep(hold)
                faults.delay_ws(0)
            elif kind == "rate_limit":
                if rng.random() < 0.5:
                    n = rng.randint(20, 80)
                    rec.detail = f"requests={n}"
                    before = faults.rate_limited_count
                    faults.rate_limit(n)
                    for _ in range(200):  # the burst ends when the 429s are used up
                        if faults.rate_limited_count - before >= n:
                            break
                        await asyncio.sleep(0.05)
                    faults.rate_limit(on=False)
                else:
                    hold = rng.uniform(1.0, 2.5)
                    rec.detail = f"hold_s={hold:.2f}"
                    faults.rate_limit(None)
                    await asyncio.sleep(hold)
                    faults.rate_limit(on=False)
            elif kind == "expire_blockhashes":
                hold = rng.uniform(1.5, 3.0)
                rec.detail = f"max_age=5 hold_s={hold:.2f}"
                faults.expire_blockhashes(5)
                await asyncio.sleep(hold)
                faults.expire_blockhashes(None)
            elif kind == "corrupt_account":
                await self._corrupt(rec)
            else:
                raise ValueError(kind)
            rec.end = time.monotonic()
            rec.end_slot = sim.slot
            deadline = rec.end + recover_timeout_s
            while time.monotonic() < deadline:
                if self.engine.state == EngineState.HALTED:
                    break  # final until an operator resets it: there is no recovery to wait for
                # after a socket fault the engine saw, recovery includes a new snapshot
                resnapshot = kind in WS_FAULTS and (rec.saw_stale or rec.must_go_stale)
                if healthy(self.engine, rec.end) and (
                    not resnapshot or (self.engine.last_snapshot_at or 0) > rec.start
                ):
                    rec.recovered_at = time.monotonic()
                    break
                await asyncio.sleep(0.02)
        finally:
            if not watcher.done():
                await asyncio.sleep(0.05)  # let it see the fresh verdict it waits for
            watcher.cancel()
        return rec

    async def _corrupt(self, rec: FaultRecord) -> None:
        """Garble payloads: our own User, one oracle, or whatever account comes next."""
        faults = self.sim.faults
        turn = self._corrupt_turn % 3
        self._corrupt_turn += 1
        if turn == 0:
            key, count, label = self.own_user, 2, "own_user"
        elif turn == 1:
            market = self.engine.market_data.perp[0]
            key, count, label = market.amm.oracle, 3, "oracle_perp0"
        else:
            key, count, label = None, 5, "any"
        rec.detail = f"{label} count={count}"
        before = faults.corrupted_count
        faults.corrupt_account(key, count)
        for _ in range(400):  # consumed as the payloads go out (notifications or RPC reads)
            if faults.corrupted_count - before >= count:
                break
            await asyncio.sleep(0.05)
        faults.corrupt_account(key, 0)  # whatever was not consumed in 20 s is withdrawn

    async def _watch_stale(self, rec: FaultRecord) -> None:
        """Note whether the engine went stale, and when its own verdict turned fresh again
        with a snapshot taken after the fault began (the end of its stale window)."""
        engine = self.engine
        while True:
            fresh = engine.fresh()
            if not fresh and not rec.saw_stale:
                rec.saw_stale = True
                rec.detected_s = round(time.monotonic() - rec.start, 3)
            elif rec.saw_stale and (engine.last_snapshot_at or 0) > rec.start:
                rec.fresh_again_at = time.monotonic()
                return
            await asyncio.sleep(0.005)


def fault_plan(n: int, rng: random.Random) -> list[str]:
    """``n`` faults, every kind at least ``n // 6`` times, shuffled."""
    kinds = [FAULT_KINDS[i % len(FAULT_KINDS)] for i in range(n)]
    rng.shuffle(kinds)
    return kinds


# ------------------------------------------------------------------------------ ground truth


def our_fills_truth(report: dict[str, Any], authority: str) -> tuple[int, dict[int, int]]:
    prefix = f"funded:{authority}/"
    fills, positions = 0, {}
    for maker in report["makers"]:
        if maker["maker"].startswith(prefix):
            fills += maker["fills"]
            for pos in maker["positions"]:
                positions[pos["market_index"]] = positions.get(pos["market_index"], 0) + pos["base"]
    return fills, positions


def position_path(auctions: list[dict[str, Any]], authority: str) -> dict[int, list[int]]:
    """Our position per market after each slot with fills, rebuilt from every recorded fill."""
    prefix = f"funded:{authority}/"
    by_slot: dict[tuple[int, int], int] = {}
    for auction in auctions:
        sign = -1 if auction["direction"] == "LONG" else 1  # the maker takes the other side
        for fill in auction["fills"]:
            if fill["maker"].startswith(prefix):
                key = (auction["market_index"], fill["slot"])
                by_slot[key] = by_slot.get(key, 0) + sign * fill["base"]
    path: dict[int, list[int]] = {}
    running: dict[int, int] = {}
    for (market, _slot), delta in sorted(by_slot.items()):
        running[market] = running.get(market, 0) + delta
        path.setdefault(market, []).append(running[market])
    return path


def stale_windows(records: list[FaultRecord]) -> list[tuple[float, float, str]]:
    """When signing a new transaction would have meant trading on stale inputs: from the
    detection bound after a socket fault began until the engine was seen healthy again."""
    out = []
    for r in records:
        if not r.must_go_stale:
            continue
        # until the engine's own verdict turned fresh after a post-fault snapshot (polled
        # every 5 ms), else until the harness saw it healthy
        end = (r.fresh_again_at or r.recovered_at or r.end) - 0.01
        if r.kind == "stall_ws":
            out.append((r.start + STALE_BOUND_S, end, r.kind, r.start))
        elif r.kind == "drop_ws":
            out.append((r.start + 0.2, end, r.kind, r.start))
        elif r.kind == "delay_ws":  # late frames show once the first delayed one is due
            ms = float(r.detail.split()[0].split("=")[1])
            out.append((r.start + ms / 1000 + 1.0, min(end, r.end), r.kind, r.start))
    return [w for w in out if w[1] > w[0]]


# ------------------------------------------------------------------------------ fault run


async def run_faults(
    *,
    duration_s: float = 600.0,
    n_faults: int = 36,
    slot_ms: int = 100,
    seed: int = 21,
    progress: bool = False,
) -> dict[str, Any]:
    """The mixed-fault run; returns the figures (see the module docstring)."""
    from solders.transaction import VersionedTransaction

    rng = random.Random(seed)
    tail_s = max(8.0, 150 * slot_ms / 1000 + 4.0)  # in-flight txs resolve: blockhashes expire
    warmup_s = 3.0
    with tempfile.TemporaryDirectory(prefix="jitmaker-soak-") as tmp:
        report_path = os.path.join(tmp, "report.json")
        sim, engine, keypair, task = await start_bot(
            seed=seed, slot_ms=slot_ms, report_path=report_path
        )
        me = keypair.pubkey()
        seen = TxSeen()

        def on_tx(raw: bytes, _slot: int) -> None:
            sig = str(VersionedTransaction.from_bytes(raw).signatures[0])
            if (
                sig not in seen.first
                and VersionedTransaction.from_bytes(raw).message.account_keys[0] == me
            ):
                seen.first[sig] = time.monotonic()

        sim.rpc.on_tx_received.append(on_tx)
        driver = FaultDriver(sim, engine, keypair, rng)
        plan = fault_plan(n_faults, rng)
        started = time.monotonic()
        start_slot = sim.slot
        window = max(1.0, duration_s - warmup_s - tail_s)
        try:
            for i, kind in enumerate(plan):
                at = started + warmup_s + window * i / len(plan)
                if (delay := at - time.monotonic()) > 0:
                    await asyncio.sleep(delay)
                if task.done() or engine.state == "halted":
                    break  # nothing can recover: fail on the verdict now, not on a timeout
                rec = await driver.inject(kind)
                if progress:
                    took = "NO" if rec.recovery_s is None else f"{rec.recovery_s:.3f}"
                    elapsed = time.monotonic() - started
                    print(
                        f"  [{elapsed:6.1f}s] {kind:<18} {rec.detail:<28} recovered={took}",
                        flush=True,
                    )
            # a quiet tail, so every transaction resolves before the books are compared
            last = driver.records[-1].recovered_at or time.monotonic() if driver.records else 0
            rest = max(started + duration_s - time.monotonic(), last + tail_s - time.monotonic())
            if rest > 0:
                await asyncio.sleep(rest)
            end_state = engine.state
            engine.stop("soak finished")
            summary = await task
        finally:
            if not task.done():
                engine.stop("soak aborted")
                await asyncio.gather(task, return_exceptions=True)
            await sim.stop()  # writes the full report (every auction, from the spool)
        report = json.loads(Path(report_path).read_text())
    wall_s = time.monotonic() - started
    authority = str(me)
    truth_fills, truth_positions = our_fills_truth(report, authority)
    path = position_path(report["auctions"], authority)
    cap = CAP_BASE * 10**9
    truth_breaches = sum(1 for values in path.values() for v in values if abs(v) > cap)
    rebuilt_final = {m: v[-1] for m, v in path.items()}
    bot_positions = {
        int(k.split("-")[1]): m["position_base"]
        for k, m in summary["markets"].items()
        if k.startswith("perp-")
    }
    windows = stale_windows(driver.records)
    stale_sends = [
        {"kind": kind, "after_start_s": round(t - start, 3)}
        for t in engine.sent_at.values()
        for lo, hi, kind, start in windows
        if lo <= t <= hi
    ]
    truth_stale_sends = len(stale_sends)
    records = driver.records
    recovered = [r for r in records if r.recovered_at is not None]
    by_kind: dict[str, dict[str, Any]] = {}
    for kind in FAULT_KINDS:
        mine = [r for r in records if r.kind == kind]
        by_kind[kind] = {
            "injected": len(mine),
            "recovered": sum(1 for r in mine if r.recovered_at is not None),
            "saw_stale": sum(1 for r in mine if r.saw_stale),
            "detected_s": quantiles([r.detected_s for r in mine if r.detected_s is not None]),
            "recovery_s": quantiles([r.recovery_s for r in mine if r.recovery_s is not None]),
        }
    return {
        "mode": "faults",
        "seed": seed,
        "slot_ms": slot_ms,
        "wall_s": round(wall_s, 1),
        "slots": report.get("end_slot", 0) - start_slot,
        "chain_minutes": round((report.get("end_slot", 0) - start_slot) * 0.4 / 60, 1),
        "faults": {
            "injected": len(records),
            "recovered": len(recovered),
            "by_kind": by_kind,
        },
        "recovery_s_from_fault_start": quantiles([r.recovery_s for r in recovered]),
        "recovery_s_after_fault_cleared": quantiles([r.after_clear_s for r in recovered]),
        "sends_while_stale": {"bot": summary["sends_while_stale"], "truth": truth_stale_sends},
        "stale_sends_truth": stale_sends,
        "fills": {"bot": summary["fills"], "truth": truth_fills},
        "limit_breaches": {"bot": summary["position_limit_breaches"], "truth": truth_breaches},
        "positions": {
            "truth": truth_positions,
            "rebuilt_from_fills": rebuilt_final,
            "bot": bot_positions,
        },
        "txs_received_from_us": len(seen.first),
        "state_before_stop": end_state,
        "engine": {
            k: summary[k]
            for k in (
                "attempts",
                "auctions_seen",
                "reconnects",
                "ws_replacements",
                "resyncs",
                "resync_failures",
                "ghost_orders",
                "missing_orders",
                "own_account_repairs",
                "corrupt_payloads",
                "refused_stale",
                "stale_episodes",
                "stale_recovery_s",
                "unknown_outcomes",
                "errors",
                "halts",
                "pnl_quote",
            )
        },
        "sim": {
            "rate_limited": report["stats"]["rate_limited"],
            "corrupted_payloads": report["stats"]["corrupted_payloads"],
        },
        "records": [
            {
                **{
                    k: v
                    for k, v in asdict(r).items()
                    if k not in ("start", "end", "recovered_at", "fresh_again_at")
                },
                "recovery_s": None if r.recovery_s is None else round(r.recovery_s, 3),
                "after_clear_s": None if r.after_clear_s is None else round(r.after_clear_s, 3),
            }
            for r in records
        ],
    }


def verdict(result: dict[str, Any]) -> list[str]:
    """The Done-when properties that failed (empty: all hold)."""
    bad = []
    f = result["faults"]
    if f["recovered"] != f["injected"]:
        bad.append(f"{f['injected'] - f['recovered']} faults not recovered")
    if result["sends_while_stale"]["bot"] or result["sends_while_stale"]["truth"]:
        bad.append(f"sends while stale: {result['sends_while_stale']}")
    if result["fills"]["bot"] != result["fills"]["truth"]:
        bad.append(f"fills differ: {result['fills']}")
    if result["limit_breaches"]["bot"] or result["limit_breaches"]["truth"]:
        bad.append(f"limit breaches: {result['limit_breaches']}")
    if result["state_before_stop"] != "running":
        bad.append(f"engine ended {result['state_before_stop']}")
    pos = result["positions"]
    for market, base in pos["truth"].items():
        if pos["bot"].get(market, 0) != base:
            bad.append(f"bot position perp-{market} {pos['bot'].get(market)} != truth {base}")
    return bad


# ------------------------------------------------------------------------------ memory soak

# Flat means, over the second half of the run (the first half is warm-up: caches, bounded
# rings and the book fill), a least-squares slope per chain hour no larger than these.
RSS_TOL_MB_PER_H = 1.0
BLOCKS_TOL_FRACTION_PER_H = 0.01  # of the mean allocated blocks
TASKS_TOL_PER_H = 0.5
TRACE_FRAMES = 8  # --trace: stack depth kept per allocation (for attribution by stack)


def _trend(samples: list[dict[str, Any]], get: Any) -> dict[str, Any]:
    from bench.soak_probe import slope

    pts = [(s["chain_h"], get(s)) for s in samples]
    pts = [(x, y) for x, y in pts if y is not None]
    if not pts:
        return {}
    ys = [y for _, y in pts]
    b, se = slope([x for x, _ in pts], ys)
    return {
        "warm": pts[0][1],
        "end": pts[-1][1],
        "min": min(ys),
        "max": max(ys),
        "mean": round(sum(ys) / len(ys), 1),
        "slope_per_chain_h": round(b, 3),
        "stderr": round(se, 3),
    }


def _growing(samples: list[dict[str, Any]], field: str) -> dict[str, Any]:
    """Containers that trend up over the second half and pass their first-half peak."""
    if len(samples) < 4:
        return {}
    total = samples[-1]["chain_h"]
    half = [s for s in samples if s["chain_h"] >= total / 2]
    first = [s for s in samples if s["chain_h"] < total / 2]
    growing = {}
    for key in samples[-1].get(field, {}):
        t = _trend(half, lambda s, k=key: s.get(field, {}).get(k))
        before = max((s.get(field, {}).get(key, 0) for s in first), default=0)
        if t and t["slope_per_chain_h"] > 0 and t["max"] > before and t["end"] > t["warm"]:
            growing[key] = {**t, "first_half_max": before}
    return growing


def memory_verdict(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Trends over the second half of the run and whether each one is flat."""
    if len(samples) < 4:
        return {"verdict": "too few samples", "flat": False}
    total = samples[-1]["chain_h"]
    half = [s for s in samples if s["chain_h"] >= total / 2]
    trends = {
        "rss_mb": _trend(half, lambda s: s["rss_mb"]),
        "anon_mb": _trend(half, lambda s: s["anon_mb"]),
        "blocks": _trend(half, lambda s: s["blocks"]),
        "gc_objects": _trend(half, lambda s: s["gc_objects"]),
        "tasks": _trend(half, lambda s: s["tasks"]),
        "steady_tasks": _trend(half, lambda s: s["steady_tasks"]),
        "malloc_in_use_mb": _trend(half, lambda s: s["malloc"].get("in_use_mb")),
        "malloc_free_mb": _trend(half, lambda s: s["malloc"].get("free_mb")),
        "malloc_mmap_mb": _trend(half, lambda s: s["malloc"].get("mmap_mb")),
        "sim_rss_mb": _trend(half, lambda s: s.get("sim_rss_mb")),
    }
    if "traced_mb" in samples[-1]:
        trends["traced_mb"] = _trend(half, lambda s: s["traced_mb"])
    blocks_tol = BLOCKS_TOL_FRACTION_PER_H * trends["blocks"]["mean"]
    checks = {
        "rss": trends["rss_mb"]["slope_per_chain_h"] <= RSS_TOL_MB_PER_H,
        "blocks": trends["blocks"]["slope_per_chain_h"] <= blocks_tol,
        # the long-lived tasks are constant; per-transaction ones come and go with the flow
        "tasks": trends["steady_tasks"]["min"] == trends["steady_tasks"]["max"]
        and trends["tasks"]["slope_per_chain_h"] <= TASKS_TOL_PER_H,
    }
    growing = _growing(samples, "structures")
    return {
        "second_half_from_chain_h": round(total / 2, 2),
        "tolerance_per_chain_h": {
            "rss_mb": RSS_TOL_MB_PER_H,
            "blocks": round(blocks_tol),
            "tasks": TASKS_TOL_PER_H,
        },
        "trends": trends,
        "checks": checks,
        "structures_growing": growing,
        "flat": all(checks.values()),
        "verdict": "flat" if all(checks.values()) else "NOT flat",
    }


def _compact(samples: list[dict[str, Any]], field: str = "structures") -> dict[str, int]:
    """Move structures that never changed out of the samples; returns them once."""
    keys = set().union(*(s.get(field, {}) for s in samples)) if samples else set()
    constant = {}
    for key in sorted(keys):
        values = {s.get(field, {}).get(key) for s in samples}
        if len(values) == 1:
            constant[key] = values.pop()
            for s in samples:
                s.get(field, {}).pop(key, None)
    return constant


def _where(frame: Any) -> str:
    name = frame.filename.split("site-packages/")[-1].split("/src/")[-1]
    return f"{name}:{frame.lineno}"


def _top_diff(old: Any, new: Any, key: str, n: int) -> list[dict[str, Any]]:
    """The ``n`` biggest growths between two tracemalloc snapshots (by size, then count)."""
    stats = sorted(new.compare_to(old, key), key=lambda st: (-st.size_diff, -st.count_diff))
    out = []
    for stat in stats[:n]:
        row = {
            "where": _where(stat.traceback[0]),
            "size_diff_kb": round(stat.size_diff / 1024, 1),
            "count_diff": stat.count_diff,
            "size_kb": round(stat.size / 1024, 1),
        }
        if key == "traceback":
            row["stack"] = [_where(f) for f in stat.traceback]
        out.append(row)
    return out


async def run_memory(
    *,
    hours: float = 6.0,
    slot_ms: int = 40,
    seed: int = 31,
    sample_s: float = 20.0,
    fault_every_s: float = 60.0,
    trace: bool = False,
    progress: bool = False,
    max_wall_s: float = 3300.0,
) -> dict[str, Any]:
    """Hours of chain time (400 ms slots) at ``slot_ms``, the simulator in a child process;
    the bot's process sampled alone. Stops early at ``max_wall_s`` (a loaded machine cannot
    keep fast slots): see ``chain_hours``. ``trace``: tracemalloc snapshots at the start of
    the second half and at the end, diffed by line (inflates RSS; for attribution only)."""
    from bench import soak_probe as probe
    from bench.soak_simproc import RemoteSim

    slots_wanted = int(hours * 3600 / 0.4)
    if trace:
        tracemalloc.start(TRACE_FRAMES)
    remote = RemoteSim(seed=seed, slot_ms=slot_ms)
    await remote.start()
    # the kill switch's failure streak is loosened here: this run measures memory and tasks
    # across hours of recovery churn, and a halted bot would exercise nothing (the fault run
    # keeps the defaults)
    try:
        sim, engine, keypair, task = await start_bot(
            seed=seed,
            slot_ms=slot_ms,
            jit={"killSwitch": {"maxConsecutiveFailures": 1000}},
            record_sends=False,
            sim=remote,
        )
    except BaseException:
        await remote.stop()
        raise
    rng = random.Random(seed)
    driver = FaultDriver(sim, engine, keypair, rng)
    start_slot, started = sim.slot, time.monotonic()
    # samples go to a spool file, not a growing list: the harness shares the bot's process,
    # and ~170 fresh strings and dicts kept per sample read as a creep of ~3k blocks and
    # 0.4 MB per chain hour (a --trace run put the stored samples at the top of the diff)
    spool = tempfile.TemporaryFile("w+", prefix="jitmaker-soak-samples-")
    next_sample = started
    next_fault = started + fault_every_s
    kinds = iter(fault_plan(10_000, rng))
    snapshots: dict[str, Any] = {}
    stop_reason = "hours reached"
    try:
        while sim.slot - start_slot < slots_wanted:
            if task.done():
                stop_reason = "engine exited"
                break
            if not remote.alive:
                stop_reason = "simulator child exited"
                break
            if time.monotonic() - started > max_wall_s:
                stop_reason = "max wall time"
                break
            now = time.monotonic()
            if now >= next_fault:
                await driver.inject(next(kinds))
                next_fault = time.monotonic() + fault_every_s
            if now >= next_sample:
                chain_h = (sim.slot - start_slot) * 0.4 / 3600
                gc.collect()
                t0 = time.perf_counter()
                row: dict[str, Any] = {
                    "wall_s": round(now - started, 1),
                    "chain_h": round(chain_h, 3),
                    **probe.sample(engine),
                    "sim_rss_mb": remote.rss_mb(),
                    "sim_structures": await remote.sizes(),
                }
                if trace:
                    row["traced_mb"] = round(tracemalloc.get_traced_memory()[0] / 2**20, 1)
                    if "half" not in snapshots and chain_h >= hours / 2:
                        snapshots["half"] = tracemalloc.take_snapshot()
                row["probe_ms"] = round((time.perf_counter() - t0) * 1000)
                spool.write(json.dumps(row) + "\n")
                spool.flush()
                if progress:
                    st = row["structures"]
                    print(
                        f"  [{row['wall_s']:7.1f}s] chain_h={row['chain_h']:.3f}"
                        f" rss={row['rss_mb']} anon={row['anon_mb']}"
                        f" malloc={row['malloc']} blocks={row['blocks']}"
                        f" gc={row['gc_objects']} tasks={row['tasks']}/{row['steady_tasks']}"
                        f" sim_rss={row['sim_rss_mb'] and round(row['sim_rss_mb'], 1)}"
                        f" users={st.get('engine.auction_users')}"
                        f" in_flight={st.get('engine.executor.in_flight')}"
                        f" dlob_nodes={st.get('engine.dlob._nodes')}"
                        f" faults={len(driver.records)} probe_ms={row['probe_ms']}",
                        flush=True,
                    )
                next_sample = now + sample_s
            await asyncio.sleep(0.5)
        chain_hours = (sim.slot - start_slot) * 0.4 / 3600
        if trace:
            snapshots["end"] = tracemalloc.take_snapshot()
        state_before_stop = engine.state
        engine.stop("soak finished")
        summary = await task
    finally:
        if not task.done():
            engine.stop("soak aborted")
            await asyncio.gather(task, return_exceptions=True)
        await remote.stop()
        if trace:
            tracemalloc.stop()
        spool.seek(0)
        samples = [json.loads(line) for line in spool]
        spool.close()
    wall_s = time.monotonic() - started
    recovered = [r for r in driver.records if r.recovered_at is not None]
    judged = memory_verdict(samples)
    sim_growing = _growing(samples, "sim_structures")
    constant = _compact(samples)
    _compact(samples, "sim_structures")
    attribution = {}
    if "half" in snapshots and "end" in snapshots:
        attribution = {
            "by_line": _top_diff(snapshots["half"], snapshots["end"], "lineno", 25),
            "by_file": _top_diff(snapshots["half"], snapshots["end"], "filename", 15),
            "by_stack": _top_diff(snapshots["half"], snapshots["end"], "traceback", 12),
        }
    t = judged.get("trends", {})

    def warm_end(key: str) -> dict[str, Any]:
        got = t.get(key, {})
        return {k: got.get(k) for k in ("warm", "end", "slope_per_chain_h", "stderr")}

    return {
        "mode": "memory",
        "layout": "simulator in a child process; figures are the bot's process alone",
        "seed": seed,
        "slot_ms": slot_ms,
        "trace": trace,
        "wall_s": round(wall_s, 1),
        "chain_hours": round(chain_hours, 2),
        "stop_reason": stop_reason,
        "verdict": judged["verdict"],
        "bot_rss_mb": warm_end("rss_mb"),
        "bot_anon_mb": warm_end("anon_mb"),
        "bot_blocks": warm_end("blocks"),
        "bot_gc_objects": warm_end("gc_objects"),
        "bot_tasks": warm_end("tasks"),
        "bot_steady_tasks": warm_end("steady_tasks"),
        "sim_child_rss_mb": warm_end("sim_rss_mb"),
        "faults_injected": len(driver.records),
        "faults_recovered": len(recovered),
        "fills": summary["fills"],
        "attempts": summary["attempts"],
        "halts": summary["halts"],
        "state_before_stop": state_before_stop,
        "unrecovered": [asdict(r) for r in driver.records if r.recovered_at is None],
        "sim_errors": remote.drain(),
        "sim_stats": {k: v for k, v in (remote.final_stats or {}).items() if k != "fault_events"},
        "judgement": judged,
        "sim_structures_growing": sim_growing,
        "tracemalloc_diff_second_half": attribution,
        "constant_structures": constant,
        "gc_types": {
            "warm": samples[len(samples) // 2].get("gc_types") if samples else None,
            "end": samples[-1].get("gc_types") if samples else None,
        },
        "samples": samples,
    }


# ------------------------------------------------------------------------------ CLI


def _write(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--mode", choices=("faults", "memory", "both"), default="faults")
    parser.add_argument("--duration", type=float, default=600.0, help="fault run, wall seconds")
    parser.add_argument("--faults", type=int, default=36)
    parser.add_argument("--slot-ms", type=int, default=None)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--hours", type=float, default=6.0, help="memory soak, chain hours")
    parser.add_argument("--max-wall", type=float, default=3300.0, help="memory soak cap, s")
    parser.add_argument("--sample", type=float, default=20.0, help="memory soak, sample every S")
    parser.add_argument(
        "--trace", action="store_true", help="memory soak: tracemalloc diff (inflates RSS)"
    )
    parser.add_argument("--out", default=None, help="memory soak result file name in results/")
    parser.add_argument("--log", default=None, help="engine log file (default: discarded)")
    args = parser.parse_args(argv)
    from jitmaker.logging import configure_logging

    sink = open(args.log or os.devnull, "w")
    configure_logging(level="warning" if args.log is None else "info", stream=sink)
    code = 0
    if args.mode in ("faults", "both"):
        print(f"fault run: {args.duration:.0f} s, {args.faults} faults", flush=True)
        result = asyncio.run(
            run_faults(
                duration_s=args.duration,
                n_faults=args.faults,
                slot_ms=args.slot_ms or 100,
                seed=args.seed,
                progress=True,
            )
        )
        failed = verdict(result)
        result["verdict"] = failed or "pass"
        path = _write("soak.json", result)
        shown = {k: v for k, v in result.items() if k not in ("records", "positions")}
        print(json.dumps(shown, indent=1))
        print(f"written {path}; verdict: {'PASS' if not failed else failed}")
        code |= bool(failed)
    if args.mode in ("memory", "both"):
        print(f"memory soak: {args.hours} chain hours", flush=True)
        result = asyncio.run(
            run_memory(
                hours=args.hours,
                slot_ms=args.slot_ms or 40,
                seed=args.seed + 10,
                sample_s=args.sample,
                trace=args.trace,
                progress=True,
                max_wall_s=args.max_wall,
            )
        )
        path = _write(args.out or "soak_memory.json", result)
        hidden = ("samples", "constant_structures", "judgement")
        print(json.dumps({k: v for k, v in result.items() if k not in hidden}, indent=1))
        print(json.dumps(result["judgement"].get("checks"), indent=1))
        print(f"written {path}; verdict: {result['verdict']}")
        code |= result["verdict"] != "flat"
    return code


if __name__ == "__main__":
    sys.exit(main())
