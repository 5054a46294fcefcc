"""The auction package's error: what the program would return as a Drift error code."""

from __future__ import annotations

from jitmaker.errors import JitMakerError

__all__ = [
    "CASTING_FAILURE",
    "MATH_ERROR",
    "ORACLE_NOT_FOUND",
    "AuctionMathError",
]

MATH_ERROR = 6019
"""``ErrorCode::MathError``: checked arithmetic overflowed/underflowed or divided by zero."""
CASTING_FAILURE = 6041
"""``ErrorCode::CastingFailure``: a value did not fit the target type (e.g. negative i64 to u64)."""
ORACLE_NOT_FOUND = 6036
"""``ErrorCode::OracleNotFound``: an oracle-offset price was asked for without an oracle price."""

_NAMES = {
    MATH_ERROR: "MathError",
    CASTING_FAILURE: "CastingFailure",
    ORACLE_NOT_FOUND: "OracleNotFound",
}


class AuctionMathError(JitMakerError, ValueError):
    """The on-chain program would fail this computation; ``code`` is its Drift error code.

    Raised instead of a raw Python error so callers can treat "the program would reject
    this" uniformly (e.g. skip the order) without catching ``ZeroDivisionError`` & co.
    """

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.name = _NAMES.get(code, str(code))
        super().__init__(f"{self.name} ({code}): {message}")
