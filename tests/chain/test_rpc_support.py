"""URL redaction, backoff sequences and log rate limiting used by the RPC and ws clients."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jitmaker.chain.backoff import Backoff, Jitter
from jitmaker.chain.loglimit import LogLimiter
from jitmaker.chain.redact import redact_url, register_url, scrub, url_secrets

KEY = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://mainnet.helius-rpc.com/?api-key=XXXX",
            "https://mainnet.helius-rpc.com/?api-key=***",
        ),
        (
            f"https://solana-mainnet.g.alchemy.com/v2/{KEY}",
            "https://solana-mainnet.g.alchemy.com/v2/***",
        ),
        (
            f"https://x.solana-mainnet.quiknode.pro/{KEY}/",
            "https://x.solana-mainnet.quiknode.pro/***/",
        ),
        (f"wss://x.rpcpool.com/{KEY}", "wss://x.rpcpool.com/***"),
        (f"https://user:{KEY}@rpc.example.com/", "https://***@rpc.example.com/"),
        (f"https://rpc.example.com/?a=1&token={KEY}", "https://rpc.example.com/?a=***&token=***"),
        (f"https://rpc.example.com/path#{KEY}", "https://rpc.example.com/path#***"),
        (f"https://rpc.example.com/?{KEY}", "https://rpc.example.com/?***"),
        ("http://127.0.0.1:8899", "http://127.0.0.1:8899"),
        ("https://api.mainnet-beta.solana.com", "https://api.mainnet-beta.solana.com"),
        ("https://rpc.example.com/v2/solana/mainnet", "https://rpc.example.com/v2/solana/mainnet"),
        (f"https://rpc.example.com/rpc/{KEY[:20]}?x", "https://rpc.example.com/rpc/***?x"),
        ("https://a.b/" + "k" * 30, "https://a.b/***"),
        ("wss://a.b:8900/?api_key=q", "wss://a.b:8900/?api_key=***"),
        ("wss://mainnet.helius-rpc.com/?api-key=XXXX", "wss://mainnet.helius-rpc.com/?api-key=***"),
        (
            "https://rpc.helius.xyz/?api-key=k&commitment=processed",
            "https://rpc.helius.xyz/?api-key=***&commitment=***",
        ),
        ("https://x.rpcpool.com/3f8e1c9a-0b2d-4e6f-8a7c-1d2e3f4a5b6c", "https://x.rpcpool.com/***"),
        ("https://rpc.ankr.com/solana/" + "ab" * 32, "https://rpc.ankr.com/solana/***"),
        ("https://user@rpc.example.com/", "https://***@rpc.example.com/"),
        ("https://rpc.example.com/?api-key=abc%2Fdef%3D", "https://rpc.example.com/?api-key=***"),
        ("http://localhost:8899/", "http://localhost:8899/"),
        ("http://[::1]:8899/", "http://[::1]:8899/"),
        ("https://api.devnet.solana.com/?", "https://api.devnet.solana.com/"),
        (
            "https://solana-mainnet.core.chainstack.com/" + KEY,
            "https://solana-mainnet.core.chainstack.com/***",
        ),
        ("not a url at all", "not a url at all"),
    ],
)
def test_redact_url_shapes(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_url_secrets_lists_what_was_removed() -> None:
    assert url_secrets(f"https://a.b/v2/{KEY}?api-key=zz") == (KEY, "zz")
    assert url_secrets("http://127.0.0.1:8899/") == ()


def test_scrub_redacts_urls_and_registered_fragments_in_free_text() -> None:
    secret = "Zq9sEcReT0123456789"
    register_url(f"https://rpc.example.org/?api-key={secret}")
    text = f"Cannot connect to https://other.host/v2/{KEY} while using key {secret} (retry)"
    out = scrub(text)
    assert KEY not in out and secret not in out
    assert "https://other.host/v2/***" in out


def test_backoff_grows_exponentially_and_caps() -> None:
    b = Backoff(0.1, 1.0, jitter=Jitter.NONE)
    assert [round(b.next_delay(), 6) for _ in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    b.reset()
    assert b.attempt == 0 and b.next_delay() == pytest.approx(0.1)
    assert b.ceiling(10_000) == 1.0  # no overflow on huge attempt counts


def test_full_jitter_stays_within_the_ceiling_and_is_seeded() -> None:
    b1 = Backoff(0.1, 5.0, rng=random.Random(7))
    b2 = Backoff(0.1, 5.0, rng=random.Random(7))
    d1 = [b1.next_delay() for _ in range(12)]
    d2 = [b2.next_delay() for _ in range(12)]
    assert d1 == d2
    for i, d in enumerate(d1):
        assert 0.0 <= d <= b1.ceiling(i)
    assert len(set(d1)) > 1


def test_equal_jitter_keeps_half_the_delay() -> None:
    b = Backoff(1.0, 8.0, jitter=Jitter.EQUAL, rng=random.Random(3))
    for i in range(6):
        d = b.next_delay()
        assert b.ceiling(i) / 2 <= d <= b.ceiling(i)


@pytest.mark.parametrize(
    ("base", "cap", "factor"), [(0, 1, 2), (1, 0.5, 2), (0.1, 1, 0.5), (0.1, 1, 101)]
)
def test_backoff_rejects_parameters_that_would_hot_loop_or_explode(base, cap, factor) -> None:
    with pytest.raises(ValueError):
        Backoff(base, cap, factor=factor)


def test_log_limiter_lets_one_line_per_interval_and_counts_the_rest() -> None:
    now = [0.0]
    lim = LogLimiter(1.0, clock=lambda: now[0])
    assert lim.allow("a") == 0
    assert lim.allow("a") is None
    assert lim.allow("a") is None
    assert lim.allow("b") == 0  # keys are independent
    now[0] = 1.5
    assert lim.allow("a") == 2
    assert lim.allow("a") is None


def test_scrub_handles_huge_texts_and_urls_glued_to_words() -> None:
    word = "abcdefghij" * 6_000
    assert scrub(word) == word
    glued = word + f"https://h.example/v2/{KEY}?api-key=zzz"
    out = scrub(glued)
    assert KEY not in out and "zzz" not in out and out.startswith(word[:100])


_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@settings(max_examples=200)
@given(
    host=st.from_regex(r"[a-z]{1,10}(\.[a-z]{1,8}){1,3}", fullmatch=True),
    secret=st.text(_ALNUM, min_size=15, max_size=40).map(lambda s: s + "7"),
    where=st.sampled_from(["query", "path", "userinfo", "both"]),
    extra=st.lists(st.sampled_from(["v2", "rpc", "solana", "mainnet"]), max_size=2),
    scheme=st.sampled_from(["http", "https", "ws", "wss"]),
)
def test_no_secret_survives_redaction_or_scrubbing(host, secret, where, extra, scheme) -> None:
    path = "/".join(["", *extra])
    match where:
        case "query":
            url = f"{scheme}://{host}{path}/?api-key={secret}"
        case "path":
            url = f"{scheme}://{host}{path}/{secret}"
        case "userinfo":
            url = f"{scheme}://u:{secret}@{host}{path}/"
        case _:
            url = f"{scheme}://{host}{path}/{secret}/?token={secret}"
    assert secret not in redact_url(url)
    assert secret not in scrub(f"ClientError: cannot reach {url} (timeout)")
    assert redact_url(url).startswith(f"{scheme}://")


async def test_refresh_logged_swallows_failures_logs_them_redacted_and_rate_limited() -> None:
    from jitmaker.chain.tasks import refresh_logged

    lines: list[tuple[str, dict[str, object]]] = []

    class _Log:
        def warning(self, event: str, **kw: object) -> None:
            lines.append((event, kw))

    async def ok() -> int:
        return 1

    async def boom() -> None:
        raise RuntimeError(f"connect to https://x.rpcpool.com/{KEY} failed")

    now = [0.0]
    lim = LogLimiter(1.0, clock=lambda: now[0])
    assert await refresh_logged(ok, limiter=lim, event="e", logger=_Log()) is True
    assert lines == []
    assert await refresh_logged(boom, limiter=lim, event="e", logger=_Log()) is False
    assert await refresh_logged(boom, limiter=lim, event="e", logger=_Log()) is False
    now[0] = 2.0
    assert await refresh_logged(boom, limiter=lim, event="e", logger=_Log()) is False
    assert [(e, kw["suppressed"]) for e, kw in lines] == [("e", 0), ("e", 1)]
    assert all(KEY not in str(kw["error"]) for _, kw in lines), lines
    assert lines[0][1]["error"] == "RuntimeError: connect to https://x.rpcpool.com/*** failed"


@pytest.mark.parametrize("declare_size", [True, False])
def test_decode_account_data_refuses_a_zstd_bomb_but_keeps_real_accounts(declare_size) -> None:
    import base64

    import zstandard

    from jitmaker.chain.rpcparse import MAX_ACCOUNT_DATA, decode_account_data, parse_or_raise
    from jitmaker.errors import RpcError

    comp = zstandard.ZstdCompressor(write_content_size=declare_size)

    def wire(payload: bytes) -> list[str]:
        return [base64.b64encode(comp.compress(payload)).decode(), "base64+zstd"]

    user = bytes(range(256)) * 16  # a 4 KB account round-trips unchanged
    assert decode_account_data(wire(user)) == user
    edge = b"\x00" * MAX_ACCOUNT_DATA  # exactly the Solana limit is still an account
    assert decode_account_data(wire(edge)) == edge
    bomb = wire(b"\x00" * (MAX_ACCOUNT_DATA + 1))
    with pytest.raises(RpcError, match="malformed result"):
        parse_or_raise("getAccountInfo", bomb, decode_account_data)
    truncated = [base64.b64encode(comp.compress(user)[:12]).decode(), "base64+zstd"]
    with pytest.raises(RpcError, match="malformed result"):
        parse_or_raise("getAccountInfo", truncated, decode_account_data)
