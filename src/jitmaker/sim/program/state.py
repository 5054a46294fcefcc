"""Per-transaction working copies of accounts and the maps Drift loads from remaining accounts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from solders.pubkey import Pubkey

from jitmaker.sim.ledger import Account
from jitmaker.sim.program.constants import (
    PERP_MARKET_DISC,
    SPOT_MARKET_DISC,
    USER_DISC,
    USER_STATS_DISC,
)
from jitmaker.sim.program.errors import drift_error
from jitmaker.sim.program.layout import PerpMarketView, UserStatsView, UserView

__all__ = ["AccountMaps", "Work", "load_maps"]


class Work:
    """Mutable ``bytearray`` copies of the accounts a transaction touches.

    Instructions later in the same transaction see earlier changes; ``changed`` lists the
    accounts whose bytes differ from the ledger (the atomic write set on success).
    """

    def __init__(self, get: Callable[[Pubkey], Account | None]) -> None:
        self._get = get
        self._orig: dict[Pubkey, Account] = {}
        self._bufs: dict[Pubkey, bytearray] = {}

    def account(self, key: Pubkey) -> Account | None:
        if key in self._orig:
            return self._orig[key]
        account = self._get(key)
        if account is not None:
            self._orig[key] = account
        return account

    def data(self, key: Pubkey) -> bytes | bytearray | None:
        buf = self._bufs.get(key)
        if buf is not None:
            return buf
        account = self.account(key)
        return None if account is None else account.data

    def buf(self, key: Pubkey) -> bytearray:
        buf = self._bufs.get(key)
        if buf is None:
            account = self.account(key)
            if account is None:
                raise KeyError(key)
            buf = self._bufs[key] = bytearray(account.data)
        return buf

    def user(self, key: Pubkey) -> UserView:
        return UserView(key, self.buf(key))

    def stats(self, key: Pubkey) -> UserStatsView:
        return UserStatsView(key, self.buf(key))

    def market(self, key: Pubkey) -> PerpMarketView:
        return PerpMarketView(key, self.buf(key))

    def changed(self) -> dict[Pubkey, Account]:
        out = {}
        for key, buf in self._bufs.items():
            orig = self._orig[key]
            if buf != orig.data:
                out[key] = Account(orig.lamports, bytes(buf), orig.owner, orig.executable)
        return out


@dataclass
class AccountMaps:
    """Drift's oracle/spot/perp maps and the (User, UserStats) pairs of the remaining accounts."""

    oracles: dict[Pubkey, Pubkey] = field(default_factory=dict)
    spot: dict[int, tuple[Pubkey, bool]] = field(default_factory=dict)
    perp: dict[int, tuple[Pubkey, bool]] = field(default_factory=dict)
    users: list[tuple[Pubkey, bool]] = field(default_factory=list)
    stats: list[tuple[Pubkey, bool]] = field(default_factory=list)

    def perp_market(self, work: Work, index: int, writable: bool = True) -> PerpMarketView:
        entry = self.perp.get(index)
        if entry is None:
            raise drift_error(
                "PerpMarketNotFound", f"perp market {index} not in remaining accounts"
            )
        if writable and not entry[1]:
            raise drift_error("MarketWrongMutability", f"perp market {index} must be writable")
        return work.market(entry[0])


def load_maps(
    work: Work,
    remaining: list[tuple[Pubkey, bool]],
    program: Pubkey,
    writable_perp: frozenset[int] = frozenset(),
    writable_spot: frozenset[int] = frozenset(),
    user_pairs: bool = False,
) -> AccountMaps:
    """Classify remaining accounts by discriminator (Drift consumes them group by group:
    oracles, spot markets, perp markets, then User/UserStats pairs; the group order is not
    enforced here). A market in ``writable_perp``/``writable_spot`` passed read-only fails like
    Drift's ``load_maps``; with ``user_pairs`` (``load_user_maps(.., must_be_writable)``) each
    User must be writable and followed by a writable UserStats.
    """
    maps = AccountMaps()
    pending_user = False
    for key, writable in remaining:
        account = work.account(key)
        if account is None:
            continue
        data = work.data(key)
        disc = bytes(data[:8])
        if account.owner == program and disc == PERP_MARKET_DISC and len(data) >= 1216:
            index = int.from_bytes(data[1160:1162], "little")
            if index in maps.perp:
                raise drift_error(
                    "InvalidMarketAccount", f"Can not include same market index twice {index}"
                )
            if index in writable_perp and not writable:
                raise drift_error("MarketWrongMutability", f"Market {index} is not writable")
            maps.perp[index] = (key, writable)
        elif account.owner == program and disc == SPOT_MARKET_DISC and len(data) >= 776:
            index = int.from_bytes(data[684:686], "little")
            if index in writable_spot and not writable:
                raise drift_error("SpotMarketWrongMutability", f"Market {index} is not writable")
            maps.spot[index] = (key, writable)
        elif account.owner == program and disc == USER_DISC and len(data) >= 4376:
            if user_pairs and pending_user:
                raise drift_error("InvalidUserStatsAccount", "User not followed by UserStats")
            if user_pairs and not writable:
                raise drift_error("UserWrongMutability")
            maps.users.append((key, writable))
            pending_user = True
            continue
        elif account.owner == program and disc == USER_STATS_DISC and len(data) >= 240:
            if user_pairs and pending_user and not writable:
                raise drift_error("UserStatsWrongMutability")
            maps.stats.append((key, writable))
        else:
            if user_pairs and pending_user:
                raise drift_error("InvalidUserStatsAccount", "User not followed by UserStats")
            maps.oracles[key] = key
        pending_user = False
    if user_pairs and pending_user:
        raise drift_error("UserStatsNotFound")
    return maps
