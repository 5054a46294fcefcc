"""Fast, pure decoders of Drift accounts and the records they produce.

Every decoder takes the raw account bytes (discriminator included) and raises
``jitmaker.errors.DecodeError`` on a wrong length, discriminator or enum byte.
"""

from jitmaker.accounts.discriminators import (
    USER_DISCRIMINATOR,
    AccountKind,
    account_discriminator,
    account_kind,
)
from jitmaker.accounts.enums import *  # noqa: F403
from jitmaker.accounts.enums import __all__ as _enums_all
from jitmaker.accounts.order import ORDER_FIELDS, ORDER_SIZE, Order
from jitmaker.accounts.positions import PerpPosition, SpotPosition
from jitmaker.accounts.user import USER_SIZE, User, decode_user, encode_user

__all__ = [
    *_enums_all,
    "ORDER_FIELDS",
    "ORDER_SIZE",
    "USER_DISCRIMINATOR",
    "USER_SIZE",
    "AccountKind",
    "Order",
    "PerpPosition",
    "SpotPosition",
    "User",
    "account_discriminator",
    "account_kind",
    "decode_user",
    "encode_user",
]
