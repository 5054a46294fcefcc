"""Supervised background tasks: strong references, names, failures logged.

Why: a bare ``create_task`` can be garbage-collected mid-flight and its exception is only
reported at interpreter exit, if ever (RUF006, reliability.md §1.4).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import structlog

from jitmaker.chain.loglimit import LogLimiter
from jitmaker.chain.redact import error_text

__all__ = ["TaskSet", "refresh_logged"]

log = structlog.get_logger(__name__)


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
        """Run ``coro`` as a named task that is kept until it finishes."""
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
                error=error_text(exc),
            )

    async def cancel_all(self) -> None:
        """Cancel every task and wait for them to finish."""
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def refresh_logged(
    refresh: Callable[[], Awaitable[object]],
    *,
    limiter: LogLimiter,
    event: str,
    logger: Any,
) -> bool:
    """Await ``refresh()``; on any failure log one rate-limited, redacted warning and return
    False instead of raising.

    Why: a background refresher (blockhash, priority fee) must survive RpcError and bugs alike
    and keep serving its last value; each used to spell out this try/except/limit block."""
    try:
        await refresh()
    except Exception as exc:  # RpcError, or a bug: the caller keeps its last value and retries
        if (n := limiter.allow("refresh")) is not None:
            logger.warning(event, error=error_text(exc), suppressed=n)
        return False
    return True
