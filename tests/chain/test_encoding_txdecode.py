"""Wire transaction decoder: resolves our own maker transactions back to their instructions."""

from __future__ import annotations

import pytest
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from jitmaker.accounts.enums import PositionDirection, PostOnlyParam
from jitmaker.chain.instructions import JitParams, OrderParams, PriceType
from jitmaker.chain.maker_tx import MakerTxBuilder, TakerRef
from jitmaker.chain.pdas import DRIFT_PROGRAM_ID, perp_market_pda, spot_market_pda, state_pda
from jitmaker.chain.remaining import MarketDirectory, PerpMarketRef, SpotMarketRef, UserMarkets
from jitmaker.chain.txdecode import decode_transaction
from jitmaker.errors import DecodeError


def _key(tag: int, i: int) -> Pubkey:
    return Pubkey.from_bytes(bytes([tag, i]) + bytes(30))


MAKER = Keypair.from_seed(bytes([3]) * 32)
DIRECTORY = MarketDirectory(
    [PerpMarketRef(i, _key(1, i)) for i in range(3)],
    [SpotMarketRef(i, _key(2, i), vault=_key(3, i)) for i in range(2)],
)
TABLE = AddressLookupTableAccount(
    _key(8, 0),
    [state_pda(), DRIFT_PROGRAM_ID, *(perp_market_pda(i) for i in range(3)), spot_market_pda(0)]
    + [_key(1, i) for i in range(3)],
)
BUILDER = MakerTxBuilder(
    MAKER, DIRECTORY, maker_markets=UserMarkets(perp=(1,)), lookup_tables=[TABLE]
)
TAKER = TakerRef(
    _key(4, 0), _key(5, 0), UserMarkets(spot=(1,), perp=(2,)), (_key(6, 0), _key(6, 1))
)


def _merged(ixs: list[Instruction]) -> list[Instruction]:
    """Expected view after compilation: a key's flags are the OR over the whole message."""
    flags: dict[Pubkey, tuple[bool, bool]] = {MAKER.pubkey(): (True, True)}
    for ix in ixs:
        for m in ix.accounts:
            s, w = flags.get(m.pubkey, (False, False))
            flags[m.pubkey] = (s or m.is_signer, w or m.is_writable)
    return [
        Instruction(
            ix.program_id,
            ix.data,
            [AccountMeta(m.pubkey, *flags[m.pubkey]) for m in ix.accounts],
        )
        for ix in ixs
    ]


def test_decoded_jit_transaction_matches_the_instructions_built():
    params = JitParams(9, 10**9, -(10**9), -5, 5, PriceType.ORACLE, PostOnlyParam.SLIDE)
    tx = BUILDER.jit(
        TAKER, params, blockhash=Hash(bytes(32)), market_index=2, cu_limit=1000, cu_price=7
    )
    decoded = decode_transaction(tx.raw, [TABLE])
    assert decoded.version == 0
    assert decoded.verify()
    assert decoded.signatures == (tx.signature,)
    expected = _merged(
        BUILDER.jit_instructions(TAKER, params, market_index=2, cu_limit=1000, cu_price=7)
    )
    got = [Instruction(i.program_id, i.data, list(i.accounts)) for i in decoded.instructions]
    assert got == expected
    assert decoded.instructions[-1].decoded().args == {"params": params}
    assert decoded.instructions[0].decoded().args == {"units": 1000}


def test_decoded_place_and_make_and_mapping_tables():
    params = OrderParams(direction=PositionDirection.SHORT, base_asset_amount=5, price=6)
    tx = BUILDER.place_and_make(TAKER, params, 4, blockhash=Hash(bytes(32)))
    decoded = decode_transaction(tx.raw, {TABLE.key: list(TABLE.addresses)})
    assert decoded.instructions[-1].decoded().args["taker_order_id"] == 4
    assert decoded.is_signer[0] and decoded.is_writable[0]
    assert decoded.account_keys[0] == MAKER.pubkey()


def test_missing_table_tampering_and_legacy():
    tx = BUILDER.place_and_make(TAKER, OrderParams(), 1, blockhash=Hash(bytes(32)))
    with pytest.raises(DecodeError):
        decode_transaction(tx.raw)  # table not provided
    with pytest.raises(DecodeError):
        decode_transaction(b"\x01\x02")
    tampered = bytearray(tx.raw)
    tampered[-1] ^= 1
    assert not decode_transaction(bytes(tampered), [TABLE]).verify()
    legacy_ix = Instruction(_key(9, 9), b"x", [AccountMeta(_key(9, 8), False, True)])
    legacy = VersionedTransaction(Message([legacy_ix], MAKER.pubkey()), [MAKER])
    decoded = decode_transaction(bytes(legacy))
    assert decoded.version is None and decoded.verify()
    assert decoded.instructions[0].accounts[0] == AccountMeta(_key(9, 8), False, True)
