"""Remove secrets (API keys in query strings, path tokens, user:password) from URLs and text.

Why: hosted RPC URLs carry their API key in the URL, and exception texts from HTTP and
websocket libraries quote the URL verbatim. Every endpoint name we log or put in an error
message goes through ``redact_url``; every foreign exception text goes through ``scrub``,
which also replaces any secret fragment of a registered URL wherever it appears.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import quote, unquote, urlsplit, urlunsplit

__all__ = ["MASK", "error_text", "redact_url", "register_url", "scrub", "url_secrets"]

MASK = "***"

# A path segment that looks like a credential: long and token-like. Short words ("v2", "rpc",
# "solana") stay readable; a 16+ char segment with a digit, or any 24+ char token, is masked.
_TOKEN_CHARS = re.compile(r"^[A-Za-z0-9_\-.~=+]+$")
# The scheme is bounded so a long run of letters without "://" (a huge error text) is scanned
# in linear time instead of retrying an unbounded prefix from every position.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]{0,30}://[^\s'\"<>()\[\]{},]+")
_MIN_SECRET_LEN = 6

_lock = threading.Lock()
_registered: set[str] = set()


def _is_token(segment: str) -> bool:
    if not _TOKEN_CHARS.match(segment):
        return len(segment) >= 24
    if len(segment) >= 24:
        return True
    return len(segment) >= 16 and any(c.isdigit() for c in segment)


def _split_secrets(url: str) -> tuple[str, list[str]]:
    """Return (redacted url, secret fragments)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        # Unparseable: keep only the scheme-ish prefix; everything else may be secret.
        head = url.split("://", 1)[0] if "://" in url else ""
        return (f"{head}://{MASK}" if head else MASK), [url]
    secrets: list[str] = []
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        secrets.extend(p for p in userinfo.split(":") if p)
        netloc = f"{MASK}@{hostport}"
    segments = parts.path.split("/")
    for i, seg in enumerate(segments):
        if seg and _is_token(seg):
            secrets.append(seg)
            segments[i] = MASK
    path = "/".join(segments)
    query_items = []
    if parts.query:
        for item in parts.query.split("&"):
            key, eq, value = item.partition("=")
            if eq and value:
                secrets.append(value)
                query_items.append(f"{key}={MASK}")
            elif not eq and _is_token(key):
                secrets.append(key)
                query_items.append(MASK)
            else:
                query_items.append(item)
    fragment = parts.fragment
    if fragment:
        secrets.append(fragment)
        fragment = MASK
    return urlunsplit((parts.scheme, netloc, path, "&".join(query_items), fragment)), secrets


def redact_url(url: str) -> str:
    """``url`` with query values, token-like path segments and user info replaced by ``***``.

    >>> redact_url("https://mainnet.helius-rpc.com/?api-key=abcd1234")
    'https://mainnet.helius-rpc.com/?api-key=***'
    """
    return _split_secrets(str(url))[0]


def url_secrets(url: str) -> tuple[str, ...]:
    """The secret fragments ``redact_url`` removes from ``url`` (for literal scrubbing)."""
    return tuple(_split_secrets(str(url))[1])


def register_url(url: str) -> str:
    """Remember ``url``'s secret fragments so ``scrub`` removes them anywhere; returns the
    redacted form (the name to log the endpoint by)."""
    redacted, secrets = _split_secrets(str(url))
    with _lock:
        for s in secrets:
            for variant in {s, unquote(s), quote(s, safe="")}:
                if len(variant) >= _MIN_SECRET_LEN:
                    _registered.add(variant)
    return redacted


def scrub(text: object) -> str:
    """``str(text)`` with every URL redacted and every registered secret fragment masked."""
    out = _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), str(text))
    with _lock:
        secrets = sorted(_registered, key=len, reverse=True)
    for s in secrets:
        if s in out:
            out = out.replace(s, MASK)
    return out


def error_text(exc: BaseException) -> str:
    """Loggable text for ``exc``: our own errors verbatim (already redacted where raised),
    foreign ones as ``Type: scrubbed message``."""
    from jitmaker.errors import JitMakerError

    text = str(exc)
    return text if isinstance(exc, JitMakerError) else f"{type(exc).__name__}: {scrub(text)}"
