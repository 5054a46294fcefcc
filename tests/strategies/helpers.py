"""Builders shared by the strategy tests."""

from __future__ import annotations

from hypothesis import strategies as st

from jitmaker.accounts.enums import MarketType, OrderStatus, OrderType, PositionDirection
from jitmaker.accounts.order import Order
from jitmaker.auction import auction_price, has_auction_price
from jitmaker.strategies.pricing import PriceType, PricingConfig, ReferenceSource, compute_quote
from jitmaker.strategies.views import AuctionView, MarketView, PositionView

ORACLE = 150_000_000  # $150
TICK = 100
STEP = 10_000_000
MIN_ORDER = 10_000_000


def market(**overrides: object) -> MarketView:
    fields: dict[str, object] = {
        "market_type": MarketType.PERP,
        "market_index": 0,
        "tick_size": TICK,
        "step_size": STEP,
        "min_order_size": MIN_ORDER,
        "oracle_price": ORACLE,
        "oracle_slot": 1000,
        "oracle_conf": 10_000,
        "amm_bid": ORACLE - 100_000,
        "amm_ask": ORACLE + 100_000,
        "dlob_best_bid": None,
        "dlob_best_ask": None,
    }
    fields.update(overrides)
    return MarketView(**fields)  # type: ignore[arg-type]


def position(base: int = 0, max_position: int = 10 * 10**9, min_position: int | None = None):
    return PositionView(base, max_position, -max_position if min_position is None else min_position)


def taker_order(
    *,
    direction: PositionDirection = PositionDirection.LONG,
    start: int = ORACLE - 500_000,
    end: int = ORACLE + 500_000,
    duration: int = 10,
    slot: int = 1000,
    order_id: int = 7,
    base: int = 2 * 10**9,
    filled: int = 0,
    order_type: OrderType = OrderType.MARKET,
    market_index: int = 0,
    market_type: MarketType = MarketType.PERP,
    oracle_price_offset: int = 0,
    status: OrderStatus = OrderStatus.OPEN,
) -> Order:
    return Order.new(
        slot=slot,
        base_asset_amount=base,
        base_asset_amount_filled=filled,
        auction_start_price=start,
        auction_end_price=end,
        auction_duration=duration,
        order_id=order_id,
        market_index=market_index,
        market_type=market_type,
        status=status,
        order_type=order_type,
        direction=direction,
        oracle_price_offset=oracle_price_offset,
    )


def auction(order: Order, taker: str = "taker-A", is_self: bool = False) -> AuctionView:
    return AuctionView(taker, order, is_self)


# ---- hypothesis generators shared by the Shotgun/Sniper property tests ----


@st.composite
def random_auction_case(draw: st.DrawFn):
    """A valid taker order (fixed or oracle-offset, long or short), a market and pricing."""
    tick = draw(st.sampled_from([1, 100, 1_000]))
    oracle = draw(st.integers(10_000_000, 500_000_000))
    direction = draw(st.sampled_from(list(PositionDirection)))
    oracle_kind = draw(st.booleans())
    width = draw(st.integers(0, oracle // 50))
    lo_off = draw(st.integers(-(oracle // 50), oracle // 50))
    lo, hi = lo_off, lo_off + width
    start, end = (lo, hi) if direction is PositionDirection.LONG else (hi, lo)
    if not oracle_kind:
        start, end = oracle + start, oracle + end
    duration = draw(st.integers(1, 40))
    order = taker_order(
        direction=direction,
        start=start,
        end=end,
        duration=duration,
        slot=1_000,
        order_type=OrderType.ORACLE if oracle_kind else OrderType.MARKET,
    )
    cfg = PricingConfig(
        reference=ReferenceSource.ORACLE,
        min_edge_bps=draw(st.integers(-150, 150)),
        price_type=draw(st.sampled_from(list(PriceType))),
    )
    m = market(tick_size=tick, oracle_price=oracle, amm_bid=None, amm_ask=None)
    arrival = draw(st.integers(1_000 - 2, 1_000 + duration))
    return order, m, cfg, arrival


def crossing_slots(order: Order, m: MarketView, cfg: PricingConfig, pos: PositionView) -> list[int]:
    """Brute force: every live auction slot at which the taker's price crosses our quote."""
    quote = compute_quote(cfg, m, pos.base_asset_amount, pos.max_position, pos.min_position)
    assert quote is not None
    maker = order.direction.opposite
    return [
        s
        for s in range(order.slot, order.slot + order.auction_duration + 1)
        if has_auction_price(order, s)
        and quote.crosses(maker, auction_price(order, s, m.oracle_price, m.tick_size))
    ]
