"""Every error path answers with the real validator's code and a shape solders can parse."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from solana.exceptions import SolanaRpcException
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Processed
from solana.rpc.core import RPCException
from solana.rpc.types import TxOpts
from solders.hash import Hash
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.rpc.errors import (
    InvalidParamsMessage,
    SendTransactionPreflightFailureMessage,
)
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from jitmaker.sim.app import Simulator
from jitmaker.sim.world import DRIFT_PROGRAM_ID

from .simkit import jit_transaction, long_market_order, quiet_scenario


@pytest.fixture
async def sim():
    s = Simulator(quiet_scenario(competitors=()), seed=9, manual_clock=True, flow=False)
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def client(sim):
    c = AsyncClient(sim.http_url)
    yield c
    await c.close()


async def _post(sim, payload) -> tuple[int, dict, object]:
    async with httpx.AsyncClient() as http:
        r = await http.post(sim.http_url, json=payload)
        return r.status_code, dict(r.headers), r.json()


async def _valid(sim, blockhash) -> bool:
    _, _, body = await _post(
        sim,
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "isBlockhashValid",
            "params": [str(blockhash), {"commitment": "processed"}],
        },
    )
    return body["result"]["value"]


def _setup_taker(sim):
    maker = Keypair.from_seed(bytes([3]) * 32)
    sim.fund(maker.pubkey(), 100_000 * 10**6)
    oracle = sim.world.perp[0].oracle_price
    order = sim.place_taker(0, long_market_order(oracle))
    sim.advance(3)
    return maker, order


async def test_preflight_failure_is_32002_with_custom_program_error_and_logs(sim, client):
    maker, order = _setup_taker(sim)
    bh = (await client.get_latest_blockhash(Processed)).value.blockhash
    # asks 1% above the oracle: the taker's auction price has not crossed it
    ask = sim.world.perp[0].oracle_price // 100
    tx = jit_transaction(
        sim.world, maker, order.taker.keypair.pubkey(), order.order_id, bh, ask=ask
    )
    with pytest.raises(RPCException) as info:
        await client.send_raw_transaction(bytes(tx), opts=TxOpts(preflight_commitment=Processed))
    err = info.value.args[0]
    assert isinstance(err, SendTransactionPreflightFailureMessage)
    assert "custom program error: 0x1771" in err.message  # AskNotCrossed
    assert "Error processing Instruction 2" in err.message
    assert any("failed: custom program error: 0x1771" in line for line in err.data.logs)
    assert sim.chain.statuses.get(tx.signatures[0]) is None  # nothing landed


async def test_skip_preflight_lands_the_failure_with_its_error(sim, client):
    maker, order = _setup_taker(sim)
    bh = (await client.get_latest_blockhash(Processed)).value.blockhash
    ask = sim.world.perp[0].oracle_price // 100
    tx = jit_transaction(
        sim.world, maker, order.taker.keypair.pubkey(), order.order_id, bh, ask=ask
    )
    sent = await client.send_raw_transaction(bytes(tx), opts=TxOpts(skip_preflight=True))
    status = (await client.get_signature_statuses([sent.value])).value[0]
    assert status is not None
    assert status.err is not None and "6001" in str(status.err)


async def test_blockhash_not_found_and_already_processed(sim, client):
    maker, order = _setup_taker(sim)
    taker = order.taker.keypair.pubkey()
    stale = jit_transaction(sim.world, maker, taker, order.order_id, Hash.new_unique())
    with pytest.raises(RPCException) as info:
        await client.send_raw_transaction(bytes(stale), opts=TxOpts(preflight_commitment=Processed))
    assert info.value.args[0].message == "Transaction simulation failed: Blockhash not found"
    assert str(info.value.args[0].data.err).endswith(".BlockhashNotFound")

    bh = (await client.get_latest_blockhash(Processed)).value.blockhash
    good = jit_transaction(sim.world, maker, taker, order.order_id, bh)
    await client.send_raw_transaction(bytes(good), opts=TxOpts(preflight_commitment=Processed))
    with pytest.raises(RPCException) as info:
        await client.send_raw_transaction(bytes(good), opts=TxOpts(preflight_commitment=Processed))
    assert "already been processed" in info.value.args[0].message


async def test_expire_blockhashes_fault_makes_a_recent_blockhash_unknown(sim, client):
    maker, order = _setup_taker(sim)
    bh = (await client.get_latest_blockhash(Processed)).value.blockhash
    sim.advance(3)
    sim.faults.expire_blockhashes(max_age=1)
    assert await _valid(sim, bh) is False
    tx = jit_transaction(sim.world, maker, order.taker.keypair.pubkey(), order.order_id, bh)
    with pytest.raises(RPCException) as info:
        await client.send_raw_transaction(bytes(tx), opts=TxOpts(preflight_commitment=Processed))
    assert "Blockhash not found" in info.value.args[0].message
    sim.faults.expire_blockhashes(None)
    assert await _valid(sim, bh) is True


async def test_bad_signature_is_32003(sim):
    maker, order = _setup_taker(sim)
    bh, _ = sim.chain.latest_blockhash("processed")
    tx = jit_transaction(sim.world, maker, order.taker.keypair.pubkey(), order.order_id, bh)
    forged = VersionedTransaction.populate(tx.message, [Signature.new_unique()])
    raw = base64.b64encode(bytes(forged)).decode()
    status, _, body = await _post(
        sim,
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "sendTransaction",
            "params": [raw, {"encoding": "base64"}],
        },
    )
    assert status == 200
    assert body["error"] == {
        "code": -32003,
        "message": "Transaction signature verification failure",
    }


async def test_invalid_params_and_unknown_method(sim, client):
    _status, _, body = await _post(
        sim,
        {
            "jsonrpc": "2.0",
            "id": 4,
            "method": "sendTransaction",
            "params": ["!!!", {"encoding": "base64"}],
        },
    )
    assert body["error"]["code"] == -32602 and body["id"] == 4
    _, _, body = await _post(
        sim,
        {
            "jsonrpc": "2.0",
            "id": 5,
            "method": "getAccountInfo",
            "params": ["not-a-pubkey", {"encoding": "base64"}],
        },
    )
    assert body["error"]["code"] == -32602
    _, _, body = await _post(sim, {"jsonrpc": "2.0", "id": 6, "method": "noSuchMethod"})
    assert body["error"] == {"code": -32601, "message": "Method not found"}
    filters = [{"dataSize": 4376}] * 5
    _, _, body = await _post(
        sim,
        {
            "jsonrpc": "2.0",
            "id": 7,
            "method": "getProgramAccounts",
            "params": [str(DRIFT_PROGRAM_ID), {"filters": filters}],
        },
    )
    assert body["error"] == {"code": -32602, "message": "Too many filters provided; max 4"}
    _, _, body = await _post(
        sim,
        {
            "jsonrpc": "2.0",
            "id": 8,
            "method": "getAccountInfo",
            "params": [str(DRIFT_PROGRAM_ID), {"minContextSlot": sim.slot + 100}],
        },
    )
    assert body["error"]["code"] == -32016
    assert body["error"]["data"] == {"contextSlot": sim.slot}
    # solders parses the invalid-params error without panicking
    with pytest.raises(RPCException) as info:
        await client.get_signature_statuses([Signature.default()] * 300)
    assert isinstance(info.value.args[0], InvalidParamsMessage)


async def test_rate_limit_answers_429_with_retry_after(sim, client):
    sim.faults.rate_limit(requests=2)
    status, headers, body = await _post(sim, {"jsonrpc": "2.0", "id": 11, "method": "getSlot"})
    assert status == 429 and headers.get("retry-after") == "1"
    assert body == {
        "jsonrpc": "2.0",
        "id": 11,
        "error": {"code": 429, "message": "Too many requests for a specific RPC call"},
    }
    with pytest.raises(SolanaRpcException):
        await client.get_slot()
    assert (await client.get_slot()).value == sim.slot  # the third call goes through


async def test_batch_order_gzip_label_and_program_account_filters(sim):
    user_filter = {"memcmp": {"offset": 0, "bytes": "TfwwBiNJtao"}}
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "getSlot"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "getProgramAccounts",
            "params": [
                str(DRIFT_PROGRAM_ID),
                {
                    "encoding": "base64+zstd",
                    "withContext": True,
                    "filters": [user_filter, {"dataSize": 4376}],
                },
            ],
        },
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "getProgramAccounts",
            "params": [
                str(DRIFT_PROGRAM_ID),
                {
                    "encoding": "base64",
                    "filters": [
                        {
                            "memcmp": {
                                "offset": 0,
                                "bytes": list(bytes.fromhex("0adf0c2c6bf537f7")),
                                "encoding": "base58",
                            }
                        }
                    ],
                },
            ],
        },
    ]
    async with httpx.AsyncClient() as http:
        r = await http.post(
            sim.http_url,
            content=json.dumps(batch).encode(),
            headers={"content-encoding": "gzip", "content-type": "application/json"},
        )
    out = r.json()
    assert [item["id"] for item in out] == [1, 2, 3]
    users = out[1]["result"]["value"]
    expected_users = len(sim.world.takers) + len(sim.world.competitors)
    assert len(users) == expected_users
    assert users[0]["account"]["data"][1] == "base64+zstd"
    assert users[0]["account"]["space"] == 4376
    assert users[0]["account"]["rentEpoch"] == 18446744073709551615
    assert len(out[2]["result"]) == len(sim.world.perp)


async def test_simulate_transaction_reports_failure_in_value_not_as_error(sim, client):
    maker, order = _setup_taker(sim)
    tx = jit_transaction(
        sim.world,
        maker,
        order.taker.keypair.pubkey(),
        order.order_id,
        Hash.new_unique(),
        ask=sim.world.perp[0].oracle_price // 100,
    )
    resp = await client.simulate_transaction(tx, sig_verify=False)
    # replaceRecentBlockhash is not set, so the unknown blockhash fails the simulation
    assert resp.value.err is not None
    raw = base64.b64encode(bytes(tx)).decode()
    _, _, body = await _post(
        sim,
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "simulateTransaction",
            "params": [raw, {"encoding": "base64", "replaceRecentBlockhash": True}],
        },
    )
    value = body["result"]["value"]
    assert value["err"] == {"InstructionError": [2, {"Custom": 6001}]}
    assert value["replacementBlockhash"]["lastValidBlockHeight"] > 0
    assert any("0x1771" in line for line in value["logs"])
    assert sim.chain.statuses == {}
    _ = Pubkey  # keep import used for readability of helpers


async def test_corrupt_fault_garbles_reads_once_without_touching_the_ledger(sim, client):
    key = sim.world.perp[0].pubkey
    good = sim.chain.ledger.get(key).data
    sim.faults.corrupt_account(key, count=1)
    first = (await client.get_account_info(key)).value.data
    second = (await client.get_account_info(key)).value.data
    assert first != good and len(first) < len(good)
    assert second == good == sim.chain.ledger.get(key).data


async def test_base58_of_a_large_account_is_invalid_request_but_small_slices_work(sim):
    key = str(sim.world.perp[0].pubkey)
    _, _, body = await _post(
        sim, {"jsonrpc": "2.0", "id": 1, "method": "getAccountInfo", "params": [key]}
    )
    assert body["error"]["code"] == -32600
    assert "please use Base64 encoding" in body["error"]["message"]
    _, _, body = await _post(
        sim,
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "getAccountInfo",
            "params": [key, {"encoding": "base58", "dataSlice": {"offset": 0, "length": 8}}],
        },
    )
    data, encoding = body["result"]["value"]["data"]
    assert encoding == "base58" and data == "2pTyMkwXuti"  # the PerpMarket discriminator
