"""The optional C accelerator (``jitmaker.accounts._speedups``) against its pure-Python twins.

Every decoder goes through ``_getter.record_codec`` and ``_getter.enum_getter``; these tests hold
the C versions to exactly the values, types and errors of the Python ones, and check that the
whole ``decode_user`` gives the same records with and without the accelerator.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import struct
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jitmaker.accounts import _getter, decode_user, encode_user
from jitmaker.accounts.enums import OrderStatus, PositionDirection
from jitmaker.accounts.order import ORDER_STRUCT, Order
from jitmaker.accounts.positions import (
    PERP_POSITION_STRUCT,
    SPOT_POSITION_STRUCT,
    PerpPosition,
    SpotPosition,
)
from tests.accounts.strategies import users


def _c_module():
    from jitmaker.accounts import _speedups

    return _speedups


def test_c_accelerator_is_built_and_in_use():
    """The dev install compiles it (gcc and the Python headers are part of the set-up); without
    it decoding still works but misses its speed targets, so a silent build failure must show."""
    module = _c_module()
    assert hasattr(module, "RecordCodec") and hasattr(module, "EnumField")
    if not os.environ.get("JITMAKER_NO_SPEEDUPS"):
        assert _getter.SPEEDUPS is True


class Plain(tuple):
    __slots__ = ()


RECORD_LAYOUTS = [
    (Order, ORDER_STRUCT.format),
    (PerpPosition, PERP_POSITION_STRUCT.format),
    (SpotPosition, SPOT_POSITION_STRUCT.format),
    (Plain, "<QqIiHhBb?x3s"),
    (Plain, "<2h3b2?xx0s5sQ"),
    (tuple, "<4B2x?"),
]


@pytest.mark.parametrize("cls,fmt", RECORD_LAYOUTS, ids=lambda v: getattr(v, "__name__", v))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_record_codec_matches_struct(cls, fmt, data):
    size = struct.calcsize(fmt)
    count = data.draw(st.integers(0, 6), label="count")
    offset = data.draw(st.integers(0, 9), label="offset")
    buf = data.draw(st.binary(min_size=offset + size * count, max_size=offset + size * count + 7))
    tail = data.draw(st.sampled_from([(), ("x",), (None, 1)]), label="tail")
    c = _c_module().RecordCodec(cls, fmt)
    py = _getter.PyRecordCodec(cls, fmt)
    assert c.size == py.size == size
    got_c = c.unpack(buf, offset, count, tail)
    got_py = py.unpack(buf, offset, count, tail)
    expected = (*(cls(v) for v in struct.iter_unpack(fmt, buf[offset : offset + size * count])),)
    assert got_c == got_py == (*expected, *tail)
    assert [type(r) for r in got_c] == [type(r) for r in got_py]
    for rc, rp in zip(got_c[:count], got_py[:count], strict=True):
        assert [type(v) for v in rc] == [type(v) for v in rp]  # bool stays bool, bytes bytes
    # also from a bytearray and a memoryview (the RPC layer may hand either)
    assert c.unpack(bytearray(buf), offset, count, tail) == got_c
    assert c.unpack(memoryview(buf), offset, count, tail) == got_c


@pytest.mark.parametrize("impl", ["c", "py"])
@pytest.mark.parametrize("offset,count", [(0, 3), (1, 2), (-1, 1), (0, -1), (100, 0)])
def test_record_codec_refuses_to_read_past_the_buffer(impl, offset, count):
    cls = _c_module().RecordCodec if impl == "c" else _getter.PyRecordCodec
    codec = cls(Plain, "<Q")
    with pytest.raises(ValueError, match="exceed"):
        codec.unpack(bytes(16), offset, count)


@pytest.mark.parametrize("fmt", [">Q", "Q", "<Qd", "<3", "<e"])
def test_record_codec_rejects_unsupported_formats(fmt):
    with pytest.raises(ValueError):
        _c_module().RecordCodec(Plain, fmt)


def test_record_codec_needs_a_tuple_type():
    with pytest.raises(TypeError):
        _c_module().RecordCodec(list, "<Q")
    with pytest.raises(TypeError):
        _getter.PyRecordCodec(list, "<Q")


class Holder(tuple):
    __slots__ = ()


MEMBERS = tuple(PositionDirection)
Holder.c = _c_module().EnumField(0, MEMBERS, "c field")
Holder.py = _getter.PyEnumField(0, MEMBERS, "py field")


def _outcome(fn):
    try:
        return ("ok", fn())
    except Exception as exc:
        return ("raised", type(exc))


@pytest.mark.parametrize("value", [0, 1, 2, -1, -2, -3, 2**70, True, 1.0, "1", None])
def test_enum_field_behaves_like_the_python_property(value):
    h = Holder((value,))
    c, py = _outcome(lambda: h.c), _outcome(lambda: h.py)
    assert c == py
    if c[0] == "ok":
        assert c[1] is py[1]  # the very member, so `is` comparisons hold


def test_enum_field_is_read_only_and_documented():
    h = Holder((1,))
    assert h.c is PositionDirection.SHORT
    with pytest.raises(AttributeError):
        h.c = PositionDirection.LONG
    assert (
        _outcome(lambda: Holder(()).c) == _outcome(lambda: Holder(()).py) == ("raised", IndexError)
    )
    assert isinstance(Holder.__dict__["c"], _c_module().EnumField)
    assert Holder.c.__doc__ == "c field"
    assert Holder.c.index == 0 and Holder.c.members is MEMBERS


def test_enum_field_on_a_non_tuple_raises_type_error():
    descriptor = Holder.__dict__["c"]
    with pytest.raises(TypeError):
        descriptor.__get__([0], list)


def test_decoded_orders_use_the_accelerated_getters():
    expected = _c_module().EnumField if _getter.SPEEDUPS else property
    assert type(Order.__dict__["status"]) is expected
    user = decode_user(encode_user(_one_user()))
    assert user.orders[0].status is OrderStatus.OPEN
    assert pickle.loads(pickle.dumps(user)) == user


def _one_user():
    from jitmaker.accounts import User

    order = Order.new(status=OrderStatus.OPEN, order_id=7, price=123, direction=1)
    return User.new(authority=bytes(32), orders=[order])


@settings(max_examples=60, deadline=None)
@given(user=users())
def test_user_records_same_from_both_codecs(user):
    from jitmaker.accounts.user import _ORDERS_AT, _PERPS_AT, _SPOTS_AT

    data = encode_user(user)
    for cls, fmt, at, n in (
        (Order, ORDER_STRUCT.format, _ORDERS_AT, 32),
        (PerpPosition, PERP_POSITION_STRUCT.format, _PERPS_AT, 8),
        (SpotPosition, SPOT_POSITION_STRUCT.format, _SPOTS_AT, 8),
    ):
        got_c = _c_module().RecordCodec(cls, fmt).unpack(data, at, n)
        assert got_c == _getter.PyRecordCodec(cls, fmt).unpack(data, at, n)
    fast = decode_user(data)
    assert fast == user
    for got, want in zip(fast.orders, user.orders, strict=True):
        assert got.as_dict() == want.as_dict()


_DIGEST_SCRIPT = r"""
import hashlib, random, sys
from jitmaker.accounts import _getter, decode_user, encode_user, User
from jitmaker.accounts.order import Order
assert _getter.SPEEDUPS is (sys.argv[1] == "c"), _getter.SPEEDUPS
rng = random.Random(5)
h = hashlib.sha256()
for k in range(200):
    orders = [
        Order.new(status=rng.randrange(4), order_type=rng.randrange(5), market_type=rng.randrange(2),
                  direction=rng.randrange(2), existing_position_direction=rng.randrange(2),
                  trigger_condition=rng.randrange(4), price=rng.getrandbits(64),
                  auction_start_price=rng.randrange(-2**63, 2**63), oracle_price_offset=-rng.getrandbits(31),
                  post_only=rng.random() < 0.5, order_id=rng.getrandbits(32), market_index=rng.getrandbits(16))
        for _ in range(rng.randint(0, 32))
    ]
    user = decode_user(encode_user(User.new(authority=rng.randbytes(32), orders=orders)))
    for o in user.orders:
        h.update(repr(sorted((n, repr(v)) for n, v in o.as_dict().items())).encode())
    for p in (*user.perp_positions, *user.spot_positions):
        h.update(repr(p).encode())
print(h.hexdigest())
"""


def test_decode_user_same_with_and_without_the_accelerator_across_processes():
    """The whole decoder, run once with the C module and once with JITMAKER_NO_SPEEDUPS=1,
    gives the same records (enum members, bools and ints alike) for 200 random users."""
    digests = {}
    for mode in ("c", "py"):
        env = {k: v for k, v in os.environ.items() if k != "JITMAKER_NO_SPEEDUPS"}
        if mode == "py":
            env["JITMAKER_NO_SPEEDUPS"] = "1"
        out = subprocess.run(
            [sys.executable, "-c", _DIGEST_SCRIPT, mode],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr[-2000:]
        digests[mode] = out.stdout.strip()
    assert len(digests["c"]) == len(hashlib.sha256().hexdigest())
    assert digests["c"] == digests["py"]
