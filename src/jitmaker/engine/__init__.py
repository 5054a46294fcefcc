"""The JIT maker engine and the daemon entry point."""

from __future__ import annotations

from typing import Any

from jitmaker.config import Config
from jitmaker.engine.core import Engine, EngineState
from jitmaker.logging import get_logger

__all__ = ["Engine", "EngineState", "run_daemon"]

log = get_logger("jitmaker")


async def run_daemon(
    config: Config, *, duration_s: float | None = None, summary_path: str | None = None
) -> int:
    """Run until a signal or ``duration_s``; write the summary; return the exit code."""
    from solders.keypair import Keypair

    from jitmaker.cli import write_json_atomic

    keypair = config.key.keypair() if config.key is not None else Keypair()
    sim: Any = None
    http_url, ws_url = config.endpoint, config.ws_endpoint
    if config.is_sim:
        from jitmaker.sim.app import Simulator

        sim = Simulator(config.sim.scenario, seed=config.sim.seed, slot_ms=config.sim.slot_ms)
        await sim.start()
        sim.fund(keypair.pubkey(), config.sim.fund_usdc * 10**6)  # fund() takes QUOTE 1e6
        http_url, ws_url = sim.http_url, sim.ws_url
        log.info(
            "simulator_started",
            http=http_url,
            authority=str(keypair.pubkey()),
            ephemeral_key=config.key is None,
            fund_usdc=config.sim.fund_usdc,
        )
    engine = Engine(config, keypair, http_url=http_url, ws_url=ws_url, risk=_risk(config))
    engine.install_signal_handlers()
    code = 0
    try:
        summary = await engine.run(duration_s)
    except Exception as exc:
        log.error("engine_failed", error=str(exc), error_type=type(exc).__name__)
        summary, code = engine.summary(), 1
    finally:
        if sim is not None:
            if config.sim.report:
                write_json_atomic(config.sim.report, sim.report())
            await sim.stop()
    if summary_path:
        write_json_atomic(summary_path, summary)
    return code


def _risk(config: Config) -> Any:
    from jitmaker.risk import RiskGate

    return RiskGate.from_config(config)
