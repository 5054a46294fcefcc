"""Decoding Drift User accounts: jitmaker.accounts against driftpy 0.8.89, same bytes, same run.

Every timed operation decodes AND reads the main fields of each open order (status, order_type,
direction, price, base_asset_amount, base_asset_amount_filled, slot, auction_start_price,
auction_end_price, auction_duration, oracle_price_offset, market_index, order_id), so lazy
decoding could not hide work. Ours reads through the named properties (enum fields return
IntEnum members); one extra row reads through the ``I_*`` index constants. The rows say whether
the C accelerator (``jitmaker.accounts._speedups``) was in use; when it was, the 32-order rows
are measured again in a child process with it switched off (``[pure-Python fallback]``).

Baselines:
* ``driftpy.decode.user.decode_user`` (hand-written; returns only open orders),
* anchorpy ``AccountsCoder`` built from driftpy's bundled IDL (what driftpy subscribers use
  by default),
* getProgramAccounts: ``json.loads`` + ``base64.b64decode`` + driftpy ``decode_user`` per
  account, kept in a dict (what ``UserMap.sync`` does), GC on as in a running bot.

Data is generated in-process with our encoder and cross-checked against both decoders before
timing; nothing is written to disk. Ours and the baselines are timed round-robin and the
minimum per-call time over the repetitions is reported (see ``interleaved``), because the
benchmark machine is shared and its load changes during a run.
"""

from __future__ import annotations

import base64
import gc
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import driftpy
from anchorpy import Idl
from anchorpy.coder.accounts import AccountsCoder
from driftpy.decode.user import decode_user as driftpy_decode_user

from bench.util import row
from jitmaker.accounts import (
    MarketType,
    Order,
    OrderStatus,
    OrderType,
    PerpPosition,
    PositionDirection,
    SpotPosition,
    User,
    decode_user,
    decode_users_from_gpa,
    encode_user,
)
from jitmaker.accounts._getter import SPEEDUPS
from jitmaker.accounts.order import (
    I_AUCTION_DURATION,
    I_AUCTION_END,
    I_AUCTION_START,
    I_BASE,
    I_BASE_FILLED,
    I_DIRECTION,
    I_MARKET_INDEX,
    I_ORACLE_OFFSET,
    I_ORDER_ID,
    I_ORDER_TYPE,
    I_PRICE,
    I_SLOT,
    I_STATUS,
)

OPEN = OrderStatus.OPEN

# ---------------------------------------------------------------- data


def _order(rng: random.Random, order_id: int, slot: int) -> Order:
    """A realistic open perp order (mix as in baseline.md §2)."""
    oracle = 100_000_000 + rng.randint(-5, 5) * 1_234_567
    market = rng.randrange(10)
    direction = rng.choice((PositionDirection.LONG, PositionDirection.SHORT))
    sign = 1 if direction == PositionDirection.LONG else -1
    base = rng.randint(1, 1000) * 10_000_000
    kind = rng.random()
    fields = {
        "status": OrderStatus.OPEN,
        "market_type": MarketType.PERP,
        "market_index": market,
        "direction": direction,
        "base_asset_amount": base,
        "base_asset_amount_filled": rng.choice((0, 0, base // 2)),
        "order_id": order_id,
        "slot": slot - rng.randint(0, 30),
        "max_ts": 1_763_000_000 + rng.randint(0, 600),
        "posted_slot_tail": slot & 0xFF,
    }
    if kind < 0.45:  # resting post-only limit
        offset = rng.randint(5, 300) * 10_000
        fields.update(
            order_type=OrderType.LIMIT, post_only=True, price=oracle - sign * offset, max_ts=0
        )
    elif kind < 0.70:  # oracle-pegged floating limit
        fields.update(
            order_type=OrderType.LIMIT, post_only=True, oracle_price_offset=-sign * 50_000
        )
    elif kind < 0.82:  # market order in auction
        fields.update(
            order_type=OrderType.MARKET,
            auction_duration=rng.randint(10, 60),
            auction_start_price=oracle,
            auction_end_price=oracle + sign * 1_000_000,
        )
    elif kind < 0.94:  # oracle order in auction (offsets)
        fields.update(
            order_type=OrderType.ORACLE,
            auction_duration=rng.randint(10, 60),
            auction_start_price=-sign * 20_000,
            auction_end_price=sign * 900_000,
            oracle_price_offset=sign * 1_000_000,
        )
    else:  # limit order in auction
        fields.update(
            order_type=OrderType.LIMIT,
            price=oracle + sign * 1_500_000,
            auction_duration=20,
            auction_start_price=oracle,
            auction_end_price=oracle + sign * 1_000_000,
        )
    return Order.new(**fields)


def make_user(rng: random.Random, n_orders: int) -> bytes:
    slot = 330_000_000 + rng.randint(0, 1000)
    orders = [_order(rng, 100 + i, slot) for i in range(n_orders)]
    markets = sorted({o.market_index for o in orders})[:8]
    perps = [
        PerpPosition.new(
            market_index=m,
            base_asset_amount=rng.randint(-50, 50) * 100_000_000,
            quote_asset_amount=rng.randint(-(10**9), 10**9),
            open_orders=sum(1 for o in orders if o.market_index == m),
        )
        for m in markets
    ]
    spots = [SpotPosition.new(market_index=0, scaled_balance=rng.randint(10**9, 10**14))]
    user = User.new(
        authority=rng.randbytes(32),
        sub_account_id=rng.randrange(3),
        orders=orders,
        perp_positions=perps,
        spot_positions=spots,
        last_active_slot=slot,
        total_deposits=rng.randint(10**6, 10**12),
    )
    return encode_user(user)


def _anchor_coder() -> AccountsCoder:
    idl = Path(driftpy.__file__).parent / "idl" / "drift.json"
    return AccountsCoder(Idl.from_json(idl.read_text()))


_MAIN = (
    "status",
    "order_type",
    "direction",
    "price",
    "base_asset_amount",
    "base_asset_amount_filled",
    "slot",
    "auction_start_price",
    "auction_end_price",
    "auction_duration",
    "oracle_price_offset",
    "market_index",
    "order_id",
)


def _cross_check(data: bytes, coder: AccountsCoder) -> None:
    ours = [o for o in decode_user(data).orders if o.status is OPEN]
    theirs = driftpy_decode_user(data).orders
    anchor = [o for o in coder.decode(data).orders if type(o.status).__name__ == "Open"]
    assert len(ours) == len(theirs) == len(anchor), "order counts differ"
    for a, b, c in zip(ours, theirs, anchor, strict=True):
        for name in _MAIN:
            mine = getattr(a, name)
            if name in ("status", "order_type", "direction"):
                assert type(getattr(b, name)).__name__.upper() == mine.name.replace("_", "")
                assert getattr(c, name).index == mine
            else:
                assert mine == getattr(b, name) == getattr(c, name), name


# ---------------------------------------------------------------- readers


def read_ours(user) -> int:
    n = 0
    for o in user.orders:
        if o.status is not OPEN:
            continue
        _ = (
            o.order_type,
            o.direction,
            o.price,
            o.base_asset_amount,
            o.base_asset_amount_filled,
            o.slot,
            o.auction_start_price,
            o.auction_end_price,
            o.auction_duration,
            o.oracle_price_offset,
            o.market_index,
            o.order_id,
        )
        n += 1
    return n


def read_ours_indexed(user) -> int:
    n = 0
    for o in user[5]:
        if o[I_STATUS] != 1:
            continue
        _ = (
            o[I_ORDER_TYPE],
            o[I_DIRECTION],
            o[I_PRICE],
            o[I_BASE],
            o[I_BASE_FILLED],
            o[I_SLOT],
            o[I_AUCTION_START],
            o[I_AUCTION_END],
            o[I_AUCTION_DURATION],
            o[I_ORACLE_OFFSET],
            o[I_MARKET_INDEX],
            o[I_ORDER_ID],
        )
        n += 1
    return n


def read_driftpy(user) -> int:
    n = 0
    for o in user.orders:  # driftpy keeps only open orders, but we read status like ours
        _ = (
            o.status,
            o.order_type,
            o.direction,
            o.price,
            o.base_asset_amount,
            o.base_asset_amount_filled,
            o.slot,
            o.auction_start_price,
            o.auction_end_price,
            o.auction_duration,
            o.oracle_price_offset,
            o.market_index,
            o.order_id,
        )
        n += 1
    return n


def read_anchor(user) -> int:
    n = 0
    for o in user.orders:
        if type(o.status).__name__ != "Open":
            continue
        _ = (
            o.order_type,
            o.direction,
            o.price,
            o.base_asset_amount,
            o.base_asset_amount_filled,
            o.slot,
            o.auction_start_price,
            o.auction_end_price,
            o.auction_duration,
            o.oracle_price_offset,
            o.market_index,
            o.order_id,
        )
        n += 1
    return n


# ---------------------------------------------------------------- gPA


def gpa_reply(accounts: list[bytes], rng: random.Random) -> bytes:
    items = [
        {
            "account": {
                "data": [base64.b64encode(data).decode(), "base64"],
                "executable": False,
                "lamports": 31_347_840,
                "owner": "dRiftyHA39MWEi3m9aunc5MzRF1JYuBsbn6VPcn33UH",
                "rentEpoch": 18_446_744_073_709_551_615,
                "space": len(data),
            },
            "pubkey": base64.b32encode(rng.randbytes(25)).decode()[:44],
        }
        for data in accounts
    ]
    return json.dumps({"jsonrpc": "2.0", "result": items, "id": 1}).encode()


def driftpy_gpa(reply: bytes) -> dict:
    out = {}
    for item in json.loads(reply)["result"]:
        out[item["pubkey"]] = driftpy_decode_user(base64.b64decode(item["account"]["data"][0]))
    return out


def interleaved(cases: dict[str, tuple], reps: int) -> dict[str, float]:
    """Seconds per call of each ``name: (fn, number)``, measured round-robin: every repetition
    runs each case once (GC collected before each), and the minimum over repetitions is kept.

    The machine this runs on is shared, so load comes and goes during a run; interleaving
    exposes ours and the baseline to the same conditions, and the minimum is the least
    disturbed sample (timeit's own recommendation). GC stays enabled while timing.
    """
    best = {name: float("inf") for name in cases}
    for _ in range(reps):
        for name, (fn, number) in cases.items():
            gc.collect()
            start = time.perf_counter()
            for _ in range(number):
                fn()
            best[name] = min(best[name], (time.perf_counter() - start) / number)
    return best


# ---------------------------------------------------------------- run


def _account_rows(
    rng: random.Random, coder: AccountsCoder, n_orders: int, number: int, quick: bool, tag: str = ""
) -> list[dict]:
    """Ours against driftpy and anchorpy on one account with ``n_orders`` open orders."""
    reps = 3 if quick else 9
    pool = [make_user(rng, n_orders) for _ in range(50)]
    for data in pool[:10]:
        _cross_check(data, coder)
    data = pool[0]
    if quick:
        number //= 4
    t = interleaved(
        {
            "decode_only": (lambda d=data: decode_user(d), number),
            "ours": (lambda d=data: read_ours(decode_user(d)), number),
            "ours_idx": (lambda d=data: read_ours_indexed(decode_user(d)), number),
            "theirs_decode": (lambda d=data: driftpy_decode_user(d), max(1, number // 8)),
            "theirs": (
                lambda d=data: read_driftpy(driftpy_decode_user(d)),
                max(1, number // 8),
            ),
            "anchor": (lambda d=data: read_anchor(coder.decode(d)), 4 if quick else 10),
        },
        reps,
    )
    decode_only, ours, ours_idx = t["decode_only"], t["ours"], t["ours_idx"]
    theirs_decode, theirs, anchor = t["theirs_decode"], t["theirs"], t["anchor"]
    extra = {"speedups": SPEEDUPS}
    label = f"decode_user + read orders ({n_orders} open orders){tag}"
    targets = {"target_speedup": 10} if n_orders == 32 and not tag else {}
    return [
        row(
            f"decode_user only, no reads ({n_orders} open orders){tag}",
            decode_only,
            "driftpy decode_user only",
            theirs_decode,
            **extra,
        ),
        row(label, ours, "driftpy decode_user + read", theirs, **targets, **extra),
        row(
            f"{label}, via I_* indexes",
            ours_idx,
            "driftpy decode_user + read",
            theirs,
            **targets,
            **extra,
        ),
        row(
            label,
            ours,
            "anchorpy AccountsCoder.decode + read",
            anchor,
            **({"target_speedup": 150} if n_orders == 32 and not tag else {}),
            **extra,
        ),
    ]


def _fallback_rows(quick: bool) -> list[dict]:
    """The 32-order rows again with the C accelerator switched off (``JITMAKER_NO_SPEEDUPS``),
    in a child process because the choice is made at import; driftpy is re-measured there."""
    env = {**os.environ, "JITMAKER_NO_SPEEDUPS": "1"}
    cmd = [sys.executable, "-m", "bench.bench_decode", "--fallback"] + (
        ["--quick"] if quick else []
    )
    out = subprocess.run(
        cmd, cwd=Path(__file__).resolve().parent.parent, env=env, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(f"fallback bench failed: {out.stderr[-1000:]}")
    return json.loads(out.stdout)


def run(quick: bool = False) -> list[dict]:
    rng = random.Random(20261122)
    coder = _anchor_coder()
    rows: list[dict] = []
    for n_orders, number in ((32, 400), (1, 2000), (0, 2000)):
        rows += _account_rows(rng, coder, n_orders, number, quick)
    if SPEEDUPS:
        rows += _fallback_rows(quick)

    count = 2000 if quick else 10_000
    accounts = [make_user(rng, rng.randint(1, 32)) for _ in range(count)]
    reply = gpa_reply(accounts, rng)
    check = decode_users_from_gpa(reply)
    assert len(check) == count
    del check

    def ours_gpa() -> int:
        users = decode_users_from_gpa(reply)
        return sum(read_ours(u) for u in users.values())

    def ours_gpa_frozen() -> int:
        users = decode_users_from_gpa(reply, freeze=True)
        n = sum(read_ours(u) for u in users.values())
        gc.unfreeze()  # so the next repetition starts from the same state
        return n

    def theirs_gpa() -> int:
        users = driftpy_gpa(reply)
        return sum(read_driftpy(u) for u in users.values())

    def theirs_gpa_gc_off() -> int:
        gc.disable()
        try:
            return theirs_gpa()
        finally:
            gc.enable()

    assert ours_gpa() == theirs_gpa()
    t = interleaved(
        {
            "ours": (ours_gpa, 1),
            "ours_frozen": (ours_gpa_frozen, 1),
            "theirs": (theirs_gpa, 1),
            "theirs_off": (theirs_gpa_gc_off, 1),
        },
        2 if quick else 3,
    )
    ours, theirs, theirs_off = t["ours"], t["theirs"], t["theirs_off"]
    ours_frozen = t["ours_frozen"]
    extra = {"accounts": count, "reply_mb": round(len(reply) / 1e6, 1)}
    rows.append(
        row(
            f"gPA JSON -> {count} Users + read orders",
            ours,
            "json+b64+driftpy decode_user, kept",
            theirs,
            target_speedup=5,
            **extra,
        )
    )
    rows.append(
        row(
            f"gPA JSON -> {count} Users + read orders, freeze=True",
            ours_frozen,
            "json+b64+driftpy decode_user, kept",
            theirs,
            **extra,
        )
    )
    rows.append(
        row(
            f"gPA JSON -> {count} Users + read orders",
            ours,
            "same, driftpy with GC off",
            theirs_off,
            **extra,
        )
    )
    return rows


if __name__ == "__main__":
    if "--fallback" in sys.argv:
        assert not SPEEDUPS, "run with JITMAKER_NO_SPEEDUPS=1"
        rows = _account_rows(
            random.Random(20261122),
            _anchor_coder(),
            32,
            400,
            "--quick" in sys.argv,
            " [pure-Python fallback]",
        )
        print(json.dumps(rows))
