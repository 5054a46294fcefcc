"""Documents protocol.md §12: driftpy's get_auction_price is wrong mid-auction.

driftpy writes the delta as ``end - start * num // den`` (operator precedence) instead of
``(end - start) * num // den``, and skips tick standardization. This test pins that
difference on worked example #1 so the reason we do not use it stays visible; driftpy is
only imported here and in the benchmark, never in src/.
"""

from __future__ import annotations

from driftpy.math.auction import get_auction_price as driftpy_get_auction_price
from driftpy.types import MarketType, OrderStatus, OrderTriggerCondition, OrderType
from driftpy.types import Order as DriftpyOrder
from driftpy.types import PositionDirection as DriftpyDirection

from jitmaker.accounts.order import Order
from jitmaker.auction import auction_price


def _to_driftpy(order: Order) -> DriftpyOrder:
    fields = order.as_dict()
    fields["status"] = [OrderStatus.Init, OrderStatus.Open, OrderStatus.Filled,
                        OrderStatus.Canceled][order.status]()  # fmt: skip
    fields["order_type"] = [OrderType.Market, OrderType.Limit, OrderType.TriggerMarket,
                            OrderType.TriggerLimit, OrderType.Oracle][order.order_type]()  # fmt: skip
    fields["market_type"] = [MarketType.Spot, MarketType.Perp][order.market_type]()
    directions = [DriftpyDirection.Long, DriftpyDirection.Short]
    fields["direction"] = directions[order.direction]()
    fields["existing_position_direction"] = directions[order.existing_position_direction]()
    fields["trigger_condition"] = [OrderTriggerCondition.Above, OrderTriggerCondition.Below,
                                   OrderTriggerCondition.TriggeredAbove,
                                   OrderTriggerCondition.TriggeredBelow][order.trigger_condition]()  # fmt: skip
    return DriftpyOrder(**fields)


EXAMPLE_1 = Order.new(
    order_type=0, direction=0, slot=1000, auction_start_price=150_000_000,
    auction_end_price=150_751_000, auction_duration=7, market_type=1, status=1,
)  # fmt: skip
EXAMPLE_7 = Order.new(
    order_type=4, direction=0, slot=2000, auction_start_price=-150_000,
    auction_end_price=300_000, auction_duration=10, market_type=1, status=1,
)  # fmt: skip
ORACLE = 150_123_456


def test_driftpy_disagrees_mid_auction_on_example_1() -> None:
    ours = auction_price(EXAMPLE_1, 1003, ORACLE, 100)
    theirs = driftpy_get_auction_price(_to_driftpy(EXAMPLE_1), 1003, ORACLE)
    assert ours == 150_321_800
    assert theirs == 236_465_286  # 150_000_000 + (150_751_000 - 150_000_000*3//7)
    assert theirs != ours


def test_driftpy_disagrees_on_oracle_offset_example_7() -> None:
    theirs = driftpy_get_auction_price(_to_driftpy(EXAMPLE_7), 2003, ORACLE)
    assert auction_price(EXAMPLE_7, 2003, ORACLE, 100) == 150_108_400
    assert theirs == 150_318_456


def test_driftpy_also_disagrees_at_the_first_slot() -> None:
    # num = 0: driftpy's delta is end - 0 = end, so it returns start + end, not start
    theirs = driftpy_get_auction_price(_to_driftpy(EXAMPLE_1), 1000, ORACLE)
    assert theirs == 150_000_000 + 150_751_000
    assert auction_price(EXAMPLE_1, 1000, ORACLE, 100) == 150_000_000
