"""Soak: a day of simulator flow (216,000 slots at 400 ms) in accelerated time, memory sampled.

Runs the default scenario with the manual clock (no sleeps, no sockets) and reports wall
time, acceleration over real time and resident memory (``/proc/self/statm``) sampled every
``--sample`` slots, plus Python heap (tracemalloc) if ``--tracemalloc`` is given (slower).
Bounded memory shows as a flat RSS over the second half of the run.

Usage: python -m bench.soak_sim [--slots 216000] [--seed 1] [--report F] [--json F]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

DAY_SLOTS = 216_000  # 24 h / 400 ms


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def soak(slots: int, seed: int, sample: int, report: str | None, trace: bool) -> dict:
    from jitmaker.sim.app import Simulator

    sim = Simulator(seed=seed, manual_clock=True, report_path=report)
    if trace:
        tracemalloc.start()
    samples = []
    start = time.perf_counter()
    done = 0
    rss0 = rss_mb()
    while done < slots:
        step = min(sample, slots - done)
        sim.advance(step)
        done += step
        gc.collect()
        row = {
            "slot": done,
            "wall_s": round(time.perf_counter() - start, 2),
            "rss_mb": round(rss_mb(), 1),
            "ledger_accounts": len(sim.chain.ledger.accounts),
            "open_auctions": len(sim.reporter.open),
            "pending_events": sim.flow.pending_events,
            "statuses": len(sim.chain.statuses),
        }
        if trace:
            current, peak = tracemalloc.get_traced_memory()
            row["heap_mb"] = round(current / 2**20, 1)
            row["heap_peak_mb"] = round(peak / 2**20, 1)
        samples.append(row)
        print(json.dumps(row), flush=True)
    wall = time.perf_counter() - start
    half = [s["rss_mb"] for s in samples[len(samples) // 2 :]]
    stats = sim.stats()
    if report:
        sim.write_report(report)
    sim.reporter.close()
    return {
        "slots": slots,
        "seed": seed,
        "wall_s": round(wall, 1),
        "slots_per_s": round(slots / wall, 1),
        "acceleration_x": round(slots * 0.4 / wall, 1),
        "rss_start_mb": round(rss0, 1),
        "rss_end_mb": samples[-1]["rss_mb"],
        "rss_peak_mb": max(s["rss_mb"] for s in samples),
        "rss_second_half_growth_mb": round(max(half) - min(half), 1) if half else 0.0,
        "auctions": sim.reporter.auctions_total,
        "fills": sim.reporter.fills_total,
        "takers_placed": stats["takers_placed"],
        "competitor_fills": stats["competitor_fills"],
        "keeper_fills": stats["keeper_fills"],
        "cpu": os.cpu_count(),
        "loadavg_end": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak_sim")
    parser.add_argument("--slots", type=int, default=DAY_SLOTS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample", type=int, default=10_000)
    parser.add_argument("--report", default=None, help="also write the ground-truth report")
    parser.add_argument("--json", default=None, help="write the summary here")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args(argv)
    summary = soak(args.slots, args.seed, args.sample, args.report, args.tracemalloc)
    print(json.dumps(summary, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
