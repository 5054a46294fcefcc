"""Order events and the pure diff of two states of one User account.

A User account carries its 32 order slots; the websocket only ever tells us the whole new
account. ``diff_user_orders`` turns (old state, new state) into the order-level changes the
book applies and the engine reacts to. Events are ``NamedTuple``s: immutable, typed and as
cheap to build as a tuple, which matters because every account update produces them.

Rules (after drift-rs ``compare_user_orders``):

* Only *live* orders count: status Open and some size left (``base > filled``). Filled or
  cancelled slots stay in the account with another status, so they simply stop being live.
* An ``order_id`` can be reused after wrapping, and the two states may be far apart, so an
  order with the same id is the same *logical* order only if its placement fields agree.
  Only the fill amounts may change in place, plus, for trigger orders, what triggering
  rewrites (slot, trigger condition, auction fields, flags). Anything else is a remove and
  an insert.
* Events come removes first, then updates, then inserts: a reused id must leave the book
  before its successor enters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from jitmaker.accounts.order import (
    I_AUCTION_DURATION,
    I_AUCTION_END,
    I_AUCTION_START,
    I_BASE,
    I_BASE_FILLED,
    I_BIT_FLAGS,
    I_ORDER_ID,
    I_ORDER_TYPE,
    I_POSTED_SLOT_TAIL,
    I_QUOTE_FILLED,
    I_SLOT,
    I_STATUS,
    I_TRIGGER_CONDITION,
    Order,
)

__all__ = [
    "OrderEvent",
    "OrderInserted",
    "OrderRemoved",
    "OrderUpdated",
    "diff_user_orders",
    "is_live",
    "is_same_logical_order",
]

_TRIGGER_TYPES = (2, 3)  # OrderType.TRIGGER_MARKET, OrderType.TRIGGER_LIMIT
_FILL_FIELDS = frozenset({I_BASE_FILLED, I_QUOTE_FILLED})
_TRIGGER_FIELDS = _FILL_FIELDS | {
    I_SLOT,
    I_TRIGGER_CONDITION,
    I_AUCTION_START,
    I_AUCTION_END,
    I_AUCTION_DURATION,
    I_POSTED_SLOT_TAIL,
    I_BIT_FLAGS,
}
_N_FIELDS = 25
_FIXED_FIELDS = tuple(i for i in range(_N_FIELDS) if i not in _FILL_FIELDS)
_FIXED_TRIGGER_FIELDS = tuple(i for i in range(_N_FIELDS) if i not in _TRIGGER_FIELDS)
# is_same_logical_order compares these index sets as slices
assert _FIXED_FIELDS == (0, 1, 2, *range(5, 25))
assert _FIXED_TRIGGER_FIELDS == (1, 2, 5, *range(8, 21))


class OrderInserted(NamedTuple):
    """A live order appeared for ``user`` (32-byte account key)."""

    user: bytes
    order: Order


class OrderUpdated(NamedTuple):
    """The same logical order changed in place (a partial fill, or a trigger firing)."""

    user: bytes
    old: Order
    new: Order


class OrderRemoved(NamedTuple):
    """A live order is gone: filled, cancelled, expired on chain, or replaced."""

    user: bytes
    order: Order


OrderEvent = OrderInserted | OrderUpdated | OrderRemoved
_new = tuple.__new__


def is_live(order: Order) -> bool:
    """Open with size left: the only orders the book holds."""
    return order[I_STATUS] == 1 and order[I_BASE] > order[I_BASE_FILLED]


def is_same_logical_order(old: Order, new: Order) -> bool:
    """Whether ``new`` can be the same order as ``old`` after fills (or its trigger firing)."""
    if old[I_ORDER_ID] != new[I_ORDER_ID] or old[I_ORDER_TYPE] != new[I_ORDER_TYPE]:
        return False
    # slices compare in C; the index sets are _FIXED_FIELDS / _FIXED_TRIGGER_FIELDS
    if old[I_ORDER_TYPE] in _TRIGGER_TYPES:
        return old[1:3] == new[1:3] and old[5] == new[5] and old[8:21] == new[8:21]
    return old[:3] == new[:3] and old[5:] == new[5:]


def diff_user_orders(
    user: bytes, old_orders: Sequence[Order], new_orders: Sequence[Order]
) -> list[OrderEvent]:
    """Removes, updates and inserts that turn ``old_orders`` into ``new_orders``.

    Both are the account's order slots (all 32, or just the live ones; positions may differ).
    Slots equal in both states are skipped before anything is keyed, so an account update
    that touched one order costs one tuple comparison per unchanged slot.
    """
    old_live: dict[int, Order] = {}
    new_live: dict[int, Order] = {}
    if len(old_orders) == len(new_orders):
        for o, n in zip(old_orders, new_orders, strict=True):
            if o is n or o == n:
                continue
            if o[I_STATUS] == 1 and o[I_BASE] > o[I_BASE_FILLED]:
                old_live[o[I_ORDER_ID]] = o
            if n[I_STATUS] == 1 and n[I_BASE] > n[I_BASE_FILLED]:
                new_live[n[I_ORDER_ID]] = n
        if not old_live and not new_live:
            return []
    else:
        for o in old_orders:
            if o[I_STATUS] == 1 and o[I_BASE] > o[I_BASE_FILLED]:
                old_live[o[I_ORDER_ID]] = o
        for n in new_orders:
            if n[I_STATUS] == 1 and n[I_BASE] > n[I_BASE_FILLED]:
                new_live[n[I_ORDER_ID]] = n
    # events built with tuple.__new__: a NamedTuple's generated __new__ is a Python call
    removed: list[OrderEvent] = []
    updated: list[OrderEvent] = []
    inserted: list[OrderEvent] = []
    for oid, o in old_live.items():
        n = new_live.pop(oid, None)
        if n is None:
            removed.append(_new(OrderRemoved, (user, o)))
        elif o == n:  # the same order seen in another slot position
            continue
        elif is_same_logical_order(o, n):
            updated.append(_new(OrderUpdated, (user, o, n)))
        else:
            removed.append(_new(OrderRemoved, (user, o)))
            inserted.append(_new(OrderInserted, (user, n)))
    for n in new_live.values():
        inserted.append(_new(OrderInserted, (user, n)))
    if updated:
        removed.extend(updated)
    if inserted:
        removed.extend(inserted)
    return removed
