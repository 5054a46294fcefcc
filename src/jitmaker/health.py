"""``/metrics``, ``/livez`` and ``/readyz`` over HTTP on 127.0.0.1 by default.

Liveness says the event loop answers and the engine has not failed; readiness is the very
freshness gate that permits sending (plus not HALTED), so an orchestrator and the bot agree
on when the bot may trade.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

__all__ = ["HealthServer"]


class HealthServer:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        metrics: Callable[[], bytes],
        live: Callable[[], tuple[bool, dict[str, Any]]],
        ready: Callable[[], tuple[bool, dict[str, Any]]],
    ) -> None:
        self.host = host
        self.port = port
        self._metrics = metrics
        self._live = live
        self._ready = ready
        self._runner: web.AppRunner | None = None
        self.bound_port: int | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/metrics", self._on_metrics)
        app.router.add_get("/livez", self._on_live)
        app.router.add_get("/readyz", self._on_ready)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.bound_port = sockets[0].getsockname()[1] if sockets else self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _on_metrics(self, _request: web.Request) -> web.Response:
        return web.Response(body=self._metrics(), content_type="text/plain", charset="utf-8")

    async def _on_live(self, _request: web.Request) -> web.Response:
        ok, body = self._live()
        return web.Response(
            status=200 if ok else 503, text=json.dumps(body), content_type="application/json"
        )

    async def _on_ready(self, _request: web.Request) -> web.Response:
        ok, body = self._ready()
        return web.Response(
            status=200 if ok else 503, text=json.dumps(body), content_type="application/json"
        )
