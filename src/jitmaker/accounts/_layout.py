"""Record classes and generated struct codecs for Drift's zero-copy accounts.

Drift accounts are ``repr(C)`` structs with explicit padding, so each account is one fixed
``struct`` format. A *record* is an immutable tuple subclass holding the raw field values in
IDL order (enums as their variant index, pubkeys as 32 raw bytes, nested structs as nested
records); properties give every IDL field under its snake_case name, enum fields return the
``IntEnum`` member and pubkey fields a solders ``Pubkey`` (built on access, the raw bytes are
under ``<name>_bytes``). For each account a decoder and an encoder are generated once at import
time (plain Python source compiled with ``exec``) so that decoding is one ``struct.unpack``
plus one tuple build per record, with no per-field interpretation at run time.

Field types in a spec: ``"u8" "i8" "u16" "i16" "u32" "i32" "u64" "i64" "u128" "i128" "bool"
"pubkey"``, ``("bytes", n)`` for ``[u8; n]`` (names, padding), an ``IntEnum`` class (one byte),
a record class (nested struct) or ``("array", record_class, n)``.
"""

from __future__ import annotations

import struct
import sys
from enum import IntEnum
from typing import Any

from solders.pubkey import Pubkey

from jitmaker.accounts._getter import enum_getter, field_getter
from jitmaker.accounts.order import ORDER_STRUCT, Order
from jitmaker.errors import DecodeError, EncodeError

__all__ = ["AccountCodec", "Record", "record"]

_PRIM = {
    "u8": "B",
    "i8": "b",
    "u16": "H",
    "i16": "h",
    "u32": "I",
    "i32": "i",
    "u64": "Q",
    "i64": "q",
    "bool": "?",
}
_M64 = (1 << 64) - 1
_pubkey_from_bytes = Pubkey.from_bytes


def _is_enum(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, IntEnum)


def _is_record(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, Record)


class Record(tuple):
    """Base of all account records (tuple subclass; see module docstring)."""

    __slots__ = ()
    FIELDS: tuple[str, ...] = ()
    TYPES: tuple[Any, ...] = ()
    SIZE: int = 0
    _DEFAULTS: tuple[Any, ...] = ()
    _INDEX: dict[str, int] = {}  # noqa: RUF012 - replaced per subclass

    @classmethod
    def new(cls, **fields: Any) -> Any:
        """Build a record from keyword fields; missing fields are zero / empty / variant 0."""
        values = list(cls._DEFAULTS)
        for name, value in fields.items():
            index = cls._INDEX.get(name)
            if index is None:
                raise TypeError(f"{cls.__name__} has no field {name!r}")
            values[index] = _coerce(cls.TYPES[index], value, name)
        return tuple.__new__(cls, values)

    def replace(self, **fields: Any) -> Any:
        """Copy with some fields changed."""
        cls = type(self)
        values = list(self)
        for name, value in fields.items():
            index = cls._INDEX.get(name)
            if index is None:
                raise TypeError(f"{cls.__name__} has no field {name!r}")
            values[index] = _coerce(cls.TYPES[index], value, name)
        return tuple.__new__(cls, values)

    def as_dict(self) -> dict[str, Any]:
        """Field name -> property value (nested records stay records)."""
        return {name: getattr(self, name) for name in self.FIELDS}

    def __repr__(self) -> str:
        parts = []
        for name, kind, value in zip(self.FIELDS, self.TYPES, self, strict=True):
            if name.startswith("padding"):
                continue
            if _is_enum(kind):
                value = kind(value).name
            elif kind == "pubkey":
                value = str(_pubkey_from_bytes(value))
            parts.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), tuple(self)))


def _rebuild(cls: type, values: tuple) -> Any:
    return tuple.__new__(cls, values)


def _coerce(kind: Any, value: Any, name: str) -> Any:
    if kind == "pubkey":
        if isinstance(value, Pubkey):
            return bytes(value)
        value = bytes(value)
        if len(value) != 32:
            raise TypeError(f"{name}: a pubkey needs 32 bytes, got {len(value)}")
        return value
    if kind == "bool":
        return bool(value)
    if isinstance(kind, tuple) and kind[0] == "bytes":
        if isinstance(value, str):
            value = value.encode()
        value = bytes(value)
        if len(value) > kind[1]:
            raise TypeError(f"{name}: at most {kind[1]} bytes, got {len(value)}")
        return value.ljust(kind[1], b"\0")
    if isinstance(kind, tuple) and kind[0] == "array":
        value = tuple(value)
        if len(value) != kind[2]:
            raise TypeError(f"{name}: needs {kind[2]} items, got {len(value)}")
        return value
    if _is_record(kind):
        if not isinstance(value, kind):
            raise TypeError(f"{name}: expected {kind.__name__}, got {type(value).__name__}")
        return value
    return int(value)


def _default(kind: Any) -> Any:
    if kind == "pubkey":
        return bytes(32)
    if kind == "bool":
        return False
    if isinstance(kind, tuple) and kind[0] == "bytes":
        return bytes(kind[1])
    if isinstance(kind, tuple) and kind[0] == "array":
        return tuple(kind[1].new() for _ in range(kind[2]))
    if _is_record(kind):
        return kind.new()
    return 0


def _format(kind: Any) -> str:
    if isinstance(kind, str):
        if kind in _PRIM:
            return _PRIM[kind]
        if kind == "u128":
            return "QQ"
        if kind == "i128":
            return "Qq"
        if kind == "pubkey":
            return "32s"
        raise ValueError(f"unknown field type {kind!r}")
    if _is_enum(kind):
        return "B"
    if _is_record(kind):
        return "".join(_format(k) for k in kind.TYPES)
    if kind is Order:
        return ORDER_STRUCT.format.lstrip("<")
    if kind[0] == "bytes":
        return f"{kind[1]}s"
    if kind[0] == "array":
        return _format(kind[1]) * kind[2]
    raise ValueError(f"unknown field type {kind!r}")


def _pubkey_getter(index: int) -> property:
    def get(self: tuple) -> Pubkey:
        return _pubkey_from_bytes(self[index])

    return property(get)


def record(
    name: str, fields: list[tuple[str, Any]], *, mixin: type | None = None, doc: str = ""
) -> Any:
    """Create a record class for ``fields`` (``(snake_name, type)`` pairs in layout order)."""
    names = tuple(f[0] for f in fields)
    types = tuple(f[1] for f in fields)
    ns: dict[str, Any] = {
        "__slots__": (),
        "__doc__": doc or f"The Drift ``{name}`` struct (IDL field order).",
        "FIELDS": names,
        "TYPES": types,
        "_INDEX": {n: i for i, n in enumerate(names)},
        # pickling finds the class by module + name: the module that called record()
        "__module__": sys._getframe(1).f_globals.get("__name__", __name__),
    }
    for index, (fname, kind) in enumerate(fields):
        if _is_enum(kind):
            ns[fname] = enum_getter(index, tuple(kind), fname)
        elif kind == "pubkey":
            ns[fname] = _pubkey_getter(index)
            ns[f"{fname}_bytes"] = field_getter(index, f"{fname}_bytes")
        else:
            ns[fname] = field_getter(index, fname)
    bases = (mixin, Record) if mixin is not None else (Record,)
    cls = type(name, bases, ns)
    cls.SIZE = struct.calcsize("<" + _format(cls))
    cls._DEFAULTS = tuple(_default(k) for k in types)
    return cls


class _Gen:
    """Walks a record spec and emits struct format, decode and encode expressions."""

    def __init__(self) -> None:
        self.fmt: list[str] = []
        self.n = 0  # next flat value index
        self.checks: list[tuple[int, int, str]] = []  # (flat index, variants, dotted field)
        self.enc: list[str] = []

    def value(self, kind: Any, path: str, where: str) -> str:
        """Emit one field; return its decode expression (flat tuple ``v``)."""
        i = self.n
        if isinstance(kind, str) and kind in ("u128", "i128"):
            self.fmt.append("QQ" if kind == "u128" else "Qq")
            self.n += 2
            self.enc.append(f"{path} & {_M64}, {path} >> 64")
            return f"(v[{i}] + (v[{i + 1}] << 64))"
        if _is_record(kind):
            parts = [
                self.value(k, f"{path}[{j}]", f"{where}.{fname}")
                for j, (fname, k) in enumerate(zip(kind.FIELDS, kind.TYPES, strict=True))
            ]
            return f"_new(R_{kind.__name__}, ({', '.join(parts)},))"
        if isinstance(kind, tuple) and kind[0] == "array":
            parts = [self.value(kind[1], f"{path}[{j}]", f"{where}[{j}]") for j in range(kind[2])]
            return f"({', '.join(parts)},)"
        self.fmt.append(_format(kind))
        self.n += 1
        if _is_enum(kind):
            self.checks.append((i, len(kind), where))
        self.enc.append(path)
        return f"v[{i}]"


class AccountCodec:
    """Generated decoder/encoder for one Anchor account (8-byte discriminator + record)."""

    def __init__(self, account_name: str, cls: Any, discriminator: bytes) -> None:
        gen = _Gen()
        gen.fmt.append("8s")
        gen.n = 1
        exprs = [
            gen.value(k, f"r[{j}]", f)
            for j, (f, k) in enumerate(zip(cls.FIELDS, cls.TYPES, strict=True))
        ]
        self.account_name = account_name
        self.cls = cls
        self.discriminator = discriminator
        self.struct = struct.Struct("<" + "".join(gen.fmt))
        self.size = self.struct.size
        env: dict[str, Any] = {
            "_new": tuple.__new__,
            "S": self.struct,
            "SIZE": self.size,
            "DISC": discriminator,
            "_bad": self._bad,
            "_check": self._check,
        }
        _collect_records(cls, env)
        checks = "".join(
            f"    if v[{i}] >= {n}: _bad({where!r}, v[{i}], {n})\n" for i, n, where in gen.checks
        )
        src = (
            "def decode(data):\n"
            "    if len(data) != SIZE or data[:8] != DISC: _check(data)\n"
            "    v = S.unpack(data)\n"
            f"{checks}"
            f"    return _new(R_{cls.__name__}, ({', '.join(exprs)},))\n"
            "def encode(r):\n"
            f"    return S.pack(DISC, {', '.join(gen.enc)})\n"
        )
        exec(compile(src, f"<codec {account_name}>", "exec"), env)
        self._decode = env["decode"]
        self._encode = env["encode"]

    def _check(self, data: bytes) -> None:
        if len(data) != self.size:
            raise DecodeError(f"{self.account_name}: expected {self.size} bytes, got {len(data)}")
        if bytes(data[:8]) != self.discriminator:
            raise DecodeError(
                f"{self.account_name}: wrong discriminator: expected "
                f"{self.discriminator.hex()}, got {bytes(data[:8]).hex()}"
            )

    def _bad(self, where: str, value: int, variants: int) -> None:
        raise DecodeError(
            f"{self.account_name}: invalid enum value {value} for field {where} "
            f"(expected 0..{variants - 1})"
        )

    def decode(self, data: bytes) -> Any:
        return self._decode(data)

    def encode(self, rec: Any) -> bytes:
        if not isinstance(rec, self.cls):
            raise EncodeError(f"{self.account_name}: expected {self.cls.__name__}, got {rec!r:.80}")
        try:
            return self._encode(rec)
        except (struct.error, TypeError, IndexError) as exc:
            raise EncodeError(f"{self.account_name}: {exc}") from exc


def _collect_records(cls: Any, env: dict[str, Any]) -> None:
    env[f"R_{cls.__name__}"] = cls
    for kind in cls.TYPES:
        if _is_record(kind):
            _collect_records(kind, env)
        elif isinstance(kind, tuple) and kind[0] == "array":
            _collect_records(kind[1], env)
