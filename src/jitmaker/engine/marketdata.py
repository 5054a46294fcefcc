"""What the engine knows about markets, oracles and our own accounts, as decision views.

Plain mutable state fed by the feeds; ``view()`` turns it into the frozen ``MarketView`` the
strategies read. No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from solders.pubkey import Pubkey

from jitmaker.accounts import (
    MarketType,
    OracleSource,
    SpotBalanceType,
    amm_bid_ask,
    oracle_price_data,
    token_amount,
)
from jitmaker.chain.remaining import MarketDirectory, PerpMarketRef, SpotMarketRef
from jitmaker.errors import DecodeError
from jitmaker.strategies.views import BASE_PRECISION, MarketKey, MarketView

__all__ = ["MarketData", "OracleReading", "account_value"]

MM_ORACLE_MAX_DIVERGENCE_BPS = 100  # protocol.md §1.4: within 1% of the exchange oracle


@dataclass(frozen=True, slots=True)
class OracleReading:
    price: int
    confidence: int
    slot: int


class MarketData:
    """Decoded markets and oracles keyed for the hot path."""

    def __init__(self) -> None:
        self.perp: dict[int, Any] = {}
        self.spot: dict[int, Any] = {}
        self.oracle_raw: dict[Pubkey, bytes] = {}
        self.oracle_of: dict[MarketKey, tuple[Pubkey, OracleSource]] = {}
        self.directory = MarketDirectory()
        # decoded oracle per market, valid until that oracle or market account changes
        self._readings: dict[MarketKey, OracleReading | None] = {}

    # ---- updates ----
    def set_perp(self, market: Any) -> None:
        self.perp[market.market_index] = market
        self._readings.pop((MarketType.PERP, market.market_index), None)  # MM oracle may move
        key = (MarketType.PERP, market.market_index)
        ref = (market.amm.oracle, market.amm.oracle_source)
        if self.oracle_of.get(key) != ref:
            self.oracle_of[key] = ref
            self.directory.set_perp(
                PerpMarketRef(
                    market.market_index,
                    market.amm.oracle,
                    market.amm.oracle_source,
                    market.quote_spot_market_index,
                    market.pubkey,
                )
            )

    def set_spot(self, market: Any) -> None:
        self.spot[market.market_index] = market
        key = (MarketType.SPOT, market.market_index)
        ref = (market.oracle, market.oracle_source)
        if self.oracle_of.get(key) != ref:
            self.oracle_of[key] = ref
            self.directory.set_spot(
                SpotMarketRef(market.market_index, market.oracle, market.vault, market.pubkey)
            )

    def set_oracle(self, pubkey: Pubkey, data: bytes) -> None:
        self.oracle_raw[pubkey] = data
        for key, (oracle, _source) in self.oracle_of.items():
            if oracle == pubkey:
                self._readings.pop(key, None)

    def oracle_pubkeys(self, keys: list[MarketKey]) -> list[Pubkey]:
        return [self.oracle_of[k][0] for k in keys if k in self.oracle_of]

    # ---- reads ----
    def oracle(self, key: MarketKey, slot: int) -> OracleReading | None:
        """The oracle price the program would use (perps: MM oracle when §1.4 allows it).

        The reading does not depend on ``slot`` (the oracle's own slot is in it), so it is
        decoded once per account update and cached."""
        try:
            return self._readings[key]
        except KeyError:
            reading = self._readings[key] = self._read_oracle(key, slot)
            return reading

    def _read_oracle(self, key: MarketKey, slot: int) -> OracleReading | None:
        ref = self.oracle_of.get(key)
        if ref is None:
            return None
        pubkey, source = ref
        raw = self.oracle_raw.get(pubkey)
        if raw is None and source is not OracleSource.QUOTE_ASSET:
            return None
        try:
            data = oracle_price_data(source, raw, slot)
        except DecodeError:
            return None
        reading = OracleReading(data.price, data.confidence, data.slot)
        if key[0] is MarketType.PERP:
            amm = self.perp[key[1]].amm
            mm_price, mm_slot = amm.mm_oracle_price, amm.mm_oracle_slot
            if (
                mm_price > 0
                and mm_slot >= reading.slot
                and abs(mm_price - reading.price) * 10_000
                <= reading.price * MM_ORACLE_MAX_DIVERGENCE_BPS
            ):
                reading = OracleReading(mm_price, reading.confidence, mm_slot)
        return reading

    def view(
        self, key: MarketKey, slot: int, dlob: Any = None, exclude: Any = ()
    ) -> MarketView | None:
        mtype, index = key
        market = self.perp.get(index) if mtype is MarketType.PERP else self.spot.get(index)
        if market is None:
            return None
        oracle = self.oracle(key, slot)
        if oracle is None:
            return None
        if mtype is MarketType.PERP:
            amm = market.amm
            tick, step, min_size = amm.order_tick_size, amm.order_step_size, amm.min_order_size
            amm_bid, amm_ask = amm_bid_ask(market)
            precision = BASE_PRECISION
        else:
            tick, step, min_size = (
                market.order_tick_size,
                market.order_step_size,
                market.min_order_size,
            )
            amm_bid = amm_ask = None
            precision = 10**market.decimals
        best_bid = best_ask = None
        if dlob is not None:
            best_bid = dlob.best_bid(
                index, slot, oracle.price, tick, market_type=int(mtype), exclude=exclude
            )
            best_ask = dlob.best_ask(
                index, slot, oracle.price, tick, market_type=int(mtype), exclude=exclude
            )
        return MarketView(
            market_type=mtype,
            market_index=index,
            tick_size=max(tick, 1),
            step_size=max(step, 1),
            min_order_size=min_size,
            oracle_price=oracle.price,
            oracle_slot=oracle.slot,
            oracle_conf=oracle.confidence,
            amm_bid=amm_bid,
            amm_ask=amm_ask,
            dlob_best_bid=best_bid,
            dlob_best_ask=best_ask,
            base_precision=precision,
            status=market.status,
            is_prediction_market=getattr(market, "contract_type", 0) == 2,
        )


def account_value(user: Any, data: MarketData, slot: int) -> int:
    """A conservative account value in QUOTE (1e6): USDC balance plus perp PnL at the oracle.

    Other spot collateral is ignored (it only makes sizing more cautious).
    """
    value = 0
    usdc = data.spot.get(0)
    for pos in user.spot_positions:
        if pos.market_index == 0 and usdc is not None and pos.scaled_balance:
            amount = token_amount(pos.scaled_balance, usdc, pos.balance_type)
            value += amount if pos.balance_type == SpotBalanceType.DEPOSIT else -amount
    for pos in user.perp_positions:
        if pos.base_asset_amount == 0 and pos.quote_asset_amount == 0:
            continue
        oracle = data.oracle((MarketType.PERP, pos.market_index), slot)
        if oracle is None:
            continue
        notional = pos.base_asset_amount * oracle.price
        pnl = (abs(notional) // BASE_PRECISION) * (1 if notional >= 0 else -1)
        value += pos.quote_asset_amount + pnl
    return value
