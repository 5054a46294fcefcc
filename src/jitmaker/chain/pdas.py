"""Program ids and Drift program-derived addresses (PDAs), cached.

``find_program_address`` costs ~25 µs (a SHA-256 per bump tried), so every helper is
memoised: a maker derives the same handful of addresses over and over. Program ids are
parameters so forks and devnet deployments work with the same code.
"""

from __future__ import annotations

from functools import lru_cache

from solders.pubkey import Pubkey

__all__ = [
    "ADDRESS_LOOKUP_TABLE_PROGRAM_ID",
    "COMPUTE_BUDGET_PROGRAM_ID",
    "DRIFT_PROGRAM_ID",
    "JIT_PROXY_PROGRAM_ID",
    "SYSTEM_PROGRAM_ID",
    "perp_market_pda",
    "signed_msg_user_orders_pda",
    "spot_market_pda",
    "state_pda",
    "user_pda",
    "user_stats_pda",
]

DRIFT_PROGRAM_ID = Pubkey.from_string("dRiftyHA39MWEi3m9aunc5MzRF1JYuBsbn6VPcn33UH")
JIT_PROXY_PROGRAM_ID = Pubkey.from_string("J1TnP8zvVxbtF5KFp5xRmWuvG9McnhzmBd9XGfCyuxFP")
COMPUTE_BUDGET_PROGRAM_ID = Pubkey.from_string("ComputeBudget111111111111111111111111111111")
SYSTEM_PROGRAM_ID = Pubkey.from_string("11111111111111111111111111111111")
ADDRESS_LOOKUP_TABLE_PROGRAM_ID = Pubkey.from_string("AddressLookupTab1e1111111111111111111111111")

_CACHE = 4096


@lru_cache(maxsize=16)
def state_pda(program_id: Pubkey = DRIFT_PROGRAM_ID) -> Pubkey:
    """Drift ``State``: seeds ``["drift_state"]``."""
    return Pubkey.find_program_address([b"drift_state"], program_id)[0]


@lru_cache(maxsize=_CACHE)
def user_pda(
    authority: Pubkey, sub_account_id: int = 0, program_id: Pubkey = DRIFT_PROGRAM_ID
) -> Pubkey:
    """Drift ``User``: seeds ``["user", authority, sub_account_id u16 LE]``."""
    seed = sub_account_id.to_bytes(2, "little")
    return Pubkey.find_program_address([b"user", bytes(authority), seed], program_id)[0]


@lru_cache(maxsize=_CACHE)
def user_stats_pda(authority: Pubkey, program_id: Pubkey = DRIFT_PROGRAM_ID) -> Pubkey:
    """Drift ``UserStats``: seeds ``["user_stats", authority]``."""
    return Pubkey.find_program_address([b"user_stats", bytes(authority)], program_id)[0]


@lru_cache(maxsize=_CACHE)
def perp_market_pda(market_index: int, program_id: Pubkey = DRIFT_PROGRAM_ID) -> Pubkey:
    """Drift ``PerpMarket``: seeds ``["perp_market", market_index u16 LE]``."""
    seed = market_index.to_bytes(2, "little")
    return Pubkey.find_program_address([b"perp_market", seed], program_id)[0]


@lru_cache(maxsize=_CACHE)
def spot_market_pda(market_index: int, program_id: Pubkey = DRIFT_PROGRAM_ID) -> Pubkey:
    """Drift ``SpotMarket``: seeds ``["spot_market", market_index u16 LE]``."""
    seed = market_index.to_bytes(2, "little")
    return Pubkey.find_program_address([b"spot_market", seed], program_id)[0]


@lru_cache(maxsize=_CACHE)
def signed_msg_user_orders_pda(authority: Pubkey, program_id: Pubkey = DRIFT_PROGRAM_ID) -> Pubkey:
    """Drift ``SignedMsgUserOrders`` (Swift): seeds ``["SIGNED_MSG", authority]``."""
    return Pubkey.find_program_address([b"SIGNED_MSG", bytes(authority)], program_id)[0]
