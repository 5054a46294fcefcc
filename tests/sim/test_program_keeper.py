"""Direct program calls: taker placement (counters), keeper fills after the auction, expiry."""

from __future__ import annotations

from jitmaker.accounts.enums import MarketType, OrderStatus, OrderType, PostOnlyParam
from jitmaker.sim.program import (
    OrderParams,
    cancel_expired,
    fill_from_resting_and_amm,
    maker_jit_fill,
    place_taker_order,
)
from tests.sim.program_world import make_world, place_taker, read_market, read_user

LONG, SHORT = 0, 1


def _resting_ask(w, trader, base, price):
    params = OrderParams(
        OrderType.LIMIT,
        MarketType.PERP,
        SHORT,
        base,
        price=price,
        post_only=PostOnlyParam.MUST_POST_ONLY,
    )
    result = place_taker_order(w.ledger, w.ctx, trader.user, params)
    w.commit(result)
    return result.order_id


def test_place_taker_order_counters_and_stored_fields():
    w = make_world(slot=500, min_auction=10)
    taker = w.add_trader("taker", 2)
    oid = place_taker(w, taker, LONG, 2_000_000_000, 150_000_050, 150_700_000, 5, at_slot=500)
    user = read_user(w, taker.user)
    order = user.order(0)
    assert order.order_id == oid == 1 and user.next_order_id == 2
    assert order.auction_duration == 10  # max(5, state.min_perp_auction_duration)
    assert order.auction_start_price == 150_000_000  # long: rounded down to the tick
    assert order.posted_slot_tail == 500 & 0xFF and order.slot == 500
    assert (user.open_orders, user.open_auctions) == (1, 1)
    # a plain resting limit order has no auction
    _resting_ask(w, taker, 1_000_000_000, 151_000_000)
    user = read_user(w, taker.user)
    assert (user.open_orders, user.open_auctions) == (2, 1)
    assert user.find_perp(0).open_asks == -1_000_000_000
    assert user.find_perp(0).open_bids == 2_000_000_000


def test_place_errors_min_size_and_post_only_crossing():
    w = make_world(slot=500, reserve=150_250_000, long_spread=0, short_spread=1_000)
    t = w.add_trader("t", 2)
    small = OrderParams(OrderType.LIMIT, MarketType.PERP, SHORT, 5_000_000, price=151_000_000)
    assert place_taker_order(w.ledger, w.ctx, t.user, small).err == {
        "InstructionError": [0, {"Custom": 6059}]
    }
    # post-only ask at/below the AMM bid (150_099_750) must not cross it
    crossing = OrderParams(
        OrderType.LIMIT,
        MarketType.PERP,
        SHORT,
        1_000_000_000,
        price=150_000_000,
        post_only=PostOnlyParam.MUST_POST_ONLY,
    )
    assert place_taker_order(w.ledger, w.ctx, t.user, crossing).err == {
        "InstructionError": [0, {"Custom": 6057}]
    }
    crossing.post_only = PostOnlyParam.TRY_POST_ONLY  # silently not placed
    result = place_taker_order(w.ledger, w.ctx, t.user, crossing)
    assert result.err is None and result.order_id is None and result.changed == {}


def test_keeper_fill_after_auction_resting_then_amm():
    w = make_world(
        slot=1000, min_auction=0, reserve=150_500_000, long_spread=0, short_spread=10_000
    )
    taker = w.add_trader("taker", 2)
    a = w.add_trader("a", 3)
    b = w.add_trader("b", 4)
    _resting_ask(w, a, 1_000_000_000, 150_300_000)
    _resting_ask(w, b, 1_500_000_000, 150_200_000)
    oid = place_taker(w, taker, LONG, 4_000_000_000, 150_000_000, 150_751_000, 7, at_slot=1000)
    w.ctx.slot = 1008  # auction complete: market order without a price has no limit
    result = fill_from_resting_and_amm(w.ledger, w.ctx, taker.user, oid)
    assert result.err is None, result.logs
    got = [(f.maker, f.base, f.price) for f in result.fills]
    # best ask first (b 150.2), then a (150.3), then the AMM at its ask 150.5 for the rest
    assert got == [
        (b.user, 1_500_000_000, 150_200_000),
        (a.user, 1_000_000_000, 150_300_000),
        (None, 1_500_000_000, 150_500_000),
    ]
    w.commit(result)
    t = read_user(w, taker.user)
    assert t.order(0).status == OrderStatus.FILLED
    assert (t.open_orders, t.open_auctions) == (0, 0)
    assert t.find_perp(0).base_asset_amount == 4_000_000_000
    for maker in (a, b):
        m = read_user(w, maker.user)
        assert m.order(0).status == OrderStatus.FILLED and m.open_orders == 0
    assert read_market(w).base_asset_amount_with_amm == 1_500_000_000


def test_keeper_fill_respects_taker_limit_after_auction():
    w = make_world(
        slot=1000, min_auction=0, reserve=150_500_000, long_spread=0, short_spread=10_000
    )
    taker = w.add_trader("taker", 2)
    a = w.add_trader("a", 3)
    _resting_ask(w, a, 1_000_000_000, 150_300_000)
    # limit 150.25 after the auction: crosses nobody (maker 150.3, AMM 150.5)
    oid = place_taker(
        w, taker, LONG, 1_000_000_000, 150_000_000, 150_250_000, 5, at_slot=1000, price=150_250_000
    )
    w.ctx.slot = 1010
    result = fill_from_resting_and_amm(w.ledger, w.ctx, taker.user, oid)
    assert result.err is None and result.fills == []


def test_cancel_expired_orders():
    w = make_world(slot=1000, min_auction=0)
    taker = w.add_trader("taker", 2)
    place_taker(
        w,
        taker,
        LONG,
        1_000_000_000,
        150_000_000,
        150_751_000,
        7,
        at_slot=1000,
        max_ts=w.ctx.unix_timestamp + 5,
    )
    w.ctx.unix_timestamp += 6
    result = cancel_expired(w.ledger, w.ctx, taker.user)
    w.commit(result)
    t = read_user(w, taker.user)
    assert t.order(0).status == OrderStatus.CANCELED
    assert (t.open_orders, t.open_auctions) == (0, 0)
    assert w.data(taker.user)[4352] == 0 and w.data(taker.user)[4354] == 0
    assert t.find_perp(0) is None  # open bids released, slot free again


def test_maker_jit_fill_without_transaction():
    w = make_world(slot=1003, min_auction=0, reserve=150_250_000, long_spread=0)
    maker = w.add_trader("maker", 1)
    taker = w.add_trader("taker", 2)
    oid = place_taker(w, taker, LONG, 1_000_000_000, 150_000_000, 150_751_000, 7, at_slot=1000)
    result = maker_jit_fill(
        w.ledger,
        w.ctx,
        maker.user,
        taker.user,
        oid,
        bid=0,
        ask=40_000,
        price_type=1,
        max_position=10**10,
        min_position=-(10**10),
    )
    assert result.err is None, result.logs
    (fill,) = result.fills
    assert (fill.base, fill.price) == (1_000_000_000, 150_250_000)
    assert fill.taker_fee == 150_250 and fill.maker_rebate == 30_050
    w.commit(result)
    again = maker_jit_fill(
        w.ledger,
        w.ctx,
        maker.user,
        taker.user,
        oid,
        bid=0,
        ask=40_000,
        price_type=1,
        max_position=10**10,
        min_position=-(10**10),
    )
    assert again.err == {"InstructionError": [0, {"Custom": 6002}]}
