"""Program ids, discriminators and precisions the simulated programs use (protocol §1)."""

from __future__ import annotations

import hashlib

from solders.pubkey import Pubkey

__all__ = [
    "ALT_PROGRAM",
    "BASE_PRECISION",
    "COMPUTE_BUDGET",
    "DRIFT",
    "FEE_ADJUSTMENT_MAX",
    "JIT_PROXY",
    "MARGIN_PRECISION",
    "PERCENTAGE_PRECISION",
    "PRICE_PRECISION",
    "PYTH_RECEIVER",
    "QUOTE_PRECISION",
    "SYSTEM_PROGRAM",
    "account_discriminator",
    "ix_discriminator",
]

DRIFT = Pubkey.from_string("dRiftyHA39MWEi3m9aunc5MzRF1JYuBsbn6VPcn33UH")
JIT_PROXY = Pubkey.from_string("J1TnP8zvVxbtF5KFp5xRmWuvG9McnhzmBd9XGfCyuxFP")
COMPUTE_BUDGET = Pubkey.from_string("ComputeBudget111111111111111111111111111111")
SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")
ALT_PROGRAM = Pubkey.from_string("AddressLookupTab1e1111111111111111111111111")
PYTH_RECEIVER = Pubkey.from_string("rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ")

PRICE_PRECISION = 1_000_000
QUOTE_PRECISION = 1_000_000
BASE_PRECISION = 1_000_000_000
MARGIN_PRECISION = 10_000
PERCENTAGE_PRECISION = 1_000_000
FEE_ADJUSTMENT_MAX = 100


def account_discriminator(name: str) -> bytes:
    """Anchor account discriminator: sha256("account:<Name>")[:8]."""
    return hashlib.sha256(f"account:{name}".encode()).digest()[:8]


def ix_discriminator(name: str) -> bytes:
    """Anchor instruction discriminator: sha256("global:<snake_name>")[:8]."""
    return hashlib.sha256(f"global:{name}".encode()).digest()[:8]


USER_DISC = account_discriminator("User")
USER_STATS_DISC = account_discriminator("UserStats")
PERP_MARKET_DISC = account_discriminator("PerpMarket")
SPOT_MARKET_DISC = account_discriminator("SpotMarket")
STATE_DISC = account_discriminator("State")
PRELAUNCH_ORACLE_DISC = account_discriminator("PrelaunchOracle")
PRICE_UPDATE_V2_DISC = account_discriminator("PriceUpdateV2")
PYTH_LAZER_ORACLE_DISC = account_discriminator("PythLazerOracle")
JIT_DISC = ix_discriminator("jit")
