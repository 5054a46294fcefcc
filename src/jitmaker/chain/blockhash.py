"""Background-refreshed blockhash and block height, so the hot path only reads memory.

Why: fetching a blockhash per transaction adds a round trip to every fill attempt, and a
failed fetch must not crash the sender (protocol-v2#690). Fetched at ``confirmed`` as
reliability.md T1 advises; ``lastValidBlockHeight`` travels with it for expiry decisions.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import structlog

from jitmaker.chain.loglimit import LogLimiter
from jitmaker.chain.rpc import RpcClient
from jitmaker.chain.rpcparse import as_int, as_str, parse_or_raise
from jitmaker.chain.rpctypes import Commitment
from jitmaker.chain.tasks import TaskSet, refresh_logged
from jitmaker.errors import RpcError, StaleDataError

__all__ = ["BlockhashCache", "CachedBlockhash"]

log = structlog.get_logger(__name__)


class CachedBlockhash(NamedTuple):
    blockhash: str
    last_valid_block_height: int
    slot: int
    fetched_at: float  # clock() when fetched


class BlockhashCache:
    """Latest blockhash (at ``confirmed``, as reliability.md T1 advises) and block height.

    A background task refreshes every ``refresh_s`` and whenever ``on_slot`` is called (wire it
    to the slot feed for a per-slot refresh). ``current()`` never does I/O."""

    def __init__(
        self,
        rpc: RpcClient,
        *,
        commitment: Commitment = Commitment.CONFIRMED,
        refresh_s: float = 2.0,
        min_refresh_s: float = 0.2,
        max_age_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rpc = rpc
        self.commitment = commitment
        self.refresh_s = refresh_s
        self.min_refresh_s = min_refresh_s
        self.max_age_s = max_age_s
        self._clock = clock
        self._value: CachedBlockhash | None = None
        self.block_height: int | None = None
        self._wake = asyncio.Event()
        self._tasks = TaskSet("blockhash_cache")
        self._limiter = LogLimiter(5.0, clock=clock)
        self.failures = 0

    def current(self) -> CachedBlockhash:
        """The cached blockhash; ``StaleDataError`` if none yet or older than ``max_age_s``."""
        v = self._value
        if v is None:
            raise StaleDataError("no blockhash fetched yet")
        age = self._clock() - v.fetched_at
        if age > self.max_age_s:
            raise StaleDataError(f"blockhash is {age:.1f}s old (max {self.max_age_s}s)")
        return v

    def on_slot(self, slot: int) -> None:
        """Ask for a refresh soon (cheap; call from a slot-notification callback)."""
        del slot
        self._wake.set()

    async def refresh(self) -> CachedBlockhash:
        """Fetch blockhash and block height in one batch round trip."""
        cfg = [{"commitment": self.commitment.value}]
        bh, height = await self._rpc.batch([("getLatestBlockhash", cfg), ("getBlockHeight", cfg)])
        if isinstance(bh, RpcError):
            raise bh
        value = parse_or_raise("getLatestBlockhash", bh, self._parse)
        if isinstance(height, int) and not isinstance(height, bool):
            self.block_height = max(height, self.block_height or 0)
        self._value = value
        return value

    def _parse(self, bh: Any) -> CachedBlockhash:
        # The shared checked parsers: a float, bool or Infinity where an int belongs is a
        # malformed reply (RpcError), never an OverflowError or a silently truncated height.
        value = bh["value"]
        return CachedBlockhash(
            as_str(value["blockhash"]),
            as_int(value["lastValidBlockHeight"]),
            as_int(bh["context"]["slot"]),
            self._clock(),
        )

    def start(self) -> None:
        self._tasks.spawn(self._loop(), name="blockhash-cache")

    async def close(self) -> None:
        await self._tasks.cancel_all()

    async def _loop(self) -> None:
        while True:
            if not await refresh_logged(
                self.refresh, limiter=self._limiter, event="blockhash_refresh_failed", logger=log
            ):
                self.failures += 1
            self._wake.clear()
            try:
                async with asyncio.timeout(self.refresh_s):
                    await self._wake.wait()
            except TimeoutError:
                pass
            await asyncio.sleep(self.min_refresh_s)
