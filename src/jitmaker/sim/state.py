"""The simulated chain's moving parts: slot clock, blockhashes, signature statuses, commits.

``Chain`` owns the ledger and is the only place that writes it after seeding: every change
(a landed transaction, an oracle tick, a flow helper's fill) goes through ``commit``, which
stores the new accounts and tells the observers (PubSub, report) what changed in which slot.
Time is a plain counter advanced by ``advance``; nothing here reads a clock or sleeps, so a
day of slots can run as fast as the CPU allows.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.signature import Signature

from jitmaker.sim.ledger import Account, Ledger

__all__ = ["MAX_PROCESSING_AGE", "Chain", "Commitment", "TxStatus"]

MAX_PROCESSING_AGE = 150  # blocks a blockhash stays valid for (Agave)
SLOT_SECONDS_NUM, SLOT_SECONDS_DEN = 2, 5  # nominal chain time: 400 ms per slot


class Commitment:
    """Commitment names as the RPC accepts them, mapped to processed/confirmed/finalized."""

    PROCESSED = "processed"
    CONFIRMED = "confirmed"
    FINALIZED = "finalized"
    ALIASES: ClassVar[dict[str, str]] = {
        "processed": "processed",
        "recent": "processed",
        "single": "confirmed",
        "singleGossip": "confirmed",
        "confirmed": "confirmed",
        "root": "finalized",
        "max": "finalized",
        "finalized": "finalized",
    }


@dataclass(slots=True)
class TxStatus:
    """A landed transaction as getSignatureStatuses / getTransaction report it."""

    slot: int
    err: dict | str | None
    logs: list[str] = field(default_factory=list)
    units: int = 0
    tx_b64: str = ""
    block_time: int = 0


Observer = Callable[[dict[Pubkey, Account], int], None]
SlotObserver = Callable[[int], None]


class Chain:
    """Ledger + clock + status cache; single-threaded, driven by the simulator's event loop."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        start_slot: int,
        start_unix_timestamp: int,
        block_height_lag: int,
        seed: int = 0,
        confirmed_lag: int = 1,
        finalized_lag: int = 32,
        status_capacity: int = 20_000,
    ) -> None:
        self.ledger = ledger
        self.slot = start_slot
        self.start_slot = start_slot
        self.start_unix_timestamp = start_unix_timestamp
        self.block_height_lag = block_height_lag
        self.seed = seed
        self.confirmed_lag = confirmed_lag
        self.finalized_lag = finalized_lag
        self.status_capacity = status_capacity
        # blockhash -> (slot, last valid block height), oldest first
        self.blockhashes: OrderedDict[Hash, tuple[int, int]] = OrderedDict()
        self.statuses: OrderedDict[Signature, TxStatus] = OrderedDict()
        # signature -> last valid block height of its blockhash (duplicate detection window)
        self.processed: dict[Signature, int] = {}
        self.blockhash_max_age = MAX_PROCESSING_AGE  # the "expire early" fault lowers this
        self._last_valid: dict[Hash, int] = {}
        self._valid_key: tuple[int, int] | None = None
        self._valid: dict[Hash, int] = {}
        self.observers: list[Observer] = []
        self.slot_observers: list[SlotObserver] = []
        self._add_blockhash(self.slot)

    # -- clock -----------------------------------------------------------------------

    @property
    def block_height(self) -> int:
        return self.slot - self.block_height_lag

    @property
    def unix_timestamp(self) -> int:
        elapsed = self.slot - self.start_slot
        return self.start_unix_timestamp + elapsed * SLOT_SECONDS_NUM // SLOT_SECONDS_DEN

    def slot_at(self, commitment: str) -> int:
        level = Commitment.ALIASES.get(commitment, Commitment.FINALIZED)
        if level == Commitment.PROCESSED:
            return self.slot
        lag = self.confirmed_lag if level == Commitment.CONFIRMED else self.finalized_lag
        return max(self.start_slot, self.slot - lag)

    def advance(self) -> int:
        """Move to the next slot (one block per slot) and tell the slot observers."""
        self.slot += 1
        self._add_blockhash(self.slot)
        self._prune()
        for observer in self.slot_observers:
            observer(self.slot)
        return self.slot

    def _blockhash_for(self, slot: int) -> Hash:
        digest = hashlib.sha256(f"jitmaker-sim/{self.seed}/blockhash/{slot}".encode()).digest()
        return Hash(digest)

    def _add_blockhash(self, slot: int) -> None:
        bh = slot - self.block_height_lag
        blockhash = self._blockhash_for(slot)
        self.blockhashes[blockhash] = (slot, bh + MAX_PROCESSING_AGE)
        self._last_valid[blockhash] = bh + MAX_PROCESSING_AGE

    def _prune(self) -> None:
        height = self.block_height
        while self.blockhashes:
            _, (_slot, last_valid) = next(iter(self.blockhashes.items()))
            if last_valid >= height:
                break
            expired, _ = self.blockhashes.popitem(last=False)
            self._last_valid.pop(expired, None)
        if len(self.processed) > 4 * self.status_capacity or (self.slot % 64 == 0):
            self.processed = {s: lv for s, lv in self.processed.items() if lv >= height}

    # -- blockhashes -------------------------------------------------------------------

    def latest_blockhash(self, commitment: str = Commitment.FINALIZED) -> tuple[Hash, int]:
        slot = self.slot_at(commitment)
        bh = self._blockhash_for(slot)
        entry = self.blockhashes.get(bh)
        last_valid = entry[1] if entry else slot - self.block_height_lag + MAX_PROCESSING_AGE
        return bh, last_valid

    def valid_blockhashes(self) -> dict[Hash, int]:
        """Blockhash -> last valid block height, honouring the early-expiry fault.

        Maintained incrementally (or cached per slot while the fault is on); callers must not
        mutate the returned dict.
        """
        max_age = self.blockhash_max_age
        if max_age >= MAX_PROCESSING_AGE:
            return self._last_valid  # maintained by _add_blockhash/_prune: all still valid
        key = (self.slot, max_age)
        if self._valid_key == key:
            return self._valid
        height = self.block_height
        valid = {
            h: lv
            for h, (s, lv) in self.blockhashes.items()
            if lv >= height and self.slot - s <= max_age
        }
        self._valid_key, self._valid = key, valid
        return valid

    def is_blockhash_valid(self, blockhash: Hash) -> bool:
        return blockhash in self.valid_blockhashes()

    # -- commits ---------------------------------------------------------------------

    def commit(self, changed: dict[Pubkey, Account]) -> None:
        if not changed:
            return
        self.ledger.commit(changed, self.slot)
        for observer in self.observers:
            observer(changed, self.slot)

    def record_status(self, signature: Signature, status: TxStatus, last_valid: int) -> None:
        self.statuses[signature] = status
        self.processed[signature] = last_valid
        while len(self.statuses) > self.status_capacity:
            self.statuses.popitem(last=False)

    def confirmation_status(self, landed_slot: int) -> tuple[str, int | None]:
        """('processed'|'confirmed'|'finalized', confirmations) for a tx landed in a slot."""
        depth = self.slot - landed_slot
        if depth >= self.finalized_lag:
            return Commitment.FINALIZED, None
        if depth >= self.confirmed_lag:
            return Commitment.CONFIRMED, depth
        return Commitment.PROCESSED, depth
