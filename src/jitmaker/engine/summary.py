"""The engine's own counters, rendered as the ``--summary-json`` document."""

from __future__ import annotations

from collections import Counter, deque
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
    corrupt_payloads: Counter = field(default_factory=Counter)  # by feed, skipped and counted
    refused_stale: int = 0  # attempts the freshness check refused (the gate doing its job)
    resyncs: int = 0  # snapshots taken and swapped in after start (reconnects, periodic)
    resync_failures: int = 0
    ghost_orders: int = 0  # in our book, not in the snapshot that replaced it
    missing_orders: int = 0  # in the snapshot, not in our book
    own_account_repairs: int = 0  # our User differed from an RPC read that was newer
    stale_episodes: int = 0
    ws_replacements: int = 0  # websocket managers replaced (silent while connected, failover)
    pnl_quote: int = 0  # account value change since start, as fed to the kill switch
    recovery_s: deque = field(default_factory=lambda: deque(maxlen=4096))

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
            "corrupt_payloads": dict(sorted(self.corrupt_payloads.items())),
            "refused_stale": self.refused_stale,
            "resyncs": self.resyncs,
            "resync_failures": self.resync_failures,
            "ghost_orders": self.ghost_orders,
            "missing_orders": self.missing_orders,
            "own_account_repairs": self.own_account_repairs,
            "stale_episodes": self.stale_episodes,
            "ws_replacements": self.ws_replacements,
            "pnl_quote": self.pnl_quote,
            "stale_recovery_s": _quantiles(self.recovery_s),
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


def _quantiles(values: Any) -> dict[str, float | int | None]:
    """Count, p50, p95 and max of a sample (nearest rank), rounded to milliseconds."""
    data = sorted(values)
    if not data:
        return {"count": 0, "p50": None, "p95": None, "max": None}

    def rank(q: int) -> float:
        return round(data[max(0, -(-q * len(data) // 100) - 1)], 3)

    return {"count": len(data), "p50": rank(50), "p95": rank(95), "max": round(data[-1], 3)}
