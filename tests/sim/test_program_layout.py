"""The executor's raw offsets against driftpy's Anchor decoder, on accounts it has written."""

from __future__ import annotations

from driftpy.accounts.oracle import DRIFT_CODER, decode_pull_oracle

from jitmaker.sim.program import execute_transaction
from jitmaker.sim.program.oracle import read_oracle
from tests.sim.program_world import (
    Pos,
    cu_limit_ix,
    jit_data,
    jit_ix,
    make_world,
    place_taker,
    prelaunch_bytes,
    pyth_pull_bytes,
    tx_v0,
)


def _decode(data: bytes):
    return DRIFT_CODER.accounts.decode(data)


def test_written_accounts_decode_with_anchor_coder():
    w = make_world(slot=1003, min_auction=0, reserve=150_250_000, long_spread=0)
    maker = w.add_trader("maker", 1, perps=[Pos(0, 1_200_000_000, -180_000_000)])
    taker = w.add_trader("taker", 2, next_order_id=17)
    place_taker(w, taker, 0, 5_000_000_000, 150_000_000, 150_751_000, 7, at_slot=1000)
    data = jit_data(17, 5_000_000_000, -3_000_000_000, -40_000, 40_000, price_type=1)
    result = execute_transaction(
        tx_v0(w, maker.kp, [cu_limit_ix(600_000), jit_ix(w, maker, taker, data)]), w.ledger, w.ctx
    )
    w.commit(result)

    t = _decode(w.data(taker.user))
    order = next(o for o in t.orders if o.order_id == 17)
    assert order.slot == 1000 and order.auction_duration == 7
    assert order.auction_start_price == 150_000_000 and order.auction_end_price == 150_751_000
    assert order.base_asset_amount == 5_000_000_000
    assert order.base_asset_amount_filled == 4_200_000_000
    assert order.quote_asset_amount_filled == 631_050_000
    assert type(order.status).__name__ == "Open" and type(order.direction).__name__ == "Long"
    assert order.max_ts == w.ctx.unix_timestamp + 30  # market order default expiry
    assert (t.open_orders, t.has_open_order, t.open_auctions, t.has_open_auction) == (
        1,
        True,
        1,
        True,
    )
    assert t.next_order_id == 18
    pos = next(p for p in t.perp_positions if p.base_asset_amount)
    assert pos.base_asset_amount == 4_200_000_000
    assert pos.quote_asset_amount == -631_050_000 - 631_050
    assert pos.quote_break_even_amount == -631_050_000 - 631_050
    assert pos.quote_entry_amount == -631_050_000
    assert pos.open_bids == 800_000_000 and pos.open_orders == 1 and pos.market_index == 0

    m = _decode(w.data(maker.user))
    m_order = m.orders[0]
    assert type(m_order.status).__name__ == "Filled"
    assert m_order.post_only and m_order.immediate_or_cancel
    assert m_order.price == 150_250_000
    assert type(m_order.order_type).__name__ == "Limit"
    assert (m.open_orders, m.has_open_order) == (0, False)

    ms = _decode(w.data(maker.stats))
    assert ms.fees.total_fee_rebate == 126_210 and ms.maker_volume30d == 631_050_000
    ts = _decode(w.data(taker.stats))
    assert ts.fees.total_fee_paid == 631_050 and ts.taker_volume30d == 631_050_000

    mk = _decode(w.data(w.market))
    assert mk.amm.order_step_size == 10_000_000 and mk.amm.order_tick_size == 100
    assert mk.amm.min_order_size == 10_000_000 and mk.margin_ratio_initial == 1_000
    assert mk.last_fill_price == 150_250_000
    assert mk.amm.base_asset_amount_long == 3_000_000_000
    assert mk.amm.base_asset_amount_short == -3_000_000_000
    assert mk.amm.oracle == w.oracle

    st = _decode(
        w.data(
            next(
                k
                for k in w.ledger.accounts
                if w.data(k)[:8] == bytes(DRIFT_CODER.accounts.acc_name_to_discriminator["State"])
            )
        )
    )
    tier = st.perp_fee_structure.fee_tiers[0]
    assert (tier.fee_numerator, tier.fee_denominator) == (100, 100_000)
    assert (tier.maker_rebate_numerator, tier.maker_rebate_denominator) == (20, 100_000)


def test_oracle_readers_agree_with_driftpy():
    raw = pyth_pull_bytes(150_123_456, 999)
    decoded = decode_pull_oracle(raw)
    assert decoded.price_message.price == 15_012_345_600 and decoded.posted_slot == 999
    assert read_oracle(7, raw).price == 150_123_456
    assert read_oracle(8, raw).price == 150_123_456_000  # Pyth1KPull
    pre = prelaunch_bytes(42_000_000, 77)
    acct = _decode(pre)
    assert acct.price == 42_000_000 and acct.amm_last_update_slot == 77
    assert read_oracle(6, pre).price == 42_000_000 and read_oracle(6, pre).slot == 77


def test_written_accounts_decode_with_jitmaker_accounts():
    from jitmaker.accounts import amm_bid_ask, decode_perp_market, decode_user
    from jitmaker.sim.program.layout import PerpMarketView

    w = make_world(slot=1003, min_auction=0, reserve=149_980_000, long_spread=1_000, short_spread=0)
    taker = w.add_trader("taker", 2, next_order_id=17)
    place_taker(w, taker, 1, 2_000_000_000, 149_950_000, 149_950_000, 10, at_slot=1000)
    user = decode_user(w.data(taker.user))
    order = next(o for o in user.orders if o.order_id == 17)
    assert order.direction == 1 and order.base_asset_amount == 2_000_000_000
    assert (user.open_orders, user.has_open_order, user.open_auctions) == (1, True, 1)
    market = decode_perp_market(w.data(w.market))
    view = PerpMarketView(w.market, bytearray(w.data(w.market)))
    assert amm_bid_ask(market) == (view.amm_bid(), view.amm_ask()) == (149_980_000, 150_129_980)
    assert market.amm.order_step_size == view.order_step_size
    assert market.margin_ratio_initial == view.margin_ratio_initial
