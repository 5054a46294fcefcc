"""PDA helpers vs driftpy's address derivations; caching; configurable program ids."""

from __future__ import annotations

from driftpy import addresses
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from jitmaker.chain.pdas import (
    DRIFT_PROGRAM_ID,
    JIT_PROXY_PROGRAM_ID,
    perp_market_pda,
    signed_msg_user_orders_pda,
    spot_market_pda,
    state_pda,
    user_pda,
    user_stats_pda,
)

keys = st.binary(min_size=32, max_size=32).map(Pubkey.from_bytes)


def test_program_ids_are_the_documented_ones():
    assert str(DRIFT_PROGRAM_ID) == "dRiftyHA39MWEi3m9aunc5MzRF1JYuBsbn6VPcn33UH"
    assert str(JIT_PROXY_PROGRAM_ID) == "J1TnP8zvVxbtF5KFp5xRmWuvG9McnhzmBd9XGfCyuxFP"


def test_state_pda_is_mainnet_state_account():
    assert str(state_pda()) == "5zpq7DvB6UdFFvpmBPspGPNfUGoBRRCE2HHg5u3gxcsN"
    assert state_pda() == addresses.get_state_public_key(DRIFT_PROGRAM_ID)


@settings(max_examples=40)
@given(keys, st.integers(0, 2**16 - 1), st.sampled_from([DRIFT_PROGRAM_ID, Pubkey.new_unique()]))
def test_user_pdas_match_driftpy(authority, sub_id, program_id):
    assert user_pda(authority, sub_id, program_id) == addresses.get_user_account_public_key(
        program_id, authority, sub_id
    )
    assert user_stats_pda(authority, program_id) == addresses.get_user_stats_account_public_key(
        program_id, authority
    )
    assert signed_msg_user_orders_pda(
        authority, program_id
    ) == addresses.get_signed_msg_user_account_public_key(program_id, authority)


@settings(max_examples=40)
@given(st.integers(0, 2**16 - 1))
def test_market_pdas_match_driftpy(index):
    assert perp_market_pda(index) == addresses.get_perp_market_public_key(DRIFT_PROGRAM_ID, index)
    assert spot_market_pda(index) == addresses.get_spot_market_public_key(DRIFT_PROGRAM_ID, index)


def test_program_id_changes_the_address_and_results_are_cached():
    fork = Pubkey.new_unique()
    assert state_pda(fork) != state_pda()
    assert perp_market_pda(0, fork) != perp_market_pda(0)
    authority = Pubkey.new_unique()
    before = user_pda.cache_info().hits
    first = user_pda(authority, 3)
    second = user_pda(authority, 3)
    assert first == second
    assert user_pda.cache_info().hits == before + 1
