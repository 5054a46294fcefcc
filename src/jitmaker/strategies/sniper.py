"""Sniper: one shot at the slot the auction first reaches our price, bounded retries.

The first crossing slot comes in closed form from ``jitmaker.auction.first_crossing_slot`` (no
50 ms polling, no slot scan) and is recomputed every slot from the live quote and oracle, so the
target follows the market. Unlike the reference JitterSniper (peers.md §1.4–1.5) it never fires
at an auction that does not cross our price, never snipes the same order twice at once (the next
shot waits for the previous shot's outcome), and retries only retryable failures, at most
``max_retries`` times. ``lead_slots`` fires that many slots early to cover send latency.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jitmaker.auction import AuctionMathError, first_crossing_slot
from jitmaker.errors import ConfigError
from jitmaker.strategies.base import AuctionStrategy, TrackedAuction, taker_price_at
from jitmaker.strategies.commands import AttemptOutcome, AttemptTag, Command, SkipReason
from jitmaker.strategies.pricing import Quote
from jitmaker.strategies.views import MarketView, PositionView

__all__ = ["DEFAULT_SNIPER_LEAD_SLOTS", "DEFAULT_SNIPER_MAX_RETRIES", "Sniper"]

DEFAULT_SNIPER_LEAD_SLOTS = 0
DEFAULT_SNIPER_MAX_RETRIES = 2

_OPTIONS = {"lead_slots", "max_retries", "pricing", "markets", "max_tracked_auctions", "name"}


def _nonneg_int(path: str, value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ConfigError(path, f"must be an int >= 0: {value!r}")
    return value


class Sniper(AuctionStrategy):
    """Fire once at ``first_crossing_slot − lead_slots``; retry retryable failures."""

    name = "sniper"

    def __init__(
        self,
        *,
        lead_slots: int = DEFAULT_SNIPER_LEAD_SLOTS,
        max_retries: int = DEFAULT_SNIPER_MAX_RETRIES,
        **kwargs: Any,
    ) -> None:
        self.lead_slots = _nonneg_int("strategy.lead_slots", lead_slots)
        self.max_retries = _nonneg_int("strategy.max_retries", max_retries)
        super().__init__(**kwargs)

    @classmethod
    def from_options(cls, options: Mapping[str, Any], path: str = "strategy") -> Sniper:
        """Build from config: ``lead_slots``, ``max_retries`` + the common options."""
        unknown = set(options) - _OPTIONS
        if unknown:
            raise ConfigError(f"{path}.{sorted(unknown)[0]}", "unknown sniper option")
        kwargs = cls.common_options(options, path)
        for key in ("lead_slots", "max_retries"):
            if key in options:
                kwargs[key] = _nonneg_int(f"{path}.{key}", options[key])
        return cls(**kwargs)

    def _decide(
        self,
        tracked: TrackedAuction,
        market: MarketView,
        position: PositionView,
        quote: Quote,
        slot: int,
    ) -> list[Command]:
        if tracked.pending:
            return []  # wait for the outcome of the shot in flight
        if tracked.attempts > self.max_retries:
            tracked.done = True
            return self._skip(tracked, slot, SkipReason.BUDGET_EXHAUSTED)
        order = tracked.auction.order
        maker_price = quote.maker_price(tracked.auction.maker_direction)
        try:
            cross = first_crossing_slot(
                order,
                maker_price,
                market.oracle_price,
                market.tick_size,
                market.is_prediction_market,
            )
        except AuctionMathError:
            return self._skip(tracked, slot, SkipReason.PRICE_ERROR)
        if cross is None or cross > tracked.last_slot:
            return self._skip(tracked, slot, SkipReason.NEVER_CROSSES)
        first_shot = tracked.attempts == 0
        if slot < (cross - self.lead_slots if first_shot else cross):
            return []
        tag = AttemptTag.SNIPE if first_shot else AttemptTag.RETRY
        commands = self._fire(
            tracked, market, position, quote, slot, tag, taker_price_at(order, slot, market)
        )
        if commands:
            tracked.pending = True
        return commands

    def _handle_outcome(self, tracked: TrackedAuction, outcome: AttemptOutcome) -> None:
        if outcome.slot != tracked.last_fired_slot:
            return  # a stale outcome (an older shot); the latest one decides
        tracked.pending = False
        if not outcome.kind.retryable:
            tracked.done = True
