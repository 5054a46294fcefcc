"""Program errors as the simulated programs raise them, with Anchor's names and messages.

Drift and jit-proxy custom codes both start at 6000, so every ``ProgramError`` remembers which
program raised it (set by the dispatcher); the executor turns it into the RPC's
``{"InstructionError":[i,{"Custom":code}]}`` plus Anchor-style log lines.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import driftpy

from jitmaker.errors import SimulatorError

__all__ = [
    "ANCHOR_ERRORS",
    "JIT_PROXY_ERRORS",
    "AccountError",
    "InstructionFailure",
    "ProgramError",
    "drift_error",
    "drift_error_code",
    "jit_error",
]

ANCHOR_ERRORS: dict[int, tuple[str, str]] = {
    100: ("InstructionMissing", "8 byte instruction identifier not provided"),
    101: ("InstructionFallbackNotFound", "Fallback functions are not supported"),
    102: (
        "InstructionDidNotDeserialize",
        "The program could not deserialize the given instruction",
    ),
    2000: ("ConstraintMut", "A mut constraint was violated"),
    2002: ("ConstraintSigner", "A signer constraint was violated"),
    2003: ("ConstraintRaw", "A raw constraint was violated"),
    3001: ("AccountDiscriminatorNotFound", "No 8 byte discriminator was found on the account"),
    3002: ("AccountDiscriminatorMismatch", "8 byte discriminator did not match what was expected"),
    3003: ("AccountDidNotDeserialize", "Failed to deserialize the account"),
    3005: ("AccountNotEnoughKeys", "Not enough account keys given to the instruction"),
    3007: (
        "AccountOwnedByWrongProgram",
        "The given account is owned by a different program than expected",
    ),
    3008: ("InvalidProgramId", "Program ID was not as expected"),
    3010: ("AccountNotSigner", "The given account did not sign"),
    3012: (
        "AccountNotInitialized",
        "The program expected this account to be already initialized",
    ),
}

JIT_PROXY_ERRORS: dict[str, int] = {
    name: 6000 + i
    for i, name in enumerate(
        (
            "BidNotCrossed",
            "AskNotCrossed",
            "TakerOrderNotFound",
            "OrderSizeBreached",
            "NoBestBid",
            "NoBestAsk",
            "NoArbOpportunity",
            "UnprofitableArb",
            "PositionLimitBreached",
            "NoFill",
            "SignedMsgOrderDoesNotExist",
        )
    )
}


@cache
def _drift_errors() -> dict[str, tuple[int, str]]:
    """Drift's IDL errors by name: (code, message)."""
    path = Path(driftpy.__file__).parent / "idl" / "drift.json"
    errors = json.loads(path.read_text())["errors"]
    return {e["name"]: (e["code"], e.get("msg", e["name"])) for e in errors}


def drift_error_code(name: str) -> int:
    """The Drift IDL code of error ``name`` (e.g. ``BidNotCrossed`` is not one: KeyError)."""
    return _drift_errors()[name][0]


class ProgramError(SimulatorError):
    """A custom (Anchor or program) error code; ``program`` is filled in by the dispatcher."""

    def __init__(
        self,
        code: int,
        name: str,
        message: str,
        *,
        logs: list[str] | None = None,
        account: str | None = None,
    ) -> None:
        self.code = code
        self.name = name
        self.message = message
        # "Program log: ..." lines (the validate! message) emitted before the error
        self.logs = [f"Program log: {line}" for line in logs or []]
        self.account = account
        self.program = None
        super().__init__(f"{name} ({code}): {message}")

    def anchor_log(self) -> str:
        """The line Anchor prints when the error leaves the program."""
        if self.account is not None:
            return (
                f"Program log: AnchorError caused by account: {self.account}. "
                f"Error Code: {self.name}. Error Number: {self.code}. "
                f"Error Message: {self.message}."
            )
        return (
            f"Program log: AnchorError occurred. Error Code: {self.name}. "
            f"Error Number: {self.code}. Error Message: {self.message}."
        )


class AccountError(ProgramError):
    """An Anchor framework error about one named account (owner, discriminator, signer, ...)."""

    def __init__(self, code: int, account: str) -> None:
        name, message = ANCHOR_ERRORS[code]
        super().__init__(code, name, message, account=account)


class InstructionFailure(SimulatorError):
    """A non-custom InstructionError (e.g. ``"ComputationalBudgetExceeded"``)."""

    def __init__(self, err: str | dict, log: str | None = None) -> None:
        self.err = err
        self.log = log
        super().__init__(str(err))


def anchor_error(code: int) -> ProgramError:
    name, message = ANCHOR_ERRORS[code]
    return ProgramError(code, name, message)


def drift_error(name: str, log: str | None = None) -> ProgramError:
    """Drift ``ErrorCode::<name>`` with its IDL code and message; ``log`` is the validate! text."""
    code, message = _drift_errors()[name]
    return ProgramError(code, name, message, logs=[log] if log else None)


def jit_error(name: str, log: str | None = None) -> ProgramError:
    """jit-proxy ``ErrorCode::<name>`` (protocol §6.3)."""
    return ProgramError(JIT_PROXY_ERRORS[name], name, name, logs=[log] if log else None)
