"""Shared pieces of the Drift rules: directions, fee rounding, price predicates, the Maker pair."""

from __future__ import annotations

from dataclasses import dataclass

from solders.pubkey import Pubkey

from jitmaker.accounts.enums import (
    OrderStatus,
    OrderType,
    PositionDirection,
)
from jitmaker.accounts.order import (
    I_ORDER_TYPE,
    I_POST_ONLY,
    Order,
)
from jitmaker.auction import (
    AuctionMathError,
    is_auction_complete,
)
from jitmaker.sim.program.constants import (
    MARGIN_PRECISION,
)
from jitmaker.sim.program.errors import ProgramError, drift_error
from jitmaker.sim.program.layout import (
    PerpMarketView,
    UserStatsView,
    UserView,
)

__all__ = ["LONG", "SHORT", "Maker"]

LONG, SHORT = PositionDirection.LONG, PositionDirection.SHORT
_OPEN = OrderStatus.OPEN
_MARKET_FILL_PAUSED = 4  # PerpMarket.paused_operations Fill
_MARKET_AMM_FILL_PAUSED = 2
_DEFAULT_KEY = Pubkey.default()
_VOLUME_TIERS = (2_000_000, 10_000_000, 20_000_000, 80_000_000, 200_000_000)
OPEN_ORDER_MARGIN_REQUIREMENT = 10_000


def _math(exc: AuctionMathError) -> ProgramError:
    return drift_error(exc.name, str(exc))


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _taker_fee(quote: int, num: int, den: int, adjustment: int) -> int:
    """``calculate_taker_fee``: ceil(quote*num/den), then the market's fee adjustment
    (a discount rounds down, a surcharge rounds up)."""
    fee = _ceil_div(quote * num, den) if den else 0
    if adjustment < 0:
        return max(0, fee - fee * -adjustment // 100)
    if adjustment > 0:
        return fee + _ceil_div(fee * adjustment, 100)
    return fee


def _maker_rebate(quote: int, num: int, den: int, adjustment: int) -> int:
    """``calculate_maker_rebate``: floor(quote*num/den), adjustment rounded against the maker."""
    rebate = quote * num // den if den else 0
    if adjustment < 0:
        return max(0, rebate - _ceil_div(rebate * -adjustment, 100))
    if adjustment > 0:
        return rebate + rebate * adjustment // 100
    return rebate


@dataclass
class Maker:
    """A (User, UserStats) pair that may provide liquidity in a fill."""

    user: UserView
    stats: UserStatsView | None


def _crosses(taker_dir: int, taker_price: int, maker_price: int) -> bool:
    return maker_price <= taker_price if taker_dir == LONG else maker_price >= taker_price


def _better(taker_dir: int, amm_price: int, maker_price: int) -> bool:
    """AMM strictly better than the maker for this taker."""
    return amm_price < maker_price if taker_dir == LONG else amm_price > maker_price


def _is_resting_limit(order: Order, slot: int) -> bool:
    return order[I_ORDER_TYPE] in (OrderType.LIMIT, OrderType.TRIGGER_LIMIT) and (
        order[I_POST_ONLY] or is_auction_complete(order, slot)
    )


def _breaches_oracle_band(direction: int, price: int, oracle: int, market: PerpMarketView) -> bool:
    if oracle <= 0:
        return False
    if direction == LONG and price > oracle:
        return (price - oracle) * MARGIN_PRECISION // oracle >= market.margin_ratio_initial
    if direction == SHORT and price < oracle:
        return (oracle - price) * MARGIN_PRECISION // oracle >= market.margin_ratio_initial
    return False
