"""Sender, BlockhashCache and priority fees against local fake RPC/PubSub servers."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from fractions import Fraction

import pytest
import structlog

from jitmaker.chain.rpc import Commitment, RpcClient
from jitmaker.chain.sender import (
    BlockhashCache,
    Expired,
    Failed,
    Landed,
    PriorityFeeEstimator,
    Sender,
    Unknown,
    estimate_priority_fee,
    signature_of,
)
from jitmaker.chain.txerrors import FailureReason, Program
from jitmaker.errors import ExecutionError, RpcError, StaleDataError

from ._fake_rpc import FakeClock, FakeRpc, Fault, RpcFail
from ._fake_ws import FakePubsub, until

CB = "ComputeBudget111111111111111111111111111111"
JIT = "J1TnP8zvVxbtF5KFp5xRmWuvG9McnhzmBd9XGfCyuxFP"


def make_tx(n: int) -> bytes:
    """A fake signed transaction: 1 signature (64 bytes, distinct per n) + message bytes."""
    return b"\x01" + n.to_bytes(2, "little") * 32 + b"message-bytes"


class Chain:
    """Minimal ledger behind a FakeRpc: statuses per signature, a block height, logs."""

    def __init__(self, rpc: FakeRpc) -> None:
        self.height = 100
        self.statuses: dict[str, dict] = {}
        self.history: dict[str, dict] = {}  # only visible with searchTransactionHistory
        self.logs: dict[str, list[str]] = {}
        self.sent: list[bytes] = []
        self.send_error: RpcFail | None = None
        rpc.handlers.update(
            getBlockHeight=lambda p: self.height,
            getSignatureStatuses=self._statuses,
            sendTransaction=self._send,
            getTransaction=self._tx,
            getLatestBlockhash=lambda p: {
                "context": {"slot": 500},
                "value": {
                    "blockhash": f"BH{self.height}",
                    "lastValidBlockHeight": self.height + 150,
                },
            },
            getRecentPrioritizationFees=lambda p: [
                {"slot": i, "prioritizationFee": f} for i, f in enumerate([0, 10, 20, 5000, 30])
            ],
        )

    def _send(self, params):
        raw = base64.b64decode(params[0])
        self.sent.append(raw)
        assert params[1]["skipPreflight"] is True and params[1]["maxRetries"] == 0
        assert params[1]["preflightCommitment"] == "confirmed"  # = the blockhash commitment
        if self.send_error is not None:
            raise self.send_error
        return signature_of(raw)

    def _statuses(self, params):
        sigs, cfg = params
        out = []
        for s in sigs:
            st = self.statuses.get(s)
            if st is None and cfg.get("searchTransactionHistory"):
                st = self.history.get(s)
            out.append(st)
        return {"context": {"slot": 600}, "value": out}

    def _tx(self, params):
        sig = params[0]
        st = self.statuses.get(sig)
        if st is None:
            return None
        return {
            "slot": st["slot"],
            "meta": {"err": st["err"], "logMessages": self.logs.get(sig, [])},
        }

    def land(self, sig: str, status: str = "confirmed", err=None, slot: int = 601) -> None:
        self.statuses[sig] = {
            "slot": slot,
            "confirmations": 1,
            "err": err,
            "status": {"Ok": None} if err is None else {"Err": err},
            "confirmationStatus": status,
        }


@pytest.fixture
async def rpc() -> AsyncIterator[FakeRpc]:
    srv = await FakeRpc().start()
    yield srv
    await srv.close()


@pytest.fixture
async def rpc2() -> AsyncIterator[FakeRpc]:
    srv = await FakeRpc().start()
    yield srv
    await srv.close()


def _sender(client: RpcClient, **kw) -> Sender:
    kw.setdefault("poll_interval_s", 0.01)
    return Sender(client, **kw)


async def test_send_returns_signature_before_any_network_then_lands(rpc: FakeRpc) -> None:
    chain = Chain(rpc)
    outcomes = []
    async with RpcClient(rpc.url) as client:
        sender = _sender(client, on_outcome=outcomes.append)
        sender.start()
        try:
            tx = make_tx(1)
            sig = sender.send(tx, last_valid_block_height=250)
            assert sig == signature_of(tx)
            assert rpc.requests == []  # nothing has touched the network yet: fire and forget
            assert sender.outcome(sig) == Unknown(sig) and sender.inflight == 1
            await until(lambda: chain.sent == [tx])
            await asyncio.sleep(0.05)
            assert sender.outcome(sig) == Unknown(sig)
            chain.land(sig, "processed")  # processed is below the confirmed target
            await asyncio.sleep(0.05)
            assert sender.outcome(sig) == Unknown(sig)
            chain.land(sig, "confirmed", slot=610)
            out = await sender.wait(sig, 5.0)
            assert out == Landed(sig, 610, Commitment.CONFIRMED)
            assert outcomes == [out] and sender.inflight == 0
            assert sender.send(tx, 250) == sig  # resolved: sending again is a no-op
            await asyncio.sleep(0.02)
            assert len(chain.sent) == 1
        finally:
            await sender.close()


async def test_sends_to_every_endpoint_concurrently(rpc: FakeRpc, rpc2: FakeRpc) -> None:
    c1, c2 = Chain(rpc), Chain(rpc2)
    async with RpcClient(rpc.url) as a, RpcClient(rpc2.url, max_attempts=1) as b:
        sender = _sender(a, send_rpcs=[a, b])
        sender.send(make_tx(2), 250)
        await until(lambda: len(c1.sent) == 1 and len(c2.sent) == 1)
        assert c1.sent == c2.sent == [make_tx(2)]
        await sender.close()


async def test_landed_with_error_fetches_logs_and_attributes_the_failure(rpc: FakeRpc) -> None:
    chain = Chain(rpc)
    async with RpcClient(rpc.url) as client:
        sender = _sender(client)
        sender.start()
        try:
            sig = sender.send(make_tx(3), 250, ix_program_ids=[CB, CB, JIT])
            err = {"InstructionError": [2, {"Custom": 6009}]}
            chain.logs[sig] = [
                f"Program {JIT} invoke [1]",
                f"Program {JIT} failed: custom program error: 0x1779",
            ]
            chain.land(sig, "confirmed", err=err, slot=700)
            out = await sender.wait(sig, 5.0)
            assert isinstance(out, Failed) and out.slot == 700 and out.err == err
            assert out.logs == tuple(chain.logs[sig])
            assert (out.failure.program, out.failure.name, out.failure.reason) == (
                Program.JIT_PROXY,
                "NoFill",
                FailureReason.NO_FILL,
            )
        finally:
            await sender.close()


async def test_failure_without_logs_uses_instruction_programs(rpc: FakeRpc) -> None:
    chain = Chain(rpc)
    async with RpcClient(rpc.url) as client:
        sender = _sender(client, fetch_logs=False)
        sender.start()
        try:
            sig = sender.send(make_tx(4), 250, ix_program_ids=[CB, CB, JIT])
            chain.land(sig, "confirmed", err={"InstructionError": [2, {"Custom": 6000}]})
            out = await sender.wait(sig, 5.0)
            assert isinstance(out, Failed) and out.failure.reason is FailureReason.NOT_CROSSED
        finally:
            await sender.close()


async def test_blockhash_not_found_is_unknown_until_expiry_then_expired(rpc: FakeRpc) -> None:
    chain = Chain(rpc)
    chain.send_error = RpcFail(
        -32002,
        "Transaction simulation failed: Blockhash not found",
        {"err": "BlockhashNotFound", "logs": []},
    )
    async with RpcClient(rpc.url) as client:
        sender = _sender(client)
        sender.start()
        try:
            with structlog.testing.capture_logs() as logs:
                sig = sender.send(make_tx(5), last_valid_block_height=150)
                await until(lambda: len(chain.sent) == 1)
                await asyncio.sleep(0.05)
            assert sender.outcome(sig) == Unknown(sig)  # not a silent failure, not a rejection
            assert any(e["event"] == "tx_send_blockhash" for e in logs)
            assert sender.counts["send_blockhash"] == 1
            chain.height = 150  # equal to lastValidBlockHeight: still valid
            await asyncio.sleep(0.05)
            assert sender.outcome(sig) == Unknown(sig)
            chain.height = 151
            out = await sender.wait(sig, 5.0)
            assert out == Expired(sig, 150, 151)
            # Expiry was confirmed with a history search before being declared.
            hist = [
                r
                for r in rpc.requests
                if isinstance(r, dict)
                and r["method"] == "getSignatureStatuses"
                and r["params"][1]["searchTransactionHistory"]
            ]
            assert hist
        finally:
            await sender.close()


async def test_past_expiry_but_found_in_history_counts_as_landed(rpc: FakeRpc) -> None:
    chain = Chain(rpc)
    async with RpcClient(rpc.url) as client:
        sender = _sender(client)
        sender.start()
        try:
            sig = sender.send(make_tx(6), last_valid_block_height=120)
            chain.history[sig] = {
                "slot": 590,
                "confirmations": None,
                "err": None,
                "status": {"Ok": None},
                "confirmationStatus": "finalized",
            }
            chain.height = 300
            out = await sender.wait(sig, 5.0)
            assert out == Landed(sig, 590, Commitment.FINALIZED)
        finally:
            await sender.close()


async def test_transport_failure_at_send_stays_unknown_and_can_still_land(rpc: FakeRpc) -> None:
    chain = Chain(rpc)
    rpc.faults.append(Fault("429", retry_after="1"))
    clock = FakeClock()
    async with RpcClient(rpc.url, max_attempts=1, clock=clock, sleep=clock.sleep) as client:
        sender = _sender(client)
        sig = sender.send(make_tx(7), 250)
        await until(lambda: sender.counts["send_unknown"] == 1)
        assert sender.outcome(sig) == Unknown(sig)
        chain.land(sig)
        sender.start()  # the status poll waits out the endpoint's Retry-After (fake clock)
        try:
            assert isinstance(await sender.wait(sig, 5.0), Landed)
        finally:
            await sender.close()


async def test_definitive_rejection_by_every_endpoint_fails_at_once(rpc: FakeRpc) -> None:
    chain = Chain(rpc)
    chain.send_error = RpcFail(-32003, "Transaction signature verification failure")
    async with RpcClient(rpc.url) as client:
        sender = _sender(client)
        sig = sender.send(make_tx(8), 250)
        out = await sender.wait(sig, 5.0)
        assert isinstance(out, Failed) and out.slot is None
        assert out.failure.code == -32003 and out.failure.program is Program.RUNTIME
        await sender.close()


async def test_rebroadcast_resends_identical_bytes_while_pending(rpc: FakeRpc) -> None:
    chain = Chain(rpc)
    async with RpcClient(rpc.url) as client:
        sender = _sender(client, rebroadcast_s=0.03)
        sender.start()
        try:
            tx = make_tx(9)
            sender.send(tx, 250)
            await until(lambda: len(chain.sent) >= 3)
            assert set(chain.sent) == {tx}
        finally:
            await sender.close()


async def test_tracking_is_bounded(rpc: FakeRpc) -> None:
    Chain(rpc)
    async with RpcClient(rpc.url) as client:
        ended = []
        sender = _sender(client, max_tracked=3, on_outcome=ended.append)
        sigs = [sender.send(make_tx(10 + i), 250) for i in range(5)]
        assert sender.inflight == 3 and sender.counts["evicted"] == 2
        assert sender.outcome(sigs[0]) is None and sender.outcome(sigs[4]) == Unknown(sigs[4])
        assert ended == [Unknown(sigs[0]), Unknown(sigs[1])]  # the consumer hears of evictions
        await sender.close()


async def test_signature_subscription_resolves_without_polling(rpc: FakeRpc) -> None:
    from jitmaker.chain.ws import SubscriptionManager

    Chain(rpc)
    pubsub = await FakePubsub().start()
    mgr = SubscriptionManager(pubsub.url)
    mgr.start()
    try:
        async with RpcClient(rpc.url) as client:
            sender = Sender(client, subscriptions=mgr, poll_interval_s=60.0)
            sig = sender.send(make_tx(20), 250)
            await until(lambda: pubsub.conns and "signatureSubscribe" in pubsub.conns[0].sids)
            sid = pubsub.sid("signatureSubscribe")
            assert pubsub.conns[0].requests[0]["params"][0] == sig
            await pubsub.push(
                {
                    "jsonrpc": "2.0",
                    "method": "signatureNotification",
                    "params": {
                        "result": {"context": {"slot": 88}, "value": {"err": None}},
                        "subscription": sid,
                    },
                }
            )
            assert await sender.wait(sig, 5.0) == Landed(sig, 88, Commitment.CONFIRMED)
            await sender.close()
    finally:
        await mgr.close()
        await pubsub.close()


async def test_drain_waits_for_in_flight_to_resolve(rpc: FakeRpc) -> None:
    chain = Chain(rpc)
    async with RpcClient(rpc.url) as client:
        sender = _sender(client)
        sender.start()
        try:
            sig = sender.send(make_tx(30), 250)
            assert await sender.drain(0.05) == 1
            chain.land(sig)
            assert await sender.drain(5.0) == 0
        finally:
            await sender.close()


def test_signature_of_rejects_garbage() -> None:
    with pytest.raises(ExecutionError):
        signature_of(b"\x00" + bytes(80))
    with pytest.raises(ExecutionError):
        signature_of(b"\x01" + bytes(10))


async def test_blockhash_cache_refresh_and_staleness(rpc: FakeRpc) -> None:
    chain = Chain(rpc)
    clock = FakeClock(10.0)
    async with RpcClient(rpc.url) as client:
        cache = BlockhashCache(client, max_age_s=5.0, clock=clock)
        with pytest.raises(StaleDataError):
            cache.current()
        v = await cache.refresh()
        assert (v.blockhash, v.last_valid_block_height, v.slot) == ("BH100", 250, 500)
        assert cache.current() == v and cache.block_height == 100
        assert isinstance(rpc.requests[-1], list) and len(rpc.requests[-1]) == 2  # one batch
        clock.now += 6.0
        with pytest.raises(StaleDataError):
            cache.current()
        # Background refresh triggered by a slot notification.
        cache.refresh_s = 60.0
        cache.min_refresh_s = 0.0
        cache.start()
        try:
            await until(lambda: len(rpc.requests) == 2)
            chain.height = 130
            cache.on_slot(501)
            await until(lambda: cache.block_height == 130)
            assert cache.current().blockhash == "BH130"
        finally:
            await cache.close()


@pytest.mark.parametrize(
    "bad",
    [
        {
            "context": {"slot": 1},
            "value": {"blockhash": "BH", "lastValidBlockHeight": float("inf")},
        },
        {"context": {"slot": 1}, "value": {"blockhash": "BH", "lastValidBlockHeight": 2.5}},
        {"context": {"slot": True}, "value": {"blockhash": "BH", "lastValidBlockHeight": 2}},
        {"context": {"slot": 1}, "value": {"blockhash": 7, "lastValidBlockHeight": 2}},
        {"context": {"slot": 1}, "value": None},
        ["not", "an", "object"],
    ],
)
async def test_blockhash_cache_malformed_reply_is_one_rpc_error(bad) -> None:
    class _Rpc:
        async def batch(self, calls):
            return [bad, 5]

    cache = BlockhashCache(_Rpc(), clock=FakeClock(1.0))  # type: ignore[arg-type]
    with pytest.raises(RpcError, match=r"^getLatestBlockhash: malformed result"):
        await cache.refresh()
    with pytest.raises(StaleDataError):
        cache.current()  # nothing half-parsed was cached


@pytest.mark.parametrize(
    ("samples", "pct", "mult", "floor", "cap", "expected"),
    [
        ([0, 10, 20, 5000, 30], 50, Fraction(1), 0, 10_000, 20),
        ([0, 10, 20, 5000, 30], 75, Fraction(1), 0, 10_000, 30),
        ([0, 10, 20, 5000, 30], 100, Fraction(1), 0, 10_000, 5000),
        ([0, 10, 20, 5000, 30], 100, Fraction(3, 2), 0, 6000, 6000),  # capped
        ([0, 10, 20, 5000, 30], 0, Fraction(1), 7, 10_000, 7),  # floored
        ([], 75, Fraction(2), 5, 100, 5),
        ([None, -3, 2.5, True, "x", 40], 50, Fraction(1, 3), 0, 100, 13),  # junk ignored
    ],
)
def test_estimate_priority_fee(samples, pct, mult, floor, cap, expected) -> None:
    assert (
        estimate_priority_fee(samples, percentile=pct, multiplier=mult, floor=floor, cap=cap)
        == expected
    )


async def test_priority_fee_estimator_refresh_and_fixed(rpc: FakeRpc) -> None:
    Chain(rpc)
    async with RpcClient(rpc.url) as client:
        est = PriorityFeeEstimator(
            client, cap=1000, accounts=["Mkt"], percentile=75, multiplier=Fraction(2)
        )
        assert est.current() == 0
        assert await est.refresh() == 60
        assert rpc.requests[-1]["params"] == [["Mkt"]]
        fixed = PriorityFeeEstimator(client, cap=1000, fixed=5000)
        assert fixed.current() == 1000 and await fixed.refresh() == 1000
        with pytest.raises(ValueError):
            PriorityFeeEstimator(client, cap=10, floor=20)


async def test_send_failures_never_log_the_endpoint_key(rpc: FakeRpc) -> None:
    canary = "s3nderC4n4ry0123456789abcdef"
    chain = Chain(rpc)
    rpc.path = f"/v2/{canary}/"
    rpc.faults.extend([Fault("drop"), Fault("429"), Fault("garbage")])
    chain.send_error = RpcFail(
        -32002,
        f"Transaction simulation failed at {rpc.url}?key={canary}",
        {"err": "BlockhashNotFound", "logs": []},
    )
    with structlog.testing.capture_logs() as logs:
        async with RpcClient(f"{rpc.url}?api-key={canary}", max_attempts=1) as client:
            sender = _sender(client)
            sig = sender.send(make_tx(40), 250)
            await until(
                lambda: sum(sender.counts[k] for k in ("send_unknown", "send_blockhash")) >= 1
            )
            sender.send(make_tx(41), 250)
            sender.send(make_tx(42), 250)
            await asyncio.sleep(0.1)
            assert sender.outcome(sig) == Unknown(sig)
            await sender.close()
    assert logs
    assert all(canary not in repr(e) for e in logs)


async def test_status_loop_survives_a_failing_poll(rpc: FakeRpc) -> None:
    chain = Chain(rpc)
    async with RpcClient(rpc.url) as client:
        sender = _sender(client)
        real = sender.poll_once
        calls = []

        async def flaky() -> None:
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("bug in a poll")
            await real()

        sender.poll_once = flaky  # type: ignore[method-assign]
        rpc.faults.append(Fault("wrong_shape", data={"unexpected": True}))  # an RpcError poll
        sender.start()
        try:
            sig = sender.send(make_tx(50), 250)
            chain.land(sig)
            assert isinstance(await sender.wait(sig, 5.0), Landed)
            assert sender.counts["poll_failed"] >= 1 and len(calls) >= 2
        finally:
            await sender.close()
