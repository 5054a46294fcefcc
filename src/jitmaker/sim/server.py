"""HTTP JSON-RPC on ``port`` and websocket PubSub on ``port + 1``, both on 127.0.0.1 (aiohttp).

driftpy derives its websocket URL as the HTTP port + 1, like a validator, so the two listen
on adjacent ports. Request bodies are read raw (aiohttp's automatic decompression is off)
because driftpy labels plain JSON ``content-encoding: gzip``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

from aiohttp import WSMsgType, web

from jitmaker.errors import SimulatorError
from jitmaker.sim.pubsub import PubSub
from jitmaker.sim.rpc import Rpc

__all__ = ["Server", "free_port_pair"]

MAX_QUEUED_MESSAGES = 20_000  # a client this far behind is disconnected, like a real node


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def free_port_pair(
    host: str = "127.0.0.1", attempts: int = 50
) -> tuple[socket.socket, socket.socket]:
    """Two bound sockets on adjacent free ports (p, p + 1)."""
    for _ in range(attempts):
        first = _bind(host, 0)
        port = first.getsockname()[1]
        if port >= 65535:
            first.close()
            continue
        try:
            second = _bind(host, port + 1)
        except OSError:
            first.close()
            continue
        return first, second
    raise SimulatorError("no pair of adjacent free ports found")


class Server:
    def __init__(self, rpc: Rpc, pubsub: PubSub, faults: Any, host: str = "127.0.0.1") -> None:
        self.rpc = rpc
        self.pubsub = pubsub
        self.faults = faults
        self.host = host
        self.port: int | None = None
        self._runners: list[web.AppRunner] = []
        self._sockets: dict[Any, web.WebSocketResponse] = {}
        faults.drop_hook = self.drop_all

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port + 1 if self.port else None}"

    async def start(self, port: int | None = None) -> None:
        if port:
            try:
                socks = (_bind(self.host, port), _bind(self.host, port + 1))
            except OSError as exc:
                raise SimulatorError(
                    f"cannot listen on {self.host}:{port}/{port + 1}: {exc}"
                ) from exc
        else:
            socks = free_port_pair(self.host)
        self.port = socks[0].getsockname()[1]
        http = web.Application(client_max_size=64 * 1024 * 1024)
        http.router.add_post("/", self._http)
        http.router.add_post("/{tail:.*}", self._http)
        ws = web.Application()
        ws.router.add_get("/", self._ws)
        ws.router.add_get("/{tail:.*}", self._ws)
        for app, sock in ((http, socks[0]), (ws, socks[1])):
            runner = web.AppRunner(
                app, auto_decompress=False, access_log=None, handle_signals=False
            )
            await runner.setup()
            site = web.SockSite(runner, sock)
            await site.start()
            self._runners.append(runner)

    async def stop(self) -> None:
        self.drop_all()
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()

    # -- HTTP ------------------------------------------------------------------------------

    async def _http(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        status, headers, out = self.rpc.handle(body)
        return web.Response(
            body=out, status=status, headers=headers, content_type="application/json"
        )

    # -- websocket -------------------------------------------------------------------------

    def drop_all(self) -> int:
        """Abort every websocket without a close frame (the drop fault)."""
        count = 0
        for ws, request in list(self._sockets.items()):
            transport = request.transport
            if transport is not None:
                transport.abort()
                count += 1
            self._sockets.pop(ws, None)
        self.pubsub.drop_all()
        return count

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        if self.faults.ws_refusing:
            return web.Response(status=429, text="Too many requests", headers={"Retry-After": "1"})
        ws = web.WebSocketResponse(autoping=True, heartbeat=None, max_msg_size=16 * 1024 * 1024)
        await ws.prepare(request)
        queue: asyncio.Queue[tuple[float, str]] = asyncio.Queue()
        self._sockets[ws] = request
        clock = asyncio.get_running_loop().time

        def send(text: str) -> None:
            if queue.qsize() >= MAX_QUEUED_MESSAGES:
                conn.close()
                return
            queue.put_nowait((clock(), text))

        def on_close() -> None:
            transport = request.transport
            if transport is not None:
                transport.abort()

        conn = self.pubsub.connect(send, on_close)
        writer = asyncio.create_task(self._writer(ws, queue))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self.pubsub.handle_text(conn, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    self.pubsub.handle_text(conn, msg.data.decode(errors="replace"))
                elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        finally:
            self.pubsub.disconnect(conn)
            self._sockets.pop(ws, None)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer
        return ws

    async def _writer(
        self, ws: web.WebSocketResponse, queue: asyncio.Queue[tuple[float, str]]
    ) -> None:
        faults = self.faults
        clock = asyncio.get_running_loop().time
        while True:
            queued_at, text = await queue.get()
            delay = faults.ws_delay_s
            if delay:  # latency, not throughput: each message leaves `delay` after it was queued
                wait = queued_at + delay - clock()
                if wait > 0:
                    await asyncio.sleep(wait)
            try:
                await ws.send_str(text)
            except (ConnectionResetError, RuntimeError):
                return
