"""One exception hierarchy for the whole project.

Foreign errors (solana-py, websockets, aiohttp, struct, yaml, ...) are translated into
these at the edge where they arise, so callers only ever catch ``JitMakerError``
subclasses.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DecodeError",
    "EncodeError",
    "ExecutionError",
    "FeedError",
    "JitMakerError",
    "RiskRejected",
    "RpcError",
    "SimulatorError",
    "StaleDataError",
]


class JitMakerError(Exception):
    """Root of every error jitmaker raises on purpose."""


class ConfigError(JitMakerError):
    """The configuration is invalid. ``path`` names the offending key (dotted)."""

    exit_code = 78  # EX_CONFIG from sysexits.h

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


class DecodeError(JitMakerError, ValueError):
    """Account or wire bytes could not be decoded (wrong length, discriminator, value)."""


class EncodeError(JitMakerError, ValueError):
    """An instruction or transaction could not be encoded from the given values."""


class RpcError(JitMakerError):
    """A JSON-RPC request failed. ``code`` is the JSON-RPC error code when there is one."""

    def __init__(self, message: str, *, code: int | None = None, data: object = None) -> None:
        self.code = code
        self.data = data
        super().__init__(message)


class FeedError(JitMakerError):
    """A websocket subscription failed or delivered something unusable."""


class StaleDataError(JitMakerError):
    """An input is older than its freshness bound; nothing may be sent on it."""


class RiskRejected(JitMakerError):
    """A pre-trade risk check refused an action."""


class ExecutionError(JitMakerError):
    """A transaction could not be built, sent or confirmed."""


class SimulatorError(JitMakerError):
    """The local exchange simulator was misconfigured or failed."""
