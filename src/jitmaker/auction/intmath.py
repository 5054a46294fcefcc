"""Rust integer semantics (truncating signed division); re-exported from ``jitmaker.intmath``.

The single definition lives in ``jitmaker.intmath`` so ``jitmaker.accounts`` can use it
without importing ``jitmaker.auction`` (which imports ``accounts``).
"""

from __future__ import annotations

from jitmaker.intmath import I64_MAX, I64_MIN, U64_MAX, div_trunc, rem_trunc

__all__ = ["I64_MAX", "I64_MIN", "U64_MAX", "div_trunc", "rem_trunc"]
