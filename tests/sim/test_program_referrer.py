"""Taker referrals: the referrer accounts Drift requires, the referee discount and reward."""

from __future__ import annotations

from solders.instruction import AccountMeta

from jitmaker.sim.program import DRIFT, JIT_PROXY, execute_transaction, maker_jit_fill
from tests.sim.program_world import (
    Pos,
    jit_data,
    jit_ix,
    make_world,
    place_taker,
    read_stats,
    read_user,
    tx_v0,
)

DATA = jit_data(17, 5_000_000_000, -3_000_000_000, -40_000, 40_000, price_type=1)


def _world():
    w = make_world(slot=1003, min_auction=0, reserve=150_250_000, long_spread=0)
    referrer = w.add_trader("referrer", 7)
    maker = w.add_trader("maker", 1, perps=[Pos(0, 1_200_000_000, -180_000_000)])
    taker = w.add_trader("taker", 2, next_order_id=17, referrer=referrer)
    place_taker(w, taker, 0, 5_000_000_000, 150_000_000, 150_751_000, 7, at_slot=1000)
    return w, referrer, maker, taker


def _jit(w, maker, taker, extra):
    ix = jit_ix(w, maker, taker, DATA, remaining=[*w.remaining_metas(), *extra])
    return execute_transaction(tx_v0(w, maker.kp, [ix]), w.ledger, w.ctx)


def test_referrer_accounts_are_required():
    w, referrer, maker, taker = _world()
    result = _jit(w, maker, taker, [])
    assert result.err == {"InstructionError": [0, {"Custom": 6030}]}  # ReferrerStatsNotFound
    assert f"Program {DRIFT} failed: custom program error: 0x178e" in result.logs
    assert result.logs[-1] == f"Program {JIT_PROXY} failed: custom program error: 0x178e"
    # stats alone: the referrer's User is missing
    result = _jit(w, maker, taker, [AccountMeta(referrer.stats, False, True)])
    assert result.err == {"InstructionError": [0, {"Custom": 6029}]}  # ReferrerNotFound
    # User passed read-only
    result = _jit(
        w,
        maker,
        taker,
        [AccountMeta(referrer.user, False, False), AccountMeta(referrer.stats, False, True)],
    )
    assert result.err == {"InstructionError": [0, {"Custom": 6229}]}  # UserWrongMutability


def test_referee_discount_and_referrer_reward():
    w, referrer, maker, taker = _world()
    extra = [AccountMeta(referrer.user, False, True), AccountMeta(referrer.stats, False, True)]
    result = _jit(w, maker, taker, extra)
    assert result.err is None, result.logs
    (fill,) = result.fills
    # tier 0: fee 631_050; referee discount 5% → 31_552; referrer reward 15% → 94_657
    assert (fill.quote, fill.taker_fee, fill.maker_rebate) == (631_050_000, 599_498, 126_210)
    w.commit(result)
    assert read_stats(w, taker.stats).total_fee_paid == 599_498
    assert int.from_bytes(w.data(taker.stats)[96:104], "little") == 31_552
    assert int.from_bytes(w.data(referrer.stats)[104:112], "little") == 94_657
    assert read_user(w, referrer.user).find_perp(0).quote_asset_amount == 94_657
    assert read_user(w, taker.user).find_perp(0).quote_asset_amount == -631_050_000 - 599_498


def test_simulated_makers_pass_the_referrer_themselves():
    w, _, maker, taker = _world()
    result = maker_jit_fill(
        w.ledger,
        w.ctx,
        maker.user,
        taker.user,
        17,
        bid=0,
        ask=40_000,
        price_type=1,
        max_position=10**10,
        min_position=-(10**10),
    )
    assert result.err is None, result.logs
    # 5 SOL at 150.25: fee 751_250 less the 5% referee discount floor(37_562.5)
    assert (result.fills[0].quote, result.fills[0].taker_fee) == (751_250_000, 713_688)
