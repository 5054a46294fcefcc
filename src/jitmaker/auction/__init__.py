"""Exact Drift v2 auction and limit-price math (protocol §4): pure integer functions.

``auction_price`` is the taker's price at a slot as the on-chain program computes it;
``limit_price`` the effective limit (``get_limit_price``); ``ticks`` has the tick/step
standardizers; ``intmath.div_trunc`` is Rust's truncating signed division.
"""

from jitmaker.auction.crossing import first_crossing_slot, taker_crosses
from jitmaker.auction.errors import (
    CASTING_FAILURE,
    MATH_ERROR,
    ORACLE_NOT_FOUND,
    AuctionMathError,
)
from jitmaker.auction.intmath import I64_MAX, I64_MIN, U64_MAX, div_trunc, rem_trunc
from jitmaker.auction.price import (
    auction_price,
    auction_window,
    has_auction_price,
    is_auction_complete,
    is_oracle_offset_auction,
    limit_price,
)
from jitmaker.auction.ticks import (
    AUCTION_DERIVE_PRICE_FRACTION,
    MAX_PREDICTION_MARKET_PRICE,
    calculate_auction_prices,
    standardize_base_asset_amount,
    standardize_base_asset_amount_ceil,
    standardize_price,
    standardize_price_i64,
)

__all__ = [
    "AUCTION_DERIVE_PRICE_FRACTION",
    "CASTING_FAILURE",
    "I64_MAX",
    "I64_MIN",
    "MATH_ERROR",
    "MAX_PREDICTION_MARKET_PRICE",
    "ORACLE_NOT_FOUND",
    "U64_MAX",
    "AuctionMathError",
    "auction_price",
    "auction_window",
    "calculate_auction_prices",
    "div_trunc",
    "first_crossing_slot",
    "has_auction_price",
    "is_auction_complete",
    "is_oracle_offset_auction",
    "limit_price",
    "rem_trunc",
    "standardize_base_asset_amount",
    "standardize_base_asset_amount_ceil",
    "standardize_price",
    "standardize_price_i64",
    "taker_crosses",
]
