"""The event loop's last-resort handler for exceptions nobody awaited, at the I/O edge.

websockets 13.0 (pinned by driftpy) has a known race: after a refused handshake its
``connection_lost`` sets the result of an internal future that a 1 s timeout has already
cancelled, and asyncio reports ``InvalidStateError`` from a callback on every refused reconnect
(fixed upstream in 13.1). The socket is closed either way, so that case becomes one debug line;
every other unhandled loop exception still reaches asyncio's default handler (and so our
structured, redacted logs).
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

from jitmaker.logging import get_logger

__all__ = ["LoopErrorHandler", "is_websockets_lost_race"]

log = get_logger("jitmaker.chain")


def _frames(tb: TracebackType | None) -> list[str]:
    out = []
    while tb is not None:
        out.append(tb.tb_frame.f_code.co_filename.replace("\\", "/"))
        tb = tb.tb_next
    return out


def is_websockets_lost_race(exc: BaseException | None) -> bool:
    """The benign websockets 13.0 ``connection_lost`` race (raised inside websockets)."""
    if not isinstance(exc, asyncio.InvalidStateError):
        return False
    frames = _frames(exc.__traceback__)
    return bool(frames) and "/websockets/" in frames[-1]


class LoopErrorHandler:
    """Install with ``install(loop)``; ``uninstall()`` restores the previous handler."""

    def __init__(self) -> None:
        self.suppressed = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: Any = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop, self._previous = loop, loop.get_exception_handler()
        loop.set_exception_handler(self)

    def uninstall(self) -> None:
        if self._loop is not None:
            self._loop.set_exception_handler(self._previous)
            self._loop = None

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if is_websockets_lost_race(context.get("exception")):
            self.suppressed += 1
            log.debug("websockets_connection_lost_race", count=self.suppressed)
            return
        if self._previous is not None:
            self._previous(loop, context)
        else:
            loop.default_exception_handler(context)
