"""Structured logging: JSON lines on stdout, secrets redacted everywhere.

Stable keys: ``event``, ``level``, ``ts``, ``market``, ``slot``, ``order_id``, ``taker``,
``tx_sig``, ``latency_us``. The redaction processor runs last before rendering, over every
string value including formatted exception text, so a private key or an RPC URL's API key
cannot reach a log line even when it is embedded in a foreign library's error message.
"""

from __future__ import annotations

import logging as _stdlib_logging
import re
import sys
import threading
import time
from collections.abc import Iterable, MutableMapping
from typing import Any, TextIO

import structlog

__all__ = [
    "RateLimiter",
    "configure_logging",
    "get_logger",
    "redact",
    "redact_url",
    "register_secret",
    "register_url",
]

_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
_SECRET_RE: re.Pattern[str] | None = None


def register_secret(secret: str) -> None:
    """Remember a secret string so ``redact`` scrubs it from any text."""
    global _SECRET_RE
    if not secret or len(secret) < 8:
        return
    with _SECRETS_LOCK:
        if secret in _SECRETS:
            return
        _SECRETS.add(secret)
        ordered = sorted(_SECRETS, key=len, reverse=True)
        _SECRET_RE = re.compile("|".join(re.escape(s) for s in ordered))


def redact_url(url: str) -> str:
    """Strip credentials from a URL (userinfo, secret query values, token-like path segments).

    One redactor for the whole project: ``jitmaker.chain.redact`` (imported lazily, so this
    foundation module loads without the chain package)."""
    from jitmaker.chain.redact import redact_url as _redact_url

    return _redact_url(url)


def register_url(url: str) -> str:
    """Remember a configured URL's secret fragments so they are scrubbed anywhere they appear,
    even outside a URL; returns the redacted URL."""
    from jitmaker.chain.redact import register_url as _register_url

    return _register_url(url)


def redact(text: str) -> str:
    """Scrub registered secrets (every textual form of the key) and URL credentials.

    A generic "base58 of 64 bytes" rule is deliberately absent: transaction signatures have
    exactly that shape and must stay readable in logs."""
    from jitmaker.chain.redact import scrub

    if _SECRET_RE is not None:
        text = _SECRET_RE.sub("<redacted>", text)
    return scrub(text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(v) for v in value)
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact(str(value))


def _redact_processor(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        event_dict[key] = _redact_value(value)
    return event_dict


class RateLimiter:
    """Drops repeats of the same (event, key) within ``interval_s``; counts what it dropped.

    A feed that fails every few milliseconds must not flood the journal; the first line of
    a burst passes, the next passing line carries ``suppressed=N``.
    """

    def __init__(
        self, interval_s: float = 5.0, clock: Any = time.monotonic, max_keys: int = 4096
    ) -> None:
        self.interval_s = interval_s
        self._clock = clock
        self._last: dict[tuple, float] = {}
        self._suppressed: dict[tuple, int] = {}
        self._max_keys = max_keys

    def __call__(
        self, _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        limit_key = event_dict.pop("rate_limit_key", None)
        if limit_key is None:
            return event_dict
        key = (event_dict.get("event"), limit_key)
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self.interval_s:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            raise structlog.DropEvent
        if len(self._last) >= self._max_keys:
            self._last.clear()
            self._suppressed.clear()
        self._last[key] = now
        dropped = self._suppressed.pop(key, 0)
        if dropped:
            event_dict["suppressed"] = dropped
        return event_dict


_LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}


def configure_logging(
    fmt: str = "json",
    level: str = "info",
    stream: TextIO | None = None,
    rate_limit_s: float = 5.0,
    extra_processors: Iterable[Any] = (),
) -> None:
    """Configure structlog (and route stdlib logging through the same redaction)."""
    stream = stream or _Stdout()
    renderer: Any
    if fmt == "console":
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    else:
        renderer = structlog.processors.JSONRenderer(sort_keys=False)
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
        RateLimiter(rate_limit_s),
        *extra_processors,
        structlog.processors.format_exc_info,
        _redact_processor,
        renderer,
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS.get(level, 20)),
        logger_factory=structlog.WriteLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    # Foreign libraries (websockets, aiohttp, asyncio) log through stdlib logging; send
    # their warnings through the same redacting pipeline instead of raw stderr.
    root = _stdlib_logging.getLogger()
    root.handlers[:] = [_StructlogHandler()]
    root.setLevel(_stdlib_logging.WARNING)


class _Stdout:
    """Whatever ``sys.stdout`` is at write time (it can be swapped after configuration, e.g.
    by a supervisor or a test harness); holding the object itself would write to a closed one."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


class _StructlogHandler(_stdlib_logging.Handler):
    def emit(self, record: _stdlib_logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a foreign library's bad format string must not kill logging
            message = str(record.msg)
        log = structlog.get_logger(record.name)
        kwargs: dict[str, Any] = {"logger": record.name}
        if record.exc_info:
            kwargs["exc_info"] = record.exc_info
        if record.levelno >= _stdlib_logging.ERROR:
            log.error(message, **kwargs)
        else:
            log.warning(message, **kwargs)


def get_logger(name: str | None = None, **initial: Any) -> Any:
    return structlog.get_logger(name, **initial)
