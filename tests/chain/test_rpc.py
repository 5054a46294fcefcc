"""RpcClient against a local misbehaving JSON-RPC server."""

from __future__ import annotations

import base64
import random
import socket
from collections.abc import AsyncIterator

import pytest
import structlog
import zstandard

from jitmaker.chain.backoff import Backoff, Jitter
from jitmaker.chain.rpc import (
    Commitment,
    DataSize,
    Encoding,
    Memcmp,
    RpcClient,
    RpcRateLimitedError,
    RpcTransportError,
    b58encode,
)
from jitmaker.errors import RpcError

from ._fake_rpc import FakeClock, FakeRpc, Fault, RpcFail

DRIFT = "dRiftyHA39MWEi3m9aunc5MzRF1JYuBsbn6VPcn33UH"


def _acct(data: bytes, enc: str = "base64") -> dict:
    payload = data if enc == "base64" else zstandard.ZstdCompressor().compress(data)
    return {
        "lamports": 5,
        "data": [base64.b64encode(payload).decode(), enc],
        "owner": DRIFT,
        "executable": False,
        "rentEpoch": 18446744073709551615,
        "space": len(data),
    }


@pytest.fixture
async def rpc() -> AsyncIterator[FakeRpc]:
    srv = FakeRpc()
    srv.handlers["getSlot"] = lambda p: 312_000_127
    await srv.start()
    yield srv
    await srv.close()


@pytest.fixture
async def rpc2() -> AsyncIterator[FakeRpc]:
    srv = FakeRpc()
    srv.handlers["getSlot"] = lambda p: 999
    await srv.start()
    yield srv
    await srv.close()


def _client(urls, clock: FakeClock | None = None, **kw) -> RpcClient:
    clock = clock or FakeClock()
    kw.setdefault("backoff", Backoff(0.05, 2.0, rng=random.Random(1)))
    return RpcClient(urls, sleep=clock.sleep, clock=clock, **kw)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_get_slot_sends_commitment_and_parses_result(rpc: FakeRpc) -> None:
    async with _client(rpc.url) as c:
        assert await c.get_slot(Commitment.PROCESSED) == 312_000_127
    assert rpc.requests[0]["method"] == "getSlot"
    assert rpc.requests[0]["params"] == [{"commitment": "processed"}]


async def test_http_429_honours_retry_after_then_succeeds(rpc: FakeRpc) -> None:
    rpc.faults.append(Fault("429", retry_after="2"))
    clock = FakeClock()
    async with _client(rpc.url, clock) as c:
        assert await c.get_slot() == 312_000_127
        assert c.health()[0].rate_limited == 1
    assert len(clock.sleeps) == 1
    # Retry-After 2 s plus at most one backoff base (0.05 s) of jitter.
    assert 2.0 <= clock.sleeps[0] <= 2.05
    assert rpc.methods() == ["getSlot", "getSlot"]


@pytest.mark.parametrize("code", [-32429, -32029, 429])
async def test_json_rate_limit_codes_inside_http_200_are_retried(rpc: FakeRpc, code: int) -> None:
    rpc.faults.append(Fault("json429", code=code))
    clock = FakeClock()
    async with _client(rpc.url, clock) as c:
        assert await c.get_slot() == 312_000_127
    assert len(clock.sleeps) == 1 and clock.sleeps[0] > 0


async def test_retry_after_is_capped(rpc: FakeRpc) -> None:
    rpc.faults.append(Fault("429", retry_after="3600"))
    clock = FakeClock()
    async with _client(rpc.url, clock, max_retry_after_s=1.5) as c:
        await c.get_slot()
    assert clock.sleeps and clock.sleeps[0] <= 1.55


async def test_rate_limit_exhausting_attempts_raises_rate_limited_error(rpc: FakeRpc) -> None:
    rpc.faults.extend(Fault("429", retry_after="1") for _ in range(3))
    async with _client(rpc.url, max_attempts=3) as c:
        with pytest.raises(RpcRateLimitedError) as ei:
            await c.get_slot()
    assert ei.value.code == 429 and ei.value.retry_after_s == 1.0


async def test_garbage_reply_is_an_rpc_error_and_retried(rpc: FakeRpc) -> None:
    rpc.faults.append(Fault("garbage"))
    async with _client(rpc.url) as c:
        assert await c.get_slot() == 312_000_127
    rpc.faults.extend(Fault("garbage") for _ in range(2))
    async with _client(rpc.url, max_attempts=2) as c:
        with pytest.raises(RpcTransportError, match="non-JSON"):
            await c.get_slot()


@pytest.mark.parametrize(
    "data", [None, "text", [1, 2], {"context": {"slot": "x"}, "value": None}, {"value": 1}]
)
async def test_wrong_result_shape_is_an_rpc_error(rpc: FakeRpc, data: object) -> None:
    rpc.faults.append(Fault("wrong_shape", data=data))
    async with _client(rpc.url) as c:
        with pytest.raises(RpcError, match="malformed"):
            await c.get_latest_blockhash()


async def test_envelope_without_result_is_retried_as_malformed(rpc: FakeRpc) -> None:
    rpc.faults.append(Fault("no_result"))
    async with _client(rpc.url) as c:
        assert await c.get_slot() == 312_000_127
    rpc.faults.append(Fault("no_result"))
    async with _client(rpc.url, max_attempts=1) as c:
        with pytest.raises(RpcTransportError, match="no result"):
            await c.get_slot()


async def test_http_5xx_is_retried(rpc: FakeRpc) -> None:
    rpc.faults.append(Fault("http", status=502))
    async with _client(rpc.url) as c:
        assert await c.get_slot() == 312_000_127
    assert len(rpc.requests) == 2


async def test_definitive_error_is_raised_once_with_code_and_data(rpc: FakeRpc) -> None:
    data = {"err": {"InstructionError": [2, {"Custom": 6000}]}, "logs": ["Program x failed"]}

    def send(params):
        raise RpcFail(-32002, "Transaction simulation failed: custom program error: 0x1770", data)

    rpc.handlers["sendTransaction"] = send
    async with _client(rpc.url) as c:
        with pytest.raises(RpcError) as ei:
            await c.send_transaction(b"\x01" + bytes(64) + b"msg", skip_preflight=False)
        assert c.health()[0].ok == 1  # the node answered; the endpoint is healthy
    assert type(ei.value) is RpcError
    assert ei.value.code == -32002 and ei.value.data == data
    assert rpc.methods() == ["sendTransaction"]
    params = rpc.requests[0]["params"]
    assert base64.b64decode(params[0]) == b"\x01" + bytes(64) + b"msg"
    assert params[1]["skipPreflight"] is False and params[1]["encoding"] == "base64"


async def test_node_behind_is_retried(rpc: FakeRpc) -> None:
    rpc.faults.append(
        Fault(
            "error", code=-32005, message="Node is behind by 42 slots", data={"numSlotsBehind": 42}
        )
    )
    async with _client(rpc.url) as c:
        assert await c.get_slot() == 312_000_127
    assert len(rpc.requests) == 2


async def test_failover_to_second_endpoint_on_dropped_connection(
    rpc: FakeRpc, rpc2: FakeRpc
) -> None:
    rpc.faults.append(Fault("drop"))
    clock = FakeClock()
    async with _client([rpc.url, rpc2.url], clock) as c:
        assert await c.get_slot() == 999  # answered by the second endpoint, without sleeping
        assert clock.sleeps == []
        assert await c.get_slot() == 999  # primary still cooling down: stick to the second
        clock.now += 60.0
        assert await c.get_slot() == 312_000_127  # primary recovered and is preferred again
        h = c.health()
        assert h[0].failures == 1 and h[0].ok == 1 and h[1].ok == 2


async def test_all_endpoints_failing_raises_transport_error(rpc: FakeRpc) -> None:
    dead = f"http://127.0.0.1:{_free_port()}/"
    rpc.faults.extend(Fault("http", status=503) for _ in range(5))
    async with _client([dead, rpc.url], max_attempts=3) as c:
        with pytest.raises(RpcTransportError):
            await c.get_slot()


async def test_timeout_becomes_transport_error(rpc: FakeRpc) -> None:
    rpc.faults.append(Fault("stall", seconds=5.0))
    async with _client(rpc.url, timeout_s=0.2, max_attempts=1) as c:
        with pytest.raises(RpcTransportError, match="timeout"):
            await c.get_slot()


async def test_get_multiple_accounts_chunks_by_100_in_one_batch(rpc: FakeRpc) -> None:
    def gma(params):
        keys = params[0]
        assert params[1]["encoding"] == "base64"
        vals = [None if k.endswith("7") else _acct(k.encode()) for k in keys]
        return {"context": {"slot": 50 + len(keys)}, "value": vals}

    rpc.handlers["getMultipleAccounts"] = gma
    keys = [f"key{i:03d}" for i in range(250)]
    async with _client(rpc.url) as c:
        res = await c.get_multiple_accounts(keys)
    assert len(rpc.requests) == 1 and isinstance(rpc.requests[0], list)
    assert [len(r["params"][0]) for r in rpc.requests[0]] == [100, 100, 50]
    assert res.slot == 100  # the lowest context slot among the chunks
    for k, a in zip(keys, res.value, strict=True):
        if k.endswith("7"):
            assert a is None
        else:
            assert a is not None and a.pubkey == k and a.data == k.encode()


async def test_get_program_accounts_zstd_filters_and_context(rpc: FakeRpc) -> None:
    blob = bytes(range(256)) * 17

    def gpa(params):
        assert params[0] == DRIFT
        cfg = params[1]
        assert cfg["encoding"] == "base64+zstd" and cfg["withContext"] is True
        assert cfg["filters"] == [
            {"memcmp": {"offset": 0, "bytes": "TfwwBiNJtao", "encoding": "base58"}},
            {"memcmp": {"offset": 4354, "bytes": "2", "encoding": "base58"}},
            {"dataSize": 4376},
        ]
        assert cfg["minContextSlot"] == 10
        return {
            "context": {"slot": 77},
            "value": [{"pubkey": "U1", "account": _acct(blob, "base64+zstd")}],
        }

    rpc.handlers["getProgramAccounts"] = gpa
    disc = bytes.fromhex("9f755fe3ef973aec")
    filters = [Memcmp(0, disc), Memcmp(4354, b"\x01"), DataSize(4376)]
    async with _client(rpc.url) as c:
        res = await c.get_program_accounts(DRIFT, filters, min_context_slot=10)
    assert res.slot == 77 and len(res.value) == 1
    assert res.value[0].pubkey == "U1" and res.value[0].data == blob and res.value[0].owner == DRIFT


async def test_get_program_accounts_without_context(rpc: FakeRpc) -> None:
    rpc.handlers["getProgramAccounts"] = lambda p: [{"pubkey": "A", "account": _acct(b"xy")}]
    async with _client(rpc.url) as c:
        res = await c.get_program_accounts(DRIFT, with_context=False, encoding=Encoding.BASE64)
    assert res.slot is None and res.value[0].data == b"xy"


async def test_bad_base64_in_account_is_an_rpc_error(rpc: FakeRpc) -> None:
    bad = _acct(b"x")
    bad["data"][0] = "!!!not base64"
    rpc.handlers["getAccountInfo"] = lambda p: {"context": {"slot": 1}, "value": bad}
    async with _client(rpc.url) as c:
        with pytest.raises(RpcError, match="malformed"):
            await c.get_account_info("A")


async def test_signature_statuses_blockhash_fees_and_simulation(rpc: FakeRpc) -> None:
    rpc.handlers["getSignatureStatuses"] = lambda p: {
        "context": {"slot": 9},
        "value": [
            {
                "slot": 8,
                "confirmations": 1,
                "err": None,
                "status": {"Ok": None},
                "confirmationStatus": "confirmed",
            },
            None,
        ],
    }
    rpc.handlers["getLatestBlockhash"] = lambda p: {
        "context": {"slot": 5},
        "value": {"blockhash": "BH", "lastValidBlockHeight": 150},
    }
    rpc.handlers["getRecentPrioritizationFees"] = lambda p: [
        {"slot": 1, "prioritizationFee": 0},
        {"slot": 2, "prioritizationFee": 1000},
    ]
    rpc.handlers["simulateTransaction"] = lambda p: {
        "context": {"slot": 3},
        "value": {
            "err": {"InstructionError": [2, {"Custom": 6009}]},
            "logs": ["a", "b"],
            "unitsConsumed": 42,
            "accounts": None,
        },
    }
    rpc.handlers["getBlockHeight"] = lambda p: 140
    async with _client(rpc.url) as c:
        st = await c.get_signature_statuses(["s1", "s2"])
        assert st.slot == 9 and st.value[1] is None
        assert st.value[0].confirmation_status is Commitment.CONFIRMED and st.value[0].err is None
        bh = await c.get_latest_blockhash()
        assert (bh.blockhash, bh.last_valid_block_height, bh.slot) == ("BH", 150, 5)
        fees = await c.get_recent_prioritization_fees(["acc"])
        assert [f.fee for f in fees] == [0, 1000]
        sim = await c.simulate_transaction(b"tx")
        assert sim.err == {"InstructionError": [2, {"Custom": 6009}]}
        assert sim.logs == ("a", "b") and sim.units_consumed == 42
        assert await c.get_block_height() == 140


def test_b58encode_known_vectors() -> None:
    assert b58encode(b"\x00") == "1"
    assert b58encode(b"\x01") == "2"
    assert b58encode(bytes.fromhex("9f755fe3ef973aec")) == "TfwwBiNJtao"  # User discriminator
    assert b58encode(bytes.fromhex("0adf0c2c6bf537f7")) == "2pTyMkwXuti"  # PerpMarket
    assert b58encode(bytes(32)) == "1" * 32


# ------------------------------------------------------------------ canary: no secret leaks

CANARY = "c4n4ryK3y0123456789abcdefXYZ"


async def test_canary_api_key_never_appears_in_errors_or_logs(rpc: FakeRpc) -> None:
    dead_port = _free_port()
    urls = [
        f"http://127.0.0.1:{dead_port}/?api-key={CANARY}",
        f"http://127.0.0.1:{dead_port}/v2/{CANARY}",
    ]
    texts: list[str] = []
    with structlog.testing.capture_logs() as logs:
        for url in urls:
            async with _client(url, max_attempts=2) as c:
                with pytest.raises(RpcError) as ei:
                    await c.get_slot()
                texts += [str(ei.value), repr(ei.value), *c.endpoint_names]
        # The same canary on a live server misbehaving in every way we know.
        rpc.path = f"/v2/{CANARY}/"
        for fault in [
            Fault("429"),
            Fault("garbage"),
            Fault("http", status=500),
            Fault("drop"),
            Fault("error", code=-32602, message=f"bad request for {rpc.url}"),
            Fault("stall", seconds=2.0),
            Fault("wrong_shape", data=None),
        ]:
            rpc.faults.append(fault)
            async with _client(f"{rpc.url}?api-key={CANARY}", max_attempts=1, timeout_s=0.2) as c:
                with pytest.raises(RpcError) as ei:
                    await c.get_latest_blockhash()
                texts += [str(ei.value), repr(ei.value), str(ei.value.data)]
    texts += [repr(entry) for entry in logs]
    assert logs, "the failures above must have been logged"
    for t in texts:
        assert CANARY not in t
    assert any("***" in t for t in texts)


async def test_max_wait_bounds_the_wait_for_a_cooling_down_endpoint(rpc: FakeRpc) -> None:
    rpc.faults.append(Fault("429", retry_after="5"))
    clock = FakeClock()
    async with _client(rpc.url, clock) as c:
        with pytest.raises(RpcRateLimitedError):
            await c.request("getSlot", [], max_wait_s=1.0)
        assert clock.sleeps == []  # 5 s > 1 s: gave up instead of sleeping
        assert await c.request("getSlot", []) == 312_000_127  # default max wait 10 s: waits
        assert len(clock.sleeps) == 1 and clock.sleeps[0] >= 5.0


async def test_unencodable_params_are_an_rpc_error_without_network(rpc: FakeRpc) -> None:
    async with _client(rpc.url) as c:
        with pytest.raises(RpcError, match="cannot encode"):
            await c.request("getSlot", [b"bytes are not JSON"])
    assert rpc.requests == []


async def test_429_without_retry_after_cools_down_with_growing_backoff(rpc: FakeRpc) -> None:
    rpc.faults.extend([Fault("429"), Fault("429")])
    clock = FakeClock()
    cooldown = Backoff(0.5, 30.0, jitter=Jitter.NONE)
    async with _client(rpc.url, clock, endpoint_cooldown=cooldown) as c:
        assert await c.get_slot() == 312_000_127
    assert clock.sleeps == [0.5, 1.0]


@pytest.mark.parametrize("with_context", [True, False])
async def test_get_program_accounts_fast_and_checked_paths_agree(
    rpc: FakeRpc, monkeypatch, with_context: bool
) -> None:
    import jitmaker.chain.rpc as rpc_mod

    pk = "11111111111111111111111111111112"
    items = [
        {"pubkey": pk, "account": _acct(bytes(range(256)) * 17)},
        {"pubkey": pk, "account": _acct(b"zz", "base64+zstd")},
        {"pubkey": pk, "account": {k: v for k, v in _acct(b"no-rent").items() if k != "rentEpoch"}},
    ]
    rpc.handlers["getProgramAccounts"] = lambda p: (
        {"context": {"slot": 5}, "value": items} if with_context else items
    )
    enc = Encoding.BASE64

    calls = []
    real = rpc_mod.gpa_with_context_fast if with_context else rpc_mod.gpa_plain_fast

    def spy(raw: bytes):
        calls.append(1)
        return real(raw)

    monkeypatch.setattr(rpc_mod, "gpa_with_context_fast" if with_context else "gpa_plain_fast", spy)
    async with _client(rpc.url) as c:
        fast = await c.get_program_accounts(DRIFT, with_context=with_context, encoding=enc)

        def broken(raw: bytes):
            raise ValueError("fast path disabled")

        monkeypatch.setattr(rpc_mod, "gpa_with_context_fast", broken)
        monkeypatch.setattr(rpc_mod, "gpa_plain_fast", broken)
        slow = await c.get_program_accounts(DRIFT, with_context=with_context, encoding=enc)
    assert calls == [1]
    assert [a[:5] for a in fast.value] == [a[:5] for a in slow.value]  # rent_epoch may differ
    assert fast.slot == slow.slot == (5 if with_context else None)
    assert fast.value[0].data == bytes(range(256)) * 17 and fast.value[1].data == b"zz"


async def test_get_program_accounts_error_reply_takes_the_checked_path(rpc: FakeRpc) -> None:
    def gpa(params):
        raise RpcFail(-32602, "Too many filters provided; max 4")

    rpc.handlers["getProgramAccounts"] = gpa
    async with _client(rpc.url) as c:
        with pytest.raises(RpcError) as ei:
            await c.get_program_accounts(DRIFT)
    assert ei.value.code == -32602 and len(rpc.requests) == 1


async def test_hostile_replies_are_rpc_errors(rpc: FakeRpc) -> None:
    """Regressions from fuzzing: deep nesting, unhashable ids/codes in batches, huge numbers."""
    async with _client(rpc.url, max_attempts=1) as c:
        rpc.faults.append(Fault("raw"))
        rpc.raw_body = "[" * 100_000 + "]" * 100_000
        with pytest.raises(RpcTransportError, match="non-JSON"):
            await c.get_slot()
        rpc.faults.append(Fault("raw"))
        rpc.raw_body = '[{"id": [1], "result": 1}, {"id": 2, "error": {"code": [429]}}]'
        res = await c.batch([("getSlot", []), ("getSlot", [])])
        assert all(isinstance(r, RpcError) for r in res)
        rpc.faults.append(Fault("raw"))
        rpc.raw_body = (
            '{"jsonrpc":"2.0","id":1,"result":{"context":{"slot":1},"value":'
            '{"lamports":1e999,"data":["","base64"],"owner":"o","executable":false}}}'
        )
        with pytest.raises(RpcError, match="malformed result"):
            await c.get_account_info("k")
