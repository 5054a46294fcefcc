"""Scenario files: what the simulated exchange looks like and how its flow behaves.

A scenario is YAML (``scenarios/default.yaml`` is the packaged default). Prices and sizes
are integers in protocol precision; probabilities and rates are plain numbers because they
never reach an account. Unknown keys are rejected so a typo cannot silently fall back to a
default.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from solders.pubkey import Pubkey

from jitmaker.accounts.enums import OracleSource
from jitmaker.errors import SimulatorError

__all__ = [
    "CompetitorSpec",
    "FaultSpec",
    "FundSpec",
    "PerpMarketSpec",
    "Scenario",
    "SpotMarketSpec",
    "TakerSpec",
    "load_scenario",
]

_ORACLE_SOURCES = {
    "quote_asset": OracleSource.QUOTE_ASSET,
    "prelaunch": OracleSource.PRELAUNCH,
    "pyth_lazer": OracleSource.PYTH_LAZER,
    "pyth_lazer_1k": OracleSource.PYTH_LAZER_1K,
    "pyth_lazer_1m": OracleSource.PYTH_LAZER_1M,
    "pyth_lazer_stable_coin": OracleSource.PYTH_LAZER_STABLE_COIN,
    "pyth_pull": OracleSource.PYTH_PULL,
    "pyth_1k_pull": OracleSource.PYTH_1K_PULL,
    "pyth_1m_pull": OracleSource.PYTH_1M_PULL,
    "pyth_stable_coin_pull": OracleSource.PYTH_STABLE_COIN_PULL,
}


@dataclass(frozen=True)
class SpotMarketSpec:
    index: int
    name: str
    decimals: int = 6
    oracle_price: int = 1_000_000
    oracle_source: OracleSource = OracleSource.PYTH_STABLE_COIN_PULL
    oracle: Pubkey | None = None  # default: driftpy's mainnet oracle for this index, else a PDA


@dataclass(frozen=True)
class PerpMarketSpec:
    index: int
    name: str
    oracle_price: int
    oracle_source: OracleSource = OracleSource.PYTH_PULL
    oracle: Pubkey | None = None
    tick_size: int = 100
    step_size: int = 10_000_000
    min_order_size: int = 10_000_000
    margin_ratio_initial: int = 1000
    margin_ratio_maintenance: int = 500
    amm_spread_bps: int = 10
    amm_jit_intensity: int = 0
    amm_liquidity_base: int = 1_000_000 * 10**9
    volatility_bps_per_slot: float = 3.0
    jump_probability: float = 0.0005
    jump_bps: float = 60.0
    taker_rate_per_slot: float = 0.2
    taker_median_base: int = 1_000_000_000


@dataclass(frozen=True)
class TakerSpec:
    pool_size: int = 24
    collateral_usdc: int = 10_000_000 * 10**6
    auction_duration_min: int = 10
    auction_duration_max: int = 60
    oracle_order_fraction: float = 0.5
    start_offset_bps: tuple[float, float] = (-10.0, 5.0)
    end_offset_bps: tuple[float, float] = (5.0, 40.0)
    size_tail_alpha: float = 1.6
    max_size_multiple: int = 50


@dataclass(frozen=True)
class CompetitorSpec:
    name: str
    aggressiveness_bps: float = 8.0
    participation: float = 0.5
    max_position_usdc: int = 250_000 * 10**6
    collateral_usdc: int = 50_000_000 * 10**6
    # resting post-only limit orders at oracle +/- this many bps (0 = none), refreshed
    # (expired and re-placed) every ``resting_refresh_slots``; size = taker median x multiple
    resting_offset_bps: float = 0.0
    resting_refresh_slots: int = 50
    resting_size_multiple: int = 3


@dataclass(frozen=True)
class FundSpec:
    authority: Pubkey
    usdc: int


@dataclass(frozen=True)
class FaultSpec:
    kind: str
    at_slot: int
    duration_slots: int = 0
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    name: str = "default"
    start_slot: int = 300_000_000
    start_unix_timestamp: int = 1_767_225_600
    block_height_lag: int = 20_000_000
    confirmed_lag_slots: int = 1
    finalized_lag_slots: int = 32
    min_perp_auction_duration: int = 10
    spot_markets: tuple[SpotMarketSpec, ...] = ()
    perp_markets: tuple[PerpMarketSpec, ...] = ()
    takers: TakerSpec = TakerSpec()
    competitors: tuple[CompetitorSpec, ...] = ()
    fund: tuple[FundSpec, ...] = ()
    faults: tuple[FaultSpec, ...] = ()

    def replace(self, **changes: Any) -> Scenario:
        return dataclasses.replace(self, **changes)


def _build(cls: type, raw: Any, path: str) -> Any:
    if not isinstance(raw, dict):
        raise SimulatorError(f"scenario {path}: expected a mapping")
    names = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(raw) - set(names)
    if unknown:
        raise SimulatorError(f"scenario {path}: unknown keys {sorted(unknown)}")
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        kwargs[key] = _convert(cls, key, value, f"{path}.{key}")
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise SimulatorError(f"scenario {path}: {exc}") from exc


def _convert(cls: type, key: str, value: Any, path: str) -> Any:
    if key == "oracle_source":
        try:
            return _ORACLE_SOURCES[str(value)]
        except KeyError:
            raise SimulatorError(
                f"scenario {path}: oracle_source must be one of {sorted(_ORACLE_SOURCES)}"
            ) from None
    if key in ("oracle", "authority"):
        if value is None:
            return None
        try:
            return Pubkey.from_string(str(value))
        except ValueError as exc:
            raise SimulatorError(f"scenario {path}: not a pubkey: {value!r}") from exc
    if key in ("start_offset_bps", "end_offset_bps"):
        if not (isinstance(value, list) and len(value) == 2):
            raise SimulatorError(f"scenario {path}: expected [low, high]")
        return (float(value[0]), float(value[1]))
    nested = {
        "spot_markets": SpotMarketSpec,
        "perp_markets": PerpMarketSpec,
        "competitors": CompetitorSpec,
        "fund": FundSpec,
        "faults": FaultSpec,
    }
    if cls is Scenario and key in nested:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise SimulatorError(f"scenario {path}: expected a list")
        return tuple(_build(nested[key], item, f"{path}[{i}]") for i, item in enumerate(value))
    if cls is Scenario and key == "takers":
        return _build(TakerSpec, value, path)
    return value


def _validate(s: Scenario) -> Scenario:
    if not s.perp_markets:
        raise SimulatorError("scenario: at least one perp market is required")
    if not any(m.index == 0 for m in s.spot_markets):
        raise SimulatorError("scenario: spot market 0 (USDC, the quote asset) is required")
    for kind, markets in (("perp", s.perp_markets), ("spot", s.spot_markets)):
        indexes = [m.index for m in markets]
        if len(set(indexes)) != len(indexes):
            raise SimulatorError(f"scenario: duplicate {kind} market index")
    for m in s.perp_markets:
        if m.oracle_price <= 0 or m.tick_size <= 0 or m.step_size <= 0:
            raise SimulatorError(f"scenario: perp market {m.index}: price/tick/step must be > 0")
    t = s.takers
    if not 1 <= t.auction_duration_min <= t.auction_duration_max <= 255:
        raise SimulatorError("scenario: takers: need 1 <= duration_min <= duration_max <= 255")
    if t.pool_size < 1:
        raise SimulatorError("scenario: takers.pool_size must be >= 1")
    return s


def load_scenario(source: str | Path | None = None) -> Scenario:
    """Load a scenario file; ``None`` loads the packaged default."""
    if source is None:
        text = resources.files("jitmaker.sim").joinpath("scenarios/default.yaml").read_text()
        path = "default.yaml"
    else:
        path = str(source)
        try:
            text = Path(source).read_text()
        except OSError as exc:
            raise SimulatorError(f"cannot read scenario {path}: {exc}") from exc
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise SimulatorError(f"scenario {path}: invalid YAML: {exc}") from exc
    return _validate(_build(Scenario, raw, path))
