"""What strategies emit (commands) and what they are told back (outcomes).

Strategies never send anything: they return ``Attempt``/``Skip`` records, a risk gate and an
executor turn attempts into jit-proxy transactions, and the executor reports each attempt's
fate as an ``AttemptOutcome`` whose ``OutcomeKind`` the executor has already classified
(program + error code parsed from logs, not hex substrings).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from enum import Enum

from jitmaker.accounts.enums import MarketType, PositionDirection
from jitmaker.strategies.pricing import PriceType, Quote

__all__ = [
    "Attempt",
    "AttemptOutcome",
    "AttemptTag",
    "Command",
    "OutcomeKind",
    "Skip",
    "SkipReason",
]


class AttemptTag(Enum):
    """Why an attempt was fired (for logs and metrics)."""

    SHOTGUN = "shotgun"
    """One of the Shotgun's once-per-slot shots after the auction crossed."""
    SNIPE = "snipe"
    """The Sniper's shot at the predicted first crossing slot (minus lead)."""
    RETRY = "retry"
    """A Sniper retry after a retryable failure."""


class SkipReason(Enum):
    """Why a strategy declined to act on an auction (emitted once per auction and reason)."""

    SELF_TRADE = "self_trade"
    UNKNOWN_MARKET = "unknown_market"
    ORDER_TOO_SMALL = "order_too_small"
    NO_REFERENCE_PRICE = "no_reference_price"
    NEVER_CROSSES = "never_crosses"
    POSITION_LIMIT = "position_limit"
    PRICE_ERROR = "price_error"
    """The auction price cannot be computed (the program would fail too)."""
    BUDGET_EXHAUSTED = "budget_exhausted"


@dataclass(frozen=True, slots=True)
class Attempt:
    """Send one jit-proxy ``jit`` instruction for this taker order at ``slot``.

    ``bid``/``ask`` are the wire values for ``price_type`` (absolute prices, or offsets from
    the oracle); ``quote`` keeps the absolute prices they came from.
    """

    taker: Hashable
    taker_order_id: int
    market_type: MarketType
    market_index: int
    maker_direction: PositionDirection
    bid: int
    ask: int
    price_type: PriceType
    max_position: int
    min_position: int
    slot: int
    tag: AttemptTag
    attempt_no: int
    """1 for the first attempt at this taker order, then 2, 3, ..."""
    quote: Quote
    taker_price: int | None
    """The taker's auction price we predicted at ``slot`` (None when not computed)."""
    strategy: str = ""

    @property
    def key(self) -> tuple[Hashable, int]:
        return (self.taker, self.taker_order_id)


@dataclass(frozen=True, slots=True)
class Skip:
    """The strategy will not (currently) act on this taker order, and why."""

    taker: Hashable
    taker_order_id: int
    slot: int
    reason: SkipReason
    strategy: str = ""


Command = Attempt | Skip


class OutcomeKind(Enum):
    """Classified fate of one attempt (the executor maps program errors onto these)."""

    FILLED = "filled"
    """Landed and we traded (fully or partly)."""
    NOT_CROSSED = "not_crossed"
    """jit-proxy BidNotCrossed / AskNotCrossed (6000/6001): the taker's price was not ours yet."""
    NO_FILL = "no_fill"
    """jit-proxy NoFill (6009): landed, nothing traded (e.g. the AMM or another maker won)."""
    TAKER_ORDER_NOT_FOUND = "taker_order_not_found"
    """jit-proxy TakerOrderNotFound (6002): filled or cancelled by someone else."""
    POSITION_LIMIT = "position_limit"
    """jit-proxy PositionLimitBreached (6008): no room left on our side."""
    ORACLE_INVALID = "oracle_invalid"
    """Drift InvalidOracle (6035)."""
    BLOCKHASH_EXPIRED = "blockhash_expired"
    """BlockhashNotFound, or the transaction expired unlanded."""
    RATE_LIMITED = "rate_limited"
    """HTTP 429 / provider throttling."""
    TIMEOUT = "timeout"
    """No answer in time; the transaction may or may not land."""
    EXPIRED = "expired"
    """The auction ended before the attempt could be sent."""
    UNKNOWN = "unknown"
    """Anything not classified above (counts toward the kill switch)."""

    @property
    def landed(self) -> bool:
        """The program ran our instruction (success or a program-level rejection)."""
        return self in _LANDED

    @property
    def retryable(self) -> bool:
        """Worth another shot at the same auction (Sniper retries these)."""
        return self in _RETRYABLE

    @property
    def stops_auction(self) -> bool:
        """No further attempt at this taker order makes sense."""
        return self in _STOPS


_LANDED = frozenset(
    {
        OutcomeKind.FILLED,
        OutcomeKind.NOT_CROSSED,
        OutcomeKind.NO_FILL,
        OutcomeKind.TAKER_ORDER_NOT_FOUND,
        OutcomeKind.POSITION_LIMIT,
        OutcomeKind.ORACLE_INVALID,
    }
)
_RETRYABLE = frozenset(
    {
        OutcomeKind.NOT_CROSSED,
        OutcomeKind.NO_FILL,
        OutcomeKind.ORACLE_INVALID,
        OutcomeKind.BLOCKHASH_EXPIRED,
    }
)
_STOPS = frozenset(
    {
        OutcomeKind.FILLED,
        OutcomeKind.TAKER_ORDER_NOT_FOUND,
        OutcomeKind.POSITION_LIMIT,
        OutcomeKind.RATE_LIMITED,
        OutcomeKind.UNKNOWN,
    }
)


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    """What happened to the attempt fired at ``slot`` for (taker, taker_order_id)."""

    taker: Hashable
    taker_order_id: int
    slot: int
    kind: OutcomeKind
    filled_base: int = 0
    """Base units we traded (0 unless FILLED)."""

    @property
    def key(self) -> tuple[Hashable, int]:
        return (self.taker, self.taker_order_id)
