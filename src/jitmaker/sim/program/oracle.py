"""Oracle prices as the Drift program reads them (Pyth pull, Pyth Lazer, Prelaunch, quote).

Validity (confidence, staleness) is not modelled: a readable oracle is Valid. The MM-oracle
rule of protocol §1.4 picks the market's ``amm.mm_oracle_price`` when it is set, at least as
recent as the exchange oracle and within 1% of it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from jitmaker.accounts.enums import OracleSource
from jitmaker.sim.program.constants import (
    PERCENTAGE_PRECISION,
    PRELAUNCH_ORACLE_DISC,
    PRICE_PRECISION,
    PYTH_LAZER_ORACLE_DISC,
)
from jitmaker.sim.program.errors import drift_error
from jitmaker.sim.program.layout import PerpMarketView

__all__ = ["OraclePrice", "mm_or_exchange_price", "read_oracle"]

_PYTH_PULL = {
    OracleSource.PYTH_PULL: 1,
    OracleSource.PYTH_1K_PULL: 1_000,
    OracleSource.PYTH_1M_PULL: 1_000_000,
    OracleSource.PYTH_STABLE_COIN_PULL: 1,
}
_PYTH_LAZER = {
    OracleSource.PYTH_LAZER: 1,
    OracleSource.PYTH_LAZER_1K: 1_000,
    OracleSource.PYTH_LAZER_1M: 1_000_000,
    OracleSource.PYTH_LAZER_STABLE_COIN: 1,
}
_MM_ORACLE_MAX_DIFF = PERCENTAGE_PRECISION // 100  # 1%


@dataclass(frozen=True, slots=True)
class OraclePrice:
    price: int  # PRICE_PRECISION
    slot: int


def _scale(raw: int, exponent: int, multiple: int) -> int:
    raw *= multiple
    precision = 10 ** (-exponent) if exponent <= 0 else 1
    if exponent > 0:
        raw *= 10**exponent
    if precision > PRICE_PRECISION:
        q = precision // PRICE_PRECISION
        return -(-raw // q) if raw < 0 else raw // q  # i128 division truncates
    return raw * (PRICE_PRECISION // precision)


def _pyth_pull(data: bytes, multiple: int) -> OraclePrice:
    off = 8 + 32
    off += 1 if data[off] == 1 else 2  # VerificationLevel: Full (1) or Partial{u8} (0)
    off += 32  # feed id
    price, _conf, exponent = struct.unpack_from("<qQi", data, off)
    off += 8 + 8 + 4 + 8 + 8 + 8 + 8  # ... publish times, ema price/conf
    (posted_slot,) = struct.unpack_from("<Q", data, off)
    return OraclePrice(_scale(price, exponent, multiple), posted_slot)


def read_oracle(source: int, data: bytes | None) -> OraclePrice:
    """The exchange oracle price of an oracle account; Drift errors if missing or unreadable."""
    if source == OracleSource.QUOTE_ASSET:
        return OraclePrice(PRICE_PRECISION, 0)
    if data is None:
        raise drift_error("OracleNotFound", "oracle account not passed in remaining accounts")
    try:
        if source == OracleSource.PRELAUNCH:
            if data[:8] != PRELAUNCH_ORACLE_DISC:
                raise ValueError("not a PrelaunchOracle")
            price, _max, _conf, _last, amm_slot = struct.unpack_from("<qqQQQ", data, 8)
            return OraclePrice(price, amm_slot)
        multiple = _PYTH_PULL.get(OracleSource(source))
        if multiple is not None:
            return _pyth_pull(data, multiple)
        multiple = _PYTH_LAZER.get(OracleSource(source))
        if multiple is not None:
            if data[:8] != PYTH_LAZER_ORACLE_DISC:
                raise ValueError("not a PythLazerOracle")
            price, _ts, posted_slot, exponent = struct.unpack_from("<qQQi", data, 8)
            return OraclePrice(_scale(price, exponent, multiple), posted_slot)
    except (ValueError, struct.error, IndexError):
        pass
    raise drift_error("InvalidOracle", f"oracle source {source} unsupported or unreadable")


def mm_or_exchange_price(market: PerpMarketView, exchange: OraclePrice) -> int:
    """The price fills and jit-proxy use for a perp market (protocol §1.4)."""
    mm = market.mm_oracle_price
    if mm > 0 and market.mm_oracle_slot >= exchange.slot and exchange.price > 0:
        diff = abs(mm - exchange.price) * PERCENTAGE_PRECISION // exchange.price
        if diff <= _MM_ORACLE_MAX_DIFF:
            return mm
    return exchange.price
