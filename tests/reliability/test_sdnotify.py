"""systemd notification (deploy/jitmaker.service is Type=notify with WatchdogSec): the real
daemon tells a NOTIFY_SOCKET it is READY, pings WATCHDOG faster than WATCHDOG_USEC requires,
and says STOPPING on SIGTERM. The socket here is an abstract-namespace datagram socket, as
systemd uses."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jitmaker import sdnotify
from jitmaker.sim.app import Simulator
from tests.reliability.test_shutdown import GRACE_S, start_daemon, trading

pytestmark = pytest.mark.slow


@pytest.fixture
async def chain() -> AsyncIterator[Simulator]:
    simulator = Simulator(None, seed=29, slot_ms=100)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


def test_without_notify_socket_nothing_is_sent(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert sdnotify.notify("READY=1") is False
    assert sdnotify.watchdog_interval_s() is None
    monkeypatch.setenv("WATCHDOG_USEC", "3000000")
    assert sdnotify.watchdog_interval_s() == 1.5
    monkeypatch.setenv("WATCHDOG_USEC", "not-a-number")
    assert sdnotify.watchdog_interval_s() is None


def test_unreachable_notify_socket_is_not_fatal(monkeypatch):
    monkeypatch.setenv("NOTIFY_SOCKET", "@jitmaker-test-nobody-listens-" + str(os.getpid()))
    assert sdnotify.notify("READY=1") is False


async def test_daemon_notifies_ready_watchdog_and_stopping(
    chain: Simulator, tmp_path: Path, monkeypatch
) -> None:
    name = f"jitmaker-test-notify-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
    monkeypatch.setenv("WATCHDOG_USEC", "400000")  # systemd's watchdog: ping within 0.4 s
    loop = asyncio.get_running_loop()
    received: list[tuple[float, str]] = []

    async def listen() -> None:
        while True:
            data = await loop.sock_recv(sock, 4096)
            received.append((loop.time(), data.decode()))

    listener = asyncio.create_task(listen())
    daemon = await start_daemon(chain, tmp_path)
    try:
        await trading(daemon)
        await asyncio.sleep(1.5)
        daemon.proc.send_signal(signal.SIGTERM)
        code = await daemon.wait_exit(GRACE_S + 30)
        await asyncio.sleep(0.1)
    finally:
        if daemon.proc.returncode is None:
            daemon.proc.kill()
            await daemon.wait_exit(10)
        listener.cancel()
        sock.close()
    assert code == 0, daemon.dump()
    messages = [m for _, m in received]
    assert "READY=1" in messages, messages
    # STOPPING once, after READY (watchdog pings may go on while the grace period runs)
    assert messages.count("STOPPING=1") == 1, messages
    ready = messages.index("READY=1")
    assert messages.index("STOPPING=1") > ready
    assert messages.count("READY=1") == 1
    pings = [t for t, m in received[ready:] if m == "WATCHDOG=1"]
    assert len(pings) >= 5, messages
    # pinged at half of WATCHDOG_USEC (0.2 s); the median is robust to a loaded machine
    gaps = sorted(b - a for a, b in itertools.pairwise(pings))
    assert gaps[len(gaps) // 2] < 0.3, gaps
