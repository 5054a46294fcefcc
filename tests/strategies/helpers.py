"""Builders shared by the strategy tests."""

from __future__ import annotations

from jitmaker.accounts.enums import MarketType, OrderStatus, OrderType, PositionDirection
from jitmaker.accounts.order import Order
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
