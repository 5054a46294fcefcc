"""Remaining accounts for Drift fills: oracles, spot markets, perp markets, referrer, vaults.

Drift loads the oracle/spot/perp maps from the remaining accounts (each group consumed
while the account has the expected kind) and runs margin checks over every market either
user holds a position in, so the list must cover taker and maker positions plus the
order's market (writable). The order reproduces driftpy/TS ``getRemainingAccounts``
(taker first, then maker; insertion order per group) so transactions are comparable.

Per auction only the taker changes; ``MarketDirectory.maker_remaining`` memoises the whole
list on the (taker markets, maker markets, order market, referrer) key, so a repeated
shape costs one dict lookup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from solders.instruction import AccountMeta
from solders.pubkey import Pubkey

from jitmaker.accounts.enums import MarketType, OracleSource
from jitmaker.chain.pdas import (
    DRIFT_PROGRAM_ID,
    perp_market_pda,
    spot_market_pda,
    user_pda,
    user_stats_pda,
)
from jitmaker.errors import EncodeError

__all__ = [
    "NO_MARKETS",
    "QUOTE_SPOT_MARKET_INDEX",
    "MarketDirectory",
    "PerpMarketRef",
    "RawMeta",
    "SpotMarketRef",
    "UserMarkets",
    "raw_to_metas",
    "referrer_accounts",
    "user_markets",
]

QUOTE_SPOT_MARKET_INDEX = 0
_DEFAULT_KEY = bytes(32)

RawMeta = tuple[bytes, bool]
"""(32-byte key, is_writable) of a non-signer account; what the message compiler eats."""


class PerpMarketRef(NamedTuple):
    """What remaining accounts need from a PerpMarket account (``pubkey`` None -> PDA)."""

    market_index: int
    oracle: Pubkey
    oracle_source: OracleSource = OracleSource.PYTH_PULL
    quote_spot_market_index: int = QUOTE_SPOT_MARKET_INDEX
    pubkey: Pubkey | None = None

    @classmethod
    def from_account(cls, market: Any) -> PerpMarketRef:
        """From a decoded PerpMarket (jitmaker record or driftpy account: same field names)."""
        return cls(
            market.market_index,
            market.amm.oracle,
            OracleSource(_variant_index(market.amm.oracle_source)),
            market.quote_spot_market_index,
            market.pubkey,
        )


class SpotMarketRef(NamedTuple):
    """What remaining accounts need from a SpotMarket account (oracle default -> none)."""

    market_index: int
    oracle: Pubkey
    vault: Pubkey | None = None
    pubkey: Pubkey | None = None

    @classmethod
    def from_account(cls, market: Any) -> SpotMarketRef:
        """From a decoded SpotMarket (jitmaker record or driftpy account)."""
        return cls(market.market_index, market.oracle, market.vault, market.pubkey)


def _variant_index(value: Any) -> int:
    """An IntEnum/int as is; a driftpy sum-type variant by its name in ``OracleSource``."""
    if isinstance(value, int):
        return value
    name = type(value).__name__
    for member in OracleSource:
        if member.name.replace("_", "").lower() == name.lower():
            return member
    raise EncodeError(f"unknown oracle source {value!r}")


class UserMarkets(NamedTuple):
    """Markets a user's positions pull into the remaining accounts, in insertion order.

    ``spot`` includes the quote market where a spot position has open bids/asks, at the
    place driftpy adds it. Build with ``user_markets(user)`` whenever the User changes.
    """

    spot: tuple[int, ...] = ()
    perp: tuple[int, ...] = ()


NO_MARKETS = UserMarkets()
"""A user without positions."""


def _dedup(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(values))


def user_markets(user: Any) -> UserMarkets:
    """Markets of a decoded User (duck-typed: ``spot_positions``/``perp_positions`` with
    IDL field names, as in driftpy's ``UserAccount`` or jitmaker's User record).

    A spot position counts unless ``scaled_balance == 0 and open_orders == 0``; one with
    open bids/asks also adds the quote market. A perp position counts unless base, quote,
    open orders, open bids/asks and LP shares are all zero (the program's
    ``PerpPosition::is_available``; driftpy ignores open bids/asks, which are zero whenever
    open orders are).
    """
    spot: list[int] = []
    for pos in user.spot_positions:
        if pos.scaled_balance != 0 or pos.open_orders != 0:
            spot.append(pos.market_index)
        if pos.open_asks != 0 or pos.open_bids != 0:
            spot.append(QUOTE_SPOT_MARKET_INDEX)
    perp = [
        pos.market_index
        for pos in user.perp_positions
        if pos.base_asset_amount != 0
        or pos.quote_asset_amount != 0
        or pos.open_orders != 0
        or getattr(pos, "lp_shares", 0) != 0
        or getattr(pos, "open_bids", 0) != 0
        or getattr(pos, "open_asks", 0) != 0
    ]
    return UserMarkets(_dedup(spot), _dedup(perp))


class _Perp(NamedTuple):
    key: bytes
    oracle: bytes
    prelaunch: bool
    quote: int


class _Spot(NamedTuple):
    key: bytes
    oracle: bytes
    vault: bytes | None


class _Maps:
    """Three insertion-ordered maps key -> writable, like the SDKs' builders."""

    __slots__ = ("directory", "oracles", "perps", "spots")

    def __init__(self, directory: MarketDirectory) -> None:
        self.directory = directory
        self.oracles: dict[bytes, bool] = {}
        self.spots: dict[int, bool] = {}
        self.perps: dict[int, bool] = {}

    def spot(self, index: int, writable: bool) -> None:
        market = self.directory.spot_ref(index)
        self.spots[index] = self.spots.get(index, False) or writable
        if market.oracle != _DEFAULT_KEY:
            self.oracles.setdefault(market.oracle, False)

    def perp(self, index: int, writable: bool) -> None:
        market = self.directory.perp_ref(index)
        self.perps[index] = self.perps.get(index, False) or writable
        oracle_writable = writable and market.prelaunch
        self.oracles[market.oracle] = self.oracles.get(market.oracle, False) or oracle_writable
        self.spot(market.quote, False)

    def raw(self) -> list[RawMeta]:
        d = self.directory
        out: list[RawMeta] = list(self.oracles.items())
        out.extend((d.spot_ref(i).key, w) for i, w in self.spots.items())
        out.extend((d.perp_ref(i).key, w) for i, w in self.perps.items())
        return out


class MarketDirectory:
    """Market index -> (market, oracle, vault) keys, and the remaining-accounts builders."""

    def __init__(
        self,
        perp_markets: Iterable[PerpMarketRef] = (),
        spot_markets: Iterable[SpotMarketRef] = (),
        *,
        program_id: Pubkey = DRIFT_PROGRAM_ID,
        cache_size: int = 4096,
    ) -> None:
        self.program_id = program_id
        self._perp: dict[int, _Perp] = {}
        self._spot: dict[int, _Spot] = {}
        self._cache: dict[tuple, tuple[RawMeta, ...]] = {}
        self._cache_size = cache_size
        for market in perp_markets:
            self.set_perp(market)
        for market in spot_markets:
            self.set_spot(market)

    @classmethod
    def from_accounts(
        cls,
        perp_markets: Iterable[Any],
        spot_markets: Iterable[Any],
        *,
        program_id: Pubkey = DRIFT_PROGRAM_ID,
    ) -> MarketDirectory:
        """From decoded PerpMarket/SpotMarket accounts (see ``*MarketRef.from_account``)."""
        return cls(
            (PerpMarketRef.from_account(m) for m in perp_markets),
            (SpotMarketRef.from_account(m) for m in spot_markets),
            program_id=program_id,
        )

    # -- registry -------------------------------------------------------------------------
    def set_perp(self, market: PerpMarketRef) -> None:
        """Add or replace a perp market (e.g. after its oracle changed)."""
        key = market.pubkey or perp_market_pda(market.market_index, self.program_id)
        self._perp[market.market_index] = _Perp(
            bytes(key),
            bytes(market.oracle),
            market.oracle_source == OracleSource.PRELAUNCH,
            market.quote_spot_market_index,
        )
        self._cache.clear()

    def set_spot(self, market: SpotMarketRef) -> None:
        """Add or replace a spot market."""
        key = market.pubkey or spot_market_pda(market.market_index, self.program_id)
        vault = None if market.vault is None else bytes(market.vault)
        self._spot[market.market_index] = _Spot(bytes(key), bytes(market.oracle), vault)
        self._cache.clear()

    def perp_ref(self, index: int) -> _Perp:
        try:
            return self._perp[index]
        except KeyError:
            raise EncodeError(f"perp market {index} is not in the market directory") from None

    def spot_ref(self, index: int) -> _Spot:
        try:
            return self._spot[index]
        except KeyError:
            raise EncodeError(f"spot market {index} is not in the market directory") from None

    # -- builders -------------------------------------------------------------------------
    def remaining(
        self,
        users: Sequence[UserMarkets],
        *,
        writable_perp: Iterable[int] = (),
        writable_spot: Iterable[int] = (),
        readable_perp: Iterable[int] = (),
        readable_spot: Iterable[int] = (),
    ) -> list[RawMeta]:
        """Oracles, spot markets, perp markets (SDK ``getRemainingAccounts`` order).

        Writability is OR-ed when a key is added twice (the SDKs keep the last flag, which
        can only differ for a Prelaunch oracle shared with a spot market).
        """
        maps = _Maps(self)
        for user in users:
            for index in user.spot:
                maps.spot(index, False)
            for index in user.perp:
                maps.perp(index, False)
        for index in readable_perp:
            maps.perp(index, False)
        for index in readable_spot:
            maps.spot(index, False)
        for index in writable_perp:
            maps.perp(index, True)
        for index in writable_spot:
            maps.spot(index, True)
        return maps.raw()

    def maker_remaining(
        self,
        taker: UserMarkets,
        maker: UserMarkets,
        market_type: MarketType,
        market_index: int,
        referrer: tuple[Pubkey, Pubkey] | None = None,
    ) -> tuple[RawMeta, ...]:
        """Remaining accounts of ``jit`` / ``place_and_make_*`` (memoised).

        Perp: order's perp market writable. Spot: order's market and the quote market
        writable, and after the referrer pair both spot vaults read-only (jit-proxy client
        and the SDK's ``addSpotFulfillmentAccounts`` for Match fulfilment).
        """
        cache_key = (taker, maker, market_type, market_index, referrer)
        hit = self._cache.get(cache_key)
        if hit is not None:
            return hit
        if market_type == MarketType.PERP:
            raw = self.remaining((taker, maker), writable_perp=(market_index,))
        else:
            raw = self.remaining(
                (taker, maker), writable_spot=(market_index, QUOTE_SPOT_MARKET_INDEX)
            )
        if referrer is not None:
            raw.append((bytes(referrer[0]), True))
            raw.append((bytes(referrer[1]), True))
        if market_type != MarketType.PERP:
            for index in (market_index, QUOTE_SPOT_MARKET_INDEX):
                vault = self.spot_ref(index).vault
                if vault is None:
                    raise EncodeError(f"spot market {index} has no vault in the directory")
                raw.append((vault, False))
        result = tuple(raw)
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        self._cache[cache_key] = result
        return result


def referrer_accounts(
    referrer_authority: Pubkey | bytes | None, program_id: Pubkey = DRIFT_PROGRAM_ID
) -> tuple[Pubkey, Pubkey] | None:
    """(referrer User sub-account 0, referrer UserStats) from ``UserStats.referrer``.

    None when there is no referrer (None or the all-zero key), as in the SDKs.
    """
    if referrer_authority is None or bytes(referrer_authority) == _DEFAULT_KEY:
        return None
    authority = (
        referrer_authority
        if isinstance(referrer_authority, Pubkey)
        else Pubkey.from_bytes(referrer_authority)
    )
    return user_pda(authority, 0, program_id), user_stats_pda(authority, program_id)


def raw_to_metas(raw: Iterable[RawMeta]) -> list[AccountMeta]:
    """Solders ``AccountMeta`` list (non-signers) from raw (key, writable) pairs."""
    return [AccountMeta(Pubkey.from_bytes(k), is_signer=False, is_writable=w) for k, w in raw]
