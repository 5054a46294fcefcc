"""Small frozen snapshots the decision layer reads: one market, one position, one auction.

They are deliberately independent of the account decoders and the DLOB: the engine fills them
from whatever it holds, so strategies and risk checks stay pure and trivially testable.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from jitmaker.accounts.enums import MarketStatus, MarketType, PositionDirection
from jitmaker.accounts.order import Order

__all__ = [
    "BASE_PRECISION",
    "PRICE_PRECISION",
    "QUOTE_PRECISION",
    "AuctionView",
    "MarketKey",
    "MarketView",
    "PositionView",
    "market_key",
    "parse_market_key",
]

PRICE_PRECISION = 1_000_000
QUOTE_PRECISION = 1_000_000
BASE_PRECISION = 1_000_000_000

MarketKey = tuple[MarketType, int]
"""(market type, market index): how markets are keyed everywhere in the decision layer."""


def market_key(market_type: MarketType, market_index: int) -> MarketKey:
    return (MarketType(market_type), int(market_index))


def parse_market_key(text: str) -> MarketKey:
    """``"perp:0"`` / ``"spot:1"`` → (MarketType, index); ValueError on anything else."""
    kind, sep, index = text.partition(":")
    if not sep or not index.isdigit():
        raise ValueError(f"market key must look like 'perp:0' or 'spot:1', got {text!r}")
    try:
        mtype = MarketType[kind.strip().upper()]
    except KeyError:
        raise ValueError(f"unknown market type {kind!r} in {text!r}") from None
    return (mtype, int(index))


@dataclass(frozen=True, slots=True)
class MarketView:
    """What a decision needs to know about one market at one slot (PRICE 1e6, base units)."""

    market_type: MarketType
    market_index: int
    tick_size: int
    step_size: int
    min_order_size: int
    oracle_price: int
    """The price the program will use (perp: MM oracle when the program would pick it)."""
    oracle_slot: int
    """Slot at which ``oracle_price`` was published (staleness = slot − oracle_slot)."""
    oracle_conf: int = 0
    """Oracle confidence interval, PRICE precision."""
    amm_bid: int | None = None
    amm_ask: int | None = None
    dlob_best_bid: int | None = None
    dlob_best_ask: int | None = None
    base_precision: int = BASE_PRECISION
    """Base units per whole token: 1e9 for perps, 10^decimals for spot."""
    status: MarketStatus = MarketStatus.ACTIVE
    is_prediction_market: bool = False

    @property
    def key(self) -> MarketKey:
        return (self.market_type, self.market_index)


@dataclass(frozen=True, slots=True)
class PositionView:
    """Our signed position in one market (base units) and the bounds we send to jit-proxy."""

    base_asset_amount: int
    max_position: int
    min_position: int

    def room(self, maker_direction: PositionDirection) -> int:
        """jit-proxy ``check_position_limits`` room: how much more we may buy / sell."""
        if maker_direction is PositionDirection.LONG:
            return self.max_position - self.base_asset_amount
        return self.base_asset_amount - self.min_position


@dataclass(frozen=True, slots=True)
class AuctionView:
    """One taker order with a live (or just-updated) auction."""

    taker: Hashable
    """The taker's User account key (any hashable: ``Pubkey``, bytes, str)."""
    order: Order
    is_self: bool = False
    """True when the taker is one of our own subaccounts (never trade against ourselves)."""

    @property
    def key(self) -> tuple[Hashable, int]:
        return (self.taker, self.order.order_id)

    @property
    def market_key(self) -> MarketKey:
        return (self.order.market_type, self.order.market_index)

    @property
    def maker_direction(self) -> PositionDirection:
        return self.order.direction.opposite
