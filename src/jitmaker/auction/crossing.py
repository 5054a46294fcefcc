"""When does an auction first reach a maker's price? Closed form, no slot scan.

Convention: ``maker_price`` is the maker's quote on the other side of the taker.
A taker **long** (buying) crosses a maker **ask** once ``auction_price >= maker_price``;
a taker **short** (selling) crosses a maker **bid** once ``auction_price <= maker_price``.
The answer is the earliest slot ``s`` in the auction window ``[order.slot, order.slot +
duration]`` (and ``>= from_slot`` if given) at which ``auction_price(order, s, ...)``
crosses, exactly as a scan of ``auction_price`` over the window would find it, tick
rounding, one-tick floor and prediction-market cap included.

Why it is closed form: for a valid order (long: start <= end; short: start >= end) the
price is a monotone step function of elapsed slots ``k``: ``x(k) = base ± floor(d*k/dur)``
pushed through monotone maps (floor at one tick, cap, tick rounding). Each of those maps
crosses a threshold exactly when ``x(k)`` crosses a tick-aligned threshold, so the first
``k`` solves ``floor(d*k/dur) >= need``, i.e. ``k = ceil(need*dur/d)``. An order whose
price moves away from the maker (or not at all) crosses at its first slot or never.
"""

from __future__ import annotations

from jitmaker.accounts.order import (
    I_AUCTION_DURATION,
    I_AUCTION_END,
    I_AUCTION_START,
    I_DIRECTION,
    I_SLOT,
    Order,
)
from jitmaker.auction.errors import MATH_ERROR, AuctionMathError
from jitmaker.auction.price import auction_price, is_oracle_offset_auction
from jitmaker.auction.ticks import MAX_PREDICTION_MARKET_PRICE

__all__ = ["first_crossing_slot", "taker_crosses"]


def taker_crosses(taker_direction: int, taker_price: int, maker_price: int) -> bool:
    """A taker long at ``taker_price`` lifts an ask at ``maker_price`` (<=); a short hits a bid."""
    return taker_price >= maker_price if taker_direction == 0 else taker_price <= maker_price


def first_crossing_slot(
    order: Order,
    maker_price: int,
    oracle_price: int | None,
    tick_size: int = 1,
    is_prediction_market: bool = False,
    from_slot: int | None = None,
) -> int | None:
    """Earliest auction slot at which the taker's price crosses ``maker_price``; None if never.

    None also when the order has no auction (duration 0, or start and end both 0: the
    program then uses no auction price). ``oracle_price`` is held fixed over the window.
    Raises ``AuctionMathError`` where ``auction_price`` would (invalid orders, tick 0).
    """
    dur = order[I_AUCTION_DURATION]
    start = order[I_AUCTION_START]
    end = order[I_AUCTION_END]
    if dur == 0 or (start == 0 and end == 0):
        return None
    if tick_size <= 0:
        raise AuctionMathError(MATH_ERROR, "tick size 0")
    first = order[I_SLOT]
    last = first + dur
    if from_slot is not None and from_slot > first:
        if from_slot > last:
            return None
        first_k = from_slot - first
    else:
        first_k = 0
    long = order[I_DIRECTION] == 0
    # Price at the first candidate slot (also validates the order like a scan would).
    p0 = auction_price(order, first + first_k, oracle_price, tick_size, is_prediction_market)
    if (p0 >= maker_price) if long else (p0 <= maker_price):
        return first + first_k
    diff = end - start if long else start - end
    if diff <= 0:
        return None  # the price never moves toward the maker
    tick = tick_size
    oracle_kind = is_oracle_offset_auction(order)
    base = oracle_price + start if oracle_kind else start  # x(0); oracle checked by p0 above
    if long:
        # std_down(z) >= M  <=>  z >= T, T = M rounded up to the tick grid (M > p0 >= 0 here)
        target = -(-maker_price // tick) * tick
        if oracle_kind and is_prediction_market and MAX_PREDICTION_MARKET_PRICE < target:
            return None  # capped below the ask
        need = target - base
    else:
        # std_up(z) <= M  <=>  z <= F, F = M rounded down to the grid
        if maker_price < 0:
            return None
        floor_ = maker_price - maker_price % tick
        if oracle_kind and floor_ < tick:
            return None  # oracle-offset prices never go below one tick
        need = base - floor_
    # Smallest k with floor(diff*k/dur) >= need, i.e. k = ceil(need*dur/diff). need > 0 and
    # k > first_k here: the price is monotone and did not cross at first_k (nor, so, at 0).
    k = -(-(need * dur) // diff)
    return first + k if k <= dur else None
