"""Random sequences of order life-cycles and messy delivery, DLOB against a naive model.

A small simulated chain holds the true User accounts of four users (two of them sub-accounts
of one authority) on three markets (perp 0, perp 1, spot 0). Rules place every order kind,
fill partly or fully, cancel, trigger, expire (advance ``now``), advance the slot, move the
oracle, and deliver account states late, twice, out of order or not at all; reconnects
``load`` a snapshot and accounts get removed. After every step every query of the DLOB is
compared with ``RefBook`` (tests/dlob/helpers.py) at the current slot or an older one, with
and without excluded accounts.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from jitmaker.accounts.order import EMPTY_ORDER, Order
from jitmaker.accounts.user import User
from jitmaker.dlob import DLOB
from tests.dlob.helpers import (
    BASE,
    LIMIT,
    LONG,
    MARKET,
    ORACLE,
    PERP,
    SPOT,
    TRIGGER_LIMIT,
    TRIGGER_MARKET,
    RefBook,
    key,
)

MARKETS = [(PERP, 0, 100), (PERP, 1, 100), (SPOT, 0, 1_000)]  # (type, index, tick)
USERS = [key(1), key(2), key(3), key(4)]
AUTHORITY = {key(1): key(11), key(2): key(11), key(3): key(13), key(4): key(14)}
EXCLUDES = [frozenset(), frozenset({key(1)}), frozenset({key(11)}), frozenset({key(13), key(4)})]
# weighted: resting and floating orders make the book that takers cross and ties happen in
KINDS = [
    *["rest"] * 3,
    *["float"] * 4,
    "limit_auction",
    "float_auction",
    "market",
    "oracle",
    "trigger_market",
    "trigger_limit",
]
MAX_ID = 10  # ids wrap quickly so that a stale state can hold another order under the same id
STEP = 10_000_000


def _live(o: Order) -> bool:
    return o.status == 1 and o.base_asset_amount > o.base_asset_amount_filled


_SPEC = st.tuples(
    st.sampled_from(USERS),
    st.integers(0, 2),  # market
    st.sampled_from(KINDS),
    st.integers(0, 1),  # direction
    st.integers(-6, 6),  # price level in ticks from 100.0
    st.integers(0, 4),  # auction distances (a, b)
    st.integers(0, 4),
    st.integers(0, 20),  # auction duration
    st.integers(1, 30),  # size in steps
    st.sampled_from([0, 0, 0, 1, 3]),  # max_ts - now
    st.sampled_from([True, True, True, False]),  # delivered now
)


class DlobMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dlob = DLOB()
        self.ref = RefBook()
        self.slot = 100
        self.now = 1_700_000_000
        self.oracle = [100_000_000, 100_000_000, 100_000_000]
        self.chain = {k: [EMPTY_ORDER] * 32 for k in USERS}
        self.next_id = dict.fromkeys(USERS, 1)
        self.history: dict[bytes, list[tuple[int, User]]] = {k: [] for k in USERS}
        self.back = 0
        self.exclude = EXCLUDES[0]
        self.removed: set[bytes] = set()  # removed and not changed on chain since

    # ---- delivery ----
    def _deliver(self, k: bytes, slot: int, u: User) -> None:
        applied = self.ref.apply(k, u, slot)
        events = self.dlob.apply_user(k, u, slot)
        if not applied:
            assert events == []

    def _publish(self, k: bytes, deliver: bool) -> None:
        u = User.new(authority=AUTHORITY[k], orders=list(self.chain[k]))
        self.history[k].append((self.slot, u))
        self.removed.discard(k)
        if deliver:
            self._deliver(k, self.slot, u)

    def _live_indexes(self, k: bytes) -> list[int]:
        return [i for i, o in enumerate(self.chain[k]) if _live(o)]

    # ---- order life-cycle ----
    @initialize(specs=st.lists(_SPEC, min_size=4, max_size=14))
    def seed(self, specs):
        for spec in specs:
            self._place(*spec)

    @rule(specs=st.lists(_SPEC, min_size=1, max_size=3))
    def place(self, specs):
        for spec in specs:
            self._place(*spec)

    def _place(self, u, m, kind, direction, level, a, b, dur, size, expiry, deliver):
        orders = self.chain[u]
        free = [i for i, o in enumerate(orders) if o.status != 1]
        used = {o.order_id for o in orders if o.status == 1}
        if not free or len(used) >= MAX_ID:
            return
        oid = self.next_id[u]
        while oid in used:
            oid = oid % MAX_ID + 1
        self.next_id[u] = oid % MAX_ID + 1
        self.slot += 1
        mtype, mindex, tick = MARKETS[m]
        sign = 1 if direction == LONG else -1  # aggressive direction for the order
        far, near = max(a, b), min(a, b)
        price = 100_000_000 + level * tick
        offset = level * 50 or 50
        f = {
            "status": 1,
            "order_id": oid,
            "slot": self.slot,
            "market_type": mtype,
            "market_index": mindex,
            "direction": direction,
            "base_asset_amount": size * STEP,
            "max_ts": self.now + expiry if expiry else 0,
        }
        if kind == "rest":
            f |= {"order_type": LIMIT, "price": price, "post_only": True}
        elif kind == "float":
            f |= {"order_type": LIMIT, "oracle_price_offset": offset, "post_only": True}
        elif kind == "limit_auction":  # start and end no more aggressive than the limit
            f |= {
                "order_type": LIMIT,
                "price": price,
                "auction_duration": dur,
                "auction_start_price": price - sign * far * tick,
                "auction_end_price": price - sign * near * tick,
            }
        elif kind == "float_auction":
            f |= {
                "order_type": LIMIT,
                "oracle_price_offset": offset,
                "auction_duration": dur,
                "auction_start_price": offset - sign * far * 50,
                "auction_end_price": offset - sign * near * 50,
            }
        elif kind == "market":
            start = price - sign * far * tick
            f |= {
                "order_type": MARKET,
                "price": 0 if b % 2 else price + sign * tick,
                "auction_duration": dur,
                "auction_start_price": start,
                "auction_end_price": price,
            }
        elif kind == "oracle":
            f |= {
                "order_type": ORACLE,
                "oracle_price_offset": 0 if b % 2 else sign * 200,
                "auction_duration": dur,
                "auction_start_price": -sign * far * 50,
                "auction_end_price": -sign * near * 50,
            }
        else:  # untriggered trigger orders
            f |= {
                "order_type": TRIGGER_MARKET if kind == "trigger_market" else TRIGGER_LIMIT,
                "price": price if kind == "trigger_limit" else 0,
                "trigger_price": price + a * tick,
                "trigger_condition": b % 2,
            }
        orders[free[0]] = Order.new(**f)
        self._publish(u, deliver)

    @rule(
        u=st.sampled_from(USERS),
        pick=st.integers(0, 31),
        part=st.integers(1, 29),
        deliver=st.booleans(),
    )
    def partial_fill(self, u, pick, part, deliver):
        live = self._live_indexes(u)
        if not live:
            return
        i = live[pick % len(live)]
        o = self.chain[u][i]
        left = o.base_asset_amount - o.base_asset_amount_filled
        fill = min(part * STEP, left - STEP)
        if fill <= 0:
            return
        self.slot += 1
        self.chain[u][i] = o.replace(
            base_asset_amount_filled=o.base_asset_amount_filled + fill,
            quote_asset_amount_filled=o.quote_asset_amount_filled + fill // 10,
        )
        self._publish(u, deliver)

    @rule(
        u=st.sampled_from(USERS),
        pick=st.integers(0, 31),
        cancel=st.booleans(),
        deliver=st.booleans(),
    )
    def fill_or_cancel(self, u, pick, cancel, deliver):
        live = self._live_indexes(u)
        if not live:
            return
        i = live[pick % len(live)]
        o = self.chain[u][i]
        self.slot += 1
        self.chain[u][i] = (
            o.replace(status=3)
            if cancel
            else o.replace(status=2, base_asset_amount_filled=o.base_asset_amount)
        )
        self._publish(u, deliver)

    @rule(
        u=st.sampled_from(USERS),
        pick=st.integers(0, 31),
        dur=st.integers(0, 5),
        deliver=st.booleans(),
    )
    def trigger(self, u, pick, dur, deliver):
        idx = [
            i
            for i in self._live_indexes(u)
            if self.chain[u][i].order_type in (TRIGGER_MARKET, TRIGGER_LIMIT)
            and self.chain[u][i].trigger_condition < 2
        ]
        if not idx:
            return
        i = idx[pick % len(idx)]
        o = self.chain[u][i]
        self.slot += 1
        end = o.price or o.trigger_price
        sign = 1 if o.direction == LONG else -1
        self.chain[u][i] = o.replace(
            trigger_condition=o.trigger_condition + 2,
            slot=self.slot,
            auction_duration=dur,
            auction_start_price=end - sign * 300,
            auction_end_price=end,
        )
        self._publish(u, deliver)

    # ---- time and prices ----
    @rule(slots=st.integers(1, 8), secs=st.integers(0, 3))
    def advance(self, slots, secs):
        self.slot += slots
        self.now += secs

    @rule(m=st.integers(0, 2), move=st.integers(-400, 400))
    def move_oracle(self, m, move):
        self.oracle[m] += move * 25

    @rule(back=st.integers(0, 6), exclude=st.integers(0, len(EXCLUDES) - 1))
    def query_mode(self, back, exclude):
        self.back = back
        self.exclude = EXCLUDES[exclude]

    # ---- delivery problems ----
    @precondition(lambda self: any(self.history.values()))
    @rule(u=st.sampled_from(USERS), age=st.integers(0, 4))
    def redeliver(self, u, age):
        """Deliver an older state (out of order) or the latest again (duplicate)."""
        hist = self.history[u]
        if hist:
            slot, state = hist[max(0, len(hist) - 1 - age)]
            self._deliver(u, slot, state)

    @rule()
    def sync_all(self):
        """Deliver every account's latest state: the book must then equal the chain."""
        for k in USERS:
            if self.history[k]:
                slot, state = self.history[k][-1]
                self._deliver(k, slot, state)
        for k in USERS:
            if self.history[k] and k not in self.removed:
                assert self.dlob.user_orders(k) == [o for o in self.chain[k] if _live(o)]

    @rule()
    def reconnect(self):
        snapshot = {
            k: User.new(authority=AUTHORITY[k], orders=list(self.chain[k]))
            for k in USERS
            if self.history[k]
        }
        self.slot += 1
        assert self.dlob.load(snapshot, self.slot) == self.ref.load(snapshot, self.slot)
        self.removed.clear()

    @rule(u=st.sampled_from(USERS))
    def remove_user(self, u):
        self.dlob.remove_user(u)
        self.ref.remove(u)
        self.removed.add(u)

    # ---- the comparison ----
    @invariant()
    def queries_agree(self):
        dlob, ref = self.dlob, self.ref
        slot = self.slot - self.back
        now, ex = self.now, self.exclude
        assert len(dlob) == sum(1 for _ in ref.live())
        for k in USERS:
            assert dlob.user_orders(k) == ref.user_orders(k)
        for m, (mt, mi, tick) in enumerate(MARKETS):
            px = self.oracle[m]
            for side in (0, 1):
                best = (dlob.best_bid if side == 0 else dlob.best_ask)(
                    mi, slot, px, tick, market_type=mt, now=now, exclude=ex
                )
                assert best == ref.best(mt, mi, side, slot, px, tick, now, ex)
                assert dlob.top_makers(
                    mi,
                    side,
                    2 * BASE // 10,
                    slot,
                    px,
                    tick,
                    max_makers=3,
                    market_type=mt,
                    now=now,
                    exclude=ex,
                ) == ref.top_makers(mt, mi, side, 2 * BASE // 10, slot, px, tick, 3, now, ex)
            # unfiltered best price too (the fast path)
            assert dlob.best_bid(mi, self.slot, px, tick, market_type=mt) == ref.best(
                mt, mi, 0, self.slot, px, tick
            )
            assert dlob.l2(mi, slot, px, tick, 3, market_type=mt, now=now, exclude=ex) == ref.l2(
                mt, mi, slot, px, tick, 3, now, ex
            )
            assert dlob.l3(mi, slot, px, tick, market_type=mt, now=now, exclude=ex) == ref.l3(
                mt, mi, slot, px, tick, now, ex
            )
            assert dlob.auctions(
                mi, slot, px, tick, market_type=mt, now=now, exclude=ex
            ) == ref.auctions(mt, mi, slot, px, tick, now, ex)
            for cap in (1, 3):
                assert dlob.find_crosses_for_auctions(
                    mi, slot, px, tick, cap, market_type=mt, now=now, exclude=ex
                ) == ref.crosses(mt, mi, slot, px, tick, cap, now, ex)
            assert dlob.trigger_orders(mi, market_type=mt, now=now, exclude=ex) == ref.triggers(
                mt, mi, now, ex
            )


DlobMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=50, deadline=None)
TestDlobStateMachine = DlobMachine.TestCase
