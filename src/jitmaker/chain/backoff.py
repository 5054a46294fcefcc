"""Exponential backoff with jitter, shared by the RPC client and the websocket feeds.

Why: reconnect and retry storms (a fixed sleep, or no sleep at all) are the most common way
peers turn one provider hiccup into a log flood or a ban. Full jitter spreads retries of many
clients over the whole window; a cap bounds the worst-case wait. ``rng`` is injectable so tests
are deterministic.
"""

from __future__ import annotations

import random
from enum import Enum
from typing import Protocol

__all__ = ["Backoff", "Jitter", "UniformRng"]


class UniformRng(Protocol):
    """What Backoff needs from a random source (``random.Random`` satisfies it)."""

    def uniform(self, a: float, b: float) -> float: ...


class Jitter(Enum):
    """How a raw exponential delay is randomised."""

    NONE = 0  # delay = d
    FULL = 1  # delay ~ U(0, d)
    EQUAL = 2  # delay ~ d/2 + U(0, d/2)


class Backoff:
    """Delay sequence ``min(cap, base * factor**attempt)`` with jitter.

    ``next_delay()`` returns the delay for the current attempt and advances; ``reset()``
    starts over after a success. Parameters are validated so a bad config cannot produce a
    zero-delay hot loop or an unbounded wait.
    """

    __slots__ = ("_attempt", "_rng", "base", "cap", "factor", "jitter")

    def __init__(
        self,
        base: float = 0.1,
        cap: float = 30.0,
        *,
        factor: float = 2.0,
        jitter: Jitter = Jitter.FULL,
        rng: UniformRng | None = None,
    ) -> None:
        if not base > 0:
            raise ValueError(f"backoff base must be > 0, got {base!r}")
        if not cap >= base:
            raise ValueError(f"backoff cap must be >= base, got cap={cap!r} base={base!r}")
        if not 1.0 <= factor <= 100.0:
            raise ValueError(f"backoff factor must be in [1, 100], got {factor!r}")
        self.base = float(base)
        self.cap = float(cap)
        self.factor = float(factor)
        self.jitter = jitter
        self._rng: UniformRng = rng if rng is not None else random.Random()
        self._attempt = 0

    @property
    def attempt(self) -> int:
        """Number of delays handed out since the last reset."""
        return self._attempt

    def ceiling(self, attempt: int) -> float:
        """Un-jittered delay for ``attempt`` (0-based), capped."""
        # Stop multiplying once past the cap so huge attempt counts cannot overflow.
        d = self.base
        for _ in range(attempt):
            d *= self.factor
            if d >= self.cap:
                return self.cap
        return min(d, self.cap)

    def next_delay(self) -> float:
        """Delay to wait before the next attempt; advances the attempt counter."""
        d = self.delay(self._attempt)
        self._attempt += 1
        return d

    def delay(self, attempt: int) -> float:
        """Jittered delay for ``attempt`` (0-based) without touching the counter."""
        d = self.ceiling(attempt)
        match self.jitter:
            case Jitter.NONE:
                return d
            case Jitter.FULL:
                return self._rng.uniform(0.0, d)
            case Jitter.EQUAL:
                return d / 2 + self._rng.uniform(0.0, d / 2)
        raise AssertionError(self.jitter)  # pragma: no cover

    def jitter_up_to(self, bound: float) -> float:
        """A uniform extra delay in [0, bound], used on top of a server's Retry-After."""
        return self._rng.uniform(0.0, bound) if bound > 0 else 0.0

    def reset(self) -> None:
        """Start the sequence over (call after a success)."""
        self._attempt = 0
