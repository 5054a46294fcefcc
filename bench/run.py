"""Run every benchmark module and write bench/results/latest.json.

Each ``bench/bench_<area>.py`` exposes ``run(quick: bool = False) -> list[dict]``; every
dict has at least ``name``, ``ours_s`` (seconds per operation), ``baseline`` (what we
compare with, e.g. ``driftpy.decode.user.decode_user``), ``baseline_s`` and ``speedup``
(``baseline_s / ours_s``), and may carry more keys (targets, p99, notes). Baselines are
measured in the same run on the same bytes.

Usage: python -m bench.run [--quick] [--only AREA ...]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import platform
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def _machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "loadavg_at_start": os.getloadavg()[0],
        "speedups": _speedups(),
    }


def _speedups() -> bool:
    """Whether jitmaker's C decoder accelerator is built and in use for this run."""
    from jitmaker.accounts._getter import SPEEDUPS

    return SPEEDUPS


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.3f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--only", nargs="*", default=None, help="areas, e.g. decode dlob")
    args = parser.parse_args(argv)
    bench_dir = Path(__file__).parent
    areas = sorted(
        m.name[len("bench_") :]
        for m in pkgutil.iter_modules([str(bench_dir)])
        if m.name.startswith("bench_")
    )
    if args.only:
        areas = [a for a in areas if a in args.only]
    machine = _machine()
    rows: list[dict] = []
    for area in areas:
        module = importlib.import_module(f"bench.bench_{area}")
        started = time.perf_counter()
        print(f"== {area}", flush=True)
        for row in module.run(quick=args.quick):
            row.setdefault("area", area)
            rows.append(row)
            speed = row.get("speedup")
            speed_txt = f"{speed:8.1f}x" if isinstance(speed, int | float) else "        -"
            print(
                f"  {row['name']:<58} ours {_fmt(row.get('ours_s')):>11}  "
                f"{row.get('baseline') or '-':<40} {_fmt(row.get('baseline_s')):>11} {speed_txt}",
                flush=True,
            )
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    # only a full run replaces the committed latest.json; a subset or --quick run goes aside
    name = "latest" if not (args.only or args.quick) else "partial"
    (RESULTS / f"{name}.json").write_text(json.dumps(rows, indent=1) + "\n")
    (
        RESULTS / f"{name}-machine.json" if name == "partial" else RESULTS / "machine.json"
    ).write_text(json.dumps(machine, indent=1) + "\n")
    print(f"wrote {RESULTS / (name + '.json')} ({len(rows)} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
