"""The pure account diff: which order events turn one User state into the next."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from jitmaker.accounts.order import EMPTY_ORDER
from jitmaker.dlob import (
    OrderInserted,
    OrderRemoved,
    OrderUpdated,
    diff_user_orders,
    is_same_logical_order,
)
from tests.dlob.helpers import BASE, LIMIT, SHORT, TRIGGER_LIMIT, key, order, resting

U = key(7)


def slots(*orders):
    return (*orders, *[EMPTY_ORDER] * (32 - len(orders)))


def test_identical_states_give_no_events():
    state = slots(resting(100, order_id=1), resting(101, order_id=2))
    assert diff_user_orders(U, state, tuple(state)) == []


def test_new_order_in_a_free_slot_is_an_insert():
    a = resting(100, order_id=1)
    b = resting(99, order_id=2)
    assert diff_user_orders(U, slots(a), slots(a, b)) == [OrderInserted(U, b)]


def test_first_state_of_an_account_inserts_every_live_order():
    a, b = resting(100, order_id=1), resting(99, order_id=2, status=3)
    assert diff_user_orders(U, (), slots(a, b)) == [OrderInserted(U, a)]


def test_partial_fill_is_an_update():
    a = resting(100, order_id=1)
    a2 = a.replace(base_asset_amount_filled=BASE // 4, quote_asset_amount_filled=25)
    assert diff_user_orders(U, slots(a), slots(a2)) == [OrderUpdated(U, a, a2)]


def test_full_fill_and_cancel_are_removes():
    a, b = resting(100, order_id=1), resting(99, order_id=2)
    filled = a.replace(status=2, base_asset_amount_filled=BASE)
    cancelled = b.replace(status=3)
    events = diff_user_orders(U, slots(a, b), slots(filled, cancelled))
    assert events == [OrderRemoved(U, a), OrderRemoved(U, b)]


def test_filled_amount_reaching_base_while_open_counts_as_gone():
    a = resting(100, order_id=1)
    done = a.replace(base_asset_amount_filled=BASE)
    assert diff_user_orders(U, slots(a), slots(done)) == [OrderRemoved(U, a)]


def test_reused_order_id_for_another_order_is_remove_then_insert():
    old = resting(100, order_id=5, slot=10)
    new = resting(120, order_id=5, slot=900, direction=SHORT)
    assert diff_user_orders(U, slots(old), slots(new)) == [
        OrderRemoved(U, old),
        OrderInserted(U, new),
    ]


def test_removes_come_before_updates_before_inserts():
    a, b = resting(100, order_id=1), resting(99, order_id=2)
    c = resting(98, order_id=3)
    b2 = b.replace(base_asset_amount_filled=1)
    # slot of a (cancelled) is reused by c
    events = diff_user_orders(U, slots(a, b), slots(c, b2))
    assert [type(e) for e in events] == [OrderRemoved, OrderUpdated, OrderInserted]


def test_order_seen_at_another_position_is_no_event():
    a, b = resting(100, order_id=1), resting(99, order_id=2)
    assert diff_user_orders(U, [a, b], [b, a]) == []
    assert diff_user_orders(U, [a, b], [b]) == [OrderRemoved(U, a)]


def test_triggering_a_trigger_order_is_an_update():
    t = order(order_type=TRIGGER_LIMIT, price=100, trigger_price=90, trigger_condition=1, slot=5)
    fired = t.replace(
        trigger_condition=3,
        slot=50,
        auction_duration=10,
        auction_start_price=100,
        auction_end_price=100,
    )
    assert is_same_logical_order(t, fired)
    assert diff_user_orders(U, slots(t), slots(fired)) == [OrderUpdated(U, t, fired)]


def test_a_limit_order_with_another_slot_is_another_order():
    a = order(order_type=LIMIT, price=100, slot=5)
    assert not is_same_logical_order(a, a.replace(slot=6))


_orders = st.builds(
    lambda oid, status, price, filled: resting(
        100 + price, order_id=oid, status=status, base_asset_amount_filled=filled
    ),
    st.integers(1, 6),
    st.sampled_from([0, 1, 1, 2, 3]),
    st.integers(0, 3),
    st.sampled_from([0, 0, BASE // 2]),
)


def _unique_live(orders):
    seen, out = set(), []
    for o in orders:
        if o.status == 1 and o.order_id in seen:
            o = o.replace(status=3)
        if o.status == 1:
            seen.add(o.order_id)
        out.append(o)
    return out


@settings(max_examples=300)
@given(st.lists(_orders, max_size=8), st.lists(_orders, max_size=8))
def test_applying_the_events_to_the_old_live_set_gives_the_new_live_set(old, new):
    old, new = _unique_live(old), _unique_live(new)
    live = {
        o.order_id: o
        for o in old
        if o.status == 1 and o.base_asset_amount > o.base_asset_amount_filled
    }
    for ev in diff_user_orders(U, old, new):
        if isinstance(ev, OrderRemoved):
            assert live.pop(ev.order.order_id) == ev.order
        elif isinstance(ev, OrderUpdated):
            assert live[ev.old.order_id] == ev.old and is_same_logical_order(ev.old, ev.new)
            live[ev.new.order_id] = ev.new
        else:
            assert ev.order.order_id not in live
            live[ev.order.order_id] = ev.order
    expected = {
        o.order_id: o
        for o in new
        if o.status == 1 and o.base_asset_amount > o.base_asset_amount_filled
    }
    assert live == expected


_FIELD_VALUES = {
    "order_id": [1, 2],
    "order_type": [1, 3],
    "slot": [5, 6],
    "price": [100, 101],
    "base_asset_amount_filled": [0, 7],
    "quote_asset_amount_filled": [0, 9],
    "trigger_condition": [0, 2],
    "auction_duration": [0, 4],
    "bit_flags": [0, 2],
    "direction": [0, 1],
    "max_ts": [0, 50],
    "reduce_only": [False, True],
}


@settings(max_examples=300)
@given(
    st.fixed_dictionaries({k: st.sampled_from(v) for k, v in _FIELD_VALUES.items()}),
    st.fixed_dictionaries({k: st.sampled_from(v) for k, v in _FIELD_VALUES.items()}),
)
def test_same_logical_order_matches_its_field_definition(a, b):
    from tests.dlob.helpers import _same_logical

    old, new = order(**a), order(**b)
    assert is_same_logical_order(old, new) == _same_logical(old, new)
