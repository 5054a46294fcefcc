"""Hand-assembled v0 messages vs solders ``MessageV0.try_compile`` (random instructions + ALTs)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0, to_bytes_versioned
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from jitmaker.chain.message import (
    compact_u16,
    compile_layout,
    compile_message_v0,
    keypair_signer,
    prepare_lookup_tables,
    raw_instruction,
    serialize_transaction,
)
from jitmaker.errors import EncodeError

PAYER = Keypair.from_seed(bytes(range(32)))
POOL = [Pubkey.from_bytes(bytes([i]) * 32) for i in range(1, 25)]  # sorted, distinct keys
OTHER_SIGNER = Keypair.from_seed(bytes([7]) * 32).pubkey()
KEYS = [*POOL, PAYER.pubkey(), OTHER_SIGNER]


@st.composite
def messages(draw):
    programs = draw(st.lists(st.sampled_from(POOL[:6]), min_size=1, max_size=4))
    instructions = []
    for program in programs:
        metas = draw(
            st.lists(
                st.builds(
                    lambda key, signer, writable: AccountMeta(
                        key, is_signer=signer or key == OTHER_SIGNER, is_writable=writable
                    ),
                    st.sampled_from(KEYS),
                    st.booleans() if draw(st.booleans()) else st.just(False),
                    st.booleans(),
                ),
                max_size=12,
            )
        )
        data = draw(st.binary(max_size=300))
        instructions.append(Instruction(program, data, metas))
    contents = draw(st.lists(st.lists(st.sampled_from(KEYS), max_size=30), max_size=3))
    tables = [  # distinct table addresses, outside the key pool
        AddressLookupTableAccount(Pubkey.from_bytes(bytes([200 + i]) * 32), addresses)
        for i, addresses in enumerate(contents)
    ]
    blockhash = Hash(draw(st.binary(min_size=32, max_size=32)))
    return instructions, tables, blockhash


@settings(max_examples=300)
@given(messages())
def test_compile_equals_solders_try_compile(case):
    instructions, tables, blockhash = case
    try:
        reference = to_bytes_versioned(
            MessageV0.try_compile(PAYER.pubkey(), instructions, tables, blockhash)
        )
    except Exception:  # solders refuses (e.g. > 256 keys): we must refuse as well
        with pytest.raises(EncodeError):
            compile_message_v0(PAYER.pubkey(), instructions, bytes(blockhash), tables)
        return
    ours = compile_message_v0(PAYER.pubkey(), instructions, bytes(blockhash), tables)
    assert ours == reference


@settings(max_examples=100)
@given(messages())
def test_layout_resolves_the_same_keys_as_solders(case):
    instructions, tables, blockhash = case
    message = MessageV0.try_compile(PAYER.pubkey(), instructions, tables, blockhash)
    raws = [raw_instruction(ix) for ix in instructions]
    layout = compile_layout(
        bytes(PAYER.pubkey()), [(p, a) for p, a, _ in raws], prepare_lookup_tables(tables)
    )
    assert [Pubkey.from_bytes(k) for k in layout.static_keys] == list(message.account_keys)
    by_table = {bytes(t.key): list(t.addresses) for t in tables}
    writable, readonly = [], []
    for lookup in message.address_table_lookups:
        addresses = by_table[bytes(lookup.account_key)]
        writable += [addresses[i] for i in lookup.writable_indexes]
        readonly += [addresses[i] for i in lookup.readonly_indexes]
    assert [Pubkey.from_bytes(k) for k in layout.loaded_writable] == writable
    assert [Pubkey.from_bytes(k) for k in layout.loaded_readonly] == readonly


def test_signed_transaction_deserializes_and_verifies():
    ix = Instruction(POOL[0], b"hello", [AccountMeta(POOL[3], is_signer=False, is_writable=True)])
    table = AddressLookupTableAccount(POOL[5], [POOL[3]])
    message = compile_message_v0(PAYER.pubkey(), [ix], bytes(32), [table])
    signature = keypair_signer(PAYER)(message)
    raw = serialize_transaction([signature], message)
    tx = VersionedTransaction.from_bytes(raw)
    assert tx.verify_with_results() == [True]
    assert bytes(tx.signatures[0]) == signature
    assert list(tx.message.address_table_lookups[0].writable_indexes) == [0]
    reference = VersionedTransaction(
        MessageV0.try_compile(PAYER.pubkey(), [ix], [table], Hash(bytes(32))), [PAYER]
    )
    assert bytes(reference) == raw


@pytest.mark.parametrize(
    ("n", "encoded"),
    [(0, "00"), (5, "05"), (0x7F, "7f"), (0x80, "8001"), (0x3FFF, "ff7f"), (0x4000, "808001"),
     (0xFFFF, "ffff03")],
)  # fmt: skip
def test_compact_u16(n, encoded):
    assert compact_u16(n).hex() == encoded


def test_compact_u16_overflow():
    with pytest.raises(EncodeError):
        compact_u16(0x10000)


def test_too_many_accounts_is_an_encode_error():
    metas = [
        AccountMeta(Pubkey.from_bytes(i.to_bytes(32, "big")), is_signer=False, is_writable=False)
        for i in range(1, 300)
    ]
    with pytest.raises(EncodeError):
        compile_message_v0(PAYER.pubkey(), [Instruction(POOL[0], b"", metas)], bytes(32))
