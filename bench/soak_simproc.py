"""The simulator in a child process, so the memory soak measures the bot's process alone.

``RemoteSim`` has the parts of ``jitmaker.sim.app.Simulator`` that ``bench.soak.start_bot`` and
``bench.soak.FaultDriver`` use: ``slot``, ``slot_ms``, ``http_url``/``ws_url``, ``fund``,
``stop`` and ``faults`` (the switches plus ``rate_limited_count``/``corrupted_count``).

Fault switches go one way over a ``multiprocessing`` pipe and the child's event loop applies
them in order (``add_reader`` on the pipe). The child publishes its slot and fault counters
into a shared array every slot, so the parent reads them without a round trip and never
blocks its event loop on the child. Only ``fund`` (before the bot starts) waits for a reply.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["RemoteFaults", "RemoteSim", "proc_rss_mb"]

_SLOT, _RATE_LIMITED, _CORRUPTED = 0, 1, 2
SWITCHES = frozenset(
    {"drop_ws", "stall_ws", "delay_ws", "rate_limit", "expire_blockhashes", "corrupt_account"}
)


def proc_rss_mb(pid: int | str = "self") -> float:
    """Resident set size of a process (MB), from ``/proc/<pid>/statm``."""
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


# ------------------------------------------------------------------------------ child


def _child(conn: Any, shared: Any, seed: int, slot_ms: int) -> None:
    asyncio.run(_serve(conn, shared, seed, slot_ms))


async def _serve(conn: Any, shared: Any, seed: int, slot_ms: int) -> None:
    from solders.pubkey import Pubkey

    from jitmaker.logging import configure_logging
    from jitmaker.sim.app import Simulator

    configure_logging(level="warning", stream=sys.stderr)
    sim = Simulator(None, seed=seed, slot_ms=slot_ms)
    faults = sim.faults

    def publish(_slot: int | None = None) -> None:
        shared[_SLOT] = sim.chain.slot
        shared[_RATE_LIMITED] = faults.rate_limited_count
        shared[_CORRUPTED] = faults.corrupted_count

    sim.chain.slot_observers.append(publish)
    await sim.start()
    publish()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def handle(msg: tuple) -> None:
        op = msg[0]
        if op == "fault":
            _, name, args, kwargs = msg
            if name not in SWITCHES:
                raise ValueError(f"not a fault switch: {name}")
            if name == "corrupt_account" and args and args[0] is not None:
                args = (Pubkey.from_string(args[0]), *args[1:])
            getattr(faults, name)(*args, **kwargs)
        elif op == "fund":
            keys = sim.fund(msg[1], msg[2])
            conn.send(("funded", [str(k) for k in keys]))
        elif op == "sizes":
            from bench.soak_probe import structure_sizes

            conn.send(("sizes", structure_sizes(sim, "sim")))
        elif op == "stop":
            stop.set()
        else:
            raise ValueError(f"unknown op {op!r}")

    def on_readable() -> None:
        try:
            while conn.poll():
                msg = conn.recv()
                try:
                    handle(msg)
                except Exception as exc:  # reported to the parent, the child keeps serving
                    conn.send(("error", msg[0], repr(exc)))
                publish()
        except (EOFError, OSError):  # the parent is gone: stop
            loop.remove_reader(conn.fileno())
            stop.set()

    loop.add_reader(conn.fileno(), on_readable)
    conn.send(("ready", sim.http_url, sim.ws_url))
    await stop.wait()
    loop.remove_reader(conn.fileno())
    stats = sim.stats()
    await sim.stop()
    try:
        conn.send(("stopped", stats))
    except (EOFError, OSError):
        pass


# ------------------------------------------------------------------------------ parent


class RemoteFaults:
    """``sim.faults`` across the process boundary: switches are sent, counters are read."""

    def __init__(self, owner: RemoteSim) -> None:
        self._owner = owner

    @property
    def rate_limited_count(self) -> int:
        return int(self._owner._shared[_RATE_LIMITED])

    @property
    def corrupted_count(self) -> int:
        return int(self._owner._shared[_CORRUPTED])

    def __getattr__(self, name: str) -> Any:
        if name not in SWITCHES:
            raise AttributeError(name)

        def switch(*args: Any, **kwargs: Any) -> None:
            if name == "corrupt_account" and args and args[0] is not None:
                args = (str(args[0]), *args[1:])
            self._owner._send(("fault", name, args, kwargs))

        return switch


class RemoteSim:
    """A ``Simulator`` running in a spawned child process on free ports."""

    def __init__(self, *, seed: int, slot_ms: int) -> None:
        self.seed, self.slot_ms = seed, slot_ms
        ctx = multiprocessing.get_context("spawn")
        self._shared = ctx.Array("q", 3, lock=False)
        self._conn, child_conn = ctx.Pipe()
        self._proc = ctx.Process(
            target=_child,
            args=(child_conn, self._shared, seed, slot_ms),
            name="soak-sim",
            daemon=True,
        )
        self._child_conn = child_conn
        self.faults = RemoteFaults(self)
        self.errors: list[str] = []
        self.final_stats: dict[str, Any] | None = None
        self._urls: tuple[str, str] | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, timeout_s: float = 60.0) -> None:
        self._proc.start()
        self._child_conn.close()  # the child holds its end; EOF here means it died
        msg = await self._reply("ready", timeout_s)
        self._urls = (str(msg[1]), str(msg[2]))  # the simulator's own endpoint URLs

    async def stop(self, timeout_s: float = 60.0) -> None:
        try:
            if self._proc.is_alive():
                self._send(("stop",))
                msg = await self._reply("stopped", timeout_s)
                self.final_stats = msg[1]
        except (RuntimeError, EOFError, OSError) as exc:
            self.errors.append(f"stop: {exc!r}")
        finally:
            self._proc.join(10)
            if self._proc.is_alive():
                self._proc.terminate()
                self._proc.join(5)
            self._conn.close()

    # -- what start_bot and FaultDriver use ------------------------------------------------

    @property
    def pid(self) -> int:
        return int(self._proc.pid or 0)

    @property
    def alive(self) -> bool:
        return self._proc.is_alive()

    def _endpoints(self) -> tuple[str, str]:
        if self._urls is None:
            raise RuntimeError("simulator child not started")
        return self._urls

    @property
    def http_url(self) -> str:
        return self._endpoints()[0]

    @property
    def ws_url(self) -> str:
        return self._endpoints()[1]

    @property
    def slot(self) -> int:
        return int(self._shared[_SLOT])

    def fund(self, authority: Any, usdc: int) -> list[str]:
        """Blocking: only called before the bot runs (the sim's ``fund`` is synchronous)."""
        self._send(("fund", str(authority), usdc))
        deadline = time.monotonic() + 30.0
        while time.monotonic() < deadline:
            if self._conn.poll(0.1):
                msg = self._conn.recv()
                if msg[0] == "funded":
                    return list(msg[1])
                self._note(msg)
        raise RuntimeError("simulator child did not answer fund")

    async def sizes(self, timeout_s: float = 10.0) -> dict[str, int]:
        """``path -> len`` of the simulator's containers (for attributing the child's RSS)."""
        self._send(("sizes",))
        return dict((await self._reply("sizes", timeout_s))[1])

    def rss_mb(self) -> float | None:
        try:
            return proc_rss_mb(self.pid)
        except (OSError, ValueError):
            return None

    def drain(self) -> list[str]:
        """Collect error reports the child sent since the last call (non-blocking)."""
        if self._conn.closed:
            return self.errors
        try:
            while self._conn.poll():
                self._note(self._conn.recv())
        except (EOFError, OSError) as exc:
            self.errors.append(f"pipe: {exc!r}")
        return self.errors

    # -- plumbing ---------------------------------------------------------------------------

    def _send(self, msg: tuple) -> None:
        self._conn.send(msg)

    def _note(self, msg: tuple) -> None:
        self.errors.append(f"child: {msg!r}")

    async def _reply(self, kind: str, timeout_s: float) -> tuple:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._conn.poll():
                msg = self._conn.recv()
                if msg[0] == kind:
                    return msg
                self._note(msg)
            elif not self._proc.is_alive():
                raise RuntimeError(f"simulator child exited ({self._proc.exitcode})")
            else:
                await asyncio.sleep(0.05)
        raise RuntimeError(f"simulator child: no {kind!r} within {timeout_s} s")
