"""Rust integer semantics that Python does not have built in.

Rust's signed ``/`` and ``%`` truncate toward zero; Python's ``//`` and ``%`` floor. Use
these helpers wherever a numerator may be negative (never ``int(a / b)``, which goes
through a float). Lives at package top level so both ``accounts`` and ``auction`` (which
imports ``accounts``) can use the one definition without an import cycle;
``jitmaker.auction.intmath`` re-exports it.
"""

from __future__ import annotations

__all__ = ["I64_MAX", "I64_MIN", "U64_MAX", "div_trunc", "rem_trunc"]

U64_MAX = (1 << 64) - 1
I64_MAX = (1 << 63) - 1
I64_MIN = -(1 << 63)


def div_trunc(a: int, b: int) -> int:
    """``a / b`` as Rust computes it for i64/i128: the quotient truncated toward zero.

    ``b == 0`` raises ``AuctionMathError`` (MathError), like the program's ``safe_div``.
    Width overflow (``i64::MIN / -1``) is not checked: Python ints are unbounded.
    """
    if not b:
        # Imported only on this error path: jitmaker.auction imports jitmaker.accounts,
        # which uses this module, so a top-level import would be a cycle.
        from jitmaker.auction.errors import MATH_ERROR, AuctionMathError

        raise AuctionMathError(MATH_ERROR, f"division of {a} by zero")
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def rem_trunc(a: int, b: int) -> int:
    """``a % b`` as Rust computes it for signed ints: same sign as ``a``; ``a == b*q + r``."""
    return a - b * div_trunc(a, b)
