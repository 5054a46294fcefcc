"""Decode a wire transaction into resolved accounts and instructions (logging, simulator).

Parsing is solders' (``VersionedTransaction.from_bytes``); this module resolves address
lookup tables into the full key list (static, then every table's writable lookups, then
every table's readonly lookups — protocol.md §8), derives each key's signer/writable flag
from the header, and re-attaches those flags to each instruction's accounts. The runtime's
extra demotions (invoked programs, reserved sysvars) are not applied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.instruction import AccountMeta
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from jitmaker.chain.instructions import DecodedInstruction, decode_instruction_data
from jitmaker.errors import DecodeError

__all__ = ["DecodedTransaction", "ResolvedInstruction", "decode_transaction"]


class ResolvedInstruction(NamedTuple):
    program_id: Pubkey
    accounts: tuple[AccountMeta, ...]
    data: bytes

    def decoded(self) -> DecodedInstruction:
        """Arguments of a jit / place_and_make / compute-budget instruction."""
        return decode_instruction_data(self.program_id, self.data)


class DecodedTransaction(NamedTuple):
    signatures: tuple[bytes, ...]
    message: bytes  # the signed bytes
    recent_blockhash: Hash
    account_keys: tuple[Pubkey, ...]  # fully resolved
    is_signer: tuple[bool, ...]
    is_writable: tuple[bool, ...]
    instructions: tuple[ResolvedInstruction, ...]
    version: int | None  # None for legacy

    def verify(self) -> bool:
        """Every signature is valid ed25519 over ``message`` by its signer key."""
        tx = VersionedTransaction.from_bytes(
            _shortvec(len(self.signatures)) + b"".join(self.signatures) + self.message
        )
        return all(tx.verify_with_results())


def _shortvec(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode_transaction(
    raw: bytes,
    lookup_tables: Mapping[Pubkey, Sequence[Pubkey]] | Iterable[AddressLookupTableAccount] = (),
) -> DecodedTransaction:
    """Parse ``raw`` and resolve its lookups against ``lookup_tables`` (address -> keys)."""
    if isinstance(lookup_tables, Mapping):
        tables = dict(lookup_tables)
    else:
        tables = {t.key: list(t.addresses) for t in lookup_tables}
    try:
        tx = VersionedTransaction.from_bytes(raw)
    except Exception as exc:  # solders raises its own error types
        raise DecodeError(f"cannot parse transaction: {exc}") from None
    msg = tx.message
    header = msg.header
    static = list(msg.account_keys)
    n_static = len(static)
    n_sig = header.num_required_signatures
    signer = [i < n_sig for i in range(n_static)]
    writable = [
        i < n_sig - header.num_readonly_signed_accounts
        if i < n_sig
        else i < n_static - header.num_readonly_unsigned_accounts
        for i in range(n_static)
    ]
    lookups = list(getattr(msg, "address_table_lookups", ()) or ())
    loaded_w: list[Pubkey] = []
    loaded_r: list[Pubkey] = []
    for lookup in lookups:
        addresses = tables.get(lookup.account_key)
        if addresses is None:
            raise DecodeError(f"lookup table {lookup.account_key} not provided")
        try:
            loaded_w += [addresses[i] for i in lookup.writable_indexes]
            loaded_r += [addresses[i] for i in lookup.readonly_indexes]
        except IndexError:
            raise DecodeError(f"lookup index out of range in {lookup.account_key}") from None
    keys = (*static, *loaded_w, *loaded_r)
    signer += [False] * (len(loaded_w) + len(loaded_r))
    writable += [True] * len(loaded_w) + [False] * len(loaded_r)
    instructions = []
    for ix in msg.instructions:
        try:
            metas = tuple(
                AccountMeta(keys[i], is_signer=signer[i], is_writable=writable[i])
                for i in ix.accounts
            )
            program = keys[ix.program_id_index]
        except IndexError:
            raise DecodeError("instruction account index out of range") from None
        instructions.append(ResolvedInstruction(program, metas, bytes(ix.data)))
    message_bytes = raw[len(_shortvec(len(tx.signatures))) + 64 * len(tx.signatures) :]
    return DecodedTransaction(
        tuple(bytes(s) for s in tx.signatures),
        message_bytes,
        msg.recent_blockhash,
        keys,
        tuple(signer),
        tuple(writable),
        tuple(instructions),
        message_bytes[0] & 0x7F if _is_versioned(message_bytes) else None,
    )


def _is_versioned(message: bytes) -> bool:
    """A message whose first byte has the high bit set is versioned (protocol.md §8)."""
    return bool(message) and message[0] & 0x80 != 0
