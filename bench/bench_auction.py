"""Auction price math: jitmaker.auction against driftpy on the same orders.

Baselines, measured in the same run on the same orders (our ``Order`` converted once into
``driftpy.types.Order``):
* ``driftpy.math.auction.get_auction_price`` for ``auction_price`` (driftpy's result is wrong
  mid-auction, protocol.md §12, and not tick-standardized; it is timed only as the
  reference implementation a bot would otherwise call);
* ``driftpy.math.orders.get_limit_price`` / ``standardize_price`` for ours;
* a brute-force scan of our own ``auction_price`` over the window for ``first_crossing_slot``.
Each figure is seconds per call, from loops over 1,000 pre-built orders (so closure overhead
is shared by both sides).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from driftpy.math.auction import get_auction_price as dp_get_auction_price
from driftpy.math.orders import get_limit_price as dp_get_limit_price
from driftpy.math.orders import standardize_price as dp_standardize_price
from driftpy.types import OraclePriceData

from bench.util import DP_DIRS, per_op, row, to_driftpy
from jitmaker.accounts.order import Order
from jitmaker.auction import (
    auction_price,
    first_crossing_slot,
    limit_price,
    standardize_price,
    taker_crosses,
)

ORACLE = 100_000_000
TICK = 100
N_ORDERS = 1_000
TARGET_AUCTION_PRICE_S = 1e-6


def _orders(kind: str, direction: int | None, rng: random.Random) -> list[tuple[Order, int]]:
    """``N_ORDERS`` (order, slot) pairs of one kind, slot inside the auction window."""
    out = []
    for i in range(N_ORDERS):
        d = direction if direction is not None else i % 2
        long = d == 0
        dur = rng.randint(10, 60)
        slot0 = 300_000_000 + rng.randint(0, 1_000)
        move = ORACLE * rng.randint(50, 200) // 10_000
        if kind in ("oracle", "pegged"):
            start = -rng.randint(0, 200_000) if long else rng.randint(0, 200_000)
            end = start + move if long else start - move
            fields = dict(order_type=4 if kind == "oracle" else 1, oracle_price_offset=0)
            if kind == "pegged":
                fields["oracle_price_offset"] = end
        else:
            start = ORACLE + (-rng.randint(0, 200_000) if long else rng.randint(0, 200_000))
            end = start + move if long else start - move
            fields = dict(order_type=0 if kind == "market" else 1, oracle_price_offset=0)
            if kind == "limit":
                fields["price"] = end
        order = Order.new(
            direction=d,
            slot=slot0,
            auction_start_price=start,
            auction_end_price=end,
            auction_duration=dur,
            market_type=1,
            status=1,
            base_asset_amount=1_000_000_000,
            **fields,
        )
        query = slot0 + rng.randint(0, dur)
        out.append((order, query))
    return out


def _pair(ours: Callable[[], object], theirs: Callable[[], object], number: int) -> tuple:
    return per_op(ours, number) / N_ORDERS, per_op(theirs, number) / N_ORDERS


def run(quick: bool = False) -> list[dict]:
    rng = random.Random(20261122)
    number = 3 if quick else 20
    rows: list[dict] = []

    cases = [
        ("auction_price fixed: Market long", "market", 0),
        ("auction_price fixed: Market short", "market", 1),
        ("auction_price fixed: Limit without oracle offset", "limit", None),
        ("auction_price oracle-offset: Oracle long", "oracle", 0),
        ("auction_price oracle-offset: Oracle short", "oracle", 1),
        ("auction_price oracle-offset: oracle-pegged Limit", "pegged", None),
    ]
    for name, kind, direction in cases:
        pairs = _orders(kind, direction, rng)
        dp_pairs = [(to_driftpy(o), s) for o, s in pairs]

        def ours(pairs=pairs) -> None:
            for o, s in pairs:
                auction_price(o, s, ORACLE, TICK)

        def theirs(dp_pairs=dp_pairs) -> None:
            for o, s in dp_pairs:
                dp_get_auction_price(o, s, ORACLE)

        ours_s, theirs_s = _pair(ours, theirs, number)
        rows.append(
            row(
                name,
                ours_s,
                "driftpy.math.auction.get_auction_price",
                theirs_s,
                n=N_ORDERS,
                target_s=TARGET_AUCTION_PRICE_S,
                note="driftpy is wrong mid-auction and unstandardized (protocol.md 12)",
            )
        )

    # after the auction: Market orders queried 1..50 slots past the window
    after = [
        (o, o.slot + o.auction_duration + 1 + i % 50)
        for i, (o, _) in enumerate(_orders("market", None, rng))
    ]
    dp_after = [(to_driftpy(o), s) for o, s in after]

    def ours_after() -> None:
        for o, s in after:
            auction_price(o, s, ORACLE, TICK)

    def theirs_after() -> None:
        for o, s in dp_after:
            dp_get_auction_price(o, s, ORACLE)

    ours_s, theirs_s = _pair(ours_after, theirs_after, number)
    rows.append(
        row(
            "auction_price after the auction (Market)",
            ours_s,
            "driftpy.math.auction.get_auction_price",
            theirs_s,
            n=N_ORDERS,
            target_s=TARGET_AUCTION_PRICE_S,
        )
    )

    # limit_price: the DLOB's per-node price
    opd = OraclePriceData(ORACLE, 0, 0, 0, 0, True)
    resting = [
        (Order.new(order_type=1, direction=i % 2, price=ORACLE + (i - 500) * TICK, post_only=True,
                   market_type=1, status=1), 300_000_000)
        for i in range(N_ORDERS)
    ]  # fmt: skip
    for name, pairs in [
        ("limit_price: Market order in auction", _orders("market", None, rng)),
        ("limit_price: Oracle order in auction", _orders("oracle", None, rng)),
        ("limit_price: resting post-only limit", resting),
    ]:
        dp_pairs = [(to_driftpy(o), s) for o, s in pairs]

        def ours_lp(pairs=pairs) -> None:
            for o, s in pairs:
                limit_price(o, s, ORACLE, TICK)

        def theirs_lp(dp_pairs=dp_pairs) -> None:
            for o, s in dp_pairs:
                dp_get_limit_price(o, opd, s)

        ours_s, theirs_s = _pair(ours_lp, theirs_lp, number)
        rows.append(row(name, ours_s, "driftpy.math.orders.get_limit_price", theirs_s, n=N_ORDERS))

    # standardize_price
    prices = [(rng.randint(1, 10**12), rng.randint(0, 1)) for _ in range(N_ORDERS)]
    dp_prices = [(p, DP_DIRS[d]()) for p, d in prices]

    def ours_std() -> None:
        for p, d in prices:
            standardize_price(p, TICK, d)

    def theirs_std() -> None:
        for p, d in dp_prices:
            dp_standardize_price(p, TICK, d)

    ours_s, theirs_s = _pair(ours_std, theirs_std, number)
    rows.append(row("standardize_price", ours_s, "driftpy.math.orders.standardize_price", theirs_s))

    # first_crossing_slot vs scanning auction_price slot by slot
    crossing = []
    for kind in ("market", "oracle", "pegged", "limit"):
        for o, s in _orders(kind, None, rng)[: N_ORDERS // 4]:
            maker = auction_price(o, s, ORACLE, TICK) + rng.randint(-3, 3) * TICK
            crossing.append((o, maker))

    def ours_cross() -> None:
        for o, m in crossing:
            first_crossing_slot(o, m, ORACLE, TICK)

    def scan() -> None:
        for o, m in crossing:
            d = o.direction
            for slot in range(o.slot, o.slot + o.auction_duration + 1):
                if taker_crosses(d, auction_price(o, slot, ORACLE, TICK), m):
                    break

    ours_s, scan_s = _pair(ours_cross, scan, max(1, number // 4))
    rows.append(
        row(
            "first_crossing_slot (closed form), durations 10-60",
            ours_s,
            "scan of auction_price over the window",
            scan_s,
            n=len(crossing),
        )
    )

    # a batch of 1000 mixed in-auction orders (one DLOB pass per slot)
    mixed = []
    for kind in ("market", "oracle", "pegged", "limit"):
        mixed += _orders(kind, None, rng)[: N_ORDERS // 4]
    dp_mixed = [(to_driftpy(o), s) for o, s in mixed]

    def ours_batch() -> None:
        for o, s in mixed:
            auction_price(o, s, ORACLE, TICK)

    def theirs_batch() -> None:
        for o, s in dp_mixed:
            dp_get_auction_price(o, s, ORACLE)

    ours_s, theirs_s = _pair(ours_batch, theirs_batch, number)
    rows.append(
        row(
            "auction_price, 1000 mixed in-auction orders (per order)",
            ours_s,
            "driftpy.math.auction.get_auction_price",
            theirs_s,
            n=len(mixed),
            batch_ours_s=ours_s * len(mixed),
            batch_baseline_s=theirs_s * len(mixed),
        )
    )
    return rows


if __name__ == "__main__":
    for r in run(quick=True):
        print(r)
