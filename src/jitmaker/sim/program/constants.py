"""Program ids, discriminators and precisions the simulated programs use (protocol §1)."""

from __future__ import annotations

import hashlib

from solders.pubkey import Pubkey

from jitmaker.accounts.discriminators import (
    PERP_MARKET_DISCRIMINATOR,
    PRELAUNCH_ORACLE_DISCRIMINATOR,
    PRICE_UPDATE_V2_DISCRIMINATOR,
    PYTH_LAZER_ORACLE_DISCRIMINATOR,
    SPOT_MARKET_DISCRIMINATOR,
    STATE_DISCRIMINATOR,
    USER_DISCRIMINATOR,
    USER_STATS_DISCRIMINATOR,
    account_discriminator,
)

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


def ix_discriminator(name: str) -> bytes:
    """Anchor instruction discriminator: sha256("global:<snake_name>")[:8]."""
    return hashlib.sha256(f"global:{name}".encode()).digest()[:8]


# Account discriminators are layout facts shared with the decoders; only the instruction
# discriminators are computed here so the simulator decodes instructions independently.
USER_DISC = USER_DISCRIMINATOR
USER_STATS_DISC = USER_STATS_DISCRIMINATOR
PERP_MARKET_DISC = PERP_MARKET_DISCRIMINATOR
SPOT_MARKET_DISC = SPOT_MARKET_DISCRIMINATOR
STATE_DISC = STATE_DISCRIMINATOR
PRELAUNCH_ORACLE_DISC = PRELAUNCH_ORACLE_DISCRIMINATOR
PRICE_UPDATE_V2_DISC = PRICE_UPDATE_V2_DISCRIMINATOR
PYTH_LAZER_ORACLE_DISC = PYTH_LAZER_ORACLE_DISCRIMINATOR
JIT_DISC = ix_discriminator("jit")
