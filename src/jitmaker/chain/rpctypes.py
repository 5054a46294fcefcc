"""Value types of the Solana JSON-RPC/PubSub edge: commitments, encodings, filters, results.

Why a separate module: the client (``rpc``), the websocket manager (``ws``) and the sender all
speak these types; keeping them apart keeps each I/O module about one concept.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, NamedTuple, TypeVar

import based58

from jitmaker.errors import RpcError

__all__ = [
    "MAX_MULTIPLE_ACCOUNTS",
    "MAX_SIGNATURE_STATUSES",
    "AccountsFilter",
    "Commitment",
    "DataSize",
    "Encoding",
    "EndpointHealth",
    "LatestBlockhash",
    "Memcmp",
    "PrioritizationFee",
    "RawAccount",
    "RpcErrorCode",
    "RpcRateLimitedError",
    "RpcTransportError",
    "SignatureStatus",
    "SimulationResult",
    "Slotted",
    "TransactionMeta",
    "b58encode",
]

MAX_MULTIPLE_ACCOUNTS = 100  # getMultipleAccounts key limit
MAX_SIGNATURE_STATUSES = 256  # getSignatureStatuses signature limit
T = TypeVar("T")


class Commitment(Enum):
    """Solana commitment levels (same values as ``jitmaker.config.CommitmentLevel``)."""

    PROCESSED = "processed"
    CONFIRMED = "confirmed"
    FINALIZED = "finalized"

    @property
    def rank(self) -> int:
        return _COMMITMENT_RANK[self]


_COMMITMENT_RANK = {Commitment.PROCESSED: 0, Commitment.CONFIRMED: 1, Commitment.FINALIZED: 2}


class Encoding(Enum):
    """Account data encodings we request (base58/jsonParsed are never used)."""

    BASE64 = "base64"
    BASE64_ZSTD = "base64+zstd"


class RpcErrorCode:
    """JSON-RPC error codes the client treats specially (ints, as they arrive on the wire)."""

    SEND_TX_PREFLIGHT_FAILURE = -32002
    SIGNATURE_VERIFICATION_FAILURE = -32003
    NODE_UNHEALTHY = -32005
    MIN_CONTEXT_SLOT_NOT_REACHED = -32016
    INVALID_PARAMS = -32602
    RATE_LIMITED = frozenset({429, -32429, -32029})
    RETRYABLE = frozenset({-32005, -32016})


class RpcTransportError(RpcError):
    """The request may or may not have reached a node (network, timeout, 5xx, garbage reply)."""


class RpcRateLimitedError(RpcError):
    """The endpoint refused the request for rate limiting; ``retry_after_s`` if it said so."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        data: object = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message, code=code, data=data)
        self.retry_after_s = retry_after_s


# --------------------------------------------------------------------------- value types


class Slotted(NamedTuple, Generic[T]):
    """A value with the context slot the node answered at (None when not asked for)."""

    slot: int | None
    value: T


class RawAccount(NamedTuple):
    """An account as raw bytes; decoding is the caller's business."""

    pubkey: str
    data: bytes
    owner: str
    lamports: int
    executable: bool
    rent_epoch: int | None


class LatestBlockhash(NamedTuple):
    blockhash: str
    last_valid_block_height: int
    slot: int


class SignatureStatus(NamedTuple):
    slot: int
    confirmations: int | None
    err: Any  # TransactionError JSON or None
    confirmation_status: Commitment | None


class SimulationResult(NamedTuple):
    slot: int
    err: Any
    logs: tuple[str, ...]
    units_consumed: int | None


class TransactionMeta(NamedTuple):
    slot: int
    err: Any
    logs: tuple[str, ...]


class PrioritizationFee(NamedTuple):
    slot: int
    fee: int  # micro-lamports per compute unit


@dataclass(frozen=True, slots=True)
class Memcmp:
    """memcmp filter: ``data`` must appear at ``offset`` (sent base58-encoded)."""

    offset: int
    data: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "memcmp": {"offset": self.offset, "bytes": b58encode(self.data), "encoding": "base58"}
        }


@dataclass(frozen=True, slots=True)
class DataSize:
    """dataSize filter: the account data length must equal ``size``."""

    size: int

    def to_json(self) -> dict[str, Any]:
        return {"dataSize": self.size}


AccountsFilter = Memcmp | DataSize


@dataclass(slots=True)
class EndpointHealth:
    """Per-endpoint counters, exposed for metrics and logs (``name`` is redacted)."""

    name: str
    ok: int = 0
    failures: int = 0
    rate_limited: int = 0
    consecutive_failures: int = 0
    down_until: float = 0.0
    latency_ewma_us: float | None = None

    @property
    def score(self) -> float:
        """Share of successful requests, smoothed (1.0 for an unused endpoint)."""
        return (self.ok + 1) / (self.ok + self.failures + self.rate_limited + 1)


def b58encode(data: bytes) -> str:
    """Bitcoin-alphabet base58 text of ``data`` (memcmp filter bytes)."""
    return based58.b58encode(data).decode()
