"""Invariants over random sequences of taker placements, JIT fills, keeper fills and expiry:
counters match the orders, open bids/asks match the unfilled sizes, base is conserved."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from jitmaker.accounts.enums import OrderStatus
from jitmaker.sim.program import cancel_expired, fill_from_resting_and_amm, maker_jit_fill
from tests.sim.program_world import make_world, place_taker, read_market, read_user

SOL = 10**9

action = st.one_of(
    st.tuples(
        st.just("taker"),
        st.integers(0, 2),
        st.integers(0, 1),
        st.integers(1, 40),
        st.integers(0, 12),
    ),
    st.tuples(
        st.just("jit"),
        st.integers(0, 3),
        st.integers(0, 2),
        st.integers(-300, 300),
        st.integers(1, 8),
    ),
    st.tuples(st.just("slot"), st.integers(1, 6)),
    st.tuples(st.just("keeper"), st.integers(0, 2)),
    st.tuples(st.just("expire"), st.integers(0, 2), st.integers(0, 60)),
)


def _check_user(w, key):
    user = read_user(w, key)
    orders = [user.order(i) for i in range(32)]
    open_orders = [o for o in orders if o.status == OrderStatus.OPEN]
    assert user.open_orders == len(open_orders)
    assert user.open_auctions == sum(1 for o in open_orders if o.auction_duration)
    data = w.data(key)
    assert data[4352] == (1 if open_orders else 0)
    assert data[4354] == (1 if user.open_auctions else 0)
    pos = user.find_perp(0)
    bids = sum(o.unfilled for o in open_orders if o.direction == 0)
    asks = -sum(o.unfilled for o in open_orders if o.direction == 1)
    if pos is None:
        assert not open_orders
        return 0
    assert (pos.open_bids, pos.open_asks, pos.open_orders) == (bids, asks, len(open_orders))
    for o in orders:
        if o.status in (OrderStatus.OPEN, OrderStatus.FILLED):
            assert o.base_asset_amount_filled <= o.base_asset_amount
        if o.status == OrderStatus.FILLED:
            assert o.base_asset_amount_filled == o.base_asset_amount
    return pos.base_asset_amount


@settings(max_examples=40, deadline=None)
@given(st.lists(action, min_size=1, max_size=30))
def test_random_sequences_keep_accounts_consistent(actions):
    w = make_world(slot=1000, min_auction=0, reserve=150_250_000, long_spread=0, short_spread=2_000)
    takers = [w.add_trader(f"t{i}", 10 + i) for i in range(3)]
    makers = [w.add_trader(f"m{i}", 20 + i) for i in range(4)]
    placed: list[tuple[int, int]] = []  # (taker index, order id)
    m0 = read_market(w)
    for act in actions:
        kind = act[0]
        if kind == "taker":
            _, ti, direction, size, duration = act
            sign = 1 if direction == 0 else -1
            start = 150_000_000 - sign * 200_000
            end = 150_000_000 + sign * 300_000
            oid = place_taker(
                w,
                takers[ti],
                direction,
                size * 10_000_000 * 10,
                start,
                end,
                duration,
                at_slot=w.ctx.slot,
            )
            if oid is not None:
                placed.append((ti, oid))
        elif kind == "jit" and placed:
            _, mi, pick, offset, limit = act
            ti, oid = placed[pick % len(placed)]
            r = maker_jit_fill(
                w.ledger,
                w.ctx,
                makers[mi].user,
                takers[ti].user,
                oid,
                bid=offset * 1_000,
                ask=offset * 1_000,
                price_type=1,
                max_position=limit * SOL,
                min_position=-limit * SOL,
            )
            if r.err is None:
                w.commit(r)
            else:
                assert r.changed == {}
        elif kind == "slot":
            w.ctx.slot += act[1]
            w.ctx.unix_timestamp += act[1]
        elif kind == "keeper" and placed:
            ti, oid = placed[act[1] % len(placed)]
            r = fill_from_resting_and_amm(w.ledger, w.ctx, takers[ti].user, oid)
            if r.err is None:
                w.commit(r)
        elif kind == "expire":
            w.ctx.unix_timestamp += act[2]
            r = cancel_expired(w.ledger, w.ctx, takers[act[1]].user)
            w.commit(r)
    total = sum(_check_user(w, t.user) for t in [*takers, *makers])
    m1 = read_market(w)
    amm_delta = m1.base_asset_amount_with_amm - m0.base_asset_amount_with_amm
    # every maker/taker match is zero-sum; the AMM is the counterparty of the rest
    assert total == amm_delta
    assert (m1.base_asset_amount_long + m1.base_asset_amount_short) == total
