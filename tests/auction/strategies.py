"""Hypothesis strategies for valid auctioned orders (shapes validate_order accepts, §3)."""

from __future__ import annotations

from hypothesis import strategies as st

from jitmaker.accounts.order import Order

# (order_type, oracle-offset auction?, bit_flags that select it)
KINDS = [
    (0, False, 0),  # Market
    (1, False, 0),  # Limit, fixed
    (1, True, 0),  # Limit, oracle-pegged
    (2, False, 0),  # TriggerMarket, fixed
    (2, True, 2),  # TriggerMarket with OracleTriggerMarket
    (3, False, 0),  # TriggerLimit
    (4, True, 0),  # Oracle
]
TICKS = st.sampled_from([1, 10, 100, 1000, 10_000]) | st.integers(1, 10_000)


@st.composite
def auctioned_orders(draw: st.DrawFn, min_duration: int = 0, max_duration: int = 255) -> tuple:
    """(order, oracle_price, tick_size, is_prediction_market) with a direction-valid auction."""
    otype, oracle_kind, flags = draw(st.sampled_from(KINDS))
    direction = draw(st.sampled_from([0, 1]))
    long = direction == 0
    duration = draw(st.integers(min_duration, max_duration))
    pm = draw(st.booleans())
    oracle = draw(st.integers(1, 2_000_000) if pm else st.integers(1, 200_000_000_000))
    tick = draw(TICKS)
    span = draw(st.sampled_from([10, 1_000, 100_000, 10_000_000, 1_000_000_000]))
    a = draw(st.integers(-span, span))
    b = draw(st.integers(-span, span))
    if oracle_kind:
        lo, hi = sorted((a, b))
        start, end = (lo, hi) if long else (hi, lo)
        offset = 0
        if otype in (1, 4) and (otype == 1 or draw(st.booleans())):
            # validate_order: long end <= offset, short end >= offset; non-zero for a pegged limit
            slack = draw(st.integers(0, 50_000))
            offset = end + slack if long else end - slack
            if offset == 0:
                offset = 1 if long else -1
        price = 0
    else:
        lo, hi = sorted((max(1, oracle + a), max(1, oracle + b)))
        start, end = (lo, hi) if long else (hi, lo)
        offset = 0
        price = 0
        if otype in (1, 3) or draw(st.booleans()):
            slack = draw(st.integers(0, 100_000))
            price = end + slack if long else max(1, end - slack)
    order = Order.new(
        order_type=otype,
        direction=direction,
        slot=draw(st.integers(0, 400_000_000)),
        price=price,
        auction_start_price=start,
        auction_end_price=end,
        auction_duration=duration,
        oracle_price_offset=offset,
        bit_flags=flags | draw(st.sampled_from([0, 1, 4, 8])),
        status=1,
    )
    return order, oracle, tick, pm
