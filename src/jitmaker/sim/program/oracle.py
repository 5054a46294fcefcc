"""Oracle prices as the Drift program reads them (Pyth pull, Pyth Lazer, Prelaunch, quote).

Validity (confidence, staleness) is not modelled: a readable oracle is Valid. The MM-oracle
rule of protocol §1.4 picks the market's ``amm.mm_oracle_price`` when it is set, at least as
recent as the exchange oracle and within 1% of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from jitmaker.accounts.enums import OracleSource
from jitmaker.accounts.oracles import oracle_price_data
from jitmaker.errors import DecodeError
from jitmaker.sim.program.constants import PERCENTAGE_PRECISION, PRICE_PRECISION
from jitmaker.sim.program.errors import drift_error
from jitmaker.sim.program.layout import PerpMarketView

__all__ = ["OraclePrice", "mm_or_exchange_price", "read_oracle"]

_MM_ORACLE_MAX_DIFF = PERCENTAGE_PRECISION // 100  # 1%


@dataclass(frozen=True, slots=True)
class OraclePrice:
    price: int  # PRICE_PRECISION
    slot: int


def read_oracle(source: int, data: bytes | None) -> OraclePrice:
    """The exchange oracle price of an oracle account (normalised by ``jitmaker.accounts``
    exactly as the program does: exponent scaling, 1K/1M multiples, stable-coin snap);
    Drift's OracleNotFound when the account was not passed, InvalidOracle when unreadable."""
    if source == OracleSource.QUOTE_ASSET:
        return OraclePrice(PRICE_PRECISION, 0)
    if data is None:
        raise drift_error("OracleNotFound", "oracle account not passed in remaining accounts")
    try:
        reading = oracle_price_data(source, bytes(data))
    except (DecodeError, ValueError) as exc:
        raise drift_error("InvalidOracle", f"oracle source {source}: {exc}") from None
    return OraclePrice(reading.price, reading.slot)


def mm_or_exchange_price(market: PerpMarketView, exchange: OraclePrice) -> int:
    """The price fills and jit-proxy use for a perp market (protocol §1.4)."""
    mm = market.mm_oracle_price
    if mm > 0 and market.mm_oracle_slot >= exchange.slot and exchange.price > 0:
        diff = abs(mm - exchange.price) * PERCENTAGE_PRECISION // exchange.price
        if diff <= _MM_ORACLE_MAX_DIFF:
            return mm
    return exchange.price
