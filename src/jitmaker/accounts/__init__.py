"""Fast, pure decoders of Drift accounts and the records they produce.

Every decoder takes the raw account bytes (discriminator included) and raises
``jitmaker.errors.DecodeError`` on a wrong length, discriminator or enum byte. Records are
immutable tuple subclasses with one property per IDL field (snake_case); see ``_layout``.
"""

from jitmaker.accounts.discriminators import (
    PERP_MARKET_DISCRIMINATOR,
    SPOT_MARKET_DISCRIMINATOR,
    STATE_DISCRIMINATOR,
    USER_DISCRIMINATOR,
    USER_STATS_DISCRIMINATOR,
    AccountKind,
    account_discriminator,
    account_kind,
)
from jitmaker.accounts.dispatch import decode_account
from jitmaker.accounts.enums import *  # noqa: F403
from jitmaker.accounts.enums import __all__ as _enums_all
from jitmaker.accounts.gpa import decode_users_from_gpa, gpa_accounts
from jitmaker.accounts.oracles import (
    OraclePriceData,
    PrelaunchOracle,
    PriceUpdateV2,
    PythLazerOracle,
    VerificationLevel,
    decode_oracle,
    decode_prelaunch_oracle,
    decode_price_update_v2,
    decode_pyth_lazer_oracle,
    encode_prelaunch_oracle,
    encode_price_update_v2,
    encode_pyth_lazer_oracle,
    oracle_price_data,
)
from jitmaker.accounts.order import ORDER_FIELDS, ORDER_SIZE, Order
from jitmaker.accounts.perp_market import (
    AMM,
    PERP_MARKET_SIZE,
    HistoricalOracleData,
    PerpMarket,
    amm_bid_ask,
    amm_reserve_price,
    decode_perp_market,
    encode_perp_market,
)
from jitmaker.accounts.positions import PerpPosition, SpotPosition
from jitmaker.accounts.spot_market import (
    SPOT_MARKET_SIZE,
    SpotMarket,
    decode_spot_market,
    encode_spot_market,
    token_amount,
)
from jitmaker.accounts.state import (
    STATE_SIZE,
    FeeStructure,
    FeeTier,
    OracleGuardRails,
    State,
    decode_state,
    encode_state,
)
from jitmaker.accounts.user import USER_SIZE, User, decode_user, encode_user
from jitmaker.accounts.user_stats import (
    USER_STATS_SIZE,
    UserStats,
    decode_user_stats,
    encode_user_stats,
)

__all__ = [
    *_enums_all,
    "AMM",
    "ORDER_FIELDS",
    "ORDER_SIZE",
    "PERP_MARKET_DISCRIMINATOR",
    "PERP_MARKET_SIZE",
    "SPOT_MARKET_DISCRIMINATOR",
    "SPOT_MARKET_SIZE",
    "STATE_DISCRIMINATOR",
    "STATE_SIZE",
    "USER_DISCRIMINATOR",
    "USER_SIZE",
    "USER_STATS_DISCRIMINATOR",
    "USER_STATS_SIZE",
    "AccountKind",
    "FeeStructure",
    "FeeTier",
    "HistoricalOracleData",
    "OracleGuardRails",
    "OraclePriceData",
    "Order",
    "PerpMarket",
    "PerpPosition",
    "PrelaunchOracle",
    "PriceUpdateV2",
    "PythLazerOracle",
    "SpotMarket",
    "SpotPosition",
    "State",
    "User",
    "UserStats",
    "VerificationLevel",
    "account_discriminator",
    "account_kind",
    "amm_bid_ask",
    "amm_reserve_price",
    "decode_account",
    "decode_oracle",
    "decode_perp_market",
    "decode_prelaunch_oracle",
    "decode_price_update_v2",
    "decode_pyth_lazer_oracle",
    "decode_spot_market",
    "decode_state",
    "decode_user",
    "decode_user_stats",
    "decode_users_from_gpa",
    "encode_perp_market",
    "encode_prelaunch_oracle",
    "encode_price_update_v2",
    "encode_pyth_lazer_oracle",
    "encode_spot_market",
    "encode_state",
    "encode_user",
    "encode_user_stats",
    "gpa_accounts",
    "oracle_price_data",
    "token_amount",
]
