"""I/O edge: websocket notification handling, getProgramAccounts, sendTransaction.

Same bytes for both sides, in the same run, against a local aiohttp JSON-RPC server on
127.0.0.1 (no network):

* ``ws_program_notification``: handling one ``programNotification`` frame carrying a 4376-byte
  User account up to raw bytes in a callback. Ours: ``SubscriptionManager._handle`` (solders
  parse, routing, freshness bookkeeping, dispatch). Baseline: what solana-py's
  websocket client (used by driftpy's subscribers) does per frame,
  ``solders.rpc.responses.parse_websocket_message`` + ``bytes(account.data)``.
* ``rpc_get_program_accounts``: a 1000-User getProgramAccounts round trip (base64, ~5.8 MB
  body). Ours: ``RpcClient.get_program_accounts``; baseline: solana-py
  ``AsyncClient.get_program_accounts`` (httpx + solders parsing), same server and body.
* ``rpc_send_transaction_awaited``: one awaited sendTransaction round trip, ours
  ``RpcClient.send_transaction`` vs solana-py ``AsyncClient.send_raw_transaction``
  (skip_preflight, skip_confirmation).
* ``sender_send_until_caller_continues``: how long the hot path is blocked by a send. Ours
  ``Sender.send`` returns before any I/O (the network happens in a background task);
  baseline: the awaited solana-py send above (driftpy's path, which then also confirms).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import statistics
import time
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web
from aiohttp.test_utils import TestServer
from solana.rpc.async_api import AsyncClient
from solana.rpc.types import TxOpts
from solders.pubkey import Pubkey
from solders.rpc.responses import parse_websocket_message

from bench.util import per_op, row
from jitmaker.chain.rpc import Encoding, RpcClient
from jitmaker.chain.sender import Sender, signature_of
from jitmaker.chain.ws import SubscriptionManager

DRIFT = "dRiftyHA39MWEi3m9aunc5MzRF1JYuBsbn6VPcn33UH"
USER_SIZE = 4376


def _account_json(data: bytes) -> dict:
    return {
        "lamports": 31_313_280,
        "data": [base64.b64encode(data).decode(), "base64"],
        "owner": DRIFT,
        "executable": False,
        "rentEpoch": 18446744073709551615,
        "space": len(data),
    }


def _user_bytes(i: int) -> bytes:
    seed = i.to_bytes(4, "little")
    return (seed * (USER_SIZE // 4 + 1))[:USER_SIZE]


def _pubkey(i: int) -> str:
    return str(Pubkey.from_bytes(i.to_bytes(32, "little")))


def _tx() -> bytes:
    return b"\x01" + os.urandom(64) + os.urandom(600)


async def _timed(fn: Callable[[], Awaitable[object]], number: int, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            await fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def _bench_ws(quick: bool) -> dict:
    note = {
        "jsonrpc": "2.0",
        "method": "programNotification",
        "params": {
            "result": {
                "context": {"slot": 312_000_131},
                "value": {"pubkey": _pubkey(7), "account": _account_json(_user_bytes(7))},
            },
            "subscription": 24040,
        },
    }
    frame = json.dumps(note)
    got: list[bytes] = []
    mgr = SubscriptionManager("ws://127.0.0.1:1")
    sub = asyncio.run(mgr.program_subscribe(DRIFT, lambda u: got.append(u.data)))
    sub.server_id = 24040
    mgr._by_server_id[24040] = sub  # as if confirmed on a live connection

    def ours() -> None:
        mgr._handle(frame, 0.0)
        got.clear()

    def baseline() -> None:
        msg = parse_websocket_message(frame)[0]
        got.append(bytes(msg.result.value.account.data))
        got.clear()

    ours()
    baseline()
    assert mgr.counts.total() == 0
    number = 2000 if quick else 20000
    return row(
        "ws_program_notification (User 4376 B)",
        per_op(ours, number),
        "solders.parse_websocket_message + bytes(data)",
        per_op(baseline, number),
    )


def _server(n_users: int) -> tuple[web.Application, bytes]:
    gpa = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 0,
            "result": [
                {"pubkey": _pubkey(i), "account": _account_json(_user_bytes(i))}
                for i in range(n_users)
            ],
        }
    ).encode()

    async def handle(request: web.Request) -> web.Response:
        req = json.loads(await request.read())
        if req["method"] == "getProgramAccounts":
            body = gpa.replace(b'"id":0', f'"id":{json.dumps(req["id"])}'.encode(), 1)
            return web.Response(body=body, content_type="application/json")
        if req["method"] == "sendTransaction":
            sig = signature_of(base64.b64decode(req["params"][0]))
            return web.json_response({"jsonrpc": "2.0", "id": req["id"], "result": sig})
        return web.json_response({"jsonrpc": "2.0", "id": req["id"], "result": 1})

    app = web.Application(client_max_size=1 << 20)
    app.router.add_post("/", handle)
    return app, gpa


async def _bench_http(quick: bool) -> list[dict]:
    n_users = 200 if quick else 1000
    app, _ = _server(n_users)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    url = str(server.make_url("/"))
    rows = []
    ours = RpcClient(url, timeout_s=60.0)
    theirs = AsyncClient(url, timeout=60)
    try:
        pid = Pubkey.from_string(DRIFT)

        async def ours_gpa() -> None:
            res = await ours.get_program_accounts(
                DRIFT, with_context=False, encoding=Encoding.BASE64
            )
            assert len(res.value) == n_users

        async def their_gpa() -> None:
            res = await theirs.get_program_accounts(pid, encoding="base64")
            assert len(res.value) == n_users

        reps = (2, 3) if quick else (5, 5)
        await ours_gpa()
        await their_gpa()
        rows.append(
            row(
                f"rpc_get_program_accounts ({n_users} Users, base64)",
                await _timed(ours_gpa, *reps),
                "solana-py AsyncClient.get_program_accounts",
                await _timed(their_gpa, *reps),
            )
        )

        tx = _tx()
        opts = TxOpts(skip_preflight=True, skip_confirmation=True)

        async def ours_send() -> None:
            await ours.send_transaction(tx)

        async def their_send() -> None:
            await theirs.send_raw_transaction(tx, opts=opts)

        reps = (50, 3) if quick else (300, 5)
        await ours_send()
        await their_send()
        their_send_s = await _timed(their_send, *reps)
        rows.append(
            row(
                "rpc_send_transaction_awaited (local server)",
                await _timed(ours_send, *reps),
                "solana-py AsyncClient.send_raw_transaction",
                their_send_s,
            )
        )

        sender = Sender(ours, max_tracked=100_000)
        txs = [_tx() for _ in range(reps[0] * reps[1] + 1)]
        sigs = [signature_of(t) for t in txs]
        it = iter(range(len(txs)))

        def ours_fire() -> None:
            i = next(it)
            sender.send(txs[i], 10**9, signature=sigs[i])

        samples = []
        for _ in range(reps[1]):
            start = time.perf_counter()
            for _ in range(reps[0]):
                ours_fire()
            samples.append((time.perf_counter() - start) / reps[0])
            await asyncio.sleep(0.2)  # let the background sends drain between runs
        rows.append(
            row(
                "sender_send_until_caller_continues",
                statistics.median(samples),
                "solana-py send_raw_transaction (awaited)",
                their_send_s,
                note="ours is fire-and-forget: network happens in background tasks",
            )
        )
        await sender.close()
    finally:
        await ours.close()
        await theirs.close()
        await server.close()
    return rows


def run(quick: bool = False) -> list[dict]:
    # Debug lines per send would dominate the timings (the daemon logs at INFO).
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    rows = [_bench_ws(quick)]
    rows.extend(asyncio.run(_bench_http(quick)))
    return rows


if __name__ == "__main__":
    for r in run(quick=True):
        print(r)
