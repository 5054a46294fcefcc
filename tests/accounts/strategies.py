"""Hypothesis strategies that build our records field by field from their type specs."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from jitmaker.accounts._layout import Record, _is_enum, _is_record
from jitmaker.accounts.enums import (
    MarketType,
    OrderStatus,
    OrderTriggerCondition,
    OrderType,
    PositionDirection,
)
from jitmaker.accounts.order import EMPTY_ORDER, Order
from jitmaker.accounts.user import MAX_ORDERS, User

_INT = {
    "u8": (0, 2**8 - 1),
    "i8": (-(2**7), 2**7 - 1),
    "u16": (0, 2**16 - 1),
    "i16": (-(2**15), 2**15 - 1),
    "u32": (0, 2**32 - 1),
    "i32": (-(2**31), 2**31 - 1),
    "u64": (0, 2**64 - 1),
    "i64": (-(2**63), 2**63 - 1),
    "u128": (0, 2**128 - 1),
    "i128": (-(2**127), 2**127 - 1),
}


def for_type(kind: Any) -> st.SearchStrategy:
    if isinstance(kind, str):
        if kind in _INT:
            return st.integers(*_INT[kind])
        if kind == "bool":
            return st.booleans()
        if kind == "pubkey":
            return st.binary(min_size=32, max_size=32)
    if _is_enum(kind):
        return st.sampled_from([int(m) for m in kind])
    if kind is Order:
        return orders()
    if _is_record(kind):
        return record(kind)
    if kind[0] == "bytes":
        return st.binary(min_size=kind[1], max_size=kind[1])
    if kind[0] == "array":
        return st.tuples(*[for_type(kind[1])] * kind[2])
    raise ValueError(kind)


def record(cls: type[Record]) -> st.SearchStrategy:
    return st.tuples(*[for_type(k) for k in cls.TYPES]).map(lambda t: tuple.__new__(cls, t))


_ORDER_TYPES = (
    ["u64"] * 6
    + ["i64"] * 3
    + ["i32", "u32", "u16"]
    + [OrderStatus, OrderType, MarketType, "u8", PositionDirection, PositionDirection]
    + ["bool"] * 3
    + [OrderTriggerCondition, "u8", "u8", "u8"]
)


def orders() -> st.SearchStrategy:
    return st.tuples(*[for_type(k) for k in _ORDER_TYPES]).map(lambda t: tuple.__new__(Order, t))


@st.composite
def users(draw: Any) -> Any:
    """A User with random values in every field and 0..32 random order slots."""
    slots = draw(st.lists(orders(), max_size=MAX_ORDERS))
    slots += [EMPTY_ORDER] * (MAX_ORDERS - len(slots))
    values = [
        tuple(slots) if name == "orders" else draw(for_type(kind))
        for name, kind in zip(User.FIELDS, User.TYPES, strict=True)
    ]
    return tuple.__new__(User, values)


_ORDER_ENUM_MODULI = ((82, 4), (83, 5), (84, 2), (86, 2), (87, 2), (91, 4))


@st.composite
def user_bytes(draw: Any) -> bytes:
    """Raw User account bytes: random bytes in every field, enum bytes reduced to valid variants,
    bools 0/1, ``n`` (0..32) random order slots and the rest empty."""
    from jitmaker.accounts.discriminators import USER_DISCRIMINATOR

    body = bytearray(draw(st.binary(min_size=4368, max_size=4368)))
    data = bytearray(USER_DISCRIMINATOR) + body
    n = draw(st.integers(0, MAX_ORDERS))
    for i in range(MAX_ORDERS):
        at = 1192 + 96 * i
        if i >= n:
            data[at : at + 96] = bytes(96)
            continue
        for off, mod in _ORDER_ENUM_MODULI:
            data[at + off] %= mod
        for off in (88, 89, 90):
            data[at + off] &= 1
        data[at + 95] = 0  # Order.padding is not a field of ours
    for i in range(8):
        data[104 + 40 * i + 34] %= 2
    for off in (4349, 4350, 4352, 4354):
        data[off] &= 1
    data[4355] %= 3
    return bytes(data)
