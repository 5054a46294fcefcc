"""``jitmaker sim``: run the local exchange simulator until interrupted (or for N slots).

    jitmaker sim --port 8899 --seed 7 [--scenario F] [--slot-ms 400]
                 [--fund PUBKEY[:USDC]]... [--report F] [--record-tx F] [--slots N]

``--fund`` amounts are whole USDC (decimals allowed, e.g. ``KEY:2500.5``); without an
amount the key gets 100,000 USDC in each of its sub-accounts 0-3.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from decimal import Decimal, InvalidOperation

from solders.pubkey import Pubkey

from jitmaker.errors import SimulatorError
from jitmaker.logging import get_logger

__all__ = ["DEFAULT_FUND_USDC", "add_arguments", "parse_fund", "run"]

DEFAULT_FUND_USDC = 100_000
QUOTE_PRECISION = 1_000_000


def parse_fund(text: str) -> tuple[Pubkey, int]:
    """``PUBKEY[:USDC]`` -> (authority, amount in QUOTE_PRECISION)."""
    key_text, _, amount_text = text.partition(":")
    try:
        key = Pubkey.from_string(key_text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a base58 pubkey: {key_text!r}") from None
    if not amount_text:
        return key, DEFAULT_FUND_USDC * QUOTE_PRECISION
    try:
        amount = Decimal(amount_text.replace("_", ""))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a USDC amount: {amount_text!r}") from None
    scaled = amount * QUOTE_PRECISION
    if amount < 0 or scaled != scaled.to_integral_value():
        raise argparse.ArgumentTypeError(f"USDC amount must be >= 0 with <= 6 decimals: {text}")
    return key, int(scaled)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port: {text!r}") from None
    if not 0 <= value <= 65534:
        raise argparse.ArgumentTypeError(f"port must be in 0..65534 (0 = any free): {text}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port",
        type=_port,
        default=8899,
        help="JSON-RPC port on 127.0.0.1, 0 = any free; PubSub listens on port+1 (8899)",
    )
    parser.add_argument("--seed", type=int, default=0, help="makes a run reproducible (0)")
    parser.add_argument(
        "--scenario", default=None, help="scenario YAML (default: the packaged default scenario)"
    )
    parser.add_argument(
        "--slot-ms", type=_positive_int, default=400, help="wall-clock milliseconds per slot (400)"
    )
    parser.add_argument(
        "--fund",
        action="append",
        type=parse_fund,
        default=[],
        metavar="PUBKEY[:USDC]",
        help="give an authority users 0-3, each with this much USDC (repeatable)",
    )
    parser.add_argument(
        "--report",
        default=None,
        metavar="F",
        help="write the ground-truth JSON report here at exit",
    )
    parser.add_argument(
        "--record-tx",
        default=None,
        metavar="F",
        help="append every received transaction (base64) as a JSON line",
    )
    parser.add_argument(
        "--slots",
        type=_positive_int,
        default=None,
        metavar="N",
        help="stop after N slots (default: run until interrupted)",
    )
    parser.add_argument(
        "--no-flow",
        action="store_true",
        help="no simulated takers or competing makers (oracles still move)",
    )


async def run(args: argparse.Namespace) -> int:
    from jitmaker.sim.app import Simulator

    log = get_logger("jitmaker.sim")
    sim = Simulator(
        args.scenario,
        seed=args.seed,
        slot_ms=args.slot_ms,
        port=args.port,
        flow=not getattr(args, "no_flow", False),
        report_path=args.report,
        record_tx_path=args.record_tx,
    )
    for authority, usdc in args.fund:
        sim.fund(authority, usdc)
    try:
        await sim.start()
    except SimulatorError:
        sim.reporter.close()
        raise
    log.info(
        "sim_started",
        rpc=sim.http_url,
        ws=sim.ws_url,
        slot=sim.slot,
        seed=args.seed,
        scenario=sim.scenario.name,
        funded=[str(a) for a, _ in args.fund],
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        if args.slots:
            target = sim.slot + args.slots
            while sim.slot < target and not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=args.slot_ms / 1000)
        else:
            await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        await sim.stop()
    log.info(
        "sim_stopped",
        slot=sim.slot,
        report=args.report,
        **{k: v for k, v in sim.stats().items() if k != "fault_events"},
    )
    return 0
