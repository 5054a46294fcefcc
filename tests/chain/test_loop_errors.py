"""The loop's last-resort handler: the known websockets 13.0 race is one debug line, anything
else still goes to the default handler."""

from __future__ import annotations

import asyncio

from jitmaker.chain.loop_errors import LoopErrorHandler, is_websockets_lost_race

# a function whose code object claims to live in websockets, as the library's frame does
_NS: dict = {}
exec(
    compile(
        "def connection_lost(fut):\n    fut.set_result(None)\n",
        "/venv/lib/python3.11/site-packages/websockets/asyncio/connection.py",
        "exec",
    ),
    _NS,
)


def _raised(fn, *args) -> BaseException:
    try:
        fn(*args)
    except BaseException as exc:
        return exc
    raise AssertionError("did not raise")


def _cancelled_future(loop: asyncio.AbstractEventLoop) -> asyncio.Future:
    fut = loop.create_future()
    fut.cancel()
    return fut


async def test_the_websockets_race_is_recognised_and_nothing_else():
    loop = asyncio.get_running_loop()
    race = _raised(_NS["connection_lost"], _cancelled_future(loop))
    assert isinstance(race, asyncio.InvalidStateError)
    assert is_websockets_lost_race(race)

    def ours(fut):
        fut.set_result(None)

    assert not is_websockets_lost_race(_raised(ours, _cancelled_future(loop)))
    assert not is_websockets_lost_race(ValueError("x"))
    assert not is_websockets_lost_race(None)


async def test_handler_swallows_the_race_and_forwards_the_rest():
    loop = asyncio.get_running_loop()
    seen: list[dict] = []

    def previous(_loop, ctx):
        seen.append(ctx)

    loop.set_exception_handler(previous)
    handler = LoopErrorHandler()
    handler.install(loop)
    try:
        loop.call_soon(_NS["connection_lost"], _cancelled_future(loop))
        loop.call_soon(_raise_value_error)
        await asyncio.sleep(0.01)
    finally:
        handler.uninstall()
        after = loop.get_exception_handler()
        loop.set_exception_handler(None)  # even when an assertion below fails
    assert handler.suppressed == 1
    assert [type(ctx.get("exception")) for ctx in seen] == [ValueError]
    assert after is not handler  # the previous one is back
    assert after is previous


def _raise_value_error() -> None:
    raise ValueError("a real bug")
