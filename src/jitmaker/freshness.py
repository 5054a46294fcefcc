"""The freshness gate: nothing is sent while any input is stale.

Every input (slot feed, auction feed, DLOB feed, each oracle, our own accounts) reports
the slot and monotonic arrival time of its last frame. An input is STALE when no frame
arrived for ``max_silence_s`` (a silent websocket stall) or its data lags the newest slot
seen by more than ``max_lag_slots``. Pure: the caller passes ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["FeedStatus", "FreshnessGate", "InputState", "Verdict"]


class FeedStatus(Enum):
    NEVER = "never"  # no frame yet
    FRESH = "fresh"
    SILENT = "silent"  # no frame for too long: a stall
    LAGGING = "lagging"  # frames arrive but their slot is too old


@dataclass(slots=True)
class InputState:
    name: str
    max_silence_s: float
    max_lag_slots: int | None  # None: slot lag is not meaningful for this input
    last_slot: int = -1
    last_arrival: float | None = None
    frames: int = 0


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    stale: tuple[tuple[str, FeedStatus], ...]
    newest_slot: int

    def reason(self) -> str:
        return ",".join(f"{name}:{status.value}" for name, status in self.stale)


class FreshnessGate:
    """Tracks inputs and answers "may we send now?"."""

    def __init__(self) -> None:
        self._inputs: dict[str, InputState] = {}
        self.newest_slot = -1

    def register(
        self, name: str, *, max_silence_s: float, max_lag_slots: int | None = None
    ) -> None:
        if name not in self._inputs:
            self._inputs[name] = InputState(name, max_silence_s, max_lag_slots)

    def unregister(self, name: str) -> None:
        self._inputs.pop(name, None)

    def observe(self, name: str, slot: int, now: float) -> None:
        state = self._inputs.get(name)
        if state is None:
            return
        state.last_arrival = now
        state.frames += 1
        if slot > state.last_slot:
            state.last_slot = slot
        if slot > self.newest_slot:
            self.newest_slot = slot

    def touch(self, name: str, now: float) -> None:
        """A frame arrived that carries no slot (e.g. a subscription confirmation)."""
        state = self._inputs.get(name)
        if state is not None:
            state.last_arrival = now

    def status(self, name: str, now: float) -> FeedStatus:
        state = self._inputs[name]
        return self._status(state, now)

    def _status(self, state: InputState, now: float) -> FeedStatus:
        if state.last_arrival is None:
            return FeedStatus.NEVER
        if now - state.last_arrival > state.max_silence_s:
            return FeedStatus.SILENT
        if (
            state.max_lag_slots is not None
            and self.newest_slot >= 0
            and state.last_slot >= 0
            and self.newest_slot - state.last_slot > state.max_lag_slots
        ):
            return FeedStatus.LAGGING
        return FeedStatus.FRESH

    def check(self, now: float) -> Verdict:
        stale = tuple(
            (state.name, status)
            for state in self._inputs.values()
            if (status := self._status(state, now)) is not FeedStatus.FRESH
        )
        return Verdict(not stale, stale, self.newest_slot)

    def lag_slots(self) -> dict[str, int]:
        return {
            s.name: (self.newest_slot - s.last_slot) if s.last_slot >= 0 else -1
            for s in self._inputs.values()
        }

    def snapshot(self, now: float) -> dict[str, dict]:
        return {
            s.name: {
                "status": self._status(s, now).value,
                "last_slot": s.last_slot,
                "age_s": None if s.last_arrival is None else round(now - s.last_arrival, 3),
                "frames": s.frames,
            }
            for s in self._inputs.values()
        }
