"""decode_users_from_gpa: every reply shape and encoding, and precise errors."""

from __future__ import annotations

import base64
import json

import pytest
import zstandard

from jitmaker.accounts import Order, OrderStatus, User, decode_users_from_gpa, encode_user
from jitmaker.errors import DecodeError


def _users() -> dict[str, User]:
    out = {}
    for i in range(5):
        orders = [Order.new(status=OrderStatus.OPEN, order_id=j + 1, price=j) for j in range(i * 7)]
        out[f"Key{i}"] = User.new(authority=bytes([i]) * 32, sub_account_id=i, orders=orders)
    return out


def _item(key: str, data: bytes, encoding: str = "base64") -> dict:
    if encoding == "base64+zstd":
        data = zstandard.ZstdCompressor().compress(data)
    return {
        "pubkey": key,
        "account": {
            "data": [base64.b64encode(data).decode(), encoding],
            "executable": False,
            "lamports": 1,
            "owner": "dRiftyHA39MWEi3m9aunc5MzRF1JYuBsbn6VPcn33UH",
            "rentEpoch": 0,
            "space": len(data),
        },
    }


@pytest.mark.parametrize("encoding", ["base64", "base64+zstd"])
@pytest.mark.parametrize("shape", ["bytes", "str", "dict", "context", "list"])
def test_all_reply_shapes(shape, encoding):
    users = _users()
    items = [_item(k, encode_user(u), encoding) for k, u in users.items()]
    if shape == "context":
        reply = {"jsonrpc": "2.0", "id": 1, "result": {"context": {"slot": 9}, "value": items}}
    elif shape == "list":
        reply = items
    else:
        reply = {"jsonrpc": "2.0", "id": 1, "result": items}
    if shape == "bytes":
        reply = json.dumps(reply).encode()
    elif shape == "str":
        reply = json.dumps(reply)
    decoded = decode_users_from_gpa(reply)
    assert decoded == users
    assert len(decoded["Key4"].open_orders_list()) == 28


def test_invalid_account_named_or_skipped():
    users = _users()
    items = [_item(k, encode_user(u)) for k, u in users.items()]
    items.insert(2, _item("NotAUser", b"\x01" * 240))
    with pytest.raises(DecodeError, match="account NotAUser: User: expected 4376 bytes, got 240"):
        decode_users_from_gpa(items)
    assert decode_users_from_gpa(items, skip_invalid=True) == users


def test_error_reply_and_garbage():
    with pytest.raises(DecodeError, match="is an error"):
        decode_users_from_gpa({"jsonrpc": "2.0", "id": 1, "error": {"code": -32010}})
    with pytest.raises(DecodeError, match="invalid JSON"):
        decode_users_from_gpa(b"{not json")
    with pytest.raises(DecodeError, match="malformed gPA item"):
        decode_users_from_gpa([{"pubkey": "X", "account": {"data": "abc"}}])
    with pytest.raises(DecodeError, match="unsupported data encoding"):
        decode_users_from_gpa([_item("X", b"", "jsonParsed")])


def test_freeze_moves_objects_to_permanent_generation():
    import gc

    items = [_item(k, encode_user(u)) for k, u in _users().items()]
    before = gc.get_freeze_count()
    try:
        users = decode_users_from_gpa(items, freeze=True)
        assert gc.get_freeze_count() > before
        assert gc.isenabled()
        assert users == _users()
    finally:
        gc.unfreeze()
