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

``BlockhashCache`` and ``PriorityFeeEstimator`` keep their values fresh in background tasks so
the hot path only reads memory.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, NamedTuple

import structlog
from solders.signature import Signature

from jitmaker.chain.loglimit import LogLimiter
from jitmaker.chain.redact import scrub
from jitmaker.chain.rpc import Commitment, RpcClient, RpcRateLimitedError, RpcTransportError
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
from jitmaker.errors import ExecutionError, RpcError, StaleDataError

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


# --------------------------------------------------------------------------- task supervision


class TaskSet:
    """Keeps strong references to background tasks and logs their failures.

    Why: a bare ``create_task`` can be garbage-collected mid-flight and its exception is only
    reported at interpreter exit, if ever (RUF006, reliability.md §1.4)."""

    def __init__(self, owner: str) -> None:
        self._owner = owner
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error(
                "task_failed",
                owner=self._owner,
                task=task.get_name(),
                error=f"{type(exc).__name__}: {exc}",
            )

    async def cancel_all(self) -> None:
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


# --------------------------------------------------------------------------- blockhash cache


class CachedBlockhash(NamedTuple):
    blockhash: str
    last_valid_block_height: int
    slot: int
    fetched_at: float  # clock() when fetched


class BlockhashCache:
    """Latest blockhash (at ``confirmed``, as reliability.md T1 advises) and block height.

    A background task refreshes every ``refresh_s`` and whenever ``on_slot`` is called (wire it
    to the slot feed for a per-slot refresh). ``current()`` never does I/O."""

    def __init__(
        self,
        rpc: RpcClient,
        *,
        commitment: Commitment = Commitment.CONFIRMED,
        refresh_s: float = 2.0,
        min_refresh_s: float = 0.2,
        max_age_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rpc = rpc
        self.commitment = commitment
        self.refresh_s = refresh_s
        self.min_refresh_s = min_refresh_s
        self.max_age_s = max_age_s
        self._clock = clock
        self._value: CachedBlockhash | None = None
        self.block_height: int | None = None
        self._wake = asyncio.Event()
        self._tasks = TaskSet("blockhash_cache")
        self._limiter = LogLimiter(5.0, clock=clock)
        self.failures = 0

    def current(self) -> CachedBlockhash:
        """The cached blockhash; ``StaleDataError`` if none yet or older than ``max_age_s``."""
        v = self._value
        if v is None:
            raise StaleDataError("no blockhash fetched yet")
        age = self._clock() - v.fetched_at
        if age > self.max_age_s:
            raise StaleDataError(f"blockhash is {age:.1f}s old (max {self.max_age_s}s)")
        return v

    def on_slot(self, slot: int) -> None:
        """Ask for a refresh soon (cheap; call from a slot-notification callback)."""
        del slot
        self._wake.set()

    async def refresh(self) -> CachedBlockhash:
        """Fetch blockhash and block height in one batch round trip."""
        cfg = [{"commitment": self.commitment.value}]
        bh, height = await self._rpc.batch([("getLatestBlockhash", cfg), ("getBlockHeight", cfg)])
        if isinstance(bh, RpcError):
            raise bh
        try:
            value = CachedBlockhash(
                str(bh["value"]["blockhash"]),
                int(bh["value"]["lastValidBlockHeight"]),
                int(bh["context"]["slot"]),
                self._clock(),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RpcError(f"getLatestBlockhash: malformed result ({type(exc).__name__})") from None
        if isinstance(height, int) and not isinstance(height, bool):
            self.block_height = max(height, self.block_height or 0)
        self._value = value
        return value

    def start(self) -> None:
        self._tasks.spawn(self._loop(), name="blockhash-cache")

    async def close(self) -> None:
        await self._tasks.cancel_all()

    async def _loop(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as exc:  # RpcError, or a bug: keep refreshing either way
                self.failures += 1
                if (n := self._limiter.allow("refresh")) is not None:
                    log.warning("blockhash_refresh_failed", error=_err(exc), suppressed=n)
            self._wake.clear()
            try:
                async with asyncio.timeout(self.refresh_s):
                    await self._wake.wait()
            except TimeoutError:
                pass
            await asyncio.sleep(self.min_refresh_s)


# --------------------------------------------------------------------------- priority fee


def estimate_priority_fee(
    samples: Sequence[Any], *, percentile: int, multiplier: Fraction, floor: int, cap: int
) -> int:
    """clamp(percentile(samples) * multiplier, floor, cap) in micro-lamports per CU.

    Nearest-rank percentile over the non-negative integer samples; junk (None, floats, bools,
    negatives) is ignored, so the result is always an int in [floor, cap]."""
    valid = sorted(s for s in samples if isinstance(s, int) and not isinstance(s, bool) and s >= 0)
    if not valid:
        return max(floor, min(cap, floor))
    rank = max(1, math.ceil(percentile * len(valid) / 100))
    base = valid[rank - 1]
    fee = base * multiplier.numerator // multiplier.denominator
    return max(floor, min(cap, fee))


class PriorityFeeEstimator:
    """Background ``getRecentPrioritizationFees`` sampling for the accounts a tx write-locks."""

    def __init__(
        self,
        rpc: RpcClient,
        *,
        cap: int,
        accounts: Sequence[str] = (),
        percentile: int = 75,
        multiplier: Fraction = Fraction(1),
        floor: int = 0,
        refresh_s: float = 5.0,
        fixed: int | None = None,
    ) -> None:
        if not 0 <= percentile <= 100:
            raise ValueError("percentile must be in [0, 100]")
        if cap < floor or floor < 0:
            raise ValueError("need 0 <= floor <= cap")
        if multiplier <= 0:
            raise ValueError("multiplier must be > 0")
        self._rpc = rpc
        self.accounts = tuple(accounts)
        self.percentile = percentile
        self.multiplier = multiplier
        self.floor = floor
        self.cap = cap
        self.refresh_s = refresh_s
        self.fixed = fixed
        self._value = min(cap, fixed) if fixed is not None else floor
        self._tasks = TaskSet("priority_fee")
        self._limiter = LogLimiter(30.0)

    def current(self) -> int:
        """Micro-lamports per CU to bid now (no I/O)."""
        return self._value

    async def refresh(self) -> int:
        if self.fixed is not None:
            return self._value
        fees = await self._rpc.get_recent_prioritization_fees(self.accounts)
        self._value = estimate_priority_fee(
            [f.fee for f in fees],
            percentile=self.percentile,
            multiplier=self.multiplier,
            floor=self.floor,
            cap=self.cap,
        )
        return self._value

    def start(self) -> None:
        if self.fixed is None:
            self._tasks.spawn(self._loop(), name="priority-fee")

    async def close(self) -> None:
        await self._tasks.cancel_all()

    async def _loop(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as exc:  # RpcError, or a bug: keep the last value and retry
                if (n := self._limiter.allow("refresh")) is not None:
                    log.warning("priority_fee_refresh_failed", error=_err(exc), suppressed=n)
            await asyncio.sleep(self.refresh_s)


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
                self._log("tx_status_poll_failed", None, error=_err(exc))
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


def _err(exc: BaseException) -> str:
    text = str(exc)
    return text if isinstance(exc, RpcError) else f"{type(exc).__name__}: {scrub(text)}"


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
