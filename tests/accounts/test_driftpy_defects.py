"""Documented disagreements between driftpy's hand-written decoder and the Anchor coder.

driftpy 0.8.89 ``driftpy.decode.user.decode_user`` reads PerpPosition bytes 88..92 as one i32
``remainder_base_asset_amount``; IDL 2.142.0 has ``padding[2]`` + ``max_margin_ratio: u16``
there, so a position with a custom max margin ratio comes out as ``ratio << 16``. It also
reads ``per_lp_base`` (i8) as unsigned and drops non-open orders (its list is not 32 long).
Our decoder agrees with the Anchor coder on all of these.
"""

from __future__ import annotations

from driftpy.decode.pull_oracle import decode_pull_oracle
from driftpy.decode.user import decode_user as driftpy_decode_user

from jitmaker.accounts import (
    Order,
    OrderStatus,
    PerpPosition,
    User,
    decode_user,
    encode_user,
)
from jitmaker.accounts.oracles import (
    PriceUpdateV2,
    VerificationLevel,
    decode_price_update_v2,
    encode_price_update_v2,
)
from tests.accounts.anchor_ref import anchor_build, coder


def _user_with_margin_ratio() -> User:
    position = PerpPosition.new(
        market_index=4, base_asset_amount=3_000_000_000, max_margin_ratio=500, per_lp_base=-1
    )
    orders = [Order.new(status=OrderStatus.OPEN, order_id=1), Order.new(status=OrderStatus.FILLED)]
    return User.new(perp_positions=[position], orders=orders)


def test_driftpy_misreads_perp_position_bytes_88_to_92():
    user = _user_with_margin_ratio()
    data = anchor_build("User", user)
    assert data == encode_user(user)
    anchor = coder().decode(data)
    theirs = driftpy_decode_user(data)
    ours = decode_user(data)

    assert anchor.perp_positions[0].max_margin_ratio == 500
    assert ours.perp_positions[0].max_margin_ratio == 500
    # driftpy has no max_margin_ratio; its i32 over bytes 88..92 is padding + (500 << 16)
    assert theirs.perp_positions[0].remainder_base_asset_amount == 500 << 16
    assert not hasattr(theirs.perp_positions[0], "max_margin_ratio")

    assert anchor.perp_positions[0].per_lp_base == -1 == ours.perp_positions[0].per_lp_base
    assert theirs.perp_positions[0].per_lp_base == 255


def test_driftpy_drops_non_open_orders():
    data = encode_user(_user_with_margin_ratio())
    assert len(driftpy_decode_user(data).orders) == 1
    assert len(coder().decode(data).orders) == 32 == len(decode_user(data).orders)
    assert decode_user(data).orders[1].status is OrderStatus.FILLED


def test_price_update_v2_agrees_with_driftpy_pull_decoder():
    for level, signatures in ((VerificationLevel.FULL, 0), (VerificationLevel.PARTIAL, 5)):
        update = PriceUpdateV2.new(
            write_authority=bytes(range(32)),
            verification_level=level,
            num_signatures=signatures,
            feed_id=bytes(range(1, 33)),
            price=-12_345_678_901,
            conf=987_654,
            exponent=-8,
            publish_time=1_700_000_000,
            prev_publish_time=1_699_999_999,
            ema_price=12_300_000_000,
            ema_conf=1_000,
            posted_slot=300_000_000,
        )
        data = encode_price_update_v2(update)
        assert decode_price_update_v2(data) == update
        theirs = decode_pull_oracle(data)
        message = theirs.price_message
        assert (message.price, message.conf, message.exponent) == (-12_345_678_901, 987_654, -8)
        assert (message.ema_price, message.ema_conf) == (12_300_000_000, 1_000)
        assert theirs.posted_slot == 300_000_000
