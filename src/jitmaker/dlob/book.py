"""The in-memory decentralized limit order book (DLOB), kept incrementally from User accounts.

Fed with whole decoded User accounts (``apply_user``), it diffs each against the account's
previous state and applies only the changed orders; a per-account slot guard drops updates
older than the last one applied, so a late or replayed websocket message can never bring a
filled or cancelled ("ghost") order back. ``load`` replaces everything after a reconnect.

Layout, per market (perp and spot markets side by side) and side:

* ``fixed``: resting limit orders with a stored price, in a ``SortedList`` keyed
  ``(price, slot, user, order_id)`` (bids by ``-price``), which is price-time priority with a
  stable tie-break; the node rides along as a fifth item that is never compared.
* ``floating``: resting oracle-offset limit orders keyed by offset instead of price. Their
  price is ``standardize(max(oracle + offset, tick))``, monotone in the offset, so one
  ordering serves every oracle price; queries merge them with ``fixed`` at the oracle given.
* ``takers``: orders that take: market, oracle and triggered trigger-market orders, and
  non-post-only limit orders while their auction runs. Those limit orders rest once
  ``slot > order.slot + duration``, which happens without any account update, so each one
  also sits in a heap by that slot and moves to ``fixed``/``floating`` when a query first
  passes it. Queries at an older slot than the newest one queried stay exact (entries know
  the slot they rest from) but take a slower path.
* ``triggers``: untriggered trigger orders, apart (above: by trigger price ascending, below:
  descending).

Keys: account keys and authorities are 32-byte ``bytes`` (``bytes(pubkey)``): cheaper to hash
and compare than ``solders.Pubkey``, and what the decoder holds. Methods accept a ``Pubkey``
too and convert it.

Queries take the slot, oracle price and tick size, plus ``now`` (unix seconds; orders with
``max_ts != 0 and now > max_ts`` are expired and left out; None skips the check) and
``exclude`` (a set of account keys or authorities whose orders are left out: our own).
Not modelled: the maker oracle-band cancellation and reduce-only checks (they need market and
position data), protected-maker offsets and prediction-market price caps.
"""

from __future__ import annotations

import gc
import heapq
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from itertools import count
from typing import Any, Protocol

from sortedcontainers import SortedList

from jitmaker.accounts.enums import MarketType
from jitmaker.accounts.order import (
    I_AUCTION_DURATION,
    I_BASE,
    I_BASE_FILLED,
    I_DIRECTION,
    I_MARKET_INDEX,
    I_MARKET_TYPE,
    I_MAX_TS,
    I_ORACLE_OFFSET,
    I_ORDER_ID,
    I_ORDER_TYPE,
    I_POST_ONLY,
    I_PRICE,
    I_SLOT,
    I_STATUS,
    I_TRIGGER_CONDITION,
    I_TRIGGER_PRICE,
    Order,
)
from jitmaker.auction import AuctionMathError, limit_price
from jitmaker.dlob.events import (
    OrderEvent,
    OrderInserted,
    OrderRemoved,
    diff_user_orders,
    is_live,
    is_same_logical_order,
)
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

__all__ = ["DLOB", "UserLike"]

_PERP = int(MarketType.PERP)
_LIMIT, _TRIGGER_MARKET, _TRIGGER_LIMIT = 1, 2, 3


class UserLike(Protocol):
    """What the book reads from a decoded User account.

    The authority is read from ``authority_bytes`` when the object has it (the decoder's raw
    32 bytes), else from ``authority`` (bytes or ``Pubkey``).
    """

    @property
    def authority(self) -> Any: ...

    @property
    def orders(self) -> Sequence[Order]: ...


def _key(pubkey: Any) -> bytes:
    return pubkey if type(pubkey) is bytes else bytes(pubkey)


def _authority(user: UserLike) -> bytes:
    auth = getattr(user, "authority_bytes", None)
    return auth if type(auth) is bytes else _key(user.authority)


# A node is one live order and where it sits. It is a plain list indexed by these constants:
# cheaper to build than a slotted object, and a bulk load builds one per order.
_USER, _AUTH, _ORDER, _KEY, _ENTRY, _HOME, _RF, _MKT = range(8)
# _KEY: (user, order id); _ENTRY: the SortedList item, None while in a takers dict; _HOME: the
# SortedList or takers dict holding it, None once removed; _RF: first slot at which a limit
# order rests (0: from placement); _MKT: its _Market.
_Node = list


def _new_node(user: bytes, auth: bytes, order: Order, mkt: _Market) -> _Node:
    return [user, auth, order, (user, order[I_ORDER_ID]), None, None, 0, mkt]


class _Market:
    __slots__ = ("fixed", "floating", "takers", "triggers")

    def __init__(self) -> None:
        self.fixed = (SortedList(), SortedList())  # [bids, asks]
        self.floating = (SortedList(), SortedList())
        self.takers: tuple[dict, dict] = ({}, {})
        self.triggers = (SortedList(), SortedList())  # [above, below]


def _merge(a: Iterator[tuple], b: Iterator[tuple]) -> Iterator[tuple]:
    """Merge two ascending streams (a two-way heapq.merge without its heap overhead)."""
    x = next(a, None)
    y = next(b, None)
    while x is not None and y is not None:
        if x < y:
            yield x
            x = next(a, None)
        else:
            yield y
            y = next(b, None)
    if x is not None:
        yield x
        yield from a
    if y is not None:
        yield y
        yield from b


_Filter = Callable[[_Node], bool] | None
_Item = tuple  # (key price, slot, user, order_id, node): key price = -price for bids


class DLOB:
    """Every market's orders, kept from User account updates; see the module docstring."""

    def __init__(self) -> None:
        self._markets: dict[int, _Market] = {}
        self._nodes: dict[tuple[bytes, int], _Node] = {}
        self._users: dict[bytes, tuple[bytes, Sequence[Order]]] = {}
        self._slots: dict[bytes, int] = {}  # last applied slot per account; outlives removal
        self._floor = 0  # slot of the last snapshot: older updates of any account are stale
        self._slot = 0  # newest slot queried: resting lists are exact for it
        self._pending: list[tuple[int, int, _Node]] = []  # (rests-from slot, seq, node)
        self._seq = count()
        self.stale_updates = 0
        """How many updates the slot guard dropped."""

    # ------------------------------------------------------------------ updates

    def apply_user(self, pubkey: Any, user: UserLike, slot: int) -> list[OrderEvent]:
        """Apply a new state of one User account seen at ``slot``; return the order events.

        An update older than the last one applied to that account (or than the last ``load``)
        is dropped and returns no events; one at the same slot is applied (the diff makes a
        duplicate a no-op).
        """
        key = _key(pubkey)
        last = self._slots.get(key)
        if slot < (self._floor if last is None else last):
            self.stale_updates += 1
            return []
        self._slots[key] = slot
        auth = _authority(user)
        orders = user.orders
        prev = self._users.get(key)
        if prev is None:
            events = diff_user_orders(key, (), orders)
        else:
            if prev[0] != auth:
                self._restamp(key, prev[1], auth)
            events = diff_user_orders(key, prev[1], orders)
        self._users[key] = (auth, orders)
        if events:
            self._apply(events, auth)
        return events

    def remove_user(self, pubkey: Any) -> list[OrderEvent]:
        """Forget an account (closed, or no longer followed); its slot guard stays."""
        key = _key(pubkey)
        prev = self._users.pop(key, None)
        if prev is None:
            return []
        events = diff_user_orders(key, prev[1], ())
        self._apply(events, prev[0])
        return events

    def load(
        self, snapshot: Mapping[Any, UserLike] | Iterable[tuple[Any, UserLike]], slot: int
    ) -> LoadReport:
        """Replace the whole book with ``snapshot`` (account key → User) taken at ``slot``.

        Every account's slot guard restarts at ``slot``. The report counts the ghost orders
        (in the old book, not in the snapshot) and missing ones (the other way) it corrected.
        """
        # The cyclic GC would rescan the whole (large, live) heap several times while a
        # bulk load allocates three objects per order: pause it, as the load creates no garbage.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._load(snapshot, slot)
        finally:
            if gc_was_enabled:
                gc.enable()

    def _load(
        self, snapshot: Mapping[Any, UserLike] | Iterable[tuple[Any, UserLike]], slot: int
    ) -> LoadReport:
        items = snapshot.items() if isinstance(snapshot, Mapping) else snapshot
        old_nodes = self._nodes
        self._markets = markets = {}
        self._nodes = nodes = {}
        self._users = users = {}
        self._floor = slot
        self._pending = []
        # Entries are staged per list and sorted once at the end (SortedList.update).
        stage: dict[int, tuple[SortedList, list]] = {}
        fast: dict[int, tuple[_Market, tuple[list, list], tuple[list, list]]] = {}
        attach = self._attach
        for pubkey, user in items:
            key = _key(pubkey)
            auth = _authority(user)
            orders = user.orders
            users[key] = (auth, orders)
            for o in orders:
                if o[I_STATUS] != 1 or o[I_BASE] <= o[I_BASE_FILLED]:
                    continue
                oid = o[I_ORDER_ID]
                otype = o[I_ORDER_TYPE]
                side = o[I_DIRECTION]
                mkey = o[I_MARKET_INDEX] << 1 | o[I_MARKET_TYPE]
                staged = fast.get(mkey)
                if staged is None:
                    mk = markets[mkey] = _Market()
                    staged = fast[mkey] = (mk, ([], []), ([], []))
                mk = staged[0]
                nkey = (key, oid)
                if nkey in nodes:  # a duplicate live id (impossible on chain): keep the first
                    continue
                node = [key, auth, o, nkey, None, None, 0, mk]
                nodes[nkey] = node
                if otype == _LIMIT and (o[I_POST_ONLY] or o[I_AUCTION_DURATION] == 0):
                    # resting limit order, the bulk of any book: placed inline (as _rest)
                    offset = o[I_ORACLE_OFFSET]
                    if offset:
                        entry = (-offset if side == 0 else offset, o[I_SLOT], key, oid, node)
                        node[_HOME] = mk.floating[side]
                        staged[2][side].append(entry)
                    else:
                        price = o[I_PRICE]
                        entry = (-price if side == 0 else price, o[I_SLOT], key, oid, node)
                        node[_HOME] = mk.fixed[side]
                        staged[1][side].append(entry)
                    node[_ENTRY] = entry
                else:
                    attach(node, stage)
        self._slots = dict.fromkeys(users, slot)
        for mk, fixed, floating in fast.values():
            for side in (0, 1):
                if fixed[side]:
                    mk.fixed[side].update(fixed[side])
                if floating[side]:
                    mk.floating[side].update(floating[side])
        for sl, entries in stage.values():
            sl.update(entries)
        heapq.heapify(self._pending)
        matched = changed = 0
        if old_nodes:
            for k, node in nodes.items():
                old = old_nodes.get(k)
                if old is not None and is_same_logical_order(old[_ORDER], node[_ORDER]):
                    matched += 1
                    changed += old[_ORDER] != node[_ORDER]
        missing = len(nodes) - matched
        return LoadReport(len(users), len(nodes), len(old_nodes) - matched, missing, changed)

    def _restamp(self, key: bytes, orders: Sequence[Order], auth: bytes) -> None:
        for o in orders:
            node = self._nodes.get((key, o[I_ORDER_ID]))
            if node is not None:
                node[_AUTH] = auth

    def _apply(self, events: list[OrderEvent], auth: bytes) -> None:
        nodes = self._nodes
        for ev in events:
            if type(ev) is OrderRemoved:
                self._detach(nodes.pop((ev.user, ev.order[I_ORDER_ID])))
            elif type(ev) is OrderInserted:
                user, o = ev
                mk = self._markets.get(o[I_MARKET_INDEX] << 1 | o[I_MARKET_TYPE])
                if mk is None:
                    mk = self._market_for(o)
                nkey = (user, o[I_ORDER_ID])
                node = [user, auth, o, nkey, None, None, 0, mk]
                nodes[nkey] = node
                if o[I_ORDER_TYPE] == _LIMIT and (o[I_POST_ONLY] or o[I_AUCTION_DURATION] == 0):
                    self._rest(node)  # resting from placement: the common case
                else:
                    self._attach(node)
            else:  # OrderUpdated
                o = ev.old
                n = ev.new
                node = nodes[(ev.user, o[I_ORDER_ID])]
                if (
                    o[I_SLOT] == n[I_SLOT]
                    and o[I_TRIGGER_CONDITION] == n[I_TRIGGER_CONDITION]
                    and o[I_AUCTION_DURATION] == n[I_AUCTION_DURATION]
                ):
                    node[_ORDER] = n  # same place in the book: a fill
                else:  # a trigger fired: it moves to another list
                    self._detach(node)
                    node = _new_node(ev.user, auth, n, node[_MKT])
                    nodes[node[_KEY]] = node
                    self._attach(node)

    def _market_for(self, order: Order) -> _Market:
        mkey = order[I_MARKET_INDEX] << 1 | order[I_MARKET_TYPE]
        mk = self._markets.get(mkey)
        if mk is None:
            mk = self._markets[mkey] = _Market()
        return mk

    def _attach(self, node: _Node, stage: dict | None = None) -> None:
        o = node[_ORDER]
        otype = o[I_ORDER_TYPE]
        mk = node[_MKT]
        if (otype == _TRIGGER_MARKET or otype == _TRIGGER_LIMIT) and o[I_TRIGGER_CONDITION] < 2:
            if o[I_TRIGGER_CONDITION] == 0:  # Above: fires first at the lowest trigger price
                sl = mk.triggers[0]
                entry = (o[I_TRIGGER_PRICE], o[I_SLOT], node[_USER], o[I_ORDER_ID], node)
            else:
                sl = mk.triggers[1]
                entry = (-o[I_TRIGGER_PRICE], o[I_SLOT], node[_USER], o[I_ORDER_ID], node)
            self._add(sl, entry, node, stage)
            return
        if otype == _LIMIT or otype == _TRIGGER_LIMIT:
            dur = o[I_AUCTION_DURATION]
            rf = 0 if (o[I_POST_ONLY] or dur == 0) else o[I_SLOT] + dur + 1
            node[_RF] = rf
            if rf <= self._slot:
                self._rest(node, stage)
                return
            heapq.heappush(self._pending, (rf, next(self._seq), node))
        takers = mk.takers[o[I_DIRECTION]]
        takers[node[_KEY]] = node
        node[_HOME] = takers

    def _rest(self, node: _Node, stage: dict | None = None) -> None:
        o = node[_ORDER]
        side = o[I_DIRECTION]
        offset = o[I_ORACLE_OFFSET]
        if offset:
            sl = node[_MKT].floating[side]
            k = -offset if side == 0 else offset
        else:
            sl = node[_MKT].fixed[side]
            k = -o[I_PRICE] if side == 0 else o[I_PRICE]
        entry = (k, o[I_SLOT], node[_USER], o[I_ORDER_ID], node)
        if stage is None:
            node[_ENTRY] = entry
            node[_HOME] = sl
            sl.add(entry)
        else:
            self._add(sl, entry, node, stage)

    @staticmethod
    def _add(sl: SortedList, entry: tuple, node: _Node, stage: dict | None) -> None:
        node[_ENTRY] = entry
        node[_HOME] = sl
        if stage is None:
            sl.add(entry)
        else:
            slot = stage.get(id(sl))
            if slot is None:
                stage[id(sl)] = (sl, [entry])
            else:
                slot[1].append(entry)

    @staticmethod
    def _detach(node: _Node) -> None:
        if node[_ENTRY] is not None:
            node[_HOME].remove(node[_ENTRY])
            node[_ENTRY] = None
        else:
            del node[_HOME][node[_KEY]]
        node[_HOME] = None

    def _advance(self, slot: int) -> None:
        """Move to the resting lists every limit order whose auction completed by ``slot``."""
        self._slot = slot
        pending = self._pending
        while pending and pending[0][0] <= slot:
            node = heapq.heappop(pending)[2]
            if node[_HOME] is not None and node[_ENTRY] is None:
                del node[_HOME][node[_KEY]]
                self._rest(node)

    # ------------------------------------------------------------------ queries

    def __len__(self) -> int:
        return len(self._nodes)

    def user_orders(self, pubkey: Any) -> list[Order]:
        """One account's live orders, in account slot order."""
        prev = self._users.get(_key(pubkey))
        return [] if prev is None else [o for o in prev[1] if is_live(o)]

    def get_order(self, pubkey: Any, order_id: int) -> Order | None:
        node = self._nodes.get((_key(pubkey), order_id))
        return None if node is None else node[_ORDER]

    def best_bid(
        self,
        market_index: int,
        slot: int,
        oracle_price: int,
        tick_size: int = 1,
        *,
        market_type: int = _PERP,
        now: int | None = None,
        exclude: Collection[bytes] = (),
    ) -> int | None:
        """Highest resting bid price (fixed and floating merged), None if the side is empty."""
        mk = self._prepare(market_index, market_type, slot)
        return self._best(mk, 0, slot, oracle_price, tick_size, now, exclude)

    def best_ask(
        self,
        market_index: int,
        slot: int,
        oracle_price: int,
        tick_size: int = 1,
        *,
        market_type: int = _PERP,
        now: int | None = None,
        exclude: Collection[bytes] = (),
    ) -> int | None:
        """Lowest resting ask price (fixed and floating merged), None if the side is empty."""
        mk = self._prepare(market_index, market_type, slot)
        return self._best(mk, 1, slot, oracle_price, tick_size, now, exclude)

    def _best(
        self,
        mk: _Market | None,
        side: int,
        slot: int,
        oracle: int,
        tick: int,
        now: int | None,
        exclude: Collection[bytes],
    ) -> int | None:
        if mk is None:
            return None
        ok = self._filter(slot, now, exclude)
        best = None
        fixed = mk.fixed[side]
        if fixed:
            if ok is None:
                best = fixed[0][0]
            else:
                for e in fixed:
                    if ok(e[4]):
                        best = e[0]
                        break
        floating = mk.floating[side]
        if floating:
            e = None
            if ok is None:
                e = floating[0]
            else:
                for f in floating:
                    if ok(f[4]):
                        e = f
                        break
            if e is not None:
                if side == 0:
                    p = oracle - e[0]
                    if p < tick:
                        p = tick
                    kp = -(p - p % tick)
                else:
                    p = oracle + e[0]
                    if p < tick:
                        p = tick
                    r = p % tick
                    kp = p + tick - r if r else p
                if best is None or kp < best:
                    best = kp
        if best is None:
            return None
        return -best if side == 0 else best

    def _filter(
        self, slot: int, now: int | None, exclude: Collection[bytes], resting: bool = True
    ) -> _Filter:
        """A node predicate for the query, or None when every node passes.

        For resting lists (``resting``) a query older than the newest slot queried also
        leaves out the orders that were still in their auction at ``slot``.
        """
        back = resting and slot < self._slot
        if not back and now is None and not exclude:
            return None

        def ok(node: _Node) -> bool:
            if back and node[_RF] > slot:
                return False
            if now is not None:
                max_ts = node[_ORDER][I_MAX_TS]
                if max_ts and now > max_ts:
                    return False
            return not (exclude and (node[_USER] in exclude or node[_AUTH] in exclude))

        return ok

    def _prepare(self, market_index: int, market_type: int, slot: int) -> _Market | None:
        mk = self._markets.get(market_index << 1 | market_type)
        if mk is not None and slot > self._slot:
            self._advance(slot)
        return mk

    def _resting(
        self, mk: _Market, side: int, oracle: int, tick: int, ok: _Filter
    ) -> Iterator[_Item]:
        """Resting orders of one side in priority order: (key price, slot, user, id, node)."""
        fixed = mk.fixed[side]
        fixed_items: Iterable[_Item] = fixed if ok is None else (e for e in fixed if ok(e[4]))
        floating = mk.floating[side]
        if not floating:
            return iter(fixed_items)
        float_items = self._floating(floating, side, oracle, tick, ok)
        if not fixed:
            return float_items
        return _merge(iter(fixed_items), float_items)

    @staticmethod
    def _floating(
        sl: SortedList, side: int, oracle: int, tick: int, ok: _Filter
    ) -> Iterator[_Item]:
        """Floating orders priced at ``oracle``; equal prices re-sorted by slot then key."""
        group: list[_Item] = []
        group_kp = None
        for e in sl:
            node = e[4]
            if ok is not None and not ok(node):
                continue
            if side == 0:
                p = oracle - e[0]
                if p < tick:
                    p = tick
                kp = -(p - p % tick)
            else:
                p = oracle + e[0]
                if p < tick:
                    p = tick
                r = p % tick
                kp = p + tick - r if r else p
            if kp != group_kp:
                if group:
                    if len(group) > 1:
                        group.sort()
                    yield from group
                group = []
                group_kp = kp
            group.append((kp, e[1], e[2], e[3], node))
        if group:
            if len(group) > 1:
                group.sort()
            yield from group

    def l2(
        self,
        market_index: int,
        slot: int,
        oracle_price: int,
        tick_size: int = 1,
        depth: int = 10,
        *,
        market_type: int = _PERP,
        now: int | None = None,
        exclude: Collection[bytes] = (),
    ) -> L2Book:
        """The top ``depth`` price levels of resting orders per side, sizes summed."""
        mk = self._prepare(market_index, market_type, slot)
        if mk is None:
            return L2Book([], [])
        ok = self._filter(slot, now, exclude)
        return L2Book(
            self._levels(self._resting(mk, 0, oracle_price, tick_size, ok), depth, True),
            self._levels(self._resting(mk, 1, oracle_price, tick_size, ok), depth, False),
        )

    @staticmethod
    def _levels(items: Iterator[_Item], depth: int, bid: bool) -> list[Level]:
        levels: list[Level] = []
        kp_now = None
        size = 0
        for e in items:
            o = e[4][_ORDER]
            if e[0] != kp_now:
                if kp_now is not None:
                    levels.append(Level(-kp_now if bid else kp_now, size))
                    if len(levels) >= depth:
                        return levels
                kp_now = e[0]
                size = 0
            size += o[I_BASE] - o[I_BASE_FILLED]
        if kp_now is not None and len(levels) < depth:
            levels.append(Level(-kp_now if bid else kp_now, size))
        return levels

    def l3(
        self,
        market_index: int,
        slot: int,
        oracle_price: int,
        tick_size: int = 1,
        *,
        market_type: int = _PERP,
        now: int | None = None,
        exclude: Collection[bytes] = (),
    ) -> L3Book:
        """Every resting order per side in priority order, at its price for the query."""
        mk = self._prepare(market_index, market_type, slot)
        if mk is None:
            return L3Book([], [])
        ok = self._filter(slot, now, exclude)
        sides = []
        for side in (0, 1):
            sign = -1 if side == 0 else 1
            sides.append(
                [
                    L3Order(
                        sign * e[0],
                        e[4][_ORDER][I_BASE] - e[4][_ORDER][I_BASE_FILLED],
                        e[2],
                        e[4][_ORDER],
                    )
                    for e in self._resting(mk, side, oracle_price, tick_size, ok)
                ]
            )
        return L3Book(sides[0], sides[1])

    def auctions(
        self,
        market_index: int,
        slot: int,
        oracle_price: int,
        tick_size: int = 1,
        *,
        market_type: int = _PERP,
        now: int | None = None,
        exclude: Collection[bytes] = (),
    ) -> list[AuctionOrder]:
        """Orders whose auction is live at ``slot``, with their price at that slot.

        Sorted by (order slot, user, order id), both sides together.
        """
        mk = self._prepare(market_index, market_type, slot)
        if mk is None:
            return []
        ok = self._filter(slot, now, exclude, resting=False)
        found: list[tuple] = []
        for side in (0, 1):
            for node in mk.takers[side].values():
                o = node[_ORDER]
                dur = o[I_AUCTION_DURATION]
                if dur == 0 or slot - o[I_SLOT] > dur:
                    continue
                if ok is not None and not ok(node):
                    continue
                found.append((o[I_SLOT], node[_USER], o[I_ORDER_ID], node))
            if slot < self._slot:  # older slot: some resting orders were still in auction then
                for sl in (mk.fixed[side], mk.floating[side]):
                    for e in sl:
                        node = e[4]
                        if node[_RF] > slot and (ok is None or ok(node)):
                            found.append((node[_ORDER][I_SLOT], node[_USER], e[3], node))
        found.sort(key=lambda t: t[:3])
        out = []
        for _, user, _, node in found:
            try:
                price = limit_price(node[_ORDER], slot, oracle_price, tick_size)
            except AuctionMathError:
                price = None
            out.append(AuctionOrder(user, node[_AUTH], node[_ORDER], price))
        return out

    def find_crosses_for_auctions(
        self,
        market_index: int,
        slot: int,
        oracle_price: int,
        tick_size: int = 1,
        max_makers: int = 8,
        *,
        market_type: int = _PERP,
        now: int | None = None,
        exclude: Collection[bytes] = (),
    ) -> list[AuctionCross]:
        """For each auction taker, the resting makers that cross its price now, best first.

        As the program matches (protocol §5.3–5.4): a maker order crosses a taker long when
        its price <= the taker's auction price (taker short: >=); each fills at its own price
        for ``min(its remaining, taker's remaining not yet filled)``; the taker's own account
        is skipped; at most ``max_makers`` maker orders per taker. Takers are independent
        (each sees the whole book). Takers without a crossing maker are left out.
        """
        takers = self.auctions(
            market_index,
            slot,
            oracle_price,
            tick_size,
            market_type=market_type,
            now=now,
            exclude=exclude,
        )
        if not takers:
            return []
        mk = self._markets[market_index << 1 | market_type]
        ok = self._filter(slot, now, exclude)
        out: list[AuctionCross] = []
        for side in (0, 1):
            side_takers = [
                t for t in takers if t.order[I_DIRECTION] == side and t.price is not None
            ]
            if not side_takers:
                continue
            long = side == 0
            limit = max(t.price for t in side_takers) if long else min(t.price for t in side_takers)
            # The other side's crossing prefix, pulled lazily and shared by this side's takers:
            # each taker needs only its first few makers, never the whole crossing depth.
            source = self._resting(mk, 1 - side, oracle_price, tick_size, ok)
            makers: list[tuple[int, _Node]] = []
            exhausted = False
            for t in side_takers:
                tprice = t.price
                left = t.order[I_BASE] - t.order[I_BASE_FILLED]
                fills: list[MakerFill] = []
                i = 0
                while True:
                    if i == len(makers):
                        if exhausted:
                            break
                        e = next(source, None)
                        if e is None:
                            exhausted = True
                            break
                        price = e[0] if long else -e[0]
                        if (price > limit) if long else (price < limit):
                            exhausted = True
                            break
                        makers.append((price, e[4]))
                    price, node = makers[i]
                    i += 1
                    if (price > tprice) if long else (price < tprice):
                        break
                    if node[_USER] == t.user:
                        continue
                    o = node[_ORDER]
                    fill = o[I_BASE] - o[I_BASE_FILLED]
                    if fill > left:
                        fill = left
                    fills.append(MakerFill(node[_USER], node[_AUTH], o, price, fill))
                    left -= fill
                    if left <= 0 or len(fills) >= max_makers:
                        break
                if fills:
                    out.append(AuctionCross(t, fills))
        out.sort(key=lambda c: (c.taker.order[I_SLOT], c.taker.user, c.taker.order[I_ORDER_ID]))
        return out

    def top_makers(
        self,
        market_index: int,
        direction: int,
        size: int,
        slot: int,
        oracle_price: int,
        tick_size: int = 1,
        *,
        max_makers: int | None = None,
        market_type: int = _PERP,
        now: int | None = None,
        exclude: Collection[bytes] = (),
    ) -> list[MakerFill]:
        """The best resting orders on side ``direction`` (LONG: bids) that together fill ``size``.

        Each with the part of ``size`` it would fill at its own price, best first; stops when
        ``size`` is covered or after ``max_makers`` orders.
        """
        mk = self._prepare(market_index, market_type, slot)
        if mk is None or size <= 0:
            return []
        side = int(direction)
        ok = self._filter(slot, now, exclude)
        out: list[MakerFill] = []
        left = size
        for e in self._resting(mk, side, oracle_price, tick_size, ok):
            node = e[4]
            o = node[_ORDER]
            fill = o[I_BASE] - o[I_BASE_FILLED]
            if fill > left:
                fill = left
            out.append(MakerFill(node[_USER], node[_AUTH], o, -e[0] if side == 0 else e[0], fill))
            left -= fill
            if left <= 0 or (max_makers is not None and len(out) >= max_makers):
                break
        return out

    def trigger_orders(
        self,
        market_index: int,
        *,
        market_type: int = _PERP,
        now: int | None = None,
        exclude: Collection[bytes] = (),
    ) -> tuple[list[tuple[bytes, Order]], list[tuple[bytes, Order]]]:
        """Untriggered trigger orders: (above, below), each in the order they would fire."""
        mk = self._markets.get(market_index << 1 | market_type)
        if mk is None:
            return [], []
        ok = self._filter(self._slot, now, exclude)
        return tuple(  # type: ignore[return-value]
            [(e[2], e[4][_ORDER]) for e in sl if ok is None or ok(e[4])] for sl in mk.triggers
        )

    def markets(self) -> list[tuple[MarketType, int]]:
        """The (market type, market index) pairs that ever held an order."""
        return sorted((MarketType(k & 1), k >> 1) for k in self._markets)
