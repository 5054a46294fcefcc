"""Position bounds for jit-proxy from a target leverage and the account's value.

keeper-bots-v2 sizes a market as ``max_base = account_value / price × leverage`` with the
subaccount's leverage split evenly over the markets that share it, and sends
``max_position = +max_base``, ``min_position = −max_base`` (peers.md §1.1). We do the same in exact
integers (leverage in parts per million), allow a weighted split, round to the market's step and
apply an optional hard cap per market. Because every market's bound is at most its share of the
leverage, the whole subaccount stays within ``target_leverage`` at the sizing prices.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from jitmaker.errors import ConfigError
from jitmaker.strategies.views import PRICE_PRECISION, QUOTE_PRECISION

__all__ = [
    "LEVERAGE_PRECISION",
    "MarketSizing",
    "PositionLimits",
    "leverage_ppm",
    "position_limits",
    "size_subaccount",
    "split_leverage",
]

LEVERAGE_PRECISION = 1_000_000
"""Leverage is carried as an integer in parts per million: 1x = 1_000_000."""

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class PositionLimits:
    """jit-proxy ``max_position`` / ``min_position`` in base units (max >= 0 >= min)."""

    max_position: int
    min_position: int

    def __post_init__(self) -> None:
        if self.max_position < 0 or self.min_position > 0:
            raise ValueError(f"limits must straddle 0: {self.min_position}..{self.max_position}")

    def contains(self, position: int) -> bool:
        return self.min_position <= position <= self.max_position


assert QUOTE_PRECISION == PRICE_PRECISION  # position_limits relies on it

ZERO_LIMITS = PositionLimits(0, 0)


def leverage_ppm(value: Any, path: str = "target_leverage") -> int:
    """Exact conversion of a config number (``1``, ``"2.5"``, ``0.75``) to ppm, rounded down.

    Floats go through their shortest ``repr`` so ``0.1`` means 100_000 ppm, not a binary artefact.
    """
    if isinstance(value, bool):
        raise ConfigError(path, f"must be a number, got {value!r}")
    try:
        dec = Decimal(str(value)) if isinstance(value, float | str) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ConfigError(path, f"must be a number, got {value!r}") from None
    if not dec.is_finite() or dec < 0:
        raise ConfigError(path, f"must be a finite number >= 0, got {value!r}")
    return int(dec * LEVERAGE_PRECISION)  # int() truncates toward zero; dec >= 0


def position_limits(
    account_value: int,
    price: int,
    leverage: int,
    base_precision: int,
    step_size: int,
    max_position_base: int | None = None,
) -> PositionLimits:
    """Symmetric bounds ``±leverage × account_value / price`` in base units, step-rounded down.

    ``account_value`` is QUOTE (1e6), ``price`` PRICE (1e6), ``leverage`` ppm. A non-positive
    account value or price gives zero bounds (nothing may be opened).
    """
    if account_value <= 0 or price <= 0 or leverage <= 0:
        return ZERO_LIMITS
    # QUOTE and PRICE share one scale, so value/price is whole tokens:
    # value/1e6 USD × lev/1e6 ÷ (price/1e6 USD/token) × base_precision units/token
    base = account_value * leverage * base_precision // (price * LEVERAGE_PRECISION)
    if max_position_base is not None:
        base = min(base, max(max_position_base, 0))
    if step_size > 0:
        base -= base % step_size
    return PositionLimits(base, -base)


def split_leverage(total: int, weights: Mapping[K, int]) -> dict[K, int]:
    """Share ``total`` (ppm) among keys in proportion to integer weights, rounding each down.

    The shares never sum to more than ``total``. All weights must be >= 0; all zero → all zero.
    """
    if any(w < 0 for w in weights.values()):
        raise ValueError("weights must be >= 0")
    weight_sum = sum(weights.values())
    if weight_sum == 0 or total <= 0:
        return dict.fromkeys(weights, 0)
    return {key: total * w // weight_sum for key, w in weights.items()}


@dataclass(frozen=True, slots=True)
class MarketSizing:
    """Sizing inputs for one market on a subaccount."""

    price: int
    """Sizing price (PRICE 1e6): the oracle, or its TWAP for steadier bounds."""
    base_precision: int
    step_size: int
    weight: int = 1
    """Share of the subaccount's leverage relative to its other markets."""
    max_position_base: int | None = None
    """Optional hard cap on |position| in base units."""


def size_subaccount(
    account_value: int, target_leverage: int, markets: Mapping[K, MarketSizing]
) -> dict[K, PositionLimits]:
    """Bounds for every market traded from one subaccount, sharing ``target_leverage`` (ppm)."""
    shares = split_leverage(target_leverage, {k: m.weight for k, m in markets.items()})
    return {
        key: position_limits(
            account_value,
            m.price,
            shares[key],
            m.base_precision,
            m.step_size,
            m.max_position_base,
        )
        for key, m in markets.items()
    }
