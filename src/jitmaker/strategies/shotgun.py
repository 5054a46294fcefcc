"""Shotgun: once the auction crosses our price, fire one attempt every slot.

Improves on the reference JitterShotgun (peers.md §1.4, §4 item 3): it paces by *slot*, never
waits for a confirmation before the next shot, stops at the auction's last live slot and at an
attempt budget, and stops early on an outcome that makes further shots pointless (filled, taker
order gone, position limit, throttling, unknown error).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jitmaker.errors import ConfigError
from jitmaker.strategies.base import AuctionStrategy, TrackedAuction, taker_price_at
from jitmaker.strategies.commands import AttemptTag, Command, SkipReason
from jitmaker.strategies.pricing import Quote
from jitmaker.strategies.views import MarketView, PositionView

__all__ = ["DEFAULT_SHOTGUN_MAX_ATTEMPTS", "Shotgun"]

DEFAULT_SHOTGUN_MAX_ATTEMPTS = 10


class Shotgun(AuctionStrategy):
    """Fire at every slot at which the taker's auction price crosses our current quote."""

    name = "shotgun"

    def __init__(self, *, max_attempts: int = DEFAULT_SHOTGUN_MAX_ATTEMPTS, **kwargs: Any) -> None:
        if type(max_attempts) is not int or max_attempts < 1:
            raise ConfigError("strategy.max_attempts", f"must be an int >= 1: {max_attempts!r}")
        super().__init__(**kwargs)
        self.max_attempts = max_attempts

    @classmethod
    def from_options(cls, options: Mapping[str, Any], path: str = "strategy") -> Shotgun:
        """Build from config: ``max_attempts`` plus the common ``AuctionStrategy`` options."""
        unknown = set(options) - {
            "max_attempts",
            "pricing",
            "markets",
            "max_tracked_auctions",
            "name",
        }
        if unknown:
            raise ConfigError(f"{path}.{sorted(unknown)[0]}", "unknown shotgun option")
        kwargs = cls.common_options(options, path)
        if "max_attempts" in options:
            kwargs["max_attempts"] = options["max_attempts"]
        return cls(**kwargs)

    def _decide(
        self,
        tracked: TrackedAuction,
        market: MarketView,
        position: PositionView,
        quote: Quote,
        slot: int,
    ) -> list[Command]:
        if tracked.attempts >= self.max_attempts:
            tracked.done = True
            return self._skip(tracked, slot, SkipReason.BUDGET_EXHAUSTED)
        taker_price = taker_price_at(tracked.auction.order, slot, market)
        if taker_price is None:
            return self._skip(tracked, slot, SkipReason.PRICE_ERROR)
        if not quote.crosses(tracked.auction.maker_direction, taker_price):
            return []
        return self._fire(tracked, market, position, quote, slot, AttemptTag.SHOTGUN, taker_price)
