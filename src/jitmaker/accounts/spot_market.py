"""The Drift SpotMarket account (776 bytes) and the scaled-balance -> token amount helper.

Field names/order follow driftpy's bundled IDL (drift 2.142.0), snake_case as anchorpy spells
them (``last_index_price_twap5min``).
"""

from __future__ import annotations

from typing import Any

from jitmaker.accounts._layout import AccountCodec, record
from jitmaker.accounts.discriminators import SPOT_MARKET_DISCRIMINATOR
from jitmaker.accounts.enums import AssetTier, MarketStatus, OracleSource, SpotBalanceType
from jitmaker.accounts.perp_market import HistoricalOracleData, PoolBalance
from jitmaker.errors import DecodeError

__all__ = [
    "SPOT_MARKET_SIZE",
    "HistoricalIndexData",
    "InsuranceFund",
    "SpotMarket",
    "decode_spot_market",
    "encode_spot_market",
    "token_amount",
]

HistoricalIndexData = record(
    "HistoricalIndexData",
    [
        ("last_index_bid_price", "u64"),
        ("last_index_ask_price", "u64"),
        ("last_index_price_twap", "u64"),
        ("last_index_price_twap5min", "u64"),
        ("last_index_price_twap_ts", "i64"),
    ],
)

InsuranceFund = record(
    "InsuranceFund",
    [
        ("vault", "pubkey"),
        ("total_shares", "u128"),
        ("user_shares", "u128"),
        ("shares_base", "u128"),
        ("unstaking_period", "i64"),
        ("last_revenue_settle_ts", "i64"),
        ("revenue_settle_period", "i64"),
        ("total_factor", "u32"),
        ("user_factor", "u32"),
    ],
)


class _SpotMarketMixin:
    __slots__ = ()

    @property
    def name_str(self) -> str:
        return self.name.decode("utf-8", "replace").rstrip(" \0")  # type: ignore[attr-defined]

    @property
    def precision(self) -> int:
        """10 ** decimals: the token's native precision."""
        return 10 ** _checked_decimals(self.decimals)  # type: ignore[attr-defined]


SpotMarket = record(
    "SpotMarket",
    [
        ("pubkey", "pubkey"),
        ("oracle", "pubkey"),
        ("mint", "pubkey"),
        ("vault", "pubkey"),
        ("name", ("bytes", 32)),
        ("historical_oracle_data", HistoricalOracleData),
        ("historical_index_data", HistoricalIndexData),
        ("revenue_pool", PoolBalance),
        ("spot_fee_pool", PoolBalance),
        ("insurance_fund", InsuranceFund),
        ("total_spot_fee", "u128"),
        ("deposit_balance", "u128"),
        ("borrow_balance", "u128"),
        ("cumulative_deposit_interest", "u128"),
        ("cumulative_borrow_interest", "u128"),
        ("total_social_loss", "u128"),
        ("total_quote_social_loss", "u128"),
        ("withdraw_guard_threshold", "u64"),
        ("max_token_deposits", "u64"),
        ("deposit_token_twap", "u64"),
        ("borrow_token_twap", "u64"),
        ("utilization_twap", "u64"),
        ("last_interest_ts", "u64"),
        ("last_twap_ts", "u64"),
        ("expiry_ts", "i64"),
        ("order_step_size", "u64"),
        ("order_tick_size", "u64"),
        ("min_order_size", "u64"),
        ("max_position_size", "u64"),
        ("next_fill_record_id", "u64"),
        ("next_deposit_record_id", "u64"),
        ("initial_asset_weight", "u32"),
        ("maintenance_asset_weight", "u32"),
        ("initial_liability_weight", "u32"),
        ("maintenance_liability_weight", "u32"),
        ("imf_factor", "u32"),
        ("liquidator_fee", "u32"),
        ("if_liquidation_fee", "u32"),
        ("optimal_utilization", "u32"),
        ("optimal_borrow_rate", "u32"),
        ("max_borrow_rate", "u32"),
        ("decimals", "u32"),
        ("market_index", "u16"),
        ("orders_enabled", "bool"),
        ("oracle_source", OracleSource),
        ("status", MarketStatus),
        ("asset_tier", AssetTier),
        ("paused_operations", "u8"),
        ("if_paused_operations", "u8"),
        ("fee_adjustment", "i16"),
        ("max_token_borrows_fraction", "u16"),
        ("flash_loan_amount", "u64"),
        ("flash_loan_initial_token_amount", "u64"),
        ("total_swap_fee", "u64"),
        ("scale_initial_asset_weight_start", "u64"),
        ("min_borrow_rate", "u8"),
        ("fuel_boost_deposits", "u8"),
        ("fuel_boost_borrows", "u8"),
        ("fuel_boost_taker", "u8"),
        ("fuel_boost_maker", "u8"),
        ("fuel_boost_insurance", "u8"),
        ("token_program_flag", "u8"),
        ("pool_id", "u8"),
        ("padding", ("bytes", 40)),
    ],
    mixin=_SpotMarketMixin,
    doc="A decoded SpotMarket; balances SPOT_BALANCE 1e9, interests SPOT_CUMULATIVE_INTEREST 1e10.",
)

_CODEC = AccountCodec("SpotMarket", SpotMarket, SPOT_MARKET_DISCRIMINATOR)
SPOT_MARKET_SIZE = _CODEC.size
assert SPOT_MARKET_SIZE == 776
_decode = _CODEC._decode

SPOT_BALANCE_PRECISION = 1_000_000_000
SPOT_CUMULATIVE_INTEREST_PRECISION = 10_000_000_000


def decode_spot_market(data: bytes) -> Any:
    """Decode a SpotMarket account (exactly 776 bytes); ``DecodeError`` if malformed."""
    return _decode(data)


def encode_spot_market(market: Any) -> bytes:
    """The exact account bytes of ``market`` (inverse of ``decode_spot_market``)."""
    return _CODEC.encode(market)


def _checked_decimals(decimals: int) -> int:
    """The program's spot math needs decimals <= 19 (``19 - decimals`` is a u32); a larger
    value is a corrupted account, and ``10 ** decimals`` of a u32 could take forever."""
    if not 0 <= decimals <= 19:
        raise DecodeError(f"SpotMarket: decimals {decimals} out of range (0..19)")
    return decimals


def token_amount(scaled_balance: int, spot_market: Any, balance_type: int) -> int:
    """Token amount (mint precision) of a scaled balance, as the program computes it.

    amount = scaled_balance * cumulative_interest / (10 ** (19 - decimals)); deposits round
    down, borrows round up (``get_token_amount`` in the program's spot balance math).
    """
    precision_decrease = 10 ** (19 - _checked_decimals(spot_market.decimals))
    if balance_type == SpotBalanceType.DEPOSIT:
        return scaled_balance * spot_market.cumulative_deposit_interest // precision_decrease
    return -(-scaled_balance * spot_market.cumulative_borrow_interest // precision_decrease)
