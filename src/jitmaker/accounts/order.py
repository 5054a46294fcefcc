"""The Order record: one 96-byte order slot of a User account.

``Order`` is an immutable tuple subclass whose items are the raw little-endian values
in account layout order (``ORDER_STRUCT``). Named properties expose every IDL field
under its snake_case name; enum-typed fields return the ``IntEnum`` member. Building
one from ``ORDER_STRUCT.unpack`` output is a single C-level tuple construction, which
is what makes ``decode_user`` cheap; hot paths may index the tuple with the ``I_*``
constants to skip the property call.
"""

from __future__ import annotations

import struct
from typing import Any

from jitmaker.accounts._getter import enum_getter, field_getter
from jitmaker.accounts.enums import (
    MarketType,
    OrderStatus,
    OrderTriggerCondition,
    OrderType,
    PositionDirection,
)

__all__ = ["ORDER_FIELDS", "ORDER_SIZE", "ORDER_STRUCT", "Order"]

ORDER_SIZE = 96
# slot price base filled quote_filled trigger | start end max_ts | offset | id | market |
# status type mtype uoid epd dir | reduce post ioc | cond dur tail flags | pad
ORDER_STRUCT = struct.Struct("<6Q3qiIH6B3?4Bx")
assert ORDER_STRUCT.size == ORDER_SIZE

ORDER_FIELDS: tuple[str, ...] = (
    "slot",
    "price",
    "base_asset_amount",
    "base_asset_amount_filled",
    "quote_asset_amount_filled",
    "trigger_price",
    "auction_start_price",
    "auction_end_price",
    "max_ts",
    "oracle_price_offset",
    "order_id",
    "market_index",
    "status",
    "order_type",
    "market_type",
    "user_order_id",
    "existing_position_direction",
    "direction",
    "reduce_only",
    "post_only",
    "immediate_or_cancel",
    "trigger_condition",
    "auction_duration",
    "posted_slot_tail",
    "bit_flags",
)

(
    I_SLOT,
    I_PRICE,
    I_BASE,
    I_BASE_FILLED,
    I_QUOTE_FILLED,
    I_TRIGGER_PRICE,
    I_AUCTION_START,
    I_AUCTION_END,
    I_MAX_TS,
    I_ORACLE_OFFSET,
    I_ORDER_ID,
    I_MARKET_INDEX,
    I_STATUS,
    I_ORDER_TYPE,
    I_MARKET_TYPE,
    I_USER_ORDER_ID,
    I_EXISTING_DIRECTION,
    I_DIRECTION,
    I_REDUCE_ONLY,
    I_POST_ONLY,
    I_IOC,
    I_TRIGGER_CONDITION,
    I_AUCTION_DURATION,
    I_POSTED_SLOT_TAIL,
    I_BIT_FLAGS,
) = range(len(ORDER_FIELDS))

_ENUM_FIELDS = {
    "status": OrderStatus,
    "order_type": OrderType,
    "market_type": MarketType,
    "existing_position_direction": PositionDirection,
    "direction": PositionDirection,
    "trigger_condition": OrderTriggerCondition,
}
_INDEX = {name: i for i, name in enumerate(ORDER_FIELDS)}
_BOOL_FIELDS = frozenset({"reduce_only", "post_only", "immediate_or_cancel"})
_DEFAULTS: tuple[Any, ...] = tuple(False if name in _BOOL_FIELDS else 0 for name in ORDER_FIELDS)


class Order(tuple):
    """One order slot. Immutable; use ``replace`` to derive a changed copy."""

    __slots__ = ()

    # populated below: one property per field
    slot: int
    price: int
    base_asset_amount: int
    base_asset_amount_filled: int
    quote_asset_amount_filled: int
    trigger_price: int
    auction_start_price: int
    auction_end_price: int
    max_ts: int
    oracle_price_offset: int
    order_id: int
    market_index: int
    status: OrderStatus
    order_type: OrderType
    market_type: MarketType
    user_order_id: int
    existing_position_direction: PositionDirection
    direction: PositionDirection
    reduce_only: bool
    post_only: bool
    immediate_or_cancel: bool
    trigger_condition: OrderTriggerCondition
    auction_duration: int
    posted_slot_tail: int
    bit_flags: int

    @classmethod
    def new(cls, **fields: Any) -> Order:
        """Build an order from keyword fields; missing fields are zero/False/first variant."""
        values = list(_DEFAULTS)
        for name, value in fields.items():
            index = _INDEX.get(name)
            if index is None:
                raise TypeError(f"Order has no field {name!r}")
            values[index] = int(value) if name not in _BOOL_FIELDS else bool(value)
        return tuple.__new__(cls, values)

    def replace(self, **fields: Any) -> Order:
        values = list(self)
        for name, value in fields.items():
            index = _INDEX.get(name)
            if index is None:
                raise TypeError(f"Order has no field {name!r}")
            values[index] = int(value) if name not in _BOOL_FIELDS else bool(value)
        return tuple.__new__(Order, values)

    def pack(self) -> bytes:
        return ORDER_STRUCT.pack(*self)

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ORDER_FIELDS}

    # ---- derived predicates (pure, cheap) ----
    @property
    def is_open(self) -> bool:
        return self[I_STATUS] == 1

    @property
    def unfilled(self) -> int:
        return self[I_BASE] - self[I_BASE_FILLED]

    @property
    def is_jit_maker(self) -> bool:
        return self[I_POST_ONLY] and self[I_IOC]

    def __repr__(self) -> str:
        return (
            f"Order(id={self[I_ORDER_ID]}, {self.market_type.name}-{self[I_MARKET_INDEX]}, "
            f"{self.order_type.name}, {self.direction.name}, {self.status.name}, "
            f"base={self[I_BASE]}, filled={self[I_BASE_FILLED]}, price={self[I_PRICE]}, "
            f"slot={self[I_SLOT]})"
        )


for _i, _name in enumerate(ORDER_FIELDS):
    if _name in _ENUM_FIELDS:
        # IntEnum members in value order 0..n-1
        setattr(Order, _name, enum_getter(_i, tuple(_ENUM_FIELDS[_name]), _name))
    else:
        setattr(Order, _name, field_getter(_i, _name))
del _i, _name

EMPTY_ORDER = Order.new()
