"""Pre-trade risk: position bounds, oracle validity, volatility, and a kill switch.

Everything here is pure: slots, prices and outcomes are fed in explicitly. The on-chain
jit-proxy bounds are the backstop; this module is the plan (reliability.md §6 rule 5): an
attempt is sent only if a *full* fill of the largest size jit-proxy could give it keeps the
position inside the configured limits, the oracle is fresh and tight, the market is calm and
allowed to trade, and the kill switch is RUNNING.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from jitmaker.accounts.enums import MarketStatus, PositionDirection
from jitmaker.errors import ConfigError
from jitmaker.strategies.commands import Attempt, OutcomeKind
from jitmaker.strategies.pricing import BPS
from jitmaker.strategies.sizing import PositionLimits
from jitmaker.strategies.views import MarketKey, MarketView

__all__ = [
    "ACCEPT",
    "MAX_BLIND_SENDS",
    "HaltReason",
    "KillSwitch",
    "KillSwitchConfig",
    "KillSwitchEvent",
    "OracleLimits",
    "RiskConfig",
    "RiskGate",
    "RiskReason",
    "RiskVerdict",
    "TradingState",
    "VolatilityFilter",
    "check_market_status",
    "check_oracle",
    "check_position_limits",
    "projected_position",
]


class RiskReason(Enum):
    """Why an attempt was refused."""

    HALTED = "halted"
    MARKET_STATUS = "market_status"
    REDUCE_ONLY = "reduce_only"
    ORACLE_MISSING = "oracle_missing"
    ORACLE_STALE = "oracle_stale"
    ORACLE_CONFIDENCE = "oracle_confidence"
    VOLATILE = "volatile"
    LIMITS_TOO_WIDE = "limits_too_wide"
    """The attempt's max/min position exceed the configured limits."""
    POSITION_LIMIT = "position_limit"
    """No room on our side, or a full fill would leave the limits."""


@dataclass(frozen=True, slots=True)
class RiskVerdict:
    """``ok`` or the reason (and a short human detail) for refusing."""

    reason: RiskReason | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.reason is None


ACCEPT = RiskVerdict()


# ---------------------------------------------------------------- position limits


def projected_position(
    maker_direction: PositionDirection,
    existing: int,
    max_position: int,
    min_position: int,
    taker_unfilled: int | None,
    min_order_size: int,
) -> int | None:
    """Our position after a full fill of the largest size jit-proxy would trade, or None when
    jit-proxy would reject the attempt with PositionLimitBreached (protocol §6.3 h).

    ``taker_unfilled`` None means unknown: assume the taker can absorb the whole room.
    """
    long = maker_direction is PositionDirection.LONG
    room = max_position - existing if long else existing - min_position
    if room <= min_order_size:
        return None
    size = room if taker_unfilled is None else min(room, max(taker_unfilled, min_order_size))
    return existing + size if long else existing - size


def check_position_limits(
    attempt: Attempt,
    existing: int,
    limits: PositionLimits,
    min_order_size: int,
    taker_unfilled: int | None = None,
) -> RiskVerdict:
    """Refuse unless a full fill keeps us inside ``limits`` (or, when already outside them after
    the limits shrank, strictly reduces the breach without crossing the other bound)."""
    if attempt.max_position > limits.max_position or attempt.min_position < limits.min_position:
        return RiskVerdict(
            RiskReason.LIMITS_TOO_WIDE,
            f"attempt bounds [{attempt.min_position}, {attempt.max_position}] exceed "
            f"[{limits.min_position}, {limits.max_position}]",
        )
    projected = projected_position(
        attempt.maker_direction,
        existing,
        attempt.max_position,
        attempt.min_position,
        taker_unfilled,
        min_order_size,
    )
    if projected is None:
        return RiskVerdict(RiskReason.POSITION_LIMIT, f"no room from position {existing}")
    if limits.contains(projected):
        return ACCEPT
    # Already outside (the limits shrank with price or equity): only trades that shrink the
    # breach, without crossing the other bound, are allowed.
    if limits.max_position < projected < existing or existing < projected < limits.min_position:
        return ACCEPT
    return RiskVerdict(RiskReason.POSITION_LIMIT, f"full fill would reach {projected}")


# ---------------------------------------------------------------- market status and oracle

_NO_FILLS = frozenset(
    {
        MarketStatus.INITIALIZED,
        MarketStatus.FILL_PAUSED,
        MarketStatus.SETTLEMENT,
        MarketStatus.DELISTED,
    }
)


def check_market_status(market: MarketView, existing: int, projected: int | None) -> RiskVerdict:
    """No fills in paused/settling/delisted markets; only exposure-reducing ones in reduce-only."""
    if market.status in _NO_FILLS:
        return RiskVerdict(RiskReason.MARKET_STATUS, f"market is {market.status.name}")
    if market.status is MarketStatus.REDUCE_ONLY:
        reduces = projected is not None and (
            (existing > 0 and 0 <= projected < existing)
            or (existing < 0 and existing < projected <= 0)
        )
        if not reduces:
            return RiskVerdict(RiskReason.REDUCE_ONLY, "market is REDUCE_ONLY")
    return ACCEPT


@dataclass(frozen=True, slots=True)
class OracleLimits:
    """Client-side oracle validity bounds."""

    max_staleness_slots: int = 10
    """Refuse when ``slot − oracle_slot`` exceeds this."""
    max_conf_bps: int = 100
    """Refuse when confidence / price exceeds this many bps."""


def check_oracle(market: MarketView, slot: int, limits: OracleLimits) -> RiskVerdict:
    """Staleness in slots and confidence interval in bps, both against explicit bounds."""
    price = market.oracle_price
    if price <= 0:
        return RiskVerdict(RiskReason.ORACLE_MISSING, f"oracle price {price}")
    age = slot - market.oracle_slot
    if age > limits.max_staleness_slots:
        return RiskVerdict(RiskReason.ORACLE_STALE, f"oracle is {age} slots old")
    if market.oracle_conf * BPS > price * limits.max_conf_bps:
        bps = market.oracle_conf * BPS // price
        return RiskVerdict(RiskReason.ORACLE_CONFIDENCE, f"confidence {bps} bps")
    return ACCEPT


# ---------------------------------------------------------------- volatility


class VolatilityFilter:
    """Range of recent oracle prices over a window of slots, in bps of the window's low.

    Fed explicitly with ``observe(slot, price)``; samples older than the window are dropped and
    at most ``max_samples`` are kept, so memory is bounded whatever the feed rate.
    """

    __slots__ = ("_samples", "max_move_bps", "window_slots")

    def __init__(self, window_slots: int, max_move_bps: int, max_samples: int = 1024) -> None:
        if window_slots < 0 or max_move_bps < 0 or max_samples < 1:
            raise ValueError("window_slots, max_move_bps must be >= 0 and max_samples >= 1")
        self.window_slots = window_slots
        self.max_move_bps = max_move_bps
        self._samples: deque[tuple[int, int]] = deque(maxlen=max_samples)

    def observe(self, slot: int, price: int) -> None:
        if price <= 0:
            return
        if self._samples and slot < self._samples[-1][0]:
            return  # out of order: keep the deque sorted by slot
        self._samples.append((slot, price))
        self._trim(slot)

    def _trim(self, slot: int) -> None:
        oldest = slot - self.window_slots
        while self._samples and self._samples[0][0] < oldest:
            self._samples.popleft()

    def move_bps(self, slot: int) -> int:
        """(max − min) / min over samples in ``[slot − window, slot]``, in bps (floored)."""
        oldest = slot - self.window_slots
        prices = [p for s, p in self._samples if oldest <= s <= slot]
        if len(prices) < 2:
            return 0
        low = min(prices)
        return (max(prices) - low) * BPS // low

    def check(self, slot: int) -> RiskVerdict:
        move = self.move_bps(slot)
        if move > self.max_move_bps:
            return RiskVerdict(
                RiskReason.VOLATILE, f"oracle moved {move} bps in {self.window_slots} slots"
            )
        return ACCEPT

    def __len__(self) -> int:
        return len(self._samples)


# ---------------------------------------------------------------- kill switch


class TradingState(Enum):
    RUNNING = "running"
    HALTED = "halted"
    """No new attempts (in-flight ones resolve normally)."""


class HaltReason(Enum):
    MAX_LOSS = "max_loss"
    DRAWDOWN = "drawdown"
    CONSECUTIVE_FAILURES = "consecutive_failures"
    UNKNOWN_ERRORS = "unknown_errors"
    MANUAL = "manual"
    RESET = "reset"
    """Used on the HALTED → RUNNING event of a manual reset."""


@dataclass(frozen=True, slots=True)
class KillSwitchEvent:
    slot: int
    previous: TradingState
    state: TradingState
    reason: HaltReason
    detail: str


@dataclass(frozen=True, slots=True)
class KillSwitchConfig:
    """Thresholds; ``None`` disables a trigger."""

    max_loss_quote: int | None = None
    """Halt when PnL (QUOTE 1e6) falls below −this."""
    max_drawdown_quote: int | None = None
    """Halt when PnL falls more than this below its running peak."""
    max_consecutive_failures: int | None = 20
    """Halt after this many attempts in a row that did not land (send/tx-level failures)."""
    max_unknown_errors: int | None = 3
    """Halt after this many UNKNOWN outcomes within ``unknown_error_window_slots``."""
    unknown_error_window_slots: int = 150

    def __post_init__(self) -> None:
        for name in (
            "max_loss_quote",
            "max_drawdown_quote",
            "max_consecutive_failures",
            "max_unknown_errors",
        ):
            value = getattr(self, name)
            if value is not None and (type(value) is not int or value < 0):
                raise ConfigError(f"risk.{name}", f"must be an int >= 0 or null, got {value!r}")
        if type(self.unknown_error_window_slots) is not int or self.unknown_error_window_slots < 1:
            raise ConfigError("risk.unknown_error_window_slots", "must be an int >= 1")


# outcomes that say nothing about our infrastructure (the auction simply ended)
_NEUTRAL = frozenset({OutcomeKind.EXPIRED})

MAX_BLIND_SENDS = 64  # in flight and sent after the latest-sent attempt that landed (at most)


class KillSwitch:
    """RUNNING → HALTED on loss, drawdown, failure streaks or unknown-error bursts; manual reset.

    Every transition returns a ``KillSwitchEvent`` (also kept in ``events``, bounded) so the
    caller can log it, export it as a metric and persist the HALTED state across restarts.
    """

    def __init__(self, config: KillSwitchConfig | None = None, max_events: int = 256) -> None:
        self.config = config or KillSwitchConfig()
        self.state = TradingState.RUNNING
        self.reason: HaltReason | None = None
        self.events: deque[KillSwitchEvent] = deque(maxlen=max_events)
        # send keys of the failures in the current streak, and of the latest-sent attempt that
        # landed: outcomes resolve out of send order (an expiry is known ~150 blocks after the
        # send, all of a batch at once after a status outage), "in a row" is in send order
        self._streak: deque[float] = deque(maxlen=self.config.max_consecutive_failures or 4096)
        self._landed_sent = -math.inf
        self.peak_pnl = 0
        self._unknown_slots: deque[int] = deque()

    @property
    def allows_new_attempts(self) -> bool:
        return self.state is TradingState.RUNNING

    @property
    def consecutive_failures(self) -> int:
        """Failed attempts sent after the latest-sent attempt that landed (capped at the
        threshold)."""
        return len(self._streak)

    @property
    def blind_cap(self) -> int:
        """Sends allowed in flight after the latest-sent one that landed: three quarters of
        the failure streak (one whole window dropped is a streak, not a halt; a fault that
        persists into the next window still halts), at most ``MAX_BLIND_SENDS``."""
        limit = self.config.max_consecutive_failures
        if not limit:
            return MAX_BLIND_SENDS
        return max(1, min(MAX_BLIND_SENDS, limit * 3 // 4))

    def blind_cap_reached(self, sent_newest_first: Iterable[float]) -> bool:
        """Whether ``blind_cap`` of these in-flight sends (send keys as given to
        ``record_outcome``, newest first) were sent after the latest-sent attempt that landed:
        nobody has answered them yet, and if they all fail they are a streak on their own."""
        cap = self.blind_cap
        blind = 0
        for sent in sent_newest_first:
            if sent <= self._landed_sent:
                return False
            blind += 1
            if blind >= cap:
                return True
        return False

    def _transition(
        self, slot: int, state: TradingState, reason: HaltReason, detail: str
    ) -> list[KillSwitchEvent]:
        if state is self.state:
            return []
        event = KillSwitchEvent(slot, self.state, state, reason, detail)
        self.state = state
        self.reason = reason if state is TradingState.HALTED else None
        self.events.append(event)
        return [event]

    def halt(
        self, slot: int, reason: HaltReason = HaltReason.MANUAL, detail: str = ""
    ) -> list[KillSwitchEvent]:
        return self._transition(slot, TradingState.HALTED, reason, detail or reason.value)

    def reset(self, slot: int, detail: str = "manual reset") -> list[KillSwitchEvent]:
        """Operator action: back to RUNNING with failure counters cleared."""
        self._streak.clear()
        self._unknown_slots.clear()
        return self._transition(slot, TradingState.RUNNING, HaltReason.RESET, detail)

    def record_pnl(self, pnl_quote: int, slot: int) -> list[KillSwitchEvent]:
        """Feed the running PnL (QUOTE 1e6, since start or since the last reset of PnL)."""
        cfg = self.config
        self.peak_pnl = max(self.peak_pnl, pnl_quote)
        if cfg.max_loss_quote is not None and pnl_quote < -cfg.max_loss_quote:
            return self.halt(slot, HaltReason.MAX_LOSS, f"pnl {pnl_quote} < -{cfg.max_loss_quote}")
        drawdown = self.peak_pnl - pnl_quote
        if cfg.max_drawdown_quote is not None and drawdown > cfg.max_drawdown_quote:
            return self.halt(
                slot, HaltReason.DRAWDOWN, f"drawdown {drawdown} > {cfg.max_drawdown_quote}"
            )
        return []

    def record_outcome(
        self, kind: OutcomeKind, slot: int, sent: float | None = None
    ) -> list[KillSwitchEvent]:
        """Feed every attempt outcome: a landed one ends the failure streak.

        ``sent`` orders attempts by when they were sent (send time or a sequence number; give
        it for every outcome or for none). With it, the streak is the failures sent after the
        latest-sent attempt that landed, whatever order the outcomes arrive in; without it,
        arrival order stands for send order."""
        cfg = self.config
        if kind in _NEUTRAL:
            return []
        events: list[KillSwitchEvent] = []
        if kind.landed:
            if sent is None:
                self._streak.clear()
            elif sent > self._landed_sent:
                self._landed_sent = sent
                kept = [s for s in self._streak if s > sent]
                self._streak.clear()
                self._streak.extend(kept)
        elif sent is None or sent > self._landed_sent:
            self._streak.append(math.inf if sent is None else sent)
            limit = cfg.max_consecutive_failures
            if limit is not None and self.consecutive_failures >= limit:
                events += self.halt(
                    slot,
                    HaltReason.CONSECUTIVE_FAILURES,
                    f"{self.consecutive_failures} consecutive failures",
                )
        if kind is OutcomeKind.UNKNOWN and cfg.max_unknown_errors is not None:
            self._unknown_slots.append(slot)
            oldest = slot - cfg.unknown_error_window_slots
            while self._unknown_slots and self._unknown_slots[0] <= oldest:
                self._unknown_slots.popleft()
            # bounded: never keep more entries than the threshold needs
            while len(self._unknown_slots) > max(cfg.max_unknown_errors, 1):
                self._unknown_slots.popleft()
            if len(self._unknown_slots) >= cfg.max_unknown_errors:
                events += self.halt(
                    slot,
                    HaltReason.UNKNOWN_ERRORS,
                    f"{len(self._unknown_slots)} unknown errors within "
                    f"{cfg.unknown_error_window_slots} slots",
                )
        return events


# ---------------------------------------------------------------- the gate


@dataclass(frozen=True, slots=True)
class RiskConfig:
    """All pre-trade thresholds; ``max_volatility_bps`` None disables the volatility filter."""

    oracle: OracleLimits = field(default_factory=OracleLimits)
    volatility_window_slots: int = 150
    max_volatility_bps: int | None = 150
    kill_switch: KillSwitchConfig = field(default_factory=KillSwitchConfig)

    @classmethod
    def from_mapping(cls, data: dict[str, Any], path: str = "risk") -> RiskConfig:
        """Flat config keys → RiskConfig (unknown keys are errors)."""
        oracle_keys = {
            "max_oracle_staleness_slots": "max_staleness_slots",
            "max_oracle_conf_bps": "max_conf_bps",
        }
        ks_keys = set(KillSwitchConfig.__dataclass_fields__)
        own = {"volatility_window_slots", "max_volatility_bps"}
        oracle_kw: dict[str, Any] = {}
        ks_kw: dict[str, Any] = {}
        own_kw: dict[str, Any] = {}
        for key, value in data.items():
            if key in oracle_keys:
                if type(value) is not int or value < 0:
                    raise ConfigError(f"{path}.{key}", f"must be an int >= 0, got {value!r}")
                oracle_kw[oracle_keys[key]] = value
            elif key in ks_keys:
                ks_kw[key] = value
            elif key in own:
                if value is not None and (type(value) is not int or value < 0):
                    raise ConfigError(f"{path}.{key}", f"must be an int >= 0, got {value!r}")
                if key == "volatility_window_slots" and value is None:
                    raise ConfigError(f"{path}.{key}", "must be an int >= 0")
                own_kw[key] = value
            else:
                raise ConfigError(f"{path}.{key}", "unknown risk option")
        try:
            kill_switch = KillSwitchConfig(**ks_kw)
        except ConfigError as exc:
            raise ConfigError(exc.path.replace("risk", path, 1), exc.message) from None
        return cls(oracle=OracleLimits(**oracle_kw), kill_switch=kill_switch, **own_kw)


class RiskGate:
    """Every attempt passes ``check`` before it is sent; feed it oracle prices and outcomes."""

    def __init__(self, config: RiskConfig | None = None) -> None:
        self.config = config or RiskConfig()
        self.kill_switch = KillSwitch(self.config.kill_switch)
        self._volatility: dict[MarketKey, VolatilityFilter] = {}

    @classmethod
    def from_config(cls, config: Any) -> RiskGate:
        """From the daemon's validated ``jitmaker.config.Config`` (read by attribute; a 0 there
        disables a kill-switch trigger). ``maxDrawdownUsdc`` becomes the peak-to-trough
        drawdown bound, which trips no later than "PnL below −X" would."""
        ks = config.kill_switch

        def opt(value: int) -> int | None:
            return value if value else None

        return cls(
            RiskConfig(
                oracle=OracleLimits(
                    max_staleness_slots=config.oracle_max_staleness_slots,
                    max_conf_bps=config.oracle_max_confidence_bps,
                ),
                volatility_window_slots=config.volatility_window_slots,
                max_volatility_bps=config.volatility_max_bps,
                kill_switch=KillSwitchConfig(
                    max_drawdown_quote=opt(ks.max_drawdown_quote),
                    max_consecutive_failures=opt(ks.max_consecutive_failures),
                    max_unknown_errors=opt(ks.max_unknown_errors),
                    unknown_error_window_slots=ks.unknown_error_window_slots,
                ),
            )
        )

    @property
    def halted(self) -> bool:
        return not self.kill_switch.allows_new_attempts

    def on_outcome(
        self, kind: OutcomeKind, slot: int, sent: float | None = None
    ) -> KillSwitchEvent | None:
        """Feed an attempt's outcome (``sent``: when it was sent, see ``record_outcome``) to
        the kill switch; the transition event, if any."""
        events = self.kill_switch.record_outcome(kind, slot, sent)
        return events[-1] if events else None

    def observe_oracle(self, key: MarketKey, slot: int, price: int) -> None:
        """Feed each oracle update (per market) to the volatility filter."""
        if self.config.max_volatility_bps is None:
            return
        filt = self._volatility.get(key)
        if filt is None:
            filt = VolatilityFilter(
                self.config.volatility_window_slots, self.config.max_volatility_bps
            )
            self._volatility[key] = filt
        filt.observe(slot, price)

    def observe_market(self, markets: Iterable[MarketView]) -> None:
        for market in markets:
            self.observe_oracle(market.key, market.oracle_slot, market.oracle_price)

    def check(
        self,
        attempt: Attempt,
        market: MarketView,
        existing: int,
        limits: PositionLimits,
        slot: int,
        taker_unfilled: int | None = None,
    ) -> RiskVerdict:
        """All pre-trade checks for one attempt, cheapest and most global first."""
        if not self.kill_switch.allows_new_attempts:
            reason = self.kill_switch.reason
            return RiskVerdict(RiskReason.HALTED, reason.value if reason else "halted")
        projected = projected_position(
            attempt.maker_direction,
            existing,
            attempt.max_position,
            attempt.min_position,
            taker_unfilled,
            market.min_order_size,
        )
        verdict = check_market_status(market, existing, projected)
        if not verdict.ok:
            return verdict
        verdict = check_oracle(market, slot, self.config.oracle)
        if not verdict.ok:
            return verdict
        filt = self._volatility.get(market.key)
        if filt is not None:
            verdict = filt.check(slot)
            if not verdict.ok:
                return verdict
        return check_position_limits(
            attempt, existing, limits, market.min_order_size, taker_unfilled
        )
