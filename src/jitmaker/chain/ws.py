"""Solana PubSub: one websocket connection carrying many subscriptions, with a data watchdog.

Why our own: driftpy's subscribers cannot detect a silent stream, leak a connection per
``subscribe()`` call, reconnect on a fixed 5 s sleep without resubscribing state, drop updates
for account B after account A with a program-wide slot guard, and die on one bad frame
(reliability.md D1-D9). Here:

* every subscription is registered by its original arguments and replayed on each connection;
* a connection with no frame at all (slot notifications included) for ``stall_timeout_s`` is
  declared stalled and torn down; reconnects use capped exponential backoff with full jitter;
* after a reconnect, once every subscription is confirmed, ``on_reconnect`` runs so the engine
  can snapshot and *replace* its state (no replay exists on Solana);
* malformed frames, unknown subscription ids, bad base64 and callback exceptions are counted
  and logged at most once a second per kind; the reader never dies from them;
* notifications are handed over raw (pubkey, bytes, context slot); ordering/deduplication per
  account is the consumer's job (a per-subscription slot guard would drop valid updates).

Callbacks are plain functions called on the reader task; they must be quick and must not block.
"""

from __future__ import annotations

import asyncio
import binascii
import inspect
import itertools
import json
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, NamedTuple

import structlog
import zstandard
from solders.rpc.responses import (
    AccountNotification,
    ProgramNotification,
    parse_websocket_message,
)
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from jitmaker.chain.backoff import Backoff, Jitter
from jitmaker.chain.loglimit import LogLimiter
from jitmaker.chain.redact import register_url, scrub
from jitmaker.chain.rpcparse import as_int, as_str, decode_account_data
from jitmaker.chain.rpctypes import AccountsFilter, Commitment, Encoding

__all__ = [
    "AccountUpdate",
    "FeedState",
    "ReconnectInfo",
    "SignatureUpdate",
    "SlotUpdate",
    "SubKind",
    "Subscription",
    "SubscriptionManager",
    "WsEvent",
]

log = structlog.get_logger(__name__)


class SubKind(Enum):
    """Subscription kinds: (subscribe method, unsubscribe method, notification method)."""

    PROGRAM = ("programSubscribe", "programUnsubscribe", "programNotification")
    ACCOUNT = ("accountSubscribe", "accountUnsubscribe", "accountNotification")
    SLOT = ("slotSubscribe", "slotUnsubscribe", "slotNotification")
    SIGNATURE = ("signatureSubscribe", "signatureUnsubscribe", "signatureNotification")

    @property
    def subscribe(self) -> str:
        return self.value[0]

    @property
    def unsubscribe(self) -> str:
        return self.value[1]


class WsEvent(Enum):
    """Things the manager counts (``SubscriptionManager.counts``)."""

    MALFORMED_FRAME = 1  # not JSON / not a JSON-RPC object
    UNKNOWN_SUBSCRIPTION = 2  # a notification for an id we do not hold
    BAD_PAYLOAD = 3  # notification of the right kind with unusable content (e.g. bad base64)
    CALLBACK_ERROR = 4  # a consumer callback raised
    SUBSCRIBE_REJECTED = 5  # the server answered a subscribe with an error
    STALL = 6  # no frame for stall_timeout_s
    CONNECT_FAILED = 7
    CONNECTION_LOST = 8
    OUT_OF_ORDER = 9  # notification slot below the subscription's last slot (delivered anyway)


class AccountUpdate(NamedTuple):
    """Raw account state from a program/account notification."""

    pubkey: str
    data: bytes
    slot: int
    lamports: int
    owner: str
    arrival: float  # clock() when the frame arrived


class SlotUpdate(NamedTuple):
    slot: int
    parent: int | None
    root: int | None
    arrival: float


class SignatureUpdate(NamedTuple):
    """Final status of a signature at the subscription's commitment (``err`` None = success)."""

    signature: str
    slot: int
    err: Any
    arrival: float


class ReconnectInfo(NamedTuple):
    """Passed to ``on_reconnect`` once a new connection has every subscription confirmed."""

    reconnects: int  # how many times the connection was re-established so far
    last_slot_before: int | None  # highest slot seen on the slot feed before the outage
    subscriptions: int


@dataclass(slots=True)
class FeedState:
    """Freshness of one subscription."""

    last_slot: int | None = None  # highest context slot seen
    last_arrival: float | None = None  # clock() of the latest notification
    notifications: int = 0


Callback = Callable[[Any], object]


@dataclass(eq=False)
class Subscription:
    """A registered subscription; survives reconnects (``server_id`` changes per connection)."""

    kind: SubKind
    params: list[Any]
    key: str
    callbacks: list[Callback] = field(default_factory=list)
    state: FeedState = field(default_factory=FeedState)
    server_id: int | None = None
    rejected: str | None = None  # the server's error text if it refused this subscription

    @property
    def settled(self) -> bool:
        """Confirmed or refused on the current connection (refused ones retry on reconnect)."""
        return self.server_id is not None or self.rejected is not None

    @property
    def target(self) -> str | None:
        """The pubkey / program id / signature this subscription watches (None for slots)."""
        return self.params[0] if self.params and isinstance(self.params[0], str) else None


_FAST_HINT = re.compile(r'"(?:program|account)Notification"')


class _Stalled(Exception):
    pass


class SubscriptionManager:
    """Owns one websocket to ``url`` and every subscription on it.

    ``start()`` launches the supervised reader task; ``close()`` stops it. Subscribing before
    ``start()`` is fine: subscriptions are sent as soon as a connection is up.
    """

    close_timeout_s = 5.0  # how long close() waits for its cancelled tasks to finish

    def __init__(
        self,
        url: str,
        *,
        commitment: Commitment = Commitment.PROCESSED,
        stall_timeout_s: float = 2.0,
        backoff: Backoff | None = None,
        on_reconnect: Callable[[ReconnectInfo], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        open_timeout_s: float = 5.0,
        ping_interval_s: float | None = 20.0,
        max_message_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        self._url = url
        self.name = register_url(url)
        self.commitment = commitment
        self.stall_timeout_s = stall_timeout_s
        self._backoff = backoff or Backoff(0.1, 30.0, jitter=Jitter.FULL)
        self._on_reconnect = on_reconnect
        self._clock = clock
        self._sleep = sleep
        self._open_timeout = open_timeout_s
        self._ping_interval = ping_interval_s
        self._max_size = max_message_bytes
        self._subs: dict[str, Subscription] = {}
        self._by_server_id: dict[int, Subscription] = {}
        self._pending: dict[int, Subscription] = {}  # request id -> subscription
        self._ids = itertools.count(1)
        self._ws: ClientConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._connections = 0
        self._ready = asyncio.Event()
        self._reconnect_due = False
        self._last_slot_before: int | None = None
        self._last_frame: float | None = None
        self._max_slot: int | None = None
        self.counts: Counter[WsEvent] = Counter()
        self._limiter = LogLimiter(1.0, clock=clock)
        self._b58_cache: dict[Any, str] = {}

    # ----------------------------------------------------------------- freshness

    @property
    def last_frame_monotonic(self) -> float | None:
        """clock() of the last frame of any kind on the current or a past connection."""
        return self._last_frame

    @property
    def max_slot(self) -> int | None:
        """Highest context slot seen on any subscription."""
        return self._max_slot

    @property
    def connected(self) -> bool:
        return self._ws is not None

    @property
    def reconnects(self) -> int:
        return max(0, self._connections - 1)

    @property
    def subscriptions(self) -> list[Subscription]:
        return list(self._subs.values())

    def feed_states(self) -> dict[str, FeedState]:
        """Per-subscription freshness keyed by the subscription key."""
        return {k: s.state for k, s in self._subs.items()}

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Launch the reader task (idempotent)."""
        if self._task is not None and not self._task.done():
            return
        self._closing = False
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"ws:{self.name}")
        self._task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or self._closing:
            return
        exc = task.exception()
        log.critical("ws_reader_died", endpoint=self.name, error=scrub(repr(exc)))
        # The loop never returns on its own; if it died, a bug did it. Restart after a backoff.
        self._task = asyncio.get_running_loop().create_task(
            self._restart_later(), name=f"ws:{self.name}"
        )
        self._task.add_done_callback(self._task_done)

    async def _restart_later(self) -> None:
        await self._sleep(self._backoff.next_delay())
        await self._run()

    async def close(self) -> None:
        """Stop the reader, close the socket and cancel hook tasks.

        Bounded: a task that has not finished ``close_timeout_s`` after its cancellation is left
        behind (and logged) rather than awaited for ever, and a cancellation of ``close()``
        itself propagates (it used to be swallowed while awaiting the tasks, so a caller's
        timeout around ``close()`` could not end it)."""
        self._closing = True
        tasks = [t for t in (self._task, *self._tasks) if t is not None]
        for t in tasks:
            t.cancel()
        ws = self._ws
        if ws is not None:
            await self._close_ws(ws, abort=False)
        if tasks:
            done, pending = await asyncio.wait(tasks, timeout=self.close_timeout_s)
            for t in done:
                if not t.cancelled():
                    t.exception()  # retrieved: a failure at close is not worth a report
            if pending:
                log.warning(
                    "ws_close_tasks_left",
                    endpoint=self.name,
                    tasks=sorted(t.get_name() for t in pending),
                    timeout_s=self.close_timeout_s,
                )
        self._task = None

    def reconnect(self, reason: str) -> bool:
        """Drop the current connection now (the reader reconnects, resubscribes and fires
        ``on_reconnect``). For watchdogs outside the manager, e.g. a program feed that stays
        silent while slots flow. Returns False if there was no connection to drop."""
        ws = self._ws
        if ws is None:
            return False
        log.warning("ws_forced_reconnect", endpoint=self.name, reason=reason)
        ws.transport.abort()
        return True

    async def wait_ready(self, timeout_s: float) -> bool:
        """Wait until connected with every subscription settled (confirmed, or refused: see
        ``Subscription.rejected``); False on timeout."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._ready.wait()
        except TimeoutError:
            return False
        return True

    # ----------------------------------------------------------------- subscribing

    async def program_subscribe(
        self,
        program_id: str,
        callback: Callable[[AccountUpdate], object],
        filters: Iterable[AccountsFilter] = (),
        *,
        encoding: Encoding = Encoding.BASE64,
    ) -> Subscription:
        cfg: dict[str, Any] = {"encoding": encoding.value, "commitment": self.commitment.value}
        flist = [f.to_json() for f in filters]
        if flist:
            cfg["filters"] = flist
        return await self._add(SubKind.PROGRAM, [program_id, cfg], callback)

    async def account_subscribe(
        self,
        pubkey: str,
        callback: Callable[[AccountUpdate], object],
        *,
        encoding: Encoding = Encoding.BASE64,
    ) -> Subscription:
        cfg = {"encoding": encoding.value, "commitment": self.commitment.value}
        return await self._add(SubKind.ACCOUNT, [pubkey, cfg], callback)

    async def slot_subscribe(self, callback: Callable[[SlotUpdate], object]) -> Subscription:
        return await self._add(SubKind.SLOT, [], callback)

    async def signature_subscribe(
        self,
        signature: str,
        callback: Callable[[SignatureUpdate], object],
        *,
        commitment: Commitment | None = None,
    ) -> Subscription:
        cfg = {
            "commitment": (commitment or self.commitment).value,
            "enableReceivedNotification": False,
        }
        return await self._add(SubKind.SIGNATURE, [signature, cfg], callback)

    async def unsubscribe(self, sub: Subscription) -> None:
        """Forget ``sub``; tell the server if it holds a live id for it."""
        if self._subs.pop(sub.key, None) is None:
            return
        self._clear_ready_if_pending()
        sid = sub.server_id
        sub.server_id = None
        if sid is not None:
            self._by_server_id.pop(sid, None)
            if self._ws is not None:
                req = {
                    "jsonrpc": "2.0",
                    "id": next(self._ids),
                    "method": sub.kind.unsubscribe,
                    "params": [sid],
                }
                await self._send(self._ws, req)

    async def _add(self, kind: SubKind, params: list[Any], callback: Callback) -> Subscription:
        key = f"{kind.subscribe}:{json.dumps(params, sort_keys=True, separators=(',', ':'))}"
        sub = self._subs.get(key)
        if sub is not None:  # idempotent: same arguments, same subscription
            if callback not in sub.callbacks:
                sub.callbacks.append(callback)
            return sub
        sub = Subscription(kind, params, key, [callback])
        self._subs[key] = sub
        if self._ws is not None:
            self._ready.clear()
            await self._send_subscribe(self._ws, sub)
        return sub

    async def _send_subscribe(self, ws: ClientConnection, sub: Subscription) -> None:
        rid = next(self._ids)
        self._pending[rid] = sub
        req = {"jsonrpc": "2.0", "id": rid, "method": sub.kind.subscribe, "params": sub.params}
        await self._send(ws, req)

    async def _send(self, ws: ClientConnection, req: dict[str, Any]) -> None:
        try:
            # a peer that stops reading fills the write buffer and ``send`` waits for it to
            # drain; resubscribing on a fresh connection happens before the reader's stall
            # timeout applies, so bound the wait here and drop the connection instead
            async with asyncio.timeout(self.stall_timeout_s):
                await ws.send(json.dumps(req))
        except TimeoutError:
            self._event(WsEvent.STALL, stall_timeout_s=self.stall_timeout_s, during="send")
            ws.transport.abort()
        except (ConnectionClosed, WebSocketException, OSError):
            pass  # the reader sees the closed socket and resubscribes everything on reconnect

    # ----------------------------------------------------------------- connection loop

    async def _run(self) -> None:
        while not self._closing:
            try:
                ws = await connect(
                    self._url,
                    open_timeout=self._open_timeout,
                    ping_interval=self._ping_interval,
                    ping_timeout=self._ping_interval,
                    close_timeout=1.0,
                    max_size=self._max_size,
                    compression=None,
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection refused, handshake 429, DNS, timeout...
                self._event(WsEvent.CONNECT_FAILED, error=f"{type(exc).__name__}: {scrub(exc)}")
                await self._sleep(self._backoff.next_delay())
                continue
            await self._serve(ws)
            if not self._closing:
                await self._sleep(self._backoff.next_delay())

    async def _serve(self, ws: ClientConnection) -> None:
        self._connections += 1
        self._ws = ws
        self._reconnect_due = self._connections > 1
        opened = self._clock()
        abort = False
        try:
            if self._connections > 1:
                log.info("ws_reconnected", endpoint=self.name, reconnects=self.reconnects)
            for sub in list(self._subs.values()):
                await self._send_subscribe(ws, sub)
            self._maybe_ready()
            await self._read(ws, opened)
        except _Stalled:
            abort = True
            self._event(WsEvent.STALL, stall_timeout_s=self.stall_timeout_s)
        except ConnectionClosed as exc:
            self._event(WsEvent.CONNECTION_LOST, code=exc.rcvd.code if exc.rcvd else None)
        except asyncio.CancelledError:
            abort = True
            raise
        except Exception as exc:
            abort = True
            self._event(WsEvent.CONNECTION_LOST, error=f"{type(exc).__name__}: {scrub(exc)}")
        finally:
            self._detach()
            await self._close_ws(ws, abort=abort)

    def _detach(self) -> None:
        self._ws = None
        self._ready.clear()
        self._pending.clear()
        self._by_server_id.clear()
        for sub in self._subs.values():
            sub.server_id = None
            sub.rejected = None
        if self._max_slot is not None:
            self._last_slot_before = self._max_slot

    async def _close_ws(self, ws: ClientConnection, *, abort: bool) -> None:
        if abort:  # a stalled peer may never answer a close handshake
            ws.transport.abort()
            return
        try:
            async with asyncio.timeout(1.0):
                await ws.close()
        except (TimeoutError, OSError, WebSocketException):
            ws.transport.abort()

    async def _read(self, ws: ClientConnection, opened: float) -> None:
        healthy = False
        while True:
            try:
                async with asyncio.timeout(self.stall_timeout_s):
                    frame = await ws.recv()
            except TimeoutError:
                raise _Stalled from None
            now = self._clock()
            self._last_frame = now
            if not healthy and now - opened >= self.stall_timeout_s:
                healthy = True  # data has flowed for a while: the outage is over
                self._backoff.reset()
            try:
                self._handle(frame, now)
            except Exception as exc:
                self._event(WsEvent.MALFORMED_FRAME, error=f"{type(exc).__name__}: {scrub(exc)}")

    # ----------------------------------------------------------------- frames

    def _handle(self, frame: str | bytes, now: float) -> None:
        if isinstance(frame, str) and _FAST_HINT.search(frame, 0, 96) and self._fast(frame, now):
            return
        try:
            obj = json.loads(frame)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: [[[[...
            self._event(WsEvent.MALFORMED_FRAME, sample=_sample(frame))
            return
        bad = False
        for item in obj if isinstance(obj, list) else (obj,):
            if not isinstance(item, dict):
                bad = True
            elif "method" in item:
                self._notification(item, now)
            elif "id" in item:
                self._response(item)
            else:
                bad = True
        if bad:  # counted once per frame
            self._event(WsEvent.MALFORMED_FRAME, sample=_sample(frame))

    def _response(self, item: dict[str, Any]) -> None:
        sub = self._pending.pop(item.get("id"), None) if isinstance(item.get("id"), int) else None
        if sub is None:
            return  # unsubscribe acknowledgements and stale replies
        result = item.get("result")
        if sub.key not in self._subs or self._subs[sub.key] is not sub:
            # Unsubscribed while the request was in flight: cancel the server-side leftover.
            if isinstance(result, int) and not isinstance(result, bool) and self._ws is not None:
                req = {
                    "jsonrpc": "2.0",
                    "id": next(self._ids),
                    "method": sub.kind.unsubscribe,
                    "params": [result],
                }
                self._spawn(self._send(self._ws, req), "ws-unsubscribe")
            return
        if "error" in item or not isinstance(result, int) or isinstance(result, bool):
            sub.rejected = scrub(item.get("error"))[:200]
            self._event(WsEvent.SUBSCRIBE_REJECTED, method=sub.kind.subscribe, error=sub.rejected)
            self._maybe_ready()
            return
        sub.server_id = result
        self._by_server_id[result] = sub
        self._maybe_ready()

    def _notification(self, item: dict[str, Any], now: float) -> None:
        try:
            params = item["params"]
            sid = params["subscription"]
            result = params["result"]
        except (KeyError, TypeError):
            self._event(WsEvent.MALFORMED_FRAME, method=item.get("method"))
            return
        sub = self._by_server_id.get(sid) if isinstance(sid, int) else None
        if sub is None:
            self._event(WsEvent.UNKNOWN_SUBSCRIPTION, subscription=sid)
            return
        try:
            update = self._decode(sub, result, now)
        except (
            KeyError,
            TypeError,
            ValueError,
            IndexError,
            OverflowError,
            binascii.Error,
            zstandard.ZstdError,
        ) as exc:
            self._event(WsEvent.BAD_PAYLOAD, method=sub.kind.subscribe, error=type(exc).__name__)
            return
        if update is not None:
            self._deliver(sub, sid, update, now)

    def _fast(self, frame: str, now: float) -> bool:
        """Account/program notifications parsed by solders (Rust JSON + base64, ~2x faster than
        json + binascii on a 4 KB User). Anything unusual returns False and takes the checked
        path, which does the counting; a parser failure never escapes."""
        try:
            msgs = parse_websocket_message(frame)
            if len(msgs) != 1:
                return False
            m = msgs[0]
            sid = m.subscription
            sub = self._by_server_id.get(sid)
            if sub is None:
                return False
            r = m.result
            if sub.kind is SubKind.PROGRAM and isinstance(m, ProgramNotification):
                v = r.value
                a = v.account
                # A program subscription only reports accounts that program owns.
                update = AccountUpdate(
                    self._b58(v.pubkey), a.data, r.context.slot, a.lamports, sub.params[0], now
                )
            elif sub.kind is SubKind.ACCOUNT and isinstance(m, AccountNotification):
                a = r.value
                update = AccountUpdate(
                    sub.params[0], a.data, r.context.slot, a.lamports, str(a.owner), now
                )
            else:
                return False
        except BaseException as exc:  # solders may raise ValueError or a Rust PanicException
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            return False
        self._deliver(sub, sid, update, now)
        return True

    def _b58(self, pubkey: Any) -> str:
        """str(Pubkey) with a bounded cache (the same few thousand Users update repeatedly)."""
        text = self._b58_cache.get(pubkey)
        if text is None:
            if len(self._b58_cache) >= 65536:
                self._b58_cache.clear()
            text = self._b58_cache[pubkey] = str(pubkey)
        return text

    def _deliver(self, sub: Subscription, sid: int, update: Any, now: float) -> None:
        self._track(sub, update.slot, now)
        for cb in tuple(sub.callbacks):
            try:
                cb(update)
            except Exception as exc:
                self._event(
                    WsEvent.CALLBACK_ERROR,
                    method=sub.kind.subscribe,
                    error=f"{type(exc).__name__}: {scrub(exc)}",
                )
        if sub.kind is SubKind.SIGNATURE:  # final notification: the server dropped it already
            self._subs.pop(sub.key, None)
            self._by_server_id.pop(sid, None)

    def _decode(self, sub: Subscription, result: Any, now: float) -> Any:
        match sub.kind:
            case SubKind.PROGRAM:
                slot = as_int(result["context"]["slot"])
                v = result["value"]
                acct = v["account"]
                return AccountUpdate(
                    as_str(v["pubkey"]),
                    decode_account_data(acct["data"]),
                    slot,
                    as_int(acct["lamports"]),
                    as_str(acct["owner"]),
                    now,
                )
            case SubKind.ACCOUNT:
                slot = as_int(result["context"]["slot"])
                v = result["value"]
                if v is None:  # closed account
                    return AccountUpdate(sub.params[0], b"", slot, 0, "", now)
                return AccountUpdate(
                    sub.params[0],
                    decode_account_data(v["data"]),
                    slot,
                    as_int(v["lamports"]),
                    as_str(v["owner"]),
                    now,
                )
            case SubKind.SLOT:
                return SlotUpdate(
                    as_int(result["slot"]),
                    _opt_int(result.get("parent")),
                    _opt_int(result.get("root")),
                    now,
                )
            case SubKind.SIGNATURE:
                v = result["value"]
                if v == "receivedSignature":
                    return None
                return SignatureUpdate(
                    sub.params[0], as_int(result["context"]["slot"]), v["err"], now
                )
        raise AssertionError(sub.kind)  # pragma: no cover

    def _track(self, sub: Subscription, slot: int, now: float) -> None:
        st = sub.state
        if st.last_slot is not None and slot < st.last_slot:
            self.counts[WsEvent.OUT_OF_ORDER] += 1
        else:
            st.last_slot = slot
        st.last_arrival = now
        st.notifications += 1
        if self._max_slot is None or slot > self._max_slot:
            self._max_slot = slot

    # ----------------------------------------------------------------- readiness and hooks

    def _clear_ready_if_pending(self) -> None:
        if not all(s.settled for s in self._subs.values()):
            self._ready.clear()
        else:
            self._maybe_ready()

    def _maybe_ready(self) -> None:
        if self._ws is None or not all(s.settled for s in self._subs.values()):
            return
        self._ready.set()
        if self._reconnect_due:
            self._reconnect_due = False
            info = ReconnectInfo(self.reconnects, self._last_slot_before, len(self._subs))
            self._fire_reconnect(info)

    def _fire_reconnect(self, info: ReconnectInfo) -> None:
        if self._on_reconnect is None:
            return
        try:
            res = self._on_reconnect(info)
        except Exception as exc:
            self._event(WsEvent.CALLBACK_ERROR, hook="on_reconnect", error=scrub(repr(exc)))
            return
        if inspect.isawaitable(res):
            self._spawn(_await(res), "ws-reconnect-hook")

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=f"{name}:{self.name}")
        self._tasks.add(task)
        task.add_done_callback(self._hook_done)

    def _hook_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._event(
                WsEvent.CALLBACK_ERROR, hook="on_reconnect", error=scrub(repr(task.exception()))
            )

    def _event(self, kind: WsEvent, **ctx: Any) -> None:
        self.counts[kind] += 1
        suppressed = self._limiter.allow(kind)
        if suppressed is None:
            return
        log.warning(
            "ws_" + kind.name.lower(),
            endpoint=self.name,
            count=self.counts[kind],
            suppressed=suppressed,
            **ctx,
        )


async def _await(aw: Awaitable[Any]) -> Any:
    return await aw


def _opt_int(v: Any) -> int | None:
    return None if v is None else as_int(v)


def _sample(frame: str | bytes) -> str:
    text = frame if isinstance(frame, str) else frame[:80].decode("utf-8", "replace")
    return scrub(text[:80])
