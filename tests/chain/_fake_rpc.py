"""A JSON-RPC HTTP server on 127.0.0.1 that answers from handlers and misbehaves on demand."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Fault:
    """One scripted misbehaviour, applied to the next request that reaches the server."""

    kind: str  # "429", "json429", "garbage", "drop", "stall", "http", "error", "wrong_shape"
    retry_after: str | None = None
    status: int = 503
    code: int = -32000
    message: str = "boom"
    data: Any = None
    seconds: float = 30.0


@dataclass
class FakeRpc:
    """Handlers map method -> fn(params) -> result (or raise RpcFail for an error object)."""

    handlers: dict[str, Callable[[list[Any]], Any]] = field(default_factory=dict)
    faults: deque[Fault] = field(default_factory=deque)
    requests: list[Any] = field(default_factory=list)  # every parsed body that arrived
    server: TestServer | None = None
    path: str = "/"
    raw_body: str = ""  # sent verbatim by a "raw" fault

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url(self.path))

    def methods(self) -> list[str]:
        out = []
        for body in self.requests:
            items = body if isinstance(body, list) else [body]
            out.extend(i.get("method") for i in items if isinstance(i, dict))
        return out

    async def start(self) -> FakeRpc:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return self

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    def _answer(self, req: dict[str, Any]) -> dict[str, Any]:
        fn = self.handlers.get(req.get("method", ""))
        if fn is None:
            return {
                "jsonrpc": "2.0",
                "id": req.get("id"),
                "error": {"code": -32601, "message": "Method not found"},
            }
        try:
            result = fn(req.get("params") or [])
        except RpcFail as f:
            err: dict[str, Any] = {"code": f.code, "message": f.message}
            if f.data is not None:
                err["data"] = f.data
            return {"jsonrpc": "2.0", "id": req.get("id"), "error": err}
        return {"jsonrpc": "2.0", "id": req.get("id"), "result": result}

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = json.loads(await request.read())
        self.requests.append(body)
        if self.faults:
            fault = self.faults.popleft()
            resp = await self._fault(request, body, fault)
            if resp is not None:
                return resp
        if isinstance(body, list):
            return web.json_response([self._answer(r) for r in body])
        return web.json_response(self._answer(body))

    async def _fault(self, request: web.Request, body: Any, f: Fault) -> web.StreamResponse | None:
        rid = body.get("id") if isinstance(body, dict) else None
        headers = {"Retry-After": f.retry_after} if f.retry_after is not None else {}
        match f.kind:
            case "429":
                return web.json_response(
                    {
                        "jsonrpc": "2.0",
                        "id": rid,
                        "error": {
                            "code": 429,
                            "message": "Too many requests for a specific RPC call",
                        },
                    },
                    status=429,
                    headers=headers,
                )
            case "json429":
                return web.json_response(
                    {
                        "jsonrpc": "2.0",
                        "id": rid,
                        "error": {"code": f.code, "message": "slow down"},
                    },
                    headers=headers,
                )
            case "garbage":
                return web.Response(text="<html>bad gateway</html>{", content_type="text/html")
            case "wrong_shape":
                return web.json_response({"jsonrpc": "2.0", "id": rid, "result": f.data})
            case "raw":
                return web.Response(text=self.raw_body, content_type="application/json")
            case "no_result":
                return web.json_response({"jsonrpc": "2.0", "id": rid})
            case "http":
                return web.Response(status=f.status, text="upstream error")
            case "error":
                err = {"code": f.code, "message": f.message}
                if f.data is not None:
                    err["data"] = f.data
                return web.json_response({"jsonrpc": "2.0", "id": rid, "error": err})
            case "drop":
                assert request.transport is not None
                request.transport.close()
                await asyncio.sleep(0.05)
                return web.Response(text="")
            case "stall":
                await asyncio.sleep(f.seconds)
                return None
        raise AssertionError(f.kind)


class RpcFail(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


class FakeClock:
    """A manual monotonic clock plus a sleep that advances it instead of waiting."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)
