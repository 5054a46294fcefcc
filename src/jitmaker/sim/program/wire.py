"""Solana transaction wire format (protocol §8): legacy and v0 messages, lookup tables.

Parsed by hand (not via solders' ``VersionedTransaction``) so that signatures are verified
against the exact message bytes that were sent and every malformation maps to a
TransactionError string instead of a library exception.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.signature import Signature

from jitmaker.sim.ledger import Account
from jitmaker.sim.program.constants import ALT_PROGRAM

__all__ = ["CompiledIx", "DecodedTx", "TxRejected", "decode_transaction", "load_keys"]

_ALT_META = 56
_U64_MAX = (1 << 64) - 1
_DEACTIVATION_SLOTS = 512  # slot hashes kept by the bank


class TxRejected(Exception):
    """The transaction fails before any instruction runs; ``err`` is the TransactionError."""

    def __init__(self, err: str | dict) -> None:
        self.err = err
        super().__init__(str(err))


@dataclass(frozen=True, slots=True)
class CompiledIx:
    program_index: int
    accounts: bytes
    data: bytes


@dataclass
class DecodedTx:
    signatures: list[Signature]
    message: bytes
    version: int | None  # None = legacy
    num_required_signatures: int
    num_readonly_signed: int
    num_readonly_unsigned: int
    static_keys: list[Pubkey]
    recent_blockhash: Hash
    instructions: list[CompiledIx]
    lookups: list[tuple[Pubkey, bytes, bytes]] = field(default_factory=list)

    def verify(self) -> bool:
        """ed25519 signature of every required signer over the message bytes."""
        return all(
            sig.verify(key, self.message)
            for sig, key in zip(self.signatures, self.static_keys, strict=False)
        )


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise TxRejected("SanitizeFailure")
        out = self.data[self.pos : end]
        self.pos = end
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def shortvec(self) -> int:
        value = 0
        for i in range(3):
            b = self.u8()
            value |= (b & 0x7F) << (7 * i)
            if not b & 0x80:
                return value
        raise TxRejected("SanitizeFailure")


def decode_transaction(tx: bytes) -> DecodedTx:
    """Parse a wire transaction; raises ``TxRejected("SanitizeFailure")`` when malformed."""
    r = _Reader(tx)
    n_sigs = r.shortvec()
    sigs = [Signature.from_bytes(r.take(64)) for _ in range(n_sigs)]
    msg_start = r.pos
    first = r.u8()
    version: int | None = None
    if first & 0x80:
        version = first & 0x7F
        if version != 0:
            raise TxRejected("UnsupportedVersion")
        n_req = r.u8()
    else:
        n_req = first
    ro_signed = r.u8()
    ro_unsigned = r.u8()
    keys = [Pubkey.from_bytes(r.take(32)) for _ in range(r.shortvec())]
    blockhash = Hash.from_bytes(r.take(32))
    ixs = []
    for _ in range(r.shortvec()):
        prog = r.u8()
        accounts = r.take(r.shortvec())
        data = r.take(r.shortvec())
        ixs.append(CompiledIx(prog, accounts, data))
    lookups = []
    if version is not None:
        for _ in range(r.shortvec()):
            table = Pubkey.from_bytes(r.take(32))
            writable = r.take(r.shortvec())
            readonly = r.take(r.shortvec())
            lookups.append((table, writable, readonly))
    if r.pos != len(tx):
        raise TxRejected("SanitizeFailure")
    if n_req == 0 or n_req != n_sigs or n_req > len(keys) or ro_signed >= n_req:
        raise TxRejected("SanitizeFailure")
    if n_req + ro_unsigned > len(keys):
        raise TxRejected("SanitizeFailure")
    return DecodedTx(
        sigs, tx[msg_start:], version, n_req, ro_signed, ro_unsigned, keys, blockhash, ixs, lookups
    )


def load_keys(
    tx: DecodedTx, get: Callable[[Pubkey], Account | None], slot: int | None = None
) -> tuple[list[Pubkey], list[bool]]:
    """All account keys (static, then looked-up writable, then looked-up readonly) and writability.

    With ``slot``: a table deactivated more than 512 slots ago is not found. (The bank also
    hides addresses appended in the current slot; not modelled, because the simulator seeds
    its tables at the start slot with start index 0.)"""
    n_static = len(tx.static_keys)
    writable = [
        i < tx.num_required_signatures - tx.num_readonly_signed
        or tx.num_required_signatures <= i < n_static - tx.num_readonly_unsigned
        for i in range(n_static)
    ]
    looked_w: list[Pubkey] = []
    looked_r: list[Pubkey] = []
    for table, w_idx, r_idx in tx.lookups:
        account = get(table)
        if account is None:
            raise TxRejected("AddressLookupTableNotFound")
        if account.owner != ALT_PROGRAM:
            raise TxRejected("InvalidAddressLookupTableOwner")
        data = account.data
        if len(data) < _ALT_META or (len(data) - _ALT_META) % 32:
            raise TxRejected("InvalidAddressLookupTableData")
        count = (len(data) - _ALT_META) // 32
        if slot is not None:
            (deactivation,) = struct.unpack_from("<Q", data, 4)
            if deactivation != _U64_MAX and slot > deactivation + _DEACTIVATION_SLOTS:
                raise TxRejected("AddressLookupTableNotFound")
        for dest, idxs in ((looked_w, w_idx), (looked_r, r_idx)):
            for i in idxs:
                if i >= count:
                    raise TxRejected("InvalidAddressLookupTableIndex")
                off = _ALT_META + 32 * i
                dest.append(Pubkey.from_bytes(data[off : off + 32]))
    keys = [*tx.static_keys, *looked_w, *looked_r]
    if len(set(keys)) != len(keys):
        raise TxRejected("AccountLoadedTwice")
    writable += [True] * len(looked_w) + [False] * len(looked_r)
    return keys, writable
