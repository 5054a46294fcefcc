"""Configuration: YAML into frozen, typed, validated objects.

The file shape is keeper-bots-v2's (``global`` + ``botConfigs.jitMaker``), so its users can
bring their file unchanged; keys of theirs that we have no use for are accepted and listed
as ignored. Our extensions (a ``markets`` list with per-market overrides, asymmetric
aggressiveness, pluggable strategies, configurable program ids, ``endpoint: sim``) live in
the same two sections.

Every problem raises ``ConfigError(path, message)`` where ``path`` is the dotted key path
(``botConfigs.jitMaker.marketIndexes[2]``); messages never contain the private key.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from enum import Enum
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import based58
import yaml

from jitmaker.accounts.enums import MarketType, PostOnlyParam
from jitmaker.errors import ConfigError
from jitmaker.logging import redact_url, register_secret, register_url

__all__ = [
    "DEFAULT_DRIFT_PROGRAM_ID",
    "DEFAULT_JIT_PROXY_PROGRAM_ID",
    "SIM_ENDPOINT",
    "CommitmentLevel",
    "Config",
    "DriftEnv",
    "ExecutionMode",
    "KillSwitchConfig",
    "MarketConfig",
    "PriceReference",
    "PriorityFeeMethod",
    "SecretKey",
    "SimConfig",
    "StrategySpec",
    "effective_config",
    "load_config",
    "parse_config",
]

DEFAULT_DRIFT_PROGRAM_ID = "dRiftyHA39MWEi3m9aunc5MzRF1JYuBsbn6VPcn33UH"
DEFAULT_JIT_PROXY_PROGRAM_ID = "J1TnP8zvVxbtF5KFp5xRmWuvG9McnhzmBd9XGfCyuxFP"
SIM_ENDPOINT = "sim"
KEY_ENV = "KEEPER_PRIVATE_KEY"
KEY_FILE_ENV = "KEEPER_PRIVATE_KEY_FILE"
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_RE = re.compile(f"^[{_B58_ALPHABET}]+$")
BUILTIN_STRATEGIES = ("shotgun", "sniper")
_PLUGIN_RE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_]\w*$")


class DriftEnv(Enum):
    MAINNET_BETA = "mainnet-beta"
    DEVNET = "devnet"


class PriorityFeeMethod(Enum):
    SOLANA = "solana"  # getRecentPrioritizationFees on the RPC
    HELIUS = "helius"  # accepted for compatibility; uses the same estimate on heliusEndpoint
    FIXED = "fixed"  # always maxPriorityFeeMicroLamports


class ExecutionMode(Enum):
    JIT_PROXY = "jit"
    PLACE_AND_MAKE = "placeAndMake"


class PriceReference(Enum):
    DLOB = "dlob"  # DLOB best bid/ask clamped into the AMM's bid/ask (keeper-bots-v2)
    ORACLE = "oracle"


class CommitmentLevel(Enum):
    PROCESSED = "processed"
    CONFIRMED = "confirmed"
    FINALIZED = "finalized"


# --------------------------------------------------------------------------- secrets


class SecretKey:
    """A 64-byte ed25519 keypair that never prints itself."""

    __slots__ = ("_bytes", "source")

    def __init__(self, raw: bytes, source: str) -> None:
        self._bytes = bytes(raw)
        self.source = source  # "config", "env", "file", "ephemeral" — never the value

    def keypair(self) -> Any:
        from solders.keypair import Keypair

        return Keypair.from_bytes(self._bytes)

    @property
    def pubkey(self) -> str:
        return str(self.keypair().pubkey())

    def __repr__(self) -> str:
        return f"SecretKey(<redacted>, pubkey={self.pubkey}, source={self.source})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretKey) and other._bytes == self._bytes

    def __hash__(self) -> int:
        return hash(self._bytes)


def _key_from_bytes(raw: bytes, path: str, source: str) -> SecretKey:
    if len(raw) != 64:
        raise ConfigError(path, f"private key must be 64 bytes (secret + public), got {len(raw)}")
    from solders.keypair import Keypair

    try:
        keypair = Keypair.from_bytes(raw)
    except BaseException:  # solders raises pyo3 panics for inconsistent halves
        raise ConfigError(path, "private key is not a valid ed25519 keypair") from None
    if bytes(keypair.pubkey()) != raw[32:]:
        raise ConfigError(path, "private key's public half does not match its secret half")
    key = SecretKey(raw, source)
    # register every textual form so the log redactor can scrub any accidental echo
    register_secret(based58.b58encode(raw).decode())
    register_secret(json.dumps(list(raw)))
    register_secret(json.dumps(list(raw), separators=(",", ":")))
    register_secret(raw.hex())
    return key


def _key_from_text(text: str, path: str, source: str) -> SecretKey:
    text = text.strip()
    if not text:
        raise ConfigError(path, "private key is empty")
    if text.startswith("["):
        try:
            values = json.loads(text)
        except ValueError:
            raise ConfigError(
                path, "private key looks like a JSON array but does not parse"
            ) from None
        return _key_from_list(values, path, source)
    if _B58_RE.match(text) and len(text) >= 64:
        return _key_from_bytes(based58.b58decode(text.encode()), path, source)
    raise ConfigError(
        path, "private key is neither a readable file path, a JSON byte array, nor base58"
    )


def _key_from_list(values: Any, path: str, source: str) -> SecretKey:
    if not isinstance(values, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in values
    ):
        raise ConfigError(path, "private key array must contain only integers 0..255")
    return _key_from_bytes(bytes(values), path, source)


def _key_from_file(file: Path, path: str) -> SecretKey:
    try:
        mode = file.stat().st_mode
    except OSError as exc:
        raise ConfigError(path, f"cannot read key file {file}: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise ConfigError(path, f"key file {file} is not a regular file")
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            path,
            f"key file {file} is accessible by group or others (mode {stat.S_IMODE(mode):04o}); "
            f"run: chmod 600 {file}",
        )
    try:
        text = file.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, f"cannot read key file {file}: {exc}") from None
    return _key_from_text(text, path, "file")


def _looks_like_path(text: str) -> bool:
    return "/" in text or text.endswith((".json", ".key")) or text.startswith(("~", "."))


def load_secret_key(value: Any, path: str, env: Mapping[str, str]) -> SecretKey | None:
    """Resolve the keeper key from the config value or the environment (None if absent)."""
    source = "config"
    if value is None:
        if env.get(KEY_ENV):
            value, source, path = env[KEY_ENV], "env", KEY_ENV
        elif env.get(KEY_FILE_ENV):
            return _key_from_file(Path(env[KEY_FILE_ENV]).expanduser(), KEY_FILE_ENV)
        else:
            return None
    if isinstance(value, list):
        return _key_from_list(value, path, source)
    if not isinstance(value, str):
        raise ConfigError(
            path, f"expected a file path, JSON byte array or base58 string, got {_tname(value)}"
        )
    text = os.path.expandvars(value.strip())
    if _looks_like_path(text):
        return _key_from_file(Path(text).expanduser(), path)
    candidate = Path(text)
    if len(text) < 64 and candidate.exists():
        return _key_from_file(candidate, path)
    return _key_from_text(text, path, source)


# --------------------------------------------------------------------------- config objects


@dataclass(frozen=True, slots=True)
class StrategySpec:
    """``shotgun``, ``sniper`` or a third party's ``package.module:Class`` plus its options."""

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MarketConfig:
    market_type: MarketType
    market_index: int
    subaccount: int
    bid_aggressiveness_bps: int
    ask_aggressiveness_bps: int
    target_leverage: Fraction
    min_edge_bps: int
    inventory_skew_bps: int
    max_position_base: int | None
    strategy: StrategySpec

    @property
    def key(self) -> str:
        return f"{self.market_type.name.lower()}-{self.market_index}"


@dataclass(frozen=True, slots=True)
class KillSwitchConfig:
    max_drawdown_quote: int  # QUOTE 1e6; 0 disables
    max_consecutive_failures: int  # 0 disables
    max_unknown_errors: int  # within unknown_error_window_slots; 0 disables
    unknown_error_window_slots: int


@dataclass(frozen=True, slots=True)
class SimConfig:
    seed: int
    slot_ms: int
    scenario: str | None
    fund_usdc: int  # whole USDC given to the bot's authority
    report: str | None


@dataclass(frozen=True, slots=True)
class Config:
    drift_env: DriftEnv
    endpoint: str  # an http(s) URL, or "sim"
    ws_endpoint: str | None
    failover_endpoints: tuple[str, ...]
    additional_send_tx_endpoints: tuple[str, ...]
    tx_confirmation_endpoint: str | None
    key: SecretKey | None  # None only with endpoint: sim (an ephemeral key is made)
    commitment: CommitmentLevel
    resub_timeout_ms: int
    priority_fee_method: PriorityFeeMethod
    max_priority_fee_micro_lamports: int
    priority_fee_multiplier: Fraction
    tx_skip_preflight: bool
    tx_max_retries: int
    drift_program_id: str
    jit_proxy_program_id: str
    metrics_host: str
    metrics_port: int
    disable_metrics: bool
    bot_id: str
    dry_run: bool
    execution_mode: ExecutionMode
    price_reference: PriceReference
    post_only: PostOnlyParam
    jit_cu_limit: int
    oracle_max_staleness_slots: int
    oracle_max_confidence_bps: int
    volatility_window_slots: int
    volatility_max_bps: int
    kill_switch: KillSwitchConfig
    shutdown_grace_s: int
    markets: tuple[MarketConfig, ...]
    sim: SimConfig
    ignored_keys: tuple[str, ...] = ()

    @property
    def is_sim(self) -> bool:
        return self.endpoint == SIM_ENDPOINT

    def subaccounts(self) -> tuple[int, ...]:
        return tuple(sorted({m.subaccount for m in self.markets}))


# --------------------------------------------------------------------------- validators


def _tname(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


Validator = Callable[[Any, str], Any]


def v_bool(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ConfigError(path, f"expected true or false, got {_tname(value)}")


def v_int(lo: int | None = None, hi: int | None = None) -> Validator:
    def check(value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise ConfigError(path, f"expected an integer, got {_tname(value)}")
        if lo is not None and value < lo:
            raise ConfigError(path, f"must be >= {lo}, got {value}")
        if hi is not None and value > hi:
            raise ConfigError(path, f"must be <= {hi}, got {value}")
        return value

    return check


def v_decimal(
    lo: Fraction | None = None, hi: Fraction | None = None, *, lo_open: bool = False
) -> Validator:
    """A non-price ratio (leverage, multiplier), kept exact as a Fraction."""

    def check(value: Any, path: str) -> Fraction:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ConfigError(path, f"expected a number, got {_tname(value)}")
        try:
            number = Fraction(str(value))
        except (ValueError, ZeroDivisionError):
            raise ConfigError(path, f"expected a number, got {value!r}") from None
        if lo is not None and (number <= lo if lo_open else number < lo):
            raise ConfigError(
                path, f"must be {'>' if lo_open else '>='} {float(lo):g}, got {value}"
            )
        if hi is not None and number > hi:
            raise ConfigError(path, f"must be <= {float(hi):g}, got {value}")
        return number

    return check


def v_str(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(path, f"expected a non-empty string, got {_tname(value)}")
    return value.strip()


def v_enum(enum: type[Enum], aliases: Mapping[str, Enum] | None = None) -> Validator:
    def check(value: Any, path: str) -> Enum:
        if not isinstance(value, str):
            raise ConfigError(path, f"expected one of {_choices(enum)}, got {_tname(value)}")
        lookup = {str(m.value).lower(): m for m in enum}
        lookup.update({k.lower(): v for k, v in (aliases or {}).items()})
        member = lookup.get(value.strip().lower())
        if member is None:
            raise ConfigError(path, f"unknown value {value!r}; expected one of {_choices(enum)}")
        return member

    return check


def _choices(enum: type[Enum]) -> str:
    return ", ".join(str(m.value) for m in enum)


def v_http_url(value: Any, path: str) -> str:
    return _url(value, path, ("http", "https"))


def v_ws_url(value: Any, path: str) -> str:
    return _url(value, path, ("ws", "wss"))


def _url(value: Any, path: str, schemes: tuple[str, ...]) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(path, f"expected a {'/'.join(schemes)} URL, got {_tname(value)}")
    text = value.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ConfigError(path, f"malformed URL {redact_url(text)!r}") from None
    if parts.scheme not in schemes:
        raise ConfigError(
            path,
            f"URL must start with {' or '.join(s + '://' for s in schemes)}, got {redact_url(text)!r}",
        )
    if not parts.hostname or " " in text:
        raise ConfigError(path, f"malformed URL {redact_url(text)!r} (no host)")
    if port == 0:
        raise ConfigError(path, f"malformed URL {redact_url(text)!r} (port 0)")
    register_url(text)  # its API key is scrubbed from every log line from now on
    return text


def v_endpoint(value: Any, path: str) -> str:
    if isinstance(value, str) and value.strip().lower() == SIM_ENDPOINT:
        return SIM_ENDPOINT
    return v_http_url(value, path)


def v_pubkey(value: Any, path: str) -> str:
    if (
        not isinstance(value, str)
        or not _B58_RE.match(value.strip())
        or len(based58.b58decode(value.strip().encode())) != 32
    ):
        raise ConfigError(path, "expected a base58 public key (32 bytes)")
    return value.strip()


def v_list(item: Validator, *, min_len: int = 0) -> Validator:
    def check(value: Any, path: str) -> tuple:
        if not isinstance(value, list):
            raise ConfigError(path, f"expected a list, got {_tname(value)}")
        if len(value) < min_len:
            raise ConfigError(path, f"must have at least {min_len} item(s)")
        return tuple(item(v, f"{path}[{i}]") for i, v in enumerate(value))

    return check


def v_mapping(value: Any, path: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(path, f"expected a mapping, got {_tname(value)}")
    for key in value:
        if not isinstance(key, str):
            raise ConfigError(path, f"keys must be strings, got {_tname(key)}")
    return dict(value)


def v_any(value: Any, path: str) -> Any:
    return value


def v_strategy_name(value: Any, path: str) -> str:
    name = v_str(value, path)
    if name.lower() in BUILTIN_STRATEGIES:
        return name.lower()
    if _PLUGIN_RE.match(name):
        return name
    suggestion = difflib.get_close_matches(name.lower(), BUILTIN_STRATEGIES, n=1)
    hint = f" (did you mean {suggestion[0]!r}?)" if suggestion else ""
    raise ConfigError(
        path, f"unknown strategy {name!r}{hint}; expected shotgun, sniper or package.module:Class"
    )


# A schema maps camelCase keys to (validator, default). REQUIRED marks mandatory keys;
# IGNORED marks keeper-bots-v2 keys we accept for compatibility but do not use.
REQUIRED = object()
IGNORED = object()

GLOBAL_SCHEMA: dict[str, tuple[Validator, Any]] = {
    "driftEnv": (v_enum(DriftEnv), DriftEnv.MAINNET_BETA),
    "endpoint": (v_endpoint, REQUIRED),
    "wsEndpoint": (v_ws_url, None),
    "failoverEndpoints": (v_list(v_http_url), ()),
    "additionalSendTxEndpoints": (v_list(v_http_url), ()),
    "txConfirmationEndpoint": (v_http_url, None),
    "keeperPrivateKey": (v_any, None),
    "commitment": (v_enum(CommitmentLevel), CommitmentLevel.PROCESSED),
    "resubTimeoutMs": (v_int(100, 600_000), 2_000),
    "priorityFeeMethod": (v_enum(PriorityFeeMethod), PriorityFeeMethod.SOLANA),
    "maxPriorityFeeMicroLamports": (v_int(0, 100_000_000), 10_000),
    "priorityFeeMultiplier": (v_decimal(Fraction(0), Fraction(100), lo_open=True), Fraction(1)),
    "txSkipPreflight": (v_bool, True),
    "txMaxRetries": (v_int(0, 100), 0),
    "driftProgramId": (v_pubkey, DEFAULT_DRIFT_PROGRAM_ID),
    "jitProxyProgramId": (v_pubkey, DEFAULT_JIT_PROXY_PROGRAM_ID),
    "metricsHost": (v_str, "127.0.0.1"),
    "metricsPort": (v_int(0, 65535), 9464),
    "disableMetrics": (v_bool, False),
    "shutdownGraceS": (v_int(0, 600), 20),
    "sim": (v_mapping, {}),
    # keeper-bots-v2 keys accepted unchanged and ignored
    **{
        k: (v_any, IGNORED)
        for k in (
            "hermesEndpoint",
            "numNonActiveOraclesToPush",
            "heliusEndpoint",
            "initUser",
            "testLiveness",
            "cancelOpenOrders",
            "closeOpenPositions",
            "forceDeposit",
            "websocket",
            "eventSubscriber",
            "runOnce",
            "debug",
            "subaccounts",
            "eventSubscriberPollingInterval",
            "bulkAccountLoaderPollingInterval",
            "useJito",
            "jitoStrategy",
            "jitoBlockEngineUrl",
            "jitoAuthPrivateKey",
            "jitoMinBundleTip",
            "jitoMaxBundleTip",
            "jitoMaxBundleFailCount",
            "jitoTipMultiplier",
            "onlySendDuringJitoLeader",
            "txRetryTimeoutMs",
            "txSenderType",
            "txSenderConfirmationStrategy",
            "trackTxLandRate",
            "rebalanceFiller",
            "lutPubkey",
            "lazerEndpoints",
            "lazerToken",
        )
    },
}

# Keys allowed both in botConfigs.jitMaker and in each markets[] entry (per-market overrides).
MARKET_OVERRIDES: dict[str, tuple[Validator, Any]] = {
    "aggressivenessBps": (v_int(0, 10_000), 0),
    "bidAggressivenessBps": (v_int(0, 10_000), None),
    "askAggressivenessBps": (v_int(0, 10_000), None),
    "targetLeverage": (v_decimal(Fraction(0), Fraction(50), lo_open=True), Fraction(1)),
    "minEdgeBps": (v_int(-10_000, 10_000), 0),
    "inventorySkewBps": (v_int(0, 10_000), 0),
    "maxPositionBase": (v_decimal(Fraction(0), None, lo_open=True), None),
    "strategy": (v_strategy_name, "shotgun"),
    "strategyOptions": (v_mapping, {}),
}

JIT_SCHEMA: dict[str, tuple[Validator, Any]] = {
    "botId": (v_str, "jitMaker"),
    "dryRun": (v_bool, False),
    "metricsPort": (v_int(0, 65535), None),
    "marketType": (
        v_enum(MarketType, {"perp": MarketType.PERP, "spot": MarketType.SPOT}),
        MarketType.PERP,
    ),
    "marketIndexes": (v_list(v_int(0, 65535), min_len=1), None),
    "perpMarketIndicies": (v_list(v_int(0, 65535), min_len=1), None),
    "subaccounts": (v_list(v_int(0, 65535), min_len=1), None),
    "markets": (v_any, None),
    "jitCULimit": (v_int(10_000, 1_400_000), 400_000),
    "executionMode": (v_enum(ExecutionMode), ExecutionMode.JIT_PROXY),
    "priceReference": (v_enum(PriceReference), PriceReference.DLOB),
    "postOnly": (
        v_enum(
            PostOnlyParam,
            {
                "mustPostOnly": PostOnlyParam.MUST_POST_ONLY,
                "tryPostOnly": PostOnlyParam.TRY_POST_ONLY,
                "slide": PostOnlyParam.SLIDE,
            },
        ),
        PostOnlyParam.MUST_POST_ONLY,
    ),
    "oracleMaxStalenessSlots": (v_int(1, 10_000), 25),
    "oracleMaxConfidenceBps": (v_int(1, 10_000), 100),
    "volatilityWindowSlots": (v_int(1, 100_000), 50),
    "volatilityMaxBps": (v_int(1, 100_000), 300),
    "killSwitch": (v_mapping, {}),
    "runOnce": (v_any, IGNORED),
    **MARKET_OVERRIDES,
}

MARKET_SCHEMA: dict[str, tuple[Validator, Any]] = {
    "type": (v_enum(MarketType, {"perp": MarketType.PERP, "spot": MarketType.SPOT}), REQUIRED),
    "index": (v_int(0, 65535), REQUIRED),
    "subaccount": (v_int(0, 65535), 0),
    **{k: (v, None) for k, (v, _) in MARKET_OVERRIDES.items()},
}

KILL_SWITCH_SCHEMA: dict[str, tuple[Validator, Any]] = {
    "maxDrawdownUsdc": (v_decimal(Fraction(0)), Fraction(0)),
    "maxConsecutiveFailures": (v_int(0, 1_000_000), 50),
    "maxUnknownErrors": (v_int(0, 1_000_000), 10),
    "unknownErrorWindowSlots": (v_int(1, 10_000_000), 150),
}

SIM_SCHEMA: dict[str, tuple[Validator, Any]] = {
    "seed": (v_int(0, 2**63 - 1), 1),
    "slotMs": (v_int(1, 10_000), 400),
    "scenario": (v_str, None),
    "fundUsdc": (v_int(0, 10**12), 100_000),
    "report": (v_str, None),
}

TOP_LEVEL = ("global", "botConfigs", "enabledBots")


def _check_keys(section: Mapping[str, Any], schema: Mapping[str, Any], path: str) -> None:
    for key in section:
        if key in schema:
            continue
        where = f"{path}.{key}" if path else str(key)
        suggestion = difflib.get_close_matches(str(key), list(schema), n=1, cutoff=0.6)
        hint = f" (did you mean {suggestion[0]!r}?)" if suggestion else ""
        raise ConfigError(where, f"unknown key{hint}")


def _apply(
    section: Mapping[str, Any],
    schema: Mapping[str, tuple[Validator, Any]],
    path: str,
    ignored: list[str],
) -> dict[str, Any]:
    _check_keys(section, schema, path)
    out: dict[str, Any] = {}
    for key, (validator, default) in schema.items():
        where = f"{path}.{key}" if path else key
        if default is IGNORED:
            if key in section:
                ignored.append(where)
            continue
        value = section.get(key)
        if value is None:
            if default is REQUIRED:
                raise ConfigError(where, "required key is missing")
            out[key] = default
        else:
            out[key] = validator(value, where)
    return out


def _section(raw: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(path, f"expected a mapping, got {_tname(value)}")
    return value


def _to_base(value: Fraction | None, path: str) -> int | None:
    if value is None:
        return None
    base = value * 10**9
    if base.denominator != 1:
        raise ConfigError(path, "has more than 9 decimal places")
    return int(base)


def _market(
    entry: Mapping[str, Any],
    defaults: Mapping[str, Any],
    path: str,
    market_type: MarketType | None = None,
    index: int | None = None,
    subaccount: int | None = None,
) -> MarketConfig:
    def pick(key: str) -> Any:
        value = entry.get(key)
        return defaults[key] if value is None else value

    agg = pick("aggressivenessBps")
    bid = entry.get("bidAggressivenessBps")
    ask = entry.get("askAggressivenessBps")
    if bid is None:
        bid = (
            agg
            if entry.get("aggressivenessBps") is not None
            else (
                defaults["bidAggressivenessBps"]
                if defaults["bidAggressivenessBps"] is not None
                else agg
            )
        )
    if ask is None:
        ask = (
            agg
            if entry.get("aggressivenessBps") is not None
            else (
                defaults["askAggressivenessBps"]
                if defaults["askAggressivenessBps"] is not None
                else agg
            )
        )
    strategy_name = pick("strategy")
    options = entry.get("strategyOptions")
    if options is None:
        options = defaults["strategyOptions"] if entry.get("strategy") is None else {}
    return MarketConfig(
        market_type=market_type if market_type is not None else entry["type"],
        market_index=index if index is not None else entry["index"],
        subaccount=subaccount if subaccount is not None else entry["subaccount"],
        bid_aggressiveness_bps=bid,
        ask_aggressiveness_bps=ask,
        target_leverage=pick("targetLeverage"),
        min_edge_bps=pick("minEdgeBps"),
        inventory_skew_bps=pick("inventorySkewBps"),
        max_position_base=_to_base(pick("maxPositionBase"), f"{path}.maxPositionBase"),
        strategy=StrategySpec(strategy_name, dict(options)),
    )


def parse_config(raw: Any, env: Mapping[str, str] | None = None) -> Config:
    """Validate an already-parsed YAML document. Raises ConfigError on the first problem."""
    env = os.environ if env is None else env
    if raw is None:
        raise ConfigError("", "config file is empty")
    if not isinstance(raw, dict):
        raise ConfigError("", f"top level must be a mapping, got {_tname(raw)}")
    _check_keys(raw, dict.fromkeys(TOP_LEVEL), "")
    ignored: list[str] = []
    g = _apply(_section(raw, "global", "global"), GLOBAL_SCHEMA, "global", ignored)
    bots = _section(raw, "botConfigs", "botConfigs")
    for name in bots:
        if name != "jitMaker":
            ignored.append(f"botConfigs.{name}")
    enabled = raw.get("enabledBots")
    if enabled is not None:
        if not isinstance(enabled, list) or not all(isinstance(b, str) for b in enabled):
            raise ConfigError("enabledBots", "expected a list of bot names")
        if enabled and "jitMaker" not in enabled:
            raise ConfigError("enabledBots", "jitmaker only runs the jitMaker bot; add jitMaker")
    jpath = "botConfigs.jitMaker"
    j = _apply(_section(bots, "jitMaker", jpath), JIT_SCHEMA, jpath, ignored)

    markets = _markets(j, jpath)
    _check_market_uniqueness(markets, jpath)

    kill = _apply(
        v_mapping(j["killSwitch"], f"{jpath}.killSwitch"),
        KILL_SWITCH_SCHEMA,
        f"{jpath}.killSwitch",
        ignored,
    )
    sim_raw = _apply(g["sim"], SIM_SCHEMA, "global.sim", ignored)
    drawdown = kill["maxDrawdownUsdc"] * 10**6
    if drawdown.denominator != 1:
        raise ConfigError(f"{jpath}.killSwitch.maxDrawdownUsdc", "has more than 6 decimal places")

    key = load_secret_key(g["keeperPrivateKey"], "global.keeperPrivateKey", env)
    if key is None and g["endpoint"] != SIM_ENDPOINT:
        raise ConfigError(
            "global.keeperPrivateKey",
            f"required for a real endpoint (or set {KEY_ENV} / {KEY_FILE_ENV})",
        )
    if g["endpoint"] == SIM_ENDPOINT and (g["failoverEndpoints"] or g["additionalSendTxEndpoints"]):
        raise ConfigError(
            "global.endpoint", "endpoint: sim cannot be combined with other endpoints"
        )
    if g["wsEndpoint"] and g["endpoint"] == SIM_ENDPOINT:
        raise ConfigError("global.wsEndpoint", "not used with endpoint: sim; remove it")

    return Config(
        drift_env=g["driftEnv"],
        endpoint=g["endpoint"],
        ws_endpoint=g["wsEndpoint"],
        failover_endpoints=tuple(g["failoverEndpoints"]),
        additional_send_tx_endpoints=tuple(g["additionalSendTxEndpoints"]),
        tx_confirmation_endpoint=g["txConfirmationEndpoint"],
        key=key,
        commitment=g["commitment"],
        resub_timeout_ms=g["resubTimeoutMs"],
        priority_fee_method=g["priorityFeeMethod"],
        max_priority_fee_micro_lamports=g["maxPriorityFeeMicroLamports"],
        priority_fee_multiplier=g["priorityFeeMultiplier"],
        tx_skip_preflight=g["txSkipPreflight"],
        tx_max_retries=g["txMaxRetries"],
        drift_program_id=g["driftProgramId"],
        jit_proxy_program_id=g["jitProxyProgramId"],
        metrics_host=g["metricsHost"],
        metrics_port=j["metricsPort"] if j["metricsPort"] is not None else g["metricsPort"],
        disable_metrics=g["disableMetrics"],
        bot_id=j["botId"],
        dry_run=j["dryRun"],
        execution_mode=j["executionMode"],
        price_reference=j["priceReference"],
        post_only=j["postOnly"],
        jit_cu_limit=j["jitCULimit"],
        oracle_max_staleness_slots=j["oracleMaxStalenessSlots"],
        oracle_max_confidence_bps=j["oracleMaxConfidenceBps"],
        volatility_window_slots=j["volatilityWindowSlots"],
        volatility_max_bps=j["volatilityMaxBps"],
        kill_switch=KillSwitchConfig(
            max_drawdown_quote=int(drawdown),
            max_consecutive_failures=kill["maxConsecutiveFailures"],
            max_unknown_errors=kill["maxUnknownErrors"],
            unknown_error_window_slots=kill["unknownErrorWindowSlots"],
        ),
        shutdown_grace_s=g["shutdownGraceS"],
        markets=markets,
        sim=SimConfig(
            seed=sim_raw["seed"],
            slot_ms=sim_raw["slotMs"],
            scenario=sim_raw["scenario"],
            fund_usdc=sim_raw["fundUsdc"],
            report=sim_raw["report"],
        ),
        ignored_keys=tuple(ignored),
    )


def _markets(j: Mapping[str, Any], jpath: str) -> tuple[MarketConfig, ...]:
    listed = j["markets"]
    indexes = j["marketIndexes"]
    if indexes is None and j["perpMarketIndicies"] is not None:
        indexes = j["perpMarketIndicies"]
    if listed is not None:
        if indexes is not None:
            raise ConfigError(
                f"{jpath}.markets", "give either markets or marketIndexes/subaccounts, not both"
            )
        if not isinstance(listed, list) or not listed:
            raise ConfigError(
                f"{jpath}.markets", "expected a non-empty list of {type, index, subaccount}"
            )
        out = []
        for i, entry in enumerate(listed):
            path = f"{jpath}.markets[{i}]"
            if not isinstance(entry, dict):
                raise ConfigError(path, f"expected a mapping, got {_tname(entry)}")
            checked = _apply(entry, MARKET_SCHEMA, path, [])
            out.append(
                _market(
                    {k: v for k, v in checked.items() if k in entry}
                    | {
                        "type": checked["type"],
                        "index": checked["index"],
                        "subaccount": checked["subaccount"],
                    },
                    j,
                    path,
                )
            )
        return tuple(out)
    if indexes is None:
        raise ConfigError(
            f"{jpath}.marketIndexes", "required: list the markets to make (or use markets:)"
        )
    subaccounts = j["subaccounts"]
    if subaccounts is None:
        subaccounts = (0,) * len(indexes)
    if len(subaccounts) != len(indexes):
        raise ConfigError(
            f"{jpath}.subaccounts",
            f"has {len(subaccounts)} entries but marketIndexes has {len(indexes)}; they map one-to-one",
        )
    return tuple(
        _market({}, j, jpath, j["marketType"], index, sub)
        for index, sub in zip(indexes, subaccounts, strict=True)
    )


def _check_market_uniqueness(markets: tuple[MarketConfig, ...], jpath: str) -> None:
    seen: set[tuple[MarketType, int]] = set()
    for market in markets:
        ident = (market.market_type, market.market_index)
        if ident in seen:
            raise ConfigError(f"{jpath}.markets", f"market {market.key} is listed twice")
        seen.add(ident)
        if market.market_type is MarketType.SPOT and market.market_index == 0:
            raise ConfigError(
                f"{jpath}.markets", "spot market 0 is the quote asset (USDC); it has no order book"
            )


# --------------------------------------------------------------------------- YAML loading


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys instead of silently keeping the last."""


def _construct_mapping(
    loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False
) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError(
                str(key),
                f"duplicate key at line {key_node.start_mark.line + 1} "
                f"(first at line {seen[key] + 1})",
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(text: str, source: str = "config") -> Any:
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        # never echo the offending text: it may be the private key
        raise ConfigError(
            "", f"{source}: invalid YAML{where}: {exc.problem or 'syntax error'}"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError("", f"{source}: invalid YAML: {type(exc).__name__}") from None


def load_config(path: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> Config:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("", f"config file {file} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("", f"cannot read config file {file}: {exc}") from None
    return parse_config(load_yaml(text, str(file)), env)


# --------------------------------------------------------------------------- presentation


def _plain(value: Any) -> Any:
    if isinstance(value, SecretKey):
        return f"<redacted; pubkey {value.pubkey}; from {value.source}>"
    if isinstance(value, Enum):
        return value.value if not isinstance(value.value, int) else value.name.lower()
    if isinstance(value, Fraction):
        return str(value) if value.denominator != 1 else int(value)
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, str) and value.startswith(("http://", "https://", "ws://", "wss://")):
        return redact_url(value)
    return value


def effective_config(config: Config) -> dict[str, Any]:
    """The validated config as plain data, secrets redacted, URLs stripped of API keys."""
    out = _plain(config)
    if config.key is None and config.is_sim:
        out["key"] = "<ephemeral key generated at start (endpoint: sim)>"
    return out
