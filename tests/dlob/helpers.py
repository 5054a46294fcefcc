"""Order builders and a naive reference DLOB for the dlob tests.

``RefBook`` is deliberately simple: it keeps the last applied state of each account and
answers every query by listing all live orders, classifying each at the query slot with the
auction module, and sorting. It shares no code with ``jitmaker.dlob.book``.
"""

from __future__ import annotations

from jitmaker.accounts.order import Order
from jitmaker.accounts.user import User
from jitmaker.auction import AuctionMathError, is_auction_complete, limit_price
from jitmaker.dlob.views import (
    AuctionCross,
    AuctionOrder,
    L2Book,
    L3Book,
    L3Order,
    Level,
    LoadReport,
    MakerFill,
)

PERP, SPOT = 1, 0
LONG, SHORT = 0, 1
MARKET, LIMIT, TRIGGER_MARKET, TRIGGER_LIMIT, ORACLE = range(5)
BASE = 10**9


def key(n: int) -> bytes:
    """A deterministic 32-byte account key."""
    return bytes([n]) * 32


def order(**fields) -> Order:
    """An open perp order with defaults filled in (market 0, long, 1 base)."""
    defaults = {
        "status": 1,
        "market_type": PERP,
        "market_index": 0,
        "direction": LONG,
        "base_asset_amount": BASE,
        "order_id": 1,
        "slot": 1,
    }
    defaults.update(fields)
    return Order.new(**defaults)


def resting(price: int, direction: int = LONG, **fields) -> Order:
    return order(order_type=LIMIT, price=price, post_only=True, direction=direction, **fields)


def floating(offset: int, direction: int = LONG, **fields) -> Order:
    return order(
        order_type=LIMIT, oracle_price_offset=offset, post_only=True, direction=direction, **fields
    )


def user(authority: bytes, *orders: Order) -> User:
    return User.new(authority=authority, orders=list(orders))


def _live(o: Order) -> bool:
    return o.status == 1 and o.base_asset_amount > o.base_asset_amount_filled


def _same_logical(a: Order, b: Order) -> bool:
    keep = {"base_asset_amount_filled", "quote_asset_amount_filled"}
    if a.order_type in (TRIGGER_MARKET, TRIGGER_LIMIT):
        keep |= {
            "slot",
            "trigger_condition",
            "auction_start_price",
            "auction_end_price",
            "auction_duration",
            "posted_slot_tail",
            "bit_flags",
        }
    da, db = a.as_dict(), b.as_dict()
    return all(da[k] == db[k] for k in da if k not in keep)


class RefBook:
    """The naive model the DLOB is compared with."""

    def __init__(self) -> None:
        self.users: dict[bytes, tuple[bytes, tuple]] = {}
        self.last: dict[bytes, int] = {}
        self.floor = 0

    # ---- updates ----
    def apply(self, k: bytes, u: User, slot: int) -> bool:
        if slot < self.last.get(k, self.floor):
            return False
        self.last[k] = slot
        self.users[k] = (u.authority_bytes, tuple(u.orders))
        return True

    def remove(self, k: bytes) -> None:
        self.users.pop(k, None)

    def load(self, snapshot: dict, slot: int) -> LoadReport:
        old = {(k, o.order_id): o for k, _a, o in self.live()}
        self.users = {}
        self.last = {}
        self.floor = slot
        for k, u in snapshot.items():
            self.apply(k, u, slot)
        new = {(k, o.order_id): o for k, _a, o in self.live()}
        matched = [kk for kk in new if kk in old and _same_logical(old[kk], new[kk])]
        changed = sum(1 for kk in matched if old[kk] != new[kk])
        return LoadReport(
            len(self.users), len(new), len(old) - len(matched), len(new) - len(matched), changed
        )

    # ---- queries ----
    def live(self):
        for k, (auth, orders) in self.users.items():
            for o in orders:
                if _live(o):
                    yield k, auth, o

    def user_orders(self, k: bytes) -> list[Order]:
        return [o for o in self.users.get(k, (None, ()))[1] if _live(o)]

    @staticmethod
    def _passes(k, auth, o, now, exclude) -> bool:
        if now is not None and o.max_ts != 0 and now > o.max_ts:
            return False
        return k not in exclude and auth not in exclude

    @staticmethod
    def _untriggered(o: Order) -> bool:
        return o.order_type in (TRIGGER_MARKET, TRIGGER_LIMIT) and o.trigger_condition in (0, 1)

    def _is_resting(self, o: Order, slot: int) -> bool:
        return (
            o.order_type in (LIMIT, TRIGGER_LIMIT)
            and not self._untriggered(o)
            and (o.post_only or is_auction_complete(o, slot))
        )

    def resting(self, mt, mi, side, slot, oracle, tick, now=None, exclude=()):
        rows = []
        for k, auth, o in self.live():
            if (o.market_type, o.market_index, o.direction) != (mt, mi, side):
                continue
            if not self._is_resting(o, slot) or not self._passes(k, auth, o, now, exclude):
                continue
            price = limit_price(o, slot, oracle, tick)
            rows.append((-price if side == LONG else price, o.slot, k, o.order_id, price, auth, o))
        rows.sort(key=lambda r: r[:4])
        return [(r[4], r[2], r[5], r[6]) for r in rows]  # (price, user, auth, order)

    def best(self, mt, mi, side, slot, oracle, tick, now=None, exclude=()):
        rows = self.resting(mt, mi, side, slot, oracle, tick, now, exclude)
        return rows[0][0] if rows else None

    def l2(self, mt, mi, slot, oracle, tick, depth, now=None, exclude=()):
        sides = []
        for side in (LONG, SHORT):
            levels: list[Level] = []
            for price, _k, _a, o in self.resting(mt, mi, side, slot, oracle, tick, now, exclude):
                size = o.base_asset_amount - o.base_asset_amount_filled
                if levels and levels[-1].price == price:
                    levels[-1] = Level(price, levels[-1].size + size)
                else:
                    levels.append(Level(price, size))
            sides.append(levels[:depth])
        return L2Book(*sides)

    def l3(self, mt, mi, slot, oracle, tick, now=None, exclude=()):
        return L3Book(
            *[
                [
                    L3Order(p, o.base_asset_amount - o.base_asset_amount_filled, k, o)
                    for p, k, _a, o in self.resting(mt, mi, side, slot, oracle, tick, now, exclude)
                ]
                for side in (LONG, SHORT)
            ]
        )

    def auctions(self, mt, mi, slot, oracle, tick, now=None, exclude=()):
        rows = []
        for k, auth, o in self.live():
            if (o.market_type, o.market_index) != (mt, mi) or self._untriggered(o):
                continue
            if self._is_resting(o, slot) or is_auction_complete(o, slot):
                continue
            if not self._passes(k, auth, o, now, exclude):
                continue
            try:
                price = limit_price(o, slot, oracle, tick)
            except AuctionMathError:
                price = None
            rows.append(((o.slot, k, o.order_id), AuctionOrder(k, auth, o, price)))
        rows.sort(key=lambda r: r[0])
        return [r[1] for r in rows]

    def crosses(self, mt, mi, slot, oracle, tick, max_makers, now=None, exclude=()):
        out = []
        for t in self.auctions(mt, mi, slot, oracle, tick, now, exclude):
            if t.price is None:
                continue
            side = t.order.direction
            left = t.order.base_asset_amount - t.order.base_asset_amount_filled
            fills = []
            for price, k, auth, o in self.resting(
                mt, mi, 1 - side, slot, oracle, tick, now, exclude
            ):
                crosses = price <= t.price if side == LONG else price >= t.price
                if not crosses:
                    break
                if k == t.user:
                    continue
                fill = min(o.base_asset_amount - o.base_asset_amount_filled, left)
                fills.append(MakerFill(k, auth, o, price, fill))
                left -= fill
                if left == 0 or len(fills) == max_makers:
                    break
            if fills:
                out.append(AuctionCross(t, fills))
        return out

    def top_makers(
        self, mt, mi, side, size, slot, oracle, tick, max_makers=None, now=None, exclude=()
    ):
        out = []
        left = size
        for price, k, auth, o in self.resting(mt, mi, side, slot, oracle, tick, now, exclude):
            if left <= 0 or (max_makers is not None and len(out) == max_makers):
                break
            fill = min(o.base_asset_amount - o.base_asset_amount_filled, left)
            out.append(MakerFill(k, auth, o, price, fill))
            left -= fill
        return out

    def triggers(self, mt, mi, now=None, exclude=()):
        above, below = [], []
        for k, auth, o in self.live():
            if (o.market_type, o.market_index) != (mt, mi) or not self._untriggered(o):
                continue
            if not self._passes(k, auth, o, now, exclude):
                continue
            if o.trigger_condition == 0:
                above.append(((o.trigger_price, o.slot, k, o.order_id), (k, o)))
            else:
                below.append(((-o.trigger_price, o.slot, k, o.order_id), (k, o)))
        return [r[1] for r in sorted(above)], [r[1] for r in sorted(below)]
