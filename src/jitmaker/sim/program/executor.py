"""Transaction execution: bank checks, compute budget, dispatch, logs, atomic write set.

Order of the bank checks (as in Agave): sanitize → signatures → lookup tables → blockhash age
→ status cache (already processed) → fee payer exists. Instruction failures become
``{"InstructionError":[index, ...]}`` with Anchor-style logs; nothing is written on failure.
Fees are not charged and ``ctx.processed`` is not modified: the caller (server) records
landed signatures.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from functools import cache
from pathlib import Path

import driftpy
from anchorpy import Idl
from anchorpy.coder.instruction import InstructionCoder
from solders.pubkey import Pubkey

from jitmaker.accounts.enums import MarketType
from jitmaker.accounts.user import User
from jitmaker.chain.pdas import (
    perp_market_pda,
    spot_market_pda,
    state_pda,
    user_pda,
    user_stats_pda,
)
from jitmaker.sim.ledger import Ledger
from jitmaker.sim.offsets import record_offsets
from jitmaker.sim.program.constants import COMPUTE_BUDGET, JIT_DISC, STATE_DISC, USER_DISC
from jitmaker.sim.program.drift import DriftEngine, Maker
from jitmaker.sim.program.errors import (
    InstructionFailure,
    ProgramError,
    anchor_error,
    drift_error,
)
from jitmaker.sim.program.handlers import (
    Env,
    IxAccount,
    decode_jit_params,
    drift_ix,
    jit_ix,
    place_and_make,
)
from jitmaker.sim.program.layout import MAX_ORDERS, SpotMarketView, StateView
from jitmaker.sim.program.spot import place_spot_order
from jitmaker.sim.program.state import AccountMaps, Work, load_maps
from jitmaker.sim.program.types import ExecContext, ExecResult, FillRecord, OrderParams
from jitmaker.sim.program.wire import TxRejected, decode_transaction, load_keys

__all__ = [
    "cancel_expired",
    "execute_transaction",
    "fill_from_resting_and_amm",
    "maker_jit_fill",
    "place_taker_order",
]

MAX_COMPUTE_UNITS = 1_400_000
_HAS_OPEN_ORDER = record_offsets(User)["has_open_order"][0]
DEFAULT_UNITS_PER_IX = 200_000
# Rough compute costs (the real programs use ~20-200k); only used for the budget check.
CU_COMPUTE_BUDGET = 150
CU_DRIFT_BASE = {
    "place_and_make_perp_order": 45_000,
    "place_and_make_spot_order": 45_000,
    "place_perp_order": 30_000,
    "cancel_order": 15_000,
}
CU_PER_FILL = 15_000
CU_JIT_OWN = 30_000

_IX_LOG_NAME = {
    "place_and_make_perp_order": "PlaceAndMakePerpOrder",
    "place_and_make_spot_order": "PlaceAndMakeSpotOrder",
    "place_perp_order": "PlacePerpOrder",
    "cancel_order": "CancelOrder",
}


@cache
def drift_coder() -> InstructionCoder:
    """anchorpy's instruction coder over driftpy's bundled Drift IDL (independent of the bot)."""
    path = Path(driftpy.__file__).parent / "idl" / "drift.json"
    return InstructionCoder(Idl.from_json(path.read_text()))


def _decode_drift(data: bytes) -> tuple[str, dict]:
    coder = drift_coder()
    if len(data) < 8:
        raise anchor_error(100)
    if data[:8] not in coder.sighash_layouts:
        raise anchor_error(101)
    try:
        parsed = coder.parse(data)
    except Exception:
        raise anchor_error(102) from None
    return parsed.name, dict(parsed.data)


def _describe(err: str | dict) -> str:
    """The text Agave prints after "failed: " for a non-custom instruction error."""
    return (
        {
            "ComputationalBudgetExceeded": "Computational budget exceeded",
            "ProgramFailedToComplete": "Program failed to complete",
        }.get(err, str(err))
        if isinstance(err, str)
        else str(err)
    )


class _Runner:
    """Runs instructions with logs and a compute meter."""

    def __init__(self, work: Work, ctx: ExecContext, budget: int) -> None:
        self.work = work
        self.ctx = ctx
        self.logs: list[str] = []
        self.fills: list[FillRecord] = []
        self.engine = DriftEngine(work, ctx, self.logs, self.fills)
        self.env = Env(self.engine, ctx.drift_program_id, ctx.jit_proxy_program_id)
        self.remaining = budget
        self.used = 0

    # -- program frames
    def _frame(self, program: Pubkey, depth: int, body: Callable[[], int]) -> int:
        """Run ``body`` (returns its own CU cost) inside invoke/consumed/success-or-failed logs."""
        self.logs.append(f"Program {program} invoke [{depth}]")
        start_remaining = self.remaining
        fills_before = len(self.fills)
        try:
            own = body()
        except ProgramError as exc:
            if exc.program is None:
                exc.program = program
                self.logs.extend(exc.logs)
                self.logs.append(exc.anchor_log())
                cost = min(self.remaining, 5_000 + CU_PER_FILL * (len(self.fills) - fills_before))
                self._charge(cost)
            consumed = start_remaining - self.remaining
            self.logs.append(
                f"Program {program} consumed {consumed} of {start_remaining} compute units"
            )
            self.logs.append(f"Program {program} failed: custom program error: {hex(exc.code)}")
            raise
        except InstructionFailure as exc:
            self.logs.append(exc.log or f"Program {program} failed: {_describe(exc.err)}")
            raise
        except Exception as exc:  # undecodable account data or a simulator defect
            self.logs.append(f"Program log: panicked: {type(exc).__name__}: {exc}")
            self.logs.append(f"Program {program} failed: Program failed to complete")
            raise InstructionFailure("ProgramFailedToComplete") from exc
        own += CU_PER_FILL * (len(self.fills) - fills_before)
        if own > self.remaining:
            self.used += self.remaining
            self.remaining = 0
            self.logs.append(
                f"Program {program} consumed {start_remaining} of {start_remaining} compute units"
            )
            self.logs.append(
                f"Program {program} failed: exceeded CUs meter at BPF instruction #{own}"
            )
            raise InstructionFailure("ComputationalBudgetExceeded")
        self._charge(own)
        consumed = start_remaining - self.remaining
        self.logs.append(
            f"Program {program} consumed {consumed} of {start_remaining} compute units"
        )
        self.logs.append(f"Program {program} success")
        return consumed

    def _charge(self, units: int) -> None:
        self.remaining -= units
        self.used += units

    def drift(self, accounts: list[IxAccount], data: bytes, depth: int) -> None:
        def body() -> int:
            name, args = _decode_drift(data)
            self.logs.append(f"Program log: Instruction: {_IX_LOG_NAME.get(name, name)}")
            drift_ix(self.env, name, accounts, args)
            return CU_DRIFT_BASE.get(name, 20_000)

        self._frame(self.ctx.drift_program_id, depth, body)

    def jit_proxy(self, accounts: list[IxAccount], data: bytes) -> None:
        def body() -> int:
            if len(data) < 8:
                raise anchor_error(100)
            if data[:8] != JIT_DISC:
                raise anchor_error(101)
            try:
                params = decode_jit_params(data)
            except ValueError:
                raise anchor_error(102) from None
            self.logs.append("Program log: Instruction: Jit")

            def cpi(
                cpi_accounts: list[IxAccount], order_params: OrderParams, taker_id: int, spot: bool
            ):
                def drift_body() -> int:
                    name = "PlaceAndMakeSpotOrder" if spot else "PlaceAndMakePerpOrder"
                    self.logs.append(f"Program log: Instruction: {name}")
                    place_and_make(self.env, cpi_accounts, order_params, taker_id, spot=spot)
                    return CU_DRIFT_BASE["place_and_make_perp_order"]

                self._frame(self.ctx.drift_program_id, 2, drift_body)

            jit_ix(self.env, accounts, params, cpi)
            return CU_JIT_OWN

        self._frame(self.ctx.jit_proxy_program_id, 1, body)

    def compute_budget(self) -> None:
        self.logs.append(f"Program {COMPUTE_BUDGET} invoke [1]")
        self.logs.append(f"Program {COMPUTE_BUDGET} success")
        self._charge(min(CU_COMPUTE_BUDGET, self.remaining))


def _parse_compute_budget(ixs: list[tuple[Pubkey, bytes]]) -> int:
    """The transaction's compute unit limit; raises ``TxRejected`` for bad budget instructions."""
    limit = None
    seen: set[int] = set()
    others = 0
    for index, (program, data) in enumerate(ixs):
        if program != COMPUTE_BUDGET:
            others += 1
            continue
        kind = data[0] if data else None
        sizes = {1: 5, 2: 5, 3: 9, 4: 5}
        if kind not in sizes or len(data) != sizes[kind]:
            raise TxRejected({"InstructionError": [index, "InvalidInstructionData"]})
        if kind in seen:
            raise TxRejected({"DuplicateInstruction": index})
        seen.add(kind)
        if kind == 2:
            limit = struct.unpack_from("<I", data, 1)[0]
    if limit is None:
        limit = DEFAULT_UNITS_PER_IX * others
    return min(limit, MAX_COMPUTE_UNITS)


def execute_transaction(tx_bytes: bytes, ledger: Ledger, ctx: ExecContext) -> ExecResult:
    """Execute a wire transaction against ``ledger`` (not modified); never raises for tx faults."""
    try:
        tx = decode_transaction(tx_bytes)
    except TxRejected as exc:
        return ExecResult(None, exc.err)
    except Exception:
        return ExecResult(None, "SanitizeFailure")
    signature = tx.signatures[0] if tx.signatures else None
    if ctx.verify_signatures and not tx.verify():
        return ExecResult(signature, "SignatureFailure")
    try:
        keys, writable = load_keys(tx, ledger.get, ctx.slot)
        if any(
            ix.program_index >= len(keys) or max(ix.accounts, default=0) >= len(keys)
            for ix in tx.instructions
        ):
            raise TxRejected("SanitizeFailure")
        last_valid = ctx.blockhashes.get(tx.recent_blockhash)
        if last_valid is None or last_valid < ctx.block_height:
            raise TxRejected("BlockhashNotFound")
        if signature in ctx.processed:
            raise TxRejected("AlreadyProcessed")
        if ledger.get(keys[0]) is None:
            raise TxRejected("AccountNotFound")
        ixs = [(keys[ix.program_index], ix.data) for ix in tx.instructions]
        budget = _parse_compute_budget(ixs)
    except TxRejected as exc:
        return ExecResult(signature, exc.err)

    n_signers = tx.num_required_signatures
    runner = _Runner(Work(ledger.overlay().get), ctx, budget)
    for index, ix in enumerate(tx.instructions):
        program = keys[ix.program_index]
        accounts = [IxAccount(keys[i], writable[i], i < n_signers) for i in ix.accounts]
        try:
            if program == COMPUTE_BUDGET:
                runner.compute_budget()
            elif program == ctx.drift_program_id:
                runner.drift(accounts, ix.data, 1)
            elif program == ctx.jit_proxy_program_id:
                runner.jit_proxy(accounts, ix.data)
            else:
                runner.logs.append(f"Program {program} invoke [1]")
                raise InstructionFailure(
                    "UnsupportedProgramId", f"Program {program} failed: program is not simulated"
                )
        except ProgramError as exc:
            err = {"InstructionError": [index, {"Custom": exc.code}]}
            return ExecResult(signature, err, runner.logs, runner.used)
        except InstructionFailure as exc:
            return ExecResult(
                signature, {"InstructionError": [index, exc.err]}, runner.logs, runner.used
            )
    return ExecResult(
        signature, None, runner.logs, runner.used, runner.work.changed(), runner.fills
    )


# ---------------------------------------------------------------------------- direct calls
def _direct(
    ledger: Ledger,
    ctx: ExecContext,
    fn: Callable[[DriftEngine, Work, StateView, AccountMaps], object],
) -> ExecResult:
    """Run ``fn`` with Drift's maps over every market/oracle in the ledger, atomically."""
    work = Work(ledger.overlay().get)
    logs: list[str] = []
    fills: list[FillRecord] = []
    engine = DriftEngine(work, ctx, logs, fills)
    logs.append(f"Program {ctx.drift_program_id} invoke [1]")
    try:
        state_key = _state_key(ledger, ctx.drift_program_id)
        if state_key is None:
            raise drift_error("DefaultError", "no State account in the ledger")
        state = StateView(state_key, work.buf(state_key))
        maps = _all_maps(ledger, work, ctx.drift_program_id, state)
        value = fn(engine, work, state, maps)
    except ProgramError as exc:
        logs.extend(exc.logs)
        logs.append(exc.anchor_log())
        logs.append(f"Program {ctx.drift_program_id} failed: custom program error: {hex(exc.code)}")
        return ExecResult(None, {"InstructionError": [0, {"Custom": exc.code}]}, logs)
    logs.append(f"Program {ctx.drift_program_id} success")
    result = ExecResult(None, None, logs, 0, work.changed(), fills)
    if isinstance(value, int):
        result.order_id = value
    return result


def _state_key(ledger: Ledger, program: Pubkey) -> Pubkey | None:
    key = state_pda(program)
    account = ledger.get(key)
    if account is not None and account.data[:8] == STATE_DISC:
        return key
    return next((k for k, a in ledger.by_owner(program) if a.data[:8] == STATE_DISC), None)


def _all_maps(ledger: Ledger, work: Work, program: Pubkey, state: StateView) -> AccountMaps:
    """Every market (by PDA, counts from State; a full scan when State has no counts)."""
    n_perp = int.from_bytes(state.buf[966:968], "little")
    n_spot = int.from_bytes(state.buf[968:970], "little")
    if n_perp or n_spot:
        keys = [perp_market_pda(i, program) for i in range(n_perp)]
        keys += [spot_market_pda(i, program) for i in range(n_spot)]
        keys = [k for k in keys if ledger.get(k) is not None]
    else:
        keys = [k for k, a in ledger.by_owner(program) if a.data[:8] != USER_DISC]
    maps = load_maps(work, [(k, True) for k in keys], program)
    maps.oracles.clear()
    maps.users.clear()
    maps.stats.clear()
    for entry in maps.perp.values():
        oracle = work.market(entry[0]).oracle
        maps.oracles[oracle] = oracle
    for entry in maps.spot.values():
        oracle = SpotMarketView(entry[0], work.buf(entry[0])).oracle
        maps.oracles[oracle] = oracle
    return maps


def _stats_for(work: Work, ledger: Ledger, user_key: Pubkey, program: Pubkey):
    """The UserStats PDA of a user's authority, if it exists in the ledger."""
    user = work.user(user_key)
    key = user_stats_pda(user.authority, program)
    return work.stats(key) if ledger.get(key) is not None else None


def _referrer_keys(ledger: Ledger, taker_stats, program: Pubkey) -> list[Pubkey]:
    """The taker's referrer (User sub-account 0, UserStats) when it has one in the ledger."""
    if taker_stats is None or taker_stats.referrer == Pubkey.default():
        return []
    authority = taker_stats.referrer
    user = user_pda(authority, 0, program)
    stats = user_stats_pda(authority, program)
    if ledger.get(user) is None or ledger.get(stats) is None:
        return []
    return [user, stats]


def place_taker_order(
    ledger: Ledger, ctx: ExecContext, user_key: Pubkey, params: OrderParams
) -> ExecResult:
    """Drift ``place_perp_order`` for ``user_key`` (no transaction; counters maintained)."""

    def run(engine: DriftEngine, work: Work, state: StateView, maps: AccountMaps):
        if state.exchange_status == 0xFF:
            raise drift_error("ExchangePaused")
        if params.immediate_or_cancel:
            raise drift_error("InvalidOrderIOC", "must use place and take for IOC orders")
        if params.market_type == MarketType.SPOT:
            return place_spot_order(engine, state, work.user(user_key), params, maps)
        return engine.place_perp_order(state, work.user(user_key), params, maps)

    return _direct(ledger, ctx, run)


def maker_jit_fill(
    ledger: Ledger,
    ctx: ExecContext,
    maker_user_key: Pubkey,
    taker_user_key: Pubkey,
    taker_order_id: int,
    *,
    bid: int,
    ask: int,
    price_type: int,
    max_position: int,
    min_position: int,
    post_only=None,
) -> ExecResult:
    """The jit-proxy ``jit`` flow without a transaction (for simulated competing makers)."""
    from jitmaker.sim.program.handlers import JitParams, jit_ix

    work = Work(ledger.overlay().get)
    runner = _Runner(work, ctx, MAX_COMPUTE_UNITS)
    program = ctx.drift_program_id
    state_key = _state_key(ledger, program)
    maker = work.user(maker_user_key) if ledger.get(maker_user_key) else None
    taker = work.user(taker_user_key) if ledger.get(taker_user_key) else None
    if state_key is None or maker is None or taker is None:
        return ExecResult(None, "AccountNotFound")
    maker_stats = _stats_for(work, ledger, maker_user_key, program)
    taker_stats = _stats_for(work, ledger, taker_user_key, program)
    maps = _all_maps(ledger, work, program, StateView(state_key, work.buf(state_key)))
    remaining = [IxAccount(k, True, False) for k, _ in maps.perp.values()]
    remaining += [IxAccount(k, False, False) for k in maps.oracles]
    remaining += [IxAccount(k, True, False) for k, _ in maps.spot.values()]
    remaining += [IxAccount(k, True, False) for k in _referrer_keys(ledger, taker_stats, program)]
    accounts = [
        IxAccount(state_key, False, False),
        IxAccount(maker_user_key, True, False),
        IxAccount(maker_stats.key if maker_stats else Pubkey.default(), True, False),
        IxAccount(taker_user_key, True, False),
        IxAccount(taker_stats.key if taker_stats else Pubkey.default(), True, False),
        IxAccount(maker.authority, False, True),
        IxAccount(program, False, False),
        *remaining,
    ]
    params = JitParams(taker_order_id, max_position, min_position, bid, ask, price_type, post_only)

    def body() -> int:
        runner.logs.append("Program log: Instruction: Jit")

        def cpi(cpi_accounts, order_params, taker_id, spot):
            def drift_body() -> int:
                name = "PlaceAndMakeSpotOrder" if spot else "PlaceAndMakePerpOrder"
                runner.logs.append(f"Program log: Instruction: {name}")
                place_and_make(runner.env, cpi_accounts, order_params, taker_id, spot=spot)
                return CU_DRIFT_BASE["place_and_make_perp_order"]

            runner._frame(program, 2, drift_body)

        jit_ix(runner.env, accounts, params, cpi)
        return CU_JIT_OWN

    try:
        runner._frame(ctx.jit_proxy_program_id, 1, body)
    except ProgramError as exc:
        return ExecResult(
            None, {"InstructionError": [0, {"Custom": exc.code}]}, runner.logs, runner.used
        )
    except InstructionFailure as exc:
        return ExecResult(None, {"InstructionError": [0, exc.err]}, runner.logs, runner.used)
    return ExecResult(None, None, runner.logs, runner.used, work.changed(), runner.fills)


def fill_from_resting_and_amm(
    ledger: Ledger, ctx: ExecContext, taker_user_key: Pubkey, order_id: int
) -> ExecResult:
    """A keeper ``fill_perp_order``: resting maker orders best-first, then the AMM (simplified)."""
    program = ctx.drift_program_id

    def run(engine: DriftEngine, work: Work, state: StateView, maps: AccountMaps):
        if state.exchange_status & 8:  # fill_not_paused
            raise drift_error("ExchangePaused")
        taker = work.user(taker_user_key)
        index = taker.find_open_order(order_id)
        if index is None:
            raise drift_error("OrderDoesNotExist", f"could not find open order id {order_id}")
        market_index = taker.order(index).market_index
        makers = []
        for key, account in ledger.by_owner(program):
            if key == taker_user_key or account.data[:8] != taker.buf[:8]:
                continue
            if account.data[_HAS_OPEN_ORDER] == 0:
                continue
            user = work.user(key)
            if any(
                o.is_open and o.market_index == market_index and o.market_type == 1
                for o in user.orders()
            ):
                makers.append(Maker(user, _stats_for(work, ledger, key, program)))
        taker_stats = _stats_for(work, ledger, taker_user_key, program)
        ref = _referrer_keys(ledger, taker_stats, program)
        ref_users = [m.user for m in makers] + ([work.user(ref[0])] if ref else [])
        ref_stats = [m.stats for m in makers if m.stats is not None]
        ref_stats += [work.stats(ref[1])] if ref else []
        return engine.fill_perp_order(
            state,
            taker,
            taker_stats,
            order_id,
            maps,
            makers,
            use_amm=ctx.amm_fills,
            referrer_users=ref_users,
            referrer_stats=ref_stats,
        )

    result = _direct(ledger, ctx, run)
    result.order_id = None
    return result


def cancel_expired(ledger: Ledger, ctx: ExecContext, user_key: Pubkey) -> ExecResult:
    """Cancel the user's open orders whose ``max_ts`` has passed (as Drift does lazily)."""

    def run(engine: DriftEngine, work: Work, state: StateView, maps: AccountMaps):
        user = work.user(user_key)
        now = ctx.unix_timestamp
        for i in range(MAX_ORDERS):
            order = user.order(i)
            if order.is_open and order.max_ts != 0 and now > order.max_ts:
                engine.cancel_order(user, i, "expired")
        return None

    return _direct(ledger, ctx, run)
