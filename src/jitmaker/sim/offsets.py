"""Byte offsets of account fields, derived from the product's record specs, and properties over them.

The simulated program patches account bytes in place, so it needs the offset of every field
it touches. Those come from the layouts ``jitmaker.accounts`` already declares (field names and
types in layout order, struct codes from its codec generator) instead of being restated here:
``record_offsets`` walks a record spec, ``fields`` turns a table of field names into fast read
(and optionally write) properties on a view class holding ``buf`` (a ``bytearray``).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from typing import Any

from solders.pubkey import Pubkey

from jitmaker.accounts._layout import _PRIM, _format, _is_enum, _is_record

__all__ = ["fields", "record_offsets", "record_struct", "struct_offsets"]

Layout = dict[str, tuple[int, Any]]


def record_offsets(cls: Any, base: int = 8) -> Layout:
    """``dotted.field -> (byte offset, field type)`` for a record laid out ``base`` bytes in.

    Nested records contribute their fields under ``outer.inner``; an array is one entry
    (its first byte).
    """
    out: Layout = {}
    at = base
    for name, kind in zip(cls.FIELDS, cls.TYPES, strict=True):
        out[name] = (at, kind)
        if _is_record(kind):
            for sub, entry in record_offsets(kind, at).items():
                out[f"{name}.{sub}"] = entry
        at += struct.calcsize("<" + _format(kind))
    return out


def record_struct(cls: Any) -> struct.Struct:
    """The ``struct`` of one record (as the product's codec lays it out)."""
    return struct.Struct("<" + _format(cls))


def struct_offsets(s: struct.Struct) -> list[int]:
    """Byte offset of each value ``s.unpack`` returns (``"<"`` formats: no alignment)."""
    out: list[int] = []
    at = 0
    for count, code in re.findall(r"(\d*)([a-zA-Z?])", s.format):
        n = int(count or 1)
        if code in "spx":
            out.extend([at] if code != "x" else [])
            at += n
        else:
            size = struct.calcsize("<" + code)
            out.extend(range(at, at + n * size, size))
            at += n * size
    return out


def _getter(at: int, kind: Any) -> Callable[[Any], Any]:
    # one closure per field and width: a property call is the whole cost of a read
    if kind == "bool":
        return lambda self: bool(self.buf[at])
    if kind == "u8" or _is_enum(kind):
        return lambda self: self.buf[at]  # enums stay raw ints, as the program compares them
    if kind in ("u128", "i128"):
        signed, end = kind == "i128", at + 16
        return lambda self: int.from_bytes(self.buf[at:end], "little", signed=signed)
    if kind == "pubkey":
        from_bytes, end = Pubkey.from_bytes, at + 32
        return lambda self: from_bytes(bytes(self.buf[at:end]))
    unpack_from = struct.Struct("<" + _PRIM[kind]).unpack_from
    return lambda self: unpack_from(self.buf, at)[0]


def _setter(at: int, kind: Any) -> Callable[[Any, int], None]:
    if kind in ("u128", "i128"):
        signed, end = kind == "i128", at + 16

        def set_wide(self: Any, value: int) -> None:
            self.buf[at:end] = value.to_bytes(16, "little", signed=signed)

        return set_wide
    pack_into = struct.Struct("<" + _PRIM[kind]).pack_into
    return lambda self, value: pack_into(self.buf, at, value)


def fields(
    layout: Layout, names: str, *, within: str = "", settable: str = "", **aliases: str
) -> Callable[[type], type]:
    """Class decorator: a property per field of ``layout`` (from ``record_offsets``).

    ``names`` (space-separated) are exposed under their layout name, looked up at the top
    level or else under the ``within`` prefix (``"amm"``: a market's AMM fields);
    ``aliases`` map ``view_name="layout.path"``; the view names in ``settable`` get a setter.
    """
    table = {}
    for name in names.split():
        table[name] = name if name in layout else f"{within}.{name}"
    table.update(aliases)
    writable = set(settable.split())

    def install(cls: type) -> type:
        for name, path in table.items():
            at, kind = layout[path]
            setter = _setter(at, kind) if name in writable else None
            setattr(cls, name, property(_getter(at, kind), setter, doc=f"``{path}`` at {at}"))
        return cls

    return install
