"""The reference: anchorpy's IDL coder built from driftpy's bundled IDL, plus converters that
turn its objects and ours into the same plain Python structure for field-by-field comparison.
"""

from __future__ import annotations

import copyreg
import dataclasses
from functools import cache
from pathlib import Path
from typing import Any

import driftpy
from anchorpy import Idl
from anchorpy.coder.accounts import AccountsCoder, _account_discriminator
from anchorpy.program.common import NamedInstruction as AccountToSerialize
from solders.pubkey import Pubkey

from jitmaker.accounts._layout import Record
from jitmaker.accounts.order import ORDER_FIELDS, Order

IDL_PATH = Path(driftpy.__file__).parent / "idl" / "drift.json"

# anchorpy's build deep-copies struct values (dataclasses.asdict) and solders 0.26 Pubkeys
# cannot be pickled; teach copy/pickle to rebuild them from their bytes (test process only).
copyreg.pickle(Pubkey, lambda key: (Pubkey.from_bytes, (bytes(key),)))


@cache
def coder() -> AccountsCoder:
    return AccountsCoder(Idl.from_json(IDL_PATH.read_text()))


@cache
def template(account: str) -> Any:
    """An anchorpy object of ``account`` (decoded from zeros): gives us its dataclass/enum types."""
    c = coder()
    return c.decode(c.acc_name_to_discriminator[account] + bytes(_size(account) - 8))


_SIZES = {
    "User": 4376,
    "UserStats": 240,
    "PerpMarket": 1216,
    "SpotMarket": 776,
    "State": 992,
    "PrelaunchOracle": 120,
    "PythLazerOracle": 56,
}


def _size(account: str) -> int:
    return _SIZES[account]


def _is_enum(value: Any) -> bool:
    return isinstance(getattr(value, "index", None), int)


def anchor_plain(value: Any) -> Any:
    """anchorpy value -> plain: enums -> variant index, Pubkey/u8 arrays -> bytes, structs -> dict."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: anchor_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if _is_enum(value):
        return value.index
    if isinstance(value, Pubkey):
        return bytes(value)
    if isinstance(value, list):
        if value and all(type(v) is int for v in value):
            return bytes(value)
        return [anchor_plain(v) for v in value]
    return value


def ours_plain(value: Any) -> Any:
    """Our record -> the same plain structure (Order's padding byte is not a field: 0)."""
    if isinstance(value, Order):
        out = dict(zip(ORDER_FIELDS, value, strict=True))
        out["padding"] = b"\0"
        return out
    if isinstance(value, Record):
        return {name: ours_plain(v) for name, v in zip(value.FIELDS, value, strict=True)}
    if isinstance(value, tuple):
        return [ours_plain(v) for v in value]
    return value


def to_anchor(value: Any, tmpl: Any) -> Any:
    """Our record -> an anchorpy object shaped like ``tmpl`` (for ``coder().build``)."""
    if dataclasses.is_dataclass(tmpl) and not isinstance(tmpl, type):
        if isinstance(value, Order):
            plain = dict(zip(ORDER_FIELDS, value, strict=True))
            plain["padding"] = b"\0"
            return type(tmpl)(**{k: to_anchor(plain[k], getattr(tmpl, k)) for k in plain})
        names = value.FIELDS
        return type(tmpl)(
            **{n: to_anchor(v, getattr(tmpl, n)) for n, v in zip(names, value, strict=True)}
        )
    if _is_enum(tmpl):
        enum_cls = type(tmpl).__mro__[1]
        return enum_cls.getitem(int(value))()
    if isinstance(tmpl, Pubkey):
        return Pubkey.from_bytes(value)
    if isinstance(tmpl, list):
        if isinstance(value, bytes):
            return list(value)
        return [to_anchor(v, tmpl[0]) for v in value]
    return value


def anchor_build(account: str, rec: Any) -> bytes:
    """Encode ``rec`` with anchorpy's coder (``AccountsCoder.build``)."""
    obj = to_anchor(rec, template(account))
    return coder().build(AccountToSerialize(data=obj, name=account))


def anchor_decode_plain(data: bytes) -> Any:
    return anchor_plain(coder().decode(data))


assert _account_discriminator("User") == bytes.fromhex("9f755fe3ef973aec")
