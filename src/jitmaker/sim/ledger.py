"""The simulator's account store: exact byte images keyed by Pubkey.

The program executor never mutates the ledger directly: it works on an ``Overlay`` and
returns the changed accounts, which the server commits at once (atomic per
transaction) and then notifies subscribers about. Everything here is synchronous and
single-threaded; the server serializes access on its event loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from solders.pubkey import Pubkey

__all__ = ["RENT_EPOCH_EXEMPT", "Account", "Ledger", "Overlay"]

RENT_EPOCH_EXEMPT = 18446744073709551615


@dataclass(frozen=True, slots=True)
class Account:
    """One account as the RPC serves it."""

    lamports: int
    data: bytes
    owner: Pubkey
    executable: bool = False
    rent_epoch: int = RENT_EPOCH_EXEMPT


@dataclass(slots=True)
class Ledger:
    """All accounts plus the slot each was last written in."""

    accounts: dict[Pubkey, Account] = field(default_factory=dict)
    write_slot: dict[Pubkey, int] = field(default_factory=dict)

    def get(self, key: Pubkey) -> Account | None:
        return self.accounts.get(key)

    def put(self, key: Pubkey, account: Account, slot: int) -> None:
        self.accounts[key] = account
        self.write_slot[key] = slot

    def commit(self, changed: dict[Pubkey, Account], slot: int) -> None:
        for key, account in changed.items():
            self.put(key, account, slot)

    def by_owner(self, owner: Pubkey) -> Iterator[tuple[Pubkey, Account]]:
        for key, account in self.accounts.items():
            if account.owner == owner:
                yield key, account

    def overlay(self) -> Overlay:
        return Overlay(self)


class Overlay:
    """Copy-on-write view of a ``Ledger`` used while executing one transaction."""

    __slots__ = ("_base", "changed")

    def __init__(self, base: Ledger) -> None:
        self._base = base
        self.changed: dict[Pubkey, Account] = {}

    def get(self, key: Pubkey) -> Account | None:
        account = self.changed.get(key)
        return account if account is not None else self._base.get(key)

    def put(self, key: Pubkey, account: Account) -> None:
        self.changed[key] = account
