"""Fire-and-forget transaction sending with confirmation tracking off the hot path.

Why: the Python peers await confirmation inside the fire loop (up to 90 s with solana-py's
``confirm_transaction``), treat "Blockhash not found" as a rejection although the transaction
may still land, and create untracked tasks. Here ``Sender.send`` returns the signature at once;
network sends run in kept, supervised tasks; a background loop polls ``getSignatureStatuses``
in batches (and, optionally, a websocket ``signatureSubscribe`` reports first) and resolves
every signature to exactly one outcome:

* ``Landed``  - status at the target commitment without error;
* ``Failed``  - landed with an error (logs fetched best-effort), or rejected by every send
  endpoint for a reason that cannot change (preflight program error, bad signature);
* ``Expired`` - still unknown after the confirmed block height passed ``lastValidBlockHeight``
  (checked again with ``searchTransactionHistory``): it can never land;
* ``Unknown`` - still pending (including sends that hit 429, timeouts or "Blockhash not found").

``BlockhashCache`` (``chain.blockhash``) and ``PriorityFeeEstimator`` (``chain.fees``) keep
their values fresh in background tasks so the hot path only reads memory; both are re-exported
here.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from solders.signature import Signature

from jitmaker.chain.blockhash import BlockhashCache, CachedBlockhash
from jitmaker.chain.fees import PriorityFeeEstimator, estimate_priority_fee
from jitmaker.chain.loglimit import LogLimiter
from jitmaker.chain.redact import error_text
from jitmaker.chain.rpc import Commitment, RpcClient, RpcRateLimitedError, RpcTransportError
from jitmaker.chain.tasks import TaskSet
from jitmaker.chain.txerrors import (
    DEFAULT_PROGRAM_IDS,
    FailureReason,
    Program,
    ProgramIds,
    TxFailure,
    failure_from_rpc_error,
    parse_tx_error,
)
from jitmaker.chain.ws import SignatureUpdate, Subscription, SubscriptionManager
from jitmaker.errors import ExecutionError, RpcError

__all__ = [
    "BlockhashCache",
    "CachedBlockhash",
    "Expired",
    "Failed",
    "Landed",
    "Outcome",
    "PriorityFeeEstimator",
    "Sender",
    "TaskSet",
    "Unknown",
    "estimate_priority_fee",
    "signature_of",
]

log = structlog.get_logger(__name__)


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True, slots=True)
class Landed:
    signature: str
    slot: int
    commitment: Commitment


@dataclass(frozen=True, slots=True)
class Failed:
    signature: str
    slot: int | None  # None when rejected at send time (never landed)
    err: Any
    logs: tuple[str, ...]
    failure: TxFailure


@dataclass(frozen=True, slots=True)
class Expired:
    signature: str
    last_valid_block_height: int
    block_height: int


@dataclass(frozen=True, slots=True)
class Unknown:
    signature: str


Outcome = Landed | Failed | Expired | Unknown


# --------------------------------------------------------------------------- sender


def signature_of(tx: bytes) -> str:
    """Base58 of the first signature of a serialized transaction (the transaction id)."""
    if len(tx) < 65 or not 1 <= tx[0] < 0x80:
        raise ExecutionError("not a signed serialized transaction")
    return str(Signature.from_bytes(tx[1:65]))


@dataclass(slots=True, eq=False)
class _Inflight:
    signature: str
    tx: bytes
    last_valid_block_height: int
    sent_at: float
    ix_program_ids: tuple[str, ...] | None
    last_send: float = 0.0
    sends: int = 0
    rejections: list[TxFailure | None] = field(default_factory=list)
    resolving: bool = False
    subscription: Subscription | None = None


# Send-time rejections that cannot change by waiting (the transaction never executes).
_FATAL_SEND_CODES = frozenset({-32003, -32602})
_SOFT_REASONS = frozenset({FailureReason.BLOCKHASH, FailureReason.ALREADY_PROCESSED})


class Sender:
    """Sends signed transactions to every endpoint in ``send_rpcs`` and tracks their outcomes.

    ``rpc`` (with its own failover) is used for status polling and log fetches; ``send_rpcs``
    defaults to ``[rpc]``; give each extra send endpoint its own ``RpcClient``. Each send makes
    at most ``send_attempts`` tries and waits at most ``send_max_wait_s`` for a cooling-down
    endpoint: a late fill attempt is worthless, resends come from ``rebroadcast_s``.
    ``on_outcome`` is called exactly once per signature when its tracking ends (``Unknown``
    if it was evicted by the ``max_tracked`` bound). ``preflight_commitment`` should equal the
    blockhash's commitment: nodes use it even with skipPreflight (agave#479)."""

    def __init__(
        self,
        rpc: RpcClient,
        *,
        send_rpcs: Sequence[RpcClient] = (),
        target: Commitment = Commitment.CONFIRMED,
        poll_interval_s: float = 0.4,
        rebroadcast_s: float | None = None,
        send_attempts: int = 2,
        send_max_wait_s: float = 0.5,
        preflight_commitment: Commitment = Commitment.CONFIRMED,
        max_tracked: int = 2048,
        max_resolved: int = 4096,
        fetch_logs: bool = True,
        program_ids: ProgramIds = DEFAULT_PROGRAM_IDS,
        on_outcome: Callable[[Outcome], object] | None = None,
        subscriptions: SubscriptionManager | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._rpc = rpc
        self._send_rpcs = list(send_rpcs) or [rpc]
        self.target = target
        self.poll_interval_s = poll_interval_s
        self.rebroadcast_s = rebroadcast_s
        self.send_attempts = send_attempts
        self.send_max_wait_s = send_max_wait_s
        self.preflight_commitment = preflight_commitment
        self.max_tracked = max_tracked
        self.max_resolved = max_resolved
        self.fetch_logs = fetch_logs
        self.program_ids = program_ids
        self._on_outcome = on_outcome
        self._subs = subscriptions
        self._clock = clock
        self._sleep = sleep
        self._pending: OrderedDict[str, _Inflight] = OrderedDict()
        self._resolved: OrderedDict[str, Outcome] = OrderedDict()
        self._waiters: dict[str, list[asyncio.Future[Outcome]]] = {}
        self._tasks = TaskSet("sender")
        self._wake = asyncio.Event()
        self._limiter = LogLimiter(1.0, clock=clock)
        self.counts: Counter[str] = Counter()

    # ----------------------------------------------------------------- hot path

    def send(
        self,
        tx: bytes,
        last_valid_block_height: int,
        *,
        signature: str | None = None,
        ix_program_ids: Sequence[str] | None = None,
    ) -> str:
        """Queue ``tx`` for sending to every endpoint and return its signature immediately.

        Sending the same bytes again while pending rebroadcasts them; after resolution it is a
        no-op. ``ix_program_ids`` (program id per instruction) helps attribute errors when logs
        are unavailable."""
        sig = signature or signature_of(tx)
        if sig in self._resolved:
            return sig
        entry = self._pending.get(sig)
        if entry is None:
            entry = _Inflight(
                sig,
                tx,
                last_valid_block_height,
                self._clock(),
                tuple(ix_program_ids) if ix_program_ids else None,
            )
            self._track(entry)
        self._broadcast(entry)
        return sig

    def _track(self, entry: _Inflight) -> None:
        while len(self._pending) >= self.max_tracked:
            old_sig, old = self._pending.popitem(last=False)
            self.counts["evicted"] += 1
            self._drop_subscription(old)
            log.warning("tx_tracking_evicted", tx_sig=old_sig, max_tracked=self.max_tracked)
            self._notify(old_sig, Unknown(old_sig))
        self._pending[entry.signature] = entry
        self.counts["sent"] += 1
        self._wake.set()
        if self._subs is not None:
            self._tasks.spawn(self._subscribe(entry), name=f"tx-sub:{entry.signature[:8]}")

    def _broadcast(self, entry: _Inflight) -> None:
        entry.sends += 1
        entry.last_send = self._clock()
        entry.rejections = []
        for i, client in enumerate(self._send_rpcs):
            self._tasks.spawn(
                self._send_one(client, entry), name=f"tx-send:{entry.signature[:8]}:{i}"
            )

    async def _send_one(self, client: RpcClient, entry: _Inflight) -> None:
        started = self._clock()
        endpoint = client.endpoint_names[0]
        try:
            got = await client.send_transaction(
                entry.tx,
                skip_preflight=True,
                max_retries=0,
                preflight_commitment=self.preflight_commitment,
                attempts=self.send_attempts,
                max_wait_s=self.send_max_wait_s,
            )
        except (RpcTransportError, RpcRateLimitedError) as exc:
            self.counts["send_unknown"] += 1
            self._log("tx_send_unknown", entry.signature, endpoint=endpoint, error=str(exc))
            entry.rejections.append(None)
            return
        except RpcError as exc:
            self._on_send_error(entry, endpoint, exc)
            return
        if got != entry.signature:
            self._log("tx_signature_mismatch", entry.signature, endpoint=endpoint, node_sig=got)
        log.debug(
            "tx_sent",
            tx_sig=entry.signature,
            endpoint=endpoint,
            latency_us=int((self._clock() - started) * 1e6),
        )

    def _on_send_error(self, entry: _Inflight, endpoint: str, exc: RpcError) -> None:
        failure = failure_from_rpc_error(exc, program_ids=self.program_ids)
        if failure is not None and failure.reason in _SOFT_REASONS:
            # Blockhash not found / already processed: it may still land (or has): keep waiting.
            self.counts["send_" + failure.reason.name.lower()] += 1
            self._log("tx_send_" + failure.reason.name.lower(), entry.signature, endpoint=endpoint)
            entry.rejections.append(None)
            return
        self.counts["send_rejected"] += 1
        self._log(
            "tx_send_rejected", entry.signature, endpoint=endpoint, error=str(exc), code=exc.code
        )
        definitive = failure is not None or exc.code in _FATAL_SEND_CODES
        if failure is None:
            failure = TxFailure(Program.RUNTIME, exc.code, "SendRejected", FailureReason.OTHER)
        entry.rejections.append(failure if definitive else None)
        rejected = [r for r in entry.rejections if r is not None]
        if len(rejected) == len(self._send_rpcs) and entry.signature in self._pending:
            data = exc.data if isinstance(exc.data, dict) else {}
            logs = data.get("logs") if isinstance(data.get("logs"), list) else []
            self._resolve(
                entry,
                Failed(
                    entry.signature,
                    None,
                    data.get("err"),
                    tuple(str(x) for x in logs),
                    rejected[-1],
                ),
            )

    # ----------------------------------------------------------------- queries

    @property
    def inflight(self) -> int:
        return len(self._pending)

    def outcome(self, signature: str) -> Outcome | None:
        """Current outcome: resolved, ``Unknown`` while pending, None if never seen/forgotten."""
        if signature in self._pending:
            return Unknown(signature)
        return self._resolved.get(signature)

    async def wait(self, signature: str, timeout_s: float) -> Outcome:
        """Wait for ``signature`` to resolve; ``Unknown`` on timeout."""
        out = self.outcome(signature)
        if out is None or not isinstance(out, Unknown):
            return out or Unknown(signature)
        fut: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(signature, []).append(fut)
        try:
            async with asyncio.timeout(timeout_s):
                return await fut
        except TimeoutError:
            return Unknown(signature)
        finally:
            waiters = self._waiters.get(signature)
            if waiters and fut in waiters:
                waiters.remove(fut)
                if not waiters:
                    del self._waiters[signature]

    async def drain(self, timeout_s: float) -> int:
        """Wait until nothing is in flight (shutdown); returns how many are still pending."""
        try:
            async with asyncio.timeout(timeout_s):
                while self._pending:
                    await asyncio.sleep(self.poll_interval_s / 2)
        except TimeoutError:
            pass
        return len(self._pending)

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> None:
        self._tasks.spawn(self._confirm_loop(), name="sender-confirm")

    async def close(self) -> None:
        await self._tasks.cancel_all()

    # ----------------------------------------------------------------- confirmation

    async def _confirm_loop(self) -> None:
        while True:
            if not self._pending:
                self._wake.clear()
                await self._wake.wait()
            try:
                await self.poll_once()
            except Exception as exc:  # RpcError, or a bug: tracking must not stop
                self.counts["poll_failed"] += 1
                self._log("tx_status_poll_failed", None, error=error_text(exc))
            await self._sleep(self.poll_interval_s)

    async def poll_once(self) -> None:
        """One status round: block height first, then statuses, so 'past lastValidBlockHeight
        and still unknown' is decided on a status read that happened after the height read."""
        entries = [e for e in self._pending.values() if not e.resolving]
        if not entries:
            return
        height = await self._rpc.get_block_height(Commitment.CONFIRMED)
        statuses = await self._rpc.get_signature_statuses([e.signature for e in entries])
        expired: list[_Inflight] = []
        for entry, st in zip(entries, statuses.value, strict=True):
            if entry.signature not in self._pending or entry.resolving:
                continue
            if st is None:
                if height > entry.last_valid_block_height:
                    expired.append(entry)
                elif self.rebroadcast_s is not None and (
                    self._clock() - entry.last_send >= self.rebroadcast_s
                ):
                    self._broadcast(entry)
                continue
            if st.err is not None:
                self._landed_with_error(entry, st.slot, st.err)
            elif (
                st.confirmation_status is not None
                and st.confirmation_status.rank >= self.target.rank
            ):
                self._resolve(entry, Landed(entry.signature, st.slot, st.confirmation_status))
        if expired:
            await self._check_expired(expired, height)

    async def _check_expired(self, entries: list[_Inflight], height: int) -> None:
        again = await self._rpc.get_signature_statuses(
            [e.signature for e in entries], search_transaction_history=True
        )
        for entry, st in zip(entries, again.value, strict=True):
            if entry.signature not in self._pending or entry.resolving:
                continue
            if st is None:
                self._resolve(
                    entry, Expired(entry.signature, entry.last_valid_block_height, height)
                )
            elif st.err is not None:
                self._landed_with_error(entry, st.slot, st.err)
            else:
                self._resolve(
                    entry,
                    Landed(
                        entry.signature, st.slot, st.confirmation_status or Commitment.PROCESSED
                    ),
                )

    def _landed_with_error(self, entry: _Inflight, slot: int, err: Any) -> None:
        if self.fetch_logs:
            entry.resolving = True
            self._tasks.spawn(
                self._fetch_and_fail(entry, slot, err), name=f"tx-logs:{entry.signature[:8]}"
            )
        else:
            self._fail(entry, slot, err, ())

    async def _fetch_and_fail(self, entry: _Inflight, slot: int, err: Any) -> None:
        logs: tuple[str, ...] = ()
        try:
            meta = await self._rpc.get_transaction(entry.signature)
            if meta is not None:
                logs = meta.logs
        except RpcError as exc:
            self._log("tx_logs_unavailable", entry.signature, error=str(exc))
        self._fail(entry, slot, err, logs)

    def _fail(self, entry: _Inflight, slot: int, err: Any, logs: tuple[str, ...]) -> None:
        failure = parse_tx_error(
            err, logs, program_ids=self.program_ids, ix_program_ids=entry.ix_program_ids
        )
        self._resolve(entry, Failed(entry.signature, slot, err, logs, failure))

    # ----------------------------------------------------------------- websocket path

    async def _subscribe(self, entry: _Inflight) -> None:
        assert self._subs is not None
        sub = await self._subs.signature_subscribe(
            entry.signature, self._on_signature, commitment=self.target
        )
        if entry.signature in self._pending:
            entry.subscription = sub
        else:
            await self._subs.unsubscribe(sub)

    def _on_signature(self, update: SignatureUpdate) -> None:
        entry = self._pending.get(update.signature)
        if entry is None or entry.resolving:
            return
        entry.subscription = None  # the server drops a signature subscription after notifying
        if update.err is not None:
            self._landed_with_error(entry, update.slot, update.err)
        else:
            self._resolve(entry, Landed(update.signature, update.slot, self.target))

    def _drop_subscription(self, entry: _Inflight) -> None:
        if entry.subscription is not None and self._subs is not None:
            sub, entry.subscription = entry.subscription, None
            self._tasks.spawn(self._subs.unsubscribe(sub), name=f"tx-unsub:{entry.signature[:8]}")

    # ----------------------------------------------------------------- resolution

    def _resolve(self, entry: _Inflight, outcome: Outcome) -> None:
        if self._pending.pop(entry.signature, None) is None:
            return
        self._drop_subscription(entry)
        self._resolved[entry.signature] = outcome
        while len(self._resolved) > self.max_resolved:
            self._resolved.popitem(last=False)
        kind = type(outcome).__name__.lower()
        self.counts[kind] += 1
        log.info(
            "tx_" + kind,
            tx_sig=entry.signature,
            sends=entry.sends,
            latency_us=int((self._clock() - entry.sent_at) * 1e6),
            **_outcome_fields(outcome),
        )
        self._notify(entry.signature, outcome)

    def _notify(self, sig: str, outcome: Outcome) -> None:
        """Tracking of ``sig`` ended with ``outcome`` (Unknown when evicted): wake waiters, tell
        the consumer exactly once."""
        for fut in self._waiters.pop(sig, []):
            if not fut.done():
                fut.set_result(outcome)
        if self._on_outcome is not None:
            try:
                self._on_outcome(outcome)
            except Exception as exc:  # a consumer bug must not stop tracking
                log.error(
                    "tx_outcome_callback_failed", tx_sig=sig, error=f"{type(exc).__name__}: {exc}"
                )

    def _log(self, event: str, sig: str | None, **kw: Any) -> None:
        if (n := self._limiter.allow(event)) is not None:
            log.warning(event, tx_sig=sig, suppressed=n, **kw)


def _outcome_fields(o: Outcome) -> dict[str, Any]:
    match o:
        case Landed():
            return {"slot": o.slot, "commitment": o.commitment.value}
        case Failed():
            return {"slot": o.slot, "failure": str(o.failure), "reason": o.failure.reason.name}
        case Expired():
            return {
                "last_valid_block_height": o.last_valid_block_height,
                "block_height": o.block_height,
            }
    return {}
