"""The fastest available building blocks for tuple records: field getters and record unpacking.

CPython's ``namedtuple`` uses the C descriptor ``_collections._tuplegetter``; reading a field
through it costs about the same as ``t[i]``, roughly half of ``property(itemgetter(i))``.

Enum-typed fields and bulk record unpacking come from the optional C module ``_speedups``
(built by ``pip install`` where a C compiler is present): an enum read through it costs what a
plain field read does (a Python ``property`` costs about four times as much), and unpacking
records straight into the record class skips the intermediate tuple per record. Each has an
exact pure-Python twin here, used when the module is absent or when the environment variable
``JITMAKER_NO_SPEEDUPS`` is set; the tests hold both to the same results.
"""

from __future__ import annotations

import os
import struct
from operator import itemgetter
from typing import Any

__all__ = [
    "SPEEDUPS",
    "PyEnumField",
    "PyRecordCodec",
    "enum_getter",
    "field_getter",
    "record_codec",
]

try:
    from _collections import _tuplegetter
except ImportError:  # pragma: no cover - non-CPython
    _tuplegetter = None

_speedups: Any
if os.environ.get("JITMAKER_NO_SPEEDUPS"):
    _speedups = None
else:
    try:
        from jitmaker.accounts import _speedups
    except ImportError:  # not built (no C compiler at install time): the Python twins serve
        _speedups = None

SPEEDUPS: bool = _speedups is not None
"""Whether the C accelerator is in use (reported by ``make bench`` and at start-up)."""


def field_getter(index: int, name: str) -> Any:
    """A read-only descriptor returning ``self[index]`` (documented as field ``name``)."""
    if _tuplegetter is not None:
        return _tuplegetter(index, f"Alias for field number {index} ({name})")
    return property(itemgetter(index), doc=name)


def PyEnumField(index: int, members: tuple, doc: str | None = None) -> property:
    """Pure-Python twin of ``_speedups.EnumField``: a read-only ``members[self[index]]``."""

    def get(self: tuple) -> Any:
        return members[self[index]]

    return property(get, doc=doc)


def enum_getter(index: int, members: tuple, name: str) -> Any:
    """A read-only descriptor returning ``members[self[index]]`` (the IntEnum member)."""
    if _speedups is not None:
        return _speedups.EnumField(index, members, name)
    return PyEnumField(index, members, name)


class PyRecordCodec:
    """Pure-Python twin of ``_speedups.RecordCodec``: ``count`` records of ``struct`` format
    ``fmt`` at ``offset``, each built as ``cls(values)``, followed by the items of ``tail``."""

    __slots__ = ("_iter", "cls", "format", "size")

    def __init__(self, cls: type, fmt: str) -> None:
        if not issubclass(cls, tuple):
            raise TypeError("RecordCodec: cls must be tuple or a tuple subclass")
        layout = struct.Struct(fmt)
        self.cls, self.format, self.size = cls, fmt, layout.size
        self._iter = layout.iter_unpack

    def unpack(self, data: Any, offset: int, count: int, tail: tuple = ()) -> tuple:
        end = offset + count * self.size
        if offset < 0 or count < 0 or end > len(data):
            raise ValueError(
                f"unpack: {count} records of {self.size} bytes at offset {offset} exceed "
                f"the {len(data)}-byte buffer"
            )
        return (*map(self.cls, self._iter(data[offset:end])), *tail)


def record_codec(cls: type, fmt: str) -> Any:
    """An unpacker of ``fmt`` records (little-endian, codes ``QqIiHhBb?x`` and ``Ns``) into
    instances of the tuple subclass ``cls``: ``codec.unpack(data, offset, count, tail=())``."""
    if _speedups is not None:
        return _speedups.RecordCodec(cls, fmt)
    return PyRecordCodec(cls, fmt)
