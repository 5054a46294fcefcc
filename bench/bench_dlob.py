"""DLOB: jitmaker.dlob against driftpy's DLOB on the same orders (baseline.md §2, §3c).

Synthetic book as baseline.md §2: perp markets 0..9, oracle ``100e6 + (i-5)*1.234567e6``,
tick 100, step 1e7, sizes 0.01–10 base; resting orders are 45:25 fixed post-only limits
(bids 0.05–3% below the oracle, asks above) and oracle-pegged floating limits, owned by users
with 1..32 orders each; on top, 100 auction takers (10 per market: market 40%, oracle 40%,
non-post-only limit 20%; duration 10–60 slots, start about the oracle, end 0.5–2% through
it, query slot inside the window). Each of our orders is converted once into
``driftpy.types.Order`` and driftpy's ``DLOB`` is loaded through ``init_from_usermap`` with a
stub usermap; ours is fed decoded ``User`` accounts (``jitmaker.accounts.user``).

Targets (issue "In-memory DLOB"): build ≥ 20× faster than ``init_from_usermap``; one insert,
update or remove ≤ 5 µs; best bid/ask ≤ 2 µs; crosses of the 100 takers ≥ 20× faster than
``find_nodes_to_fill`` over the 10 markets. Our incremental operations are timed through the
real path, ``apply_user`` with a freshly decoded account whose state differs by one order
(diff of 32 slots included). A "growth" series times each query at 1k/10k/100k orders.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
import tracemalloc
from types import SimpleNamespace

from driftpy.dlob.dlob import DLOB as DpDLOB
from driftpy.types import MarketStatus as DpMarketStatus
from driftpy.types import MarketType as DpMarketType
from driftpy.types import OraclePriceData
from solders.pubkey import Pubkey

from bench.util import per_op, row, samples, to_driftpy
from jitmaker.accounts.order import Order
from jitmaker.accounts.user import User, decode_user, encode_user
from jitmaker.dlob import DLOB

N_MARKETS = 10
TICK = 100
STEP = 10_000_000
SLOT = 300_000_000
NOW = 1_800_000_000
TAKERS_PER_MARKET = 10
BOOK = 10_000
M = 3  # the market single-market queries use


def oracle(market: int) -> int:
    return 100_000_000 + (market - 5) * 1_234_567


PX = oracle(M)


def _opd(market: int) -> OraclePriceData:
    return OraclePriceData(oracle(market), SLOT, 1_000, oracle(market), 1_000, True)


# ---------------------------------------------------------------- synthetic book


def _resting(rng: random.Random, market: int, order_id: int) -> Order:
    o = oracle(market)
    long = rng.random() < 0.5
    pct = rng.randint(5, 300)  # 0.05% .. 3% in 1/10_000
    fields = {
        "status": 1,
        "order_type": 1,
        "market_type": 1,
        "market_index": market,
        "direction": 0 if long else 1,
        "post_only": True,
        "order_id": order_id,
        "slot": SLOT - rng.randint(1, 5_000),
        "base_asset_amount": rng.randint(1, 1_000) * STEP,
    }
    if rng.random() < 45 / 70:
        price = o - o * pct // 10_000 if long else o + o * pct // 10_000
        fields["price"] = price - price % TICK if long else price + (-price) % TICK
    else:
        fields["oracle_price_offset"] = -(o * pct // 10_000) if long else o * pct // 10_000
    return Order.new(**fields)


def _taker(rng: random.Random, market: int, kind: str) -> Order:
    o = oracle(market)
    long = rng.random() < 0.5
    sign = 1 if long else -1
    dur = rng.randint(10, 60)
    move = o * rng.randint(50, 200) // 10_000
    near = rng.randint(0, o // 1_000)
    fields = {
        "status": 1,
        "market_type": 1,
        "market_index": market,
        "direction": 0 if long else 1,
        "order_id": 1,
        "slot": SLOT - rng.randint(0, dur),
        "auction_duration": dur,
        "base_asset_amount": rng.randint(1, 1_000) * STEP,
    }
    if kind == "oracle":
        start = -sign * near
        fields |= {
            "order_type": 4,
            "auction_start_price": start,
            "auction_end_price": start + sign * move,
            "oracle_price_offset": start + sign * move,
        }
    else:
        start = o - sign * near
        start -= start % TICK
        end = start + sign * move
        end -= end % TICK
        fields |= {
            "order_type": 0 if kind == "market" else 1,
            "auction_start_price": start,
            "auction_end_price": end,
            "price": end if kind == "limit" else 0,
        }
    return Order.new(**fields)


def build_accounts(n: int, seed: int = 7) -> dict[bytes, tuple[bytes, list[Order]]]:
    """Resting book of ``n`` orders over 1..32-order users, plus the auction takers."""
    rng = random.Random(seed)
    accounts: dict[bytes, tuple[bytes, list[Order]]] = {}
    made = 0
    u = 0
    while made < n:
        k = min(rng.randint(1, 32), n - made)
        market = rng.randrange(N_MARKETS)
        orders = [_resting(rng, (market + i) % N_MARKETS, i + 1) for i in range(k)]
        u += 1
        accounts[u.to_bytes(32, "big")] = ((u + 10**9).to_bytes(32, "big"), orders)
        made += k
    kinds = ["market"] * 4 + ["oracle"] * 4 + ["limit"] * 2
    for market in range(N_MARKETS):
        for i in range(TAKERS_PER_MARKET):
            u += 1
            accounts[u.to_bytes(32, "big")] = (
                (u + 10**9).to_bytes(32, "big"),
                [_taker(rng, market, kinds[i % len(kinds)])],
            )
    return accounts


def our_snapshot(accounts: dict) -> dict[bytes, User]:
    return {
        k: decode_user(encode_user(User.new(authority=a, orders=o)))
        for k, (a, o) in accounts.items()
    }


class _StubUser:
    """What ``DLOB.init_from_usermap`` reads from a driftpy ``DriftUser``."""

    def __init__(self, key: bytes, orders: list[Order]) -> None:
        self.user_public_key = Pubkey.from_bytes(key)
        self._account = SimpleNamespace(orders=[to_driftpy(o) for o in orders])

    def get_user_account(self) -> SimpleNamespace:
        return self._account


def driftpy_usermap(accounts: dict) -> dict:
    return {k: _StubUser(k, o) for k, (_a, o) in accounts.items()}


_DP_STATE = SimpleNamespace(
    exchange_status=1,
    min_perp_auction_duration=10,
    perp_fee_structure=SimpleNamespace(
        fee_tiers=[SimpleNamespace(maker_rebate_numerator=2, maker_rebate_denominator=100_000)]
    ),
)
_DP_MARKET = SimpleNamespace(status=DpMarketStatus.Active(), fee_adjustment=0)


# ---------------------------------------------------------------- timing helpers


def _median_call(fn, number: int) -> float:
    gc.collect()
    return statistics.median(samples(fn, number))


def _extra_bid() -> Order:
    """A fixed bid 1.5% under the oracle of market 3: mid-depth of its side."""
    return _resting(random.Random(1), 3, 99).replace(
        price=oracle(3) * 985 // 1000 // TICK * TICK, direction=0, oracle_price_offset=0
    )


def _maker_account(accounts: dict) -> tuple[bytes, bytes, list[Order]]:
    """A resting account with 16..31 orders (room for one more)."""
    key = next(k for k, (_a, o) in accounts.items() if 16 <= len(o) < 32)
    return key, accounts[key][0], accounts[key][1]


def _incremental(
    book: DLOB, account: tuple[bytes, bytes, list[Order]], number: int
) -> dict[str, float]:
    """Median seconds of apply_user for one insert, one update, one remove (decoded states).

    ``account`` (key, authority, orders) gets one extra resting bid, a partial fill of it,
    and loses it again; each state is a freshly decoded account, as from the websocket.
    """
    key, auth, orders = account
    extra = _extra_bid()
    without = decode_user(encode_user(User.new(authority=auth, orders=orders)))
    with_extra = decode_user(encode_user(User.new(authority=auth, orders=[*orders, extra])))
    part = extra.replace(base_asset_amount_filled=STEP)
    with_part = decode_user(encode_user(User.new(authority=auth, orders=[*orders, part])))
    clock = time.perf_counter
    ins, rem, upd = [], [], []
    slot = SLOT
    book.apply_user(key, without, slot)
    gc.collect()
    for _ in range(number):
        slot += 1
        t0 = clock()
        book.apply_user(key, with_extra, slot)
        t1 = clock()
        slot += 1
        book.apply_user(key, with_part, slot)
        t2 = clock()
        slot += 1
        book.apply_user(key, without, slot)
        t3 = clock()
        ins.append(t1 - t0)
        upd.append(t2 - t1)
        rem.append(t3 - t2)
    return _medians(insert=ins, update=upd, remove=rem)


def _medians(**samples: list[float]) -> dict[str, float]:
    """Each phase's median time, so a GC pause or a scheduler hiccup does not move it."""
    return {phase: statistics.median(times) for phase, times in samples.items()}


def _dp_incremental(dp: DpDLOB, number: int) -> dict[str, float]:
    order = to_driftpy(_extra_bid())
    pk = Pubkey.from_bytes(b"\xee" * 32)
    clock = time.perf_counter
    ins, rem, upd = [], [], []
    gc.collect()
    for i in range(number):
        t0 = clock()
        dp.insert_order(order, pk, SLOT)
        t1 = clock()
        dp.update_order(order, pk, SLOT, STEP * (1 + i % 2))
        t2 = clock()
        dp.delete(order, pk, SLOT)
        t3 = clock()
        ins.append(t1 - t0)
        upd.append(t2 - t1)
        rem.append(t3 - t2)
    return _medians(insert=ins, update=upd, remove=rem)


def _our_book(snapshot: dict) -> DLOB:
    book = DLOB()
    book.load(snapshot, SLOT)
    return book


def _their_book(usermap: dict) -> DpDLOB:
    book = DpDLOB()
    book.init_from_usermap(usermap, SLOT)
    return book


def _interleaved_builds(ours, theirs, reps: int) -> tuple[list[float], list[float]]:
    """Seconds of each build, ours and theirs alternating so both see the same machine load."""
    clock = time.perf_counter
    ours_runs, their_runs = [], []
    for _ in range(reps):
        for fn, out in ((ours, ours_runs), (theirs, their_runs)):
            gc.collect()
            t0 = clock()
            kept = fn()
            out.append(clock() - t0)
            del kept
    return ours_runs, their_runs


def _crosses(book: DLOB) -> int:
    n = 0
    for m in range(N_MARKETS):
        n += len(book.find_crosses_for_auctions(m, SLOT, oracle(m), TICK, 8, now=NOW))
    return n


def _dp_fill(dp: DpDLOB) -> int:
    perp = DpMarketType.Perp()
    n = 0
    for m in range(N_MARKETS):
        n += len(dp.find_nodes_to_fill(m, SLOT, NOW, perp, _opd(m), _DP_STATE, _DP_MARKET))
    return n


def _dp_taking(dp: DpDLOB) -> int:
    perp = DpMarketType.Perp()
    n = 0
    for m in range(N_MARKETS):
        n += len(dp.find_taking_nodes_to_fill(m, SLOT, perp, _opd(m), False, 10))
    return n


def _memory_per_order(build, n_orders: int) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = build()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return (after - before) / n_orders


# ---------------------------------------------------------------- the benchmark


def _versus(rows: list[dict], quick: bool) -> None:
    accounts = build_accounts(BOOK)
    snapshot = our_snapshot(accounts)
    usermap = driftpy_usermap(accounts)
    n_orders = sum(len(o) for _a, o in accounts.values())
    reps = 3 if quick else 7

    # build: interleaved runs, each book kept alive until its clock stopped (no dealloc timed)
    ours_runs, their_runs = _interleaved_builds(
        lambda: _our_book(snapshot), lambda: _their_book(usermap), reps
    )
    ours, theirs = min(ours_runs), min(their_runs)
    rows.append(
        row(
            f"build from {BOOK:,} resting orders + 100 takers (best of {reps})",
            ours,
            "driftpy DLOB.init_from_usermap",
            theirs,
            orders=n_orders,
            ours_median_s=statistics.median(ours_runs),
            baseline_median_s=statistics.median(their_runs),
            target="speedup >= 20",
            meets=theirs / ours >= 20,
        )
    )

    book = _our_book(snapshot)
    dp = _their_book(usermap)
    perp = DpMarketType.Perp()

    # one insert / update / remove, through apply_user (the account diff included)
    number = 300 if quick else 2_000
    their = _dp_incremental(dp, number if not quick else 100)
    maker = _maker_account(accounts)
    for label, account in (
        ("1-order account", (b"\xee" * 32, b"\xef" * 32, [])),
        (f"{len(maker[2]) + 1}-order account", maker),
    ):
        mine = _incremental(book, account, number)
        for op, dp_name in (
            ("insert", "insert_order"),
            ("update", "update_order"),
            ("remove", "delete"),
        ):
            rows.append(
                row(
                    f"one {op}: apply_user, {label}",
                    mine[op],
                    f"driftpy DLOB.{dp_name}",
                    their[op],
                    target="ours <= 5 us",
                    meets=mine[op] <= 5e-6,
                )
            )

    # best bid / ask (same slot)
    m = 3
    px = oracle(m)
    opd = _opd(m)
    n_calls = 2_000 if quick else 20_000
    for side, ours_fn, dp_fn in (
        ("bid", book.best_bid, dp.get_best_bid),
        ("ask", book.best_ask, dp.get_best_ask),
    ):
        ours = per_op(lambda f=ours_fn: f(m, SLOT, px, TICK), n_calls, reps)
        theirs = per_op(lambda f=dp_fn: f(m, SLOT, perp, opd), n_calls // 10, reps)
        rows.append(
            row(
                f"best {side} (one market, fixed+floating merged)",
                ours,
                f"driftpy DLOB.get_best_{side}",
                theirs,
                target="ours <= 2 us",
                meets=ours <= 2e-6,
            )
        )
    ours = per_op(
        lambda: book.best_bid(m, SLOT, px, TICK, now=NOW, exclude={b"\x01" * 32}), n_calls, reps
    )
    rows.append(
        row(
            "best bid with now and exclude filters",
            ours,
            None,
            None,
            target="ours <= 2 us",
            meets=ours <= 2e-6,
        )
    )

    # L2 / L3 / auctions
    n_calls = 200 if quick else 2_000
    ours = per_op(lambda: book.l2(m, SLOT, px, TICK, 10), n_calls, reps)
    theirs = per_op(lambda: dp.get_l2(m, perp, SLOT, opd, 10), n_calls // 4, reps)
    rows.append(row("L2 depth 10 (one market)", ours, "driftpy DLOB.get_l2", theirs))
    ours = per_op(lambda: book.l3(m, SLOT, px, TICK), max(10, n_calls // 20), reps)
    theirs = per_op(lambda: dp.get_l3(m, perp, SLOT, opd), max(5, n_calls // 40), reps)
    rows.append(row("L3 whole market (one market)", ours, "driftpy DLOB.get_l3", theirs))
    ours = per_op(lambda: book.auctions(m, SLOT, px, TICK), n_calls, reps)
    theirs = per_op(lambda: dp.find_jit_auction_nodes_to_fill(m, SLOT, opd, perp), n_calls, reps)
    rows.append(
        row(
            "auctions with their price (one market, 10 takers)",
            ours,
            "driftpy find_jit_auction_nodes_to_fill",
            theirs,
        )
    )

    # crosses of the 100 takers, all 10 markets; driftpy mutates its book: fresh one per sample
    crosses = _crosses(book)
    ours = per_op(lambda: _crosses(book), 5 if quick else 50, reps)
    fills = []
    takes = []
    for _ in range(2 if quick else 5):
        fresh = DpDLOB()
        fresh.init_from_usermap(usermap, SLOT)
        fills.append(_median_call(lambda f=fresh: _dp_fill(f), 1))
        fresh = DpDLOB()
        fresh.init_from_usermap(usermap, SLOT)
        takes.append(_median_call(lambda f=fresh: _dp_taking(f), 1))
    theirs = statistics.median(fills)
    rows.append(
        row(
            "crosses of 100 auction takers vs 10k resting (10 markets)",
            ours,
            "driftpy find_nodes_to_fill x10 markets",
            theirs,
            takers_crossed=crosses,
            target="speedup >= 20",
            meets=theirs / ours >= 20,
        )
    )
    rows.append(
        row(
            "crosses of 100 auction takers (vs taking-only query)",
            ours,
            "driftpy find_taking_nodes_to_fill x10",
            statistics.median(takes),
        )
    )

    # memory per resting order (our Orders are shared with the decoded accounts; so are driftpy's)
    ours_mem = _memory_per_order(lambda: _our_book(snapshot), n_orders)
    their_mem = _memory_per_order(lambda: _their_book(usermap), n_orders)
    rows.append(
        row(
            f"memory per order held: ours {ours_mem:.0f} B, driftpy {their_mem:.0f} B",
            None,
            "driftpy DLOB (book structures only)",
            None,
            bytes_per_order=ours_mem,
            baseline_bytes_per_order=their_mem,
        )
    )


def _growth(rows: list[dict], quick: bool) -> None:
    sizes = (1_000, 10_000) if quick else (1_000, 10_000, 100_000)
    for n in sizes:
        accounts = build_accounts(n, seed=11)
        snapshot = our_snapshot(accounts)
        reps = 3 if quick else 5
        build = min(_interleaved_builds(lambda s=snapshot: _our_book(s), lambda: None, reps)[0])
        book = DLOB()
        book.load(snapshot, SLOT)
        # a 1-order account: the book operation plus the fixed cost of a 32-slot diff
        inc = _incremental(book, (b"\xee" * 32, b"\xef" * 32, []), 300 if quick else 1_000)
        timings = {
            "build (whole book)": build,
            "apply_user insert (1-order account)": inc["insert"],
            "apply_user update (1-order account)": inc["update"],
            "apply_user remove (1-order account)": inc["remove"],
            "best_bid": per_op(lambda b=book: b.best_bid(M, SLOT, PX, TICK), 5_000, reps),
            "l2 depth 10": per_op(lambda b=book: b.l2(M, SLOT, PX, TICK, 10), 500, reps),
            "l3 one market": per_op(lambda b=book: b.l3(M, SLOT, PX, TICK), 5, reps),
            "auctions one market": per_op(lambda b=book: b.auctions(M, SLOT, PX, TICK), 500, reps),
            "crosses 100 takers": per_op(lambda b=book: _crosses(b), 20, reps),
        }
        for name, seconds in timings.items():
            rows.append(row(f"growth {n:>7,}: {name}", seconds, None, None, book=n))


def run(quick: bool = False) -> list[dict]:
    rows: list[dict] = []
    _versus(rows, quick)
    _growth(rows, quick)
    return rows


if __name__ == "__main__":
    for r in run(quick=True):
        print(r)
