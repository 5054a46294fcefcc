"""The Drift State account (992 bytes): fee tiers, oracle guard rails, exchange status."""

from __future__ import annotations

from typing import Any

from jitmaker.accounts._layout import AccountCodec, record
from jitmaker.accounts.discriminators import STATE_DISCRIMINATOR
from jitmaker.accounts.enums import ExchangeStatus

__all__ = [
    "STATE_SIZE",
    "FeeStructure",
    "FeeTier",
    "OracleGuardRails",
    "OrderFillerRewardStructure",
    "PriceDivergenceGuardRails",
    "State",
    "ValidityGuardRails",
    "decode_state",
    "encode_state",
]

FeeTier = record(
    "FeeTier",
    [
        ("fee_numerator", "u32"),
        ("fee_denominator", "u32"),
        ("maker_rebate_numerator", "u32"),
        ("maker_rebate_denominator", "u32"),
        ("referrer_reward_numerator", "u32"),
        ("referrer_reward_denominator", "u32"),
        ("referee_fee_numerator", "u32"),
        ("referee_fee_denominator", "u32"),
    ],
    doc="Fees as numerator/denominator pairs (FEE_DENOMINATOR 100_000 in practice).",
)

OrderFillerRewardStructure = record(
    "OrderFillerRewardStructure",
    [
        ("reward_numerator", "u32"),
        ("reward_denominator", "u32"),
        ("time_based_reward_lower_bound", "u128"),
    ],
)

FeeStructure = record(
    "FeeStructure",
    [
        ("fee_tiers", ("array", FeeTier, 10)),
        ("filler_reward_structure", OrderFillerRewardStructure),
        ("referrer_reward_epoch_upper_bound", "u64"),
        ("flat_filler_fee", "u64"),
    ],
)

PriceDivergenceGuardRails = record(
    "PriceDivergenceGuardRails",
    [
        ("mark_oracle_percent_divergence", "u64"),
        ("oracle_twap5min_percent_divergence", "u64"),
    ],
)

ValidityGuardRails = record(
    "ValidityGuardRails",
    [
        ("slots_before_stale_for_amm", "i64"),
        ("slots_before_stale_for_margin", "i64"),
        ("confidence_interval_max_size", "u64"),
        ("too_volatile_ratio", "i64"),
    ],
)

OracleGuardRails = record(
    "OracleGuardRails",
    [
        ("price_divergence", PriceDivergenceGuardRails),
        ("validity", ValidityGuardRails),
    ],
)


class _StateMixin:
    __slots__ = ()

    @property
    def exchange_status_flags(self) -> ExchangeStatus:
        """``exchange_status`` as an ``ExchangeStatus`` flag set."""
        return ExchangeStatus(self.exchange_status)  # type: ignore[attr-defined]


State = record(
    "State",
    [
        ("admin", "pubkey"),
        ("whitelist_mint", "pubkey"),
        ("discount_mint", "pubkey"),
        ("signer", "pubkey"),
        ("srm_vault", "pubkey"),
        ("perp_fee_structure", FeeStructure),
        ("spot_fee_structure", FeeStructure),
        ("oracle_guard_rails", OracleGuardRails),
        ("number_of_authorities", "u64"),
        ("number_of_sub_accounts", "u64"),
        ("lp_cooldown_time", "u64"),
        ("liquidation_margin_buffer_ratio", "u32"),
        ("settlement_duration", "u16"),
        ("number_of_markets", "u16"),
        ("number_of_spot_markets", "u16"),
        ("signer_nonce", "u8"),
        ("min_perp_auction_duration", "u8"),
        ("default_market_order_time_in_force", "u8"),
        ("default_spot_auction_duration", "u8"),
        ("exchange_status", "u8"),
        ("liquidation_duration", "u8"),
        ("initial_pct_to_liquidate", "u16"),
        ("max_number_of_sub_accounts", "u16"),
        ("max_initialize_user_fee", "u16"),
        ("feature_bit_flags", "u8"),
        ("padding", ("bytes", 9)),
    ],
    mixin=_StateMixin,
    doc="The program-wide State account (``exchange_status`` is a raw bitmask).",
)

_CODEC = AccountCodec("State", State, STATE_DISCRIMINATOR)
STATE_SIZE = _CODEC.size
assert STATE_SIZE == 992
_decode = _CODEC._decode


def decode_state(data: bytes) -> Any:
    """Decode the State account (exactly 992 bytes); ``DecodeError`` if malformed."""
    return _decode(data)


def encode_state(state: Any) -> bytes:
    """The exact account bytes of ``state`` (inverse of ``decode_state``)."""
    return _CODEC.encode(state)
