"""Drift program enums, with the program's variant indexes as values.

Every enum is an ``IntEnum`` so a decoded byte maps to a member by indexing and members
compare equal to the program's raw values.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

__all__ = [
    "AssetTier",
    "ContractTier",
    "ContractType",
    "ExchangeStatus",
    "MarginMode",
    "MarketStatus",
    "MarketType",
    "OracleSource",
    "OrderBitFlag",
    "OrderStatus",
    "OrderTriggerCondition",
    "OrderType",
    "PositionDirection",
    "PostOnlyParam",
    "SpotBalanceType",
    "SpotFulfillmentType",
    "UserStatus",
]


class OrderStatus(IntEnum):
    INIT = 0
    OPEN = 1
    FILLED = 2
    CANCELED = 3


class OrderType(IntEnum):
    MARKET = 0
    LIMIT = 1
    TRIGGER_MARKET = 2
    TRIGGER_LIMIT = 3
    ORACLE = 4


class MarketType(IntEnum):
    """Drift's own order: 0 Spot, 1 Perp (jit-proxy's MarketType is the reverse)."""

    SPOT = 0
    PERP = 1


class PositionDirection(IntEnum):
    LONG = 0
    SHORT = 1

    @property
    def opposite(self) -> PositionDirection:
        return PositionDirection.SHORT if self is PositionDirection.LONG else PositionDirection.LONG


class OrderTriggerCondition(IntEnum):
    ABOVE = 0
    BELOW = 1
    TRIGGERED_ABOVE = 2
    TRIGGERED_BELOW = 3


class PostOnlyParam(IntEnum):
    NONE = 0
    MUST_POST_ONLY = 1
    TRY_POST_ONLY = 2
    SLIDE = 3


class OracleSource(IntEnum):
    PYTH = 0
    SWITCHBOARD = 1
    QUOTE_ASSET = 2
    PYTH_1K = 3
    PYTH_1M = 4
    PYTH_STABLE_COIN = 5
    PRELAUNCH = 6
    PYTH_PULL = 7
    PYTH_1K_PULL = 8
    PYTH_1M_PULL = 9
    PYTH_STABLE_COIN_PULL = 10
    SWITCHBOARD_ON_DEMAND = 11
    PYTH_LAZER = 12
    PYTH_LAZER_1K = 13
    PYTH_LAZER_1M = 14
    PYTH_LAZER_STABLE_COIN = 15


class MarketStatus(IntEnum):
    INITIALIZED = 0
    ACTIVE = 1
    FUNDING_PAUSED = 2
    AMM_PAUSED = 3
    FILL_PAUSED = 4
    WITHDRAW_PAUSED = 5
    REDUCE_ONLY = 6
    SETTLEMENT = 7
    DELISTED = 8


class SpotBalanceType(IntEnum):
    DEPOSIT = 0
    BORROW = 1


class ContractType(IntEnum):
    PERPETUAL = 0
    FUTURE = 1
    PREDICTION = 2


class ContractTier(IntEnum):
    A = 0
    B = 1
    C = 2
    SPECULATIVE = 3
    HIGHLY_SPECULATIVE = 4
    ISOLATED = 5


class AssetTier(IntEnum):
    COLLATERAL = 0
    PROTECTED = 1
    CROSS = 2
    ISOLATED = 3
    UNLISTED = 4


class MarginMode(IntEnum):
    DEFAULT = 0
    HIGH_LEVERAGE = 1
    HIGH_LEVERAGE_MAINTENANCE = 2


class SpotFulfillmentType(IntEnum):
    SERUM_V3 = 0
    MATCH = 1
    PHOENIX_V1 = 2
    OPENBOOK_V2 = 3


class OrderBitFlag(IntFlag):
    """``Order.bit_flags``."""

    SIGNED_MESSAGE = 1
    ORACLE_TRIGGER_MARKET = 2
    SAFE_TRIGGER_ORDER = 4
    NEW_TRIGGER_REDUCE_ONLY = 8
    HAS_BUILDER = 16
    IS_ISOLATED_POSITION = 32


class UserStatus(IntFlag):
    """``User.status`` bitmask."""

    BEING_LIQUIDATED = 1
    BANKRUPT = 2
    REDUCE_ONLY = 4
    ADVANCED_LP = 8
    PROTECTED_MAKER_ORDERS = 16


class ExchangeStatus(IntFlag):
    """``State.exchange_status`` bitmask."""

    DEPOSIT_PAUSED = 1
    WITHDRAW_PAUSED = 2
    AMM_PAUSED = 4
    FILL_PAUSED = 8
    LIQ_PAUSED = 16
    FUNDING_PAUSED = 32
    SETTLE_PNL_PAUSED = 64
    AMM_IMMEDIATE_FILL_PAUSED = 128
