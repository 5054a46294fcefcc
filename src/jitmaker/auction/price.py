"""The taker's auction price and effective limit price, exactly as the program computes them.

Mirrors protocol-v2 ``calculate_auction_price`` (+ ``standardize_price``), ``is_auction_complete``,
``Order::has_auction_price`` and ``Order::get_limit_price`` (protocol §4.2–4.7), with two
deliberate liberties: a slot before ``order.slot`` prices as the auction's first slot (the
program would fail with MathError), and ``get_limit_price``'s protected-maker offset is not
applied (it only concerns protected makers' resting orders, not auctioned takers).

Hot path: these functions index the ``Order`` tuple with the ``I_*`` constants and never
build enums, so the argument must be a ``jitmaker.accounts.order.Order`` (or any sequence in
``ORDER_FIELDS`` order). Directions are raw values (0 long, 1 short).
"""

from __future__ import annotations

from jitmaker.accounts.order import (
    I_AUCTION_DURATION,
    I_AUCTION_END,
    I_AUCTION_START,
    I_BIT_FLAGS,
    I_DIRECTION,
    I_ORACLE_OFFSET,
    I_ORDER_TYPE,
    I_PRICE,
    I_SLOT,
    Order,
)
from jitmaker.auction.errors import (
    CASTING_FAILURE,
    MATH_ERROR,
    ORACLE_NOT_FOUND,
    AuctionMathError,
)
from jitmaker.auction.intmath import I64_MAX, I64_MIN, U64_MAX
from jitmaker.auction.ticks import MAX_PREDICTION_MARKET_PRICE, standardize_price

__all__ = [
    "auction_price",
    "auction_window",
    "has_auction_price",
    "is_auction_complete",
    "is_oracle_offset_auction",
    "limit_price",
]

_MARKET, _LIMIT, _TRIGGER_MARKET, _TRIGGER_LIMIT, _ORACLE = range(5)
_ORACLE_TRIGGER_MARKET = 0x02


def is_oracle_offset_auction(order: Order) -> bool:
    """Whether the auction's start/end are offsets from the oracle (§4.2), else absolute prices."""
    otype = order[I_ORDER_TYPE]
    return (
        otype == _ORACLE
        or (otype == _LIMIT and order[I_ORACLE_OFFSET] != 0)
        or (otype == _TRIGGER_MARKET and order[I_BIT_FLAGS] & _ORACLE_TRIGGER_MARKET != 0)
    )


def _tick_error(tick_size: int) -> AuctionMathError:
    if tick_size == 0:
        return AuctionMathError(MATH_ERROR, "tick size 0")
    return AuctionMathError(CASTING_FAILURE, f"tick size {tick_size} is not a positive i64")


def auction_price(
    order: Order,
    slot: int,
    oracle_price: int | None,
    tick_size: int = 1,
    is_prediction_market: bool = False,
) -> int:
    """The taker's price at ``slot`` (program ``calculate_auction_price``), tick-standardized.

    Elapsed slots are capped at the duration (the end price from ``order.slot + duration``
    on); a slot before ``order.slot`` prices as the first slot. Fixed auctions interpolate
    absolute prices with u64 floor division; oracle-offset auctions interpolate signed offsets
    (i64, truncating toward zero), add the oracle price and floor the result at one tick.
    ``oracle_price`` is only read by oracle-offset auctions (``None`` → OracleNotFound).
    Raises ``AuctionMathError`` wherever the program returns MathError/CastingFailure.
    """
    otype = order[I_ORDER_TYPE]
    start = order[I_AUCTION_START]
    end = order[I_AUCTION_END]
    dur = order[I_AUCTION_DURATION]
    long = order[I_DIRECTION] == 0
    if (
        otype == _ORACLE
        or (otype == _LIMIT and order[I_ORACLE_OFFSET])
        or (otype == _TRIGGER_MARKET and order[I_BIT_FLAGS] & _ORACLE_TRIGGER_MARKET)
    ):
        # ---- oracle-offset auction: i64 offsets from the oracle price ----
        if oracle_price is None:
            raise AuctionMathError(ORACLE_NOT_FOUND, "oracle-offset auction needs an oracle price")
        if dur == 0:
            offset = end
        else:
            elapsed = slot - order[I_SLOT]
            num = dur if elapsed >= dur else (elapsed if elapsed > 0 else 0)
            diff = end - start if long else start - end
            prod = diff * num
            if not I64_MIN <= diff <= I64_MAX or not I64_MIN <= prod <= I64_MAX:
                raise AuctionMathError(MATH_ERROR, "auction offset delta overflows i64")
            # i64 division truncates toward zero; dur > 0
            delta = prod // dur if prod >= 0 else -(-prod // dur)
            offset = start + delta if long else start - delta
        price = oracle_price + offset
        if not I64_MIN <= price <= I64_MAX:
            raise AuctionMathError(MATH_ERROR, "oracle price + auction offset overflows i64")
        if not 0 <= tick_size <= I64_MAX:
            raise _tick_error(tick_size)
        if price < tick_size:  # floor at one tick; also makes the u64 cast infallible
            price = tick_size
        if is_prediction_market and price > MAX_PREDICTION_MARKET_PRICE:
            price = MAX_PREDICTION_MARKET_PRICE
    else:
        # ---- fixed auction: absolute u64 prices ----
        if start < 0 or end < 0:
            raise AuctionMathError(CASTING_FAILURE, f"fixed auction price {min(start, end)} < 0")
        if dur == 0:
            price = end
        else:
            elapsed = slot - order[I_SLOT]
            num = dur if elapsed >= dur else (elapsed if elapsed > 0 else 0)
            diff = end - start if long else start - end
            if diff < 0:
                raise AuctionMathError(
                    MATH_ERROR, f"fixed auction runs the wrong way ({start} -> {end})"
                )
            prod = diff * num
            if prod > U64_MAX:
                raise AuctionMathError(MATH_ERROR, "fixed auction delta overflows u64")
            price = start + prod // dur if long else start - prod // dur
    # ---- standardize_price (u64), inlined ----
    if price == 0:
        return 0
    if tick_size <= 0:
        raise _tick_error(tick_size)
    rem = price % tick_size
    if rem == 0:
        return price
    if long:
        return price - rem
    price += tick_size
    if price > U64_MAX:
        raise AuctionMathError(MATH_ERROR, "standardizing the auction price up overflows u64")
    return price - rem


def is_auction_complete(order: Order, slot: int) -> bool:
    """Duration 0 → True; else ``slot - order.slot > duration`` (live for duration+1 slots)."""
    dur = order[I_AUCTION_DURATION]
    return dur == 0 or slot - order[I_SLOT] > dur


def has_auction_price(order: Order, slot: int) -> bool:
    """The auction is live at ``slot`` and has a start or end price (``Order::has_auction_price``)."""
    dur = order[I_AUCTION_DURATION]
    return (
        dur != 0
        and slot - order[I_SLOT] <= dur
        and (order[I_AUCTION_START] != 0 or order[I_AUCTION_END] != 0)
    )


def auction_window(order: Order) -> tuple[int, int] | None:
    """First and last slot (inclusive) at which the auction is live; None when duration is 0."""
    dur = order[I_AUCTION_DURATION]
    if dur == 0:
        return None
    first = order[I_SLOT]
    return first, first + dur


def limit_price(
    order: Order,
    slot: int,
    oracle_price: int | None,
    tick_size: int = 1,
    fallback: int | None = None,
    is_prediction_market: bool = False,
) -> int | None:
    """The order's effective limit price at ``slot`` (program ``Order::get_limit_price``).

    1. auction live with prices → ``auction_price`` (the stored ``price`` is not consulted);
    2. oracle offset → max(oracle + offset, tick), prediction cap, standardized;
    3. stored price 0 → ``fallback`` standardized, or None ("no limit");
    4. else the stored (already standardized) price.
    """
    dur = order[I_AUCTION_DURATION]
    if (
        dur != 0
        and slot - order[I_SLOT] <= dur
        and (order[I_AUCTION_START] != 0 or order[I_AUCTION_END] != 0)
    ):  # has_auction_price, inlined: this is the DLOB's per-node call
        return auction_price(order, slot, oracle_price, tick_size, is_prediction_market)
    offset = order[I_ORACLE_OFFSET]
    direction = order[I_DIRECTION]
    if offset:
        if oracle_price is None:
            raise AuctionMathError(ORACLE_NOT_FOUND, "oracle-offset limit price needs an oracle")
        price = oracle_price + offset
        if not I64_MIN <= price <= I64_MAX:
            raise AuctionMathError(MATH_ERROR, "oracle price + offset overflows i64")
        if not 0 <= tick_size <= I64_MAX:
            raise _tick_error(tick_size)
        if price < tick_size:
            price = tick_size
        if is_prediction_market and price > MAX_PREDICTION_MARKET_PRICE:
            price = MAX_PREDICTION_MARKET_PRICE
        return standardize_price(price, tick_size, direction)
    price = order[I_PRICE]
    if price == 0:
        if fallback is None:
            return None
        return standardize_price(fallback, tick_size, direction)
    return price
