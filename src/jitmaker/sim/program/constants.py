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
from jitmaker.accounts.oracles import PYTH_RECEIVER_PROGRAM_ID
from jitmaker.chain.pdas import ADDRESS_LOOKUP_TABLE_PROGRAM_ID as ALT_PROGRAM
from jitmaker.chain.pdas import COMPUTE_BUDGET_PROGRAM_ID as COMPUTE_BUDGET
from jitmaker.chain.pdas import DRIFT_PROGRAM_ID as DRIFT
from jitmaker.chain.pdas import JIT_PROXY_PROGRAM_ID as JIT_PROXY
from jitmaker.chain.pdas import SYSTEM_PROGRAM_ID as SYSTEM_PROGRAM

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

# program ids are the product's (jitmaker.chain.pdas, jitmaker.accounts.oracles)
PYTH_RECEIVER = Pubkey.from_string(PYTH_RECEIVER_PROGRAM_ID)

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
