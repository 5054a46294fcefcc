"""Hand-assembled Solana v0 messages with address lookup tables, and signing.

Compilation follows the validator SDK's ``MessageV0::try_compile`` exactly (so the bytes
equal solders' ``MessageV0.try_compile`` output, checked in the tests):

* keys ordered payer, writable signers, readonly signers, writable non-signers, readonly
  non-signers; each group sorted by key bytes (the SDK's ``BTreeMap`` order);
* then, table by table, non-signer keys that are not invoked programs and appear in the
  table move out of the static keys into that table's writable/readonly index lists;
* loaded keys extend the static list as all writable lookups, then all readonly lookups.

``compile_layout`` does the key work once and returns a ``MessageLayout``; ``render``
then only splices blockhash and instruction data, which is what per-auction templates use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from jitmaker.errors import EncodeError

__all__ = [
    "INVOKED",
    "SIGNER",
    "WRITABLE",
    "MessageLayout",
    "PreparedLookupTable",
    "RawInstruction",
    "Signer",
    "compact_u16",
    "compile_layout",
    "compile_message_v0",
    "keypair_signer",
    "prepare_lookup_tables",
    "raw_instruction",
    "serialize_transaction",
]

SIGNER = 1
WRITABLE = 2
INVOKED = 4

RawInstruction = tuple[bytes, Sequence[tuple[bytes, int]], bytes]
"""(program id bytes, [(account key bytes, SIGNER|WRITABLE flags)], data)."""

Signer = Callable[[bytes], bytes]
"""Signs message bytes, returns the 64-byte ed25519 signature."""


def compact_u16(n: int) -> bytes:
    """Solana "shortvec" length: 7 bits per byte, high bit = continuation."""
    if n < 0x80:
        return bytes((n,))
    if n < 0x4000:
        return bytes(((n & 0x7F) | 0x80, n >> 7))
    if n <= 0xFFFF:
        return bytes(((n & 0x7F) | 0x80, ((n >> 7) & 0x7F) | 0x80, n >> 14))
    raise EncodeError(f"compact-u16 overflow: {n}")


_COMPACT = tuple(compact_u16(n) for n in range(2048))  # > any 1232-byte packet needs


class PreparedLookupTable(NamedTuple):
    """An address lookup table with a key -> first index map (built once per table)."""

    key: bytes
    index: dict[bytes, int]


def prepare_lookup_tables(
    tables: Iterable[AddressLookupTableAccount | PreparedLookupTable],
) -> tuple[PreparedLookupTable, ...]:
    """Index solders ``AddressLookupTableAccount``s for ``compile_layout``."""
    out = []
    for table in tables:
        if isinstance(table, PreparedLookupTable):
            out.append(table)
            continue
        index: dict[bytes, int] = {}
        for i, address in enumerate(table.addresses):
            index.setdefault(bytes(address), i)
        out.append(PreparedLookupTable(bytes(table.key), index))
    return tuple(out)


def raw_instruction(ix: Instruction) -> RawInstruction:
    """Convert a solders ``Instruction`` to the raw form the compiler takes."""
    accounts = [
        (bytes(m.pubkey), (SIGNER if m.is_signer else 0) | (WRITABLE if m.is_writable else 0))
        for m in ix.accounts
    ]
    return bytes(ix.program_id), accounts, bytes(ix.data)


class MessageLayout(NamedTuple):
    """A compiled v0 message minus blockhash and instruction data."""

    head: bytes  # version byte, header, compact array of static keys
    ix_prefixes: tuple[bytes, ...]  # per instruction: program index + compact account indexes
    tail: bytes  # compact array of address table lookups
    static_keys: tuple[bytes, ...]
    loaded_writable: tuple[bytes, ...]
    loaded_readonly: tuple[bytes, ...]
    num_signers: int

    def render(self, blockhash: bytes, datas: Sequence[bytes]) -> bytes:
        """Message bytes for this layout with ``blockhash`` and one data per instruction."""
        parts = [self.head, blockhash, _COMPACT[len(datas)]]
        for prefix, data in zip(self.ix_prefixes, datas, strict=True):
            parts.append(prefix)
            n = len(data)
            parts.append(_COMPACT[n] if n < 2048 else compact_u16(n))
            parts.append(data)
        parts.append(self.tail)
        return b"".join(parts)

    @property
    def account_keys(self) -> tuple[bytes, ...]:
        """Full resolved key list: static, loaded writable, loaded readonly."""
        return self.static_keys + self.loaded_writable + self.loaded_readonly


def compile_layout(
    payer: bytes,
    instructions: Sequence[tuple[bytes, Sequence[tuple[bytes, int]]]],
    lookup_tables: Sequence[PreparedLookupTable] = (),
) -> MessageLayout:
    """Compile keys/indexes of ``(program_id, accounts)`` pairs (see module docstring)."""
    meta: dict[bytes, int] = {}
    get = meta.get
    for program, accounts in instructions:
        for key, flags in accounts:
            meta[key] = get(key, 0) | flags
        meta[program] = get(program, 0) | INVOKED
    meta.pop(payer, None)
    ws: list[bytes] = []
    rs: list[bytes] = []
    wn: list[bytes] = []
    rn: list[bytes] = []
    groups = (rn, rs, wn, ws)  # indexed by flags & 3
    for key in sorted(meta):
        groups[meta[key] & 3].append(key)
    ws.insert(0, payer)

    lookups: list[bytes] = []
    loaded_w: list[bytes] = []
    loaded_r: list[bytes] = []
    for table in lookup_tables:
        index = table.index
        w_idx: list[int] = []
        r_idx: list[int] = []
        for group, idx, loaded in ((wn, w_idx, loaded_w), (rn, r_idx, loaded_r)):
            keep = []
            for key in group:
                i = index.get(key)
                if i is None or meta[key] & INVOKED:
                    keep.append(key)
                else:
                    if i > 255:
                        raise EncodeError("address lookup table index above 255")
                    idx.append(i)
                    loaded.append(key)
            group[:] = keep
        if w_idx or r_idx:
            lookups.append(
                b"".join(
                    (
                        table.key,
                        _COMPACT[len(w_idx)],
                        bytes(w_idx),
                        _COMPACT[len(r_idx)],
                        bytes(r_idx),
                    )
                )
            )

    static = (*ws, *rs, *wn, *rn)
    every = (*static, *loaded_w, *loaded_r)
    if len(every) > 256:
        raise EncodeError(f"transaction references {len(every)} accounts (max 256)")
    position = {key: i for i, key in enumerate(every)}
    num_signers = len(ws) + len(rs)
    head = b"".join(
        (
            b"\x80",
            bytes((num_signers, len(rs), len(rn))),
            _COMPACT[len(static)],
            *static,
        )
    )
    prefixes = []
    for program, accounts in instructions:
        indexes = bytes([position[key] for key, _ in accounts])
        prefixes.append(bytes((position[program],)) + _COMPACT[len(indexes)] + indexes)
    tail = _COMPACT[len(lookups)] + b"".join(lookups)
    return MessageLayout(
        head, tuple(prefixes), tail, static, tuple(loaded_w), tuple(loaded_r), num_signers
    )


def compile_message_v0(
    payer: Pubkey | bytes,
    instructions: Sequence[Instruction | RawInstruction],
    blockhash: bytes,
    lookup_tables: Sequence[AddressLookupTableAccount | PreparedLookupTable] = (),
) -> bytes:
    """Serialized v0 message (equal to ``bytes(MessageV0.try_compile(...))``)."""
    raws = [ix if isinstance(ix, tuple) else raw_instruction(ix) for ix in instructions]
    layout = compile_layout(
        bytes(payer), [(p, a) for p, a, _ in raws], prepare_lookup_tables(lookup_tables)
    )
    return layout.render(bytes(blockhash), [d for _, _, d in raws])


def keypair_signer(keypair: Keypair) -> Signer:
    """A ``Signer`` backed by a solders ``Keypair`` (ed25519 in Rust, ~35 µs)."""
    sign = keypair.sign_message

    def signer(message: bytes) -> bytes:
        return bytes(sign(message))

    return signer


def serialize_transaction(signatures: Sequence[bytes], message: bytes) -> bytes:
    """Wire transaction: compact signature count, signatures, message bytes."""
    return b"".join((_COMPACT[len(signatures)], *signatures, message))
