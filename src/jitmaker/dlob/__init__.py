"""jitmaker.dlob: the in-memory order book, kept incrementally from decoded User accounts.

``DLOB`` holds every market's orders; ``diff_user_orders`` is the pure account diff it uses
and the ``Order*`` events it returns; ``views`` has the query results.
"""

from jitmaker.dlob.book import DLOB, UserLike
from jitmaker.dlob.events import (
    OrderEvent,
    OrderInserted,
    OrderRemoved,
    OrderUpdated,
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

__all__ = [
    "DLOB",
    "AuctionCross",
    "AuctionOrder",
    "L2Book",
    "L3Book",
    "L3Order",
    "Level",
    "LoadReport",
    "MakerFill",
    "OrderEvent",
    "OrderInserted",
    "OrderRemoved",
    "OrderUpdated",
    "UserLike",
    "diff_user_orders",
    "is_live",
    "is_same_logical_order",
]
