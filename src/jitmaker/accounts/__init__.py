"""Fast, pure decoders of Drift accounts and the records they produce."""

from jitmaker.accounts.enums import *  # noqa: F403
from jitmaker.accounts.enums import __all__ as _enums_all
from jitmaker.accounts.order import ORDER_FIELDS, ORDER_SIZE, Order

__all__ = [*_enums_all, "ORDER_FIELDS", "ORDER_SIZE", "Order"]
