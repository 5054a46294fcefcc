"""Rate-limited logging decisions: at most one line per (event, key) per interval.

Why: a misbehaving endpoint can produce thousands of identical errors per second; a
reconnect loop that logs every failure has filled disks in peer bots (drift-labs/gateway#107).
Suppressed lines are counted and reported on the next line that is let through.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

__all__ = ["LogLimiter"]


class LogLimiter:
    """Decides whether a log line for ``key`` may be emitted now."""

    __slots__ = ("_clock", "_interval", "_max_keys", "_state")

    def __init__(
        self,
        interval_s: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 1024,
    ) -> None:
        self._interval = interval_s
        self._clock = clock
        self._max_keys = max_keys
        # key -> [last emitted time, suppressed since]
        self._state: OrderedDict[Hashable, list[float]] = OrderedDict()

    def allow(self, key: Hashable) -> int | None:
        """``None`` if the line must be dropped, else the number of lines suppressed since the
        last emitted one (0 for the first)."""
        now = self._clock()
        st = self._state.get(key)
        if st is None:
            self._state[key] = [now, 0]
            if len(self._state) > self._max_keys:
                self._state.popitem(last=False)
            return 0
        if now - st[0] >= self._interval:
            suppressed = int(st[1])
            st[0] = now
            st[1] = 0
            self._state.move_to_end(key)
            return suppressed
        st[1] += 1
        return None
