"""``Simulator``: the local exchange assembled and usable in-process.

    sim = Simulator(seed=7, slot_ms=50)
    await sim.start()              # free loopback port pair, or Simulator(port=8899)
    sim.fund(my_key, 100_000 * 10**6)
    ... connect driftpy / the bot to sim.http_url ...
    await sim.stop()

With ``manual_clock=True`` no timer runs: ``advance(n)`` moves the chain n slots at CPU
speed (used by tests and the day-long soak). The transaction executor defaults to
``jitmaker.sim.program``; tests may pass a stand-in ``program`` module/object.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from pathlib import Path
from typing import IO, Any

from solders.pubkey import Pubkey

from jitmaker.errors import SimulatorError
from jitmaker.logging import get_logger
from jitmaker.sim.faults import Faults
from jitmaker.sim.flow import Flow
from jitmaker.sim.pubsub import PubSub
from jitmaker.sim.report import Report
from jitmaker.sim.rpc import Rpc
from jitmaker.sim.scenario import Scenario, load_scenario
from jitmaker.sim.server import Server
from jitmaker.sim.state import Chain
from jitmaker.sim.world import World

__all__ = ["Simulator"]

_log = get_logger("jitmaker.sim")


class Simulator:
    def __init__(
        self,
        scenario: Scenario | str | Path | None = None,
        *,
        seed: int = 0,
        slot_ms: int = 400,
        manual_clock: bool = False,
        port: int | None = None,
        host: str = "127.0.0.1",
        flow: bool = True,
        program: Any = None,
        report_path: str | Path | None = None,
        record_tx_path: str | Path | None = None,
        verify_signatures: bool = True,
    ) -> None:
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        if slot_ms <= 0:
            raise SimulatorError("slot_ms must be > 0")
        self.scenario = scenario
        self.seed = seed
        self.slot_ms = slot_ms
        self.manual_clock = manual_clock
        self.requested_port = port
        if program is None:
            import jitmaker.sim.program as program
        self.program = program
        self.verify_signatures = verify_signatures
        self.world = World(scenario, seed)
        self.chain = Chain(
            self.world.ledger,
            start_slot=scenario.start_slot,
            start_unix_timestamp=scenario.start_unix_timestamp,
            block_height_lag=scenario.block_height_lag,
            seed=seed,
            confirmed_lag=scenario.confirmed_lag_slots,
            finalized_lag=scenario.finalized_lag_slots,
        )
        self.faults = Faults(self.chain, scenario.faults)
        self.rpc = Rpc(
            self.chain, executor=program.execute_transaction, make_context=self.make_context
        )
        self.pubsub = PubSub(self.chain)
        self.rpc.faults = self.faults
        self.pubsub.faults = self.faults
        self.report_path = Path(report_path) if report_path else None
        self.reporter = Report(self.world, path=self.report_path, seed=seed)
        for authority in self.world.funded:
            self.reporter.add_funded(authority)
        self.flow = Flow(
            self.world,
            self.chain,
            program,
            self.make_context,
            seed=seed,
            on_result=self._on_result,
            report=self.reporter,
            enabled=flow,
        )
        # slot order: faults switch, the market moves, then subscribers hear about the slot
        self.chain.slot_observers[:] = [self.faults.on_slot, self.flow.on_slot, self.pubsub.on_slot]
        self.rpc.on_landed.append(self._on_landed)
        self.rpc.on_signature_received.append(self.pubsub.on_received)
        self._record: IO[str] | None = None
        if record_tx_path:
            self._record = open(record_tx_path, "a")
            self.rpc.on_tx_received.append(self._record_tx)
        self.server = Server(self.rpc, self.pubsub, self.faults, host)
        self._ticker: asyncio.Task[None] | None = None
        self.started = False

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        await self.server.start(self.requested_port)
        self.started = True
        if not self.manual_clock:
            self._ticker = asyncio.create_task(self._tick())

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        if self.started:
            await self.server.stop()
            self.started = False
        if self._record is not None:
            self._record.close()
            self._record = None
        if self.report_path is not None:
            self.write_report(self.report_path)
        self.reporter.close()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        period = self.slot_ms / 1000.0
        next_at = loop.time() + period
        while True:
            delay = next_at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                await asyncio.sleep(0)  # behind schedule: still let the server breathe
            try:
                self.advance()
            except Exception:  # keep the chain alive; a flow bug must not freeze the clock
                _log.exception("sim_slot_failed", slot=self.chain.slot)
            next_at += period
            if loop.time() - next_at > 5 * period:  # far behind (debugger, overload): resync
                next_at = loop.time() + period

    # -- endpoints ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self.server.port is None:
            raise SimulatorError("simulator not started")
        return self.server.port

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port + 1}"

    @property
    def slot(self) -> int:
        return self.chain.slot

    # -- control -----------------------------------------------------------------------------

    def advance(self, n: int = 1) -> int:
        """Move the chain ``n`` slots (flow, faults and notifications included)."""
        for _ in range(n):
            self.chain.advance()
        return self.chain.slot

    def make_context(self, **overrides: Any) -> Any:
        chain = self.chain
        fields: dict[str, Any] = {
            "slot": chain.slot,
            "block_height": chain.block_height,
            "unix_timestamp": chain.unix_timestamp,
            "blockhashes": chain.valid_blockhashes(),
            "processed": chain.processed.keys(),  # read-only membership view, no copy
            "verify_signatures": self.verify_signatures,
        }
        fields.update(overrides)
        return self.program.ExecContext(**fields)

    def fund(self, authority: Pubkey | str, usdc: int) -> list[Pubkey]:
        """Give ``authority`` users 0-3 with ``usdc`` (1e6) collateral each; returns their keys.

        Funding again re-creates the users (positions and orders are reset).
        """
        if isinstance(authority, str):
            authority = Pubkey.from_string(authority)
        self.world.slot = self.chain.slot
        self.world.unix_timestamp = self.chain.unix_timestamp
        changed = self.world.fund(authority, usdc)
        self.reporter.add_funded(authority)
        # world.fund wrote the ledger; tell subscribers through the normal commit path
        for observer in self.chain.observers:
            observer(changed, self.chain.slot)
        return list(changed)

    def set_oracle_price(self, market_index: int, price: int) -> None:
        self.flow.set_oracle_price(market_index, price)

    def place_taker(self, market_index: int, params: Any = None) -> Any:
        """Place one taker order now (random realistic parameters unless ``params``)."""
        return self.flow.place_taker(self.world.perp[market_index], self.chain.slot, params)

    # -- bookkeeping ---------------------------------------------------------------------------

    def _on_result(self, result: Any) -> None:
        if result.fills:
            self.reporter.on_fills(result.fills)

    def _on_landed(self, signature: Any, status: Any, result: Any) -> None:
        if result.fills:
            self.reporter.on_fills(result.fills)
        self.pubsub.on_landed(signature, status.slot, status.err)

    def _record_tx(self, raw: bytes, slot: int) -> None:
        if self._record is not None:
            self._record.write(
                json.dumps({"slot": slot, "tx": base64.b64encode(raw).decode()}) + "\n"
            )
            self._record.flush()

    def stats(self) -> dict[str, Any]:
        f = self.flow.stats
        return {
            "slots": self.chain.slot - self.chain.start_slot,
            "takers_placed": f.takers_placed,
            "takers_rejected": f.takers_rejected,
            "competitor_attempts": f.competitor_attempts,
            "competitor_fills": f.competitor_fills,
            "keeper_fills": f.keeper_fills,
            "expired_cancels": f.expired_cancels,
            "resting_placed": f.resting_placed,
            "resting_rejected": f.resting_rejected,
            "transactions_landed": len(self.chain.statuses),
            "rpc_requests": self.rpc.request_count,
            "notifications_sent": self.pubsub.notifications_sent,
            "rate_limited": self.faults.rate_limited_count,
            "corrupted_payloads": self.faults.corrupted_count,
            "fault_events": [e.__dict__ for e in self.faults.events[-100:]],
        }

    def report(self) -> dict[str, Any]:
        """The ground truth so far (recent finished auctions, maker positions and PnL)."""
        return self.reporter.to_dict(self.chain, {"stats": self.stats()})

    def write_report(self, path: str | Path) -> Path:
        return self.reporter.write(path, self.chain, {"stats": self.stats()})
