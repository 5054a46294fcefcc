"""The engine's own counters, rendered as the ``--summary-json`` document."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MarketCounters", "RunCounters"]


@dataclass(slots=True)
class MarketCounters:
    auctions_seen: int = 0
    attempts: int = 0
    fills: int = 0
    filled_base: int = 0
    filled_quote: int = 0
    position_base: int = 0
    skips: Counter = field(default_factory=Counter)


@dataclass(slots=True)
class RunCounters:
    markets: dict[str, MarketCounters] = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)
    position_limit_breaches: int = 0
    sends_while_stale: int = 0
    dry_run_decisions: int = 0
    reconnects: int = 0
    halts: list[dict[str, Any]] = field(default_factory=list)
    unknown_outcomes: int = 0

    def market(self, key: str) -> MarketCounters:
        counters = self.markets.get(key)
        if counters is None:
            counters = self.markets[key] = MarketCounters()
        return counters

    def to_json(self, **extra: Any) -> dict[str, Any]:
        totals = MarketCounters()
        for m in self.markets.values():
            totals.auctions_seen += m.auctions_seen
            totals.attempts += m.attempts
            totals.fills += m.fills
            totals.filled_base += m.filled_base
            totals.filled_quote += m.filled_quote
        return {
            "auctions_seen": totals.auctions_seen,
            "attempts": totals.attempts,
            "fills": totals.fills,
            "filled_base": totals.filled_base,
            "filled_quote": totals.filled_quote,
            "position_limit_breaches": self.position_limit_breaches,
            "sends_while_stale": self.sends_while_stale,
            "dry_run_decisions": self.dry_run_decisions,
            "reconnects": self.reconnects,
            "unknown_outcomes": self.unknown_outcomes,
            "errors": dict(sorted(self.errors.items())),
            "halts": list(self.halts),
            "markets": {
                key: {
                    "auctions_seen": m.auctions_seen,
                    "attempts": m.attempts,
                    "fills": m.fills,
                    "filled_base": m.filled_base,
                    "filled_quote": m.filled_quote,
                    "position_base": m.position_base,
                    "skips": dict(sorted(m.skips.items())),
                }
                for key, m in sorted(self.markets.items())
            },
            **extra,
        }
