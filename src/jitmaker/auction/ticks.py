"""Tick and step standardization, and auction prices derived from a limit (protocol §4.1, §4.6).

Pure integer helpers with the program's exact rounding and error behaviour: prices round
toward the *less aggressive* side for the order (a bid down, an ask up), sizes round down
(``_ceil``: up). ``direction`` is a ``PositionDirection`` or its raw value (0 long, 1 short).
"""

from __future__ import annotations

from jitmaker.auction.errors import CASTING_FAILURE, MATH_ERROR, AuctionMathError
from jitmaker.auction.intmath import I64_MAX, I64_MIN, U64_MAX, div_trunc

__all__ = [
    "AUCTION_DERIVE_PRICE_FRACTION",
    "MAX_PREDICTION_MARKET_PRICE",
    "calculate_auction_prices",
    "standardize_base_asset_amount",
    "standardize_base_asset_amount_ceil",
    "standardize_price",
    "standardize_price_i64",
]

AUCTION_DERIVE_PRICE_FRACTION = 200
MAX_PREDICTION_MARKET_PRICE = 1_000_000


def _check_u64(value: int, what: str) -> None:
    if not 0 <= value <= U64_MAX:
        raise AuctionMathError(CASTING_FAILURE, f"{what} {value} is not a u64")


def standardize_price(price: int, tick: int, direction: int) -> int:
    """u64 price onto the tick grid: longs round down, shorts round up; 0 stays 0.

    ``tick == 0`` (with a non-zero price) and a short rounding past u64::MAX are MathError.
    """
    _check_u64(price, "price")
    _check_u64(tick, "tick size")
    if price == 0:
        return 0
    if tick == 0:
        raise AuctionMathError(MATH_ERROR, "tick size 0")
    rem = price % tick
    if rem == 0:
        return price
    if direction == 0:
        return price - rem
    if price + tick > U64_MAX:
        raise AuctionMathError(MATH_ERROR, f"standardizing {price} up by tick {tick} overflows u64")
    return price + tick - rem


def standardize_price_i64(price: int, tick: int, direction: int) -> int:
    """Signed variant used for auction start/end (offsets may be negative); ``rem_euclid`` rule.

    Example: -150_050 with tick 100 → long -150_100, short -150_000.
    """
    if price == 0:
        return 0
    if not 0 < tick <= I64_MAX:
        if tick == 0:
            raise AuctionMathError(MATH_ERROR, "tick size 0")
        raise AuctionMathError(CASTING_FAILURE, f"tick size {tick} is not a positive i64")
    rem = price % tick  # Python's % with a positive divisor is Rust's rem_euclid
    if rem == 0:
        return price
    if direction == 0:
        if price - rem < I64_MIN:
            raise AuctionMathError(MATH_ERROR, f"standardizing {price} down overflows i64")
        return price - rem
    if price + tick > I64_MAX:
        raise AuctionMathError(MATH_ERROR, f"standardizing {price} up overflows i64")
    return price + tick - rem


def standardize_base_asset_amount(base: int, step: int) -> int:
    """Round a base amount down to a multiple of ``step`` (step 0 → MathError)."""
    _check_u64(base, "base amount")
    _check_u64(step, "step size")
    if step == 0:
        raise AuctionMathError(MATH_ERROR, "step size 0")
    return base - base % step


def standardize_base_asset_amount_ceil(base: int, step: int) -> int:
    """Round a base amount up to a multiple of ``step`` (overflow past u64 → MathError)."""
    _check_u64(base, "base amount")
    _check_u64(step, "step size")
    if step == 0:
        raise AuctionMathError(MATH_ERROR, "step size 0")
    rem = base % step
    if rem == 0:
        return base
    if base + step > U64_MAX:
        raise AuctionMathError(MATH_ERROR, f"rounding {base} up by step {step} overflows u64")
    return base + step - rem


def _i64(value: int) -> int:
    if not I64_MIN <= value <= I64_MAX:
        raise AuctionMathError(MATH_ERROR, f"{value} overflows i64")
    return value


def calculate_auction_prices(
    oracle_price: int, direction: int, limit_price: int
) -> tuple[int, int]:
    """(start, end) the program derives for an auction from oracle ``O`` and limit ``L`` (§4.6).

    Not tick-standardized: placement applies ``standardize_price_i64`` afterwards.
    """
    _check_u64(limit_price, "limit price")
    if limit_price > I64_MAX:
        raise AuctionMathError(CASTING_FAILURE, f"limit price {limit_price} is not an i64")
    o, lim, frac = oracle_price, limit_price, AUCTION_DERIVE_PRICE_FRACTION
    o_frac = div_trunc(o, frac)
    if lim > 0:
        if direction == 0:
            if lim < o:
                return min(_i64(lim - lim // frac), _i64(o - o_frac)), lim
            return o, min(lim, _i64(o + o_frac))
        if lim > o:
            return max(_i64(lim + lim // frac), _i64(o + o_frac)), lim
        return o, max(lim, _i64(o - o_frac))
    if direction == 0:
        return o, _i64(o + o_frac)
    return o, _i64(o - o_frac)
