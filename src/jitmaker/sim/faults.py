"""Fault switches for reliability tests: each on demand or on a slot schedule.

* ``drop_ws``: abort every websocket now (no close frame), optionally refusing new ones
  for a while (the server answers the upgrade with HTTP 429).
* ``stall_ws``: keep sockets open but deliver nothing at all (silent stall).
* ``delay_ws``: hold every websocket message back by ``ms`` milliseconds.
* ``rate_limit``: answer HTTP 429 + ``Retry-After: 1`` to the next ``requests`` JSON-RPC
  calls (or until switched off).
* ``expire_blockhashes``: blockhashes older than ``max_age`` slots are "not found".
* ``corrupt_account``: the next ``count`` payloads of one account (or any account) carry
  garbage bytes (the ledger itself is untouched).

A scheduled fault (``FaultSpec``) switches on at ``at_slot`` and, when ``duration_slots``
is positive, off again that many slots later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from solders.pubkey import Pubkey

from jitmaker.errors import SimulatorError
from jitmaker.sim.scenario import FaultSpec
from jitmaker.sim.state import MAX_PROCESSING_AGE, Chain

__all__ = ["FAULT_KINDS", "FaultEvent", "Faults"]

FAULT_KINDS = (
    "drop_ws",
    "stall_ws",
    "delay_ws",
    "rate_limit",
    "expire_blockhashes",
    "corrupt_account",
)


@dataclass(frozen=True)
class FaultEvent:
    """What happened, for the report."""

    slot: int
    kind: str
    on: bool
    detail: str = ""


class Faults:
    """The live fault state the server, RPC and PubSub consult."""

    def __init__(self, chain: Chain, schedule: tuple[FaultSpec, ...] = ()) -> None:
        self.chain = chain
        self.ws_stalled = False
        self.ws_delay_s = 0.0
        self.ws_refuse_until_slot = -1
        self._rate_limit_remaining: int | None = 0  # None = until switched off
        self._corrupt: dict[Pubkey | None, int] = {}
        self.events: list[FaultEvent] = []
        self.drop_hook: Callable[[], int] | None = None  # set by the server: aborts sockets
        for spec in schedule:
            if spec.kind not in FAULT_KINDS:
                raise SimulatorError(f"unknown fault kind {spec.kind!r}; one of {FAULT_KINDS}")
        self._schedule = sorted(schedule, key=lambda s: s.at_slot)
        self._undo: list[tuple[int, Callable[[], None]]] = []
        self.rate_limited_count = 0
        self.corrupted_count = 0

    def _log(self, kind: str, on: bool, detail: str = "") -> None:
        if len(self.events) < 10_000:
            self.events.append(FaultEvent(self.chain.slot, kind, on, detail))

    # -- switches ----------------------------------------------------------------------

    def drop_ws(self, refuse_slots: int = 0) -> int:
        """Abort every open websocket; refuse reconnects for ``refuse_slots`` slots."""
        self.ws_refuse_until_slot = self.chain.slot + refuse_slots if refuse_slots > 0 else -1
        dropped = self.drop_hook() if self.drop_hook is not None else 0
        self._log("drop_ws", True, f"dropped={dropped} refuse_slots={refuse_slots}")
        return dropped

    @property
    def ws_refusing(self) -> bool:
        return self.chain.slot < self.ws_refuse_until_slot

    def stall_ws(self, on: bool = True) -> None:
        self.ws_stalled = on
        self._log("stall_ws", on)

    def delay_ws(self, ms: float) -> None:
        self.ws_delay_s = max(0.0, ms / 1000.0)
        self._log("delay_ws", ms > 0, f"ms={ms}")

    def rate_limit(self, requests: int | None = None, on: bool = True) -> None:
        """429 the next ``requests`` calls (``None``: every call until ``on=False``)."""
        self._rate_limit_remaining = (None if requests is None else requests) if on else 0
        self._log("rate_limit", on, f"requests={requests}")

    def expire_blockhashes(self, max_age: int | None = 5) -> None:
        """Blockhashes older than ``max_age`` slots stop being valid; ``None`` restores."""
        self.chain.blockhash_max_age = MAX_PROCESSING_AGE if max_age is None else max_age
        self._log("expire_blockhashes", max_age is not None, f"max_age={max_age}")

    def corrupt_account(self, key: Pubkey | None = None, count: int = 1) -> None:
        """Garble the next ``count`` payloads of ``key`` (``None``: of any account)."""
        if count <= 0:
            self._corrupt.pop(key, None)
        else:
            self._corrupt[key] = count
        self._log("corrupt_account", count > 0, f"key={key} count={count}")

    def clear(self) -> None:
        self.ws_stalled = False
        self.ws_delay_s = 0.0
        self.ws_refuse_until_slot = -1
        self._rate_limit_remaining = 0
        self._corrupt.clear()
        self.chain.blockhash_max_age = MAX_PROCESSING_AGE

    # -- queries (hot paths) --------------------------------------------------------------

    def rate_limited(self) -> bool:
        remaining = self._rate_limit_remaining
        if remaining == 0:
            return False
        if remaining is not None:
            self._rate_limit_remaining = remaining - 1
        self.rate_limited_count += 1
        return True

    def corrupt(self, key: Pubkey, data: bytes) -> bytes | None:
        if not self._corrupt:
            return None
        slot_key: Pubkey | None = key if key in self._corrupt else None
        if slot_key not in self._corrupt:
            return None
        left = self._corrupt[slot_key] - 1
        if left <= 0:
            del self._corrupt[slot_key]
        else:
            self._corrupt[slot_key] = left
        self.corrupted_count += 1
        if not data:
            return b"\xff"
        # wrong discriminator and half the length: every decoder must reject it
        return bytes([data[0] ^ 0xFF]) + data[1 : max(2, len(data) // 2)]

    # -- schedule --------------------------------------------------------------------------

    def apply(self, spec: FaultSpec) -> Callable[[], None]:
        """Switch one fault on; returns the callable that switches it off."""
        p: dict[str, Any] = dict(spec.params)
        kind = spec.kind
        if kind == "drop_ws":
            self.drop_ws(int(p.get("refuse_slots", spec.duration_slots)))
            return lambda: None
        if kind == "stall_ws":
            self.stall_ws(True)
            return lambda: self.stall_ws(False)
        if kind == "delay_ws":
            self.delay_ws(float(p.get("ms", 500)))
            return lambda: self.delay_ws(0)
        if kind == "rate_limit":
            requests = p.get("requests")
            self.rate_limit(None if requests is None else int(requests))
            return lambda: self.rate_limit(on=False)
        if kind == "expire_blockhashes":
            self.expire_blockhashes(int(p.get("max_age", 5)))
            return lambda: self.expire_blockhashes(None)
        if kind == "corrupt_account":
            key = p.get("pubkey")
            self.corrupt_account(Pubkey.from_string(key) if key else None, int(p.get("count", 1)))
            return lambda: None
        raise SimulatorError(f"unknown fault kind {kind!r}")

    def on_slot(self, slot: int) -> None:
        while self._undo and self._undo[0][0] <= slot:
            _, undo = self._undo.pop(0)
            undo()
        while self._schedule and self._schedule[0].at_slot <= slot:
            spec = self._schedule.pop(0)
            undo = self.apply(spec)
            if spec.duration_slots > 0:
                self._undo.append((slot + spec.duration_slots, undo))
                self._undo.sort(key=lambda item: item[0])
