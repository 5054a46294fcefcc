"""Recovery must not leak: after repeated socket faults the engine runs the same long-lived
tasks and holds the same connections as before. (That its maps stay bounded is for the
hours-long ``python -m bench.soak --mode memory``.)"""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest
from bench.soak import FaultDriver, start_bot
from bench.soak_probe import TRANSIENT_TASKS

pytestmark = pytest.mark.slow


def _steady_tasks() -> Counter:
    """Long-lived tasks by name; per-transaction ones (the memory soak's list) come and go."""
    names = Counter()
    for task in asyncio.all_tasks():
        name = task.get_name()
        if not name.startswith(TRANSIENT_TASKS):
            names[name.split(":")[0]] += 1
    return names


async def test_socket_faults_leave_no_extra_tasks_or_connections():
    sim, engine, keypair, task = await start_bot(seed=51, slot_ms=40)
    try:
        await asyncio.sleep(1.0)
        before = _steady_tasks()
        connections_before = len(sim.server._sockets)
        driver = FaultDriver(sim, engine, keypair, random.Random(5))
        for kind in ("drop_ws", "stall_ws", "drop_ws", "stall_ws"):
            record = await driver.inject(kind)
            assert record.recovered_at is not None, record
        await asyncio.sleep(0.5)
        after = _steady_tasks()
        connections_after = len(sim.server._sockets)
        replaced = engine.counters.ws_replacements
    finally:
        engine.stop("test done")
        await task
        await sim.stop()
    assert after == before, (before, after)
    assert connections_after == connections_before == 1
    assert replaced >= 1  # the stalls went through the replace path, which must not leak
