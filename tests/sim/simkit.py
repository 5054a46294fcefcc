"""Helpers for the simulator server tests: a quiet scenario and a hand-built jit transaction."""

from __future__ import annotations

import dataclasses
import struct

from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from jitmaker.accounts.enums import MarketType, OrderType, PositionDirection
from jitmaker.sim.program import OrderParams
from jitmaker.sim.scenario import Scenario, load_scenario
from jitmaker.sim.world import (
    DRIFT_PROGRAM_ID,
    JIT_PROXY_PROGRAM_ID,
    World,
    perp_market_pda,
    spot_market_pda,
    state_pda,
    user_pda,
    user_stats_pda,
)

JIT_DISCRIMINATOR = bytes.fromhex("632a618c983ea7ea")
COMPUTE_BUDGET = Pubkey.from_string("ComputeBudget111111111111111111111111111111")


def quiet_scenario(**changes) -> Scenario:
    """The default markets with a flat oracle (no walk, no jumps) and no taker stream."""
    base = load_scenario()
    perps = tuple(
        dataclasses.replace(
            m, volatility_bps_per_slot=0.0, jump_probability=0.0, taker_rate_per_slot=0.0
        )
        for m in base.perp_markets
    )
    return base.replace(perp_markets=perps, **changes)


def long_market_order(oracle: int, base: int = 2_000_000_000, duration: int = 20) -> OrderParams:
    """A taker long whose auction runs from the oracle to oracle + 0.5%."""
    return OrderParams(
        order_type=OrderType.MARKET,
        market_type=MarketType.PERP,
        direction=PositionDirection.LONG,
        base_asset_amount=base,
        market_index=0,
        auction_duration=duration,
        auction_start_price=oracle,
        auction_end_price=oracle + oracle // 200,
    )


def jit_transaction(
    world: World,
    maker: Keypair,
    taker_authority: Pubkey,
    taker_order_id: int,
    blockhash: Hash,
    *,
    ask: int = 0,
    bid: int = 0,
    price_type: int = 1,
    max_position: int = 10**12,
    min_position: int = -(10**12),
    market_index: int = 0,
) -> VersionedTransaction:
    """jit-proxy ``jit`` (protocol §6) with a compute budget pair, signed by the maker."""
    data = JIT_DISCRIMINATOR + struct.pack(
        "<IqqqqBBB", taker_order_id, max_position, min_position, bid, ask, price_type, 1, 1
    )
    market = world.perp[market_index]
    usdc_oracle = world.spot_oracles[0][0]
    accounts = [
        AccountMeta(state_pda(), False, False),
        AccountMeta(user_pda(maker.pubkey(), 0), False, True),
        AccountMeta(user_stats_pda(maker.pubkey()), False, True),
        AccountMeta(user_pda(taker_authority, 0), False, True),
        AccountMeta(user_stats_pda(taker_authority), False, True),
        AccountMeta(maker.pubkey(), True, False),
        AccountMeta(DRIFT_PROGRAM_ID, False, False),
        AccountMeta(market.oracle, False, False),
        AccountMeta(usdc_oracle, False, False),
        AccountMeta(spot_market_pda(0), False, False),
        AccountMeta(perp_market_pda(market_index), False, True),
    ]
    ixs = [
        Instruction(COMPUTE_BUDGET, bytes([2]) + struct.pack("<I", 600_000), []),
        Instruction(COMPUTE_BUDGET, bytes([3]) + struct.pack("<Q", 1_000), []),
        Instruction(JIT_PROXY_PROGRAM_ID, data, accounts),
    ]
    message = MessageV0.try_compile(maker.pubkey(), ixs, [], blockhash)
    return VersionedTransaction(message, [maker])
