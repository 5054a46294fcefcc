"""The fastest available read-only tuple-item descriptor.

CPython's ``namedtuple`` uses the C descriptor ``_collections._tuplegetter``; reading a field
through it costs about the same as ``t[i]``, roughly half of ``property(itemgetter(i))``. Fall
back to the latter on interpreters without it.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

__all__ = ["field_getter"]

try:
    from _collections import _tuplegetter
except ImportError:  # pragma: no cover - non-CPython
    _tuplegetter = None


def field_getter(index: int, name: str) -> Any:
    """A read-only descriptor returning ``self[index]`` (documented as field ``name``)."""
    if _tuplegetter is not None:
        return _tuplegetter(index, f"Alias for field number {index} ({name})")
    return property(itemgetter(index), doc=name)
