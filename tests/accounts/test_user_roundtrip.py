"""decode_user / encode_user / User.new behave as a pair and reject bad bytes precisely."""

from __future__ import annotations

import re

import pytest

from jitmaker.accounts import (
    USER_DISCRIMINATOR,
    USER_SIZE,
    MarginMode,
    Order,
    OrderStatus,
    OrderType,
    PerpPosition,
    PositionDirection,
    SpotPosition,
    User,
    decode_user,
    encode_user,
)
from jitmaker.errors import DecodeError


def _user() -> User:
    orders = [
        Order.new(
            status=OrderStatus.OPEN,
            order_type=OrderType.LIMIT,
            order_id=7,
            market_index=3,
            market_type=1,
            direction=PositionDirection.SHORT,
            price=101_000_000,
            base_asset_amount=2_000_000_000,
            auction_duration=10,
            auction_start_price=-5,
            oracle_price_offset=-100,
        ),
        Order.new(status=OrderStatus.FILLED, order_id=6),
    ]
    return User.new(
        authority=bytes(range(32)),
        sub_account_id=2,
        orders=orders,
        perp_positions=[{"market_index": 3, "base_asset_amount": -10}],
        margin_mode=MarginMode.HIGH_LEVERAGE,
        name=b"maker",
    )


def test_roundtrip_all_slots_and_counters():
    user = _user()
    data = encode_user(user)
    assert len(data) == USER_SIZE and data[:8] == USER_DISCRIMINATOR
    back = decode_user(data)
    assert back == user
    assert (
        len(back.orders) == 32 and len(back.perp_positions) == 8 and len(back.spot_positions) == 8
    )
    assert back.orders[0].direction is PositionDirection.SHORT
    assert back.orders[1].status is OrderStatus.FILLED
    assert (back.open_orders, back.has_open_order, back.open_auctions) == (1, True, 1)
    assert back.next_order_id == 8
    assert back.margin_mode is MarginMode.HIGH_LEVERAGE
    assert back.perp_position(3).base_asset_amount == -10
    assert back.perp_position(4) is None
    assert [o.order_id for o in back.open_orders_list()] == [7]
    assert back.name_str == "maker"
    assert bytes(back.authority) == bytes(range(32)) == back.authority_bytes
    assert decode_user(bytearray(data)) == user
    assert decode_user(memoryview(data)) == user


def test_offsets_match_protocol_doc():
    data = encode_user(_user())
    assert data[4346] == 2  # sub_account_id
    assert data[1192 + 82] == 1  # order 0 status Open
    assert data[1192 + 87] == 1  # order 0 direction Short
    assert data[1192 + 92] == 10  # order 0 auction_duration
    assert int.from_bytes(data[424 + 8 : 424 + 16], "little", signed=True) == -10
    assert data[424 + 92] == 3  # perp position 0 market index
    assert data[4352] == 1 and data[4354] == 1 and data[4355] == 1


def test_wrong_length_and_discriminator():
    data = encode_user(_user())
    with pytest.raises(DecodeError, match="expected 4376 bytes, got 4375"):
        decode_user(data[:-1])
    with pytest.raises(DecodeError, match="wrong discriminator"):
        decode_user(bytes(8) + data[8:])


@pytest.mark.parametrize(
    ("offset", "value", "field"),
    [
        (1192 + 96 * 5 + 82, 4, "orders[5].status"),
        (1192 + 96 * 31 + 83, 5, "orders[31].order_type"),
        (1192 + 84, 2, "orders[0].market_type"),
        (1192 + 96 + 86, 2, "orders[1].existing_position_direction"),
        (1192 + 96 * 2 + 87, 9, "orders[2].direction"),
        (1192 + 91, 4, "orders[0].trigger_condition"),
        (104 + 40 * 7 + 34, 2, "spot_positions[7].balance_type"),
        (4355, 3, "margin_mode"),
    ],
)
def test_invalid_enum_byte_names_field(offset, value, field):
    data = bytearray(encode_user(_user()))
    data[offset] = value
    with pytest.raises(DecodeError, match=re.escape(field)):
        decode_user(bytes(data))


def test_pickle_copy_and_replace():
    import copy
    import pickle

    user = _user()
    assert pickle.loads(pickle.dumps(user)) == user
    assert type(pickle.loads(pickle.dumps(user))) is User
    assert copy.deepcopy(user) == user
    changed = user.replace(sub_account_id=9, idle=True)
    assert (changed.sub_account_id, changed.idle, user.sub_account_id) == (9, True, 2)
    assert decode_user(encode_user(changed)) == changed


def test_new_counters_can_be_overridden_and_bounds_checked():
    user = User.new(orders=[Order.new(status=OrderStatus.OPEN)], open_orders=5)
    assert (user.open_orders, user.has_open_order, user.open_auctions) == (5, True, 0)
    with pytest.raises(TypeError):
        User.new(orders=[Order.new()] * 33)
    with pytest.raises(TypeError, match="no field"):
        User.new(bogus=1)


def test_encode_rejects_out_of_range_values():
    from jitmaker.errors import EncodeError

    with pytest.raises(EncodeError):
        encode_user(_user().replace(sub_account_id=70_000))


def test_non_trailing_and_status_zero_slots_are_decoded_not_shared():
    # slot 3 has status Init (0) but data; perp slot 5 and spot slot 6 are the only used ones
    orders = [Order.new()] * 3 + [Order.new(price=123, order_id=4)]
    perps = [PerpPosition.new()] * 5 + [PerpPosition.new(market_index=9, base_asset_amount=-1)]
    spots = [SpotPosition.new()] * 6 + [SpotPosition.new(market_index=2, scaled_balance=5)]
    user = User.new(orders=orders, perp_positions=perps, spot_positions=spots)
    back = decode_user(encode_user(user))
    assert back == user
    assert back.orders[3].price == 123 and back.orders[3].status is OrderStatus.INIT
    assert back.perp_position(9).base_asset_amount == -1
    assert back.spot_position(2).scaled_balance == 5
    assert back.perp_positions[5].market_index == 9 and back.spot_positions[6].market_index == 2
