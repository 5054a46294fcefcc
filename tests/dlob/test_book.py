"""Scenario tests of the DLOB: contents, priority, slot guard, lazy auction completion, queries."""

from __future__ import annotations

from solders.pubkey import Pubkey

from jitmaker.accounts.order import EMPTY_ORDER
from jitmaker.accounts.user import decode_user, encode_user
from jitmaker.auction import limit_price
from jitmaker.dlob import DLOB, Level, OrderInserted, OrderRemoved, OrderUpdated
from tests.dlob.helpers import (
    BASE,
    LIMIT,
    LONG,
    MARKET,
    ORACLE,
    PERP,
    SHORT,
    SPOT,
    TRIGGER_LIMIT,
    TRIGGER_MARKET,
    floating,
    key,
    order,
    resting,
    user,
)

ORACLE_PX = 100_000_000
TICK = 100
A, B, C = key(1), key(2), key(3)
AUTH_A, AUTH_B, AUTH_C = key(11), key(12), key(13)


def book_with(*accounts, slot=10):
    dlob = DLOB()
    for k, auth, orders in accounts:
        dlob.apply_user(k, user(auth, *orders), slot)
    return dlob


def test_best_bid_and_ask_merge_fixed_and_floating_orders():
    dlob = book_with(
        (
            A,
            AUTH_A,
            [resting(99_900_000, LONG, order_id=1), resting(100_200_000, SHORT, order_id=2)],
        ),
        (B, AUTH_B, [floating(-50_050, LONG, order_id=1), floating(150_050, SHORT, order_id=2)]),
    )
    # floating bid: 99_949_950 rounds down to 99_949_900; floating ask 100_150_050 rounds up
    assert dlob.best_bid(0, 10, ORACLE_PX, TICK) == 99_949_900
    assert dlob.best_ask(0, 10, ORACLE_PX, TICK) == 100_150_100
    # when the oracle falls the fixed orders take over
    assert dlob.best_bid(0, 10, ORACLE_PX - 100_000, TICK) == 99_900_000
    assert dlob.best_ask(0, 10, ORACLE_PX + 100_000, TICK) == 100_200_000


def test_floating_price_equals_the_program_limit_price():
    o = floating(-12_345, SHORT, order_id=1)
    dlob = book_with((A, AUTH_A, [o]))
    for oracle in (1, 50, 12_000, ORACLE_PX, ORACLE_PX + 77):
        assert dlob.best_ask(0, 10, oracle, TICK) == limit_price(o, 10, oracle, TICK)


def test_empty_side_and_unknown_market_give_none():
    dlob = book_with((A, AUTH_A, [resting(99_900_000, LONG)]))
    assert dlob.best_ask(0, 10, ORACLE_PX, TICK) is None
    assert dlob.best_bid(5, 10, ORACLE_PX, TICK) is None
    assert dlob.l2(5, 10, ORACLE_PX, TICK).bids == []


def test_price_time_priority_with_floating_ties_sorted_by_slot():
    # two floating bids whose offsets round to the same price, the later-offset one older
    dlob = book_with(
        (A, AUTH_A, [floating(-120, LONG, order_id=1, slot=9)]),
        (
            B,
            AUTH_B,
            [
                floating(-150, LONG, order_id=1, slot=3),
                resting(99_999_800, LONG, order_id=2, slot=5),
            ],
        ),
    )
    l3 = dlob.l3(0, 10, ORACLE_PX, TICK)
    assert [(o.price, o.user, o.order.slot) for o in l3.bids] == [
        (99_999_800, B, 3),
        (99_999_800, B, 5),
        (99_999_800, A, 9),
    ]


def test_floating_ties_ahead_of_worse_floating_orders_keep_slot_priority():
    dlob = book_with(
        (
            A,
            AUTH_A,
            [floating(-120, LONG, order_id=1, slot=9), floating(-990, LONG, order_id=2, slot=1)],
        ),
        (B, AUTH_B, [floating(-150, LONG, order_id=1, slot=3)]),
    )
    bids = dlob.l3(0, 10, ORACLE_PX, TICK).bids
    assert [(o.price, o.order.slot) for o in bids] == [
        (99_999_800, 3),
        (99_999_800, 9),
        (99_999_000, 1),
    ]


def test_perp_and_spot_markets_are_apart():
    dlob = book_with(
        (
            A,
            AUTH_A,
            [
                resting(99_000_000, LONG, order_id=1),
                resting(98_000_000, LONG, order_id=2, market_type=SPOT),
            ],
        ),
    )
    assert dlob.best_bid(0, 10, ORACLE_PX, TICK) == 99_000_000
    assert dlob.best_bid(0, 10, ORACLE_PX, TICK, market_type=SPOT) == 98_000_000


def test_l2_aggregates_levels_and_stops_at_depth():
    dlob = book_with(
        (
            A,
            AUTH_A,
            [resting(99_000_000, LONG, order_id=i, base_asset_amount=i * BASE) for i in (1, 2)],
        ),
        (B, AUTH_B, [resting(98_000_000 - i * TICK, LONG, order_id=i) for i in range(5)]),
    )
    l2 = dlob.l2(0, 10, ORACLE_PX, TICK, depth=3)
    assert l2.bids == [
        Level(99_000_000, 3 * BASE),
        Level(98_000_000, BASE),
        Level(98_000_000 - TICK, BASE),
    ]
    assert l2.asks == []


def test_partial_fill_updates_remaining_size_in_place():
    o = resting(99_000_000, LONG, order_id=1)
    dlob = book_with((A, AUTH_A, [o]))
    half = o.replace(base_asset_amount_filled=BASE // 2)
    events = dlob.apply_user(A, user(AUTH_A, half), 11)
    assert events == [OrderUpdated(A, o, half)]
    assert dlob.l2(0, 11, ORACLE_PX, TICK).bids == [Level(99_000_000, BASE // 2)]


def test_older_update_is_dropped_and_cannot_revive_a_filled_order():
    o = resting(99_000_000, LONG, order_id=1)
    dlob = DLOB()
    dlob.apply_user(A, user(AUTH_A, o), 10)
    filled = o.replace(status=2, base_asset_amount_filled=BASE)
    assert dlob.apply_user(A, user(AUTH_A, filled), 12) == [OrderRemoved(A, o)]
    assert dlob.apply_user(A, user(AUTH_A, o), 11) == []
    assert dlob.stale_updates == 1
    assert dlob.best_bid(0, 12, ORACLE_PX, TICK) is None
    assert dlob.user_orders(A) == []


def test_duplicate_update_is_a_no_op_and_pubkeys_are_accepted():
    o = resting(99_000_000, LONG, order_id=1)
    dlob = DLOB()
    pk = Pubkey.from_bytes(A)
    assert dlob.apply_user(pk, user(AUTH_A, o), 10) == [OrderInserted(A, o)]
    assert dlob.apply_user(A, user(AUTH_A, o), 10) == []
    assert len(dlob) == 1 and dlob.get_order(pk, 1) == o


def test_decoded_accounts_feed_the_book():
    o = resting(99_000_000, LONG, order_id=4)
    raw = encode_user(user(AUTH_A, EMPTY_ORDER, o))
    dlob = DLOB()
    dlob.apply_user(A, decode_user(raw), 10)
    assert dlob.user_orders(A) == [o]
    assert dlob.top_makers(0, LONG, BASE, 10, ORACLE_PX, TICK)[0].authority == AUTH_A


def test_remove_user_drops_its_orders_but_keeps_the_slot_guard():
    o = resting(99_000_000, LONG, order_id=1)
    dlob = book_with((A, AUTH_A, [o]))
    assert dlob.remove_user(A) == [OrderRemoved(A, o)]
    assert dlob.best_bid(0, 10, ORACLE_PX, TICK) is None
    assert dlob.apply_user(A, user(AUTH_A, o), 9) == []
    assert dlob.apply_user(A, user(AUTH_A, o), 10) == [OrderInserted(A, o)]


def test_load_replaces_the_book_and_counts_ghosts_and_missing():
    a1, a2 = resting(99_000_000, LONG, order_id=1), resting(98_000_000, LONG, order_id=2)
    b1 = resting(101_000_000, SHORT, order_id=1)
    dlob = book_with((A, AUTH_A, [a1, a2]), (B, AUTH_B, [b1]))
    a2_part = a2.replace(base_asset_amount_filled=5)
    c1 = resting(100_500_000, SHORT, order_id=1)
    report = dlob.load({A: user(AUTH_A, a2_part), C: user(AUTH_C, c1)}, slot=20)
    assert (report.users, report.orders) == (2, 2)
    assert (report.ghosts, report.missing, report.changed) == (2, 1, 1)  # a1, b1 ghosts; c1 new
    assert dlob.best_ask(0, 20, ORACLE_PX, TICK) == 100_500_000
    assert dlob.apply_user(B, user(AUTH_B, b1), 19) == []  # older than the snapshot


def test_expired_orders_are_left_out_given_now():
    dlob = book_with(
        (A, AUTH_A, [resting(99_000_000, LONG, order_id=1, max_ts=1_000)]),
        (B, AUTH_B, [resting(98_000_000, LONG, order_id=1)]),
    )
    assert dlob.best_bid(0, 10, ORACLE_PX, TICK, now=1_000) == 99_000_000
    assert dlob.best_bid(0, 10, ORACLE_PX, TICK, now=1_001) == 98_000_000
    assert dlob.best_bid(0, 10, ORACLE_PX, TICK) == 99_000_000


def test_exclude_by_account_or_authority():
    dlob = book_with(
        (A, AUTH_A, [resting(99_000_000, LONG, order_id=1)]),
        (B, AUTH_A, [resting(98_000_000, LONG, order_id=1)]),  # a sub-account of the same authority
        (C, AUTH_C, [resting(97_000_000, LONG, order_id=1)]),
    )
    assert dlob.best_bid(0, 10, ORACLE_PX, TICK, exclude={A}) == 98_000_000
    assert dlob.best_bid(0, 10, ORACLE_PX, TICK, exclude={AUTH_A}) == 97_000_000


def _limit_taker(**f):
    fields = {
        "order_type": LIMIT,
        "direction": LONG,
        "price": 100_500_000,
        "auction_start_price": 100_000_000,
        "auction_end_price": 100_400_000,
        "auction_duration": 4,
        "slot": 10,
    }
    return order(**(fields | f))


def test_limit_order_in_auction_takes_then_rests_without_any_update():
    t = _limit_taker(order_id=1)
    dlob = book_with((A, AUTH_A, [t]))
    for slot in range(10, 15):  # live for slots 10..14
        assert dlob.best_bid(0, slot, ORACLE_PX, TICK) is None
        (auction,) = dlob.auctions(0, slot, ORACLE_PX, TICK)
        assert auction.price == 100_000_000 + (slot - 10) * 100_000
    assert dlob.best_bid(0, 15, ORACLE_PX, TICK) == 100_500_000
    assert dlob.auctions(0, 15, ORACLE_PX, TICK) == []


def test_query_at_an_older_slot_sees_the_auction_again():
    dlob = book_with((A, AUTH_A, [_limit_taker(order_id=1)]))
    assert dlob.best_bid(0, 30, ORACLE_PX, TICK) == 100_500_000
    assert dlob.best_bid(0, 12, ORACLE_PX, TICK) is None
    assert [a.price for a in dlob.auctions(0, 12, ORACLE_PX, TICK)] == [100_200_000]
    # an order arriving after the book moved on is placed by its own slot too
    dlob.apply_user(B, user(AUTH_B, _limit_taker(order_id=1, slot=28)), 28)
    assert [a.user for a in dlob.auctions(0, 30, ORACLE_PX, TICK)] == [B]


def test_market_and_oracle_orders_are_auctions_never_resting():
    m = order(
        order_type=MARKET,
        direction=SHORT,
        auction_start_price=100_000_000,
        auction_end_price=99_000_000,
        auction_duration=10,
        order_id=1,
    )
    o = order(
        order_type=ORACLE,
        direction=LONG,
        auction_start_price=-1000,
        auction_end_price=5000,
        auction_duration=10,
        oracle_price_offset=6000,
        order_id=2,
    )
    dlob = book_with((A, AUTH_A, [m, o]), slot=1)
    got = dlob.auctions(0, 6, ORACLE_PX, TICK)
    assert [(a.order.order_id, a.price) for a in got] == [(1, 99_500_000), (2, 100_002_000)]
    assert (
        dlob.best_bid(0, 6, ORACLE_PX, TICK) is None
        and dlob.best_ask(0, 6, ORACLE_PX, TICK) is None
    )
    assert dlob.auctions(0, 12, ORACLE_PX, TICK) == []  # auctions over


def test_untriggered_trigger_orders_are_kept_apart_until_triggered():
    t = order(
        order_type=TRIGGER_LIMIT,
        direction=SHORT,
        price=99_000_000,
        trigger_price=99_500_000,
        trigger_condition=1,
        order_id=1,
    )
    tm = order(
        order_type=TRIGGER_MARKET,
        direction=LONG,
        trigger_price=101_000_000,
        trigger_condition=0,
        order_id=2,
    )
    dlob = book_with((A, AUTH_A, [t, tm]))
    above, below = dlob.trigger_orders(0)
    assert [o.order_id for _, o in above] == [2] and [o.order_id for _, o in below] == [1]
    assert dlob.best_ask(0, 10, ORACLE_PX, TICK) is None
    fired = t.replace(trigger_condition=3, slot=20)
    dlob.apply_user(A, user(AUTH_A, fired, tm), 20)
    assert dlob.best_ask(0, 20, ORACLE_PX, TICK) == 99_000_000
    assert [o.order_id for _, o in dlob.trigger_orders(0)[1]] == []


def test_crosses_fill_best_makers_first_at_their_own_prices():
    taker = order(
        order_type=MARKET,
        direction=LONG,
        base_asset_amount=3 * BASE,
        auction_start_price=100_000_000,
        auction_end_price=101_000_000,
        auction_duration=10,
        order_id=1,
        slot=10,
    )
    dlob = book_with(
        (A, AUTH_A, [taker, resting(100_100_000, SHORT, order_id=2)]),  # taker's own ask: skipped
        (
            B,
            AUTH_B,
            [
                resting(100_300_000, SHORT, order_id=1, base_asset_amount=2 * BASE),
                resting(100_900_000, SHORT, order_id=2),
            ],
        ),
        (C, AUTH_C, [floating(200_000, SHORT, order_id=1, base_asset_amount=5 * BASE)]),
    )
    # slot 15: taker price 100_500_000 crosses B@100.3 and C@100.2
    (cross,) = dlob.find_crosses_for_auctions(0, 15, ORACLE_PX, TICK)
    assert cross.taker.price == 100_500_000
    assert [(m.user, m.price, m.fill) for m in cross.makers] == [
        (C, 100_200_000, 3 * BASE),
    ]
    (cross,) = dlob.find_crosses_for_auctions(0, 15, ORACLE_PX, TICK, exclude={AUTH_C})
    assert [(m.user, m.price, m.fill) for m in cross.makers] == [(B, 100_300_000, 2 * BASE)]
    (cross,) = dlob.find_crosses_for_auctions(0, 20, ORACLE_PX, TICK, exclude={C})
    assert [(m.user, m.price, m.fill) for m in cross.makers] == [
        (B, 100_300_000, 2 * BASE),
        (B, 100_900_000, BASE),
    ]
    (cross,) = dlob.find_crosses_for_auctions(0, 20, ORACLE_PX, TICK, max_makers=1, exclude={C})
    assert len(cross.makers) == 1
    assert dlob.find_crosses_for_auctions(0, 10, ORACLE_PX, TICK) == []  # 100.0 crosses nobody


def test_top_makers_cover_the_size_best_first():
    dlob = book_with(
        (A, AUTH_A, [resting(99_000_000, LONG, order_id=1, base_asset_amount=2 * BASE)]),
        (B, AUTH_B, [resting(98_000_000, LONG, order_id=1, base_asset_amount=2 * BASE)]),
    )
    makers = dlob.top_makers(0, LONG, 3 * BASE, 10, ORACLE_PX, TICK)
    assert [(m.user, m.fill) for m in makers] == [(A, 2 * BASE), (B, BASE)]
    assert len(dlob.top_makers(0, LONG, 3 * BASE, 10, ORACLE_PX, TICK, max_makers=1)) == 1
    assert dlob.top_makers(0, SHORT, BASE, 10, ORACLE_PX, TICK) == []


def test_user_orders_and_markets():
    o1, o2 = resting(99_000_000, LONG, order_id=1), resting(1, LONG, order_id=2, market_index=3)
    dlob = book_with((A, AUTH_A, [o1, o2]))
    assert dlob.user_orders(A) == [o1, o2]
    assert [i for _, i in dlob.markets()] == [0, 3]
    assert dlob.markets()[0][0] == PERP


def test_load_restores_the_garbage_collector_state():
    import gc

    snapshot = {A: user(AUTH_A, resting(99_000_000, LONG, order_id=1))}
    assert gc.isenabled()
    DLOB().load(snapshot, 1)
    assert gc.isenabled()
    gc.disable()
    try:
        DLOB().load(snapshot, 1)
        assert not gc.isenabled()
    finally:
        gc.enable()
