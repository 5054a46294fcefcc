"""Prometheus metrics of the engine (prefix ``jitmaker_``, base units, ``_total`` counters).

Labels are low-cardinality only: market (``perp-0``), reason, feed, state. Each Engine gets
its own registry so tests can run several side by side.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["ENGINE_STATES", "Metrics"]

ENGINE_STATES = ("starting", "running", "stale", "halted", "stopping")


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.auctions_seen = Counter(
            "jitmaker_auctions_seen_total", "Taker auctions seen", ["market"], registry=r
        )
        self.attempts = Counter(
            "jitmaker_attempts_total", "Fill attempts sent", ["market"], registry=r
        )
        self.fills = Counter("jitmaker_fills_total", "Fills that landed", ["market"], registry=r)
        self.filled_base = Counter(
            "jitmaker_filled_base_total", "Filled size, base units", ["market"], registry=r
        )
        self.filled_notional = Counter(
            "jitmaker_filled_notional_usd_total",
            "Filled notional in quote (USD)",
            ["market"],
            registry=r,
        )
        self.errors = Counter(
            "jitmaker_errors_total", "Failed attempts by reason", ["reason"], registry=r
        )
        self.skips = Counter(
            "jitmaker_skips_total",
            "Auctions or attempts skipped, by reason",
            ["reason"],
            registry=r,
        )
        self.tick_to_trade = Histogram(
            "jitmaker_tick_to_trade_seconds",
            "Account notification received to signed transaction handed to the sender",
            buckets=(50e-6, 100e-6, 200e-6, 300e-6, 500e-6, 750e-6, 1e-3, 2e-3, 5e-3, 10e-3, 50e-3),
            registry=r,
        )
        self.feed_lag = Gauge(
            "jitmaker_feed_lag_slots", "Slots behind the newest slot seen", ["feed"], registry=r
        )
        self.reconnects = Counter(
            "jitmaker_reconnects_total", "Websocket reconnects", ["feed"], registry=r
        )
        self.position = Gauge(
            "jitmaker_position_base", "Position per market, base units", ["market"], registry=r
        )
        self.state = Gauge(
            "jitmaker_state", "1 for the engine's current state", ["state"], registry=r
        )
        self.sends_while_stale = Counter(
            "jitmaker_sends_while_stale_total",
            "Sends attempted while an input was stale (must stay 0)",
            registry=r,
        )
        self.slot = Gauge("jitmaker_slot", "Newest slot seen", registry=r)
        self.corrupt_payloads = Counter(
            "jitmaker_corrupt_payloads_total",
            "Account payloads that did not decode (skipped, counted)",
            ["feed"],
            registry=r,
        )
        self.resyncs = Counter(
            "jitmaker_resyncs_total", "Snapshots swapped in after start", ["reason"], registry=r
        )
        self.ghost_orders = Counter(
            "jitmaker_ghost_orders_total", "Orders in our book a snapshot did not have", registry=r
        )
        self.missing_orders = Counter(
            "jitmaker_missing_orders_total", "Orders in a snapshot our book lacked", registry=r
        )
        self.recovery = Histogram(
            "jitmaker_recovery_seconds",
            "Inputs stale until fresh again",
            buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0),
            registry=r,
        )
        self.pnl = Gauge(
            "jitmaker_pnl_usd", "Account value change since start (USD, at the oracle)", registry=r
        )
        self.halted = Gauge(
            "jitmaker_halted", "1 while the kill switch holds the engine HALTED", registry=r
        )
        self.set_state("starting")

    def set_state(self, state: str) -> None:
        for name in ENGINE_STATES:
            self.state.labels(state=name).set(1 if name == state else 0)

    def render(self) -> bytes:
        return generate_latest(self.registry)
