"""SubscriptionManager against a local misbehaving PubSub server."""

from __future__ import annotations

import asyncio
import base64
import random
import socket
from collections.abc import AsyncIterator

import pytest
import structlog

from jitmaker.chain.backoff import Backoff
from jitmaker.chain.rpc import Memcmp
from jitmaker.chain.ws import (
    AccountUpdate,
    ReconnectInfo,
    SignatureUpdate,
    SlotUpdate,
    SubKind,
    SubscriptionManager,
    WsEvent,
)

from ._fake_rpc import FakeClock
from ._fake_ws import FakePubsub, until

DRIFT = "dRiftyHA39MWEi3m9aunc5MzRF1JYuBsbn6VPcn33UH"


def prog_note(sid: int, pubkey: str, data: bytes, slot: int, b64: str | None = None) -> dict:
    acct = {
        "lamports": 1,
        "data": [b64 or base64.b64encode(data).decode(), "base64"],
        "owner": DRIFT,
        "executable": False,
        "rentEpoch": 0,
        "space": len(data),
    }
    return {
        "jsonrpc": "2.0",
        "method": "programNotification",
        "params": {
            "result": {"context": {"slot": slot}, "value": {"pubkey": pubkey, "account": acct}},
            "subscription": sid,
        },
    }


def slot_note(sid: int, slot: int) -> dict:
    return {
        "jsonrpc": "2.0",
        "method": "slotNotification",
        "params": {
            "result": {"parent": slot - 1, "root": slot - 32, "slot": slot},
            "subscription": sid,
        },
    }


class Recorder:
    def __init__(self) -> None:
        self.items: list = []

    def __call__(self, update) -> None:
        self.items.append(update)


@pytest.fixture
async def server() -> AsyncIterator[FakePubsub]:
    srv = await FakePubsub().start()
    yield srv
    await srv.close()


def _mgr(url: str, **kw) -> tuple[SubscriptionManager, list[float]]:
    sleeps: list[float] = []

    async def fake_sleep(s: float) -> None:
        sleeps.append(s)
        await asyncio.sleep(0)

    kw.setdefault("stall_timeout_s", 5.0)
    kw.setdefault("backoff", Backoff(0.1, 2.0, rng=random.Random(5)))
    return SubscriptionManager(url, sleep=fake_sleep, **kw), sleeps


async def test_program_and_slot_notifications_are_dispatched_raw(server: FakePubsub) -> None:
    clock = FakeClock(500.0)
    mgr, _ = _mgr(server.url, clock=clock)
    users, slots = Recorder(), Recorder()
    psub = await mgr.program_subscribe(DRIFT, users, [Memcmp(0, bytes.fromhex("9f755fe3ef973aec"))])
    ssub = await mgr.slot_subscribe(slots)
    mgr.start()
    try:
        assert await mgr.wait_ready(5.0)
        req = server.conns[0].requests[0]
        assert req["method"] == "programSubscribe" and req["params"][0] == DRIFT
        assert req["params"][1]["commitment"] == "processed"
        assert req["params"][1]["encoding"] == "base64"
        assert req["params"][1]["filters"][0]["memcmp"]["bytes"] == "TfwwBiNJtao"
        clock.now = 501.5
        await server.push(prog_note(server.sid("programSubscribe"), "User1", b"\x01\x02", 77))
        await server.push(slot_note(server.sid("slotSubscribe"), 78))
        await until(lambda: len(slots.items) == 1)
        assert users.items == [AccountUpdate("User1", b"\x01\x02", 77, 1, DRIFT, 501.5)]
        assert slots.items == [SlotUpdate(78, 77, 46, 501.5)]
        assert psub.state.last_slot == 77 and psub.state.last_arrival == 501.5
        assert ssub.state.last_slot == 78 and mgr.max_slot == 78
        assert mgr.last_frame_monotonic == 501.5
        assert set(mgr.feed_states()) == {psub.key, ssub.key}
    finally:
        await mgr.close()


async def test_malformed_frames_are_counted_and_not_fatal(server: FakePubsub) -> None:
    mgr, _ = _mgr(server.url)
    got = Recorder()
    await mgr.program_subscribe(DRIFT, got)
    mgr.start()
    try:
        assert await mgr.wait_ready(5.0)
        sid = server.sid("programSubscribe")
        with structlog.testing.capture_logs() as logs:
            await server.push("this is not json {")
            await server.push("error: data too large for bs58 encoding")
            await server.push([1, 2, 3])
            await server.push({"jsonrpc": "2.0", "hello": 1})
            await server.push({"jsonrpc": "2.0", "method": "programNotification", "params": 5})
            await server.push(prog_note(999_999, "Ghost", b"x", 5))  # unknown subscription id
            await server.push(prog_note(sid, "Bad", b"", 6, b64="@@not-base64@@"))
            await server.push(prog_note(sid, "Good", b"ok", 7))
            await until(lambda: len(got.items) == 1)
        assert got.items[0].pubkey == "Good" and got.items[0].data == b"ok"
        assert mgr.counts[WsEvent.MALFORMED_FRAME] == 5
        assert mgr.counts[WsEvent.UNKNOWN_SUBSCRIPTION] == 1
        assert mgr.counts[WsEvent.BAD_PAYLOAD] == 1
        assert mgr.connected and mgr.reconnects == 0
        # Rate limited: one line for the five malformed frames (within the same second).
        assert sum(1 for e in logs if e["event"] == "ws_malformed_frame") == 1
    finally:
        await mgr.close()


async def test_callback_exception_is_counted_and_other_callbacks_still_run(
    server: FakePubsub,
) -> None:
    mgr, _ = _mgr(server.url)
    ok = Recorder()

    def bad(update) -> None:
        raise RuntimeError("consumer bug")

    await mgr.account_subscribe("Acct1", bad)
    sub = await mgr.account_subscribe("Acct1", ok)  # same args: same subscription, 2 callbacks
    assert len(mgr.subscriptions) == 1 and len(sub.callbacks) == 2
    mgr.start()
    try:
        assert await mgr.wait_ready(5.0)
        assert len(server.conns[0].requests) == 1  # subscribed once on the wire
        note = {
            "jsonrpc": "2.0",
            "method": "accountNotification",
            "params": {
                "result": {
                    "context": {"slot": 9},
                    "value": {
                        "lamports": 3,
                        "data": ["AQI=", "base64"],
                        "owner": DRIFT,
                        "executable": False,
                        "rentEpoch": 0,
                    },
                },
                "subscription": server.sid("accountSubscribe"),
            },
        }
        await server.push(note)
        await server.push(note)
        await until(lambda: len(ok.items) == 2)
        assert ok.items[0].pubkey == "Acct1" and ok.items[0].data == b"\x01\x02"
        assert mgr.counts[WsEvent.CALLBACK_ERROR] == 2
    finally:
        await mgr.close()


async def test_silent_stall_forces_reconnect_resubscribe_and_on_reconnect(
    server: FakePubsub,
) -> None:
    hooks: list[ReconnectInfo] = []
    mgr, sleeps = _mgr(server.url, stall_timeout_s=0.3, on_reconnect=hooks.append)
    slots = Recorder()
    await mgr.slot_subscribe(slots)
    await mgr.program_subscribe(DRIFT, Recorder())
    mgr.start()
    try:
        assert await mgr.wait_ready(5.0)
        await server.push(slot_note(server.sid("slotSubscribe"), 1000))
        await until(lambda: len(slots.items) == 1)
        # The server now sends nothing at all: the watchdog must tear the socket down.
        await until(lambda: len(server.conns) == 2, timeout=5.0)
        await until(lambda: len(hooks) == 1)
        assert mgr.counts[WsEvent.STALL] >= 1
        assert hooks[0] == ReconnectInfo(reconnects=1, last_slot_before=1000, subscriptions=2)
        methods = sorted(r["method"] for r in server.conns[1].requests)
        assert methods == ["programSubscribe", "slotSubscribe"]
        assert len(sleeps) >= 1  # reconnect went through the backoff
        # Notifications on the new connection use the new ids and are dispatched.
        await server.push(slot_note(server.sid("slotSubscribe", 1), 1001))
        await until(lambda: len(slots.items) == 2)
    finally:
        await mgr.close()


async def test_server_that_never_answers_is_a_stall(server: FakePubsub) -> None:
    server.modes = ["silent"]
    mgr, _ = _mgr(server.url, stall_timeout_s=0.2)
    await mgr.slot_subscribe(Recorder())
    mgr.start()
    try:
        await until(lambda: len(server.conns) >= 2)
        assert mgr.counts[WsEvent.STALL] >= 1
        assert await mgr.wait_ready(5.0)
    finally:
        await mgr.close()


@pytest.mark.parametrize("abort", [False, True])
async def test_dropped_connection_reconnects_with_backoff_and_async_hook(
    server: FakePubsub, abort: bool
) -> None:
    hooks: list[ReconnectInfo] = []

    async def hook(info: ReconnectInfo) -> None:
        await asyncio.sleep(0)
        hooks.append(info)

    mgr, sleeps = _mgr(server.url, on_reconnect=hook)
    got = Recorder()
    await mgr.program_subscribe(DRIFT, got)
    mgr.start()
    try:
        assert await mgr.wait_ready(5.0)
        for i in range(3):
            await server.drop(abort=abort)
            await until(lambda i=i: len(server.conns) == i + 2)
            await until(lambda i=i: len(hooks) == i + 1)
        assert [h.reconnects for h in hooks] == [1, 2, 3]
        assert mgr.counts[WsEvent.CONNECTION_LOST] == 3
        # Exponential backoff (no success long enough to reset it): ceilings 0.1, 0.2, 0.4.
        assert len(sleeps) == 3
        for i, s in enumerate(sleeps):
            assert 0 <= s <= 0.1 * 2**i
        assert await mgr.wait_ready(5.0)
        await server.push(prog_note(server.sid("programSubscribe"), "U", b"z", 5))
        await until(lambda: len(got.items) == 1)
        assert sum(len(c.requests) for c in server.conns) == 4  # one subscribe per connection
    finally:
        await mgr.close()


async def test_duplicate_and_out_of_order_notifications_pass_through(server: FakePubsub) -> None:
    mgr, _ = _mgr(server.url)
    got = Recorder()
    sub = await mgr.program_subscribe(DRIFT, got)
    mgr.start()
    try:
        assert await mgr.wait_ready(5.0)
        sid = server.sid("programSubscribe")
        for pubkey, slot in [("A", 10), ("B", 9), ("A", 10), ("A", 8), ("B", 11)]:
            await server.push(prog_note(sid, pubkey, pubkey.encode(), slot))
        await until(lambda: len(got.items) == 5)
        # Delivered in arrival order, untouched: per-account ordering is the consumer's job.
        assert [(u.pubkey, u.slot) for u in got.items] == [
            ("A", 10),
            ("B", 9),
            ("A", 10),
            ("A", 8),
            ("B", 11),
        ]
        assert sub.state.last_slot == 11 and sub.state.notifications == 5
        assert mgr.counts[WsEvent.OUT_OF_ORDER] == 2
    finally:
        await mgr.close()


async def test_batched_frames_are_dispatched(server: FakePubsub) -> None:
    mgr, _ = _mgr(server.url)
    got = Recorder()
    await mgr.slot_subscribe(got)
    mgr.start()
    try:
        assert await mgr.wait_ready(5.0)
        sid = server.sid("slotSubscribe")
        await server.push([slot_note(sid, 1), slot_note(sid, 2)])
        await until(lambda: len(got.items) == 2)
        assert [u.slot for u in got.items] == [1, 2]
    finally:
        await mgr.close()


async def test_signature_subscription_is_one_shot(server: FakePubsub) -> None:
    mgr, _ = _mgr(server.url)
    got = Recorder()
    sub = await mgr.signature_subscribe("Sig1", got)
    assert sub.kind is SubKind.SIGNATURE and sub.target == "Sig1"
    mgr.start()
    try:
        assert await mgr.wait_ready(5.0)
        sid = server.sid("signatureSubscribe")
        err = {"InstructionError": [2, {"Custom": 6009}]}
        await server.push(
            {
                "jsonrpc": "2.0",
                "method": "signatureNotification",
                "params": {
                    "result": {"context": {"slot": 44}, "value": "receivedSignature"},
                    "subscription": sid,
                },
            }
        )
        await server.push(
            {
                "jsonrpc": "2.0",
                "method": "signatureNotification",
                "params": {
                    "result": {"context": {"slot": 45}, "value": {"err": err}},
                    "subscription": sid,
                },
            }
        )
        await until(lambda: len(got.items) == 1)
        assert isinstance(got.items[0], SignatureUpdate)
        assert got.items[0].signature == "Sig1" and got.items[0].slot == 45
        assert got.items[0].err == err
        assert mgr.subscriptions == []
    finally:
        await mgr.close()


async def test_unsubscribe_sends_server_id_and_stops_dispatch(server: FakePubsub) -> None:
    mgr, _ = _mgr(server.url)
    got = Recorder()
    sub = await mgr.program_subscribe(DRIFT, got)
    mgr.start()
    try:
        assert await mgr.wait_ready(5.0)
        sid = server.sid("programSubscribe")
        await mgr.unsubscribe(sub)
        await until(lambda: len(server.conns[0].requests) == 2)
        assert server.conns[0].requests[1]["method"] == "programUnsubscribe"
        assert server.conns[0].requests[1]["params"] == [sid]
        await server.push(prog_note(sid, "late", b"", 3))
        await until(lambda: mgr.counts[WsEvent.UNKNOWN_SUBSCRIPTION] == 1)
        assert got.items == []
    finally:
        await mgr.close()


async def test_rejected_subscription_is_counted_not_fatal(server: FakePubsub) -> None:
    server.modes = ["reject"]
    mgr, _ = _mgr(server.url)
    sub = await mgr.program_subscribe("not-a-pubkey", Recorder())
    mgr.start()
    try:
        assert await mgr.wait_ready(5.0)  # settled: refused subscriptions do not block
        assert mgr.counts[WsEvent.SUBSCRIBE_REJECTED] == 1
        assert sub.server_id is None and "Invalid pubkey" in (sub.rejected or "")
        assert mgr.connected
    finally:
        await mgr.close()


async def test_handshake_refused_with_429_backs_off_then_connects() -> None:
    server = await FakePubsub(refuse=2).start()
    mgr, sleeps = _mgr(server.url)
    await mgr.slot_subscribe(Recorder())
    mgr.start()
    try:
        assert await mgr.wait_ready(5.0)
        assert server.refused == 2 and mgr.counts[WsEvent.CONNECT_FAILED] == 2
        assert len(sleeps) == 2 and sleeps[0] <= 0.1 and sleeps[1] <= 0.2
    finally:
        await mgr.close()
        await server.close()


async def test_zstd_program_notifications_are_decompressed(server: FakePubsub) -> None:
    import zstandard

    from jitmaker.chain.rpc import Encoding

    mgr, _ = _mgr(server.url)
    got = Recorder()
    await mgr.program_subscribe(DRIFT, got, encoding=Encoding.BASE64_ZSTD)
    mgr.start()
    try:
        assert await mgr.wait_ready(5.0)
        assert server.conns[0].requests[0]["params"][1]["encoding"] == "base64+zstd"
        blob = bytes(range(200)) * 22
        packed = base64.b64encode(zstandard.ZstdCompressor().compress(blob)).decode()
        note = prog_note(server.sid("programSubscribe"), "Z", b"", 12)
        note["params"]["result"]["value"]["account"]["data"] = [packed, "base64+zstd"]
        await server.push(note)
        await until(lambda: len(got.items) == 1)
        assert got.items[0].data == blob
    finally:
        await mgr.close()


async def test_close_stops_the_reader_and_leaves_no_tasks(server: FakePubsub) -> None:
    mgr, _ = _mgr(server.url)
    await mgr.slot_subscribe(Recorder())
    before = {t for t in asyncio.all_tasks() if not t.done()}
    mgr.start()
    assert await mgr.wait_ready(5.0)
    names = {t.get_name() for t in asyncio.all_tasks()}
    assert any(n.startswith("ws:ws://127.0.0.1") for n in names)
    await mgr.close()
    assert not mgr.connected
    await asyncio.sleep(0.05)  # let the server side finish its own close handling
    after = {t for t in asyncio.all_tasks() if not t.done()}
    leftover = after - before - {asyncio.current_task()}
    assert not leftover, [t.get_name() for t in leftover]


async def test_unreachable_endpoint_backs_off_and_never_logs_the_key() -> None:
    canary = "wsC4n4ry0123456789abcdefghij"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mgr, sleeps = _mgr(f"ws://127.0.0.1:{port}/{canary}?api-key={canary}", open_timeout_s=1.0)
    await mgr.slot_subscribe(Recorder())
    with structlog.testing.capture_logs() as logs:
        mgr.start()
        await until(lambda: len(sleeps) >= 4)
        await mgr.close()
    assert mgr.counts[WsEvent.CONNECT_FAILED] >= 4
    for i, s in enumerate(sleeps[:4]):  # full jitter under growing ceilings 0.1, 0.2, 0.4, 0.8
        assert 0 <= s <= 0.1 * 2**i
    assert canary not in mgr.name and "***" in mgr.name
    assert logs and all(canary not in repr(e) for e in logs)


async def test_unsubscribe_before_confirmation_cancels_the_server_side_subscription(
    server: FakePubsub,
) -> None:
    mgr, _ = _mgr(server.url)
    await mgr.slot_subscribe(Recorder())
    mgr.start()
    try:
        assert await mgr.wait_ready(5.0)
        sub = await mgr.account_subscribe("Acct9", Recorder())
        await mgr.unsubscribe(sub)  # before the server's confirmation was read
        await until(
            lambda: any(r["method"] == "accountUnsubscribe" for r in server.conns[0].requests)
        )
        unsub = next(r for r in server.conns[0].requests if r["method"] == "accountUnsubscribe")
        assert unsub["params"] == [server.sid("accountSubscribe")]
        assert [s.kind for s in mgr.subscriptions] == [SubKind.SLOT]
    finally:
        await mgr.close()


async def test_fast_and_checked_paths_deliver_identical_updates(monkeypatch) -> None:
    """Account/program notifications take a solders fast path; it must agree with the checked
    JSON path on every frame, including the ones it hands back (unknown id, bad base64...)."""
    import json as _json

    import jitmaker.chain.ws as ws_mod

    acct = {
        "lamports": 9,
        "data": [base64.b64encode(b"\x00\x01" * 300).decode(), "base64"],
        "owner": DRIFT,
        "executable": False,
        "rentEpoch": 18446744073709551615,
        "space": 600,
    }
    frames = [
        prog_note(1, "11111111111111111111111111111112", b"\x05" * 4376, 70),
        prog_note(1, "11111111111111111111111111111112", b"", 71),
        prog_note(1, "X", b"bad", 72, b64="@@@"),
        prog_note(77, "11111111111111111111111111111112", b"\x01", 73),  # unknown id
        {
            "jsonrpc": "2.0",
            "method": "accountNotification",
            "params": {"result": {"context": {"slot": 74}, "value": acct}, "subscription": 2},
        },
        {
            "jsonrpc": "2.0",
            "method": "accountNotification",
            "params": {"result": {"context": {"slot": 75}, "value": None}, "subscription": 2},
        },
        slot_note(3, 76),
    ]

    async def collect(fast: bool) -> tuple[list, dict]:
        if not fast:
            monkeypatch.setattr(ws_mod, "_FAST_HINT", __import__("re").compile("(?!x)x"))
        mgr = SubscriptionManager("ws://127.0.0.1:1")
        got = Recorder()
        for sid, sub in enumerate(
            [
                await mgr.program_subscribe(DRIFT, got),
                await mgr.account_subscribe("Acct", got),
                await mgr.slot_subscribe(got),
            ],
            start=1,
        ):
            sub.server_id = sid
            mgr._by_server_id[sid] = sub
        for f in frames:
            mgr._handle(_json.dumps(f), 1.0)
        return got.items, dict(mgr.counts)

    fast_items, fast_counts = await collect(True)
    slow_items, slow_counts = await collect(False)
    assert fast_items == slow_items and fast_counts == slow_counts
    assert len(fast_items) == 5
    assert fast_counts == {WsEvent.BAD_PAYLOAD: 1, WsEvent.UNKNOWN_SUBSCRIPTION: 1}


async def test_hostile_frames_are_classified_not_raised() -> None:
    """Regressions from fuzzing: huge numbers, deep nesting, wrong types."""
    import json as _json

    mgr = SubscriptionManager("ws://127.0.0.1:1")
    got = Recorder()
    for sid, sub in enumerate(
        [await mgr.program_subscribe(DRIFT, got), await mgr.slot_subscribe(got)], start=1
    ):
        sub.server_id = sid
        mgr._by_server_id[sid] = sub
    huge = _json.dumps(prog_note(1, "P", b"x", 5)).replace('"lamports": 1', '"lamports": 1e999')
    wrong_pubkey = prog_note(1, "P", b"x", 5)
    wrong_pubkey["params"]["result"]["value"]["pubkey"] = {"not": "a string"}
    bad_slot = slot_note(2, 9)
    bad_slot["params"]["result"]["parent"] = [1]
    frames = [
        huge,
        "[" * 100_000 + "]" * 100_000,
        _json.dumps(wrong_pubkey),
        _json.dumps(bad_slot),
        '{"id": [1], "result": 5}',
    ]
    for f in frames:
        mgr._handle(f, 1.0)  # must not raise
    assert got.items == []
    assert mgr.counts[WsEvent.BAD_PAYLOAD] == 3
    assert mgr.counts[WsEvent.MALFORMED_FRAME] == 1


async def test_forced_reconnect_resubscribes_and_fires_the_hook(server: FakePubsub) -> None:
    hooks: list[ReconnectInfo] = []
    mgr, _ = _mgr(server.url, on_reconnect=hooks.append)
    assert not mgr.reconnect("not connected yet")
    await mgr.program_subscribe(DRIFT, Recorder())
    mgr.start()
    try:
        assert await mgr.wait_ready(5.0)
        assert mgr.reconnect("program feed silent")
        await until(lambda: len(hooks) == 1)
        assert len(server.conns) == 2
        assert server.conns[1].requests[0]["method"] == "programSubscribe"
    finally:
        await mgr.close()
