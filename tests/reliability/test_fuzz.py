"""Bad input never crashes or hangs the daemon: a seeded fuzz of >= 100,000 malformed inputs.

Four surfaces, each fed generated garbage derived from *valid* inputs (so mutations reach deep
into the parsers, not just the first byte):

* websocket frames through ``SubscriptionManager``'s real reader loop (``_read``) and, once,
  over a real local websocket;
* account bytes through every decoder in ``jitmaker.accounts`` (only ``DecodeError`` may
  come out);
* RPC replies through ``RpcClient``'s public methods, from an in-memory aiohttp-shaped session
  and from a local aiohttp server (only ``RpcError`` may come out, no call may hang);
* corrupted ``AccountUpdate`` payloads through the engine's feed handlers, on an engine
  bootstrapped against the simulator (no handler may raise; the engine keeps trading).

Everything is driven by ``random.Random(SEED + n)`` so a failure reproduces; the failing input
is shown in the assertion message.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import random
import struct
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import pytest
import zstandard
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from jitmaker.accounts import (
    AccountKind,
    account_kind,
    decode_oracle,
    decode_perp_market,
    decode_prelaunch_oracle,
    decode_price_update_v2,
    decode_pyth_lazer_oracle,
    decode_spot_market,
    decode_state,
    decode_user,
    decode_user_stats,
    decode_users_from_gpa,
    encode_prelaunch_oracle,
    encode_pyth_lazer_oracle,
)
from jitmaker.accounts.oracles import PrelaunchOracle, PythLazerOracle
from jitmaker.chain.rpc import RpcClient
from jitmaker.chain.ws import AccountUpdate, SignatureUpdate, SlotUpdate, SubscriptionManager
from jitmaker.errors import DecodeError, JitMakerError, RpcError
from jitmaker.sim.app import Simulator
from tests.e2e.harness import sim_config

SEED = 20261122
DRIFT = "dRiftyHA39MWEi3m9aunc5MzRF1JYuBsbn6VPcn33UH"

# How many inputs each surface gets. Together they must reach the 100,000 the issue asks for;
# each test asserts that it really generated (and fed) its share.
QUOTA = {
    "ws_frames": 36_000,
    "ws_handle": 4_000,
    "ws_socket": 2_000,
    "decoders": 40_000,
    "decoders_hypothesis": 600,
    "gpa_replies": 3_000,
    "oracle_normalise": 8_000,
    "spot_amounts": 2_000,
    "rpc_session": 14_000,
    "rpc_http": 1_500,
    "engine": 15_000,
}
assert sum(QUOTA.values()) >= 100_000


# --------------------------------------------------------------------------- valid samples


def _sim_accounts() -> dict[AccountKind, list[bytes]]:
    """Valid account images of every kind, taken from the simulator's seeded world."""
    sim = Simulator(None, seed=1, manual_clock=True)
    out: dict[AccountKind, list[bytes]] = {}
    for account in sim.world.ledger.accounts.values():
        kind = account_kind(account.data)
        if kind is not AccountKind.UNKNOWN:
            out.setdefault(kind, []).append(account.data)
    rnd = random.Random(SEED)
    out[AccountKind.PYTH_LAZER_ORACLE] = [
        encode_pyth_lazer_oracle(
            tuple.__new__(
                PythLazerOracle,
                (150 * 10**8, 10**15, 300_000_000, -8, bytes(4), rnd.randrange(10**6)),
            )
        )
    ]
    out[AccountKind.PRELAUNCH_ORACLE] = [
        encode_prelaunch_oracle(
            tuple.__new__(
                PrelaunchOracle, (10**6, 2 * 10**6, 1000, 300_000_000, 300_000_000, 5, bytes(70))
            )
        )
    ]
    return out


_SAMPLES: dict[AccountKind, list[bytes]] | None = None


def samples() -> dict[AccountKind, list[bytes]]:
    global _SAMPLES
    if _SAMPLES is None:
        _SAMPLES = _sim_accounts()
    return _SAMPLES


# --------------------------------------------------------------------------- mutators

HUGE_NUMBERS = [2**63, 2**64, -(2**63) - 1, 2**128, 10**40, -(10**40), 2**1000]
GARBAGE: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    -0.0,
    float("inf"),
    float("-inf"),
    "",
    "x",
    "1",
    "Infinity",
    "not base64 !!",
    "A" * 1001,
    [],
    [None],
    ["AAAA", "base64"],
    ["AAAA"],
    ["!!!!", "base64"],
    ["AAAA", "base58"],
    ["KLUv/QBYAQAA", "base64+zstd"],
    ["AAAA", "base64+zstd"],
    {},
    {"slot": None},
    {"context": {"slot": "1"}, "value": None},
    *HUGE_NUMBERS,
]


def _garbage(rnd: random.Random) -> Any:
    return copy.deepcopy(rnd.choice(GARBAGE))  # never share a mutable junk value


def _paths(node: Any, prefix: tuple = ()) -> Iterator[tuple]:
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


def _get(node: Any, path: tuple) -> Any:
    for p in path:
        node = node[p]
    return node


def _nested(rnd: random.Random) -> Any:
    depth = rnd.choice([2, 10, 60, 400])
    value: Any = rnd.choice([0, "x", None])
    for _ in range(depth):
        value = [value] if rnd.random() < 0.5 else {"a": value}
    return value


def mutate_tree(obj: Any, rnd: random.Random) -> Any:
    """Structural damage at a random node: wrong type, missing key, extra key, nesting."""
    obj = copy.deepcopy(obj)
    paths = list(_paths(obj))
    for _ in range(rnd.choice([1, 1, 1, 2, 3])):
        path = rnd.choice(paths)
        op = rnd.random()
        if not path:
            return rnd.choice([_garbage(rnd), _nested(rnd), [obj, copy.deepcopy(obj)]])
        try:
            parent = _get(obj, path[:-1])
        except (KeyError, IndexError, TypeError):
            continue
        key = path[-1]
        try:
            if op < 0.55:
                parent[key] = _garbage(rnd)
            elif op < 0.7 and isinstance(parent, dict):
                del parent[key]
            elif op < 0.8:
                parent[key] = _nested(rnd)
            elif op < 0.9 and isinstance(parent, dict):
                parent[rnd.choice(["extra", "error", "result", "id", "method"])] = _garbage(rnd)
            else:
                parent[key] = [parent[key]]
        except (KeyError, IndexError, TypeError):
            continue
    return obj


def mutate_text(text: str, rnd: random.Random) -> str | bytes:
    """Byte-level damage: truncation, flipped bits, junk, huge literals, invalid UTF-8."""
    op = rnd.randrange(9)
    n = len(text)
    if op == 0:
        return text[: rnd.randrange(n + 1)]
    if op == 1:
        raw = bytearray(text.encode())
        for _ in range(rnd.choice([1, 2, 8])):
            raw[rnd.randrange(len(raw))] ^= 1 << rnd.randrange(8)
        return bytes(raw)
    if op == 2:
        i = rnd.randrange(n + 1)
        junk = rnd.choice(['"', "{", "}", "[", "]", ",", ":", "\\", "\x00", "\\u12", "NaN"])
        return text[:i] + junk + text[i:]
    if op == 3:  # every number huge (or not a number JSON knows)
        lit = rnd.choice(["1e999", "-1e999", "9" * 5000, "NaN", "Infinity", str(2**80), "-0"])
        return _replace_digits(text, lit, rnd)
    if op == 4:
        deep = rnd.choice([100, 2000, 200_000])
        return "[" * deep + text + "]" * rnd.choice([0, deep])
    if op == 5:
        return text.encode()[: rnd.randrange(n + 1)] + b"\xff\xfe\x80"
    if op == 6:
        i, j = sorted((rnd.randrange(n + 1), rnd.randrange(n + 1)))
        return text[:i] + text[i:j] * rnd.choice([0, 2, 3]) + text[j:]
    if op == 7:
        return rnd.choice(["", " ", "null", "[]", "{}", "0", '"x"', "true", "[[]]", "\x00"])
    return "".join(chr(rnd.randrange(32, 127)) for _ in range(rnd.randrange(200)))


def _replace_digits(text: str, literal: str, rnd: random.Random) -> str:
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c.isdigit() and (i == 0 or not text[i - 1].isalnum()) and rnd.random() < 0.5:
            j = i
            while j < len(text) and text[j].isdigit():
                j += 1
            out.append(literal)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def mutate_bytes(data: bytes, rnd: random.Random) -> bytes:
    """Account-image damage: bit flips, enum bytes out of range, wrong lengths, splices."""
    op = rnd.randrange(8)
    raw = bytearray(data)
    if op == 0 and raw:
        for _ in range(rnd.choice([1, 2, 5, 40])):
            raw[rnd.randrange(len(raw))] ^= 1 << rnd.randrange(8)
    elif op == 1 and raw:  # plausible enum/flag bytes set out of range
        for _ in range(rnd.choice([1, 3, 10])):
            raw[rnd.randrange(len(raw))] = rnd.choice([3, 7, 9, 11, 17, 255, 128])
    elif op == 2:
        return bytes(raw[: rnd.randrange(len(raw) + 1)])
    elif op == 3:
        return bytes(raw) + bytes(rnd.randrange(1, 64))
    elif op == 4 and len(raw) > 8:  # valid discriminator, random body
        return bytes(raw[:8]) + rnd.randbytes(len(raw) - 8)
    elif op == 5 and len(raw) >= 8:  # overwrite an 8/16-byte integer field with extremes
        at = rnd.randrange(8, max(9, len(raw) - 16))
        raw[at : at + 8] = rnd.choice([b"\xff" * 8, b"\x00" * 7 + b"\x80", bytes(8)])
    elif op == 6:
        return rnd.randbytes(rnd.choice([0, 1, 7, 8, 9, len(raw), len(raw) - 1, 5000]))
    else:
        i = rnd.randrange(len(raw) + 1)
        return bytes(raw[:i]) + rnd.randbytes(rnd.randrange(1, 32)) + bytes(raw[i:])
    return bytes(raw)


# --------------------------------------------------------------------------- findings


class Findings:
    """Distinct contract violations (exception type + where it was raised), one example each.

    Collecting instead of failing at the first one means one run shows every distinct bug."""

    def __init__(self, surface: str) -> None:
        self.surface = surface
        self.seen: dict[tuple[str, str], str] = {}

    def add(self, exc: BaseException, example: Any) -> None:
        tb = traceback.extract_tb(exc.__traceback__)
        ours = [f for f in tb if "/jitmaker/" in f.filename] or tb[-1:]
        where = f"{ours[-1].filename.split('/src/')[-1]}:{ours[-1].lineno}" if ours else "?"
        key = (type(exc).__name__, where)
        if key not in self.seen:
            text = f"{str(exc)[:120]!r} on {example!r}"
            self.seen[key] = text if len(text) < 400 else text[:400] + "..."

    def check(self) -> None:
        lines = [f"{t} at {w}: {ex}" for (t, w), ex in sorted(self.seen.items())]
        assert not lines, f"{self.surface}: {len(lines)} distinct violations:\n" + "\n".join(lines)


# --------------------------------------------------------------------------- (b) decoders

DECODERS: list[Callable[[bytes], Any]] = [
    decode_user,
    decode_user_stats,
    decode_perp_market,
    decode_spot_market,
    decode_state,
    decode_oracle,
    decode_price_update_v2,
    decode_pyth_lazer_oracle,
    decode_prelaunch_oracle,
]


def _decode_checked(decoder: Callable[[bytes], Any], data: Any, found: Findings) -> bool:
    """True if decoded, False on DecodeError; anything else is recorded with its input."""
    try:
        result = decoder(data)
    except JitMakerError:
        return False
    except Exception as exc:
        found.add(exc, (decoder.__name__, bytes(data).hex()))
        return False
    assert isinstance(result, tuple), (decoder.__name__, type(result))
    return True


def test_decoders_only_raise_decode_error() -> None:
    rnd = random.Random(SEED + 1)
    found = Findings("decoders")
    pool = [(k, d) for k, ds in samples().items() for d in ds]
    # every decoder sees every valid kind at least once, unmutated
    for decoder in DECODERS:
        for _, data in pool:
            _decode_checked(decoder, data, found)
    fed = decoded = 0
    wrappers = (bytes, bytearray, memoryview)
    while fed < QUOTA["decoders"]:
        _, base = rnd.choice(pool)
        data = mutate_bytes(base, rnd)
        wrap = wrappers[fed % 3]
        for decoder in DECODERS:
            decoded += _decode_checked(decoder, wrap(data), found)
            fed += 1
    found.check()
    assert fed >= QUOTA["decoders"]
    assert decoded > 0  # the mutations are not all rejected at the first check


def test_gpa_reply_decoder_only_raises_decode_error() -> None:
    rnd = random.Random(SEED + 2)
    users = samples()[AccountKind.USER][:3]
    reply = {
        "jsonrpc": "2.0",
        "id": 1,
        "result": {
            "context": {"slot": 5},
            "value": [
                {
                    "pubkey": str(Pubkey.new_unique()),
                    "account": {
                        "data": [base64.b64encode(u).decode(), "base64"],
                        "owner": DRIFT,
                        "lamports": 1,
                    },
                }
                for u in users
            ],
        },
    }
    text = json.dumps(reply)
    found = Findings("decode_users_from_gpa")
    fed = decoded = 0
    for i in range(QUOTA["gpa_replies"] // 2):
        bad: Any = mutate_tree(reply, rnd) if i % 2 else mutate_text(text, rnd)
        for skip in (False, True):
            fed += 1
            try:
                out = decode_users_from_gpa(bad, skip_invalid=skip)
            except DecodeError:
                continue
            except Exception as exc:
                found.add(exc, bad)
                continue
            decoded += 1
            assert isinstance(out, dict)
    found.check()
    assert fed == QUOTA["gpa_replies"]
    assert decoded > 0  # some mutated replies still decode, so the result type is checked


def test_oracle_normalisation_only_raises_decode_error() -> None:
    """Decodable-but-corrupted oracles through ``oracle_price_data`` for every source: a
    reading with integer fields, or ``DecodeError`` (absurd exponents are the dedicated
    test's subject below; here they are left out because they never return)."""
    from jitmaker.accounts import OracleSource, oracle_price_data

    rnd = random.Random(SEED + 8)
    found = Findings("oracle_price_data")
    pool = [
        d
        for kind in (
            AccountKind.PRICE_UPDATE_V2,
            AccountKind.PYTH_LAZER_ORACLE,
            AccountKind.PRELAUNCH_ORACLE,
        )
        for d in samples()[kind]
    ]
    fed = normalised = 0
    while fed < QUOTA["oracle_normalise"]:
        data = mutate_bytes(rnd.choice(pool), rnd)
        if not _exponent_is_sane(data):
            continue
        for source in OracleSource:
            fed += 1
            try:
                reading = oracle_price_data(source, data, rnd.choice([None, 0, 300_000_000]))
            except JitMakerError:
                continue
            except Exception as exc:
                found.add(exc, (source.name, data.hex()))
                continue
            normalised += 1
            if not all(isinstance(v, int) for v in (reading.price, reading.confidence)):
                found.add(TypeError(f"non-integer reading {reading}"), (source.name, data.hex()))
    found.check()
    assert normalised > 0  # corrupted-but-plausible oracles do reach the price math


def test_spot_token_amount_is_an_integer_or_decode_error() -> None:
    """Balances of a decodable-but-corrupted SpotMarket: an integer, or ``DecodeError`` (the
    program cannot even load a market whose decimals exceed 19)."""
    from jitmaker.accounts import SpotBalanceType, token_amount

    rnd = random.Random(SEED + 9)
    found = Findings("token_amount")
    pool = samples()[AccountKind.SPOT_MARKET]
    fed = computed = 0
    while fed < QUOTA["spot_amounts"]:
        data = mutate_bytes(rnd.choice(pool), rnd)
        try:
            market = decode_spot_market(data)
        except JitMakerError:
            fed += 1
            continue
        for kind in (SpotBalanceType.DEPOSIT, SpotBalanceType.BORROW):
            fed += 1
            try:
                amount = token_amount(rnd.choice([0, 1, 10**9, 2**64 - 1]), market, kind)
            except JitMakerError:
                continue
            except Exception as exc:
                found.add(exc, ("decimals", market.decimals))
                continue
            computed += 1
            if not isinstance(amount, int):
                found.add(
                    TypeError(f"token_amount returned {type(amount).__name__}"),
                    ("decimals", market.decimals),
                )
    found.check()
    assert computed > 0


@settings(max_examples=QUOTA["decoders_hypothesis"] // len(DECODERS) + 1)
@given(data=st.binary(max_size=6000), kind=st.sampled_from(list(DECODERS)))
def test_decoders_hypothesis_random_bytes(data: bytes, kind: Callable[[bytes], Any]) -> None:
    found = Findings("decoders (hypothesis)")
    _decode_checked(kind, data, found)
    for decoder in DECODERS:
        _decode_checked(decoder, data, found)
    found.check()


# --------------------------------------------------------------------------- (a) websocket frames

SID_SLOT, SID_PROGRAM, SID_ACCOUNT, SID_SIGNATURE = 11, 12, 13, 14


def _account_json(data: bytes, zstd: bool = False) -> dict[str, Any]:
    payload = zstandard.ZstdCompressor().compress(data) if zstd else data
    return {
        "lamports": 1_000_000,
        "data": [base64.b64encode(payload).decode(), "base64+zstd" if zstd else "base64"],
        "owner": DRIFT,
        "executable": False,
        "rentEpoch": 18446744073709551615,
        "space": len(data),
    }


def valid_frames(big: bool = False) -> list[dict[str, Any]]:
    """One well-formed example of every frame shape the manager handles (``big``: carrying a
    4 KB User; otherwise a 134-byte account, which keeps generation cheap)."""
    user = samples()[AccountKind.USER][0] if big else samples()[AccountKind.PRICE_UPDATE_V2][1]
    oracle = samples()[AccountKind.PRICE_UPDATE_V2][0]
    ctx = {"context": {"slot": 300_000_123}}
    prog = {
        **ctx,
        "value": {"pubkey": str(Pubkey.new_unique()), "account": _account_json(user)},
    }
    note = {"jsonrpc": "2.0"}
    return [
        {
            **note,
            "method": "slotNotification",
            "params": {
                "result": {"parent": 1, "root": 0, "slot": 300_000_124},
                "subscription": SID_SLOT,
            },
        },
        {**note, "method": "programNotification", "params": {"result": prog, "subscription": 12}},
        {
            **note,
            "method": "programNotification",
            "params": {
                "result": {
                    **ctx,
                    "value": {
                        "pubkey": str(Pubkey.new_unique()),
                        "account": _account_json(user, zstd=True),
                    },
                },
                "subscription": SID_PROGRAM,
            },
        },
        {
            **note,
            "method": "accountNotification",
            "params": {
                "result": {**ctx, "value": _account_json(oracle)},
                "subscription": SID_ACCOUNT,
            },
        },
        {
            **note,
            "method": "accountNotification",
            "params": {"result": {**ctx, "value": None}, "subscription": SID_ACCOUNT},
        },
        {
            **note,
            "method": "signatureNotification",
            "params": {
                "result": {**ctx, "value": {"err": {"InstructionError": [2, {"Custom": 6002}]}}},
                "subscription": SID_SIGNATURE,
            },
        },
        {
            **note,
            "method": "signatureNotification",
            "params": {"result": {**ctx, "value": "receivedSignature"}, "subscription": 14},
        },
        {**note, "id": 1, "result": 77},
        {**note, "id": 2, "error": {"code": -32602, "message": "Invalid params"}},
    ]


def ws_frames(rnd: random.Random, n: int) -> Iterator[str | bytes]:
    """``n`` frames: mostly mutated valid frames, some batches, unknown ids, and valid ones."""
    small, big = valid_frames(), valid_frames(big=True)
    small_texts, big_texts = [json.dumps(b) for b in small], [json.dumps(b) for b in big]
    for _ in range(n):
        bases, texts = (big, big_texts) if rnd.random() < 0.1 else (small, small_texts)
        r = rnd.random()
        k = rnd.randrange(len(bases))
        if r < 0.05:
            yield texts[k]  # valid frames keep the subscriptions busy between the garbage
        elif r < 0.45:
            yield json.dumps(mutate_tree(bases[k], rnd), allow_nan=True)
        elif r < 0.85:
            yield mutate_text(texts[k], rnd)
        elif r < 0.93:  # unknown / malformed subscription ids
            frame = copy.deepcopy(bases[rnd.randrange(7)])
            frame["params"]["subscription"] = rnd.choice(
                [0, 999, -1, 2**64, 2**200, "12", 12.0, None, True, [12], {"id": 12}]
            )
            yield json.dumps(frame)
        else:  # JSON-RPC batches mixing good and bad items
            items = [
                rnd.choice([bases[rnd.randrange(len(bases))], _garbage(rnd), _nested(rnd)])
                for _ in range(rnd.randrange(1, 5))
            ]
            yield json.dumps(items)


class _FrameSource:
    """Stands in for the websocket connection: ``recv()`` yields the frames, then stops."""

    class Done(Exception):
        pass

    def __init__(self, frames: Iterator[str | bytes]) -> None:
        self.frames = frames
        self.served = 0

    async def recv(self) -> str | bytes:
        for frame in self.frames:
            self.served += 1
            return frame
        raise self.Done


def _checked_callback(kind: type, got: list[Any], bad: list[Any]) -> Callable[[Any], None]:
    def callback(update: Any) -> None:
        ok = isinstance(update, kind) and isinstance(update.slot, int)
        if isinstance(update, AccountUpdate):
            ok = ok and isinstance(update.data, bytes) and isinstance(update.pubkey, str)
            ok = ok and isinstance(update.lamports, int)
        if ok:
            got.append(update)
        else:
            bad.append(update)

    return callback


async def _manager_with_subs(got: list[Any], bad: list[Any]) -> SubscriptionManager:
    mgr = SubscriptionManager("ws://127.0.0.1:9", stall_timeout_s=30.0)
    subs = {
        SID_SLOT: await mgr.slot_subscribe(_checked_callback(SlotUpdate, got, bad)),
        SID_PROGRAM: await mgr.program_subscribe(DRIFT, _checked_callback(AccountUpdate, got, bad)),
        SID_ACCOUNT: await mgr.account_subscribe(
            str(Pubkey.new_unique()), _checked_callback(AccountUpdate, got, bad)
        ),
    }
    for sid, sub in subs.items():
        sub.server_id = sid
        mgr._by_server_id[sid] = sub
    return mgr


async def _resubscribe_signature(mgr: SubscriptionManager, got: list, bad: list) -> None:
    if SID_SIGNATURE not in mgr._by_server_id:  # a final notification removes it
        sub = await mgr.signature_subscribe("5" * 88, _checked_callback(SignatureUpdate, got, bad))
        sub.server_id = SID_SIGNATURE
        mgr._by_server_id[SID_SIGNATURE] = sub


async def test_ws_frames_never_kill_the_reader() -> None:
    """The real reader loop (``_read``) consumes every frame; consumers only ever receive
    well-typed updates; garbage is counted, not fatal."""
    rnd = random.Random(SEED + 3)
    got: list[Any] = []
    bad: list[Any] = []
    mgr = await _manager_with_subs(got, bad)
    total = 0
    chunk = 500
    while total < QUOTA["ws_frames"]:
        await _resubscribe_signature(mgr, got, bad)
        source = _FrameSource(ws_frames(rnd, chunk))
        with pytest.raises(_FrameSource.Done):
            await mgr._read(source, opened=0.0)  # type: ignore[arg-type]
        assert source.served == chunk  # no frame ended the loop early
        total += source.served
    assert total >= QUOTA["ws_frames"]
    assert not bad, f"malformed updates reached consumers: {bad[:3]}"
    assert got, "no valid update was delivered between the garbage"
    assert sum(mgr.counts.values()) > total // 4  # the garbage was seen and counted


async def test_ws_handle_raises_nothing() -> None:
    """Stricter than the reader's safety net: the frame handler itself classifies every
    frame (a raise would be counted as 'malformed' by the net but skip the handler's own
    accounting)."""
    rnd = random.Random(SEED + 4)
    found = Findings("SubscriptionManager._handle")
    got: list[Any] = []
    bad: list[Any] = []
    mgr = await _manager_with_subs(got, bad)
    n = 0
    for frame in ws_frames(rnd, QUOTA["ws_handle"]):
        await _resubscribe_signature(mgr, got, bad)
        n += 1
        try:
            mgr._handle(frame, 1.0)
        except Exception as exc:
            found.add(exc, frame if len(frame) < 300 else frame[:120])
    assert n == QUOTA["ws_handle"]
    assert not bad
    found.check()


async def test_ws_garbage_over_a_real_socket_keeps_the_connection() -> None:
    """The same garbage over a real websocket (text and binary frames) between valid slot
    notifications: every valid one arrives, and the manager never drops the connection."""
    from websockets.asyncio.server import serve

    rnd = random.Random(SEED + 10)
    frames = list(ws_frames(rnd, QUOTA["ws_socket"]))
    final_slot = 999_999_999
    sent = 0

    async def handler(conn: Any) -> None:
        nonlocal sent
        request = json.loads(await conn.recv())
        await conn.send(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": SID_SLOT}))
        for i, frame in enumerate(frames):
            await conn.send(frame)
            sent += 1
            if i % 50 == 0:  # valid slot notifications in between
                await conn.send(json.dumps(_slot_note(300_000_000 + i)))
        await conn.send(json.dumps(_slot_note(final_slot)))
        await conn.wait_closed()

    got: list[Any] = []
    bad: list[Any] = []
    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        mgr = SubscriptionManager(f"ws://127.0.0.1:{port}", stall_timeout_s=10.0)
        await mgr.slot_subscribe(_checked_callback(SlotUpdate, got, bad))
        mgr.start()
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while not any(u.slot == final_slot for u in got) and loop.time() < deadline:
                await asyncio.sleep(0.05)
            assert any(u.slot == final_slot for u in got), "the final notification never came"
            assert mgr.reconnects == 0 and mgr.connected
        finally:
            await mgr.close()
    assert sent == QUOTA["ws_socket"]
    assert not bad
    expected = {300_000_000 + i for i in range(0, len(frames), 50)}
    assert expected <= {u.slot for u in got}


def _slot_note(slot: int) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "method": "slotNotification",
        "params": {
            "result": {"parent": slot - 1, "root": slot - 32, "slot": slot},
            "subscription": SID_SLOT,
        },
    }


# --------------------------------------------------------------------------- (c) RPC replies

BLOCKHASH = "4sGjMW1sUnHzSxGspuhpqLDx6wiyjNtZAMdL4VZHirAn"
SIG = "5" * 88


def _ctx(value: Any) -> dict[str, Any]:
    return {"context": {"slot": 300_000_000, "apiVersion": "2.1.0"}, "value": value}


def valid_result(method: str, params: list[Any]) -> Any:
    """A well-formed result for ``method`` (what a healthy node would send)."""
    acct = _account_json(samples()[AccountKind.PRICE_UPDATE_V2][0])
    match method:
        case "getSlot" | "getBlockHeight":
            return 300_000_000
        case "getLatestBlockhash":
            return _ctx({"blockhash": BLOCKHASH, "lastValidBlockHeight": 300_000_150})
        case "getAccountInfo":
            return _ctx(acct)
        case "getMultipleAccounts":
            return _ctx([acct if i % 2 == 0 else None for i in range(len(params[0]))])
        case "getProgramAccounts":
            return _ctx([{"pubkey": str(Pubkey.new_unique()), "account": acct}])
        case "sendTransaction":
            return SIG
        case "simulateTransaction":
            return _ctx({"err": None, "logs": ["Program log: ok"], "unitsConsumed": 1400})
        case "getSignatureStatuses":
            status = {
                "slot": 1,
                "confirmations": None,
                "err": None,
                "confirmationStatus": "confirmed",
            }
            return _ctx([status if i % 2 == 0 else None for i in range(len(params[0]))])
        case "getTransaction":
            return {"slot": 5, "meta": {"err": None, "logMessages": ["Program log: x"]}}
        case "getRecentPrioritizationFees":
            return [{"slot": 1, "prioritizationFee": 50}, {"slot": 2, "prioritizationFee": 0}]
    return None


ERROR_CODES: list[Any] = [
    429,
    -32429,
    -32029,
    -32005,
    -32016,
    -32002,
    -32003,
    -32602,
    -32601,
    -32000,
    0,
    500,
    None,
    "429",
    1.5,
    True,
    2**70,
    -(2**70),
    [429],
    {"code": 429},
]


def _error_object(rnd: random.Random) -> Any:
    if rnd.random() < 0.2:
        return _garbage(rnd)
    err: dict[str, Any] = {}
    if rnd.random() < 0.9:
        err["code"] = rnd.choice(ERROR_CODES)
    if rnd.random() < 0.8:
        err["message"] = rnd.choice(
            ["Transaction simulation failed", None, 5, ["a"], {"m": 1}, "", "x" * 300]
        )
    if rnd.random() < 0.5:
        err["data"] = rnd.choice(
            [
                None,
                {"err": {"InstructionError": [0, {"Custom": 6000}]}, "logs": ["x"]},
                "d",
                _nested(rnd),
                {"logs": None},
                {"err": "BlockhashNotFound"},
            ]
        )
    return err


def reply_for(request: Any, rnd: random.Random) -> tuple[int, bytes, dict[str, str]]:
    """A (status, body, headers) reply to ``request`` (a decoded JSON-RPC payload), mostly
    broken: mutated valid replies, error objects of every shape, odd HTTP statuses."""
    items = request if isinstance(request, list) else [request]
    good = [
        {"jsonrpc": "2.0", "id": i["id"], "result": valid_result(i["method"], i["params"])}
        for i in items
    ]
    body: Any = good if isinstance(request, list) else good[0]
    headers: dict[str, str] = {}
    r = rnd.random()
    status = 200
    if r < 0.06:
        pass  # a healthy reply now and then
    elif r < 0.36:
        body = mutate_tree(body, rnd)
    elif r < 0.56:
        text = mutate_text(json.dumps(body), rnd)
        return 200, text if isinstance(text, bytes) else text.encode(), headers
    elif r < 0.76:  # JSON-RPC error objects (per item, or for the whole batch)
        if isinstance(body, list) and rnd.random() < 0.7:
            for item in body:
                if rnd.random() < 0.7:
                    item.pop("result", None)
                    item["error"] = _error_object(rnd)
        else:
            body = {"jsonrpc": "2.0", "id": items[0]["id"], "error": _error_object(rnd)}
    elif r < 0.86:  # HTTP statuses, with or without a Retry-After
        status = rnd.choice([429, 429, 500, 502, 503, 504, 400, 401, 403, 404, 301, 204, 418, 999])
    elif r < 0.94:  # wrong ids / missing items in batches
        if isinstance(body, list):
            rnd.shuffle(body)
            body = body[: rnd.randrange(len(body) + 1)]
            for item in body:
                item["id"] = rnd.choice([item["id"], item["id"] + 1000, None, "1", [1], {"i": 1}])
        else:
            body["id"] = rnd.choice([None, "x", [1], 2**70])
    else:
        body = rnd.choice([_garbage(rnd), _nested(rnd), [body], {"result": None}])
    if rnd.random() < 0.3:
        headers["Retry-After"] = rnd.choice(
            [
                "1",
                "0",
                "-5",
                "abc",
                "1e999",
                "nan",
                "inf",
                "",
                "Wed, 21 Oct 2015 07:28:00 GMT",
                "Sun, 06 Nov 2994 08:49:37 GMT",
                "99999999999999999999",
                "0x10",
            ]
        )
    raw = json.dumps(body, allow_nan=True).encode()
    return status, raw, headers


TRANSPORT_ERRORS: list[Callable[[], BaseException]] = [
    lambda: aiohttp.ClientConnectionError("refused"),
    lambda: aiohttp.ServerDisconnectedError(),
    lambda: aiohttp.ClientPayloadError("truncated"),
    lambda: TimeoutError(),
    lambda: ConnectionResetError(104, "reset"),
    lambda: OSError(99, "cannot assign"),
    lambda: ValueError("bad header"),
    lambda: RuntimeError("Session is closed"),
    lambda: UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"),
]


class _FakeResponse:
    def __init__(self, status: int, body: bytes, headers: dict[str, str], fail: Any) -> None:
        self.status, self._body, self.headers, self._fail = status, body, headers, fail

    async def read(self) -> bytes:
        if self._fail is not None:
            raise self._fail
        return self._body


class _FakeRequest:
    def __init__(self, session: _FakeSession, data: bytes) -> None:
        self.session, self.data = session, data

    async def __aenter__(self) -> _FakeResponse:
        rnd = self.session.rnd
        self.session.requests += 1
        if rnd.random() < 0.04:
            raise rnd.choice(TRANSPORT_ERRORS)()
        status, body, headers = reply_for(json.loads(self.data), rnd)
        self.session.last = (status, body[:300], headers)
        fail = rnd.choice(TRANSPORT_ERRORS)() if rnd.random() < 0.02 else None
        return _FakeResponse(status, body, headers, fail)

    async def __aexit__(self, *exc: object) -> None:
        return None


class _FakeSession:
    """The slice of ``aiohttp.ClientSession`` that ``RpcClient`` uses, answering from
    ``reply_for`` without a socket (so tens of thousands of replies stay cheap)."""

    closed = False

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.requests = 0
        self.last: Any = None

    def post(self, url: str, *, data: bytes, timeout: Any) -> _FakeRequest:
        return _FakeRequest(self, data)

    async def close(self) -> None:
        return None


async def _no_sleep(_s: float) -> None:
    return None


def rpc_calls(client: RpcClient, rnd: random.Random) -> Any:
    """One public RpcClient call with plausible arguments."""
    keys = [str(Pubkey.new_unique()) for _ in range(rnd.choice([1, 3, 3, 120]))]
    calls = [
        lambda: client.get_slot(),
        lambda: client.get_block_height(),
        lambda: client.get_latest_blockhash(),
        lambda: client.get_account_info(keys[0]),
        lambda: client.get_multiple_accounts(keys),
        lambda: client.get_program_accounts(DRIFT),
        lambda: client.get_program_accounts(DRIFT, with_context=False),
        lambda: client.send_transaction(b"\x01" * 200),
        lambda: client.simulate_transaction(b"\x01" * 200),
        lambda: client.get_signature_statuses([SIG] * rnd.choice([1, 2, 300])),
        lambda: client.get_transaction(SIG),
        lambda: client.get_recent_prioritization_fees([DRIFT]),
        lambda: client.batch([("getSlot", []), ("getBlockHeight", []), ("getSlot", [])]),
        lambda: client.request("getSlot"),
    ]
    return rnd.choice(calls)()


async def _fuzz_client(
    client: RpcClient, rnd: random.Random, n: int, found: Findings, last: Callable[[], Any]
) -> int:
    """``n`` calls; ``last()`` tells the reply that was served (the example for a finding)."""
    ok = 0
    for _ in range(n):
        try:
            result = await asyncio.wait_for(rpc_calls(client, rnd), 5.0)
        except RpcError:
            continue
        except TimeoutError as exc:
            found.add(exc, "call did not finish within 5 s (hang)")
            continue
        except Exception as exc:
            found.add(exc, last())
            continue
        if isinstance(result, list):
            assert all(not isinstance(r, BaseException) or isinstance(r, RpcError) for r in result)
        ok += 1
    return ok


async def test_rpc_client_only_raises_rpc_error() -> None:
    rnd = random.Random(SEED + 5)
    found = Findings("RpcClient (in-memory session)")
    session = _FakeSession(rnd)
    client = RpcClient(
        ["http://127.0.0.1:9/primary", "http://127.0.0.1:9/secondary"],
        session=session,  # type: ignore[arg-type]
        max_attempts=2,
        sleep=_no_sleep,
        max_wait_s=1e9,
        timeout_s=1.0,
    )
    ok = await _fuzz_client(client, rnd, QUOTA["rpc_session"], found, lambda: session.last)
    await client.close()
    found.check()
    assert session.requests >= QUOTA["rpc_session"]
    assert ok > 0  # the healthy replies still parse


async def test_rpc_client_against_a_misbehaving_http_server() -> None:
    """The same over real sockets, adding what only a server can do: stall, close the
    connection mid-reply, lie about the length or the encoding. Each call is bounded."""
    rnd = random.Random(SEED + 6)
    found = Findings("RpcClient (local HTTP server)")
    served = 0
    last: list[Any] = [None]

    async def handle(request: web.Request) -> web.StreamResponse:
        nonlocal served
        served += 1
        payload = json.loads(await request.read())
        r = rnd.random()
        if r < 0.005:
            await asyncio.sleep(3)  # longer than the client's timeout
        if r < 0.03:
            assert request.transport is not None
            request.transport.close()  # drop the connection without a reply
            return web.Response(status=200)
        status, body, headers = reply_for(payload, rnd)
        last[0] = (status, body[:300], headers)
        if r < 0.06:  # a Content-Length longer than the body, then close
            resp = web.StreamResponse(status=status, headers={"Content-Length": "100000"})
            await resp.prepare(request)
            await resp.write(body[:50])
            assert request.transport is not None
            request.transport.close()
            return resp
        if r < 0.08:
            headers["Content-Encoding"] = rnd.choice(["gzip", "deflate", "br", "zstd"])
        if r < 0.1:
            headers["Content-Type"] = rnd.choice(["text/html", "application/octet-stream"])
        return web.Response(status=status, body=body, headers=headers)

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    client = RpcClient(
        f"http://127.0.0.1:{port}/", max_attempts=1, timeout_s=0.5, sleep=_no_sleep, max_wait_s=1e9
    )
    try:
        await _fuzz_client(client, rnd, QUOTA["rpc_http"], found, lambda: last[0])
    finally:
        await client.close()
        await runner.cleanup()
    found.check()
    assert served >= QUOTA["rpc_http"] // 2  # most calls reached the server


def _long_word(n: int) -> str:
    return "".join(random.Random(SEED + n).choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n))


def _finishes_in_a_child(call: str, timeout_s: float = 30.0) -> None:
    """Hang guard: run ``call`` (an expression over this module, imported as ``t``) in a child
    process, so a quadratic scan that never ends fails the test instead of freezing the suite.
    How fast it finishes is a benchmark's business, not a test's."""
    import subprocess
    import sys
    from pathlib import Path

    code = f"import asyncio\nfrom tests.reliability import test_fuzz as t\n{call}\nprint('done')"
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            cwd=Path(__file__).resolve().parents[2],
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{call} did not finish within {timeout_s} s") from None
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().endswith("done"), proc.stdout[-2000:]


LONG_MESSAGE = _long_word(60_000)  # one long word: no spaces, no "://"


async def _long_rpc_error_reply() -> RpcError:
    """One RPC call answered with a 60 000-character error text; the RpcError it raises."""

    async def handle(request: web.Request) -> web.StreamResponse:
        rid = json.loads(await request.read())["id"]
        error = {"code": -32602, "message": LONG_MESSAGE}
        return web.json_response({"jsonrpc": "2.0", "id": rid, "error": error})

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with RpcClient(f"http://127.0.0.1:{port}/", max_attempts=1) as client:
            with pytest.raises(RpcError) as info:
                await client.get_slot()
    finally:
        await runner.cleanup()
    return info.value


async def test_rpc_long_error_message_does_not_stall_the_event_loop() -> None:
    """A node (or a proxy in front of it) may answer with a huge error text. Redacting it
    must be linear: a quadratic scan of 60 000 characters occupies the event loop for good
    and freezes every feed."""
    _finishes_in_a_child("asyncio.run(t._long_rpc_error_reply())")
    error = await _long_rpc_error_reply()
    assert isinstance(error, RpcError)
    assert LONG_MESSAGE in str(error)  # a word with no URL in it is kept, not mangled


async def _long_subscribe_rejection() -> Any:
    """A pending subscription rejected with a 60 000-character error; the subscription."""
    got: list[Any] = []
    bad: list[Any] = []
    mgr = SubscriptionManager("ws://127.0.0.1:9", stall_timeout_s=30.0)
    await mgr.slot_subscribe(_checked_callback(SlotUpdate, got, bad))
    sub = mgr.subscriptions[0]
    mgr._pending[1] = sub
    frame = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "error": {"code": -32602, "message": LONG_MESSAGE}}
    )
    mgr._handle(frame, 1.0)
    return sub


async def test_ws_long_subscribe_rejection_does_not_stall_the_reader() -> None:
    _finishes_in_a_child("asyncio.run(t._long_subscribe_rejection())")
    sub = await _long_subscribe_rejection()
    assert sub.rejected is not None


# --------------------------------------------------------------------------- oracle normalisation

ORACLE_SCRIPT = """
import sys
from jitmaker.accounts import OracleSource, oracle_price_data
from jitmaker.errors import JitMakerError
for arg in sys.argv[1:]:
    for source in OracleSource:
        try:
            oracle_price_data(source, bytes.fromhex(arg), 300_000_000)
        except JitMakerError:
            pass
print("done")
"""


def _exponent_is_sane(data: bytes) -> bool:
    """False for a decodable oracle whose exponent is beyond anything a u128 holds."""
    try:
        oracle = decode_oracle(data)
    except JitMakerError:
        return True
    exponent = getattr(oracle, "exponent", 0)
    return abs(exponent) <= 38


def test_oracle_with_absurd_exponent_does_not_hang() -> None:
    """A corrupted oracle account (one flipped high bit of ``exponent``) must be refused, not
    normalised: ``10 ** abs(exponent)`` with a 2^31 exponent never finishes and would freeze
    the daemon's only thread. Run in a child process so a hang fails the test, not the suite."""
    import subprocess
    import sys

    base = samples()[AccountKind.PRICE_UPDATE_V2][0]
    good = decode_price_update_v2(base)
    at = base.find(struct.pack("<i", good.exponent), 8 + 33 + 32 + 16)
    assert at > 0
    cases = []
    for exponent in (-(2**31), 2**31 - 1, -100_000_000):
        data = bytearray(base)
        data[at : at + 4] = struct.pack("<i", exponent)
        assert decode_price_update_v2(bytes(data)).exponent == exponent
        cases.append(bytes(data).hex())
    try:
        proc = subprocess.run(
            [sys.executable, "-c", ORACLE_SCRIPT, *cases],
            capture_output=True,
            text=True,
            timeout=15,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(
            "oracle_price_data did not finish within 15 s for exponents -2^31, 2^31-1, -1e8"
        ) from None
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "done"


# --------------------------------------------------------------------------- (d) engine handlers


def _engine_config(sim: Simulator, keypair: Any) -> Any:
    return sim_config(sim, keypair, glob={"disableMetrics": True})


async def _until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def _pubkey_text(rnd: random.Random, good: str) -> str:
    r = rnd.random()
    if r < 0.85:
        return good
    return rnd.choice(["", "x", "0" * 44, "O" * 44, good[:-1], good + "1", "l" * 100, "é" * 32])


def _slot_value(rnd: random.Random, slot: int) -> int:
    r = rnd.random()
    if r < 0.8:
        return slot + rnd.randrange(-3, 4)
    return rnd.choice([0, -1, 1, slot - 10_000, slot + 10_000, 2**63, 2**64 + 5, -(2**70)])


async def test_engine_feed_handlers_survive_corrupted_updates() -> None:
    """Corrupted AccountUpdates into every feed handler of a live engine: no handler raises,
    the engine's tasks stay up, and it keeps following the chain afterwards."""
    import hashlib

    from solders.keypair import Keypair

    from jitmaker.chain.pdas import perp_market_pda, spot_market_pda
    from jitmaker.engine import Engine, EngineState
    from jitmaker.risk import RiskGate

    rnd = random.Random(SEED + 7)
    found = Findings("engine feed handlers")
    sim = Simulator(None, seed=17, slot_ms=40)
    await sim.start()
    keypair = Keypair.from_seed(hashlib.sha256(b"jitmaker-fuzz/engine").digest())
    sim.fund(keypair.pubkey(), 100_000 * 10**6)
    config = _engine_config(sim, keypair)
    engine = Engine(
        config, keypair, http_url=sim.http_url, ws_url=sim.ws_url, risk=RiskGate.from_config(config)
    )
    run = asyncio.create_task(engine.run(None))
    try:
        assert await _until(lambda: engine.state == EngineState.RUNNING, 20.0), engine.state
        ledger = sim.world.ledger
        users = [
            (str(k), a.data)
            for k, a in ledger.accounts.items()
            if account_kind(a.data) is AccountKind.USER
        ]
        own = [(sub, str(pk), ledger.get(pk).data) for sub, pk in engine.our_users.items()]
        markets = []
        for key in engine.markets:
            pda = (
                perp_market_pda(key[1], engine._drift)
                if key[0].name == "PERP"
                else spot_market_pda(key[1], engine._drift)
            )
            markets.append((engine._market_handler(key), str(pda), ledger.get(pda).data))
        oracles = []
        for key in engine.markets:
            pk = engine.market_data.oracle_of[key][0]
            oracles.append((engine._oracle_handler(key, pk), str(pk), ledger.get(pk).data))
        handlers: list[tuple[str, Callable[[Any], None], list[tuple[str, bytes]]]] = [
            ("auction", engine._on_auction_user, users),
            ("book", engine._on_book_user, users),
            *[("own", engine._own_user_handler(s), [(pk, d)]) for s, pk, d in own],
            *[("market", h, [(pk, d)]) for h, pk, d in markets],
            *[("oracle", h, [(pk, d)]) for h, pk, d in oracles],
        ]
        slot_before = engine.slot
        fed = skipped_exponents = 0
        while fed < QUOTA["engine"]:
            for _ in range(100):
                name, handler, bases = rnd.choice(handlers)
                pubkey, data = rnd.choice(bases)
                if rnd.random() < 0.9:
                    data = mutate_bytes(data, rnd)
                if name == "oracle" and not _exponent_is_sane(data):
                    skipped_exponents += 1  # would hang the test: see the dedicated test
                    continue
                update = AccountUpdate(
                    _pubkey_text(rnd, pubkey),
                    data,
                    _slot_value(rnd, engine.slot),
                    rnd.choice([0, 1, 2**64 - 1]),
                    DRIFT,
                    engine.clock(),
                )
                fed += 1
                try:
                    handler(update)
                except Exception as exc:
                    found.add(exc, (name, update.pubkey, update.slot, data[:16].hex(), len(data)))
            if rnd.random() < 0.2:
                try:
                    engine._on_slot(SlotUpdate(_slot_value(rnd, engine.slot), None, None, 0.0))
                except Exception as exc:
                    found.add(exc, ("slot", engine.slot))
            await asyncio.sleep(0)  # let the feeds, sender and simulator run in between
        # repair with the genuine accounts, as the next real notifications would
        for name, handler, bases in handlers:
            if name in ("own", "market", "oracle"):
                pubkey, data = bases[0]
                handler(AccountUpdate(pubkey, data, engine.slot, 1, DRIFT, engine.clock()))
        alive_after = engine.slot
        assert await _until(lambda: engine.slot > alive_after + 5, 10.0), "slot feed stopped"
        dead = {n: t for n, t in engine._tasks.items() if t.done()}
        assert not dead, f"engine tasks ended: {dead}"
        assert engine.state != EngineState.STOPPING
        assert not run.done()
    finally:
        engine.stop("test")
        summary = await asyncio.wait_for(run, 30.0)
        await sim.stop()
    found.check()
    assert fed >= QUOTA["engine"]
    assert skipped_exponents < fed // 100
    assert engine.slot > slot_before
    assert isinstance(summary, dict)


def test_market_update_naming_another_market_is_refused() -> None:
    """The perp-0 subscription delivers a valid PerpMarket whose ``market_index`` is 1 (a
    corrupted or substituted payload). The account is keyed by its PDA, so this cannot be
    perp-1's state: it must be counted as corrupt, not stored as market 1 (or 0)."""
    from types import SimpleNamespace

    from solders.keypair import Keypair

    from jitmaker.accounts import MarketType
    from jitmaker.chain.pdas import perp_market_pda
    from jitmaker.engine import Engine

    urls = SimpleNamespace(http_url="http://127.0.0.1:9", ws_url="ws://127.0.0.1:9")
    keypair = Keypair.from_seed(bytes(32))
    engine = Engine(_engine_config(urls, keypair), keypair, http_url=urls.http_url)
    by_index = {decode_perp_market(d).market_index: d for d in samples()[AccountKind.PERP_MARKET]}
    assert {0, 1} <= set(by_index)
    handler = engine._market_handler((MarketType.PERP, 0))
    pda0 = str(perp_market_pda(0, engine._drift))
    handler(AccountUpdate(pda0, by_index[0], 10, 1, DRIFT, 0.0))
    assert engine.market_data.perp[0].market_index == 0
    handler(AccountUpdate(pda0, by_index[1], 11, 1, DRIFT, 0.0))
    assert 1 not in engine.market_data.perp, "perp-0's feed overwrote market 1"
    assert engine.market_data.perp[0].market_index == 0
