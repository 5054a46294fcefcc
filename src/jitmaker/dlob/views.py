"""What the book's queries return: small immutable records, all prices and sizes integers.

Keys (``user``, ``authority``) are 32-byte ``bytes``; ``order`` is the book's current
``jitmaker.accounts.order.Order``; ``size``/``fill`` are base amounts (BASE 1e9 for perps).
"""

from __future__ import annotations

from typing import NamedTuple

from jitmaker.accounts.order import Order

__all__ = [
    "AuctionCross",
    "AuctionOrder",
    "L2Book",
    "L3Book",
    "L3Order",
    "Level",
    "LoadReport",
    "MakerFill",
]


class Level(NamedTuple):
    """One aggregated price level: total remaining size of the orders at ``price``."""

    price: int
    size: int


class L2Book(NamedTuple):
    bids: list[Level]
    asks: list[Level]


class L3Order(NamedTuple):
    """One resting order at its price for the query (oracle and tick applied)."""

    price: int
    size: int
    user: bytes
    order: Order


class L3Book(NamedTuple):
    bids: list[L3Order]
    asks: list[L3Order]


class AuctionOrder(NamedTuple):
    """A taker order whose auction is live at the query slot, with its price at that slot.

    ``price`` is the order's limit at the slot (its auction price), None only for an order
    that is in its auction window without auction prices and has no limit.
    """

    user: bytes
    authority: bytes
    order: Order
    price: int | None

    @property
    def remaining(self) -> int:
        return self.order[2] - self.order[3]


class MakerFill(NamedTuple):
    """A resting maker order, the price it trades at (its own) and the base it would fill."""

    user: bytes
    authority: bytes
    order: Order
    price: int
    fill: int


class AuctionCross(NamedTuple):
    """An auction taker and the resting makers that cross it, best first."""

    taker: AuctionOrder
    makers: list[MakerFill]

    @property
    def filled(self) -> int:
        return sum(m.fill for m in self.makers)


class LoadReport(NamedTuple):
    """What ``DLOB.load`` found against the book it replaced.

    ``ghosts``: live orders in the old book that the snapshot does not have (or has in another
    state of the same order counted under ``changed``); ``missing``: orders in the snapshot the
    old book lacked.
    """

    users: int
    orders: int
    ghosts: int
    missing: int
    changed: int
