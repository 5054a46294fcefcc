"""The strategy contract, and the bounded per-auction bookkeeping both built-ins share.

A strategy is a pure object: the engine tells it about auctions (``on_auction``), about every
new slot (``on_slot``) and about each attempt's fate (``on_outcome``); it answers with
``Attempt``/``Skip`` commands. It never sends, sleeps or reads a clock, which is what lets the
same strategy run live, in the simulator and in property tests.

``AuctionStrategy`` implements the shared parts: per-(taker, order id) state in a bounded LRU,
forgetting auctions once they end, the common pre-checks (self-trade, order size, position
room, quote), one attempt per auction per slot at most, and once-per-reason skips.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from jitmaker.auction import AuctionMathError, auction_price, has_auction_price
from jitmaker.errors import ConfigError
from jitmaker.strategies.commands import (
    Attempt,
    AttemptOutcome,
    AttemptTag,
    Command,
    Skip,
    SkipReason,
)
from jitmaker.strategies.pricing import PricingConfig, Quote, compute_quote
from jitmaker.strategies.views import (
    AuctionView,
    MarketKey,
    MarketView,
    PositionView,
    parse_market_key,
)

__all__ = [
    "DEFAULT_MAX_TRACKED_AUCTIONS",
    "AuctionStrategy",
    "Strategy",
    "TrackedAuction",
    "taker_price_at",
]

DEFAULT_MAX_TRACKED_AUCTIONS = 4096


@runtime_checkable
class Strategy(Protocol):
    """What the engine drives. Implementations must be pure (no I/O, no clock, no asyncio)."""

    name: str

    def on_auction(
        self, auction: AuctionView, market: MarketView | None, position: PositionView, slot: int
    ) -> list[Command]:
        """An auction appeared or its taker order changed, seen at ``slot``."""
        ...

    def on_slot(
        self,
        slot: int,
        markets: Mapping[MarketKey, MarketView],
        positions: Mapping[MarketKey, PositionView],
    ) -> list[Command]:
        """A new slot: act on every live auction the strategy still tracks."""
        ...

    def on_outcome(self, outcome: AttemptOutcome) -> None:
        """The fate of an attempt this strategy emitted."""
        ...


def taker_price_at(order: Any, slot: int, market: MarketView) -> int | None:
    """The taker's auction price at ``slot`` as the program computes it; None if it would fail."""
    try:
        return auction_price(
            order, slot, market.oracle_price, market.tick_size, market.is_prediction_market
        )
    except AuctionMathError:
        return None


@dataclass(slots=True, eq=False)
class TrackedAuction:
    """Mutable per-auction state kept by ``AuctionStrategy`` (bounded, dropped at auction end)."""

    auction: AuctionView
    last_slot: int
    """Last slot at which the auction is live (order.slot + duration)."""
    attempts: int = 0
    last_fired_slot: int | None = None
    pending: bool = False
    """An attempt is in flight and its outcome not yet known (used by the Sniper)."""
    done: bool = False
    skipped: set[SkipReason] = field(default_factory=set)


class AuctionStrategy(ABC):
    """Base for strategies that act per taker auction. Subclasses implement ``_decide``."""

    name: str = "auction"

    def __init__(
        self,
        *,
        pricing: PricingConfig | None = None,
        market_pricing: Mapping[MarketKey, PricingConfig] | None = None,
        max_tracked_auctions: int = DEFAULT_MAX_TRACKED_AUCTIONS,
        name: str | None = None,
    ) -> None:
        if max_tracked_auctions < 1:
            raise ConfigError("strategy.max_tracked_auctions", "must be >= 1")
        self.pricing = pricing or PricingConfig()
        self.market_pricing = dict(market_pricing or {})
        self.max_tracked_auctions = max_tracked_auctions
        if name is not None:
            self.name = name
        self._auctions: OrderedDict[tuple[Hashable, int], TrackedAuction] = OrderedDict()

    # ---- configuration ----
    @staticmethod
    def common_options(options: Mapping[str, Any], path: str) -> dict[str, Any]:
        """Parse the options every ``AuctionStrategy`` accepts into constructor kwargs.

        ``pricing``: PricingConfig keys; ``markets``: {"perp:0": {PricingConfig keys}} overrides
        on top of ``pricing``; ``max_tracked_auctions``: int; ``name``: str.
        """
        kwargs: dict[str, Any] = {}
        pricing = PricingConfig.from_mapping(options.get("pricing", {}), f"{path}.pricing")
        kwargs["pricing"] = pricing
        markets = options.get("markets", {})
        if not isinstance(markets, Mapping):
            raise ConfigError(f"{path}.markets", "must be a mapping of 'perp:0' -> pricing keys")
        per_market: dict[MarketKey, PricingConfig] = {}
        for text, overrides in markets.items():
            try:
                key = parse_market_key(str(text))
            except ValueError as exc:
                raise ConfigError(f"{path}.markets.{text}", str(exc)) from None
            per_market[key] = PricingConfig.from_mapping(
                overrides, f"{path}.markets.{text}", base=pricing
            )
        kwargs["market_pricing"] = per_market
        if "max_tracked_auctions" in options:
            value = options["max_tracked_auctions"]
            if type(value) is not int or value < 1:
                raise ConfigError(f"{path}.max_tracked_auctions", f"must be an int >= 1: {value!r}")
            kwargs["max_tracked_auctions"] = value
        if "name" in options:
            if not isinstance(options["name"], str) or not options["name"]:
                raise ConfigError(f"{path}.name", "must be a non-empty string")
            kwargs["name"] = options["name"]
        return kwargs

    def pricing_for(self, key: MarketKey) -> PricingConfig:
        return self.market_pricing.get(key, self.pricing)

    # ---- introspection (tests, metrics) ----
    @property
    def tracked_count(self) -> int:
        return len(self._auctions)

    def tracked(self, key: tuple[Hashable, int]) -> TrackedAuction | None:
        return self._auctions.get(key)

    # ---- the Strategy protocol ----
    def on_auction(
        self, auction: AuctionView, market: MarketView | None, position: PositionView, slot: int
    ) -> list[Command]:
        order = auction.order
        key = auction.key
        if not order.is_open or not has_auction_price(order, slot):
            self._auctions.pop(key, None)  # cancelled, filled or auction over: nothing to do
            return []
        tracked = self._auctions.get(key)
        if tracked is None:
            tracked = TrackedAuction(auction, order.slot + order.auction_duration)
            self._auctions[key] = tracked
            while len(self._auctions) > self.max_tracked_auctions:
                self._auctions.popitem(last=False)
            if auction.is_self:
                tracked.done = True
                return self._skip(tracked, slot, SkipReason.SELF_TRADE)
        else:
            tracked.auction = auction
            self._auctions.move_to_end(key)
        if tracked.done:
            return []
        if market is None or market.key != auction.market_key:
            return self._skip(tracked, slot, SkipReason.UNKNOWN_MARKET)
        return self._step(tracked, market, position, slot)

    def on_slot(
        self,
        slot: int,
        markets: Mapping[MarketKey, MarketView],
        positions: Mapping[MarketKey, PositionView],
    ) -> list[Command]:
        self._expire(slot)
        commands: list[Command] = []
        for tracked in list(self._auctions.values()):
            if tracked.done:
                continue
            key = tracked.auction.market_key
            market = markets.get(key)
            position = positions.get(key)
            if market is None or position is None:
                continue
            commands.extend(self._step(tracked, market, position, slot))
        return commands

    def on_outcome(self, outcome: AttemptOutcome) -> None:
        tracked = self._auctions.get(outcome.key)
        if tracked is not None:
            self._handle_outcome(tracked, outcome)

    # ---- shared mechanics ----
    def _expire(self, slot: int) -> None:
        """Forget auctions that ended before ``slot`` (bounded memory; no tombstones needed
        because an ended auction has no auction price and ``on_auction`` ignores it)."""
        ended = [key for key, t in self._auctions.items() if t.last_slot < slot]
        for key in ended:
            del self._auctions[key]

    def _step(
        self, tracked: TrackedAuction, market: MarketView, position: PositionView, slot: int
    ) -> list[Command]:
        if slot > tracked.last_slot or tracked.done:
            return []
        order = tracked.auction.order
        # Our slot clock may lag the account stream by a slot or two: an order cannot be filled
        # before its own slot, so decide (and dedupe) as of order.slot.
        slot = max(slot, order.slot)
        if order.unfilled < max(market.min_order_size, 1):
            tracked.done = True  # unfilled only shrinks
            return self._skip(tracked, slot, SkipReason.ORDER_TOO_SMALL)
        maker_direction = tracked.auction.maker_direction
        if position.room(maker_direction) <= market.min_order_size:
            return self._skip(tracked, slot, SkipReason.POSITION_LIMIT)
        quote = compute_quote(
            self.pricing_for(market.key),
            market,
            position.base_asset_amount,
            position.max_position,
            position.min_position,
        )
        if quote is None:
            return self._skip(tracked, slot, SkipReason.NO_REFERENCE_PRICE)
        return self._decide(tracked, market, position, quote, slot)

    def _skip(self, tracked: TrackedAuction, slot: int, reason: SkipReason) -> list[Command]:
        if reason in tracked.skipped:
            return []
        tracked.skipped.add(reason)
        a = tracked.auction
        return [Skip(a.taker, a.order.order_id, slot, reason, self.name)]

    def _fire(
        self,
        tracked: TrackedAuction,
        market: MarketView,
        position: PositionView,
        quote: Quote,
        slot: int,
        tag: AttemptTag,
        taker_price: int | None,
    ) -> list[Command]:
        """One attempt, unless this auction already got one at this slot (or a later one)."""
        if tracked.last_fired_slot is not None and slot <= tracked.last_fired_slot:
            return []
        tracked.last_fired_slot = slot
        tracked.attempts += 1
        a = tracked.auction
        return [
            Attempt(
                taker=a.taker,
                taker_order_id=a.order.order_id,
                market_type=market.market_type,
                market_index=market.market_index,
                maker_direction=a.maker_direction,
                bid=quote.bid_param,
                ask=quote.ask_param,
                price_type=quote.price_type,
                max_position=position.max_position,
                min_position=position.min_position,
                slot=slot,
                tag=tag,
                attempt_no=tracked.attempts,
                quote=quote,
                taker_price=taker_price,
                strategy=self.name,
            )
        ]

    @abstractmethod
    def _decide(
        self,
        tracked: TrackedAuction,
        market: MarketView,
        position: PositionView,
        quote: Quote,
        slot: int,
    ) -> list[Command]:
        """Decide for one live auction at ``slot``, after the shared pre-checks passed."""

    def _handle_outcome(self, tracked: TrackedAuction, outcome: AttemptOutcome) -> None:
        if outcome.kind.stops_auction:
            tracked.done = True
