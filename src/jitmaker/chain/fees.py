"""Priority fee: clamp(percentile(recent fees) x multiplier, floor, cap), refreshed in the
background.

Why: peers use a static price or sample one market's fees for all (peers.md §4 C14), and a
NaN/None fee once broke a keeper crank (keeper-bots-v2 d1bb0691). Integer-only, junk-safe,
capped by configuration.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import structlog

from jitmaker.chain.loglimit import LogLimiter
from jitmaker.chain.rpc import RpcClient
from jitmaker.chain.tasks import TaskSet, refresh_logged

__all__ = ["PriorityFeeEstimator", "estimate_priority_fee"]

log = structlog.get_logger(__name__)


def estimate_priority_fee(
    samples: Sequence[Any], *, percentile: int, multiplier: Fraction, floor: int, cap: int
) -> int:
    """clamp(percentile(samples) * multiplier, floor, cap) in micro-lamports per CU.

    Nearest-rank percentile over the non-negative integer samples; junk (None, floats, bools,
    negatives) is ignored, so the result is always an int in [floor, cap]."""
    valid = sorted(s for s in samples if isinstance(s, int) and not isinstance(s, bool) and s >= 0)
    if not valid:
        return floor  # what the clamp below yields for any fee <= floor, whatever cap is
    rank = max(1, math.ceil(percentile * len(valid) / 100))
    base = valid[rank - 1]
    fee = base * multiplier.numerator // multiplier.denominator
    return max(floor, min(cap, fee))


class PriorityFeeEstimator:
    """Background ``getRecentPrioritizationFees`` sampling for the accounts a tx write-locks."""

    def __init__(
        self,
        rpc: RpcClient,
        *,
        cap: int,
        accounts: Sequence[str] = (),
        percentile: int = 75,
        multiplier: Fraction = Fraction(1),
        floor: int = 0,
        refresh_s: float = 5.0,
        fixed: int | None = None,
    ) -> None:
        if not 0 <= percentile <= 100:
            raise ValueError("percentile must be in [0, 100]")
        if cap < floor or floor < 0:
            raise ValueError("need 0 <= floor <= cap")
        if multiplier <= 0:
            raise ValueError("multiplier must be > 0")
        self._rpc = rpc
        self.accounts = tuple(accounts)
        self.percentile = percentile
        self.multiplier = multiplier
        self.floor = floor
        self.cap = cap
        self.refresh_s = refresh_s
        self.fixed = fixed
        self._value = min(cap, fixed) if fixed is not None else floor
        self._tasks = TaskSet("priority_fee")
        self._limiter = LogLimiter(30.0)

    def current(self) -> int:
        """Micro-lamports per CU to bid now (no I/O)."""
        return self._value

    async def refresh(self) -> int:
        if self.fixed is not None:
            return self._value
        fees = await self._rpc.get_recent_prioritization_fees(self.accounts)
        self._value = estimate_priority_fee(
            [f.fee for f in fees],
            percentile=self.percentile,
            multiplier=self.multiplier,
            floor=self.floor,
            cap=self.cap,
        )
        return self._value

    def start(self) -> None:
        if self.fixed is None:
            self._tasks.spawn(self._loop(), name="priority-fee")

    async def close(self) -> None:
        await self._tasks.cancel_all()

    async def _loop(self) -> None:
        while True:
            await refresh_logged(
                self.refresh, limiter=self._limiter, event="priority_fee_refresh_failed", logger=log
            )
            await asyncio.sleep(self.refresh_s)
