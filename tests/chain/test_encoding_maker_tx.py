"""Signed maker transactions: wire validity, signature, account flags, ALT resolution, templates."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import MessageV0, to_bytes_versioned
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from jitmaker.accounts import User, decode_user, encode_user
from jitmaker.accounts.enums import (
    MarketType,
    PositionDirection,
    PostOnlyParam,
    SpotFulfillmentType,
)
from jitmaker.chain.instructions import (
    IX_JIT,
    IX_PLACE_AND_MAKE_PERP_ORDER,
    IX_PLACE_AND_MAKE_SPOT_ORDER,
    JitParams,
    OrderParams,
    PriceType,
    decode_jit_data,
)
from jitmaker.chain.maker_tx import MakerTxBuilder, TakerRef, build_jit_tx
from jitmaker.chain.pdas import (
    COMPUTE_BUDGET_PROGRAM_ID,
    DRIFT_PROGRAM_ID,
    JIT_PROXY_PROGRAM_ID,
    perp_market_pda,
    spot_market_pda,
    state_pda,
    user_pda,
    user_stats_pda,
)
from jitmaker.chain.remaining import MarketDirectory, PerpMarketRef, SpotMarketRef, UserMarkets
from jitmaker.errors import EncodeError


def _key(tag: int, i: int) -> Pubkey:
    return Pubkey.from_bytes(bytes([tag, i]) + bytes(30))


PERPS = [PerpMarketRef(i, _key(1, i)) for i in range(6)]
SPOTS = [SpotMarketRef(i, _key(2, i), vault=_key(3, i)) for i in range(4)]
DIRECTORY = MarketDirectory(PERPS, SPOTS)
MAKER = Keypair.from_seed(bytes([42]) * 32)
# A 256-key table like Drift's market lookup table: state, program, markets, oracles, filler.
TABLE_KEYS = [
    state_pda(),
    DRIFT_PROGRAM_ID,
    *(perp_market_pda(i) for i in range(6)),
    *(spot_market_pda(i) for i in range(4)),
    *(m.oracle for m in PERPS),
    *(m.oracle for m in SPOTS),
]
TABLE_KEYS += [_key(7, i) for i in range(256 - len(TABLE_KEYS))]
TABLE = AddressLookupTableAccount(_key(8, 0), TABLE_KEYS)
BLOCKHASH = Hash(bytes(range(32)))

takers = st.builds(
    TakerRef,
    user=st.integers(0, 3).map(lambda i: _key(4, i)),
    user_stats=st.integers(0, 3).map(lambda i: _key(5, i)),
    markets=st.builds(
        UserMarkets,
        spot=st.lists(st.integers(0, 3), max_size=3, unique=True).map(tuple),
        perp=st.lists(st.integers(0, 5), max_size=3, unique=True).map(tuple),
    ),
    referrer=st.none() | st.just((_key(6, 0), _key(6, 1))),
)
jit_params = st.builds(
    JitParams,
    taker_order_id=st.integers(0, 2**32 - 1),
    max_position=st.integers(-(2**63), 2**63 - 1),
    min_position=st.integers(-(2**63), 2**63 - 1),
    bid=st.integers(-(10**9), 10**9),
    ask=st.integers(-(10**9), 10**9),
    price_type=st.sampled_from(PriceType),
    post_only=st.none() | st.sampled_from(PostOnlyParam),
)
optional_u32 = st.none() | st.integers(0, 2**32 - 1)
optional_u64 = st.none() | st.integers(0, 2**64 - 1)


def _builder(**kw) -> MakerTxBuilder:
    kw.setdefault("maker_markets", UserMarkets(spot=(0,), perp=(1,)))
    kw.setdefault("lookup_tables", [TABLE])
    return MakerTxBuilder(MAKER, DIRECTORY, **kw)


SHARED = _builder()  # reused across examples: exercises the template cache


def _resolved(tx: VersionedTransaction, tables) -> list[tuple[Pubkey, bool, bool]]:
    """(key, is_signer, is_writable) of every account the transaction loads."""
    msg = tx.message
    header = msg.header
    static = list(msg.account_keys)
    n_sig = header.num_required_signatures
    n_static = len(static)
    out = []
    for i, key in enumerate(static):
        signer = i < n_sig
        writable = (
            i < n_sig - header.num_readonly_signed_accounts
            if signer
            else i < n_static - header.num_readonly_unsigned_accounts
        )
        out.append((key, signer, writable))
    by_key = {t.key: t.addresses for t in tables}
    writable_loaded, readonly_loaded = [], []
    for lookup in msg.address_table_lookups:
        addresses = by_key[lookup.account_key]
        writable_loaded += [(addresses[i], False, True) for i in lookup.writable_indexes]
        readonly_loaded += [(addresses[i], False, False) for i in lookup.readonly_indexes]
    return out + writable_loaded + readonly_loaded


@settings(max_examples=120)
@given(
    takers,
    jit_params,
    st.sampled_from(MarketType),
    st.integers(0, 3),
    optional_u32,
    optional_u64,
    st.binary(min_size=32, max_size=32),
)
def test_jit_tx_equals_solders_compile_and_verifies(
    taker, params, market_type, market_index, cu_limit, cu_price, blockhash
):
    tx = SHARED.jit(
        taker,
        params,
        blockhash=blockhash,
        market_index=market_index,
        market_type=market_type,
        cu_limit=cu_limit,
        cu_price=cu_price,
    )
    decoded = VersionedTransaction.from_bytes(tx.raw)
    assert decoded.verify_with_results() == [True]
    assert bytes(decoded.signatures[0]) == tx.signature
    assert str(decoded.signatures[0]) == tx.signature_b58
    instructions = SHARED.jit_instructions(
        taker,
        params,
        market_index=market_index,
        market_type=market_type,
        cu_limit=cu_limit,
        cu_price=cu_price,
    )
    reference = MessageV0.try_compile(MAKER.pubkey(), instructions, [TABLE], Hash(blockhash))
    assert to_bytes_versioned(reference) == to_bytes_versioned(decoded.message)
    # the template path must not leak anything from an earlier example
    fresh = _builder().jit(
        taker,
        params,
        blockhash=blockhash,
        market_index=market_index,
        market_type=market_type,
        cu_limit=cu_limit,
        cu_price=cu_price,
    )
    assert fresh.raw == tx.raw
    jit_ix = decoded.message.instructions[-1]
    assert decode_jit_data(bytes(jit_ix.data)) == params


def test_jit_account_flags_are_what_the_program_expects():
    taker = TakerRef(_key(4, 0), _key(5, 0), UserMarkets(perp=(2,)))
    params = JitParams(17, 10**9, -(10**9), -100, 100, PriceType.ORACLE)
    tx = SHARED.jit(
        taker, params, blockhash=BLOCKHASH, market_index=3, cu_limit=400_000, cu_price=5_000
    )
    decoded = VersionedTransaction.from_bytes(tx.raw)
    resolved = _resolved(decoded, [TABLE])
    flags = {key: (signer, writable) for key, signer, writable in resolved}
    msg = decoded.message
    assert msg.header.num_required_signatures == 1
    assert resolved[0][0] == MAKER.pubkey()  # fee payer = authority
    assert flags[MAKER.pubkey()] == (True, True)
    assert flags[state_pda()] == (False, False)
    for writable in (
        user_pda(MAKER.pubkey()),
        user_stats_pda(MAKER.pubkey()),
        taker.user,
        taker.user_stats,
        perp_market_pda(3),  # the order's market
    ):
        assert flags[writable] == (False, True)
    for readonly in (DRIFT_PROGRAM_ID, perp_market_pda(2), perp_market_pda(1), PERPS[3].oracle):
        assert flags[readonly] == (False, False)
    keys = [key for key, _, _ in resolved]
    programs = [keys[ix.program_id_index] for ix in msg.instructions]
    assert programs == [COMPUTE_BUDGET_PROGRAM_ID, COMPUTE_BUDGET_PROGRAM_ID, JIT_PROXY_PROGRAM_ID]
    jit_accounts = [keys[i] for i in msg.instructions[2].accounts]
    assert jit_accounts[:7] == [
        state_pda(),
        user_pda(MAKER.pubkey()),
        user_stats_pda(MAKER.pubkey()),
        taker.user,
        taker.user_stats,
        MAKER.pubkey(),
        DRIFT_PROGRAM_ID,
    ]
    assert bytes(msg.instructions[2].data)[:8] == IX_JIT
    assert bytes(msg.instructions[0].data) == b"\x02" + (400_000).to_bytes(4, "little")
    assert bytes(msg.instructions[1].data) == b"\x03" + (5_000).to_bytes(8, "little")
    # market keys came from the lookup table, keeping the transaction small
    assert len(msg.account_keys) <= 8
    assert len(tx.raw) < 600


@settings(max_examples=60)
@given(
    takers,
    st.sampled_from(MarketType),
    st.integers(0, 3),
    st.sampled_from(PositionDirection),
    st.integers(0, 2**32 - 1),
    st.none() | st.sampled_from(SpotFulfillmentType),
    optional_u32,
    optional_u64,
)
def test_place_and_make_tx_equals_solders_compile(
    taker, market_type, market_index, direction, taker_order_id, fulfillment, cu_limit, cu_price
):
    params = OrderParams(
        market_type=market_type,
        market_index=market_index,
        direction=direction,
        base_asset_amount=10**9,
        price=150 * 10**6,
    )
    tx = SHARED.place_and_make(
        taker,
        params,
        taker_order_id,
        blockhash=BLOCKHASH,
        cu_limit=cu_limit,
        cu_price=cu_price,
        fulfillment_type=fulfillment,
    )
    decoded = VersionedTransaction.from_bytes(tx.raw)
    assert decoded.verify_with_results() == [True]
    instructions = SHARED.place_and_make_instructions(
        taker,
        params,
        taker_order_id,
        cu_limit=cu_limit,
        cu_price=cu_price,
        fulfillment_type=fulfillment,
    )
    reference = MessageV0.try_compile(MAKER.pubkey(), instructions, [TABLE], BLOCKHASH)
    assert to_bytes_versioned(reference) == to_bytes_versioned(decoded.message)
    ix = instructions[-1]
    assert ix.program_id == DRIFT_PROGRAM_ID
    expected = (
        IX_PLACE_AND_MAKE_PERP_ORDER
        if market_type == MarketType.PERP
        else IX_PLACE_AND_MAKE_SPOT_ORDER
    )
    assert bytes(ix.data)[:8] == expected
    if market_type == MarketType.SPOT:
        tail = ix.accounts[-2:]
        assert [m.pubkey for m in tail] == [SPOTS[market_index].vault, SPOTS[0].vault]
        assert not any(m.is_writable for m in tail)
        writable = {m.pubkey for m in ix.accounts if m.is_writable}
        assert {spot_market_pda(market_index), spot_market_pda(0)} <= writable


def test_maker_market_change_invalidates_templates():
    builder = _builder(maker_markets=UserMarkets())
    taker = TakerRef(_key(4, 1), _key(5, 1))
    params = JitParams(1, 10, -10, 0, 0)
    before = builder.jit(taker, params, blockhash=BLOCKHASH, market_index=0)
    builder.set_maker_markets(UserMarkets(perp=(5,)))
    after = builder.jit(taker, params, blockhash=BLOCKHASH, market_index=0)
    keys = {key for key, _, _ in _resolved(VersionedTransaction.from_bytes(after.raw), [TABLE])}
    assert perp_market_pda(5) in keys
    assert before.raw != after.raw
    builder.set_lookup_tables([])
    no_table = VersionedTransaction.from_bytes(
        builder.jit(taker, params, blockhash=BLOCKHASH, market_index=0).raw
    )
    assert list(no_table.message.address_table_lookups) == []
    assert perp_market_pda(5) in list(no_table.message.account_keys)


def test_delegate_signs_for_the_owner_account():
    owner = _key(9, 9)
    builder = _builder(user_authority=owner, sub_account_id=2)
    ixs = builder.jit_instructions(
        TakerRef(_key(4, 0), _key(5, 0)), JitParams(1, 1, 1, 1, 1), market_index=0
    )
    accounts = [m.pubkey for m in ixs[-1].accounts]
    assert accounts[1] == user_pda(owner, 2)
    assert accounts[2] == user_stats_pda(owner)
    assert accounts[5] == MAKER.pubkey()


def test_blockhash_forms_and_one_shot_builder_agree():
    taker = TakerRef(_key(4, 2), _key(5, 2))
    params = JitParams(3, 10, -10, 1, 2)
    args = dict(market_index=1, cu_limit=1000, cu_price=1)
    a = SHARED.jit(taker, params, blockhash=BLOCKHASH, **args)
    b = SHARED.jit(taker, params, blockhash=bytes(BLOCKHASH), **args)
    c = SHARED.jit(taker, params, blockhash=str(BLOCKHASH), **args)
    assert a == b == c
    one_shot = build_jit_tx(
        MAKER,
        BLOCKHASH,
        taker,
        params,
        DIRECTORY,
        maker_markets=SHARED.maker_markets,
        lookup_tables=[TABLE],
        **args,
    )
    assert one_shot == a
    with pytest.raises(EncodeError):
        SHARED.jit(taker, params, blockhash=b"short", **args)


def test_unknown_market_is_an_encode_error():
    with pytest.raises(EncodeError):
        SHARED.jit(
            TakerRef(_key(4, 0), _key(5, 0)),
            JitParams(1, 1, 1, 1, 1),
            blockhash=BLOCKHASH,
            market_index=77,
        )


def test_taker_ref_for_a_decoded_user_record():
    authority = _key(11, 0)
    user = User.new(
        authority=authority,
        perp_positions=[
            {"market_index": 2, "base_asset_amount": -(10**9), "quote_asset_amount": 5},
            {"market_index": 4},  # empty slot: contributes nothing
        ],
        spot_positions=[{"market_index": 1, "scaled_balance": 10**9, "open_bids": 3}],
    )
    decoded = decode_user(encode_user(user))
    referrer = _key(12, 0)
    taker = TakerRef.for_user(_key(13, 0), decoded, referrer_authority=bytes(referrer))
    assert taker.user == _key(13, 0)
    assert taker.user_stats == user_stats_pda(authority)
    assert taker.markets == UserMarkets(spot=(1, 0), perp=(2,))
    assert taker.referrer == (user_pda(referrer, 0), user_stats_pda(referrer))
    assert TakerRef.for_user(_key(13, 0), decoded, referrer_authority=bytes(32)).referrer is None
    ix = SHARED.jit_instructions(taker, JitParams(1, 1, 1, 1, 1), market_index=0)[-1]
    accounts = [m.pubkey for m in ix.accounts]
    assert perp_market_pda(2) in accounts and spot_market_pda(1) in accounts
    assert accounts[-2:] == list(taker.referrer)


def test_recently_used_markets_stay_until_the_maker_update_reports_them():
    builder = _builder(maker_markets=UserMarkets(perp=(1,)))
    builder.note_market_used(MarketType.PERP, 4, slot=100)
    builder.note_market_used(MarketType.SPOT, 2, slot=100)
    assert builder.maker_markets == UserMarkets(spot=(2,), perp=(1, 4))
    taker = TakerRef(_key(4, 3), _key(5, 3))
    ix = builder.jit_instructions(taker, JitParams(1, 1, 1, 1, 1), market_index=0)[-1]
    keys = {m.pubkey for m in ix.accounts}
    assert perp_market_pda(4) in keys and spot_market_pda(2) in keys
    tx = builder.jit(taker, JitParams(1, 1, 1, 1, 1), blockhash=BLOCKHASH, market_index=0)
    resolved = {k for k, _, _ in _resolved(VersionedTransaction.from_bytes(tx.raw), [TABLE])}
    assert perp_market_pda(4) in resolved
    # an older account update does not drop the note ...
    builder.set_maker_markets(UserMarkets(perp=(1,)), user_slot=99)
    assert builder.maker_markets == UserMarkets(spot=(2,), perp=(1, 4))
    # ... one at/after the fill slot is authoritative
    builder.set_maker_markets(UserMarkets(perp=(1, 4)), user_slot=100)
    assert builder.maker_markets == UserMarkets(perp=(1, 4))
    builder.set_maker_markets(UserMarkets(perp=(1,)), user_slot=101)
    assert builder.maker_markets == UserMarkets(perp=(1,))
    after = builder.jit(taker, JitParams(1, 1, 1, 1, 1), blockhash=BLOCKHASH, market_index=0)
    resolved = {k for k, _, _ in _resolved(VersionedTransaction.from_bytes(after.raw), [TABLE])}
    assert perp_market_pda(4) not in resolved
