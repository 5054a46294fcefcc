"""Bank-level checks of ``execute_transaction``: wire decoding, signatures, blockhash, status
cache, lookup tables, compute budget, instruction decoding errors."""

from __future__ import annotations

import struct

from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from jitmaker.sim.ledger import Account
from jitmaker.sim.program import DRIFT, JIT_PROXY, execute_transaction
from jitmaker.sim.program.constants import ALT_PROGRAM, ix_discriminator
from tests.sim.program_world import (
    STATE_KEY,
    Pos,
    alt_bytes,
    cu_limit_ix,
    cu_price_ix,
    jit_data,
    jit_ix,
    make_world,
    place_taker,
    tx_legacy,
    tx_v0,
)


def _world():
    w = make_world(slot=1003, min_auction=0, reserve=150_250_000, long_spread=0)
    maker = w.add_trader("maker", 1, perps=[Pos(0, 1_200_000_000, -180_000_000)])
    taker = w.add_trader("taker", 2, next_order_id=17)
    place_taker(w, taker, 0, 5_000_000_000, 150_000_000, 150_751_000, 7, at_slot=1000)
    data = jit_data(17, 5_000_000_000, -3_000_000_000, -40_000, 40_000, price_type=1)
    return w, maker, taker, jit_ix(w, maker, taker, data)


def test_v0_and_legacy_transactions_both_execute():
    w, maker, _, ix = _world()
    v0 = execute_transaction(tx_v0(w, maker.kp, [ix]), w.ledger, w.ctx)
    legacy = execute_transaction(tx_legacy(w, maker.kp, [ix]), w.ledger, w.ctx)
    assert v0.err is None and legacy.err is None, (v0.logs, legacy.logs)
    assert v0.fills[0].base == legacy.fills[0].base == 4_200_000_000
    assert v0.changed.keys() == legacy.changed.keys()
    assert v0.signature != legacy.signature


def test_signature_is_first_signature_and_ledger_untouched():
    w, maker, taker, ix = _world()
    raw = tx_v0(w, maker.kp, [ix])
    before = w.data(taker.user)
    result = execute_transaction(raw, w.ledger, w.ctx)
    assert bytes(result.signature) == raw[1:65]
    assert w.data(taker.user) == before  # the caller commits, not the executor
    assert taker.user in result.changed and maker.user in result.changed


def test_bad_signature_is_rejected_and_skippable():
    w, maker, _, ix = _world()
    raw = bytearray(tx_v0(w, maker.kp, [ix]))
    raw[10] ^= 0xFF
    result = execute_transaction(bytes(raw), w.ledger, w.ctx)
    assert result.err == "SignatureFailure" and result.changed == {}
    w.ctx.verify_signatures = False  # simulateTransaction with sigVerify false
    assert execute_transaction(bytes(raw), w.ledger, w.ctx).err is None


def test_unknown_or_expired_blockhash():
    w, maker, _, ix = _world()
    result = execute_transaction(
        tx_v0(w, maker.kp, [ix], blockhash=Hash.new_unique()), w.ledger, w.ctx
    )
    assert result.err == "BlockhashNotFound" and result.logs == []
    w.ctx.block_height = w.ctx.blockhashes[w.blockhash] + 1  # past lastValidBlockHeight
    assert execute_transaction(tx_v0(w, maker.kp, [ix]), w.ledger, w.ctx).err == (
        "BlockhashNotFound"
    )


def test_already_processed():
    w, maker, _, ix = _world()
    raw = tx_v0(w, maker.kp, [ix])
    first = execute_transaction(raw, w.ledger, w.ctx)
    w.ctx.processed.add(first.signature)
    assert execute_transaction(raw, w.ledger, w.ctx).err == "AlreadyProcessed"


def test_fee_payer_must_exist():
    w, _, _, _ = _world()
    ghost = Keypair.from_seed(bytes([55]) * 32)
    ix = Instruction(JIT_PROXY, b"", [])
    assert execute_transaction(tx_v0(w, ghost, [ix]), w.ledger, w.ctx).err == "AccountNotFound"


def test_garbage_is_sanitize_failure():
    w, maker, _, ix = _world()
    raw = tx_v0(w, maker.kp, [ix])
    assert execute_transaction(raw[:-3], w.ledger, w.ctx).err == "SanitizeFailure"
    assert execute_transaction(b"\x01", w.ledger, w.ctx).err == "SanitizeFailure"


def test_lookup_table_resolution():
    w, maker, _taker, ix = _world()
    table_key = Pubkey.from_string("7YzkmQ1pDBVhtKNRCZ7hCHm3JbNuN7eXRV1jmwWn2s2s")
    addresses = [STATE_KEY, w.oracle, w.spot, w.market, DRIFT]
    w.ledger.put(table_key, Account(10**9, alt_bytes(addresses), ALT_PROGRAM), 0)
    alt = AddressLookupTableAccount(table_key, addresses)
    raw = tx_v0(w, maker.kp, [ix], alts=[alt])
    assert raw.count(bytes(w.market)) == 0  # the market really travels through the table
    result = execute_transaction(raw, w.ledger, w.ctx)
    assert result.err is None, result.logs
    assert w.market in result.changed  # writable via the table
    # a table the ledger does not hold
    missing = AddressLookupTableAccount(Pubkey.new_unique(), addresses)
    result = execute_transaction(tx_v0(w, maker.kp, [ix], alts=[missing]), w.ledger, w.ctx)
    assert result.err == "AddressLookupTableNotFound"


def test_compute_budget_exceeded_and_bad_budget_data():
    w, maker, _, ix = _world()
    result = execute_transaction(
        tx_v0(w, maker.kp, [cu_limit_ix(20_000), cu_price_ix(1), ix]), w.ledger, w.ctx
    )
    assert result.err == {"InstructionError": [2, "ComputationalBudgetExceeded"]}
    assert result.changed == {}
    bad = Instruction(cu_limit_ix(1).program_id, bytes([2, 1]), [])
    result = execute_transaction(tx_v0(w, maker.kp, [bad, ix]), w.ledger, w.ctx)
    assert result.err == {"InstructionError": [0, "InvalidInstructionData"]}


def test_unknown_discriminator_and_undecodable_data():
    w, maker, _taker, ix = _world()
    metas = list(ix.accounts)
    unknown = Instruction(DRIFT, b"\x01" * 16, metas[:6])
    result = execute_transaction(tx_v0(w, maker.kp, [unknown]), w.ledger, w.ctx)
    assert result.err == {"InstructionError": [0, {"Custom": 101}]}
    assert result.logs[-1] == f"Program {DRIFT} failed: custom program error: 0x65"
    truncated = Instruction(
        DRIFT, ix_discriminator("place_and_make_perp_order") + b"\x01\x01", metas[:6]
    )
    result = execute_transaction(tx_v0(w, maker.kp, [truncated]), w.ledger, w.ctx)
    assert result.err == {"InstructionError": [0, {"Custom": 102}]}
    bad_jit = Instruction(JIT_PROXY, ix.data[:20], metas)
    result = execute_transaction(tx_v0(w, maker.kp, [bad_jit]), w.ledger, w.ctx)
    assert result.err == {"InstructionError": [0, {"Custom": 102}]}
    assert result.logs[-1] == f"Program {JIT_PROXY} failed: custom program error: 0x66"


def test_account_owner_and_discriminator_checks():
    w, maker, taker, ix = _world()
    metas = list(ix.accounts)
    swapped = list(metas)
    swapped[2] = AccountMeta(taker.user, False, True)  # a User where UserStats belongs
    result = execute_transaction(
        tx_v0(w, maker.kp, [Instruction(JIT_PROXY, ix.data, swapped)]), w.ledger, w.ctx
    )
    assert result.err == {"InstructionError": [0, {"Custom": 3002}]}
    assert any("caused by account: user_stats" in x for x in result.logs)
    foreign = list(metas)
    foreign[0] = AccountMeta(w.oracle, False, False)  # Pyth-owned account as State
    result = execute_transaction(
        tx_v0(w, maker.kp, [Instruction(JIT_PROXY, ix.data, foreign)]), w.ledger, w.ctx
    )
    assert result.err == {"InstructionError": [0, {"Custom": 3007}]}


def test_readonly_user_is_constraint_mut():
    w, maker, _, ix = _world()
    metas = list(ix.accounts)
    metas[1] = AccountMeta(metas[1].pubkey, False, False)
    result = execute_transaction(
        tx_v0(w, maker.kp, [Instruction(JIT_PROXY, ix.data, metas)]), w.ledger, w.ctx
    )
    assert result.err == {"InstructionError": [0, {"Custom": 2000}]}


def test_failure_in_second_instruction_reverts_the_first():
    w, maker, taker, ix = _world()
    # the first jit fills 4.2; the second (same taker, now 0.8 left) breaches max_position
    second = jit_ix(
        w, maker, taker, jit_data(17, 5_000_000_000, -3_000_000_000, -40_000, 40_000, price_type=1)
    )
    result = execute_transaction(tx_v0(w, maker.kp, [ix, second]), w.ledger, w.ctx)
    assert result.err == {"InstructionError": [1, {"Custom": 6008}]}
    assert result.changed == {} and result.fills == []
    assert struct.unpack_from("<Q", w.data(taker.user), 1192 + 24)[0] == 0


def test_bot_jit_tx_builder_executes():
    """The bot's own ``jit`` transaction (jitmaker.chain) decodes and fills in the simulator."""
    from jitmaker.chain.instructions import JitParams, PriceType
    from jitmaker.chain.maker_tx import TakerRef, build_jit_tx
    from jitmaker.chain.remaining import MarketDirectory, PerpMarketRef, SpotMarketRef

    w, maker, taker, _ = _world()
    markets = MarketDirectory([PerpMarketRef(0, w.oracle)], [SpotMarketRef(0, Pubkey.default())])
    params = JitParams(17, 5_000_000_000, -3_000_000_000, -40_000, 40_000, PriceType.ORACLE)
    signed = build_jit_tx(
        maker.kp,
        w.blockhash,
        TakerRef(taker.user, taker.stats),
        params,
        markets,
        market_index=0,
        cu_limit=400_000,
        cu_price=1_000,
    )
    result = execute_transaction(signed.raw, w.ledger, w.ctx)
    assert result.err is None, result.logs
    assert bytes(result.signature) == signed.signature
    (fill,) = result.fills
    assert (fill.base, fill.price, fill.quote) == (4_200_000_000, 150_250_000, 631_050_000)


def test_place_perp_order_and_cancel_order_transactions():
    from jitmaker.accounts.enums import OrderStatus
    from jitmaker.sim.program import OrderParams
    from tests.sim.program_world import encode_order_params, read_user

    w, _, taker, _ = _world()
    base_metas = [
        AccountMeta(STATE_KEY, False, False),
        AccountMeta(taker.user, False, True),
        AccountMeta(taker.authority, True, False),
    ]
    remaining = w.remaining_metas()
    params = OrderParams(
        0,
        1,
        1,
        2_000_000_000,
        auction_start_price=150_100_000,
        auction_end_price=149_500_000,
        auction_duration=12,
    )
    place = Instruction(
        DRIFT,
        ix_discriminator("place_perp_order") + encode_order_params(params),
        base_metas + remaining,
    )
    result = execute_transaction(tx_v0(w, taker.kp, [place]), w.ledger, w.ctx)
    assert result.err is None, result.logs
    assert "Program log: Instruction: PlacePerpOrder" in result.logs
    w.commit(result)
    user = read_user(w, taker.user)
    assert (user.open_orders, user.open_auctions) == (2, 2)
    new_index = user.find_open_order(18)
    assert user.order(new_index).auction_duration == 12
    cancel = Instruction(
        DRIFT,
        ix_discriminator("cancel_order") + b"\x01" + struct.pack("<I", 18),
        base_metas + remaining,
    )
    result = execute_transaction(tx_v0(w, taker.kp, [cancel]), w.ledger, w.ctx)
    assert result.err is None, result.logs
    w.commit(result)
    user = read_user(w, taker.user)
    assert user.order(new_index).status == OrderStatus.CANCELED
    assert (user.open_orders, user.open_auctions) == (1, 1)
    again = execute_transaction(tx_v0(w, taker.kp, [cancel, cu_price_ix(1)]), w.ledger, w.ctx)
    assert again.err == {"InstructionError": [0, {"Custom": 6061}]}


def test_missing_accounts_follow_anchor_account_types():
    w, maker, _, ix = _world()
    ghost = Pubkey.new_unique()
    metas = list(ix.accounts)
    no_taker = [*metas[:3], AccountMeta(ghost, False, True), *metas[4:]]
    result = execute_transaction(
        tx_v0(w, maker.kp, [Instruction(JIT_PROXY, ix.data, no_taker)]), w.ledger, w.ctx
    )
    # AccountLoader<User>: an absent account is system-owned → AccountOwnedByWrongProgram
    assert result.err == {"InstructionError": [0, {"Custom": 3007}]}
    assert any("caused by account: taker" in x for x in result.logs)
    no_state = [AccountMeta(ghost, False, False), *metas[1:]]
    result = execute_transaction(
        tx_v0(w, maker.kp, [Instruction(JIT_PROXY, ix.data, no_state)]), w.ledger, w.ctx
    )
    # Account<State>: AccountNotInitialized
    assert result.err == {"InstructionError": [0, {"Custom": 3012}]}


def test_truncated_account_data_is_an_error_not_a_crash(monkeypatch):
    w, maker, taker, ix = _world()
    user = w.data(taker.user)
    w.ledger.put(taker.user, Account(10**9, user[:200], DRIFT), 0)
    result = execute_transaction(tx_v0(w, maker.kp, [ix]), w.ledger, w.ctx)
    assert result.err == {"InstructionError": [0, {"Custom": 3003}]}  # AccountDidNotDeserialize
    w.ledger.put(taker.user, Account(10**9, user, DRIFT), 0)
    # a perp market image cut short is not a market for load_maps → PerpMarketNotFound
    market = w.data(w.market)
    w.ledger.put(w.market, Account(10**9, market[:1170], DRIFT), 0)
    result = execute_transaction(tx_v0(w, maker.kp, [ix]), w.ledger, w.ctx)
    assert result.err == {"InstructionError": [0, {"Custom": 6078}]}
    w.ledger.put(w.market, Account(10**9, market, DRIFT), 0)

    # any unexpected exception inside a program surfaces as ProgramFailedToComplete
    from jitmaker.sim.program.drift import DriftEngine

    def boom(*_a, **_k):
        raise RuntimeError("boom")

    monkeypatch.setattr(DriftEngine, "place_perp_order", boom)
    result = execute_transaction(tx_v0(w, maker.kp, [ix]), w.ledger, w.ctx)
    assert result.err == {"InstructionError": [0, "ProgramFailedToComplete"]}
    assert "Program log: panicked: RuntimeError: boom" in result.logs
    assert result.logs[-1] == f"Program {JIT_PROXY} failed: Program failed to complete"
    assert result.changed == {}


def test_lookup_table_deactivated_long_ago_is_not_found():
    w, maker, _, ix = _world()
    table_key = Pubkey.from_string("7YzkmQ1pDBVhtKNRCZ7hCHm3JbNuN7eXRV1jmwWn2s2s")
    addresses = [STATE_KEY, w.oracle, w.spot, w.market, DRIFT]
    alt = AddressLookupTableAccount(table_key, addresses)
    raw = tx_v0(w, maker.kp, [ix], alts=[alt])
    data = bytearray(alt_bytes(addresses))
    struct.pack_into("<Q", data, 4, w.ctx.slot - 600)  # deactivated 600 slots ago
    w.ledger.put(table_key, Account(10**9, bytes(data), ALT_PROGRAM), 0)
    assert execute_transaction(raw, w.ledger, w.ctx).err == "AddressLookupTableNotFound"
    struct.pack_into("<Q", data, 4, w.ctx.slot - 100)  # still deactivating: usable
    w.ledger.put(table_key, Account(10**9, bytes(data), ALT_PROGRAM), 0)
    assert execute_transaction(raw, w.ledger, w.ctx).err is None
