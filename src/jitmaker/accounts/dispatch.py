"""Decode any supported account by its discriminator (for feeds and the simulator)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jitmaker.accounts.discriminators import AccountKind, account_kind
from jitmaker.accounts.oracles import (
    decode_prelaunch_oracle,
    decode_price_update_v2,
    decode_pyth_lazer_oracle,
)
from jitmaker.accounts.perp_market import decode_perp_market
from jitmaker.accounts.spot_market import decode_spot_market
from jitmaker.accounts.state import decode_state
from jitmaker.accounts.user import decode_user
from jitmaker.accounts.user_stats import decode_user_stats
from jitmaker.errors import DecodeError

__all__ = ["DECODERS", "decode_account"]

DECODERS: dict[AccountKind, Callable[[bytes], Any]] = {
    AccountKind.USER: decode_user,
    AccountKind.USER_STATS: decode_user_stats,
    AccountKind.PERP_MARKET: decode_perp_market,
    AccountKind.SPOT_MARKET: decode_spot_market,
    AccountKind.STATE: decode_state,
    AccountKind.PRICE_UPDATE_V2: decode_price_update_v2,
    AccountKind.PYTH_LAZER_ORACLE: decode_pyth_lazer_oracle,
    AccountKind.PRELAUNCH_ORACLE: decode_prelaunch_oracle,
}


def decode_account(data: bytes) -> tuple[AccountKind, Any]:
    """(kind, record) for any supported account; ``DecodeError`` for anything else."""
    kind = account_kind(data)
    decoder = DECODERS.get(kind)
    if decoder is None:
        raise DecodeError(
            f"unsupported account: discriminator {bytes(data[:8]).hex()} ({kind.name})"
        )
    return kind, decoder(data)
