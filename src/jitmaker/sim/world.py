"""Seeding the simulated chain: real-layout Drift accounts built from a scenario.

Drift accounts (State, PerpMarket, SpotMarket, User, UserStats) are encoded with driftpy's
Anchor coder from its bundled IDL, starting from an all-zero template of each account and
setting the fields a live market has, so every byte is where the program and every client
expect it. Oracles are Pyth pull ``PriceUpdateV2`` accounts (or Prelaunch / Pyth Lazer),
address lookup tables use the ALT program's layout, and the Drift and jit-proxy programs
exist as executable accounts. Hot updates (oracle ticks, AMM re-peg) patch bytes in place.
"""

from __future__ import annotations

import dataclasses
import hashlib
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from jitmaker.accounts.discriminators import (
    PRELAUNCH_ORACLE_DISCRIMINATOR,
    PRICE_UPDATE_V2_DISCRIMINATOR,
    PYTH_LAZER_ORACLE_DISCRIMINATOR,
)
from jitmaker.accounts.enums import OracleSource
from jitmaker.accounts.oracles import PYTH_RECEIVER_PROGRAM_ID
from jitmaker.accounts.perp_market import PerpMarket
from jitmaker.chain.pdas import ADDRESS_LOOKUP_TABLE_PROGRAM_ID as ALT_PROGRAM_ID
from jitmaker.chain.pdas import (
    DRIFT_PROGRAM_ID,
    JIT_PROXY_PROGRAM_ID,
    SYSTEM_PROGRAM_ID,
    perp_market_pda,
    spot_market_pda,
    state_pda,
    user_pda,
    user_stats_pda,
)
from jitmaker.errors import SimulatorError
from jitmaker.sim.ledger import Account, Ledger
from jitmaker.sim.offsets import record_offsets
from jitmaker.sim.scenario import CompetitorSpec, PerpMarketSpec, Scenario, SpotMarketSpec

__all__ = [
    "ALT_PROGRAM_ID",
    "BPF_UPGRADEABLE_LOADER",
    "DRIFT_PROGRAM_ID",
    "JIT_PROXY_PROGRAM_ID",
    "MAINNET_LOOKUP_TABLES",
    "PYTH_RECEIVER_ID",
    "MarketInfo",
    "World",
    "lamports_for",
    "oracle_account",
    "perp_market_pda",
    "spot_market_pda",
    "state_pda",
    "user_pda",
    "user_stats_pda",
]

# program ids and the Drift PDAs are the product's (jitmaker.chain.pdas), re-exported here
BPF_UPGRADEABLE_LOADER = Pubkey.from_string("BPFLoaderUpgradeab1e11111111111111111111111")
PYTH_RECEIVER_ID = Pubkey.from_string(PYTH_RECEIVER_PROGRAM_ID)
# driftpy's mainnet config points DriftClient at these tables and re-reads them before
# every v0 send, so the simulator serves tables at exactly these addresses.
MAINNET_LOOKUP_TABLES = (
    Pubkey.from_string("Fpys8GRa5RBWfyeN7AaDUwFGD1zkDCA4z3t4CJLV8dfL"),
    Pubkey.from_string("EiWSskK5HXnBTptiS5DH6gpAJRVNQ3cAhTKBGaiaysAb"),
)

FEE_PAYER_LAMPORTS = 100 * 10**9
PRICE_UPDATE_V2_SIZE = 134
PYTH_EXPONENT = -8  # what Pyth publishes for most crypto feeds; raw = price(1e6) * 100
_PULL_MULTIPLE = {
    OracleSource.PYTH_PULL: 1,
    OracleSource.PYTH_1K_PULL: 1_000,
    OracleSource.PYTH_1M_PULL: 1_000_000,
    OracleSource.PYTH_STABLE_COIN_PULL: 1,
}
_LAZER_MULTIPLE = {
    OracleSource.PYTH_LAZER: 1,
    OracleSource.PYTH_LAZER_1K: 1_000,
    OracleSource.PYTH_LAZER_1M: 1_000_000,
    OracleSource.PYTH_LAZER_STABLE_COIN: 1,
}

# byte offsets inside PerpMarket (protocol.md §2.5) patched on every oracle tick, from the
# product's layout; the flow writes each run of adjacent 8-byte fields with one pack_into
_PM = record_offsets(PerpMarket)


def _pm_run(prefix: str, *names: str) -> int:
    """Offset of the first of ``names``; they must be adjacent 8-byte fields."""
    at = [_PM[prefix + name][0] for name in names]
    assert at == list(range(at[0], at[0] + 8 * len(at), 8)), names
    return at[0]


_ORACLE_DATA = "amm.historical_oracle_data."
_PM_LAST_ORACLE_PRICE = _pm_run(_ORACLE_DATA, "last_oracle_price")
_PM_ORACLE_TWAP = _pm_run(
    _ORACLE_DATA,
    "last_oracle_price_twap",
    "last_oracle_price_twap5min",
    "last_oracle_price_twap_ts",
)
_PM_PEG = _pm_run("amm.", "peg_multiplier")  # u128
_PM_BID_TWAP = _pm_run(
    "amm.",
    "last_bid_price_twap",
    "last_ask_price_twap",
    "last_mark_price_twap",
    "last_mark_price_twap5min",
    "last_update_slot",
)


def lamports_for(size: int) -> int:
    """Rent-exempt minimum for ``size`` data bytes (default rent: 3480 lamports/byte-year x 2)."""
    return (128 + size) * 6960


def _pda(seeds: list[bytes], program: Pubkey = DRIFT_PROGRAM_ID) -> Pubkey:
    return Pubkey.find_program_address(seeds, program)[0]


@cache
def drift_signer_pda() -> Pubkey:
    return _pda([b"drift_signer"])


# ---------------------------------------------------------------------------- anchor coder


@cache
def _coder() -> Any:
    from driftpy.accounts.oracle import DRIFT_CODER  # heavy import; only when seeding

    return DRIFT_CODER


def _plain(obj: Any) -> Any:
    """Decoded anchorpy dataclasses -> dicts (anchorpy cannot re-encode nested Pubkeys)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list):
        return [_plain(x) for x in obj]
    return obj


def _copy(obj: Any) -> Any:
    """Copy the dict/list skeleton; leaves (ints, Pubkeys, enum variants) are immutable."""
    if isinstance(obj, dict):
        return {k: _copy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_copy(v) for v in obj]
    return obj


@cache
def _template(name: str) -> dict[str, Any]:
    from anchorpy.coder.accounts import _account_discriminator

    size = _ACCOUNT_SIZES[name] - 8
    decoded = _coder().accounts.decode(_account_discriminator(name) + bytes(size))
    return _plain(decoded)


_ACCOUNT_SIZES = {
    "State": 992,
    "PerpMarket": 1216,
    "SpotMarket": 776,
    "User": 4376,
    "UserStats": 240,
    "PrelaunchOracle": 120,
    "PythLazerOracle": 48,
}


def encode_account(account: str, /, **fields: Any) -> bytes:
    """Encode the Drift account ``account`` with driftpy's Anchor coder.

    ``fields`` are set on a zero template; nested structs are given as dicts and merged.
    """
    from anchorpy.program.common import NamedInstruction

    data = _copy(_template(account))
    _merge(data, fields, account)
    out = _coder().accounts.build(NamedInstruction(data=data, name=account))
    if len(out) != _ACCOUNT_SIZES[account]:
        raise SimulatorError(f"{account} encoded to {len(out)} bytes")
    return bytes(out)


def _merge(into: dict[str, Any], fields: dict[str, Any], path: str) -> None:
    for key, value in fields.items():
        if key not in into:
            raise SimulatorError(f"{path}: no field {key!r}")
        if isinstance(value, dict) and isinstance(into[key], dict):
            _merge(into[key], value, f"{path}.{key}")
        else:
            into[key] = value


def _variant(enum_name: str, index: int) -> Any:
    """The coder's enum variant with program index ``index`` for IDL enum ``enum_name``."""
    cls = _enum_classes()[enum_name]
    return getattr(cls, _enum_variants(enum_name)[index])()


@cache
def _enum_classes() -> dict[str, type]:
    """The coder's enum classes, found on the zero templates (anchorpy builds them lazily)."""
    found: dict[str, type] = {}

    def walk(obj: Any) -> None:
        if isinstance(obj, dict):
            for v in obj.values():
                walk(v)
        elif isinstance(obj, list):
            for v in obj:
                walk(v)
        elif type(obj).__module__ == "sumtypes":
            parent = type(obj).__mro__[1]
            found.setdefault(parent.__name__, parent)

    for name in ("State", "PerpMarket", "SpotMarket", "User", "UserStats"):
        walk(_template(name))
    return found


@cache
def _enum_variants(enum_name: str) -> tuple[str, ...]:
    import json
    from pathlib import Path

    import driftpy

    idl = json.loads(Path(driftpy.__path__[0], "idl", "drift.json").read_text())
    for t in idl["types"]:
        if t["name"] == enum_name:
            return tuple(v["name"] for v in t["type"]["variants"])
    raise SimulatorError(f"no enum {enum_name} in driftpy's IDL")


def _name32(name: str) -> list[int]:
    raw = name.encode()[:32]
    return list(raw + b" " * (32 - len(raw)))


# ---------------------------------------------------------------------------- oracles


def _pull_raw(price: int, source: OracleSource) -> int:
    """Raw Pyth integer (exponent -8) for a PRICE_PRECISION price."""
    multiple = _PULL_MULTIPLE.get(source) or _LAZER_MULTIPLE.get(source, 1)
    return price * 100 // multiple


def encode_price_update_v2(
    price: int,
    conf: int,
    posted_slot: int,
    publish_time: int,
    source: OracleSource = OracleSource.PYTH_PULL,
    feed_id: bytes = bytes(32),
) -> bytes:
    """A Pyth receiver ``PriceUpdateV2`` account (VerificationLevel::Full), 134 bytes."""
    raw = _pull_raw(price, source)
    raw_conf = _pull_raw(conf, source)
    body = (
        PRICE_UPDATE_V2_DISCRIMINATOR
        + bytes(32)  # write authority
        + b"\x01"  # VerificationLevel::Full
        + feed_id
        + struct.pack(
            "<qQiqqqQQ",
            raw,
            raw_conf,
            PYTH_EXPONENT,
            publish_time,
            publish_time - 1,
            raw,
            raw_conf,
            posted_slot,
        )
    )
    return body + bytes(PRICE_UPDATE_V2_SIZE - len(body))


def encode_oracle(
    source: OracleSource, price: int, slot: int, unix_ts: int
) -> tuple[bytes, Pubkey]:
    """Oracle account bytes and owner for ``source`` at ``price`` (PRICE_PRECISION)."""
    conf = max(price // 10_000, 1)
    if source in _PULL_MULTIPLE:
        return encode_price_update_v2(price, conf, slot, unix_ts, source), PYTH_RECEIVER_ID
    if source in _LAZER_MULTIPLE:
        raw = _pull_raw(price, source)
        data = PYTH_LAZER_ORACLE_DISCRIMINATOR + struct.pack(
            "<qQQi4xQ", raw, unix_ts * 1_000_000, slot, PYTH_EXPONENT, _pull_raw(conf, source)
        )
        return data, DRIFT_PROGRAM_ID
    if source == OracleSource.PRELAUNCH:
        data = PRELAUNCH_ORACLE_DISCRIMINATOR + struct.pack(
            "<qqQQQH", price, price * 2, conf, slot, slot, 0
        )
        return data + bytes(120 - len(data)), DRIFT_PROGRAM_ID
    raise SimulatorError(f"oracle source {source.name} cannot be simulated")


def oracle_account(source: OracleSource, price: int, slot: int, unix_ts: int) -> Account:
    data, owner = encode_oracle(source, price, slot, unix_ts)
    return Account(lamports_for(len(data)), data, owner)


def _default_oracle(kind: str, index: int, source: OracleSource) -> Pubkey:
    """driftpy's mainnet oracle for this market when its source matches, else a fixed PDA."""
    if source == OracleSource.QUOTE_ASSET:
        return Pubkey.default()
    try:
        from driftpy.constants.perp_markets import mainnet_perp_market_configs
        from driftpy.constants.spot_markets import mainnet_spot_market_configs

        configs = mainnet_perp_market_configs if kind == "perp" else mainnet_spot_market_configs
        for c in configs:
            if (
                c.market_index == index
                and type(c.oracle_source).__name__ == _enum_variants("OracleSource")[source]
            ):
                return c.oracle
    except ImportError:  # pragma: no cover - driftpy is a dependency
        pass
    seed = f"jitmaker-sim-oracle-{kind}-{index}".encode()
    return _pda([seed], PYTH_RECEIVER_ID)


# ---------------------------------------------------------------------------- world


@dataclass
class MarketInfo:
    """What the flow and the report need to know about one perp market."""

    spec: PerpMarketSpec
    pubkey: Pubkey
    oracle: Pubkey
    oracle_price: int

    @property
    def index(self) -> int:
        return self.spec.index


@dataclass
class Participant:
    """A simulated account holder (taker or competing maker) with its sub-account 0."""

    name: str
    keypair: Keypair
    user: Pubkey
    user_stats: Pubkey
    spec: CompetitorSpec | None = None


class World:
    """Builds the initial ledger from a scenario and keeps the handles the flow needs."""

    def __init__(self, scenario: Scenario, seed: int = 0) -> None:
        self.scenario = scenario
        self.seed = seed
        self.ledger = Ledger()
        self.slot = scenario.start_slot
        self.unix_timestamp = scenario.start_unix_timestamp
        self.perp: dict[int, MarketInfo] = {}
        self.spot_oracles: dict[int, tuple[Pubkey, OracleSource, int]] = {}
        self.takers: list[Participant] = []
        self.competitors: list[Participant] = []
        self.funded: dict[Pubkey, int] = {}
        self.admin = self._keypair("admin")
        self._seed_programs()
        self._seed_spot_markets(scenario.spot_markets)
        self._seed_perp_markets(scenario.perp_markets)
        self._seed_state()
        self._seed_lookup_tables()
        for i in range(scenario.takers.pool_size):
            self.takers.append(self._participant(f"taker-{i}", scenario.takers.collateral_usdc))
        for spec in scenario.competitors:
            p = self._participant(f"maker-{spec.name}", spec.collateral_usdc, spec)
            self.competitors.append(p)
        for f in scenario.fund:
            self.fund(f.authority, f.usdc)

    # -- helpers ------------------------------------------------------------------------

    def _keypair(self, label: str) -> Keypair:
        return Keypair.from_seed(
            hashlib.sha256(f"jitmaker-sim/{self.seed}/{label}".encode()).digest()
        )

    def _put(self, key: Pubkey, data: bytes, owner: Pubkey = DRIFT_PROGRAM_ID) -> None:
        self.ledger.put(key, Account(lamports_for(len(data)), data, owner), self.slot)

    def _seed_programs(self) -> None:
        for program in (DRIFT_PROGRAM_ID, JIT_PROXY_PROGRAM_ID):
            programdata = _pda([bytes(program)], BPF_UPGRADEABLE_LOADER)
            data = struct.pack("<I", 2) + bytes(programdata)
            self.ledger.put(
                program,
                Account(lamports_for(len(data)), data, BPF_UPGRADEABLE_LOADER, True),
                self.slot,
            )

    def _seed_spot_markets(self, specs: Iterable[SpotMarketSpec]) -> None:
        for spec in specs:
            oracle = spec.oracle or _default_oracle("spot", spec.index, spec.oracle_source)
            if spec.oracle_source != OracleSource.QUOTE_ASSET:
                self.ledger.put(
                    oracle,
                    oracle_account(
                        spec.oracle_source, spec.oracle_price, self.slot, self.unix_timestamp
                    ),
                    self.slot,
                )
            self.spot_oracles[spec.index] = (oracle, spec.oracle_source, spec.oracle_price)
            key = spot_market_pda(spec.index)
            precision = 10**spec.decimals
            data = encode_account(
                "SpotMarket",
                pubkey=key,
                oracle=oracle,
                mint=_pda([b"mint", struct.pack("<H", spec.index)], SYSTEM_PROGRAM_ID),
                vault=_pda([b"spot_market_vault", struct.pack("<H", spec.index)]),
                name=_name32(spec.name),
                historical_oracle_data={
                    "last_oracle_price": spec.oracle_price,
                    "last_oracle_conf": 0,
                    "last_oracle_delay": 0,
                    "last_oracle_price_twap": spec.oracle_price,
                    "last_oracle_price_twap5min": spec.oracle_price,
                    "last_oracle_price_twap_ts": self.unix_timestamp,
                },
                historical_index_data={
                    "last_index_bid_price": spec.oracle_price,
                    "last_index_ask_price": spec.oracle_price,
                    "last_index_price_twap": spec.oracle_price,
                    "last_index_price_twap5min": spec.oracle_price,
                    "last_index_price_twap_ts": self.unix_timestamp,
                },
                cumulative_deposit_interest=10_000_000_000,
                cumulative_borrow_interest=10_000_000_000,
                decimals=spec.decimals,
                market_index=spec.index,
                orders_enabled=spec.index != 0,
                oracle_source=_variant("OracleSource", spec.oracle_source),
                status=_variant("MarketStatus", 1),
                asset_tier=_variant("AssetTier", 0),
                initial_asset_weight=10_000,
                maintenance_asset_weight=10_000,
                initial_liability_weight=10_000,
                maintenance_liability_weight=10_000,
                order_step_size=precision // 100 or 1,
                order_tick_size=100,
                min_order_size=precision // 100 or 1,
                max_token_deposits=10**12 * precision,
                optimal_utilization=800_000,
                optimal_borrow_rate=100_000,
                max_borrow_rate=1_000_000,
                last_interest_ts=self.unix_timestamp,
                last_twap_ts=self.unix_timestamp,
            )
            self._put(key, data)

    def _seed_perp_markets(self, specs: Iterable[PerpMarketSpec]) -> None:
        for spec in specs:
            oracle = spec.oracle or _default_oracle("perp", spec.index, spec.oracle_source)
            price = spec.oracle_price
            self.ledger.put(
                oracle,
                oracle_account(spec.oracle_source, price, self.slot, self.unix_timestamp),
                self.slot,
            )
            key = perp_market_pda(spec.index)
            spread = spec.amm_spread_bps * 100  # BID_ASK_SPREAD_PRECISION 1e6 -> 1 bp = 100
            reserve = spec.amm_liquidity_base
            half = spread // 2
            data = encode_account(
                "PerpMarket",
                pubkey=key,
                amm={
                    "oracle": oracle,
                    "historical_oracle_data": {
                        "last_oracle_price": price,
                        "last_oracle_conf": 0,
                        "last_oracle_delay": 0,
                        "last_oracle_price_twap": price,
                        "last_oracle_price_twap5min": price,
                        "last_oracle_price_twap_ts": self.unix_timestamp,
                    },
                    "base_asset_reserve": reserve,
                    "quote_asset_reserve": reserve,
                    "sqrt_k": reserve,
                    "peg_multiplier": price,
                    "terminal_quote_asset_reserve": reserve,
                    "min_base_asset_reserve": reserve // 2,
                    "max_base_asset_reserve": reserve * 2,
                    "ask_base_asset_reserve": reserve,
                    "ask_quote_asset_reserve": reserve,
                    "bid_base_asset_reserve": reserve,
                    "bid_quote_asset_reserve": reserve,
                    "max_open_interest": reserve,
                    "last_bid_price_twap": price - price * half // 1_000_000,
                    "last_ask_price_twap": price + price * half // 1_000_000,
                    "last_mark_price_twap": price,
                    "last_mark_price_twap5min": price,
                    "last_update_slot": self.slot,
                    "funding_period": 3600,
                    "order_step_size": spec.step_size,
                    "order_tick_size": spec.tick_size,
                    "min_order_size": spec.min_order_size,
                    "last_mark_price_twap_ts": self.unix_timestamp,
                    "base_spread": spread,
                    "max_spread": spread * 10,
                    "long_spread": half,
                    "short_spread": half,
                    "max_fill_reserve_fraction": 1,
                    "max_slippage_ratio": 50,
                    "curve_update_intensity": 100,
                    "amm_jit_intensity": spec.amm_jit_intensity,
                    "oracle_source": _variant("OracleSource", spec.oracle_source),
                    "last_oracle_valid": True,
                },
                name=_name32(spec.name),
                margin_ratio_initial=spec.margin_ratio_initial,
                margin_ratio_maintenance=spec.margin_ratio_maintenance,
                market_index=spec.index,
                status=_variant("MarketStatus", 1),
                contract_type=_variant("ContractType", 0),
                contract_tier=_variant("ContractTier", 0),
                quote_spot_market_index=0,
                liquidator_fee=10_000,
                if_liquidation_fee=10_000,
                imf_factor=0,
                unrealized_pnl_initial_asset_weight=10_000,
                unrealized_pnl_maintenance_asset_weight=10_000,
            )
            self._put(key, data)
            self.perp[spec.index] = MarketInfo(spec, key, oracle, price)

    def _seed_state(self) -> None:
        tier = {
            "fee_numerator": 100,
            "fee_denominator": 100_000,
            "maker_rebate_numerator": 20,
            "maker_rebate_denominator": 100_000,
            "referrer_reward_numerator": 15,
            "referrer_reward_denominator": 100,
            "referee_fee_numerator": 5,
            "referee_fee_denominator": 100,
        }
        fees = {
            "fee_tiers": [dict(tier) for _ in range(10)],
            "filler_reward_structure": {
                "reward_numerator": 10,
                "reward_denominator": 100,
                "time_based_reward_lower_bound": 10_000,
            },
            "referrer_reward_epoch_upper_bound": 0,
            "flat_filler_fee": 10_000,
        }
        data = encode_account(
            "State",
            admin=self.admin.pubkey(),
            signer=drift_signer_pda(),
            perp_fee_structure=fees,
            spot_fee_structure=_copy(fees),
            oracle_guard_rails={
                "price_divergence": {
                    "mark_oracle_percent_divergence": 100_000,
                    "oracle_twap5min_percent_divergence": 500_000,
                },
                "validity": {
                    "slots_before_stale_for_amm": 10,
                    "slots_before_stale_for_margin": 120,
                    "confidence_interval_max_size": 20_000,
                    "too_volatile_ratio": 5,
                },
            },
            number_of_markets=len(self.perp),
            number_of_spot_markets=len(self.spot_oracles),
            min_perp_auction_duration=self.scenario.min_perp_auction_duration,
            default_market_order_time_in_force=60,
            default_spot_auction_duration=10,
            liquidation_margin_buffer_ratio=200,
            settlement_duration=3600,
            liquidation_duration=150,
            initial_pct_to_liquidate=100,
            max_number_of_sub_accounts=0,
            signer_nonce=_signer_nonce(),
        )
        self._put(state_pda(), data)

    def lookup_table_addresses(self) -> list[Pubkey]:
        keys = [state_pda(), drift_signer_pda()]
        keys += [spot_market_pda(i) for i in sorted(self.spot_oracles)]
        keys += [m.pubkey for _, m in sorted(self.perp.items())]
        keys += [o for o, src, _ in self.spot_oracles.values() if src != OracleSource.QUOTE_ASSET]
        keys += [m.oracle for _, m in sorted(self.perp.items())]
        return list(dict.fromkeys(keys))

    def _seed_lookup_tables(self) -> None:
        addresses = self.lookup_table_addresses()
        meta = (
            struct.pack("<IQQB", 1, 2**64 - 1, self.slot, 0)
            + b"\x01"
            + bytes(self.admin.pubkey())
            + bytes(2)
        )
        assert len(meta) == 56
        data = meta + b"".join(bytes(a) for a in addresses)
        for table in MAINNET_LOOKUP_TABLES:
            self._put(table, data, ALT_PROGRAM_ID)

    def _participant(self, name: str, usdc: int, spec: CompetitorSpec | None = None) -> Participant:
        kp = self._keypair(name)
        self.create_users(kp.pubkey(), usdc, sub_account_ids=(0,), name=name)
        return Participant(name, kp, user_pda(kp.pubkey(), 0), user_stats_pda(kp.pubkey()), spec)

    # -- accounts ------------------------------------------------------------------------

    def user_account(self, authority: Pubkey, sub_account_id: int, usdc: int, name: str) -> Account:
        scaled = usdc * 1000  # SPOT_BALANCE_PRECISION 1e9 vs USDC 1e6, interest index 1e10
        spot0 = {
            "scaled_balance": scaled,
            "open_bids": 0,
            "open_asks": 0,
            "cumulative_deposits": usdc,
            "market_index": 0,
            "balance_type": _variant("SpotBalanceType", 0),
            "open_orders": 0,
            "padding": [0, 0, 0, 0],
        }
        template = _template("User")
        spots = _copy(template["spot_positions"])
        if usdc > 0:
            spots[0] = spot0
        data = encode_account(
            "User",
            authority=authority,
            name=_name32(name),
            spot_positions=spots,
            total_deposits=usdc,
            last_active_slot=self.slot,
            next_order_id=1,
            sub_account_id=sub_account_id,
        )
        return Account(lamports_for(len(data)), data, DRIFT_PROGRAM_ID)

    def user_stats_account(self, authority: Pubkey, sub_accounts: int) -> Account:
        data = encode_account(
            "UserStats",
            authority=authority,
            number_of_sub_accounts=sub_accounts,
            number_of_sub_accounts_created=sub_accounts,
            next_epoch_ts=self.unix_timestamp + 30 * 86_400,
        )
        return Account(lamports_for(len(data)), data, DRIFT_PROGRAM_ID)

    def create_users(
        self,
        authority: Pubkey,
        usdc: int,
        *,
        sub_account_ids: Iterable[int] = (0,),
        name: str = "Main Account",
    ) -> dict[Pubkey, Account]:
        """(Re)create the User accounts and UserStats of ``authority``; returns what changed."""
        subs = list(sub_account_ids)
        changed: dict[Pubkey, Account] = {}
        if self.ledger.get(authority) is None:  # the fee payer's system account (100 SOL)
            changed[authority] = Account(FEE_PAYER_LAMPORTS, b"", SYSTEM_PROGRAM_ID)
        for sub in subs:
            label = name if sub == 0 else f"Subaccount {sub}"
            changed[user_pda(authority, sub)] = self.user_account(authority, sub, usdc, label)
        changed[user_stats_pda(authority)] = self.user_stats_account(authority, len(subs))
        self.ledger.commit(changed, self.slot)
        return changed

    def fund(self, authority: Pubkey, usdc: int) -> dict[Pubkey, Account]:
        """Give ``authority`` initialized users 0-3, each with ``usdc`` (1e6) deposited."""
        if usdc < 0:
            raise SimulatorError("fund: USDC amount must be >= 0")
        self.funded[authority] = usdc
        return self.create_users(authority, usdc, sub_account_ids=range(4))


@cache
def _signer_nonce() -> int:
    return Pubkey.find_program_address([b"drift_signer"], DRIFT_PROGRAM_ID)[1]
