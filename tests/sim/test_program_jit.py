"""jit-proxy ``jit`` and Drift ``place_and_make`` through ``execute_transaction``.

Expected numbers are the protocol's worked examples (§4.8 #17–#22) or computed by hand in the
comments; nothing here is derived from the code under test.
"""

from __future__ import annotations

from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from jitmaker.accounts.enums import OrderStatus, OrderType, PostOnlyParam
from jitmaker.sim.ledger import Account
from jitmaker.sim.program import DRIFT, JIT_PROXY, OrderParams, execute_transaction
from tests.sim.program_world import (
    STATE_KEY,
    Pos,
    cu_limit_ix,
    cu_price_ix,
    jit_data,
    jit_ix,
    make_world,
    place_and_make_ix,
    place_taker,
    read_market,
    read_stats,
    read_user,
    tx_v0,
)

LONG, SHORT = 0, 1
FAILED_JIT = f"Program {JIT_PROXY} failed: custom program error: "
FAILED_DRIFT = f"Program {DRIFT} failed: custom program error: "


def _run(w, maker, ixs, signer=None):
    payer = signer or maker.kp
    tx = tx_v0(w, payer, [cu_limit_ix(1_000_000), cu_price_ix(5_000), *ixs])
    return execute_transaction(tx, w.ledger, w.ctx)


def _world_17(**world):
    """Worked example #17/#18: taker long market auction 150.000→150.751 over 7 slots;
    ``world`` adds make_world options (TWAP, oracle kind, fee adjustment, AMM JIT)."""
    w = make_world(slot=1003, min_auction=0, reserve=150_250_000, long_spread=0, **world)
    maker = w.add_trader("maker", 1, perps=[Pos(0, 1_200_000_000, -180_000_000)])
    taker = w.add_trader("taker", 2, next_order_id=17)
    oid = place_taker(w, taker, LONG, 5_000_000_000, 150_000_000, 150_751_000, 7, at_slot=1000)
    assert oid == 17
    return w, maker, taker


def test_worked_examples_17_18_19_fill_price_size_and_fees():
    w, maker, taker = _world_17()
    m_before = read_market(w)
    data = jit_data(17, 5_000_000_000, -3_000_000_000, -40_000, 40_000, price_type=1)
    result = _run(w, maker, [jit_ix(w, maker, taker, data)])
    assert result.err is None, result.logs
    (fill,) = result.fills
    assert (fill.base, fill.price, fill.quote) == (4_200_000_000, 150_250_000, 631_050_000)
    assert (fill.taker_fee, fill.maker_rebate) == (631_050, 126_210)
    assert fill.maker == maker.user and fill.taker == taker.user and fill.taker_order_id == 17
    w.commit(result)

    t_user, m_user = read_user(w, taker.user), read_user(w, maker.user)
    t_order = t_user.order(t_user.find_open_order(17))
    assert t_order.base_asset_amount_filled == 4_200_000_000
    assert t_order.quote_asset_amount_filled == 631_050_000
    assert t_order.status == OrderStatus.OPEN  # 0.8 SOL left
    assert (t_user.open_orders, t_user.open_auctions) == (1, 1)
    assert w.data(taker.user)[4352] == 1 and w.data(taker.user)[4354] == 1

    # maker's IOC order is Filled, counters back to zero
    m_order = m_user.order(0)
    assert m_order.status == OrderStatus.FILLED and m_order.order_id == 1
    assert m_order.is_jit_maker and m_order.price == 150_250_000
    assert (m_user.open_orders, m_user.open_auctions) == (0, 0)
    assert w.data(maker.user)[4352] == 0

    # positions: taker long 4.2 at 631.05 minus fee; maker flips 1.2 long → 3.0 short
    tp = t_user.find_perp(0)
    assert tp.base_asset_amount == 4_200_000_000
    assert tp.quote_asset_amount == -631_050_000 - 631_050
    assert tp.quote_entry_amount == -631_050_000
    assert tp.quote_break_even_amount == -631_050_000 - 631_050
    assert (tp.open_bids, tp.open_orders) == (800_000_000, 1)
    mp = m_user.find_perp(0)
    assert mp.base_asset_amount == -3_000_000_000
    assert mp.quote_asset_amount == -180_000_000 + 631_050_000 + 126_210
    assert mp.quote_entry_amount == 450_750_000  # 631.05 * 3.0 / 4.2: the part that opened
    assert (mp.open_asks, mp.open_orders) == (0, 0)

    # stats and market
    assert read_stats(w, taker.stats).total_fee_paid == 631_050
    assert read_stats(w, taker.stats).taker_volume_30d == 631_050_000
    assert read_stats(w, maker.stats).total_fee_rebate == 126_210
    assert read_stats(w, maker.stats).maker_volume_30d == 631_050_000
    m_after = read_market(w)
    assert m_after.base_asset_amount_long - m_before.base_asset_amount_long == 3_000_000_000
    assert m_after.base_asset_amount_short - m_before.base_asset_amount_short == -3_000_000_000
    assert m_after.last_fill_price == 150_250_000


def test_logs_show_jit_and_drift_frames_on_success():
    w, maker, taker = _world_17()
    data = jit_data(17, 5_000_000_000, -3_000_000_000, -40_000, 40_000, price_type=1)
    result = _run(w, maker, [jit_ix(w, maker, taker, data)])
    logs = result.logs
    assert logs[4] == f"Program {JIT_PROXY} invoke [1]"
    assert "Program log: Instruction: Jit" in logs
    assert f"Program {DRIFT} invoke [2]" in logs
    assert "Program log: Instruction: PlaceAndMakePerpOrder" in logs
    assert logs[-1] == f"Program {JIT_PROXY} success"
    assert 0 < result.units_consumed <= 1_000_000


def test_worked_example_21_maker_bid_improved_to_amm_bid():
    # AMM bid exactly 149_980_000 (reserve 149.98, no short spread)
    w = make_world(slot=1003, min_auction=0, reserve=149_980_000, long_spread=1_000, short_spread=0)
    maker = w.add_trader("maker", 1)
    taker = w.add_trader("taker", 2)
    oid = place_taker(w, taker, SHORT, 2_000_000_000, 149_950_000, 149_950_000, 10, at_slot=1000)
    data = jit_data(oid, 10_000_000_000, -10_000_000_000, 150_000_000, 151_000_000, 0)
    result = _run(w, maker, [jit_ix(w, maker, taker, data)])
    assert result.err is None, result.logs
    (fill,) = result.fills
    assert fill.price == 149_980_000
    assert fill.base == 2_000_000_000
    assert fill.quote == 299_960_000  # maker long rounds down: 149.98 * 2
    w.commit(result)
    t_user = read_user(w, taker.user)
    assert t_user.order(0).status == OrderStatus.FILLED
    assert (t_user.open_orders, t_user.open_auctions) == (0, 0)
    assert w.data(taker.user)[4352] == 0 and w.data(taker.user)[4354] == 0


def test_worked_example_20_bid_not_crossed():
    w = make_world(slot=1003, min_auction=0)
    maker = w.add_trader("maker", 1)
    taker = w.add_trader("taker", 2)
    oid = place_taker(w, taker, SHORT, 1_000_000_000, 150_000_000, 150_000_000, 10, at_slot=1000)
    data = jit_data(oid, 10_000_000_000, -10_000_000_000, 149_900_000, 151_000_000, 0)
    result = _run(w, maker, [jit_ix(w, maker, taker, data)])
    assert result.err == {"InstructionError": [2, {"Custom": 6000}]}
    assert result.changed == {} and result.fills == []
    assert "Program log: taker price 150000000 > worst bid 149900000" in result.logs
    assert any("Error Code: BidNotCrossed. Error Number: 6000" in x for x in result.logs)
    assert result.logs[-1] == FAILED_JIT + "0x1770"
    assert f"Program {DRIFT} invoke [2]" not in result.logs


def test_ask_not_crossed():
    w, maker, taker = _world_17()
    # worst ask 151.0 > taker price 150.3218 at slot 1003
    data = jit_data(17, 5_000_000_000, -3_000_000_000, 0, 151_000_000, 0)
    result = _run(w, maker, [jit_ix(w, maker, taker, data)])
    assert result.err == {"InstructionError": [2, {"Custom": 6001}]}
    assert result.logs[-1] == FAILED_JIT + "0x1771"


def test_worked_example_22_position_limit_breached():
    w = make_world(slot=1003, min_auction=0)
    maker = w.add_trader("maker", 1, perps=[Pos(0, 995_000_000, -149_000_000)])
    taker = w.add_trader("taker", 2)
    oid = place_taker(w, taker, SHORT, 1_000_000_000, 150_000_000, 150_000_000, 10, at_slot=1000)
    data = jit_data(oid, 1_000_000_000, -1_000_000_000, 151_000_000, 152_000_000, 0)
    result = _run(w, maker, [jit_ix(w, maker, taker, data)])
    assert result.err == {"InstructionError": [2, {"Custom": 6008}]}
    assert result.logs[-1] == FAILED_JIT + "0x1778"


def test_several_makers_partial_fills_then_taker_order_not_found():
    w = make_world(slot=1000, min_auction=0, reserve=152_000_000)  # AMM ask far above
    taker = w.add_trader("taker", 2)
    makers = [w.add_trader(f"m{i}", 10 + i) for i in range(4)]
    oid = place_taker(w, taker, LONG, 5_000_000_000, 150_000_000, 150_751_000, 7, at_slot=1000)
    # maker i may sell min_position room: 2.0, 1.5, 3.0 SOL; ask price Limit 149.0 crosses
    rooms = [2_000_000_000, 1_500_000_000, 3_000_000_000]
    # taker price at slots 1001..1003: 150_000_000 + 751_000*k//7, long rounds down to tick
    expected = [
        (1001, 150_107_200, 2_000_000_000),
        (1002, 150_214_500, 1_500_000_000),
        (1003, 150_321_800, 1_500_000_000),
    ]
    for (slot, price, base), maker, room in zip(expected, makers[:3], rooms, strict=True):
        w.ctx.slot = slot
        data = jit_data(oid, 10_000_000_000, -room, 0, 149_000_000, 0)
        result = _run(w, maker, [jit_ix(w, maker, taker, data)])
        assert result.err is None, result.logs
        (fill,) = result.fills
        assert (fill.price, fill.base) == (price, base)
        w.commit(result)
    t_user = read_user(w, taker.user)
    order = t_user.order(0)
    assert order.status == OrderStatus.FILLED
    assert order.base_asset_amount_filled == 5_000_000_000
    assert order.quote_asset_amount_filled == sum(
        p * b // 10**9 + (1 if p * b % 10**9 else 0) for _, p, b in expected
    )
    assert (t_user.open_orders, t_user.open_auctions) == (0, 0)
    assert t_user.find_perp(0).base_asset_amount == 5_000_000_000
    assert t_user.find_perp(0).open_bids == 0
    # jit sizes the third maker at min(room 3.0, taker unfilled 1.5)
    m3 = read_user(w, makers[2].user)
    assert m3.order(0).base_asset_amount == 1_500_000_000
    assert m3.order(0).status == OrderStatus.FILLED and m3.open_orders == 0
    # a fourth maker arrives too late
    w.ctx.slot = 1004
    data = jit_data(oid, 10_000_000_000, -10_000_000_000, 0, 149_000_000, 0)
    result = _run(w, makers[3], [jit_ix(w, makers[3], taker, data)])
    assert result.err == {"InstructionError": [2, {"Custom": 6002}]}
    assert result.logs[-1] == FAILED_JIT + "0x1772"


def test_direct_place_and_make_after_taker_filled_is_order_does_not_exist():
    w = make_world(slot=1003, min_auction=0, reserve=149_980_000, short_spread=0)
    maker = w.add_trader("maker", 1)
    taker = w.add_trader("taker", 2)
    oid = place_taker(w, taker, SHORT, 1_000_000_000, 149_950_000, 149_950_000, 10, at_slot=1000)
    p = OrderParams(
        OrderType.LIMIT,
        1,
        LONG,
        1_000_000_000,
        price=150_000_000,
        post_only=PostOnlyParam.MUST_POST_ONLY,
        bit_flags=1,
    )
    first = _run(w, maker, [place_and_make_ix(w, maker, taker, p, oid)])
    assert first.err is None, first.logs
    assert first.fills[0].price == 150_000_000  # place_and_make matches at the maker's price
    w.commit(first)
    second = _run(w, maker, [place_and_make_ix(w, maker, taker, p, oid)])
    assert second.err == {"InstructionError": [2, {"Custom": 6061}]}
    assert second.logs[-1] == FAILED_DRIFT + "0x17ad"
    assert second.changed == {}


def test_no_fill_when_maker_order_is_cancelled_by_oracle_band():
    # taker short auction at 170 (13% over the oracle); the maker's bid at 170 breaches the
    # 10% initial-margin band and is cancelled instead of filled → jit-proxy NoFill
    w = make_world(slot=1003, min_auction=0)
    maker = w.add_trader("maker", 1)
    taker = w.add_trader("taker", 2)
    oid = place_taker(w, taker, SHORT, 1_000_000_000, 170_000_000, 170_000_000, 10, at_slot=1000)
    data = jit_data(oid, 10_000_000_000, -10_000_000_000, 171_000_000, 172_000_000, 0)
    result = _run(w, maker, [jit_ix(w, maker, taker, data)])
    assert result.err == {"InstructionError": [2, {"Custom": 6009}]}
    assert result.logs[-1] == FAILED_JIT + "0x1779"
    assert f"Program {DRIFT} success" in result.logs  # the CPI itself succeeded


def test_place_and_make_requires_ioc_post_only_limit():
    w, maker, taker = _world_17()
    bad = OrderParams(
        OrderType.LIMIT,
        1,
        SHORT,
        1_000_000_000,
        price=150_250_000,
        post_only=PostOnlyParam.NONE,
        bit_flags=1,
    )
    result = _run(w, maker, [place_and_make_ix(w, maker, taker, bad, 17)])
    assert result.err == {"InstructionError": [2, {"Custom": 6052}]}
    assert "Program log: place_and_make must use IOC post only limit order" in result.logs
    assert any("Error Code: InvalidOrderIOCPostOnly. Error Number: 6052" in x for x in result.logs)
    assert result.logs[-1] == FAILED_DRIFT + "0x17a4"


def test_order_amount_too_small_and_step_rounding():
    w, maker, taker = _world_17()
    tiny = OrderParams(
        OrderType.LIMIT,
        1,
        SHORT,
        9_999_999,
        price=150_250_000,
        post_only=PostOnlyParam.MUST_POST_ONLY,
        bit_flags=1,
    )
    result = _run(w, maker, [place_and_make_ix(w, maker, taker, tiny, 17)])
    assert result.err == {"InstructionError": [2, {"Custom": 6059}]}
    assert result.logs[-1] == FAILED_DRIFT + "0x17ab"
    # a size off the step grid is rounded down (so 6048 cannot happen for perps), and a JIT
    # maker below min_order_size is allowed: 15_000_000 → 10_000_000
    odd = OrderParams(
        OrderType.LIMIT,
        1,
        SHORT,
        15_000_000,
        price=150_250_000,
        post_only=PostOnlyParam.MUST_POST_ONLY,
        bit_flags=1,
    )
    result = _run(w, maker, [place_and_make_ix(w, maker, taker, odd, 17)])
    assert result.err is None, result.logs
    assert result.fills[0].base == 10_000_000


def test_maker_price_is_tick_standardized_short_up():
    w, maker, taker = _world_17()
    p = OrderParams(
        OrderType.LIMIT,
        1,
        SHORT,
        1_000_000_000,
        price=150_200_001,
        post_only=PostOnlyParam.MUST_POST_ONLY,
        bit_flags=1,
    )
    result = _run(w, maker, [place_and_make_ix(w, maker, taker, p, 17)])
    assert result.err is None, result.logs
    assert result.fills[0].price == 150_200_100
    assert result.fills[0].quote == 150_200_100  # 1.0 SOL, maker short rounds up (exact here)


def test_wrong_signer_is_constraint_raw_in_drift_cpi():
    w, maker, taker = _world_17()
    stranger = Keypair.from_seed(bytes([99]) * 32)
    w.ledger.put(stranger.pubkey(), Account(10**9, b"", Pubkey.default()), 0)
    data = jit_data(17, 5_000_000_000, -3_000_000_000, -40_000, 40_000, 1)
    result = _run(w, maker, [jit_ix(w, maker, taker, data, signer=stranger)], signer=stranger)
    assert result.err == {"InstructionError": [2, {"Custom": 2003}]}
    assert any(
        "AnchorError caused by account: user. Error Code: ConstraintRaw" in x for x in result.logs
    )
    assert FAILED_DRIFT + "0x7d3" in result.logs
    assert result.logs[-1] == FAILED_JIT + "0x7d3"


def test_delegate_may_sign():
    w = make_world(slot=1003, min_auction=0, reserve=150_250_000, long_spread=0)
    delegate = Keypair.from_seed(bytes([77]) * 32)
    w.ledger.put(delegate.pubkey(), Account(10**9, b"", Pubkey.default()), 0)
    maker = w.add_trader("maker", 1, delegate=delegate.pubkey())
    taker = w.add_trader("taker", 2)
    oid = place_taker(w, taker, LONG, 1_000_000_000, 150_000_000, 150_751_000, 7, at_slot=1000)
    data = jit_data(oid, 5_000_000_000, -3_000_000_000, -40_000, 40_000, 1)
    result = _run(w, maker, [jit_ix(w, maker, taker, data, signer=delegate)], signer=delegate)
    assert result.err is None, result.logs
    assert result.fills[0].base == 1_000_000_000


def test_user_stats_of_another_authority_is_constraint_raw():
    w, maker, taker = _world_17()
    p = OrderParams(
        OrderType.LIMIT,
        1,
        SHORT,
        1_000_000_000,
        price=150_250_000,
        post_only=PostOnlyParam.MUST_POST_ONLY,
        bit_flags=1,
    )
    ix = place_and_make_ix(w, maker, taker, p, 17)
    metas = list(ix.accounts)
    metas[2] = metas[4]  # maker's user_stats slot gets the taker's stats
    result = _run(w, maker, [Instruction(ix.program_id, ix.data, metas)])
    assert result.err == {"InstructionError": [2, {"Custom": 2003}]}
    assert any("caused by account: user_stats" in x for x in result.logs)


def test_price_bands_breached_reverts_the_fill():
    w = make_world(slot=1003, min_auction=0)
    maker = w.add_trader("maker", 1)
    taker = w.add_trader("taker", 2)
    # taker long at 166 (10.6% over oracle 150.12); maker asks 166 → fill price breaches band
    oid = place_taker(w, taker, LONG, 1_000_000_000, 166_000_000, 166_000_000, 10, at_slot=1000)
    data = jit_data(oid, 10_000_000_000, -10_000_000_000, 0, 166_000_000, 0)
    result = _run(w, maker, [jit_ix(w, maker, taker, data)])
    assert result.err == {"InstructionError": [2, {"Custom": 6023}]}
    assert result.changed == {} and result.fills == []
    assert result.logs[-1] == FAILED_JIT + "0x1787"


def test_insufficient_collateral():
    w, _, taker = _world_17()
    poor = w.add_trader("poor", 5, usdc=10_000_000)  # $10 cannot carry a $631 short
    data = jit_data(17, 5_000_000_000, -4_200_000_000, -40_000, 40_000, 1)
    result = _run(w, poor, [jit_ix(w, poor, taker, data)])
    assert result.err == {"InstructionError": [2, {"Custom": 6003}]}
    assert result.logs[-1] == FAILED_JIT + "0x1773"


def test_mm_oracle_is_used_when_recent_and_close():
    # oracle-relative ask -0.10: exchange oracle → worst 150.023 (crosses 150.3218);
    # MM oracle 150.5 (0.25% away, newer slot) → worst 150.4 → AskNotCrossed
    data = jit_data(17, 5_000_000_000, -3_000_000_000, 0, -100_000, 1)
    w = make_world(
        slot=1003, min_auction=0, reserve=150_250_000, long_spread=0, mm_oracle=(150_500_000, 1003)
    )
    maker = w.add_trader("maker", 1)
    taker = w.add_trader("taker", 2, next_order_id=17)
    place_taker(w, taker, LONG, 1_000_000_000, 150_000_000, 150_751_000, 7, at_slot=1000)
    result = _run(w, maker, [jit_ix(w, maker, taker, data)])
    assert result.err == {"InstructionError": [2, {"Custom": 6001}]}
    # MM oracle 2% away is ignored → exchange oracle → crosses
    w2 = make_world(
        slot=1003, min_auction=0, reserve=150_250_000, long_spread=0, mm_oracle=(153_200_000, 1003)
    )
    maker2 = w2.add_trader("maker", 1)
    taker2 = w2.add_trader("taker", 2, next_order_id=17)
    place_taker(w2, taker2, LONG, 1_000_000_000, 150_000_000, 150_751_000, 7, at_slot=1000)
    result2 = _run(w2, maker2, [jit_ix(w2, maker2, taker2, data)])
    assert result2.err is None, result2.logs


def test_prelaunch_oracle_market():
    w, maker, taker = _world_17(oracle_kind="prelaunch")
    data = jit_data(17, 5_000_000_000, -3_000_000_000, -40_000, 40_000, price_type=1)
    result = _run(w, maker, [jit_ix(w, maker, taker, data)])
    assert result.err is None, result.logs
    assert (result.fills[0].base, result.fills[0].price) == (4_200_000_000, 150_250_000)


def test_jit_with_wrong_drift_program_account_is_invalid_program_id():
    w, maker, taker = _world_17()
    data = jit_data(17, 5_000_000_000, -3_000_000_000, -40_000, 40_000, 1)
    result = _run(w, maker, [jit_ix(w, maker, taker, data, drift_program=JIT_PROXY)])
    assert result.err == {"InstructionError": [2, {"Custom": 3008}]}
    assert any("caused by account: drift_program" in x for x in result.logs)


def test_place_and_make_ioc_remainder_is_cancelled():
    w, maker, taker = _world_17()
    # maker offers 8.0 SOL against the taker's 5.0: 5.0 fill, 3.0 remainder cancelled
    p = OrderParams(
        OrderType.LIMIT,
        1,
        SHORT,
        8_000_000_000,
        price=150_250_000,
        post_only=PostOnlyParam.MUST_POST_ONLY,
        bit_flags=1,
    )
    result = _run(w, maker, [place_and_make_ix(w, maker, taker, p, 17)])
    assert result.err is None, result.logs
    assert result.fills[0].base == 5_000_000_000
    w.commit(result)
    m_user = read_user(w, maker.user)
    order = m_user.order(0)
    assert order.status == OrderStatus.CANCELED
    assert order.base_asset_amount_filled == 5_000_000_000
    assert (m_user.open_orders, m_user.open_auctions) == (0, 0)
    pos = m_user.find_perp(0)
    assert (pos.open_asks, pos.open_bids, pos.open_orders) == (0, 0, 0)
    assert pos.base_asset_amount == 1_200_000_000 - 5_000_000_000
    t_user = read_user(w, taker.user)
    assert t_user.order(0).status == OrderStatus.FILLED
    assert (t_user.open_orders, t_user.open_auctions) == (0, 0)


def test_amm_jit_split_when_enabled():
    # AMM inventory: users net short 2.0 (AMM long) → it wants to sell to a taker long.
    # M = 4.2: AMM takes M/4 = 1.05 → 1.05 on the step grid, the maker the other 3.15,
    # both at the maker's price 150.25.
    kw = dict(amm_jit_intensity=100, base_with_amm=-2_000_000_000)
    w, maker, taker = _world_17(**kw)
    data = jit_data(17, 5_000_000_000, -3_000_000_000, -40_000, 40_000, price_type=1)
    off = _run(w, maker, [jit_ix(w, maker, taker, data)])
    assert [f.base for f in off.fills] == [4_200_000_000]  # default: AMM JIT split off
    w.ctx.amm_jit_in_place_and_make = True
    on = _run(w, maker, [jit_ix(w, maker, taker, data)])
    assert on.err is None, on.logs
    assert [(f.maker, f.base, f.price) for f in on.fills] == [
        (None, 1_050_000_000, 150_250_000),
        (maker.user, 3_150_000_000, 150_250_000),
    ]
    w.commit(on)
    assert read_market(w).base_asset_amount_with_amm == -2_000_000_000 + 1_050_000_000


def test_price_bands_also_check_the_5min_twap():
    # TWAP 100.1: the oracle (150.12) is 49.97% away — fills allowed — but the fill at
    # 150.25 is 50.1% away >= max(state 10%, 50%) → PriceBandsBreached
    w, maker, taker = _world_17(twap_5min=100_100_000)
    data = jit_data(17, 5_000_000_000, -3_000_000_000, -40_000, 40_000, price_type=1)
    result = _run(w, maker, [jit_ix(w, maker, taker, data)])
    assert result.err == {"InstructionError": [2, {"Custom": 6023}]}
    assert any("Oracle TWAP Price Bands" in line for line in result.logs)


def test_read_only_perp_market_is_market_wrong_mutability():
    w, maker, taker = _world_17()
    p = OrderParams(
        OrderType.LIMIT,
        1,
        SHORT,
        1_000_000_000,
        price=150_250_000,
        post_only=PostOnlyParam.NONE,
        bit_flags=1,
    )
    ix = place_and_make_ix(w, maker, taker, p, 17)
    metas = list(ix.accounts)
    metas[-1] = type(metas[-1])(metas[-1].pubkey, False, False)
    result = _run(w, maker, [Instruction(ix.program_id, ix.data, metas)])
    # load_maps runs before the IOC/post-only check
    assert result.err == {"InstructionError": [2, {"Custom": 6081}]}


def test_exchange_fill_paused():
    w, maker, taker = _world_17()
    state = bytearray(w.data(STATE_KEY))
    state[974] = 8  # FillPaused
    w.ledger.put(STATE_KEY, Account(10**9, bytes(state), DRIFT), 0)
    data = jit_data(17, 5_000_000_000, -3_000_000_000, -40_000, 40_000, price_type=1)
    result = _run(w, maker, [jit_ix(w, maker, taker, data)])
    assert result.err == {"InstructionError": [2, {"Custom": 6024}]}
    assert FAILED_DRIFT + "0x1788" in result.logs


def test_amm_fills_taker_remainder_in_place_and_make_when_enabled():
    w, maker, taker = _world_17()
    w.ctx.amm_in_place_and_make = True
    data = jit_data(17, 5_000_000_000, -3_000_000_000, -40_000, 40_000, price_type=1)
    result = _run(w, maker, [jit_ix(w, maker, taker, data)])
    assert result.err is None, result.logs
    # maker first at 150.25 (not worse than the AMM ask 150.25), then the AMM takes the
    # 0.8 left because the taker's auction price 150.3218 crosses its ask
    assert [(f.maker, f.base, f.price) for f in result.fills] == [
        (maker.user, 4_200_000_000, 150_250_000),
        (None, 800_000_000, 150_250_000),
    ]


def test_market_fee_adjustment_rounds_against_the_user():
    # fee_adjustment -33%: taker fee 631_050 - floor(208_246.5) = 422_804;
    # maker rebate 126_210 - ceil(41_649.3) = 84_560
    w, maker, taker = _world_17(fee_adjustment=-33)
    data = jit_data(17, 5_000_000_000, -3_000_000_000, -40_000, 40_000, price_type=1)
    result = _run(w, maker, [jit_ix(w, maker, taker, data)])
    assert result.err is None, result.logs
    (fill,) = result.fills
    assert (fill.quote, fill.taker_fee, fill.maker_rebate) == (631_050_000, 422_804, 84_560)


def test_position_reducing_maker_needs_no_free_collateral():
    # no USDC: closing a 1 SOL long passes (not risk increasing, maintenance after fill),
    # opening a short from flat does not
    w = make_world(slot=1003, min_auction=0, reserve=150_250_000, long_spread=0)
    closer = w.add_trader("closer", 1, usdc=0, perps=[Pos(0, 1_000_000_000, -150_000_000)])
    opener = w.add_trader("opener", 3, usdc=0)
    taker = w.add_trader("taker", 2)
    oid = place_taker(w, taker, LONG, 2_000_000_000, 150_000_000, 150_751_000, 7, at_slot=1000)
    data = jit_data(oid, 5_000_000_000, 0, -40_000, 40_000, price_type=1)
    result = _run(w, closer, [jit_ix(w, closer, taker, data)])
    assert result.err is None, result.logs
    assert result.fills[0].base == 1_000_000_000
    data = jit_data(oid, 5_000_000_000, -1_000_000_000, -40_000, 40_000, price_type=1)
    result = _run(w, opener, [jit_ix(w, opener, taker, data)])
    assert result.err == {"InstructionError": [2, {"Custom": 6003}]}


def test_oracle_too_divergent_from_twap_means_no_fill():
    # 5-min TWAP 75.0 vs oracle 150.12: >= 50% apart → fill_perp_order returns without a
    # fill (no error), so jit-proxy reports NoFill
    w, maker, taker = _world_17(twap_5min=75_000_000)
    data = jit_data(17, 5_000_000_000, -3_000_000_000, -40_000, 40_000, price_type=1)
    result = _run(w, maker, [jit_ix(w, maker, taker, data)])
    assert result.err == {"InstructionError": [2, {"Custom": 6009}]}
    assert any("Oracle Price Too Divergent from TWAP 5min" in x for x in result.logs)


def test_bot_error_parser_attributes_simulator_failures():
    """jitmaker.chain.txerrors reads the simulator's logs as it reads a real node's."""
    from jitmaker.chain.txerrors import FailureReason, Program, parse_tx_error

    w, maker, taker = _world_17()
    not_crossed = jit_data(17, 5_000_000_000, -3_000_000_000, 0, 151_000_000, 0)
    r = _run(w, maker, [jit_ix(w, maker, taker, not_crossed)])
    f = parse_tx_error(r.err, r.logs)
    assert (f.program, f.code, f.reason) == (Program.JIT_PROXY, 6001, FailureReason.NOT_CROSSED)
    bad = OrderParams(
        OrderType.LIMIT,
        1,
        SHORT,
        1_000_000_000,
        price=150_250_000,
        post_only=PostOnlyParam.NONE,
        bit_flags=1,
    )
    r = _run(w, maker, [place_and_make_ix(w, maker, taker, bad, 17)])
    f = parse_tx_error(r.err, r.logs)
    assert (f.program, f.code, f.name, f.instruction_index) == (
        Program.DRIFT,
        6052,
        "InvalidOrderIOCPostOnly",
        2,
    )
    # a Drift error inside the jit-proxy CPI is Drift's, not jit-proxy's 6052-numbered one
    poor = w.add_trader("poor", 5, usdc=10_000_000)
    data = jit_data(17, 5_000_000_000, -4_200_000_000, -40_000, 40_000, 1)
    r = _run(w, poor, [jit_ix(w, poor, taker, data)])
    f = parse_tx_error(r.err, r.logs)
    assert (f.program, f.code, f.reason) == (
        Program.DRIFT,
        6003,
        FailureReason.INSUFFICIENT_COLLATERAL,
    )
