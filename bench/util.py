"""Timing helpers, and the driftpy order conversion, shared by the benchmark modules."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable

from driftpy.types import MarketType as DpMarketType
from driftpy.types import Order as DpOrder
from driftpy.types import OrderStatus, OrderTriggerCondition
from driftpy.types import OrderType as DpOrderType
from driftpy.types import PositionDirection as DpDirection

from jitmaker.accounts.order import Order

DP_TYPES = [
    DpOrderType.Market,
    DpOrderType.Limit,
    DpOrderType.TriggerMarket,
    DpOrderType.TriggerLimit,
    DpOrderType.Oracle,
]
DP_STATUS = [OrderStatus.Init, OrderStatus.Open, OrderStatus.Filled, OrderStatus.Canceled]
DP_DIRS = [DpDirection.Long, DpDirection.Short]
DP_TRIGGER = [
    OrderTriggerCondition.Above,
    OrderTriggerCondition.Below,
    OrderTriggerCondition.TriggeredAbove,
    OrderTriggerCondition.TriggeredBelow,
]


def to_driftpy(order: Order) -> DpOrder:
    """Our Order as driftpy's dataclass (sumtype variants for the enum fields), for baselines."""
    fields = order.as_dict()
    fields["status"] = DP_STATUS[order.status]()
    fields["order_type"] = DP_TYPES[order.order_type]()
    fields["market_type"] = [DpMarketType.Spot, DpMarketType.Perp][order.market_type]()
    fields["direction"] = DP_DIRS[order.direction]()
    fields["existing_position_direction"] = DP_DIRS[order.existing_position_direction]()
    fields["trigger_condition"] = DP_TRIGGER[order.trigger_condition]()
    return DpOrder(**fields)


def per_op(fn: Callable[[], object], number: int, repeat: int = 7) -> float:
    """Median over ``repeat`` runs of the mean seconds per call of ``fn`` (GC on)."""
    samples = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def samples(fn: Callable[[], object], number: int) -> list[float]:
    """Seconds of each of ``number`` calls of ``fn``."""
    out = []
    clock = time.perf_counter
    for _ in range(number):
        start = clock()
        fn()
        out.append(clock() - start)
    return out


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def row(name: str, ours_s: float, baseline: str | None, baseline_s: float | None, **extra) -> dict:
    speedup = (baseline_s / ours_s) if (baseline_s and ours_s) else None
    return {
        "name": name,
        "ours_s": ours_s,
        "baseline": baseline,
        "baseline_s": baseline_s,
        "speedup": speedup,
        **extra,
    }
