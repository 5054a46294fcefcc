"""Structured transaction failures: which program failed, with which code, and what it means.

Why: jit-proxy and Drift both number their errors from 6000 (0x1770), so the peers' habit of
substring-matching "0x1770" in exception text confuses jit-proxy BidNotCrossed with Drift
InvalidSpotMarketAuthority, and 0x1772 (jit-proxy TakerOrderNotFound) with Drift's 6002. The
failing program is in the logs: the *innermost* "Program <id> failed: ..." line is printed
first, the callers that propagate the error print theirs afterwards. Without logs, the
instruction index of ``InstructionError`` plus the transaction's program ids decide.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from jitmaker.errors import RpcError

__all__ = [
    "ANCHOR_ERRORS",
    "DEFAULT_PROGRAM_IDS",
    "JIT_PROXY_ERRORS",
    "FailureReason",
    "Program",
    "ProgramIds",
    "TxFailure",
    "drift_error_name",
    "failure_from_rpc_error",
    "parse_tx_error",
]


class Program(Enum):
    """Who produced the error."""

    DRIFT = 1
    JIT_PROXY = 2
    COMPUTE_BUDGET = 3
    SYSTEM = 4
    RUNTIME = 5  # transaction-level errors raised by the runtime, not by a program
    OTHER = 6


class FailureReason(Enum):
    """What a maker does differently depending on the failure."""

    NOT_CROSSED = 1  # taker price worse than our worst price (yet): may retry this auction
    NO_FILL = 2  # nothing was filled (someone else took it, or AMM was better)
    POSITION_LIMIT = 3  # max/min position leaves no room
    ORACLE = 4  # oracle invalid / stale / missing
    BLOCKHASH = 5  # blockhash unknown or expired: outcome ambiguous until expiry
    TAKER_GONE = 6  # taker order not found / no longer open (filled or cancelled)
    INSUFFICIENT_COLLATERAL = 7
    ALREADY_PROCESSED = 8  # the identical transaction already landed: idempotent success
    COMPUTE_EXCEEDED = 9  # ran out of compute units: raise the CU limit
    OTHER = 10


@dataclass(frozen=True, slots=True)
class ProgramIds:
    """Program ids used for attribution (configurable for forks and the simulator)."""

    drift: str = "dRiftyHA39MWEi3m9aunc5MzRF1JYuBsbn6VPcn33UH"
    jit_proxy: str = "J1TnP8zvVxbtF5KFp5xRmWuvG9McnhzmBd9XGfCyuxFP"
    compute_budget: str = "ComputeBudget111111111111111111111111111111"
    system: str = "11111111111111111111111111111111"

    def classify(self, program_id: str | None) -> Program:
        if program_id == self.drift:
            return Program.DRIFT
        if program_id == self.jit_proxy:
            return Program.JIT_PROXY
        if program_id == self.compute_budget:
            return Program.COMPUTE_BUDGET
        if program_id == self.system:
            return Program.SYSTEM
        return Program.OTHER


DEFAULT_PROGRAM_IDS = ProgramIds()


@dataclass(frozen=True, slots=True)
class TxFailure:
    """One failed transaction, attributed."""

    program: Program
    code: int | None  # custom error code (Anchor/Drift/jit-proxy numbering), if any
    name: str  # e.g. "BidNotCrossed", "InvalidOracle", "BlockhashNotFound"
    reason: FailureReason
    instruction_index: int | None = None
    program_id: str | None = None  # the failing program's id when known

    def __str__(self) -> str:
        code = f" {self.code} (0x{self.code:x})" if self.code is not None else ""
        ix = (
            f" in instruction {self.instruction_index}"
            if self.instruction_index is not None
            else ""
        )
        return f"{self.program.name} {self.name}{code}{ix} [{self.reason.name}]"


JIT_PROXY_ERRORS: Mapping[int, str] = {
    6000: "BidNotCrossed",
    6001: "AskNotCrossed",
    6002: "TakerOrderNotFound",
    6003: "OrderSizeBreached",
    6004: "NoBestBid",
    6005: "NoBestAsk",
    6006: "NoArbOpportunity",
    6007: "UnprofitableArb",
    6008: "PositionLimitBreached",
    6009: "NoFill",
    6010: "SignedMsgOrderDoesNotExist",
}

# Anchor framework errors, shared by every Anchor program (Drift and jit-proxy included).
ANCHOR_ERRORS: Mapping[int, str] = {
    100: "InstructionMissing",
    101: "InstructionFallbackNotFound",
    102: "InstructionDidNotDeserialize",
    103: "InstructionDidNotSerialize",
    2000: "ConstraintMut",
    2001: "ConstraintHasOne",
    2002: "ConstraintSigner",
    2003: "ConstraintRaw",
    2004: "ConstraintOwner",
    2006: "ConstraintSeeds",
    2011: "ConstraintAddress",
    3000: "AccountDiscriminatorAlreadySet",
    3001: "AccountDiscriminatorNotFound",
    3002: "AccountDiscriminatorMismatch",
    3003: "AccountDidNotDeserialize",
    3004: "AccountDidNotSerialize",
    3005: "AccountNotEnoughKeys",
    3006: "AccountNotMutable",
    3007: "AccountOwnedByWrongProgram",
    3008: "InvalidProgramId",
    3009: "InvalidProgramExecutable",
    3010: "AccountNotSigner",
    3011: "AccountNotSystemOwned",
    3012: "AccountNotInitialized",
    3014: "AccountNotProgramData",
    3015: "AccountNotAssociatedTokenAccount",
    3016: "AccountSysvarMismatch",
    4100: "DeclaredProgramIdMismatch",
}

_SYSTEM_ERRORS: Mapping[int, str] = {
    0: "AccountAlreadyInUse",
    1: "ResultWithNegativeLamports",
    2: "InvalidProgramId",
    3: "InvalidAccountDataLength",
    4: "MaxSeedLengthExceeded",
    5: "AddressWithSeedMismatch",
    6: "NonceNoRecentBlockhashes",
    7: "NonceBlockhashNotExpired",
    8: "NonceUnexpectedBlockhashValue",
}

# Used when driftpy's bundled IDL cannot be read; protocol.md §7.1 (IDL and Rust agree).
_DRIFT_FALLBACK: Mapping[int, str] = {
    6003: "InsufficientCollateral",
    6005: "MaxNumberOfPositions",
    6019: "MathError",
    6022: "UnableToLoadOracle",
    6023: "PriceBandsBreached",
    6024: "ExchangePaused",
    6035: "InvalidOracle",
    6036: "OracleNotFound",
    6041: "CastingFailure",
    6042: "InvalidOrder",
    6045: "InvalidOrderForInitialMarginReq",
    6052: "InvalidOrderIOCPostOnly",
    6057: "PlacePostOnlyLimitFailure",
    6061: "OrderDoesNotExist",
    6062: "OrderNotOpen",
    6117: "UserIsBeingLiquidated",
    6154: "MaxOpenInterest",
    6171: "InvalidOrderFillPrice",
    6219: "UnableToGetLimitPrice",
    6300: "SignedMsgOrderDoesNotExist",
}

_JIT_REASONS: Mapping[int, FailureReason] = {
    6000: FailureReason.NOT_CROSSED,
    6001: FailureReason.NOT_CROSSED,
    6002: FailureReason.TAKER_GONE,
    6008: FailureReason.POSITION_LIMIT,
    6009: FailureReason.NO_FILL,
    6010: FailureReason.TAKER_GONE,
}

_DRIFT_REASONS: Mapping[int, FailureReason] = {
    6003: FailureReason.INSUFFICIENT_COLLATERAL,
    6045: FailureReason.INSUFFICIENT_COLLATERAL,
    6022: FailureReason.ORACLE,
    6035: FailureReason.ORACLE,
    6036: FailureReason.ORACLE,
    6261: FailureReason.ORACLE,  # OracleNonPositive
    6262: FailureReason.ORACLE,  # OracleTooVolatile
    6263: FailureReason.ORACLE,  # OracleTooUncertain
    6264: FailureReason.ORACLE,  # OracleStaleForMargin
    6266: FailureReason.ORACLE,  # OracleStaleForAMM
    6061: FailureReason.TAKER_GONE,  # OrderDoesNotExist (the taker order id)
    6062: FailureReason.TAKER_GONE,  # OrderNotOpen
    6300: FailureReason.TAKER_GONE,  # SignedMsgOrderDoesNotExist
}

_RUNTIME_REASONS: Mapping[str, FailureReason] = {
    "BlockhashNotFound": FailureReason.BLOCKHASH,
    "AlreadyProcessed": FailureReason.ALREADY_PROCESSED,
}

_FAILED = re.compile(r"^Program (\w+) failed: (.*)$")
_INVOKE = re.compile(r"^Program (\w+) invoke \[\d+\]")
_CUSTOM = re.compile(r"custom program error: 0x([0-9a-fA-F]+)")
_ANCHOR = re.compile(r"Error Code: (\w+)\. Error Number: (\d+)\.")


@functools.cache
def _drift_errors() -> Mapping[int, str]:
    try:
        idl = importlib.resources.files("driftpy") / "idl" / "drift.json"
        errors = json.loads(idl.read_text())["errors"]
        table = {int(e["code"]): str(e["name"]) for e in errors}
    except (OSError, ModuleNotFoundError, ValueError, KeyError, TypeError):
        return dict(_DRIFT_FALLBACK)
    return {**_DRIFT_FALLBACK, **table}


def drift_error_name(code: int) -> str | None:
    """Drift error name for ``code`` (from driftpy's bundled IDL), or None."""
    return _drift_errors().get(code)


def _name_for(program: Program, code: int) -> str | None:
    if code in ANCHOR_ERRORS and program in (Program.DRIFT, Program.JIT_PROXY):
        return ANCHOR_ERRORS[code]
    match program:
        case Program.DRIFT:
            return drift_error_name(code)
        case Program.JIT_PROXY:
            return JIT_PROXY_ERRORS.get(code)
        case Program.SYSTEM:
            return _SYSTEM_ERRORS.get(code)
    return None


def _reason_for(program: Program, code: int | None) -> FailureReason:
    if code is None:
        return FailureReason.OTHER
    if program is Program.JIT_PROXY:
        return _JIT_REASONS.get(code, FailureReason.OTHER)
    if program is Program.DRIFT:
        return _DRIFT_REASONS.get(code, FailureReason.OTHER)
    return FailureReason.OTHER


class _LogFacts:
    """What the program logs say about the failure."""

    __slots__ = ("anchor_names", "failed_detail", "failed_program", "invoked", "log_code")

    def __init__(self, logs: Sequence[str]) -> None:
        self.failed_program: str | None = None
        self.failed_detail = ""
        self.log_code: int | None = None
        self.invoked: set[str] = set()
        self.anchor_names: dict[int, str] = {}
        for line in logs:
            if not isinstance(line, str):
                continue
            if m := _INVOKE.match(line):
                self.invoked.add(m.group(1))
            elif (m := _ANCHOR.search(line)) and self.failed_program is None:
                self.anchor_names[int(m.group(2))] = m.group(1)
            elif (m := _FAILED.match(line)) and self.failed_program is None:
                self.failed_program, self.failed_detail = m.group(1), m.group(2)
                if c := _CUSTOM.search(self.failed_detail):
                    self.log_code = int(c.group(1), 16)


def parse_tx_error(
    err: Any,
    logs: Sequence[str] | None = None,
    *,
    program_ids: ProgramIds = DEFAULT_PROGRAM_IDS,
    ix_program_ids: Sequence[str] | None = None,
) -> TxFailure:
    """Attribute a TransactionError JSON (``{"InstructionError": [2, {"Custom": 6000}]}``,
    ``"BlockhashNotFound"``, ...) using the program logs and, without logs, the program id of
    each instruction (``ix_program_ids``). Raises ``ValueError`` for ``err is None``."""
    if err is None:
        raise ValueError("no error to parse (err is None: the transaction succeeded)")
    if isinstance(err, str):
        return TxFailure(Program.RUNTIME, None, err, _RUNTIME_REASONS.get(err, FailureReason.OTHER))
    if not isinstance(err, dict) or not err:
        return TxFailure(Program.RUNTIME, None, repr(err)[:80], FailureReason.OTHER)
    kind, detail = next(iter(err.items()))
    if kind != "InstructionError":
        return TxFailure(Program.RUNTIME, None, str(kind), FailureReason.OTHER)
    return _instruction_error(detail, logs or (), program_ids, ix_program_ids)


def _instruction_error(
    detail: Any, logs: Sequence[str], ids: ProgramIds, ix_program_ids: Sequence[str] | None
) -> TxFailure:
    try:
        index, inner = int(detail[0]), detail[1]
    except (TypeError, ValueError, IndexError, KeyError):
        return TxFailure(Program.OTHER, None, "InstructionError", FailureReason.OTHER)
    facts = _LogFacts(logs)
    code: int | None = None
    if isinstance(inner, dict) and "Custom" in inner and isinstance(inner["Custom"], int):
        code = inner["Custom"]
        name = ""
    elif isinstance(inner, dict) and inner:
        name = str(next(iter(inner)))
    else:
        name = str(inner)
    if code is None and facts.log_code is not None and not name:
        code = facts.log_code
    program_id = facts.failed_program
    if program_id is None and ix_program_ids is not None and 0 <= index < len(ix_program_ids):
        program_id = ix_program_ids[index]
    program = ids.classify(program_id)
    if (
        code is not None
        and program is Program.JIT_PROXY
        and code not in JIT_PROXY_ERRORS
        and code not in ANCHOR_ERRORS
        and (ids.drift in facts.invoked or facts.failed_program is None)
        and drift_error_name(code) is not None
    ):
        # jit-proxy propagates Drift's CPI errors unchanged; truncated logs may only show its line.
        program, program_id = Program.DRIFT, ids.drift
    if code is not None:
        name = _name_for(program, code) or facts.anchor_names.get(code) or f"Custom({code})"
        reason = _reason_for(program, code)
    elif name == "ComputationalBudgetExceeded" or "exceeded CUs meter" in facts.failed_detail:
        reason = FailureReason.COMPUTE_EXCEEDED
    else:
        reason = FailureReason.OTHER
    return TxFailure(program, code, name, reason, index, program_id)


def failure_from_rpc_error(
    exc: RpcError, *, program_ids: ProgramIds = DEFAULT_PROGRAM_IDS
) -> TxFailure | None:
    """The TxFailure inside a sendTransaction/simulate error (-32002 preflight failure), if any.

    Uses ``data.err`` and ``data.logs`` when present; falls back to the well-known message texts
    only when a server left ``data`` out."""
    data = exc.data if isinstance(exc.data, dict) else None
    if data is not None and data.get("err") is not None:
        logs = data.get("logs")
        logs = [x for x in logs if isinstance(x, str)] if isinstance(logs, list) else None
        return parse_tx_error(data["err"], logs, program_ids=program_ids)
    if exc.code != -32002:
        return None
    text = str(exc)
    if "Blockhash not found" in text:
        return TxFailure(Program.RUNTIME, None, "BlockhashNotFound", FailureReason.BLOCKHASH)
    if "already been processed" in text:
        return TxFailure(Program.RUNTIME, None, "AlreadyProcessed", FailureReason.ALREADY_PROCESSED)
    return None
