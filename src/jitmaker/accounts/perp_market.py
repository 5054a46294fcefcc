"""The Drift PerpMarket account (1216 bytes) with its AMM, and the AMM quote helper.

Field names/order follow driftpy's bundled IDL (drift 2.142.0) converted to snake_case the
way anchorpy does (so ``last_oracle_price_twap5min``, ``volume24h``); the protocol.md
spellings ``last_oracle_price_twap_5min`` / ``last_mark_price_twap_5min`` / ``volume_24h``
are aliases. u128/i128 fields are plain Python ints.
"""

from __future__ import annotations

from typing import Any

from solders.pubkey import Pubkey

from jitmaker.accounts._layout import AccountCodec, record
from jitmaker.accounts.discriminators import PERP_MARKET_DISCRIMINATOR
from jitmaker.accounts.enums import ContractTier, ContractType, MarketStatus, OracleSource
from jitmaker.intmath import div_trunc

__all__ = [
    "AMM",
    "PERP_MARKET_SIZE",
    "HistoricalOracleData",
    "InsuranceClaim",
    "PerpMarket",
    "PoolBalance",
    "amm_bid_ask",
    "amm_reserve_price",
    "decode_perp_market",
    "encode_perp_market",
]


class _HistoricalOracleDataMixin:
    __slots__ = ()

    @property
    def last_oracle_price_twap_5min(self) -> int:
        return self[4]  # type: ignore[index]


HistoricalOracleData = record(
    "HistoricalOracleData",
    [
        ("last_oracle_price", "i64"),
        ("last_oracle_conf", "u64"),
        ("last_oracle_delay", "i64"),
        ("last_oracle_price_twap", "i64"),
        ("last_oracle_price_twap5min", "i64"),
        ("last_oracle_price_twap_ts", "i64"),
    ],
    mixin=_HistoricalOracleDataMixin,
    doc="Oracle snapshot kept by a market; prices PRICE 1e6.",
)

PoolBalance = record(
    "PoolBalance",
    [
        ("scaled_balance", "u128"),
        ("market_index", "u16"),
        ("padding", ("bytes", 6)),
    ],
)

InsuranceClaim = record(
    "InsuranceClaim",
    [
        ("revenue_withdraw_since_last_settle", "i64"),
        ("max_revenue_withdraw_per_period", "u64"),
        ("quote_max_insurance", "u64"),
        ("quote_settled_insurance", "u64"),
        ("last_revenue_withdraw_ts", "i64"),
    ],
)


class _AmmMixin:
    __slots__ = ()

    @property
    def last_mark_price_twap_5min(self) -> int:
        return self.last_mark_price_twap5min  # type: ignore[attr-defined]

    @property
    def volume_24h(self) -> int:
        return self.volume24h  # type: ignore[attr-defined]


AMM = record(
    "AMM",
    [
        ("oracle", "pubkey"),
        ("historical_oracle_data", HistoricalOracleData),
        ("base_asset_amount_per_lp", "i128"),
        ("quote_asset_amount_per_lp", "i128"),
        ("fee_pool", PoolBalance),
        ("base_asset_reserve", "u128"),
        ("quote_asset_reserve", "u128"),
        ("concentration_coef", "u128"),
        ("min_base_asset_reserve", "u128"),
        ("max_base_asset_reserve", "u128"),
        ("sqrt_k", "u128"),
        ("peg_multiplier", "u128"),
        ("terminal_quote_asset_reserve", "u128"),
        ("base_asset_amount_long", "i128"),
        ("base_asset_amount_short", "i128"),
        ("base_asset_amount_with_amm", "i128"),
        ("base_asset_amount_with_unsettled_lp", "i128"),
        ("max_open_interest", "u128"),
        ("quote_asset_amount", "i128"),
        ("quote_entry_amount_long", "i128"),
        ("quote_entry_amount_short", "i128"),
        ("quote_break_even_amount_long", "i128"),
        ("quote_break_even_amount_short", "i128"),
        ("user_lp_shares", "u128"),
        ("last_funding_rate", "i64"),
        ("last_funding_rate_long", "i64"),
        ("last_funding_rate_short", "i64"),
        ("last24h_avg_funding_rate", "i64"),
        ("total_fee", "i128"),
        ("total_mm_fee", "i128"),
        ("total_exchange_fee", "u128"),
        ("total_fee_minus_distributions", "i128"),
        ("total_fee_withdrawn", "u128"),
        ("total_liquidation_fee", "u128"),
        ("cumulative_funding_rate_long", "i128"),
        ("cumulative_funding_rate_short", "i128"),
        ("total_social_loss", "u128"),
        ("ask_base_asset_reserve", "u128"),
        ("ask_quote_asset_reserve", "u128"),
        ("bid_base_asset_reserve", "u128"),
        ("bid_quote_asset_reserve", "u128"),
        ("last_oracle_normalised_price", "i64"),
        ("last_oracle_reserve_price_spread_pct", "i64"),
        ("last_bid_price_twap", "u64"),
        ("last_ask_price_twap", "u64"),
        ("last_mark_price_twap", "u64"),
        ("last_mark_price_twap5min", "u64"),
        ("last_update_slot", "u64"),
        ("last_oracle_conf_pct", "u64"),
        ("net_revenue_since_last_funding", "i64"),
        ("last_funding_rate_ts", "i64"),
        ("funding_period", "i64"),
        ("order_step_size", "u64"),
        ("order_tick_size", "u64"),
        ("min_order_size", "u64"),
        ("mm_oracle_slot", "u64"),
        ("volume24h", "u64"),
        ("long_intensity_volume", "u64"),
        ("short_intensity_volume", "u64"),
        ("last_trade_ts", "i64"),
        ("mark_std", "u64"),
        ("oracle_std", "u64"),
        ("last_mark_price_twap_ts", "i64"),
        ("base_spread", "u32"),
        ("max_spread", "u32"),
        ("long_spread", "u32"),
        ("short_spread", "u32"),
        ("mm_oracle_price", "i64"),
        ("max_fill_reserve_fraction", "u16"),
        ("max_slippage_ratio", "u16"),
        ("curve_update_intensity", "u8"),
        ("amm_jit_intensity", "u8"),
        ("oracle_source", OracleSource),
        ("last_oracle_valid", "bool"),
        ("target_base_asset_amount_per_lp", "i32"),
        ("per_lp_base", "i8"),
        ("taker_speed_bump_override", "i8"),
        ("amm_spread_adjustment", "i8"),
        ("oracle_slot_delay_override", "i8"),
        ("mm_oracle_sequence_id", "u64"),
        ("net_unsettled_funding_pnl", "i64"),
        ("quote_asset_amount_with_unsettled_lp", "i64"),
        ("reference_price_offset", "i32"),
        ("amm_inventory_spread_adjustment", "i8"),
        ("reference_price_offset_deadband_pct", "u8"),
        ("padding", ("bytes", 2)),
        ("last_funding_oracle_twap", "i64"),
    ],
    mixin=_AmmMixin,
    doc="The market's vAMM: reserves AMM_RESERVE 1e9, peg 1e6, spreads 1e6 = 100%.",
)


class _PerpMarketMixin:
    __slots__ = ()

    @property
    def oracle(self) -> Pubkey:
        """``amm.oracle``: the exchange oracle account."""
        return self[1].oracle  # type: ignore[index]

    @property
    def oracle_source(self) -> OracleSource:
        return self[1].oracle_source  # type: ignore[index]

    @property
    def order_tick_size(self) -> int:
        return self[1].order_tick_size  # type: ignore[index]

    @property
    def order_step_size(self) -> int:
        return self[1].order_step_size  # type: ignore[index]

    @property
    def min_order_size(self) -> int:
        return self[1].min_order_size  # type: ignore[index]

    @property
    def name_str(self) -> str:
        return self.name.decode("utf-8", "replace").rstrip(" \0")  # type: ignore[attr-defined]


PerpMarket = record(
    "PerpMarket",
    [
        ("pubkey", "pubkey"),
        ("amm", AMM),
        ("pnl_pool", PoolBalance),
        ("name", ("bytes", 32)),
        ("insurance_claim", InsuranceClaim),
        ("unrealized_pnl_max_imbalance", "u64"),
        ("expiry_ts", "i64"),
        ("expiry_price", "i64"),
        ("next_fill_record_id", "u64"),
        ("next_funding_rate_record_id", "u64"),
        ("next_curve_record_id", "u64"),
        ("imf_factor", "u32"),
        ("unrealized_pnl_imf_factor", "u32"),
        ("liquidator_fee", "u32"),
        ("if_liquidation_fee", "u32"),
        ("margin_ratio_initial", "u32"),
        ("margin_ratio_maintenance", "u32"),
        ("unrealized_pnl_initial_asset_weight", "u32"),
        ("unrealized_pnl_maintenance_asset_weight", "u32"),
        ("number_of_users_with_base", "u32"),
        ("number_of_users", "u32"),
        ("market_index", "u16"),
        ("status", MarketStatus),
        ("contract_type", ContractType),
        ("contract_tier", ContractTier),
        ("paused_operations", "u8"),
        ("quote_spot_market_index", "u16"),
        ("fee_adjustment", "i16"),
        ("fuel_boost_position", "u8"),
        ("fuel_boost_taker", "u8"),
        ("fuel_boost_maker", "u8"),
        ("pool_id", "u8"),
        ("high_leverage_margin_ratio_initial", "u16"),
        ("high_leverage_margin_ratio_maintenance", "u16"),
        ("protected_maker_limit_price_divisor", "u8"),
        ("protected_maker_dynamic_divisor", "u8"),
        ("padding1", "u32"),
        ("last_fill_price", "u64"),
        ("padding", ("bytes", 24)),
    ],
    mixin=_PerpMarketMixin,
    doc=(
        "A decoded PerpMarket. The AMM is under ``amm``; ``oracle``, ``oracle_source`` and "
        "the order tick/step/min sizes are also exposed directly."
    ),
)

_CODEC = AccountCodec("PerpMarket", PerpMarket, PERP_MARKET_DISCRIMINATOR)
PERP_MARKET_SIZE = _CODEC.size
assert PERP_MARKET_SIZE == 1216
_decode = _CODEC._decode


def decode_perp_market(data: bytes) -> Any:
    """Decode a PerpMarket account (exactly 1216 bytes); ``DecodeError`` if malformed."""
    return _decode(data)


def encode_perp_market(market: Any) -> bytes:
    """The exact account bytes of ``market`` (inverse of ``decode_perp_market``)."""
    return _CODEC.encode(market)


PRICE_PRECISION = 1_000_000
_SPREAD_ONE = 1_000_000  # BID_ASK_SPREAD_PRECISION


def amm_reserve_price(amm: Any) -> int:
    """quote_reserve * peg / base_reserve (PRICE 1e6, floor); 0 when the AMM has no base reserve."""
    base = amm.base_asset_reserve
    if base == 0:
        return 0
    return amm.quote_asset_reserve * amm.peg_multiplier // base


def amm_bid_ask(perp_market: Any) -> tuple[int, int]:
    """The AMM's (bid, ask) in PRICE 1e6 per protocol.md §2.5.

    ask = reserve * (1e6 + long_spread + reference_price_offset) / 1e6,
    bid = reserve * (1e6 - short_spread + reference_price_offset) / 1e6, Rust integer division
    (truncation toward zero). Accepts a PerpMarket or its AMM. (0, 0) if reserves are empty.
    """
    amm = perp_market.amm if isinstance(perp_market, PerpMarket) else perp_market
    reserve = amm_reserve_price(amm)
    offset = amm.reference_price_offset
    ask = div_trunc(reserve * (_SPREAD_ONE + amm.long_spread + offset), _SPREAD_ONE)
    bid = div_trunc(reserve * (_SPREAD_ONE - amm.short_spread + offset), _SPREAD_ONE)
    return bid, ask
