"""Solana JSON-RPC over HTTP: one shared aiohttp session, typed helpers, retries and failover.

Why our own client instead of solana-py's AsyncClient: that client raises on HTTP 429 without
retrying or honouring Retry-After, panics (via solders) on some malformed error objects, quotes
the API-keyed URL in its exceptions and parses every reply into Python objects we immediately
throw away. Here every failure becomes ``jitmaker.errors.RpcError`` with the endpoint's
*redacted* name, rate limits back off per endpoint, and transport failures rotate to the next
configured endpoint while the primary stays preferred once it recovers.

Classification (what is retried):
* transport failures (connect/timeout/reset, HTTP 5xx and other non-200, non-JSON bodies,
  wrong envelope shapes) -> ``RpcTransportError``; the endpoint cools down, the next one is
  tried, with backoff when nothing else is available;
* rate limits (HTTP 429, JSON codes 429 / -32429 / -32029) -> ``RpcRateLimitedError``; the
  endpoint cools down for Retry-After (capped) plus jitter;
* node behind (-32005) and min-context-slot not reached (-32016) -> retried like transport;
* every other JSON-RPC error (preflight failure -32002, bad params -32602, ...) is definitive
  and raised at once as ``RpcError(code=, data=)``.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import itertools
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, NamedTuple, TypeVar

import aiohttp
import structlog

from jitmaker.chain import rpctypes as _rpctypes
from jitmaker.chain.backoff import Backoff, Jitter
from jitmaker.chain.loglimit import LogLimiter
from jitmaker.chain.redact import register_url, scrub
from jitmaker.chain.rpcparse import (
    as_int,
    as_logs,
    as_str,
    contextual,
    gpa_plain_fast,
    gpa_with_context_fast,
    multiple_accounts_parser,
    parse_account,
    parse_or_raise,
    signature_statuses_parser,
)
from jitmaker.chain.rpctypes import (
    MAX_MULTIPLE_ACCOUNTS,
    MAX_SIGNATURE_STATUSES,
    AccountsFilter,
    Commitment,
    Encoding,
    EndpointHealth,
    LatestBlockhash,
    PrioritizationFee,
    RawAccount,
    RpcErrorCode,
    RpcRateLimitedError,
    RpcTransportError,
    SignatureStatus,
    SimulationResult,
    Slotted,
    TransactionMeta,
)
from jitmaker.chain.rpctypes import (
    DataSize as DataSize,
)
from jitmaker.chain.rpctypes import (
    Memcmp as Memcmp,
)
from jitmaker.chain.rpctypes import (
    b58encode as b58encode,
)
from jitmaker.errors import RpcError

# The value types live in ``rpctypes``; they are re-exported here so callers can take the client
# and its types from one module. Derived, not restated, so the two lists cannot drift apart.
__all__ = ["RpcClient", *_rpctypes.__all__]

log = structlog.get_logger(__name__)
T = TypeVar("T")

# --------------------------------------------------------------------------- helpers


def _parse_retry_after(value: str | None, now_wall: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now_wall)


class _Endpoint:
    __slots__ = ("health", "url")

    def __init__(self, url: str) -> None:
        self.url = url
        self.health = EndpointHealth(name=register_url(url))


# --------------------------------------------------------------------------- the client


class RpcClient:
    """JSON-RPC client over one shared aiohttp session with failover across ``urls``.

    ``urls[0]`` is the primary: it is used whenever it is not cooling down after a failure.
    ``sleep``/``clock`` are injectable so retry tests run without real waiting.
    """

    def __init__(
        self,
        urls: str | Sequence[str],
        *,
        commitment: Commitment = Commitment.CONFIRMED,
        timeout_s: float = 5.0,
        max_attempts: int = 4,
        backoff: Backoff | None = None,
        endpoint_cooldown: Backoff | None = None,
        max_retry_after_s: float = 10.0,
        session: aiohttp.ClientSession | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        max_batch: int = 10,
        max_wait_s: float = 10.0,
    ) -> None:
        url_list = [urls] if isinstance(urls, str) else list(urls)
        if not url_list:
            raise ValueError("RpcClient needs at least one endpoint URL")
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self._endpoints = [_Endpoint(u) for u in url_list]
        self.commitment = commitment
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self._backoff = backoff or Backoff(0.05, 2.0, jitter=Jitter.FULL)
        # Capped below max_wait_s: with default settings a call still gets its attempt after
        # waiting; only callers that ask for less (sends) fail fast.
        self._cooldown = endpoint_cooldown or Backoff(0.5, 5.0, jitter=Jitter.EQUAL)
        self._max_retry_after_s = max_retry_after_s
        self._session = session
        self._owns_session = session is None
        self._sleep = sleep
        self._clock = clock
        self._wall = wall_clock
        self._max_batch = max_batch
        self.max_wait_s = max_wait_s
        self._ids = itertools.count(1)
        self._current = 0
        self._limiter = LogLimiter(1.0, clock=clock)

    # ----------------------------------------------------------------- lifecycle

    @property
    def endpoint_names(self) -> list[str]:
        """Redacted endpoint names, primary first."""
        return [e.health.name for e in self._endpoints]

    def health(self) -> list[EndpointHealth]:
        """Per-endpoint counters (live objects; read, don't mutate)."""
        return [e.health for e in self._endpoints]

    async def __aenter__(self) -> RpcClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session if this client created it."""
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers={"Content-Type": "application/json"},
                connector=aiohttp.TCPConnector(limit=64, ttl_dns_cache=300),
            )
            self._owns_session = True
        return self._session

    # ----------------------------------------------------------------- endpoint choice

    def _pick(self) -> _Endpoint | None:
        """Primary if up, else the sticky current if up, else the best-scored up endpoint."""
        now = self._clock()
        eps = self._endpoints
        if eps[0].health.down_until <= now:
            self._current = 0
            return eps[0]
        if eps[self._current].health.down_until <= now:
            return eps[self._current]
        up = [i for i, e in enumerate(eps) if e.health.down_until <= now]
        if not up:
            return None
        self._current = max(up, key=lambda i: (eps[i].health.score, -i))
        return eps[self._current]

    def _soonest(self) -> tuple[_Endpoint, float]:
        ep = min(self._endpoints, key=lambda e: e.health.down_until)
        return ep, max(0.0, ep.health.down_until - self._clock())

    def _mark_ok(self, ep: _Endpoint, started: float) -> None:
        h = ep.health
        h.ok += 1
        h.consecutive_failures = 0
        h.down_until = 0.0
        us = (self._clock() - started) * 1e6
        h.latency_ewma_us = us if h.latency_ewma_us is None else 0.8 * h.latency_ewma_us + 0.2 * us

    def _mark_failed(self, ep: _Endpoint, exc: RpcError) -> None:
        h = ep.health
        h.consecutive_failures += 1
        if isinstance(exc, RpcRateLimitedError):
            h.rate_limited += 1
            if exc.retry_after_s is None:  # no hint: grow like any other failure
                wait = self._cooldown.delay(h.consecutive_failures - 1)
            else:
                wait = min(exc.retry_after_s, self._max_retry_after_s)
                wait += self._backoff.jitter_up_to(self._backoff.base)
        else:
            h.failures += 1
            wait = self._cooldown.delay(h.consecutive_failures - 1)
        h.down_until = self._clock() + wait
        if len(self._endpoints) > 1 and ep is self._endpoints[self._current]:
            self._current = (self._current + 1) % len(self._endpoints)

    # ----------------------------------------------------------------- core request path

    async def request(
        self,
        method: str,
        params: list[Any] | None = None,
        *,
        timeout_s: float | None = None,
        attempts: int | None = None,
        max_wait_s: float | None = None,
    ) -> Any:
        """Call ``method`` and return its ``result``; raises ``RpcError`` (never anything else).

        ``attempts``/``max_wait_s`` override the client defaults for this call (the longest
        this call may sleep waiting for a cooling-down endpoint)."""
        payload = {
            "jsonrpc": "2.0",
            "id": next(self._ids),
            "method": method,
            "params": params or [],
        }
        body = await self._with_retries(
            method, payload, timeout_s, attempts, max_wait_s, single=True
        )
        return body["result"]

    async def batch(
        self,
        calls: Sequence[tuple[str, list[Any]]],
        *,
        timeout_s: float | None = None,
        attempts: int | None = None,
        max_wait_s: float | None = None,
    ) -> list[Any]:
        """Send ``calls`` as one JSON-RPC batch. Returns one entry per call, in order: the
        result, or an ``RpcError`` instance for a call that failed on its own."""
        if not calls:
            return []
        payload = [
            {"jsonrpc": "2.0", "id": next(self._ids), "method": m, "params": p} for m, p in calls
        ]
        name = f"batch[{calls[0][0]}x{len(calls)}]"
        body = await self._with_retries(
            name, payload, timeout_s, attempts, max_wait_s, single=False
        )
        by_id = {
            item["id"]: item
            for item in body
            if isinstance(item, dict) and isinstance(item.get("id"), int | str)
        }
        out: list[Any] = []
        for req in payload:
            item = by_id.get(req["id"])
            if item is None:
                out.append(RpcError(f"{req['method']}: no reply in batch"))
            elif "error" in item:
                out.append(self._json_error(req["method"], item["error"], None))
            else:
                out.append(item.get("result"))
        return out

    async def _with_retries(
        self,
        method: str,
        payload: Any,
        timeout_s: float | None,
        attempts: int | None,
        max_wait_s: float | None,
        *,
        single: bool,
        fast: Callable[[bytes], Any] | None = None,
    ) -> Any:
        n = attempts if attempts is not None else self.max_attempts
        max_wait = self.max_wait_s if max_wait_s is None else max_wait_s
        try:
            data = json.dumps(payload, separators=(",", ":")).encode()
        except (TypeError, ValueError) as exc:  # a caller bug, not a network problem
            raise RpcError(f"{method}: cannot encode params ({scrub(exc)})") from None
        last: RpcError | None = None
        for attempt in range(n):
            ep = self._pick()
            if ep is None:  # every endpoint is cooling down: wait for the first to recover
                ep, wait = self._soonest()
                if wait > max_wait:
                    raise last or RpcTransportError(
                        f"{method}: every endpoint is cooling down (next in {wait:.2f}s)"
                    )
                await self._sleep(wait)
            started = self._clock()
            try:
                body = await self._post(ep, method, data, timeout_s or self.timeout_s, single, fast)
            except (RpcTransportError, RpcRateLimitedError) as exc:
                last = exc
                self._mark_failed(ep, exc)
                self._log_retry(method, ep, attempt, n, exc)
                continue
            except RpcError:
                self._mark_ok(ep, started)  # the node answered; the request itself was refused
                raise
            self._mark_ok(ep, started)
            return body
        assert last is not None
        raise last

    def _log_retry(self, method: str, ep: _Endpoint, attempt: int, n: int, exc: RpcError) -> None:
        suppressed = self._limiter.allow(("rpc_retry", ep.health.name, type(exc)))
        if suppressed is None:
            return
        log.warning(
            "rpc_request_failed",
            method=method,
            endpoint=ep.health.name,
            attempt=attempt + 1,
            attempts=n,
            code=exc.code,
            error=str(exc),
            suppressed=suppressed,
        )

    async def _post(
        self,
        ep: _Endpoint,
        method: str,
        payload: bytes,
        timeout_s: float,
        single: bool,
        fast: Callable[[bytes], Any] | None = None,
    ) -> Any:
        """One HTTP round trip; every failure comes out as an RpcError subclass."""
        name = ep.health.name
        try:
            session = self._get_session()
            timeout = aiohttp.ClientTimeout(total=timeout_s)
            async with session.post(ep.url, data=payload, timeout=timeout) as resp:
                status = resp.status
                retry_after = resp.headers.get("Retry-After")
                raw = await resp.read()
        except TimeoutError:
            raise RpcTransportError(f"{method}: timeout after {timeout_s}s at {name}") from None
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            raise RpcTransportError(
                f"{method}: transport error at {name}: {type(exc).__name__}: {scrub(exc)}"
            ) from None
        except Exception as exc:  # a foreign bug must not escape as a foreign type
            raise RpcTransportError(
                f"{method}: unexpected {type(exc).__name__} at {name}: {scrub(exc)}"
            ) from None
        if status == 429:
            raise RpcRateLimitedError(
                f"{method}: rate limited (HTTP 429) at {name}",
                code=429,
                retry_after_s=_parse_retry_after(retry_after, self._wall()),
            )
        if status != 200:
            raise RpcTransportError(f"{method}: HTTP {status} at {name}", code=status)
        if fast is not None:
            try:
                return _Fast(fast(raw))
            except BaseException as exc:  # solders: ValueError, or a Rust PanicException
                if isinstance(exc, KeyboardInterrupt | SystemExit):
                    raise
                # Anything unusual (error objects included) takes the checked path below.
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise RpcTransportError(f"{method}: non-JSON reply from {name}") from None
        if single:
            return self._check_single(method, name, body, retry_after)
        return self._check_batch(method, name, body, retry_after)

    def _check_single(self, method: str, name: str, body: Any, retry_after: str | None) -> Any:
        if not isinstance(body, dict):
            raise RpcTransportError(f"{method}: malformed reply from {name} (not an object)")
        if "error" in body:
            raise self._json_error(method, body["error"], name, retry_after)
        if "result" not in body:
            raise RpcTransportError(f"{method}: malformed reply from {name} (no result)")
        return body

    def _check_batch(self, method: str, name: str, body: Any, retry_after: str | None) -> Any:
        if isinstance(body, dict) and "error" in body:  # whole batch refused
            raise self._json_error(method, body["error"], name, retry_after)
        if not isinstance(body, list):
            raise RpcTransportError(f"{method}: malformed batch reply from {name}")
        codes = [
            i["error"].get("code")
            if isinstance(i, dict) and isinstance(i.get("error"), dict)
            else None
            for i in body
        ]
        if codes and all(isinstance(c, int) and c in RpcErrorCode.RATE_LIMITED for c in codes):
            raise self._json_error(method, body[0]["error"], name, retry_after)
        return body

    def _json_error(
        self, method: str, err: Any, name: str | None, retry_after: str | None = None
    ) -> RpcError:
        where = f" at {name}" if name else ""
        if not isinstance(err, dict):
            return RpcTransportError(f"{method}: malformed error object{where}")
        code = err.get("code")
        code = code if isinstance(code, int) and not isinstance(code, bool) else None
        message = scrub(err.get("message", ""))
        data = err.get("data")
        text = f"{method}: {message} (code {code}){where}"
        if code in RpcErrorCode.RATE_LIMITED:
            return RpcRateLimitedError(
                text,
                code=code,
                data=data,
                retry_after_s=_parse_retry_after(retry_after, self._wall()),
            )
        if code in RpcErrorCode.RETRYABLE and name is not None:
            return RpcTransportError(text, code=code, data=data)
        return RpcError(text, code=code, data=data)

    async def _parsed(
        self, method: str, params: list[Any], parse: Callable[[Any], T], **kw: Any
    ) -> T:
        result = await self.request(method, params, **kw)
        return parse_or_raise(method, result, parse)

    def _cfg(self, commitment: Commitment | None, **extra: Any) -> dict[str, Any]:
        cfg: dict[str, Any] = {"commitment": (commitment or self.commitment).value}
        cfg.update({k: v for k, v in extra.items() if v is not None})
        return cfg

    # ----------------------------------------------------------------- typed helpers

    async def get_slot(self, commitment: Commitment | None = None) -> int:
        return await self._parsed("getSlot", [self._cfg(commitment)], as_int)

    async def get_block_height(self, commitment: Commitment | None = None) -> int:
        return await self._parsed("getBlockHeight", [self._cfg(commitment)], as_int)

    async def get_latest_blockhash(self, commitment: Commitment | None = None) -> LatestBlockhash:
        def parse(r: Any) -> LatestBlockhash:
            slot, v = contextual(r)
            return LatestBlockhash(str(v["blockhash"]), as_int(v["lastValidBlockHeight"]), slot)

        return await self._parsed("getLatestBlockhash", [self._cfg(commitment)], parse)

    async def get_account_info(
        self,
        pubkey: str,
        *,
        commitment: Commitment | None = None,
        encoding: Encoding = Encoding.BASE64,
        min_context_slot: int | None = None,
    ) -> Slotted[RawAccount | None]:
        cfg = self._cfg(commitment, encoding=encoding.value, minContextSlot=min_context_slot)

        def parse(r: Any) -> Slotted[RawAccount | None]:
            slot, v = contextual(r)
            return Slotted(slot, None if v is None else parse_account(pubkey, v))

        return await self._parsed("getAccountInfo", [pubkey, cfg], parse)

    async def get_multiple_accounts(
        self,
        pubkeys: Sequence[str],
        *,
        commitment: Commitment | None = None,
        encoding: Encoding = Encoding.BASE64,
        min_context_slot: int | None = None,
        timeout_s: float | None = None,
    ) -> Slotted[list[RawAccount | None]]:
        """Accounts in request order (None for missing), chunked by 100 keys and sent as JSON-RPC
        batches of up to ``max_batch`` chunks. The slot is the *lowest* context slot among the
        chunks, so a caller's freshness check is conservative."""
        cfg = self._cfg(commitment, encoding=encoding.value, minContextSlot=min_context_slot)
        chunks = [
            list(pubkeys[i : i + MAX_MULTIPLE_ACCOUNTS])
            for i in range(0, len(pubkeys), MAX_MULTIPLE_ACCOUNTS)
        ]
        accounts: list[RawAccount | None] = []
        slot: int | None = None
        for g in range(0, len(chunks), self._max_batch):
            group = chunks[g : g + self._max_batch]
            results = await self.batch(
                [("getMultipleAccounts", [c, cfg]) for c in group], timeout_s=timeout_s
            )
            for keys, res in zip(group, results, strict=True):
                if isinstance(res, RpcError):
                    raise res
                s, values = parse_or_raise(
                    "getMultipleAccounts", res, multiple_accounts_parser(keys)
                )
                slot = s if slot is None else min(slot, s)
                accounts.extend(values)
        return Slotted(slot, accounts)

    async def get_program_accounts(
        self,
        program_id: str,
        filters: Iterable[AccountsFilter] = (),
        *,
        commitment: Commitment | None = None,
        encoding: Encoding = Encoding.BASE64_ZSTD,
        with_context: bool = True,
        min_context_slot: int | None = None,
        timeout_s: float = 60.0,
    ) -> Slotted[list[RawAccount]]:
        """All accounts of ``program_id`` passing ``filters`` (ANDed, at most 4), as raw bytes."""
        flist = [f.to_json() for f in filters]
        cfg = self._cfg(
            commitment,
            encoding=encoding.value,
            withContext=with_context,
            minContextSlot=min_context_slot,
            filters=flist or None,
        )

        def parse(r: Any) -> Slotted[list[RawAccount]]:
            slot: int | None = None
            if with_context:
                slot, r = contextual(r)
            if not isinstance(r, list):
                raise TypeError("expected a list of {pubkey, account}")
            return Slotted(slot, [parse_account(i["pubkey"], i["account"]) for i in r])

        method = "getProgramAccounts"
        payload = {
            "jsonrpc": "2.0",
            "id": next(self._ids),
            "method": method,
            "params": [program_id, cfg],
        }
        fast = gpa_with_context_fast if with_context else gpa_plain_fast
        got = await self._with_retries(
            method, payload, timeout_s, None, None, single=True, fast=fast
        )
        if isinstance(got, _Fast):
            return got.value
        return parse_or_raise(method, got["result"], parse)

    async def send_transaction(
        self,
        tx: bytes,
        *,
        skip_preflight: bool = True,
        max_retries: int | None = 0,
        preflight_commitment: Commitment | None = None,
        min_context_slot: int | None = None,
        attempts: int | None = None,
        timeout_s: float | None = None,
        max_wait_s: float | None = None,
    ) -> str:
        """Submit signed ``tx`` bytes; returns the signature the node reports.

        Resending the same bytes is idempotent (same signature), so retries here are safe."""
        cfg: dict[str, Any] = {
            "encoding": "base64",
            "skipPreflight": skip_preflight,
            "preflightCommitment": (preflight_commitment or self.commitment).value,
            "maxRetries": max_retries,
        }
        if min_context_slot is not None:
            cfg["minContextSlot"] = min_context_slot
        params = [base64.b64encode(tx).decode("ascii"), cfg]
        return await self._parsed(
            "sendTransaction",
            params,
            as_str,
            attempts=attempts,
            timeout_s=timeout_s,
            max_wait_s=max_wait_s,
        )

    async def simulate_transaction(
        self,
        tx: bytes,
        *,
        commitment: Commitment | None = None,
        sig_verify: bool = False,
        replace_recent_blockhash: bool = True,
    ) -> SimulationResult:
        cfg = self._cfg(
            commitment,
            encoding="base64",
            sigVerify=sig_verify,
            replaceRecentBlockhash=replace_recent_blockhash and not sig_verify,
        )

        def parse(r: Any) -> SimulationResult:
            slot, v = contextual(r)
            units = v.get("unitsConsumed")
            return SimulationResult(
                slot, v.get("err"), as_logs(v.get("logs")), None if units is None else as_int(units)
            )

        params = [base64.b64encode(tx).decode("ascii"), cfg]
        return await self._parsed("simulateTransaction", params, parse)

    async def get_signature_statuses(
        self,
        signatures: Sequence[str],
        *,
        search_transaction_history: bool = False,
    ) -> Slotted[list[SignatureStatus | None]]:
        """Statuses in request order (None = unknown to the node); chunked by 256."""
        out: list[SignatureStatus | None] = []
        slot: int | None = None
        for i in range(0, len(signatures), MAX_SIGNATURE_STATUSES):
            chunk = list(signatures[i : i + MAX_SIGNATURE_STATUSES])
            params = [chunk, {"searchTransactionHistory": search_transaction_history}]
            s, vals = await self._parsed(
                "getSignatureStatuses", params, signature_statuses_parser(len(chunk))
            )
            slot = s if slot is None else min(slot, s)
            out.extend(vals)
        return Slotted(slot, out)

    async def get_transaction(
        self, signature: str, *, commitment: Commitment | None = None
    ) -> TransactionMeta | None:
        """Slot, error and program logs of a landed transaction (None if not found)."""
        cfg = self._cfg(
            commitment or Commitment.CONFIRMED, encoding="json", maxSupportedTransactionVersion=0
        )

        def parse(r: Any) -> TransactionMeta | None:
            if r is None:
                return None
            meta = r.get("meta") or {}
            return TransactionMeta(
                as_int(r["slot"]), meta.get("err"), as_logs(meta.get("logMessages"))
            )

        return await self._parsed("getTransaction", [signature, cfg], parse)

    async def get_recent_prioritization_fees(
        self, accounts: Sequence[str] = ()
    ) -> list[PrioritizationFee]:
        """Recent per-slot minimum priority fees for transactions locking ``accounts``."""

        def parse(r: Any) -> list[PrioritizationFee]:
            if not isinstance(r, list):
                raise TypeError("expected a list")
            return [PrioritizationFee(as_int(i["slot"]), as_int(i["prioritizationFee"])) for i in r]

        return await self._parsed("getRecentPrioritizationFees", [list(accounts)], parse)


class _Fast(NamedTuple):
    """A reply already parsed by a solders fast path."""

    value: Any
