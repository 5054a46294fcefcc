"""PubSub semantics: commitment lag, filters, unsubscribe, slots, and the websocket faults."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
import websockets

from jitmaker.sim.app import Simulator
from jitmaker.sim.world import DRIFT_PROGRAM_ID

from .simkit import long_market_order, quiet_scenario

USER_FILTER = {"memcmp": {"offset": 0, "bytes": "TfwwBiNJtao"}}
AUCTION_FILTER = {"memcmp": {"offset": 4354, "bytes": "2"}}


@pytest.fixture
async def sim():
    s = Simulator(quiet_scenario(competitors=()), seed=2, manual_clock=True, flow=False)
    await s.start()
    yield s
    await s.stop()


async def _call(ws, rid: int, method: str, params: list) -> dict:
    await ws.send(json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params}))
    return json.loads(await asyncio.wait_for(ws.recv(), 5))


async def _drain(ws, timeout: float = 0.2) -> list[dict]:
    out = []
    while True:
        try:
            out.append(json.loads(await asyncio.wait_for(ws.recv(), timeout)))
        except TimeoutError:
            return out


async def test_confirmed_program_notifications_wait_one_slot_and_filters_apply(sim):
    async with websockets.connect(sim.ws_url) as ws:
        reply = await _call(
            ws,
            1,
            "programSubscribe",
            [
                str(DRIFT_PROGRAM_ID),
                {
                    "encoding": "base64",
                    "commitment": "confirmed",
                    "filters": [USER_FILTER, AUCTION_FILTER],
                },
            ],
        )
        sub = reply["result"]
        assert isinstance(sub, int) and reply["id"] == 1
        order = sim.place_taker(0, long_market_order(sim.world.perp[0].oracle_price))
        assert await _drain(ws) == []  # confirmed: nothing before the slot is confirmed
        sim.advance(1)
        notes = [m for m in await _drain(ws) if m.get("method") == "programNotification"]
        assert len(notes) == 1
        value = notes[0]["params"]["result"]["value"]
        assert notes[0]["params"]["subscription"] == sub
        assert value["pubkey"] == str(order.taker.user)
        data = base64.b64decode(value["account"]["data"][0])
        assert data[4354] == 1 and value["account"]["space"] == 4376
        assert notes[0]["params"]["result"]["context"]["slot"] == sim.slot - 1


async def test_account_subscription_processed_unsubscribe_and_bad_id(sim):
    market = sim.world.perp[0]
    async with websockets.connect(sim.ws_url) as ws:
        sub = (
            await _call(
                ws,
                1,
                "accountSubscribe",
                [str(market.oracle), {"encoding": "base64", "commitment": "processed"}],
            )
        )["result"]
        sim.set_oracle_price(0, market.oracle_price + 1_000_000)
        notes = await _drain(ws)
        assert len(notes) == 1 and notes[0]["method"] == "accountNotification"
        assert notes[0]["params"]["subscription"] == sub
        assert notes[0]["params"]["result"]["value"]["rentEpoch"] == 18446744073709551615
        assert (await _call(ws, 2, "accountUnsubscribe", [sub]))["result"] is True
        sim.set_oracle_price(0, market.oracle_price + 2_000_000)
        assert await _drain(ws) == []
        bad = await _call(ws, 3, "accountUnsubscribe", [sub])
        assert bad["error"] == {"code": -32602, "message": "Invalid subscription id."}
        bad = await _call(ws, 4, "accountSubscribe", ["nope", {"encoding": "base64"}])
        assert bad["error"]["code"] == -32602


async def test_slot_subscription_and_batch_messages(sim):
    async with websockets.connect(sim.ws_url) as ws:
        await ws.send(
            json.dumps(
                [
                    {"jsonrpc": "2.0", "id": 1, "method": "slotSubscribe"},
                    {"jsonrpc": "2.0", "id": 2, "method": "rootSubscribe"},
                ]
            )
        )
        replies = json.loads(await ws.recv())
        assert [r["id"] for r in replies] == [1, 2]
        sim.advance(2)
        notes = [m for m in await _drain(ws) if m["method"] == "slotNotification"]
        assert [n["params"]["result"]["slot"] for n in notes] == [sim.slot - 1, sim.slot]
        assert notes[-1]["params"]["result"]["parent"] == sim.slot - 1


async def test_stall_delivers_nothing_and_drop_closes_sockets(sim):
    async with websockets.connect(sim.ws_url) as ws:
        await _call(ws, 1, "slotSubscribe", [])
        sim.faults.stall_ws(True)
        sim.advance(3)
        assert await _drain(ws) == []
        sim.faults.stall_ws(False)
        sim.advance(1)
        assert len(await _drain(ws)) == 1
        sim.faults.drop_ws(refuse_slots=5)
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
    with pytest.raises(websockets.InvalidStatusCode) as info:
        await websockets.connect(sim.ws_url)
    assert info.value.status_code == 429
    sim.advance(5)
    async with websockets.connect(sim.ws_url) as ws:
        assert isinstance((await _call(ws, 1, "slotSubscribe", []))["result"], int)


async def test_delay_and_corruption_faults(sim):
    market = sim.world.perp[0]
    async with websockets.connect(sim.ws_url) as ws:
        await _call(
            ws,
            1,
            "accountSubscribe",
            [str(market.oracle), {"encoding": "base64", "commitment": "processed"}],
        )
        sim.faults.corrupt_account(market.oracle, count=1)
        sim.set_oracle_price(0, market.oracle_price + 500)
        first = (await _drain(ws))[0]["params"]["result"]["value"]
        bad = base64.b64decode(first["data"][0])
        good = sim.chain.ledger.get(market.oracle).data
        assert bad != good and len(bad) < len(good) and first["space"] == len(good)
        sim.faults.delay_ws(300)
        sim.set_oracle_price(0, market.oracle_price + 700)
        assert await _drain(ws, 0.1) == []
        late = await _drain(ws, 1.0)
        assert len(late) == 1
        assert (
            base64.b64decode(late[0]["params"]["result"]["value"]["data"][0])
            == sim.chain.ledger.get(market.oracle).data
        )


async def test_scheduled_faults_switch_on_and_off():
    from jitmaker.sim.scenario import FaultSpec

    scenario = quiet_scenario(
        competitors=(),
        faults=(
            FaultSpec("stall_ws", at_slot=300_000_002, duration_slots=3),
            FaultSpec("rate_limit", at_slot=300_000_004, duration_slots=1),
        ),
    )
    sim = Simulator(scenario, manual_clock=True, flow=False)
    sim.advance(2)
    assert sim.faults.ws_stalled
    sim.advance(2)
    assert sim.faults.ws_stalled and sim.faults.rate_limited()
    sim.advance(1)
    assert not sim.faults.ws_stalled and not sim.faults.rate_limited()
    assert [(e.kind, e.on) for e in sim.faults.events] == [
        ("stall_ws", True),
        ("rate_limit", True),
        ("stall_ws", False),
        ("rate_limit", False),
    ]
    sim.reporter.close()


async def test_default_binary_encoding_falls_back_for_large_accounts(sim):
    taker = sim.world.takers[0]
    async with websockets.connect(sim.ws_url) as ws:
        await _call(ws, 1, "accountSubscribe", [str(taker.user), {"commitment": "processed"}])
        params = long_market_order(sim.world.perp[0].oracle_price)
        assert sim.flow.place_taker(sim.world.perp[0], sim.slot, params, taker) is not None
        notes = await _drain(ws)
        assert len(notes) == 1
        assert notes[0]["params"]["result"]["value"]["data"][1] == "base64"
        sim.advance(1)  # the slot moves on: no exception escaped into the chain
        assert sim.flow.stats.takers_placed == 1


async def test_signature_subscription_with_received_notification(sim):
    from solders.keypair import Keypair

    from .simkit import jit_transaction

    maker = Keypair.from_seed(bytes([4]) * 32)
    sim.fund(maker.pubkey(), 50_000 * 10**6)
    order = sim.place_taker(0, long_market_order(sim.world.perp[0].oracle_price))
    sim.advance(3)
    bh, _ = sim.chain.latest_blockhash("processed")
    tx = jit_transaction(sim.world, maker, order.taker.keypair.pubkey(), order.order_id, bh)
    async with websockets.connect(sim.ws_url) as ws:
        sub = (
            await _call(
                ws,
                1,
                "signatureSubscribe",
                [
                    str(tx.signatures[0]),
                    {"commitment": "processed", "enableReceivedNotification": True},
                ],
            )
        )["result"]
        raw = base64.b64encode(bytes(tx)).decode()
        reply = sim.rpc.handle_one(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "sendTransaction",
                "params": [raw, {"encoding": "base64"}],
            }
        )
        assert reply["result"] == str(tx.signatures[0])
        notes = await _drain(ws)
        values = [
            n["params"]["result"]["value"] for n in notes if n["params"]["subscription"] == sub
        ]
        assert values == ["receivedSignature", {"err": None}]
        # one-shot: the subscription is gone after the final notification
        bad = await _call(ws, 3, "signatureUnsubscribe", [sub])
        assert bad["error"]["message"] == "Invalid subscription id."
