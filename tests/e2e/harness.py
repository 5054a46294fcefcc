"""Run the real engine against an in-process simulator and collect both sides' records."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from solders.keypair import Keypair

from jitmaker.config import parse_config
from jitmaker.engine import Engine
from jitmaker.risk import RiskGate
from jitmaker.sim.app import Simulator


@dataclass
class RunResult:
    summary: dict[str, Any]
    report: dict[str, Any]
    engine: Engine
    sim: Simulator
    keypair: Keypair
    sent: list[bytes]


def bot_keypair(label: str = "bot") -> Keypair:
    return Keypair.from_seed(hashlib.sha256(f"jitmaker-e2e/{label}".encode()).digest())


def sim_config(
    sim: Any,
    keypair: Keypair,
    *,
    glob: dict[str, Any] | None = None,
    jit: dict[str, Any] | None = None,
) -> Any:
    """The engine config for a bot on the simulator's three perp markets (``sim`` needs only
    ``http_url``/``ws_url``); ``glob``/``jit`` override the global and jitMaker sections."""
    raw = {
        "global": {
            "endpoint": sim.http_url,
            "wsEndpoint": sim.ws_url,
            "keeperPrivateKey": list(bytes(keypair)),
            "metricsPort": 0,
            "resubTimeoutMs": 2000,
            **(glob or {}),
        },
        "botConfigs": {
            "jitMaker": {
                "marketIndexes": [0, 1, 2],
                "subaccounts": [0, 0, 0],
                "aggressivenessBps": 20,
                "targetLeverage": 1,
                **(jit or {}),
            }
        },
    }
    return parse_config(raw, env={})


async def run_bot(
    *,
    duration_s: float = 6.0,
    seed: int = 11,
    slot_ms: int = 40,
    jit: dict[str, Any] | None = None,
    glob: dict[str, Any] | None = None,
    fund_usdc: int = 100_000,
    sim_setup: Any = None,
) -> RunResult:
    sim = Simulator(None, seed=seed, slot_ms=slot_ms)
    await sim.start()
    keypair = bot_keypair(str(seed))
    sim.fund(keypair.pubkey(), fund_usdc * 10**6)
    if sim_setup is not None:
        sim_setup(sim)
    config = sim_config(sim, keypair, glob=glob, jit=jit)
    engine = Engine(
        config, keypair, http_url=sim.http_url, ws_url=sim.ws_url, risk=RiskGate.from_config(config)
    )
    sent: list[bytes] = []
    sim.rpc.on_tx_received.append(lambda tx, slot: sent.append(tx))
    try:
        summary = await engine.run(duration_s)
        report = sim.report()
    finally:
        await sim.stop()
    return RunResult(summary, report, engine, sim, keypair, sent)
