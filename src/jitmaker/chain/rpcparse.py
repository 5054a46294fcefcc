"""Pure parsers for JSON-RPC results: raw account bytes, statuses, contextual values.

Why separate: these are the only place where untrusted reply shapes turn into typed values;
each raises ``KeyError``/``TypeError``/``ValueError`` (mapped to ``RpcError`` by
``parse_or_raise``) and never anything else, which the fuzz tests pin. The ``*_fast`` parsers
use solders (Rust) for large replies and are tried first; any failure falls back to the
checked path.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any, TypeVar

import zstandard
from solders.rpc.responses import GetProgramAccountsResp, GetProgramAccountsWithContextResp

from jitmaker.chain.redact import scrub
from jitmaker.chain.rpctypes import (
    Commitment,
    Encoding,
    RawAccount,
    SignatureStatus,
    Slotted,
)
from jitmaker.errors import RpcError

__all__ = [
    "MAX_ACCOUNT_DATA",
    "as_int",
    "as_logs",
    "as_str",
    "contextual",
    "decode_account_data",
    "gpa_plain_fast",
    "gpa_with_context_fast",
    "multiple_accounts_parser",
    "parse_account",
    "parse_or_raise",
    "signature_statuses_parser",
    "solders_accounts",
]

T = TypeVar("T")

_zstd = zstandard.ZstdDecompressor()
# Solana's MAX_PERMITTED_DATA_LENGTH: no real account decompresses to more, so a reply that
# claims to (a zstd bomb from a faulty or hostile endpoint) is malformed, not an allocation.
MAX_ACCOUNT_DATA = 10 * 1024 * 1024


def decode_account_data(data: Any) -> bytes:
    """UiAccount ``data`` ``[payload, encoding]`` -> bytes (base64 or base64+zstd)."""
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], str)):
        raise ValueError("account data is not [payload, encoding]")
    raw = base64.b64decode(data[0], validate=True)
    if data[1] == Encoding.BASE64.value:
        return raw
    if data[1] == Encoding.BASE64_ZSTD.value:
        if not raw:
            return b""
        # frame_content_size is -1 when the frame does not declare it; then the cap applies
        if zstandard.frame_content_size(raw) > MAX_ACCOUNT_DATA:
            raise ValueError(f"account data decompresses to more than {MAX_ACCOUNT_DATA} bytes")
        return _zstd.decompress(raw, max_output_size=MAX_ACCOUNT_DATA)
    raise ValueError(f"unsupported account encoding {data[1]!r}")


def parse_account(pubkey: str, obj: Any) -> RawAccount:
    rent = obj.get("rentEpoch")
    return RawAccount(
        pubkey=as_str(pubkey),
        data=decode_account_data(obj["data"]),
        owner=as_str(obj["owner"]),
        lamports=as_int(obj["lamports"]),
        executable=obj.get("executable") is True,
        rent_epoch=None if rent is None else as_int(rent),
    )


def as_int(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"expected an integer, got {type(v).__name__}")
    return v


def contextual(result: Any) -> tuple[int, Any]:
    if not isinstance(result, dict):
        raise TypeError("expected {context, value}")
    return as_int(result["context"]["slot"]), result["value"]


def solders_accounts(items: Any) -> list[RawAccount]:
    out = []
    for k in items:
        a = k.account
        out.append(
            RawAccount(str(k.pubkey), a.data, str(a.owner), a.lamports, a.executable, a.rent_epoch)
        )
    return out


def gpa_with_context_fast(raw: bytes) -> Slotted[list[RawAccount]]:
    """getProgramAccounts (withContext) parsed by solders: Rust JSON + base64 (+zstd), about
    twice as fast as json + binascii for thousands of 4 KB Users."""
    r = GetProgramAccountsWithContextResp.from_json(raw.decode())
    if not isinstance(r, GetProgramAccountsWithContextResp):
        raise ValueError("not a result")
    return Slotted(r.context.slot, solders_accounts(r.value))


def gpa_plain_fast(raw: bytes) -> Slotted[list[RawAccount]]:
    r = GetProgramAccountsResp.from_json(raw.decode())
    if not isinstance(r, GetProgramAccountsResp):
        raise ValueError("not a result")
    return Slotted(None, solders_accounts(r.value))


def parse_or_raise(method: str, result: Any, parse: Callable[[Any], T]) -> T:
    try:
        return parse(result)
    except (
        KeyError,
        TypeError,
        ValueError,
        IndexError,
        AttributeError,
        OverflowError,
        RecursionError,
        binascii.Error,
        zstandard.ZstdError,
    ) as exc:
        raise RpcError(f"{method}: malformed result ({type(exc).__name__}: {scrub(exc)})") from None


def as_str(v: Any) -> str:
    if not isinstance(v, str):
        raise TypeError("expected a string")
    return v


def as_logs(v: Any) -> tuple[str, ...]:
    if v is None:
        return ()
    if not isinstance(v, list):
        raise TypeError("logs is not a list")
    return tuple(str(x) for x in v)


def multiple_accounts_parser(
    keys: list[str],
) -> Callable[[Any], tuple[int, list[RawAccount | None]]]:
    def parse(r: Any) -> tuple[int, list[RawAccount | None]]:
        slot, values = contextual(r)
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError(f"expected {len(keys)} accounts")
        return slot, [
            None if v is None else parse_account(k, v) for k, v in zip(keys, values, strict=True)
        ]

    return parse


def signature_statuses_parser(n: int) -> Callable[[Any], tuple[int, list[SignatureStatus | None]]]:
    def parse(r: Any) -> tuple[int, list[SignatureStatus | None]]:
        slot, values = contextual(r)
        if not isinstance(values, list) or len(values) != n:
            raise ValueError(f"expected {n} statuses")
        out: list[SignatureStatus | None] = []
        for v in values:
            if v is None:
                out.append(None)
                continue
            cs = v.get("confirmationStatus")
            conf = v.get("confirmations")
            out.append(
                SignatureStatus(
                    as_int(v["slot"]),
                    None if conf is None else as_int(conf),
                    v.get("err"),
                    None if cs is None else Commitment(cs),
                )
            )
        return slot, out

    return parse
