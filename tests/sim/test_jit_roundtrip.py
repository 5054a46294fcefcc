"""A hand-built jit-proxy ``jit`` transaction through the simulator's wire protocol."""

from __future__ import annotations

import asyncio

from driftpy.decode.user import decode_user
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed, Processed
from solana.rpc.types import TxOpts
from solana.rpc.websocket_api import connect
from solders.keypair import Keypair

from jitmaker.sim.app import Simulator
from jitmaker.sim.world import user_pda

from .simkit import jit_transaction, long_market_order, quiet_scenario


async def test_jit_transaction_fills_and_subscribers_see_the_account_and_signature():
    sim = Simulator(quiet_scenario(competitors=()), seed=5, manual_clock=True, flow=False)
    await sim.start()
    client = AsyncClient(sim.http_url)
    try:
        maker = Keypair.from_seed(bytes([7]) * 32)
        sim.fund(maker.pubkey(), 100_000 * 10**6)
        oracle = sim.world.perp[0].oracle_price
        order = sim.place_taker(0, long_market_order(oracle, base=2_000_000_000))
        assert order is not None
        taker = order.taker
        sim.advance(5)
        async with connect(sim.ws_url) as ws:
            await ws.account_subscribe(user_pda(maker.pubkey()), Processed, "base64")
            account_sub = (await ws.recv())[0].result
            blockhash = (await client.get_latest_blockhash(Processed)).value.blockhash
            tx = jit_transaction(
                sim.world, maker, taker.keypair.pubkey(), order.order_id, blockhash, ask=0
            )
            signature = tx.signatures[0]
            await ws.signature_subscribe(signature, Confirmed)
            sig_sub = (await ws.recv())[0].result
            assert isinstance(account_sub, int) and isinstance(sig_sub, int)

            sent = await client.send_raw_transaction(
                bytes(tx), opts=TxOpts(skip_preflight=False, preflight_commitment=Processed)
            )
            assert sent.value == signature

            note = (await asyncio.wait_for(ws.recv(), 5))[0]
            assert note.subscription == account_sub
            maker_user = decode_user(note.result.value.data)
            positions = [p for p in maker_user.perp_positions if p.base_asset_amount != 0]
            assert len(positions) == 1 and positions[0].base_asset_amount == -2_000_000_000

            status = (await client.get_signature_statuses([signature])).value[0]
            assert status is not None and status.err is None
            assert str(status.confirmation_status) == "TransactionConfirmationStatus.Processed"

            sim.advance(1)  # confirmed lag is one slot
            sig_note = None
            for _ in range(5):
                for item in await asyncio.wait_for(ws.recv(), 5):
                    if getattr(item, "subscription", None) == sig_sub:
                        sig_note = item
                if sig_note is not None:
                    break
            assert sig_note is not None and sig_note.result.value.err is None
            status = (await client.get_signature_statuses([signature])).value[0]
            assert str(status.confirmation_status) == "TransactionConfirmationStatus.Confirmed"

        # the taker's order is filled and the ground truth names the maker and the price
        taker_user = decode_user(sim.chain.ledger.get(taker.user).data)
        filled = [o for o in taker_user.orders if o.order_id == order.order_id]
        assert not filled or filled[0].base_asset_amount_filled == 2_000_000_000
        record = sim.reporter.open[(taker.user, order.order_id)]
        assert len(record["fills"]) == 1
        fill = record["fills"][0]
        assert fill["maker"].startswith(f"funded:{maker.pubkey()}/0")
        assert fill["base"] == 2_000_000_000 and fill["price"] >= oracle
        tx_info = await client.get_transaction(
            signature, commitment=Confirmed, max_supported_transaction_version=0
        )
        assert tx_info.value is not None and tx_info.value.slot == status.slot
    finally:
        await client.close()
        await sim.stop()
