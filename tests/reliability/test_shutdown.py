"""Graceful shutdown of the real daemon process.

SIGTERM or SIGINT: stop taking auctions, wait (bounded by ``shutdownGraceS``) for in-flight
transactions to land or expire, write the summary, exit 0. A second signal exits at once.

The daemon runs as a subprocess (``python -m jitmaker.cli``) against a simulator served from
this test's event loop, so the test can also make the chain misbehave: a "black hole" that
accepts transactions and never lands them keeps attempts in flight on purpose.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from solders.keypair import Keypair

from jitmaker.sim.app import Simulator

GRACE_S = 3


@dataclass
class Daemon:
    proc: asyncio.subprocess.Process
    summary_path: Path
    lines: list[dict[str, Any]] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    stderr: bytes = b""
    reader: asyncio.Task[None] | None = None

    def events(self, name: str) -> list[dict[str, Any]]:
        return [line for line in self.lines if line.get("event") == name]

    def index(self, name: str) -> int:
        for i, line in enumerate(self.lines):
            if line.get("event") == name:
                return i
        return -1

    async def wait_for(self, predicate: Callable[[], bool], timeout_s: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not predicate():
            if loop.time() > deadline or self.proc.returncode is not None:
                return predicate()
            await asyncio.sleep(0.05)
        return True

    async def wait_exit(self, timeout_s: float) -> int | None:
        try:
            await asyncio.wait_for(self.proc.wait(), timeout_s)
        except TimeoutError:
            return None
        if self.reader is not None:
            await self.reader
        assert self.proc.stderr is not None
        self.stderr = await self.proc.stderr.read()
        return self.proc.returncode

    async def exit_code(self, timeout_s: float, failure: str) -> int:
        """The exit status within ``timeout_s``; else kill the process and fail with
        ``failure`` and the daemon's output."""
        code = await self.wait_exit(timeout_s)
        if code is None:
            self.proc.kill()
            await self.wait_exit(10)
            raise AssertionError(f"{failure}\n{self.dump()}")
        return code

    def dump(self) -> str:
        tail = "\n".join(self.raw[-30:])
        return f"--- stdout tail ---\n{tail}\n--- stderr ---\n{self.stderr.decode()[-3000:]}"


async def _read_lines(daemon: Daemon) -> None:
    assert daemon.proc.stdout is not None
    async for raw in daemon.proc.stdout:
        text = raw.decode(errors="replace").rstrip("\n")
        daemon.raw.append(text)
        try:
            daemon.lines.append(json.loads(text))
        except ValueError:
            daemon.lines.append({"event": "<not json>", "text": text})


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(None, seed=23, slot_ms=100)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


async def launch_daemon(tmp_path: Path, config: dict[str, Any]) -> Daemon:
    """Write ``config`` (mode 0600, as the daemon demands) and run ``python -m jitmaker.cli`` on
    it with JSON logs read line by line; the key comes from the file, never the environment."""
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    summary = tmp_path / "summary.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEPER_PRIVATE_KEY")}
    env["PYTHONUNBUFFERED"] = "1"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jitmaker.cli",
        "--config-file",
        str(path),
        "--summary-json",
        str(summary),
        "--log-format",
        "json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    daemon = Daemon(proc, summary)
    daemon.reader = asyncio.create_task(_read_lines(daemon))
    return daemon


async def start_daemon(sim: Simulator, tmp_path: Path, *, grace_s: int = GRACE_S) -> Daemon:
    keypair = Keypair.from_seed(hashlib.sha256(b"jitmaker-reliability/shutdown").digest())
    sim.fund(keypair.pubkey(), 100_000 * 10**6)
    config = {
        "global": {
            "endpoint": sim.http_url,
            "wsEndpoint": sim.ws_url,
            "keeperPrivateKey": list(bytes(keypair)),
            "disableMetrics": True,
            "resubTimeoutMs": 3000,
            "shutdownGraceS": grace_s,
        },
        "botConfigs": {
            "jitMaker": {
                "marketIndexes": [0, 1, 2],
                "subaccounts": [0, 0, 0],
                "aggressivenessBps": 20,
                "targetLeverage": 1,
            }
        },
    }
    return await launch_daemon(tmp_path, config)


async def trading(daemon: Daemon, attempts: int = 1) -> None:
    ok = await daemon.wait_for(lambda: len(daemon.events("attempt_sent")) >= attempts, 30.0)
    if not ok:
        daemon.proc.kill()
        await daemon.wait_exit(10)
        raise AssertionError(f"the daemon never traded\n{daemon.dump()}")


def black_hole(sim: Simulator) -> list[str]:
    """From now on accept transactions (return their signature) but never land them."""
    swallowed: list[str] = []
    rpc = sim.rpc

    def send(params: list[Any]) -> Any:
        _raw, tx, _cfg = rpc._decode_tx(params)
        signature = str(tx.signatures[0])
        swallowed.append(signature)
        return signature

    rpc._methods["sendTransaction"] = send
    return swallowed


def _ts(line: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(line["ts"].replace("Z", "+00:00"))


def _resolved_signatures(daemon: Daemon) -> set[str]:
    names = ("tx_landed", "tx_failed", "tx_expired", "attempt_outcome")
    return {
        line["tx_sig"] for line in daemon.lines if line.get("event") in names and "tx_sig" in line
    }


def assert_clean_stop(daemon: Daemon, code: int | None, signame: str) -> dict[str, Any]:
    """Exit 0, stopped for the signal, nothing sent after stopping, every attempt either
    resolved or reported as in flight at exit, summary written."""
    assert code == 0, f"exit code {code}\n{daemon.dump()}"
    stops = daemon.events("stopping")
    assert stops and stops[0].get("reason") == signame, daemon.dump()
    stop_at = daemon.index("stopping")
    stopped_at = daemon.index("engine_stopped")
    assert stopped_at > stop_at, daemon.dump()
    late = [line for line in daemon.lines[stop_at:] if line.get("event") == "attempt_sent"]
    assert not late, f"attempts sent after stopping: {late[:3]}"
    sent = {line["tx_sig"] for line in daemon.events("attempt_sent")}
    unresolved = sent - _resolved_signatures(daemon)
    in_flight = sum(line.get("count", 0) for line in daemon.events("in_flight_at_exit"))
    assert len(unresolved) <= in_flight, (
        f"{len(unresolved)} attempts neither resolved nor reported in flight at exit "
        f"(in_flight_at_exit={in_flight})\n{daemon.dump()}"
    )
    # bounded: the grace period plus closing the connections, never an open-ended wait
    waited = (_ts(daemon.lines[stopped_at]) - _ts(daemon.lines[stop_at])).total_seconds()
    assert waited <= GRACE_S + 10, f"shutdown took {waited:.1f} s with grace {GRACE_S} s"
    assert daemon.summary_path.exists(), daemon.dump()
    summary = json.loads(daemon.summary_path.read_text())
    assert summary["attempts"] >= len(sent) > 0
    return summary


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_signal_stops_cleanly(sim: Simulator, tmp_path: Path, signum: int) -> None:
    daemon = await start_daemon(sim, tmp_path)
    await trading(daemon, attempts=2)
    daemon.proc.send_signal(signum)
    code = await daemon.exit_code(GRACE_S + 30, f"no exit within {GRACE_S + 30} s of {signum!r}")
    summary = assert_clean_stop(daemon, code, signal.Signals(signum).name)
    assert summary["state"] == "stopping"


async def test_in_flight_wait_is_bounded_by_the_grace_period(
    sim: Simulator, tmp_path: Path
) -> None:
    """Transactions that never land keep the daemon waiting only ``shutdownGraceS``; they are
    reported (log and summary) as unknown outcomes, and the exit is still clean."""
    daemon = await start_daemon(sim, tmp_path)
    await trading(daemon)
    swallowed = black_hole(sim)
    before = len(daemon.events("attempt_sent"))
    ok = await daemon.wait_for(lambda: len(daemon.events("attempt_sent")) > before + 1, 30.0)
    assert ok and swallowed, f"no attempt reached the black hole\n{daemon.dump()}"
    daemon.proc.send_signal(signal.SIGTERM)
    code = await daemon.exit_code(GRACE_S + 30, f"no exit within {GRACE_S + 30} s")
    summary = assert_clean_stop(daemon, code, "SIGTERM")
    in_flight = daemon.events("in_flight_at_exit")
    assert in_flight and in_flight[0]["count"] >= 1, daemon.dump()
    assert summary["unknown_outcomes"] >= 1


async def test_second_signal_exits_at_once(sim: Simulator, tmp_path: Path) -> None:
    """With attempts stuck in flight and a long grace period, a second signal does not wait:
    the engine logs ``second_signal_exit_now`` and the process exits with status 130
    (``SystemExit(130)`` raised from the signal callback; no summary is promised)."""
    daemon = await start_daemon(sim, tmp_path, grace_s=60)
    await trading(daemon)
    black_hole(sim)
    before = len(daemon.events("attempt_sent"))
    assert await daemon.wait_for(lambda: len(daemon.events("attempt_sent")) > before, 30.0)
    daemon.proc.send_signal(signal.SIGTERM)
    assert await daemon.wait_for(lambda: bool(daemon.events("stopping")), 10.0), daemon.dump()
    daemon.proc.send_signal(signal.SIGTERM)
    # a third of the grace period: "at once"
    code = await daemon.exit_code(20, "the second signal did not end the process")
    assert daemon.events("second_signal_exit_now"), daemon.dump()
    assert code == 130, f"exit code {code}\n{daemon.dump()}"


async def test_sigterm_during_startup_retries_exits_promptly(tmp_path: Path) -> None:
    """The first snapshot keeps failing (nothing listens at the endpoint) and the engine
    retries it with backoff. A SIGTERM then must end the process within the grace bound,
    cleanly, with a summary, instead of being noted and ignored until the retries run out."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: connection refused
    keypair = Keypair.from_seed(hashlib.sha256(b"jitmaker-reliability/startup").digest())
    config = {
        "global": {
            "endpoint": f"http://127.0.0.1:{port}",
            "wsEndpoint": f"ws://127.0.0.1:{port}",
            "keeperPrivateKey": list(bytes(keypair)),
            "disableMetrics": True,
            "shutdownGraceS": GRACE_S,
        },
        "botConfigs": {"jitMaker": {"marketIndexes": [0], "subaccounts": [0]}},
    }
    daemon = await launch_daemon(tmp_path, config)
    proc = daemon.proc
    retrying = await daemon.wait_for(lambda: bool(daemon.events("bootstrap_retry")), 30.0)
    assert retrying, daemon.dump()
    proc.send_signal(signal.SIGTERM)
    code = await daemon.exit_code(
        GRACE_S + 10, f"SIGTERM during startup was not honoured within {GRACE_S + 10} s"
    )
    assert code == 0, daemon.dump()
    assert daemon.events("stopping"), daemon.dump()
    assert daemon.summary_path.exists()
