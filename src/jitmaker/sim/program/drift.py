"""``DriftEngine``: the Drift program's rules over one transaction's working accounts.

The engine combines placement (``placement.PlacementRules``, protocol §3), fills
(``fills.FillRules``, §5) and margin (``margin.MarginRules``) with the pieces they share
here: oracle prices, effective limit prices, perp position slots and order cancellation.
Simplifications are listed in the package docstring.
"""

from __future__ import annotations

from jitmaker.accounts.enums import (
    MarketType,
    OrderStatus,
)
from jitmaker.accounts.order import (
    I_AUCTION_DURATION,
    I_DIRECTION,
    I_MARKET_INDEX,
    I_MARKET_TYPE,
    I_ORDER_ID,
    I_STATUS,
    Order,
)
from jitmaker.auction import (
    AuctionMathError,
    limit_price,
)
from jitmaker.sim.program.errors import drift_error
from jitmaker.sim.program.fills import FillRules
from jitmaker.sim.program.layout import (
    MAX_PERP_POSITIONS,
    PerpMarketView,
    PerpPos,
    UserStatsView,
    UserView,
)
from jitmaker.sim.program.margin import MarginRules
from jitmaker.sim.program.oracle import OraclePrice, mm_or_exchange_price, read_oracle
from jitmaker.sim.program.placement import PlacementRules
from jitmaker.sim.program.rules import (
    _OPEN,
    LONG,
    SHORT,
    Maker,
    _math,
)
from jitmaker.sim.program.state import AccountMaps, Work
from jitmaker.sim.program.types import ExecContext, FillRecord

__all__ = ["LONG", "SHORT", "DriftEngine", "Maker"]


class DriftEngine(PlacementRules, FillRules, MarginRules):
    """Executes Drift rules on a ``Work`` set; appends program logs and fill records."""

    def __init__(self, work: Work, ctx: ExecContext, logs: list[str], fills: list[FillRecord]):
        self.work = work
        self.ctx = ctx
        self.logs = logs
        self.fills = fills
        self._referrer: tuple[UserView, UserStatsView] | None = None

    def log(self, text: str) -> None:
        self.logs.append(f"Program log: {text}")

    # ------------------------------------------------------------------ oracle
    def _exchange_oracle(self, market: PerpMarketView, maps: AccountMaps | None) -> OraclePrice:
        key = market.oracle
        data = None
        if maps is None or key in maps.oracles:
            data = self.work.data(key)
        return read_oracle(market.oracle_source, None if data is None else bytes(data))

    def exchange_oracle_price(self, market: PerpMarketView, maps: AccountMaps | None) -> int:
        """The market's oracle account price (what placement validates against)."""
        return self._exchange_oracle(market, maps).price

    def oracle_price(self, market: PerpMarketView, maps: AccountMaps | None) -> int:
        """MM-oracle-or-exchange price (fills, jit-proxy, margin)."""
        return mm_or_exchange_price(market, self._exchange_oracle(market, maps))

    def limit_price_of(
        self, order: Order, market: PerpMarketView, oracle: int, fallback: int | None = None
    ) -> int | None:
        try:
            return limit_price(
                order,
                self.ctx.slot,
                oracle,
                market.order_tick_size,
                fallback,
                market.is_prediction,
            )
        except AuctionMathError as exc:
            raise _math(exc) from None

    def _position_for(self, user: UserView, market_index: int) -> PerpPos:
        pos = user.find_perp(market_index)
        if pos is not None:
            return pos
        for i in range(MAX_PERP_POSITIONS):
            candidate = user.perp(i)
            if candidate.is_available():
                fresh = PerpPos(i, [0] * len(PerpPos.FIELDS))
                fresh.set(padding=b"\0\0", market_index=market_index)
                return fresh
        raise drift_error("MaxNumberOfPositions")

    # ------------------------------------------------------------------ cancel
    def cancel_order(self, user: UserView, index: int, explanation: str | None) -> None:
        """Cancel an open order: status Canceled, counters and open bids/asks reduced."""
        order = user.order(index)
        if order[I_STATUS] != _OPEN:
            return
        user.set_order(index, order.replace(status=OrderStatus.CANCELED))
        self.release_order(user, order, order.unfilled)
        if explanation:
            self.log(f"order {order[I_ORDER_ID]} canceled: {explanation}")

    def release_order(self, user: UserView, order: Order, unfilled: int) -> None:
        """Counters and open bids/asks when an order stops being open (``unfilled`` left)."""
        user.bump_counters(-1, -1 if order[I_AUCTION_DURATION] != 0 else 0)
        if order[I_MARKET_TYPE] == MarketType.SPOT:
            spot = user.find_spot(order[I_MARKET_INDEX])
            if spot is not None:
                spot.open_orders = max(0, spot.open_orders - 1)
                if order[I_DIRECTION] == LONG:
                    spot.open_bids -= unfilled
                else:
                    spot.open_asks += unfilled
                user.store_spot(spot)
        if order[I_MARKET_TYPE] == MarketType.PERP:
            pos = user.find_perp(order[I_MARKET_INDEX])
            if pos is not None:
                pos.set(open_orders=max(0, pos.open_orders - 1))
                if order[I_DIRECTION] == LONG:
                    pos.set(open_bids=pos.open_bids - unfilled)
                else:
                    pos.set(open_asks=pos.open_asks + unfilled)
                user.store_perp(pos)
