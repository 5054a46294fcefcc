"""A Solana-PubSub-shaped websocket server on 127.0.0.1 that misbehaves on demand."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve


@dataclass
class Conn:
    ws: ServerConnection
    mode: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    sids: dict[str, int] = field(default_factory=dict)  # subscribe method + params -> id


class FakePubsub:
    """Modes per connection (in order; default "normal"):
    normal - confirm subscriptions, send only what the test pushes (so no push = silent stall);
    silent - accept the socket, never answer anything;
    reject - answer every subscribe with an error object."""

    def __init__(self, modes: list[str] | None = None, refuse: int = 0) -> None:
        self.modes = modes or []
        self.refuse = refuse  # answer this many upgrade requests with HTTP 429
        self.refused = 0
        self.conns: list[Conn] = []
        self.server: Server | None = None
        self._sid = itertools.count(100)
        self.connected = asyncio.Event()

    @property
    def url(self) -> str:
        assert self.server is not None
        port = next(iter(self.server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}"

    async def start(self) -> FakePubsub:
        self.server = await serve(
            self._handler, "127.0.0.1", 0, ping_interval=None, process_request=self._gate
        )
        return self

    def _gate(self, conn: ServerConnection, request: Any) -> Any:
        if self.refused < self.refuse:
            self.refused += 1
            return conn.respond(429, "Too Many Requests\n")
        return None

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _handler(self, ws: ServerConnection) -> None:
        i = len(self.conns)
        conn = Conn(ws, self.modes[i] if i < len(self.modes) else "normal")
        self.conns.append(conn)
        self.connected.set()
        if conn.mode == "silent":
            await ws.wait_closed()
            return
        async for msg in ws:
            req = json.loads(msg)
            conn.requests.append(req)
            method = req["method"]
            if method.endswith("Unsubscribe"):
                await ws.send(json.dumps({"jsonrpc": "2.0", "result": True, "id": req["id"]}))
            elif conn.mode == "reject":
                err = {"code": -32602, "message": "Invalid Request: Invalid pubkey provided"}
                await ws.send(json.dumps({"jsonrpc": "2.0", "error": err, "id": req["id"]}))
            else:
                sid = next(self._sid)
                conn.sids[method] = sid
                await ws.send(json.dumps({"jsonrpc": "2.0", "result": sid, "id": req["id"]}))

    def sid(self, method: str, conn: int = -1) -> int:
        return self.conns[conn].sids[method]

    async def push(self, frame: Any, conn: int = -1) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame)
        await self.conns[conn].ws.send(text)

    async def drop(self, conn: int = -1, *, abort: bool = False) -> None:
        ws = self.conns[conn].ws
        if abort:
            ws.transport.abort()
        else:
            await ws.close(1011, "going away")


async def until(pred: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``pred`` until true (fails the test on timeout)."""
    async with asyncio.timeout(timeout):
        while not pred():
            await asyncio.sleep(0.005)
