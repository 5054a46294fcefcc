"""Attempt -> checks -> signed transaction -> sender; outcomes -> strategies and counters.

The hot path (``execute``) is synchronous: it runs inside the feed callback that delivered
the account notification, so tick-to-trade is notification bytes in, signed bytes handed to
the sender out, with no await in between. Confirmation tracking happens elsewhere and comes
back through ``on_outcome``.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from solders.pubkey import Pubkey

from jitmaker.accounts import MarketType, PositionDirection, PostOnlyParam
from jitmaker.chain.instructions import JitParams, OrderParams
from jitmaker.chain.instructions import PriceType as WirePriceType
from jitmaker.chain.maker_tx import MakerTxBuilder, TakerRef
from jitmaker.chain.pdas import user_stats_pda
from jitmaker.chain.remaining import user_markets
from jitmaker.config import ExecutionMode
from jitmaker.engine.summary import RunCounters
from jitmaker.freshness import FreshnessGate
from jitmaker.logging import get_logger
from jitmaker.metrics import Metrics
from jitmaker.strategies.commands import Attempt, AttemptOutcome, OutcomeKind

__all__ = ["Executor", "InFlight", "RefusedReason"]

log = get_logger("jitmaker.executor")
MAX_IN_FLIGHT = 4096
BOUNDS_WINDOW = 4096
BLOCKHASH_LIFETIME_SLOTS = 300  # 150 blocks, doubled for skipped slots
_BUDGET = "ComputeBudget111111111111111111111111111111"


class RefusedReason(Enum):
    STALE = "stale"
    HALTED = "halted"
    STOPPING = "stopping"
    POSITION_LIMIT = "position_limit"
    NO_BLOCKHASH = "no_blockhash"
    NO_MARKET = "no_market"
    DRY_RUN = "dry_run"
    BUILD_FAILED = "build_failed"
    RISK = "risk"
    RPC_BACKOFF = "rpc_backoff"  # every send endpoint is cooling down (429s, failures)
    UNCONFIRMED = "sends_unconfirmed"  # too many sends with no status for too long
    TAKER_UNKNOWN = "taker_unknown"  # not in our auction map (evicted, or gone at a resnapshot)


@dataclass(slots=True)
class InFlight:
    attempt: Attempt
    market: str
    signature: str
    sent_at: float
    last_valid_block_height: int
    strategy: Any


class Executor:
    def __init__(
        self,
        *,
        builders: dict[int, MakerTxBuilder],  # by subaccount
        subaccount_of: dict[tuple[MarketType, int], int],
        mode: ExecutionMode,
        post_only: PostOnlyParam,
        cu_limit: int,
        gate: FreshnessGate,
        metrics: Metrics,
        counters: RunCounters,
        send: Callable[[bytes, str, int, tuple[str, ...]], None],
        blockhash: Callable[[], tuple[bytes, int] | None],
        cu_price: Callable[[], int | None],
        positions: Callable[[tuple[MarketType, int]], int | None],
        taker_user: Callable[[Hashable], Any],
        can_trade: Callable[[], RefusedReason | None],
        risk_check: Callable[[Attempt], str | None] | None = None,
        dry_run: bool = False,
        drift_program_id: Pubkey | None = None,
        jit_program_id: Pubkey | None = None,
        clock: Callable[[], float] = time.monotonic,
        fresh: Callable[[], bool] | None = None,
    ) -> None:
        self.builders = builders
        self.subaccount_of = subaccount_of
        self.mode = mode
        self.post_only = post_only
        self.cu_limit = cu_limit
        self.gate = gate
        self.metrics = metrics
        self.counters = counters
        self._send = send
        self._blockhash = blockhash
        self._cu_price = cu_price
        self._positions = positions
        self._taker_user = taker_user
        self._can_trade = can_trade
        self._risk_check = risk_check
        self.dry_run = dry_run
        self._drift = drift_program_id
        self._drift_id = str(drift_program_id or "dRiftyHA39MWEi3m9aunc5MzRF1JYuBsbn6VPcn33UH")
        self._jit_id = str(jit_program_id or "J1TnP8zvVxbtF5KFp5xRmWuvG9McnhzmBd9XGfCyuxFP")
        self._clock = clock
        # the engine's full freshness verdict (gate + connection + no snapshot pending);
        # the bare gate when used on its own
        self._fresh = fresh or (lambda: self.gate.check(self._clock()).ok)
        self.in_flight: OrderedDict[str, InFlight] = OrderedDict()
        self._taker_refs: OrderedDict[tuple, TakerRef] = OrderedDict()
        self.last_tick_to_trade_ns: int | None = None
        self.last_risk_reason: str | None = None
        # bounds of recent attempts per market: whatever lands stays inside their hull
        self._bounds: dict[tuple[MarketType, int], deque[tuple[int, int, int]]] = {}

    # ------------------------------------------------------------------ hot path
    def execute(self, attempt: Attempt, strategy: Any, t0_ns: int | None = None) -> str | None:
        """Check, build, sign and hand one attempt to the sender. Returns the signature."""
        key = (attempt.market_type, attempt.market_index)
        market = f"{attempt.market_type.name.lower()}-{attempt.market_index}"
        refused = self._refusal(attempt, key)
        if refused is not None:
            self._refuse(attempt, strategy, market, refused)
            return None
        sub = self.subaccount_of[key]
        builder = self.builders[sub]
        hb = self._blockhash()
        if hb is None:
            self._refuse(attempt, strategy, market, RefusedReason.NO_BLOCKHASH)
            return None
        blockhash, last_valid = hb
        taker = self._taker_ref(attempt.taker)
        cu_price = self._cu_price()
        try:
            if self.mode is ExecutionMode.JIT_PROXY:
                tx = builder.jit(
                    taker,
                    JitParams(
                        taker_order_id=attempt.taker_order_id,
                        max_position=attempt.max_position,
                        min_position=attempt.min_position,
                        bid=attempt.bid,
                        ask=attempt.ask,
                        price_type=WirePriceType(int(attempt.price_type)),
                        post_only=self.post_only,
                    ),
                    blockhash=blockhash,
                    market_index=attempt.market_index,
                    market_type=attempt.market_type,
                    cu_limit=self.cu_limit,
                    cu_price=cu_price,
                )
            else:
                tx = builder.place_and_make(
                    taker,
                    self._order_params(attempt, key),
                    attempt.taker_order_id,
                    blockhash=blockhash,
                    cu_limit=self.cu_limit,
                    cu_price=cu_price,
                )
        except Exception as exc:  # an encoding problem must cost one attempt, not the bot
            log.error("build_failed", market=market, error=str(exc), error_type=type(exc).__name__)
            self._refuse(attempt, strategy, market, RefusedReason.BUILD_FAILED)
            return None
        signature = tx.signature_b58
        if t0_ns is not None:
            elapsed = time.perf_counter_ns() - t0_ns
            self.last_tick_to_trade_ns = elapsed
            self.metrics.tick_to_trade.observe(elapsed / 1e9)
        if not self._fresh():  # belt and braces: never send stale
            self.counters.sends_while_stale += 1
            self.metrics.sends_while_stale.inc()
        programs = (_BUDGET,) * (1 if cu_price is None else 2) + (
            self._jit_id if self.mode is ExecutionMode.JIT_PROXY else self._drift_id,
        )
        self._send(tx.raw, signature, last_valid, programs)
        window = self._bounds.get(key)
        if window is None:
            window = self._bounds[key] = deque(maxlen=BOUNDS_WINDOW)
        window.append((attempt.slot, attempt.max_position, attempt.min_position))
        self._track(InFlight(attempt, market, signature, self._clock(), last_valid, strategy))
        counters = self.counters.market(market)
        counters.attempts += 1
        self.metrics.attempts.labels(market=market).inc()
        log.info(
            "attempt_sent",
            market=market,
            slot=attempt.slot,
            taker=str(attempt.taker),
            order_id=attempt.taker_order_id,
            tx_sig=signature,
            bid=attempt.bid,
            ask=attempt.ask,
            tag=attempt.tag.value,
            attempt_no=attempt.attempt_no,
            latency_us=None if t0_ns is None else self.last_tick_to_trade_ns // 1000,
        )
        return signature

    def bounds_hull(self, key: tuple[MarketType, int], slot: int) -> tuple[int, int] | None:
        """(max of max_position, min of min_position) over attempts that may still land
        (sent within a blockhash lifetime of ``slot``); None if there were none."""
        window = self._bounds.get(key)
        if not window:
            return None
        recent = [(hi, lo) for s, hi, lo in window if slot - s <= BLOCKHASH_LIFETIME_SLOTS]
        if not recent:
            return None
        return max(hi for hi, _ in recent), min(lo for _, lo in recent)

    def _refusal(self, attempt: Attempt, key: tuple[MarketType, int]) -> RefusedReason | None:
        if key not in self.subaccount_of:
            return RefusedReason.NO_MARKET
        if self._taker_user(attempt.taker) is None:
            return RefusedReason.TAKER_UNKNOWN
        refused = self._can_trade()
        if refused is not None:
            return refused
        if not self._fresh():
            self.counters.refused_stale += 1
            return RefusedReason.STALE
        position = self._positions(key)
        if position is None:
            return RefusedReason.STALE
        # jit-proxy never lets the position leave [min, max]; refuse anything whose bounds
        # would not contain today's position either (a stale or hostile attempt)
        if not attempt.min_position <= 0 <= attempt.max_position:
            return RefusedReason.POSITION_LIMIT
        if attempt.maker_direction is PositionDirection.LONG and position >= attempt.max_position:
            return RefusedReason.POSITION_LIMIT
        if attempt.maker_direction is PositionDirection.SHORT and position <= attempt.min_position:
            return RefusedReason.POSITION_LIMIT
        if self._risk_check is not None:
            reason = self._risk_check(attempt)
            if reason is not None:
                self.last_risk_reason = reason
                return RefusedReason.RISK
        if self.dry_run:
            return RefusedReason.DRY_RUN
        return None

    def _refuse(self, attempt: Attempt, strategy: Any, market: str, reason: RefusedReason) -> None:
        self.counters.market(market).skips[reason.value] += 1
        self.metrics.skips.labels(reason=reason.value).inc()
        if reason is RefusedReason.DRY_RUN:
            self.counters.dry_run_decisions += 1
            log.info(
                "dry_run_attempt",
                market=market,
                slot=attempt.slot,
                taker=str(attempt.taker),
                order_id=attempt.taker_order_id,
                bid=attempt.bid,
                ask=attempt.ask,
            )
            kind = OutcomeKind.EXPIRED
        else:
            log.debug(
                "attempt_refused", market=market, reason=reason.value, rate_limit_key=reason.value
            )
            kind = _REFUSAL_KINDS.get(reason, OutcomeKind.EXPIRED)
            if reason is RefusedReason.RISK:
                self.counters.market(market).skips[f"risk:{self.last_risk_reason}"] += 1
        strategy.on_outcome(
            AttemptOutcome(attempt.taker, attempt.taker_order_id, attempt.slot, kind)
        )

    def _taker_ref(self, taker: Hashable) -> TakerRef:
        user = self._taker_user(taker)
        markets = user_markets(user) if user is not None else user_markets(None)
        pubkey = taker if isinstance(taker, Pubkey) else Pubkey.from_string(str(taker))
        cache_key = (pubkey, markets)
        ref = self._taker_refs.get(cache_key)
        if ref is None:
            stats = (
                user_stats_pda(user.authority, self._drift)
                if self._drift
                else user_stats_pda(user.authority)
            )
            ref = TakerRef(pubkey, stats, markets)
            self._taker_refs[cache_key] = ref
            if len(self._taker_refs) > 8192:
                self._taker_refs.popitem(last=False)
        return ref

    def _order_params(self, attempt: Attempt, key: tuple[MarketType, int]) -> OrderParams:
        """place_and_make: an IOC post-only limit at our worst price for the taker's side."""
        from jitmaker.accounts import OrderType

        maker_long = attempt.maker_direction is PositionDirection.LONG
        price = attempt.quote.bid if maker_long else attempt.quote.ask
        position = self._positions(key) or 0
        room = attempt.max_position - position if maker_long else position - attempt.min_position
        return OrderParams(
            order_type=OrderType.LIMIT,
            market_type=attempt.market_type,
            direction=attempt.maker_direction,
            user_order_id=0,
            base_asset_amount=max(room, 0),
            price=price,
            market_index=attempt.market_index,
            reduce_only=False,
            post_only=self.post_only,
            bit_flags=1,  # ImmediateOrCancel
        )

    def _track(self, flight: InFlight) -> None:
        self.in_flight[flight.signature] = flight
        while len(self.in_flight) > MAX_IN_FLIGHT:
            _, old = self.in_flight.popitem(last=False)
            self.counters.unknown_outcomes += 1
            old.strategy.on_outcome(
                AttemptOutcome(
                    old.attempt.taker,
                    old.attempt.taker_order_id,
                    old.attempt.slot,
                    OutcomeKind.TIMEOUT,
                )
            )

    # ------------------------------------------------------------------ outcomes
    def on_outcome(
        self, signature: str, kind: OutcomeKind, reason: str, *, count_fill: bool = True
    ) -> InFlight | None:
        """Record an attempt's fate. ``count_fill=False`` when landing does not prove a fill
        (place_and_make: an IOC maker order that matched nothing lands without error)."""
        flight = self.in_flight.pop(signature, None)
        if flight is None:
            return None
        attempt = flight.attempt
        counters = self.counters.market(flight.market)
        if kind is OutcomeKind.FILLED:
            if count_fill:
                counters.fills += 1
                self.metrics.fills.labels(market=flight.market).inc()
        else:
            self.counters.errors[reason] += 1
            self.metrics.errors.labels(reason=reason).inc()
        flight.strategy.on_outcome(
            AttemptOutcome(attempt.taker, attempt.taker_order_id, attempt.slot, kind)
        )
        log.info(
            "attempt_outcome",
            market=flight.market,
            tx_sig=signature,
            outcome=kind.value,
            reason=reason,
            order_id=attempt.taker_order_id,
            taker=str(attempt.taker),
        )
        return flight


_REFUSAL_KINDS = {
    RefusedReason.POSITION_LIMIT: OutcomeKind.POSITION_LIMIT,
    RefusedReason.TAKER_UNKNOWN: OutcomeKind.TAKER_ORDER_NOT_FOUND,
}
