"""World seeding: every seeded account decodes with driftpy's coder at the right address."""

from __future__ import annotations

import pytest
from driftpy.accounts.oracle import DRIFT_CODER, decode_pyth_pull_price_info
from driftpy.address_lookup_table import decode_address_lookup_table
from driftpy.addresses import (
    get_perp_market_public_key,
    get_spot_market_public_key,
    get_state_public_key,
    get_user_account_public_key,
    get_user_stats_account_public_key,
)
from driftpy.constants.config import DRIFT_PROGRAM_ID as DRIFTPY_PROGRAM_ID
from driftpy.decode.user import decode_user
from solders.pubkey import Pubkey

from jitmaker.errors import SimulatorError
from jitmaker.sim.scenario import load_scenario
from jitmaker.sim.world import (
    JIT_PROXY_PROGRAM_ID,
    MAINNET_LOOKUP_TABLES,
    World,
    perp_market_pda,
    spot_market_pda,
    state_pda,
    user_pda,
    user_stats_pda,
)


@pytest.fixture(scope="module")
def world() -> World:
    return World(load_scenario(), seed=1)


def test_pdas_match_driftpy(world):
    key = Pubkey.from_string("11111111111111111111111111111112")
    assert state_pda() == get_state_public_key(DRIFTPY_PROGRAM_ID)
    assert perp_market_pda(2) == get_perp_market_public_key(DRIFTPY_PROGRAM_ID, 2)
    assert spot_market_pda(0) == get_spot_market_public_key(DRIFTPY_PROGRAM_ID, 0)
    assert user_pda(key, 3) == get_user_account_public_key(DRIFTPY_PROGRAM_ID, key, 3)
    assert user_stats_pda(key) == get_user_stats_account_public_key(DRIFTPY_PROGRAM_ID, key)


def test_state_and_markets_decode_with_the_scenario_values(world):
    state = DRIFT_CODER.accounts.decode(world.ledger.get(state_pda()).data)
    assert state.number_of_markets == 3 and state.number_of_spot_markets == 1
    assert state.min_perp_auction_duration == 10
    assert state.perp_fee_structure.fee_tiers[0].fee_numerator == 100
    for spec in world.scenario.perp_markets:
        market = DRIFT_CODER.accounts.decode(world.ledger.get(perp_market_pda(spec.index)).data)
        assert market.market_index == spec.index
        assert market.pubkey == perp_market_pda(spec.index)
        assert market.amm.order_tick_size == spec.tick_size
        assert market.amm.order_step_size == spec.step_size
        assert market.amm.min_order_size == spec.min_order_size
        assert market.amm.peg_multiplier == spec.oracle_price
        assert market.margin_ratio_initial == spec.margin_ratio_initial
        assert str(market.status) == "MarketStatus.Active()"
        oracle = world.ledger.get(market.amm.oracle)
        assert decode_pyth_pull_price_info(oracle.data).price == spec.oracle_price
    usdc = DRIFT_CODER.accounts.decode(world.ledger.get(spot_market_pda(0)).data)
    assert usdc.decimals == 6 and usdc.cumulative_deposit_interest == 10**10


def test_users_lookup_tables_and_programs(world):
    taker = world.takers[0]
    user = decode_user(world.ledger.get(taker.user).data)
    assert user.authority == taker.keypair.pubkey() and user.next_order_id == 1
    usdc = world.scenario.takers.collateral_usdc
    assert user.spot_positions[0].scaled_balance == usdc * 1000
    assert world.ledger.get(taker.keypair.pubkey()).lamports > 0  # fee payer exists
    stats = DRIFT_CODER.accounts.decode(world.ledger.get(taker.user_stats).data)
    assert stats.authority == taker.keypair.pubkey()
    for table in MAINNET_LOOKUP_TABLES:
        decoded = decode_address_lookup_table(table, world.ledger.get(table).data)
        assert set(decoded.addresses) >= {state_pda(), perp_market_pda(0), world.perp[0].oracle}
    assert world.ledger.get(JIT_PROXY_PROGRAM_ID).executable


def test_fund_creates_four_subaccounts_with_collateral():
    w = World(load_scenario(), seed=2)
    key = Pubkey.from_string("So11111111111111111111111111111111111111112")
    changed = w.fund(key, 5_000 * 10**6)
    assert {user_pda(key, s) for s in range(4)} <= set(changed)
    for s in range(4):
        user = decode_user(w.ledger.get(user_pda(key, s)).data)
        assert user.sub_account_id == s
        assert user.spot_positions[0].scaled_balance == 5_000 * 10**9
    stats = DRIFT_CODER.accounts.decode(w.ledger.get(user_stats_pda(key)).data)
    assert stats.number_of_sub_accounts == 4


def test_scenario_errors_name_the_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("perp_markets:\n  - {index: 0, name: X, oracle_price: 1, tickk: 5}\n")
    with pytest.raises(SimulatorError, match="tickk"):
        load_scenario(bad)
    bad.write_text("perp_markets:\n  - {index: 0, name: X, oracle_price: 1}\n")
    with pytest.raises(SimulatorError, match="spot market 0"):
        load_scenario(bad)
    with pytest.raises(SimulatorError, match="cannot read"):
        load_scenario(tmp_path / "missing.yaml")
