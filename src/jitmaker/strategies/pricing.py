"""Per-decision quote: the worst prices we accept from a taker, in PRICE precision (1e6).

jit-proxy's ``bid``/``ask`` are *worst* prices: the maker buys at or below ``bid`` and sells at
or above ``ask`` (protocol §6.3). This module turns a market snapshot into those two numbers:

1. reference bid/ask: the DLOB best bid/ask clamped into the AMM's bid/ask, the way
   keeper-bots-v2's jitMaker does (``bid = max(min(dlob_bid, amm_ask), amm_bid)``, falling back to
   the AMM side when the book side is empty), or simply the oracle price;
2. aggressiveness: how far *through* the reference we are willing to trade, per side
   (``bid × (1 + bid_bps)``, ``ask × (1 − ask_bps)``);
3. inventory skew: a long position lowers both prices (sell sooner, buy later), a short one raises
   them, proportionally to position / position limit;
4. minimum edge: never buy above ``oracle × (1 − edge)`` nor sell below ``oracle × (1 + edge)``;
5. tick standardization (bid down, ask up) and a final "bid strictly below ask" repair that only
   ever moves a price to the less aggressive side.

Every step rounds toward the less aggressive side, in exact integer arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from enum import Enum, IntEnum
from typing import Any

from jitmaker.accounts.enums import PositionDirection
from jitmaker.auction.intmath import div_trunc
from jitmaker.errors import ConfigError
from jitmaker.strategies.views import MarketView

__all__ = [
    "BPS",
    "PriceType",
    "PricingConfig",
    "Quote",
    "ReferenceSource",
    "compute_quote",
    "reference_prices",
]

BPS = 10_000
"""Basis points per unit (1 bp = 1e-4)."""


class ReferenceSource(Enum):
    """What the quote is anchored to before aggressiveness, skew and edge are applied."""

    DLOB_CLAMPED_TO_AMM = "dlob"
    """Best resting DLOB bid/ask clamped into the AMM bid/ask (keeper-bots-v2 jitMaker)."""
    ORACLE = "oracle"
    """The oracle price on both sides (pure oracle-relative quoting)."""


class PriceType(IntEnum):
    """jit-proxy ``PriceType`` (wire value): how ``bid``/``ask`` are interpreted on chain."""

    LIMIT = 0
    """Absolute prices."""
    ORACLE = 1
    """Offsets added to the program's oracle price at execution."""


def _check_int(path: str, value: Any, low: int, high: int) -> int:
    if type(value) is not int:
        raise ConfigError(path, f"must be an integer, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(path, f"must be in [{low}, {high}], got {value}")
    return value


@dataclass(frozen=True, slots=True)
class PricingConfig:
    """How one market is quoted. All ``*_bps`` are integers, 1 bp = 1e-4."""

    reference: ReferenceSource = ReferenceSource.DLOB_CLAMPED_TO_AMM
    bid_aggressiveness_bps: int = 0
    """Buy up to this far *above* the reference bid (negative: stay below it)."""
    ask_aggressiveness_bps: int = 0
    """Sell down to this far *below* the reference ask (negative: stay above it)."""
    min_edge_bps: int = 0
    """Never buy above oracle×(1−edge) nor sell below oracle×(1+edge); negative allows crossing."""
    inventory_skew_bps: int = 0
    """Shift of both prices at a full position (linear in position / limit), against inventory."""
    price_type: PriceType = PriceType.LIMIT
    """Send absolute prices (LIMIT) or offsets from the oracle (ORACLE)."""

    def __post_init__(self) -> None:
        if not isinstance(self.reference, ReferenceSource):
            raise ConfigError("pricing.reference", f"not a ReferenceSource: {self.reference!r}")
        if not isinstance(self.price_type, PriceType):
            raise ConfigError("pricing.price_type", f"not a PriceType: {self.price_type!r}")
        for name in ("bid_aggressiveness_bps", "ask_aggressiveness_bps", "min_edge_bps"):
            _check_int(f"pricing.{name}", getattr(self, name), -(BPS - 1), BPS - 1)
        _check_int("pricing.inventory_skew_bps", self.inventory_skew_bps, 0, BPS - 1)

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], path: str = "pricing", base: PricingConfig | None = None
    ) -> PricingConfig:
        """Build from config keys (unknown keys are errors); ``base`` supplies unset fields.

        ``aggressiveness_bps`` sets both sides; an explicit ``bid_``/``ask_`` key wins over it.
        ``reference`` is ``"dlob"``/``"oracle"``; ``price_type`` is ``"limit"``/``"oracle"``.
        """
        if not isinstance(data, Mapping):
            raise ConfigError(path, f"must be a mapping, got {type(data).__name__}")
        known = {f.name for f in fields(cls)} | {"aggressiveness_bps"}
        for key in data:
            if key not in known:
                raise ConfigError(
                    f"{path}.{key}", f"unknown key (known: {', '.join(sorted(known))})"
                )
        values: dict[str, Any] = {}
        if "aggressiveness_bps" in data:
            values["bid_aggressiveness_bps"] = data["aggressiveness_bps"]
            values["ask_aggressiveness_bps"] = data["aggressiveness_bps"]
        for key, value in data.items():
            if key == "aggressiveness_bps":
                continue
            if key == "reference":
                value = _parse_enum(ReferenceSource, value, f"{path}.reference")
            elif key == "price_type":
                value = _parse_enum(PriceType, value, f"{path}.price_type")
            values[key] = value
        try:
            return replace(base, **values) if base is not None else cls(**values)
        except ConfigError as exc:
            # re-anchor the dotted path on the caller's prefix
            raise ConfigError(exc.path.replace("pricing", path, 1), exc.message) from None


def _parse_enum(enum: type[Enum], value: Any, path: str) -> Any:
    if isinstance(value, enum):
        return value
    if isinstance(value, str):
        for member in enum:
            if value.lower() in (member.name.lower(), str(member.value).lower()):
                return member
    choices = ", ".join(m.name.lower() for m in enum)
    raise ConfigError(path, f"must be one of {choices}, got {value!r}")


@dataclass(frozen=True, slots=True)
class Quote:
    """Absolute worst prices (PRICE precision) plus how to put them on the wire."""

    bid: int
    ask: int
    oracle_price: int
    price_type: PriceType = PriceType.LIMIT

    @property
    def bid_param(self) -> int:
        """jit-proxy ``bid`` argument: the price, or its offset from the oracle."""
        return self.bid - self.oracle_price if self.price_type is PriceType.ORACLE else self.bid

    @property
    def ask_param(self) -> int:
        """jit-proxy ``ask`` argument: the price, or its offset from the oracle."""
        return self.ask - self.oracle_price if self.price_type is PriceType.ORACLE else self.ask

    def maker_price(self, maker_direction: PositionDirection) -> int:
        """Our worst price on the side we trade: ``bid`` when buying, ``ask`` when selling."""
        return self.bid if maker_direction is PositionDirection.LONG else self.ask

    def crosses(self, maker_direction: PositionDirection, taker_price: int) -> bool:
        """Whether a taker at ``taker_price`` passes jit-proxy's BidNotCrossed/AskNotCrossed test."""
        if maker_direction is PositionDirection.LONG:
            return taker_price <= self.bid
        return taker_price >= self.ask


def reference_prices(source: ReferenceSource, market: MarketView) -> tuple[int, int] | None:
    """Reference (bid, ask) before aggressiveness; None when the source has no price.

    DLOB: each book side is clamped into [amm_bid, amm_ask]; an empty book side falls back to
    the AMM side. Without an AMM (spot) both book sides are needed, as in keeper-bots-v2.
    """
    if source is ReferenceSource.ORACLE:
        oracle = market.oracle_price
        return (oracle, oracle) if oracle > 0 else None
    book_bid, book_ask = market.dlob_best_bid, market.dlob_best_ask
    amm_bid, amm_ask = market.amm_bid, market.amm_ask
    if amm_bid is not None and amm_ask is not None and 0 < amm_bid <= amm_ask:
        bid = amm_bid if book_bid is None else max(min(book_bid, amm_ask), amm_bid)
        ask = amm_ask if book_ask is None else min(max(book_ask, amm_bid), amm_ask)
        return bid, ask
    if book_bid is None or book_ask is None or book_bid <= 0 or book_ask <= 0:
        return None
    return book_bid, book_ask


def _ceil_div_nonneg(num: int, den: int) -> int:
    """Ceiling of num/den for num >= 0, den > 0."""
    return (num + den - 1) // den


def compute_quote(
    config: PricingConfig,
    market: MarketView,
    position_base: int = 0,
    max_position: int = 0,
    min_position: int = 0,
) -> Quote | None:
    """The quote for one decision, or None when there is no reference price or oracle.

    Guarantees (property-tested): ``0 <= bid < ask``; both on the tick grid; ``bid`` at most
    oracle×(1−edge) and ``ask`` at least oracle×(1+edge); a longer position never raises a price.
    """
    oracle = market.oracle_price
    tick = market.tick_size
    if oracle <= 0 or tick <= 0:
        return None
    ref = reference_prices(config.reference, market)
    if ref is None:
        return None
    ref_bid, ref_ask = ref

    # aggressiveness (factors are > 0 because |bps| < BPS): bid floors, ask ceils
    bid = ref_bid * (BPS + config.bid_aggressiveness_bps) // BPS
    ask = _ceil_div_nonneg(ref_ask * (BPS - config.ask_aggressiveness_bps), BPS)

    # inventory skew: position / limit on the side we hold, clamped to ±1, times skew of oracle
    if config.inventory_skew_bps and position_base:
        cap = max_position if position_base > 0 else -min_position
        held = position_base if cap <= 0 else max(-cap, min(cap, position_base))
        denom = abs(held) if cap <= 0 else cap
        shift = div_trunc(oracle * config.inventory_skew_bps * held, BPS * denom)
        bid -= shift
        ask -= shift

    # minimum edge against the oracle (factors > 0 because |edge| < BPS)
    edge = config.min_edge_bps
    bid = min(bid, oracle * (BPS - edge) // BPS)
    ask = max(ask, _ceil_div_nonneg(oracle * (BPS + edge), BPS))

    # tick grid: bid down (never below 0), ask up (at least one tick)
    bid = max(bid, 0)
    bid -= bid % tick
    ask = max(ask, tick)
    ask = _ceil_div_nonneg(ask, tick) * tick

    if bid >= ask:
        # Crossed (e.g. negative edge + aggressive quoting): meet at the tick below the midpoint,
        # which only lowers the bid and raises the ask.
        mid = (bid + ask) // 2
        mid -= mid % tick
        bid, ask = min(bid, mid), max(ask, mid + tick)
    return Quote(bid=bid, ask=ask, oracle_price=oracle, price_type=config.price_type)
