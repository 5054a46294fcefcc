"""Spot: taker placement, jit-proxy ``jit`` into ``place_and_make_spot_order`` (simplified)."""

from __future__ import annotations

from jitmaker.accounts.enums import MarketType, OrderStatus, OrderType, PostOnlyParam
from jitmaker.sim.program import DRIFT, JIT_PROXY, OrderParams, execute_transaction
from jitmaker.sim.program.layout import SpotMarketView
from jitmaker.sim.program.spot import signed_token_amount
from tests.sim.program_world import (
    cu_limit_ix,
    jit_data,
    jit_ix,
    make_world,
    place_taker,
    read_user,
    tx_v0,
)

LONG, SHORT = 0, 1
SOL = 10**9


def _world(maker_sol: int = 5 * SOL, margin_trading: bool = False):
    w = make_world(slot=1003, min_auction=0)
    w.add_spot_market(1)
    maker = w.add_trader("maker", 1, spots=[(1, maker_sol, 9)], margin_trading=margin_trading)
    taker = w.add_trader("taker", 2)
    oid = place_taker(
        w,
        taker,
        LONG,
        2 * SOL,
        150_000_000,
        150_751_000,
        7,
        at_slot=1000,
        market_type=MarketType.SPOT,
        market_index=1,
    )
    return w, maker, taker, oid


def _tokens(w, user_key, index):
    user = read_user(w, user_key)
    key = w.spot if index == 0 else w.spot_markets[index][0]
    market = SpotMarketView(key, bytearray(w.data(key)))
    return signed_token_amount(user.find_spot(index), market)


def test_spot_taker_placement_counters():
    w, _, taker, oid = _world()
    user = read_user(w, taker.user)
    order = user.order(user.find_open_order(oid))
    assert order.market_type == MarketType.SPOT and order.market_index == 1
    assert order.auction_duration == 7 and order.max_ts == w.ctx.unix_timestamp + 30
    assert (user.open_orders, user.open_auctions) == (1, 1)
    pos = user.find_spot(1)
    assert (pos.open_bids, pos.open_orders) == (2 * SOL, 1)


def test_spot_jit_fills_at_taker_price_and_moves_balances():
    w, maker, taker, oid = _world()
    data = jit_data(oid, 10 * SOL, 0, -40_000, 40_000, price_type=1)
    ix = jit_ix(w, maker, taker, data, remaining=w.spot_remaining_metas(1))
    result = execute_transaction(tx_v0(w, maker.kp, [cu_limit_ix(400_000), ix]), w.ledger, w.ctx)
    assert result.err is None, result.logs
    assert "Program log: Instruction: PlaceAndMakeSpotOrder" in result.logs
    (fill,) = result.fills
    # spot makers quote the taker's auction price (150.3218 at slot 1003)
    assert (fill.market_type, fill.base, fill.price) == (MarketType.SPOT, 2 * SOL, 150_321_800)
    assert fill.quote == 300_643_600
    assert (fill.taker_fee, fill.maker_rebate) == (300_644, 60_128)  # ceil / floor
    w.commit(result)
    usdc = 10_000 * 10**6
    assert _tokens(w, taker.user, 1) == 2 * SOL
    assert _tokens(w, taker.user, 0) == usdc - 300_643_600 - 300_644
    assert _tokens(w, maker.user, 1) == 3 * SOL
    assert _tokens(w, maker.user, 0) == usdc + 300_643_600 + 60_128
    t = read_user(w, taker.user)
    assert t.order(0).status == OrderStatus.FILLED
    assert (t.open_orders, t.open_auctions) == (0, 0)
    assert t.find_spot(1).open_bids == 0
    m = read_user(w, maker.user)
    assert m.order(0).status == OrderStatus.FILLED and m.open_orders == 0
    assert m.find_spot(1).open_asks == 0


def test_spot_maker_cannot_borrow_without_margin_trading():
    # the maker holds 1 SOL and may go to -5 by its limits, but selling 2 needs a borrow
    w, maker, taker, oid = _world(maker_sol=SOL)
    data = jit_data(oid, 10 * SOL, -5 * SOL, -40_000, 40_000, price_type=1)
    ix = jit_ix(w, maker, taker, data, remaining=w.spot_remaining_metas(1))
    result = execute_transaction(tx_v0(w, maker.kp, [ix]), w.ledger, w.ctx)
    assert result.err == {"InstructionError": [0, {"Custom": 6157}]}  # MarginTradingDisabled
    assert result.logs[-1] == f"Program {JIT_PROXY} failed: custom program error: 0x180d"
    assert f"Program {DRIFT} failed: custom program error: 0x180d" in result.logs


def test_spot_maker_with_margin_trading_borrows():
    w, maker, taker, oid = _world(maker_sol=SOL, margin_trading=True)
    data = jit_data(oid, 10 * SOL, -5 * SOL, -40_000, 40_000, price_type=1)
    ix = jit_ix(w, maker, taker, data, remaining=w.spot_remaining_metas(1))
    result = execute_transaction(tx_v0(w, maker.kp, [ix]), w.ledger, w.ctx)
    assert result.err is None, result.logs
    w.commit(result)
    assert _tokens(w, maker.user, 1) == -SOL


def test_spot_place_and_make_quote_market_not_tradable_and_ioc_rule():
    from solders.instruction import AccountMeta, Instruction

    from jitmaker.sim.program.constants import ix_discriminator
    from tests.sim.program_world import STATE_KEY, encode_order_params

    w, maker, taker, oid = _world()

    def pam(params):
        data = (
            ix_discriminator("place_and_make_spot_order")
            + encode_order_params(params)
            + oid.to_bytes(4, "little")
            + b"\x00"  # fulfillment_type None
        )
        metas = [
            AccountMeta(STATE_KEY, False, False),
            AccountMeta(maker.user, False, True),
            AccountMeta(maker.stats, False, True),
            AccountMeta(taker.user, False, True),
            AccountMeta(taker.stats, False, True),
            AccountMeta(maker.authority, True, False),
            *w.spot_remaining_metas(1),
        ]
        return execute_transaction(
            tx_v0(w, maker.kp, [Instruction(DRIFT, data, metas)]), w.ledger, w.ctx
        )

    not_ioc = OrderParams(
        OrderType.LIMIT,
        MarketType.SPOT,
        SHORT,
        SOL,
        price=150_000_000,
        market_index=1,
        post_only=PostOnlyParam.MUST_POST_ONLY,
    )
    assert pam(not_ioc).err == {"InstructionError": [0, {"Custom": 6052}]}
    ok = OrderParams(
        OrderType.LIMIT,
        MarketType.SPOT,
        SHORT,
        SOL,
        price=150_000_000,
        market_index=1,
        post_only=PostOnlyParam.MUST_POST_ONLY,
        bit_flags=1,
    )
    result = pam(ok)
    assert result.err is None, result.logs
    assert result.fills[0].price == 150_000_000  # place_and_make: at the maker's price
    assert result.fills[0].base == SOL
