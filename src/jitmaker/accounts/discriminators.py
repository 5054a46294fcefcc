"""Anchor account discriminators and an account-type sniffer.

An Anchor account starts with ``sha256("account:<StructName>")[:8]``; the feeds and the
simulator use :func:`account_kind` to route raw account bytes without trying decoders.
"""

from __future__ import annotations

from enum import IntEnum
from hashlib import sha256

__all__ = [
    "DISCRIMINATORS",
    "PERP_MARKET_DISCRIMINATOR",
    "PRELAUNCH_ORACLE_DISCRIMINATOR",
    "PRICE_UPDATE_V2_DISCRIMINATOR",
    "PYTH_LAZER_ORACLE_DISCRIMINATOR",
    "SPOT_MARKET_DISCRIMINATOR",
    "STATE_DISCRIMINATOR",
    "USER_DISCRIMINATOR",
    "USER_STATS_DISCRIMINATOR",
    "AccountKind",
    "account_discriminator",
    "account_kind",
]


def account_discriminator(struct_name: str) -> bytes:
    """``sha256("account:<struct_name>")[:8]`` as Anchor computes it."""
    return sha256(f"account:{struct_name}".encode()).digest()[:8]


class AccountKind(IntEnum):
    """Which account an 8-byte discriminator announces."""

    UNKNOWN = 0
    USER = 1
    USER_STATS = 2
    PERP_MARKET = 3
    SPOT_MARKET = 4
    STATE = 5
    PRICE_UPDATE_V2 = 6
    PYTH_LAZER_ORACLE = 7
    PRELAUNCH_ORACLE = 8
    SIGNED_MSG_USER_ORDERS = 9


USER_DISCRIMINATOR = account_discriminator("User")
USER_STATS_DISCRIMINATOR = account_discriminator("UserStats")
PERP_MARKET_DISCRIMINATOR = account_discriminator("PerpMarket")
SPOT_MARKET_DISCRIMINATOR = account_discriminator("SpotMarket")
STATE_DISCRIMINATOR = account_discriminator("State")
PRICE_UPDATE_V2_DISCRIMINATOR = account_discriminator("PriceUpdateV2")
PYTH_LAZER_ORACLE_DISCRIMINATOR = account_discriminator("PythLazerOracle")
PRELAUNCH_ORACLE_DISCRIMINATOR = account_discriminator("PrelaunchOracle")
SIGNED_MSG_USER_ORDERS_DISCRIMINATOR = account_discriminator("SignedMsgUserOrders")

DISCRIMINATORS: dict[bytes, AccountKind] = {
    USER_DISCRIMINATOR: AccountKind.USER,
    USER_STATS_DISCRIMINATOR: AccountKind.USER_STATS,
    PERP_MARKET_DISCRIMINATOR: AccountKind.PERP_MARKET,
    SPOT_MARKET_DISCRIMINATOR: AccountKind.SPOT_MARKET,
    STATE_DISCRIMINATOR: AccountKind.STATE,
    PRICE_UPDATE_V2_DISCRIMINATOR: AccountKind.PRICE_UPDATE_V2,
    PYTH_LAZER_ORACLE_DISCRIMINATOR: AccountKind.PYTH_LAZER_ORACLE,
    PRELAUNCH_ORACLE_DISCRIMINATOR: AccountKind.PRELAUNCH_ORACLE,
    SIGNED_MSG_USER_ORDERS_DISCRIMINATOR: AccountKind.SIGNED_MSG_USER_ORDERS,
}


def account_kind(data: bytes) -> AccountKind:
    """The account type announced by the first 8 bytes (``UNKNOWN`` if none matches)."""
    return DISCRIMINATORS.get(bytes(data[:8]), AccountKind.UNKNOWN)
