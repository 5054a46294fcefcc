"""Shutdown and recovery waits are bounded even when what they wait for never finishes.

Why: a daemon on a busy host must not wedge on one lost wake-up. Before, the engine's shutdown
awaited each cancelled task without a limit, ``SubscriptionManager.close()`` swallowed its own
cancellation while awaiting its tasks (so a caller's timeout could not end it), and Python
3.11's ``asyncio.wait_for`` both waits without limit for a step that ignores cancellation and
drops the caller's cancellation if the step completes in the same loop iteration.
"""

from __future__ import annotations

import asyncio
import hashlib

from solders.keypair import Keypair

from jitmaker.chain.ws import SubscriptionManager
from jitmaker.config import parse_config
from jitmaker.engine import Engine, EngineState, core


class _Stubborn:
    """A task body that ignores cancellation until released (a lost wake-up stand-in)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.cancels = 0

    async def run(self) -> None:
        while not self.release.is_set():
            try:
                await self.release.wait()
            except asyncio.CancelledError:
                self.cancels += 1


async def _finishes(coro, within_s: float) -> asyncio.Task:
    task = asyncio.ensure_future(coro)
    await asyncio.wait({task}, timeout=within_s)
    return task


async def test_subscription_manager_close_is_bounded_and_cancellable():
    mgr = SubscriptionManager("ws://127.0.0.1:9", stall_timeout_s=0.5)
    mgr.close_timeout_s = 0.2
    stubborn = _Stubborn()
    mgr._spawn(stubborn.run(), "stuck-hook")
    try:
        closing = await _finishes(mgr.close(), within_s=3.0)
        assert closing.done(), "close() waited for a task that ignores cancellation"
        assert stubborn.cancels >= 1
        # a caller's cancellation of close() is not swallowed
        mgr._spawn(stubborn.run(), "stuck-hook-2")
        mgr.close_timeout_s = 30.0
        closing = asyncio.ensure_future(mgr.close())
        await asyncio.sleep(0.05)
        closing.cancel()
        await asyncio.wait({closing}, timeout=3.0)
        assert closing.cancelled()
    finally:
        stubborn.release.set()
        await asyncio.sleep(0)


async def test_engine_shutdown_leaves_a_task_that_ignores_cancellation(monkeypatch):
    monkeypatch.setattr(core, "TASK_EXIT_S", 0.2)  # raises if the constant is renamed
    keypair = Keypair.from_seed(hashlib.sha256(b"jitmaker-test/bounded").digest())
    raw = {
        "global": {
            "endpoint": "http://127.0.0.1:9",
            "keeperPrivateKey": list(bytes(keypair)),
            "disableMetrics": True,
        },
        "botConfigs": {"jitMaker": {"marketIndexes": [0], "subaccounts": [0]}},
    }
    engine = Engine(parse_config(raw, env={}), keypair, http_url="http://127.0.0.1:9")
    stubborn = _Stubborn()
    engine._spawn("stuck", stubborn.run())
    engine.stop("test")
    try:
        shutdown = await _finishes(engine._shutdown(), within_s=3.0)
        assert shutdown.done(), "shutdown waited for a task that ignores cancellation"
        shutdown.result()
        assert stubborn.cancels >= 1
        assert engine.state == EngineState.STOPPING
    finally:
        stubborn.release.set()
        await asyncio.sleep(0)


async def test_within_is_bounded_for_a_step_that_ignores_cancellation():
    stubborn = _Stubborn()
    try:
        step = await _finishes(core._within(stubborn.run(), 0.1), within_s=3.0)
        assert step.done()
        assert isinstance(step.exception(), TimeoutError)
    finally:
        stubborn.release.set()
        await asyncio.sleep(0)


async def test_within_never_drops_the_callers_cancellation():
    # the step completes in the same loop iteration as the caller is cancelled: 3.11's
    # wait_for returns the step's result and the cancellation is lost (a supervisor loop
    # being shut down would carry on for ever)
    step = asyncio.get_running_loop().create_future()
    caller = asyncio.ensure_future(core._within(step, 5.0))
    await asyncio.sleep(0)
    step.set_result("done")
    caller.cancel()
    await asyncio.wait({caller}, timeout=3.0)
    assert caller.cancelled()
