"""The engine: wiring, lifecycle, supervision, health.

One asyncio loop. Feeds deliver raw account bytes into synchronous handlers; the auction
handler decodes, asks the market's strategy, and hands signed transactions to the sender
without awaiting anything (tick-to-trade). Every background task is named, kept and
supervised; a failing task is logged and restarted with backoff, never silently lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from jitmaker.accounts import (
    MarketType,
    decode_perp_market,
    decode_spot_market,
    decode_user,
)
from jitmaker.accounts._getter import SPEEDUPS
from jitmaker.auction import is_auction_complete
from jitmaker.chain.loop_errors import LoopErrorHandler
from jitmaker.chain.maker_tx import MakerTxBuilder
from jitmaker.chain.pdas import perp_market_pda, spot_market_pda, user_pda
from jitmaker.chain.remaining import user_markets
from jitmaker.config import Config, ExecutionMode
from jitmaker.dlob import DLOB
from jitmaker.engine.executor import Executor, RefusedReason
from jitmaker.engine.marketdata import MarketData, account_value
from jitmaker.engine.summary import RunCounters
from jitmaker.errors import JitMakerError
from jitmaker.freshness import FreshnessGate
from jitmaker.logging import get_logger
from jitmaker.metrics import Metrics
from jitmaker.risk import KillSwitch, KillSwitchConfig
from jitmaker.strategies import load_strategy
from jitmaker.strategies.commands import Attempt, OutcomeKind, Skip
from jitmaker.strategies.sizing import LEVERAGE_PRECISION, position_limits
from jitmaker.strategies.views import AuctionView, MarketKey, PositionView

__all__ = ["Engine", "EngineState", "SnapshotIncomplete"]

log = get_logger("jitmaker.engine")

USER_DISCRIMINATOR = bytes.fromhex("9f755fe3ef973aec")
PERP_MARKET_DISCRIMINATOR = bytes.fromhex("0adf0c2c6bf537f7")
SPOT_MARKET_DISCRIMINATOR = bytes.fromhex("64b1086ba8414127")
HAS_OPEN_AUCTION_OFFSET = 4354
HAS_OPEN_ORDER_OFFSET = 4352
FEED_MAX_LAG_SLOTS = 8  # the slot feed may trail the RPC's slot by this much (delayed frames)
WATCHDOG_TICK_S = 0.1
STUCK_AFTER_S = 1.2  # a send with no outcome this long is presumed lost (until it expires)
MAX_STUCK_SENDS = 8  # that many at once: refuse new attempts until they resolve
BLOCKHASH_SUSPICION_SLOTS = 300  # how long a "Blockhash not found" shortens the usable age
TASK_EXIT_S = 5.0  # at shutdown, how long a cancelled task may take to finish


class SnapshotIncomplete(JitMakerError):
    """A snapshot read returned unusable data for an account we cannot trade without."""


class EngineState:
    STARTING = "starting"
    RUNNING = "running"
    STALE = "stale"
    HALTED = "halted"
    STOPPING = "stopping"


def _mkey(key: MarketKey) -> str:
    return f"{key[0].name.lower()}-{key[1]}"


class Engine:
    """Runs the JIT maker for every configured market until ``stop()``."""

    def __init__(
        self,
        config: Config,
        keypair: Keypair,
        *,
        http_url: str,
        ws_url: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        risk: Any = None,
    ) -> None:
        self.config = config
        self.keypair = keypair
        self.authority = keypair.pubkey()
        self.http_url = http_url
        self.ws_url = ws_url
        self.clock = clock
        self.metrics = Metrics()
        self.counters = RunCounters()
        self.gate = FreshnessGate()
        self.market_data = MarketData()
        self.dlob = DLOB()
        self.state = EngineState.STARTING
        self.slot = 0
        self.halt_reason: str | None = None
        self._stop = asyncio.Event()
        self._tasks: dict[str, asyncio.Task] = {}
        self._drift = Pubkey.from_string(config.drift_program_id)
        self._jit = Pubkey.from_string(config.jit_proxy_program_id)
        self.markets: dict[MarketKey, Any] = {
            (m.market_type, m.market_index): m for m in config.markets
        }
        self.our_users: dict[int, Pubkey] = {
            sub: user_pda(self.authority, sub, self._drift) for sub in config.subaccounts()
        }
        self._our_user_keys = {bytes(k) for k in self.our_users.values()}
        self.user_accounts: dict[int, Any] = {}
        self.auction_users: dict[Pubkey, Any] = {}
        self.strategies: dict[MarketKey, Any] = {}
        for key, market in self.markets.items():
            options = dict(market.strategy.options)
            pricing = dict(options.pop("pricing", {}) or {})
            pricing.update(
                reference=config.price_reference.value,
                bid_aggressiveness_bps=market.bid_aggressiveness_bps,
                ask_aggressiveness_bps=market.ask_aggressiveness_bps,
                min_edge_bps=market.min_edge_bps,
                inventory_skew_bps=market.inventory_skew_bps,
            )
            options["pricing"] = pricing
            self.strategies[key] = load_strategy(market.strategy.name, options)
        self.limits: dict[MarketKey, tuple[int, int]] = {}
        from collections import Counter

        self.skip_counts: Counter = Counter()
        self.risk = risk
        self._blockhash: tuple[bytes, int] | None = None
        self._blockhash_key: str | None = None
        self._bad_blockhash: str | None = None
        self._blockhash_not_found = 0
        self._blockhash_slot = 0
        self._max_blockhash_age: int | None = None
        self._age_limit_until = 0
        self.rpc: Any = None
        self.subs: Any = None
        self.sender: Any = None
        self.executor: Executor | None = None
        self.health: Any = None
        # recovery: what must be repaired before sending again, and when to snapshot
        self._dirty: set[str] = set()
        self._reconnects_seen = 0
        self._wake_maintenance = asyncio.Event()
        self._stale_since: float | None = None
        self._own_slots: dict[int, int] = {}
        self._own_raw: dict[int, bytes] = {}
        self._pnl_base: int | None = None
        self.resync_interval_s = 10.0
        self.own_poll_interval_s = 2.0
        self.rpc_probe_interval_s = 0.2
        self.feed_max_lag_slots = FEED_MAX_LAG_SLOTS
        self.ws_failover_s = 10.0
        self._ws_urls: list[str] = []
        self._ws_index = 0
        self._ws_opened_at = 0.0
        self._last_slot_frame = 0.0
        self.last_snapshot_at: float | None = None
        self.last_fresh_at: float | None = None
        # the send order of outcomes (which sends are still blind) is the kill switch's; without
        # a risk gate, one with every trigger off keeps it
        self._sends: KillSwitch = (
            risk.kill_switch
            if risk is not None
            else KillSwitch(
                KillSwitchConfig(max_consecutive_failures=None, max_unknown_errors=None)
            )
        )

    # ------------------------------------------------------------------ lifecycle
    async def run(self, duration_s: float | None = None) -> dict[str, Any]:
        loop_errors = LoopErrorHandler()
        loop_errors.install(asyncio.get_running_loop())
        try:
            # A signal during startup (bootstrap retries can take tens of seconds against a
            # dead endpoint) must not wait for the retries to run out: race start and stop.
            starting = asyncio.ensure_future(self._start())
            stopping = asyncio.ensure_future(self._stop.wait())
            await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not starting.done():
                starting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await starting
                return self.summary()
            stopping.cancel()
            starting.result()  # re-raise a startup failure
            if duration_s is not None:
                self._spawn("duration", self._stop_after(duration_s))
            await self._stop.wait()
        finally:
            try:
                await self._shutdown()
            finally:
                loop_errors.uninstall()
        return self.summary()

    def stop(self, reason: str = "requested") -> None:
        if not self._stop.is_set():
            log.info("stopping", reason=reason)
            self._stop.set()

    def install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        state = {"count": 0}

        def on_signal(signum: int) -> None:
            state["count"] += 1
            if state["count"] > 1:
                log.warning("second_signal_exit_now", signal=signal.Signals(signum).name)
                raise SystemExit(130)
            self.stop(signal.Signals(signum).name)

        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, on_signal, sig)

    async def _stop_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self.stop("duration")

    def _spawn(self, name: str, coro: Awaitable[Any]) -> asyncio.Task:
        task = asyncio.create_task(coro, name=f"jitmaker.{name}")
        self._tasks[name] = task
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        if task.cancelled() or self._stop.is_set():
            return
        exc = task.exception()
        if exc is not None:
            log.error(
                "task_failed", task=task.get_name(), error=str(exc), error_type=type(exc).__name__
            )
            self.stop(f"task {task.get_name()} failed")

    async def _start(self) -> None:
        from jitmaker.chain.rpc import Commitment, RpcClient
        from jitmaker.chain.sender import BlockhashCache, PriorityFeeEstimator

        cfg = self.config
        endpoints = [self.http_url, *cfg.failover_endpoints]
        self.rpc = RpcClient(endpoints, commitment=Commitment(cfg.commitment.value))
        self.blockhashes = BlockhashCache(self.rpc, refresh_s=1.0)
        from jitmaker.config import PriorityFeeMethod

        self.fees = PriorityFeeEstimator(
            self.rpc,
            cap=cfg.max_priority_fee_micro_lamports,
            accounts=[cfg.jit_proxy_program_id],
            multiplier=cfg.priority_fee_multiplier,
            fixed=cfg.max_priority_fee_micro_lamports
            if cfg.priority_fee_method is PriorityFeeMethod.FIXED
            else None,
        )
        await self._start_health()
        await self._bootstrap_with_retry()
        self._build_executor()
        await self._start_feeds()
        self.blockhashes.start()
        self.fees.start()
        self._spawn("watchdog", self._watchdog_forever())
        self._spawn("maintenance", self._maintain_forever())
        self._spawn("rpc_slot_probe", self._probe_rpc_slot_forever())
        self._set_state(EngineState.RUNNING)
        log.info(
            "engine_started",
            markets=[_mkey(k) for k in self.markets],
            slot=self.slot,
            authority=str(self.authority),
            dry_run=cfg.dry_run,
            mode=cfg.execution_mode.value,
            speedups=SPEEDUPS,  # the C decoder accelerator (False: pure-Python fallback)
        )

    async def _bootstrap_with_retry(self, attempts: int = 8) -> None:
        """The first snapshot; transient RPC errors and unusable payloads are retried."""
        from jitmaker.chain.backoff import Backoff, Jitter
        from jitmaker.errors import RpcError

        backoff = Backoff(0.2, 5.0, jitter=Jitter.FULL)
        for attempt in range(1, attempts + 1):
            try:
                await self.bootstrap()
                return
            except (SnapshotIncomplete, RpcError) as exc:
                if attempt == attempts:
                    raise
                log.warning("bootstrap_retry", attempt=attempt, error=str(exc))
                await asyncio.sleep(backoff.next_delay())

    async def _shutdown(self) -> None:
        self._set_state(EngineState.STOPPING)
        from jitmaker import sdnotify

        sdnotify.notify("STOPPING=1")
        grace = self.config.shutdown_grace_s
        deadline = self.clock() + grace
        while self.executor is not None and self.executor.in_flight and self.clock() < deadline:
            await asyncio.sleep(0.05)
        if self.executor is not None and self.executor.in_flight:
            log.warning("in_flight_at_exit", count=len(self.executor.in_flight))
            self.counters.unknown_outcomes += len(self.executor.in_flight)
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        if tasks:  # bounded: a task stuck on a silent peer must not hold the exit
            done, pending = await asyncio.wait(tasks, timeout=TASK_EXIT_S)
            for task in done:
                if not task.cancelled():
                    task.exception()  # retrieved; failures were logged by _task_done
            if pending:
                log.warning("tasks_left_at_exit", tasks=sorted(t.get_name() for t in pending))
        if self.sender is not None:
            left = await self.sender.drain(max(0.0, deadline - self.clock()))
            if left:
                log.warning("in_flight_at_exit", count=left)
        if self.rpc is not None and self.our_users and self.user_accounts:
            # the summary's positions come from the chain as we leave, not from a feed that
            # may have gone quiet (a dropped subscription is repaired only every few seconds)
            try:
                await _within(self._poll_own(), 3)
            except Exception as exc:
                log.warning("final_position_read_failed", error=str(exc))
        for closer in (
            self.sender,
            getattr(self, "blockhashes", None),
            getattr(self, "fees", None),
            self.subs,
            self.rpc,
            self.health,
        ):
            if closer is None:
                continue
            with contextlib.suppress(Exception):
                close = getattr(closer, "close", None) or getattr(closer, "stop", None)
                result = close()
                if asyncio.iscoroutine(result):
                    await _within(result, 5)
        log.info(
            "engine_stopped", **{k: v for k, v in self.summary().items() if isinstance(v, int)}
        )

    def _set_state(self, state: str) -> None:
        if state != self.state:
            log.info("engine_state", state=state, previous=self.state, reason=self.halt_reason)
        self.state = state
        self.metrics.set_state(state)

    # ------------------------------------------------------------------ health
    async def _start_health(self) -> None:
        if self.config.disable_metrics:
            return
        from jitmaker.health import HealthServer

        self.health = HealthServer(
            self.config.metrics_host,
            self.config.metrics_port,
            metrics=self.metrics.render,
            live=self.liveness,
            ready=self.readiness,
        )
        try:
            await self.health.start()
        except OSError as exc:
            raise JitMakerError(
                f"cannot serve metrics on {self.config.metrics_host}:{self.config.metrics_port}: {exc.strerror}"
            ) from None

    def liveness(self) -> tuple[bool, dict[str, Any]]:
        return True, {"state": self.state, "slot": self.slot}

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        now = self.clock()
        fresh = self.fresh(now)
        ok = fresh and self.state == EngineState.RUNNING
        return ok, {
            "state": self.state,
            "stale": self.stale_reason(now),
            "slot": self.slot,
            "halt_reason": self.halt_reason,
            "feeds": self.gate.snapshot(now),
        }

    # ------------------------------------------------------------------ freshness
    def fresh(self, now: float | None = None) -> bool:
        """May we send now? Every input fresh, the socket up, no snapshot or repair pending."""
        if self._dirty:
            return False
        subs = self.subs
        if subs is not None and (not subs.connected or subs.reconnects > self._reconnects_seen):
            return False
        return self.gate.check(self.clock() if now is None else now).ok

    def stale_reason(self, now: float) -> str:
        parts = [f"repair:{name}" for name in sorted(self._dirty)]
        subs = self.subs
        if subs is not None:
            if not subs.connected:
                parts.append("ws:disconnected")
            elif subs.reconnects > self._reconnects_seen:
                parts.append("ws:resnapshot_pending")
        reason = self.gate.check(now).reason()
        if reason:
            parts.append(reason)
        return ",".join(parts)

    async def _watchdog_forever(self) -> None:
        from jitmaker import sdnotify

        sdnotify.notify("READY=1")
        interval = min(sdnotify.watchdog_interval_s() or 1.0, 1.0)
        next_notify = 0.0
        while True:
            await asyncio.sleep(WATCHDOG_TICK_S)
            now = self.clock()
            self.evaluate(now)
            if now >= next_notify:
                next_notify = now + interval
                for feed, lag in self.gate.lag_slots().items():
                    self.metrics.feed_lag.labels(feed=feed).set(lag)
                sdnotify.notify("WATCHDOG=1")

    def evaluate(self, now: float) -> None:
        """RUNNING <-> STALE from the freshness verdict; HALTED when the kill switch says so."""
        self._sync_halt()
        from jitmaker.freshness import FeedStatus

        if self.subs is not None:
            slot_feed = self.gate.status("slot", now)
            if slot_feed in (FeedStatus.SILENT, FeedStatus.LAGGING) or not self.subs.connected:
                # frames were missed or are late: what we hold is suspect until a snapshot
                self._dirty.add("snapshot")
            if ("snapshot" in self._dirty or "own_users" in self._dirty) and self._snapshot_due():
                self._wake_maintenance.set()
        ok = self.fresh(now)
        if ok:
            self.last_fresh_at = now
        if self.state not in (EngineState.RUNNING, EngineState.STALE):
            return
        new = EngineState.RUNNING if ok else EngineState.STALE
        if new == self.state:
            return
        if new == EngineState.STALE:
            self._stale_since = now
            self.counters.stale_episodes += 1
            log.warning("inputs_stale", stale=self.stale_reason(now))
        elif self._stale_since is not None:
            took = now - self._stale_since
            self._stale_since = None
            self.counters.recovery_s.append(took)
            self.metrics.recovery.observe(took)
            log.info("inputs_fresh", stale_s=round(took, 3))
        self._set_state(new)

    def _sync_halt(self) -> None:
        if self.risk is None or not self.risk.halted:
            return
        if self.state in (EngineState.HALTED, EngineState.STOPPING) or self._stop.is_set():
            return
        reason = self.risk.kill_switch.reason
        self.halt(reason.value if reason is not None else "kill switch")

    def _corrupt(self, feed: str, account: str, error: Any) -> None:
        self.counters.corrupt_payloads[feed] += 1
        self.metrics.corrupt_payloads.labels(feed=feed).inc()
        log.warning(
            "corrupt_payload_skipped",
            feed=feed,
            account=account,
            error=str(error),
            rate_limit_key=f"corrupt:{feed}",
        )

    # ------------------------------------------------------------------ bootstrap
    async def bootstrap(self) -> Any:
        """Snapshot everything and replace state wholesale (start, reconnects, periodic resync).

        An unusable payload is skipped and counted; if it belongs to something we cannot trade
        without (a configured market, its oracle, our own User) the snapshot is incomplete and
        ``SnapshotIncomplete`` asks the caller to retry. Returns the DLOB's ``LoadReport``.
        """
        from jitmaker.chain.rpc import DataSize, Memcmp

        rpc = self.rpc
        self.slot = max(self.slot, await rpc.get_slot())
        missing: list[str] = []
        perps = await rpc.get_program_accounts(
            str(self._drift), filters=[Memcmp(0, PERP_MARKET_DISCRIMINATOR)]
        )
        spots = await rpc.get_program_accounts(
            str(self._drift), filters=[Memcmp(0, SPOT_MARKET_DISCRIMINATOR)]
        )
        corrupt_markets = 0
        for accs, decode, store in (
            (perps.value, decode_perp_market, self.market_data.set_perp),
            (spots.value, decode_spot_market, self.market_data.set_spot),
        ):
            for acc in accs:
                try:
                    market = decode(acc.data)
                except JitMakerError as exc:
                    corrupt_markets += 1
                    self._corrupt("snapshot_market", acc.pubkey, exc)
                    continue
                store(market)
        for key in self.markets:
            have = self.market_data.perp if key[0] is MarketType.PERP else self.market_data.spot
            if key[1] not in have:
                if corrupt_markets:
                    missing.append(f"market {_mkey(key)}")
                    continue
                raise JitMakerError(f"market {_mkey(key)} does not exist on this cluster")
        keys = [k for k in self.markets if k in self.market_data.oracle_of]
        oracles = self.market_data.oracle_pubkeys(keys)
        accounts = await rpc.get_multiple_accounts([str(k) for k in oracles])
        for key, pubkey, acc in zip(keys, oracles, accounts.value, strict=True):
            if acc is not None and not self._store_oracle(key, pubkey, acc.data):
                self._corrupt("snapshot_oracle", str(pubkey), "oracle did not decode")
                missing.append(f"oracle {_mkey(key)}")
        users = await rpc.get_multiple_accounts([str(k) for k in self.our_users.values()])
        for sub, acc in zip(self.our_users, users.value, strict=True):
            if acc is None:
                raise JitMakerError(
                    f"no Drift user for subaccount {sub} of {self.authority}; initialize it first"
                )
            try:
                user = decode_user(acc.data)
            except JitMakerError as exc:
                self._corrupt("snapshot_own_user", acc.pubkey, exc)
                missing.append(f"own user {sub}")
                continue
            self._apply_own(sub, user, acc.data, users.slot or self.slot)
        book = await rpc.get_program_accounts(
            str(self._drift),
            filters=[
                Memcmp(0, USER_DISCRIMINATOR),
                Memcmp(HAS_OPEN_ORDER_OFFSET, b"\x01"),
                DataSize(4376),
            ],
        )
        snapshot = {}
        for acc in book.value:
            try:
                snapshot[Pubkey.from_string(acc.pubkey)] = decode_user(acc.data)
            except JitMakerError as exc:
                self._corrupt("snapshot_user", acc.pubkey, exc)
        if missing:
            raise SnapshotIncomplete("unusable payloads: " + ", ".join(missing))
        slot = book.slot or self.slot
        report = self.dlob.load(snapshot, slot)
        self.auction_users = {k: u for k, u in snapshot.items() if u.has_open_auction}
        await self.blockhashes.refresh()
        self.last_snapshot_at = self.clock()
        log.info(
            "snapshot_loaded",
            slot=slot,
            users=len(snapshot),
            perp_markets=len(perps.value),
            spot_markets=len(spots.value),
            ghosts=report.ghosts,
            missing=report.missing,
        )
        return report

    def _store_oracle(self, key: MarketKey, pubkey: Pubkey, data: bytes) -> bool:
        """Keep ``data`` as the oracle of ``key`` only if it decodes; else keep the old bytes."""
        old = self.market_data.oracle_raw.get(pubkey)
        self.market_data.set_oracle(pubkey, data)
        if self.market_data.oracle(key, self.slot) is not None:
            return True
        if old is None:
            self.market_data.oracle_raw.pop(pubkey, None)
        else:
            self.market_data.set_oracle(pubkey, old)
        return False

    def _apply_own(self, sub: int, user: Any, data: bytes, slot: int) -> None:
        """Our User at ``slot``: positions, fills (place_and_make), bounds, PnL."""
        old = self.user_accounts.get(sub)
        self.user_accounts[sub] = user
        self._own_slots[sub] = max(slot, self._own_slots.get(sub, 0))
        self._own_raw[sub] = data
        if old is not None:
            self._account_fills(sub, old, user)
        builder = getattr(self, "builders", {}).get(sub)
        if builder is not None:
            builder.set_maker_markets(user_markets(user))
        self._refresh_limits()
        self._record_pnl()

    def _record_pnl(self) -> None:
        """Feed the kill switch our account value's change since start (QUOTE 1e6)."""
        if self.risk is None or len(self.user_accounts) < len(self.our_users):
            return
        value = sum(
            account_value(u, self.market_data, self.slot) for u in self.user_accounts.values()
        )
        if self._pnl_base is None:
            self._pnl_base = value
        pnl = value - self._pnl_base
        self.metrics.pnl.set(pnl / 1e6)
        self.counters.pnl_quote = pnl
        if self.risk.kill_switch.record_pnl(pnl, self.slot):
            self._sync_halt()

    # ------------------------------------------------------------------ maintenance
    def _snapshot_due(self) -> bool:
        """A snapshot is owed (a reconnect, a replaced socket, a stalled or lagging feed) and
        the new stream is up: connected, every subscription confirmed, slot frames flowing."""
        subs = self.subs
        if subs is None or not subs.connected:
            return "snapshot" in self._dirty and subs is None
        if "snapshot" not in self._dirty and subs.reconnects <= self._reconnects_seen:
            return False
        if not all(sub.settled for sub in subs.subscriptions):
            return False
        from jitmaker.freshness import FeedStatus

        return "snapshot" not in self._dirty or (
            self.gate.status("slot", self.clock()) is FeedStatus.FRESH
        )

    async def _maintain_forever(self) -> None:
        """One task owns every snapshot read: reconnect resnapshots, own-account repairs and
        polls, and the periodic reconciliation that catches silently dropped subscriptions."""
        from jitmaker.chain.backoff import Backoff, Jitter

        backoff = Backoff(0.1, 5.0, jitter=Jitter.FULL)
        now = self.clock()
        next_resync = now + self.resync_interval_s
        next_own = now + self.own_poll_interval_s
        while True:
            wait = min(next_resync, next_own) - self.clock()
            if wait > 0 and not self._wake_maintenance.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._wake_maintenance.wait()
            self._wake_maintenance.clear()
            now = self.clock()
            try:
                if self._snapshot_due():
                    await self._resnapshot("reconnect")
                    next_resync = self.clock() + self.resync_interval_s
                    next_own = self.clock() + self.own_poll_interval_s
                elif "own_users" in self._dirty or now >= next_own:
                    await self._poll_own()
                    next_own = self.clock() + self.own_poll_interval_s
                elif now >= next_resync:
                    await self._resnapshot("periodic")
                    next_resync = self.clock() + self.resync_interval_s
                backoff.reset()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # RPC errors, 429s, incomplete snapshots, bugs: retry
                self.counters.resync_failures += 1
                log.warning(
                    "resync_failed",
                    error=str(exc),
                    error_type=type(exc).__name__,
                    rate_limit_key="resync_failed",
                )
                await asyncio.sleep(backoff.next_delay())
                if self._snapshot_due() or "own_users" in self._dirty:
                    self._wake_maintenance.set()

    async def _resnapshot(self, reason: str) -> None:
        subs = self.subs
        target = subs.reconnects if subs is not None else 0
        started = self.clock()
        report = await self.bootstrap()
        self._reconnects_seen = max(self._reconnects_seen, target)
        self._dirty.discard("snapshot")
        self._dirty.discard("own_users")
        self.counters.resyncs += 1
        self.counters.ghost_orders += report.ghosts
        self.counters.missing_orders += report.missing
        self.metrics.resyncs.labels(reason=reason).inc()
        self.metrics.ghost_orders.inc(report.ghosts)
        self.metrics.missing_orders.inc(report.missing)
        now = self.clock()
        for name in ("auctions", "book", "own_users"):
            self.gate.observe(name, self.slot, now)
        log.info(
            "resynced",
            reason=reason,
            ghosts=report.ghosts,
            missing=report.missing,
            took_ms=round((now - started) * 1000, 1),
        )

    async def _poll_own(self) -> None:
        """Read our Users over RPC; a newer state that differs from ours replaces it (a lost or
        corrupted notification, or an own-account subscription the server dropped)."""
        got = await self.rpc.get_multiple_accounts([str(k) for k in self.our_users.values()])
        slot = got.slot or self.slot
        bad = []
        for sub, acc in zip(self.our_users, got.value, strict=True):
            if acc is None:
                bad.append(sub)
                continue
            held = self._own_slots.get(sub, 0)
            if acc.data == self._own_raw.get(sub) or slot < held:
                continue
            if slot == held and "own_users" not in self._dirty:
                continue  # same slot, maybe an earlier state within it: the feed's is newer
            try:
                user = decode_user(acc.data)
            except JitMakerError as exc:
                self._corrupt("poll_own_user", acc.pubkey, exc)
                bad.append(sub)
                continue
            if sub in self._own_raw and slot > self._own_slots.get(sub, 0):
                self.counters.own_account_repairs += 1
                log.warning("own_account_repaired", subaccount=sub, slot=slot)
            self._apply_own(sub, user, acc.data, slot)
        if bad:
            raise SnapshotIncomplete(f"own users {bad} unusable")
        self._dirty.discard("own_users")
        self.gate.observe("own_users", slot, self.clock())

    async def _probe_rpc_slot_forever(self) -> None:
        """The RPC's slot is the reference a delayed or stalled websocket is measured against."""
        while True:
            try:
                slot = await self.rpc.get_slot()
            except JitMakerError as exc:
                log.warning("rpc_slot_probe_failed", error=str(exc), rate_limit_key="rpc_probe")
            else:
                self.gate.observe("rpc_slot", slot, self.clock())
            await asyncio.sleep(self.rpc_probe_interval_s)

    def _build_executor(self) -> None:
        builders = {}
        for sub in self.our_users:
            builder = MakerTxBuilder(
                self.keypair,
                self.market_data.directory,
                sub_account_id=sub,
                drift_program_id=self._drift,
                jit_program_id=self._jit,
                maker_markets=user_markets(self.user_accounts[sub]),
            )
            builders[sub] = builder
        self.builders = builders
        self.executor = Executor(
            builders=builders,
            subaccount_of={k: m.subaccount for k, m in self.markets.items()},
            mode=self.config.execution_mode,
            post_only=self.config.post_only,
            cu_limit=self.config.jit_cu_limit,
            gate=self.gate,
            metrics=self.metrics,
            counters=self.counters,
            send=self._send,
            blockhash=self._current_blockhash,
            cu_price=self._current_cu_price,
            positions=self._position,
            taker_user=self.auction_users.get,
            can_trade=self._can_trade,
            risk_check=self._risk_check if self.risk is not None else None,
            dry_run=self.config.dry_run,
            drift_program_id=self._drift,
            jit_program_id=self._jit,
            clock=self.clock,
            fresh=self.fresh,
        )

    # ------------------------------------------------------------------ feeds
    async def _start_feeds(self) -> None:
        cfg = self.config
        ws_url = self.ws_url or _derive_ws(self.http_url)
        stall = cfg.resub_timeout_ms / 1000
        # Account and program subscriptions only speak when an account changes, so their
        # silence proves nothing; they share one socket with the slot feed, whose silence is
        # the stall signal for all of them. They are tracked (for /readyz and metrics) with an
        # effectively unbounded silence, and the gate blocks on the slot feed and the oracles.
        # The slot feed must keep up with the RPC's own slot (probed every 200 ms): frames that
        # arrive but late (a delayed or backed-up socket) make it LAGGING within a few slots.
        self.gate.register("slot", max_silence_s=stall, max_lag_slots=self.feed_max_lag_slots)
        self.gate.register("rpc_slot", max_silence_s=max(2.5 * stall, 5.0))
        for name in ("auctions", "book", "own_users"):
            self.gate.register(name, max_silence_s=float("inf"))
        for key in self.markets:
            self.gate.register(
                f"oracle:{_mkey(key)}",
                max_silence_s=max(stall, 10.0),
                max_lag_slots=cfg.oracle_max_staleness_slots,
            )
        now = self.clock()
        for name in ("auctions", "book", "own_users", "rpc_slot"):
            self.gate.observe(name, self.slot, now)  # the snapshot is a frame
        for key in self.markets:
            reading = self.market_data.oracle(key, self.slot)
            if reading is not None:
                self.gate.observe(f"oracle:{_mkey(key)}", reading.slot, now)
        self._ws_urls = [ws_url, *(_derive_ws(u) for u in cfg.failover_endpoints)]
        wait_s = 10.0 if len(self._ws_urls) == 1 else 4.0
        for index, url in enumerate(self._ws_urls):
            self._ws_index = index
            self.subs = await self._open_ws(url)
            if await self.subs.wait_ready(wait_s):
                break
            log.warning("ws_endpoint_unusable", endpoint_index=index, waited_s=wait_s)
            if index + 1 < len(self._ws_urls):
                await self.subs.close()
        else:
            raise JitMakerError("websocket subscriptions were not confirmed on any endpoint")
        self._spawn("ws_supervisor", self._ws_supervisor_forever())
        from jitmaker.chain.rpc import RpcClient as _Rpc
        from jitmaker.chain.sender import Sender
        from jitmaker.chain.txerrors import ProgramIds

        extra = [_Rpc([url], max_attempts=1) for url in cfg.additional_send_tx_endpoints]
        self.sender = Sender(
            self.rpc,
            send_rpcs=[self.rpc, *extra],
            on_outcome=self._on_tx_outcome,
            program_ids=ProgramIds(drift=str(self._drift), jit_proxy=str(self._jit)),
            rebroadcast_s=None if cfg.tx_max_retries == 0 else 0.8,
        )
        self.sender.start()

    async def _open_ws(self, url: str) -> Any:
        """A subscription manager on ``url`` carrying every feed, started."""
        from jitmaker.chain.rpc import Commitment, Memcmp
        from jitmaker.chain.ws import SubscriptionManager

        subs = SubscriptionManager(
            url,
            commitment=Commitment(self.config.commitment.value),
            stall_timeout_s=self.config.resub_timeout_ms / 1000,
            on_reconnect=self._on_reconnect,
            clock=self.clock,
        )
        drift = str(self._drift)
        await subs.slot_subscribe(self._on_slot)
        await subs.program_subscribe(
            drift,
            self._on_auction_user,
            [Memcmp(0, USER_DISCRIMINATOR), Memcmp(HAS_OPEN_AUCTION_OFFSET, b"\x01")],
        )
        await subs.program_subscribe(
            drift,
            self._on_book_user,
            [Memcmp(0, USER_DISCRIMINATOR), Memcmp(HAS_OPEN_ORDER_OFFSET, b"\x01")],
        )
        for sub, pubkey in self.our_users.items():
            await subs.account_subscribe(str(pubkey), self._own_user_handler(sub))
        for key in self.markets:
            pda = (
                perp_market_pda(key[1], self._drift)
                if key[0] is MarketType.PERP
                else spot_market_pda(key[1], self._drift)
            )
            await subs.account_subscribe(str(pda), self._market_handler(key))
        for key in self.markets:
            oracle = self.market_data.oracle_of[key][0]
            await subs.account_subscribe(str(oracle), self._oracle_handler(key, oracle))
        subs.start()
        self._ws_opened_at = self.clock()
        return subs

    async def _ws_supervisor_forever(self) -> None:
        """Replace the websocket when it cannot recover by itself: connected but no slot frame
        for twice the stall timeout (e.g. subscription replies lost, so every notification is
        for an id we never learned), or down longer than ``ws_failover_s`` while another
        endpoint is configured (failover)."""
        stall = self.config.resub_timeout_ms / 1000
        down_since: float | None = None
        unconfirmed_since: float | None = None
        while True:
            await asyncio.sleep(0.25)
            subs, now = self.subs, self.clock()
            if subs.connected:
                down_since = None
                if all(sub.settled for sub in subs.subscriptions):
                    unconfirmed_since = None
                elif unconfirmed_since is None:
                    unconfirmed_since = now
                heard = max(self._last_slot_frame, self._ws_opened_at)
                if unconfirmed_since is not None and now - unconfirmed_since > max(1.0, stall / 2):
                    unconfirmed_since = None  # subscribe replies lost: they never come now
                    await self._replace_ws("subscriptions unconfirmed", same_endpoint=True)
                elif now - heard > 2 * stall + 1.0:
                    await self._replace_ws("connected but silent", same_endpoint=True)
            else:
                down_since = now if down_since is None else down_since
                if len(self._ws_urls) > 1 and now - down_since > self.ws_failover_s:
                    down_since = None
                    await self._replace_ws("endpoint unreachable", same_endpoint=False)

    async def _replace_ws(self, reason: str, *, same_endpoint: bool) -> None:
        old = self.subs
        if not same_endpoint:
            self._ws_index = (self._ws_index + 1) % len(self._ws_urls)
        url = self._ws_urls[self._ws_index]
        self._dirty.add("snapshot")  # a new connection replays nothing: snapshot once it is up
        self._reconnects_seen = 0
        self.counters.ws_replacements += 1
        self.metrics.reconnects.labels(feed="ws_replaced").inc()
        log.warning("ws_replaced", reason=reason, endpoint_index=self._ws_index)
        self.subs = await self._open_ws(url)
        with contextlib.suppress(Exception):
            await _within(old.close(), 5)
        self._wake_maintenance.set()

    def _on_reconnect(self, _info: Any = None) -> None:
        """Every subscription is confirmed on a new connection: snapshot and replace state
        (Solana replays nothing). Sending stays refused from the moment the connection dropped
        (``fresh``) until that snapshot is in."""
        self.counters.reconnects += 1
        self.metrics.reconnects.labels(feed="ws").inc()
        log.warning("feeds_reconnected_resnapshot", reconnects=self.counters.reconnects)
        self._wake_maintenance.set()

    def _on_slot(self, update: Any) -> None:
        slot = update.slot
        now = self.clock()
        self.gate.observe("slot", slot, now)  # its own slot: a late frame must look late
        self._last_slot_frame = now
        if slot <= self.slot and self.slot - slot < 1000:
            return
        self.slot = slot
        self.metrics.slot.set(slot)
        self.blockhashes.on_slot(slot)
        if self.state not in (EngineState.RUNNING, EngineState.STALE):
            return
        views, positions = {}, {}
        for key in self.markets:
            view = self.market_data.view(key, slot, self.dlob, self._our_user_keys)
            if view is not None:
                views[key] = view
                positions[key] = self._position_view(key)
        for key, strategy in self.strategies.items():
            if key not in views:
                continue
            try:
                commands = strategy.on_slot(slot, {key: views[key]}, {key: positions[key]})
            except Exception as exc:
                log.error(
                    "strategy_failed", market=_mkey(key), error=str(exc), rate_limit_key=_mkey(key)
                )
                continue
            self._run_commands(commands, strategy, None)

    def _on_auction_user(self, update: Any) -> None:
        t0 = time.perf_counter_ns()
        pubkey, data, slot = update.pubkey, update.data, update.slot
        now = self.clock()
        self.gate.observe("auctions", slot, now)
        try:
            user = decode_user(data)
            key = Pubkey.from_string(pubkey)
        except (JitMakerError, ValueError) as exc:
            self._corrupt("auctions", pubkey, exc)
            return
        self.auction_users[key] = user
        if len(self.auction_users) > 50_000:
            self.auction_users.pop(next(iter(self.auction_users)))
        self.dlob.apply_user(key, user, slot)
        self.handle_auction_user(key, user, max(slot, self.slot), t0)

    def handle_auction_user(self, key: Pubkey, user: Any, slot: int, t0: int | None = None) -> int:
        """Decide on every live auction of ``user`` in our markets. Returns attempts sent."""
        if self.state != EngineState.RUNNING:
            return 0
        is_self = bytes(key) in self._our_user_keys
        sent = 0
        for order in user.orders:
            if order[12] != 1 or order[22] == 0:  # status Open, has an auction
                continue
            mkey = (order.market_type, order.market_index)
            strategy = self.strategies.get(mkey)
            if strategy is None or is_auction_complete(order, slot):
                continue
            view = self.market_data.view(mkey, slot, self.dlob, self._our_user_keys)
            if view is None:
                continue
            self.counters.market(_mkey(mkey)).auctions_seen += 1
            self.metrics.auctions_seen.labels(market=_mkey(mkey)).inc()
            auction = AuctionView(key, order, is_self=is_self)
            try:
                commands = strategy.on_auction(auction, view, self._position_view(mkey), slot)
            except Exception as exc:
                log.error(
                    "strategy_failed",
                    market=_mkey(mkey),
                    error=str(exc),
                    rate_limit_key=_mkey(mkey),
                )
                continue
            sent += self._run_commands(commands, strategy, t0)
        return sent

    def _run_commands(self, commands: list, strategy: Any, t0: int | None) -> int:
        sent = 0
        for command in commands:
            if isinstance(command, Attempt):
                if self.executor.execute(command, strategy, t0) is not None:
                    sent += 1
            elif isinstance(command, Skip):
                self.metrics.skips.labels(reason=command.reason.value).inc()
                self.skip_counts[command.reason.value] += 1
        return sent

    def _on_book_user(self, update: Any) -> None:
        pubkey, data, slot = update.pubkey, update.data, update.slot
        self.gate.observe("book", slot, self.clock())
        try:
            user = decode_user(data)
            key = Pubkey.from_string(pubkey)
        except (JitMakerError, ValueError) as exc:
            self._corrupt("book", pubkey, exc)
            return
        self.dlob.apply_user(key, user, slot)

    def _own_user_handler(self, sub: int) -> Callable[[Any], None]:
        def handle(update: Any) -> None:
            data, slot = update.data, update.slot
            self.gate.observe("own_users", slot, self.clock())
            if slot < self._own_slots.get(sub, 0):
                return  # older than an RPC read already applied
            try:
                user = decode_user(data)
            except JitMakerError as exc:
                # our position is unknown until an RPC read repairs it: refuse to send
                self._corrupt("own_users", update.pubkey, exc)
                self._dirty.add("own_users")
                self._wake_maintenance.set()
                return
            self._apply_own(sub, user, data, slot)

        return handle

    def _market_handler(self, key: MarketKey) -> Callable[[Any], None]:
        def handle(update: Any) -> None:
            data = update.data
            try:
                market = (
                    decode_perp_market(data)
                    if key[0] is MarketType.PERP
                    else decode_spot_market(data)
                )
            except JitMakerError as exc:
                self._corrupt("markets", update.pubkey, exc)
                return
            if market.market_index != key[1]:  # a payload naming another market
                self._corrupt("markets", update.pubkey, f"market index {market.market_index}")
                return
            if key[0] is MarketType.PERP:
                self.market_data.set_perp(market)
            else:
                self.market_data.set_spot(market)

        return handle

    def _oracle_handler(self, key: MarketKey, pubkey: Pubkey) -> Callable[[Any], None]:
        def handle(update: Any) -> None:
            if not self._store_oracle(key, pubkey, update.data):
                self._corrupt("oracles", str(pubkey), "oracle did not decode")
                return
            reading = self.market_data.oracle(key, max(update.slot, self.slot))
            self.gate.observe(f"oracle:{_mkey(key)}", reading.slot, self.clock())
            if self.risk is not None:
                self.risk.observe_oracle(key, reading.slot, reading.price)

        return handle

    # ------------------------------------------------------------------ positions, sizing
    def _position(self, key: MarketKey) -> int | None:
        market = self.markets.get(key)
        user = self.user_accounts.get(market.subaccount) if market else None
        if user is None:
            return None
        if key[0] is MarketType.PERP:
            pos = user.perp_position(key[1])
            return pos.base_asset_amount if pos is not None else 0
        pos = user.spot_position(key[1])
        if pos is None:
            return 0
        from jitmaker.accounts import SpotBalanceType, token_amount

        spot = self.market_data.spot.get(key[1])
        amount = token_amount(pos.scaled_balance, spot, pos.balance_type) if spot else 0
        return amount if pos.balance_type == SpotBalanceType.DEPOSIT else -amount

    def _position_view(self, key: MarketKey) -> PositionView:
        position = self._position(key) or 0
        max_pos, min_pos = self.limits.get(key, (0, 0))
        return PositionView(position, max_pos, min_pos)

    def _refresh_limits(self) -> None:
        """Bounds per market from the subaccount's value and its shared leverage target."""
        by_sub: dict[int, list[MarketKey]] = {}
        for key, market in self.markets.items():
            by_sub.setdefault(market.subaccount, []).append(key)
        for sub, keys in by_sub.items():
            user = self.user_accounts.get(sub)
            if user is None:
                continue
            value = account_value(user, self.market_data, self.slot)
            for key in keys:
                market = self.markets[key]
                view = self.market_data.view(key, self.slot)
                if view is None:
                    continue
                # exact: the config keeps leverage as a Fraction; ppm rounded down, no floats
                tl = market.target_leverage
                lev = tl.numerator * LEVERAGE_PRECISION // tl.denominator
                lev //= len(keys)
                limits = position_limits(
                    value,
                    view.oracle_price,
                    lev,
                    view.base_precision,
                    view.step_size,
                    market.max_position_base,
                )
                self.limits[key] = (limits.max_position, limits.min_position)
                position = self._position(key) or 0
                self.counters.market(_mkey(key)).position_base = position
                self.metrics.position.labels(market=_mkey(key)).set(position)

    def _account_fills(self, sub: int, old: Any, new: Any) -> None:
        """Our position moves only through our own fills: count them per market."""
        if old is None:
            return
        for key, market in self.markets.items():
            if market.subaccount != sub or key[0] is not MarketType.PERP:
                continue
            before = old.perp_position(key[1])
            after = new.perp_position(key[1])
            b0 = before.base_asset_amount if before else 0
            b1 = after.base_asset_amount if after else 0
            if b0 == b1:
                continue
            q0 = before.quote_asset_amount if before else 0
            q1 = after.quote_asset_amount if after else 0
            counters = self.counters.market(_mkey(key))
            if self.config.execution_mode is not ExecutionMode.JIT_PROXY:
                counters.fills += 1
                self.metrics.fills.labels(market=_mkey(key)).inc()
            counters.filled_base += abs(b1 - b0)
            counters.filled_quote += abs(q1 - q0)
            self.metrics.filled_base.labels(market=_mkey(key)).inc(abs(b1 - b0) / 1e9)
            self.metrics.filled_notional.labels(market=_mkey(key)).inc(abs(q1 - q0) / 1e6)
            # jit-proxy keeps a fill inside the bounds of the attempt that made it, so our
            # position may only grow inside the hull of the bounds of attempts that could
            # still land (or today's limits), and never past the configured cap
            max_pos, min_pos = self.limits.get(key, (0, 0))
            hull = self.executor.bounds_hull(key, self.slot) if self.executor else None
            if hull is not None:
                max_pos, min_pos = max(max_pos, hull[0]), min(min_pos, hull[1])
            cap = market.max_position_base
            grew = abs(b1) > abs(b0)
            if grew and (b1 > max_pos or b1 < min_pos or (cap is not None and abs(b1) > cap)):
                self.counters.position_limit_breaches += 1
                log.error(
                    "position_limit_breached",
                    market=_mkey(key),
                    position=b1,
                    max_position=max_pos,
                    min_position=min_pos,
                )

    # ------------------------------------------------------------------ sending
    def _can_trade(self) -> RefusedReason | None:
        if self.state == EngineState.STOPPING or self._stop.is_set():
            return RefusedReason.STOPPING
        if self.state == EngineState.HALTED:
            return RefusedReason.HALTED
        if self.risk is not None and self.risk.halted:
            return RefusedReason.HALTED
        rpc = self.rpc
        if rpc is not None and hasattr(rpc, "health"):
            now = time.monotonic()  # the RpcClient's clock
            if all(h.down_until > now for h in rpc.health()):
                return RefusedReason.RPC_BACKOFF  # 429s or failures: let it cool down
        if self.executor is not None and self.executor.in_flight:
            # sends that nobody reports on (dropped for a blockhash the node forgot, statuses
            # rate-limited...) resolve only when their blockhash expires: stop adding more
            cutoff = self.clock() - STUCK_AFTER_S
            stuck = 0
            for flight in self.executor.in_flight.values():
                if flight.sent_at > cutoff:
                    break
                stuck += 1
                if stuck >= MAX_STUCK_SENDS:
                    return RefusedReason.UNCONFIRMED
            # ... and bound them by count too: at tens of attempts a second the age rule lets
            # more sends out blind (none answered yet) than the kill switch's failure streak
            # allows, so one burst the node drops (a forgotten blockhash) would halt the bot
            newest_first = (f.sent_at for f in reversed(self.executor.in_flight.values()))
            if self._sends.blind_cap_reached(newest_first):
                return RefusedReason.UNCONFIRMED
        return None

    def _risk_check(self, attempt: Attempt) -> str | None:
        from jitmaker.strategies.sizing import PositionLimits

        key = (attempt.market_type, attempt.market_index)
        view = self.market_data.view(key, self.slot)
        if view is None:
            return "no_market_view"
        existing = self._position(key) or 0
        taker = self.auction_users.get(attempt.taker)
        unfilled = None
        if taker is not None:
            order = taker.order_by_id(attempt.taker_order_id)
            if order is not None:
                unfilled = order.unfilled
        try:
            limits = PositionLimits(attempt.max_position, attempt.min_position)
        except ValueError:
            return "bad_limits"
        verdict = self.risk.check(attempt, view, existing, limits, self.slot, unfilled)
        if verdict.ok:
            return None
        return verdict.reason.value

    def _current_blockhash(self) -> tuple[bytes, int] | None:
        from solders.hash import Hash

        try:
            cached = self.blockhashes.current()
        except JitMakerError:
            return None
        counts = getattr(self.sender, "counts", None)
        if counts is not None:
            not_found = counts["send_blockhash"]
            if not_found != self._blockhash_not_found:
                # a send just drew "Blockhash not found" (it stays an unknown outcome until its
                # blockhash expires): sign nothing more with that blockhash, and for a while
                # only with blockhashes younger than it was - the node forgets them sooner
                # than lastValidBlockHeight promises
                self._blockhash_not_found = not_found
                self._bad_blockhash = self._blockhash_key
                age = max(2, self.slot - self._blockhash_slot - 1)
                self._max_blockhash_age = min(self._max_blockhash_age or age, age)
                self._age_limit_until = self.slot + BLOCKHASH_SUSPICION_SLOTS
                self.blockhashes.on_slot(self.slot)
        key = cached.blockhash
        if key == self._bad_blockhash:
            return None
        if self._max_blockhash_age is not None:
            if self.slot > self._age_limit_until:
                self._max_blockhash_age = None
            elif self.slot - cached.slot > self._max_blockhash_age:
                self.blockhashes.on_slot(self.slot)
                return None
        if self._blockhash_key != key:
            self._blockhash_key = key
            self._blockhash_slot = cached.slot
            self._blockhash = (bytes(Hash.from_string(key)), cached.last_valid_block_height)
        return self._blockhash

    def _current_cu_price(self) -> int | None:
        price = self.fees.current()
        return price if price > 0 else None

    def _send(self, raw: bytes, signature: str, last_valid: int, programs: tuple[str, ...]) -> None:
        self.sender.send(raw, last_valid, signature=signature, ix_program_ids=programs)

    def _on_tx_outcome(self, outcome: Any) -> None:
        from jitmaker.chain.sender import Expired, Failed, Landed

        signature = outcome.signature
        if isinstance(outcome, Landed):
            kind, reason = OutcomeKind.FILLED, "filled"
        elif isinstance(outcome, Failed):
            kind = _FAILURE_KINDS.get(outcome.failure.reason.name, OutcomeKind.UNKNOWN)
            reason = outcome.failure.reason.name.lower()
            if kind is OutcomeKind.UNKNOWN:
                log.warning(
                    "tx_failed_unclassified",
                    tx_sig=signature,
                    failure=str(outcome.failure),
                    rate_limit_key="unclassified",
                )
        elif isinstance(outcome, Expired):
            kind, reason = OutcomeKind.BLOCKHASH_EXPIRED, "blockhash"
        else:
            kind, reason = OutcomeKind.TIMEOUT, "unknown_outcome"
            self.counters.unknown_outcomes += 1
        # jit-proxy reverts with NoFill when nothing traded, so a landed jit is a fill; a landed
        # place_and_make may have matched nothing, so its fills are counted from our position
        count_fill = self.config.execution_mode is ExecutionMode.JIT_PROXY
        flight = (
            self.executor.on_outcome(signature, kind, reason, count_fill=count_fill)
            if self.executor
            else None
        )
        if flight is None:
            return
        if self.risk is None:
            self._sends.record_outcome(kind, self.slot, flight.sent_at)
            return
        event = self.risk.on_outcome(kind, self.slot, flight.sent_at)
        if event is not None and self.risk.halted:
            self.halt(
                f"{event.reason.value}: {event.detail}" if event.reason else str(event.detail)
            )

    def halt(self, reason: str) -> None:
        """HALTED: no new attempts until an operator restarts (in-flight ones resolve)."""
        if self.state == EngineState.HALTED:
            return
        self.metrics.halted.set(1)
        self.halt_reason = reason
        self.counters.halts.append({"slot": self.slot, "reason": reason})
        log.error("halted", reason=reason)
        self._set_state(EngineState.HALTED)

    # ------------------------------------------------------------------ summary
    def summary(self) -> dict[str, Any]:
        return self.counters.to_json(
            strategy_skips=dict(sorted(self.skip_counts.items())),
            traded=not self.config.dry_run,
            state=self.state,
            halt_reason=self.halt_reason,
            slot=self.slot,
            authority=str(self.authority),
        )


_FAILURE_KINDS = {
    "NOT_CROSSED": OutcomeKind.NOT_CROSSED,
    "NO_FILL": OutcomeKind.NO_FILL,
    "POSITION_LIMIT": OutcomeKind.POSITION_LIMIT,
    "INSUFFICIENT_COLLATERAL": OutcomeKind.POSITION_LIMIT,
    "ORACLE": OutcomeKind.ORACLE_INVALID,
    "BLOCKHASH": OutcomeKind.BLOCKHASH_EXPIRED,
    "TAKER_GONE": OutcomeKind.TAKER_ORDER_NOT_FOUND,
    "ALREADY_PROCESSED": OutcomeKind.FILLED,
}


async def _within(aw: Awaitable[Any], timeout_s: float) -> Any:
    """``aw``'s result, or ``TimeoutError`` after ``timeout_s`` (its task is then cancelled and
    left behind). Unlike Python 3.11's ``asyncio.wait_for`` this is bounded even when ``aw``
    does not finish on cancellation (wait_for then waits for it without limit), and a
    cancellation of the caller always propagates (wait_for drops it if ``aw`` completes in
    the same loop iteration, gh-86296), so a supervisor loop being shut down cannot carry on."""
    task = asyncio.ensure_future(aw)
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout_s)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        task.cancel()
        task.add_done_callback(_retrieve)
        raise TimeoutError(f"not done within {timeout_s}s")
    return task.result()


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a left-behind task's exception as seen (no 'never retrieved' report at exit)."""
    if not task.cancelled():
        task.exception()


def _derive_ws(http_url: str) -> str:
    """driftpy's rule: explicit port -> port + 1; scheme http->ws, https->wss."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(http_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    netloc = parts.netloc
    if parts.port:
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port + 1}"
    return urlunsplit((scheme, netloc, parts.path, parts.query, ""))
