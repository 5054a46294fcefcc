"""/metrics, /livez and /readyz answer with the engine's view."""

from __future__ import annotations

import aiohttp

from jitmaker.health import HealthServer
from jitmaker.metrics import Metrics


async def test_health_endpoints_reflect_state():
    metrics = Metrics()
    metrics.attempts.labels(market="perp-0").inc(3)
    ready = {"ok": False}
    server = HealthServer(
        "127.0.0.1",
        0,
        metrics=metrics.render,
        live=lambda: (True, {"state": "running"}),
        ready=lambda: (ready["ok"], {"stale": [] if ready["ok"] else ["auctions:silent"]}),
    )
    await server.start()
    try:
        base = f"http://127.0.0.1:{server.bound_port}"
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/metrics") as r:
                text = await r.text()
                assert r.status == 200 and 'jitmaker_attempts_total{market="perp-0"} 3.0' in text
                assert 'jitmaker_state{state="starting"} 1.0' in text
            async with session.get(f"{base}/livez") as r:
                assert r.status == 200
            async with session.get(f"{base}/readyz") as r:
                assert r.status == 503 and "auctions:silent" in await r.text()
            ready["ok"] = True
            async with session.get(f"{base}/readyz") as r:
                assert r.status == 200
    finally:
        await server.stop()
