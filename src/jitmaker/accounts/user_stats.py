"""The Drift UserStats account (240 bytes): fee totals, 30-day volumes, referrer flags."""

from __future__ import annotations

from typing import Any

from jitmaker.accounts._layout import AccountCodec, record
from jitmaker.accounts.discriminators import USER_STATS_DISCRIMINATOR

__all__ = ["USER_STATS_SIZE", "UserFees", "UserStats", "decode_user_stats", "encode_user_stats"]

UserFees = record(
    "UserFees",
    [
        ("total_fee_paid", "u64"),
        ("total_fee_rebate", "u64"),
        ("total_token_discount", "u64"),
        ("total_referee_discount", "u64"),
        ("total_referrer_reward", "u64"),
        ("current_epoch_referrer_reward", "u64"),
    ],
)


class _UserStatsMixin:
    __slots__ = ()

    @property
    def maker_volume_30d(self) -> int:
        return self.maker_volume30d  # type: ignore[attr-defined]

    @property
    def taker_volume_30d(self) -> int:
        return self.taker_volume30d  # type: ignore[attr-defined]

    @property
    def filler_volume_30d(self) -> int:
        return self.filler_volume30d  # type: ignore[attr-defined]


UserStats = record(
    "UserStats",
    [
        ("authority", "pubkey"),
        ("referrer", "pubkey"),
        ("fees", UserFees),
        ("next_epoch_ts", "i64"),
        ("maker_volume30d", "u64"),
        ("taker_volume30d", "u64"),
        ("filler_volume30d", "u64"),
        ("last_maker_volume30d_ts", "i64"),
        ("last_taker_volume30d_ts", "i64"),
        ("last_filler_volume30d_ts", "i64"),
        ("if_staked_quote_asset_amount", "u64"),
        ("number_of_sub_accounts", "u16"),
        ("number_of_sub_accounts_created", "u16"),
        ("referrer_status", "u8"),
        ("disable_update_perp_bid_ask_twap", "bool"),
        ("padding1", ("bytes", 1)),
        ("fuel_overflow_status", "u8"),
        ("fuel_insurance", "u32"),
        ("fuel_deposits", "u32"),
        ("fuel_borrows", "u32"),
        ("fuel_positions", "u32"),
        ("fuel_taker", "u32"),
        ("fuel_maker", "u32"),
        ("if_staked_gov_token_amount", "u64"),
        ("last_fuel_if_bonus_update_ts", "u32"),
        ("padding", ("bytes", 12)),
    ],
    mixin=_UserStatsMixin,
    doc="Per-authority stats; volumes QUOTE 1e6 (maker/taker 30-day volume picks the fee tier).",
)

_CODEC = AccountCodec("UserStats", UserStats, USER_STATS_DISCRIMINATOR)
USER_STATS_SIZE = _CODEC.size
assert USER_STATS_SIZE == 240
_decode = _CODEC._decode


def decode_user_stats(data: bytes) -> Any:
    """Decode a UserStats account (exactly 240 bytes); ``DecodeError`` if malformed."""
    return _decode(data)


def encode_user_stats(stats: Any) -> bytes:
    """The exact account bytes of ``stats`` (inverse of ``decode_user_stats``)."""
    return _CODEC.encode(stats)
