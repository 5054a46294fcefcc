"""driftpy's own DriftClient (websocket subscription) and AuctionSubscriber against the simulator.

This is the compatibility contract: if driftpy can discover markets, oracles, users and
auction notifications here, so can anything built on the same wire protocol.
"""

from __future__ import annotations

import asyncio
import base64

from anchorpy import Wallet
from driftpy.account_subscription_config import AccountSubscriptionConfig
from driftpy.auction_subscriber.auction_subscriber import AuctionSubscriber
from driftpy.auction_subscriber.types import AuctionSubscriberConfig
from driftpy.drift_client import DriftClient
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from solders.transaction import VersionedTransaction

from jitmaker.sim.app import Simulator


async def _wait_for(predicate, timeout: float = 15.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()


async def test_driftclient_and_auction_subscriber_see_markets_users_and_auctions():
    sim = Simulator(seed=11, slot_ms=40)
    await sim.start()
    kp = Keypair.from_seed(bytes(range(32)))
    sim.fund(kp.pubkey(), 25_000 * 10**6)
    connection = AsyncClient(sim.http_url, commitment=Confirmed)
    client = DriftClient(
        connection,
        Wallet(kp),
        env="mainnet",
        account_subscription=AccountSubscriptionConfig("websocket"),
        sub_account_ids=[0, 1],
    )
    auctions = AuctionSubscriber(AuctionSubscriberConfig(client))
    seen: list[tuple[object, object, int]] = []
    auctions.event_emitter.on_account_update += lambda user, key, slot: seen.append(
        (user, key, slot)
    )
    try:
        await client.subscribe()
        # markets found through getProgramAccounts discriminator memcmp, decoded by driftpy
        perp = client.get_perp_market_account(0)
        assert perp is not None and perp.market_index == 0
        assert bytes(perp.name).decode().strip() == "SOL-PERP"
        assert perp.amm.order_tick_size == 100
        assert {
            m.data.market_index for m in client.account_subscriber.get_market_accounts_and_slots()
        } == {0, 1, 2}
        usdc = client.get_spot_market_account(0)
        assert usdc is not None and usdc.decimals == 6
        # the oracle (Pyth pull PriceUpdateV2) decodes to a price near the scenario's
        oracle = client.get_oracle_price_data_for_perp_market(0)
        assert oracle is not None and 100_000_000 < oracle.price < 200_000_000
        # the funded user and its stats
        user = client.get_user_account(0)
        assert user.authority == kp.pubkey() and user.sub_account_id == 0
        assert user.spot_positions[0].scaled_balance == 25_000 * 10**9
        assert client.get_user_account(1).sub_account_id == 1
        stats = client.get_user_stats().get_account()
        assert stats.authority == kp.pubkey()
        # perp market updates arrive over the websocket as the oracle moves
        first_slot = client.account_subscriber.get_perp_market_and_slot(0).slot
        assert await _wait_for(
            lambda: client.account_subscriber.get_perp_market_and_slot(0).slot > first_slot
        )
        # auction notifications: taker users with has_open_auction, decoded by driftpy
        await auctions.subscribe()
        assert await _wait_for(lambda: len(seen) >= 3)
        user_account, key, slot = seen[-1]
        assert slot >= sim.scenario.start_slot
        assert any(o.auction_duration > 0 for o in user_account.orders)
        assert sim.chain.ledger.get(key) is not None
    finally:
        auctions.unsubscribe()
        await client.unsubscribe()
        await connection.close()
        await sim.stop()
        await asyncio.sleep(0.05)


async def test_driftpy_places_a_perp_order_through_a_v0_transaction_with_lookup_tables():
    from driftpy.types import MarketType, OrderParams, OrderType, PositionDirection

    sim = Simulator(seed=12, slot_ms=40, flow=False)
    await sim.start()
    kp = Keypair.from_seed(bytes([9]) * 32)
    sim.fund(kp.pubkey(), 25_000 * 10**6)
    connection = AsyncClient(sim.http_url, commitment=Confirmed)
    client = DriftClient(
        connection,
        Wallet(kp),
        env="mainnet",
        account_subscription=AccountSubscriptionConfig("websocket"),
    )
    try:
        await client.subscribe()
        oracle = sim.world.perp[0].oracle_price
        params = OrderParams(
            order_type=OrderType.Market(),
            market_type=MarketType.Perp(),
            direction=PositionDirection.Long(),
            base_asset_amount=1_000_000_000,
            market_index=0,
            auction_duration=30,
            auction_start_price=oracle,
            auction_end_price=oracle + oracle // 100,
        )
        # exactly driftpy's instruction: the market goes read-only, as the program accepts
        ix = client.get_place_perp_order_ix(params)
        # driftpy's own sender: v0 message over the mainnet lookup tables it fetches first,
        # blockhash at finalized, preflight, then confirm_transaction polling
        sig = (await client.send_ixs([ix])).tx_sig
        status = sim.chain.statuses.get(sig)
        assert status is not None and status.err is None
        sent = VersionedTransaction.from_bytes(base64.b64decode(sim.rpc.transactions[sig]))
        assert sent.message.address_table_lookups  # accounts resolved through the tables
        user = sim.chain.ledger.get(client.get_user_account_public_key())
        from driftpy.decode.user import decode_user

        placed = [o for o in decode_user(user.data).orders if o.base_asset_amount]
        assert len(placed) == 1 and placed[0].auction_duration == 30
        assert placed[0].base_asset_amount == 1_000_000_000
    finally:
        await client.unsubscribe()
        await connection.close()
        await sim.stop()
        await asyncio.sleep(0.05)
