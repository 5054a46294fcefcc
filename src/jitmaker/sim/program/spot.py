"""Drift spot rules, simplified: ``place_spot_order`` and a place_and_make match (§5.1).

What is modelled: placement checks and stored fields as the program (step/tick, auction
params with ``default_spot_auction_duration``, orders enabled, quote market not tradable,
counters, spot open bids/asks), the JIT maker match at the maker's price (quote rounded by
maker side, spot fee tier 0 with the market's fee adjustment), token balances moved through
the scaled balances and cumulative interest of the base and quote (USDC) markets, and a
margin check. Not modelled: Serum/Phoenix/OpenBook fulfilment, keeper spot fills, interest
accrual, spot market deposit/borrow totals, max fill amounts limited by vault balances.
"""

from __future__ import annotations

from jitmaker.accounts.enums import MarketType, OrderStatus, OrderType
from jitmaker.accounts.order import I_DIRECTION, I_MARKET_INDEX, I_ORDER_ID
from jitmaker.auction import (
    AuctionMathError,
    limit_price,
    standardize_base_asset_amount,
)
from jitmaker.sim.program.drift import DriftEngine
from jitmaker.sim.program.errors import drift_error
from jitmaker.sim.program.layout import (
    MAX_SPOT_POSITIONS,
    SpotMarketView,
    SpotPos,
    StateView,
    UserStatsView,
    UserView,
)
from jitmaker.sim.program.oracle import read_oracle
from jitmaker.sim.program.placement import is_risk_increasing, standardized_prices
from jitmaker.sim.program.rules import (
    LONG,
    SHORT,
    Maker,
    _ceil_div,
    _crosses,
    _maker_rebate,
    _math,
    _taker_fee,
)
from jitmaker.sim.program.state import AccountMaps
from jitmaker.sim.program.types import OrderParams

__all__ = [
    "fill_spot_jit",
    "place_spot_order",
    "signed_token_amount",
    "spot_market",
    "spot_oracle_price",
]

_OPEN = OrderStatus.OPEN
DEPOSIT, BORROW = 0, 1


def spot_market(engine: DriftEngine, maps: AccountMaps, index: int, writable: bool = True):
    entry = maps.spot.get(index)
    if entry is None:
        raise drift_error("SpotMarketNotFound", f"spot market {index} not in remaining accounts")
    if writable and not entry[1]:
        raise drift_error("SpotMarketWrongMutability", f"spot market {index} must be writable")
    return SpotMarketView(entry[0], engine.work.buf(entry[0]))


def spot_oracle_price(engine: DriftEngine, market: SpotMarketView, maps: AccountMaps) -> int:
    key = market.oracle
    data = engine.work.data(key) if key in maps.oracles else None
    return read_oracle(market.oracle_source, None if data is None else bytes(data)).price


def _precision_decrease(market: SpotMarketView) -> int:
    return 10 ** (19 - market.decimals)


def token_amount(pos: SpotPos, market: SpotMarketView) -> int:
    """Unsigned token amount of a position (deposits round down, borrows up)."""
    if pos.balance_type == DEPOSIT:
        return (
            pos.scaled_balance * market.cumulative_deposit_interest // _precision_decrease(market)
        )
    return _ceil_div(
        pos.scaled_balance * market.cumulative_borrow_interest, _precision_decrease(market)
    )


def signed_token_amount(pos: SpotPos | None, market: SpotMarketView) -> int:
    if pos is None:
        return 0
    amount = token_amount(pos, market)
    return amount if pos.balance_type == DEPOSIT else -amount


def _set_signed_tokens(pos: SpotPos, market: SpotMarketView, tokens: int) -> None:
    """Rewrite the scaled balance for a new signed token amount (deposit floor, borrow ceil)."""
    dec = _precision_decrease(market)
    if tokens >= 0:
        pos.balance_type = DEPOSIT
        pos.scaled_balance = tokens * dec // market.cumulative_deposit_interest
    else:
        pos.balance_type = BORROW
        pos.scaled_balance = _ceil_div(-tokens * dec, market.cumulative_borrow_interest)


def _position(user: UserView, market_index: int) -> SpotPos:
    pos = user.find_spot(market_index)
    if pos is not None:
        return pos
    start = 0 if market_index == 0 else 1  # the quote position lives in slot 0
    for i in range(start, MAX_SPOT_POSITIONS):
        candidate = user.spot_pos(i)
        if candidate.is_available():
            candidate.market_index = market_index
            candidate.balance_type = DEPOSIT
            return candidate
    raise drift_error("NoSpotPositionAvailable")


def place_spot_order(
    engine: DriftEngine, state: StateView, user: UserView, params: OrderParams, maps: AccountMaps
) -> int | None:
    """``controller::orders::place_spot_order`` (checks in the program's order)."""
    now = engine.ctx.unix_timestamp
    engine.check_user_can_place(user, params, maps, "order must be reduce only")
    max_ts = params.max_ts
    if max_ts is None:
        max_ts = now + 30 if params.order_type in (OrderType.MARKET, OrderType.ORACLE) else 0
    if max_ts != 0 and max_ts < now:
        engine.log(f"max_ts ({max_ts}) < now ({now}), skipping order")
        return None
    slot_index = engine.free_order_slot(user, params, None)
    market = spot_market(engine, maps, params.market_index)
    if user.pool_id != 0:
        raise drift_error("InvalidPoolId", f"user pool id ({user.pool_id}) != 0")
    if market.status == 0:
        raise drift_error("MarketBeingInitialized", "Market is being initialized")
    pos = _position(user, params.market_index)
    tokens = signed_token_amount(pos, market)
    oracle = spot_oracle_price(engine, market, maps)
    step, tick = market.order_step_size, market.order_tick_size
    if params.base_asset_amount < step:
        raise drift_error(
            "InvalidOrderSizeTooSmall",
            f"params.base_asset_amount={params.base_asset_amount} cannot be below "
            f"spot_market.order_step_size={step}",
        )
    try:
        base = standardize_base_asset_amount(params.base_asset_amount, step)
    except AuctionMathError as exc:
        raise _math(exc) from None
    existing_dir = LONG if tokens >= 0 else SHORT
    start, end, duration = engine.auction_params(
        state.default_spot_auction_duration, params, oracle, tick
    )
    if not market.orders_enabled:
        raise drift_error("SpotOrdersDisabled")
    if params.market_index == 0:
        raise drift_error("InvalidOrderBaseQuoteAsset", "can not place order for quote asset")
    if params.market_type != MarketType.SPOT:
        raise drift_error("InvalidOrderMarketType", "must be spot order")
    price, trigger = standardized_prices(params, tick)
    order = engine.new_order(
        user, params, market, MarketType.SPOT, base=base, price=price, trigger=trigger,
        existing_dir=existing_dir, max_ts=max_ts, auction=(start, end, duration),
    )  # fmt: skip
    engine.validate_spot_order(order, market)
    risk_increasing = is_risk_increasing(
        params.direction, tokens, pos.open_bids, pos.open_asks, base
    )
    order_id = engine.add_order(user, slot_index, order)
    pos.open_orders += 1
    if params.order_type not in (OrderType.TRIGGER_MARKET, OrderType.TRIGGER_LIMIT):
        if params.direction == LONG:
            pos.open_bids += base
        else:
            pos.open_asks -= base
    user.store_spot(pos)
    user.set_last_active_slot(engine.ctx.slot)
    if risk_increasing:
        engine.check_margin(user, maps, "place")
    if not user.is_margin_trading_enabled and tokens + pos.open_asks < 0:
        raise drift_error(
            "MarginTradingDisabled", "spot borrows need margin trading enabled on the user"
        )
    return order_id


def fill_spot_jit(
    engine: DriftEngine,
    state: StateView,
    taker: UserView,
    taker_stats: UserStatsView | None,
    taker_order_id: int,
    maps: AccountMaps,
    maker: UserView,
    maker_stats: UserStatsView | None,
    maker_order_id: int,
) -> int:
    """``fill_spot_order`` with only the place_and_make maker (Match fulfilment)."""
    ctx = engine.ctx
    t_index = taker.find_open_order(taker_order_id)
    if t_index is None:
        raise drift_error("OrderDoesNotExist", f"could not find open order id {taker_order_id}")
    t_order = taker.order(t_index)
    if t_order.market_type != MarketType.SPOT:
        raise drift_error("InvalidOrderMarketType", "must be spot order")
    market = spot_market(engine, maps, t_order[I_MARKET_INDEX])
    quote_market = spot_market(engine, maps, 0)
    if market.paused_operations & 4 or market.status not in (1, 6):
        raise drift_error("MarketFillOrderPaused")
    if taker.status & 3:
        return 0
    if t_order.max_ts != 0 and ctx.unix_timestamp > t_order.max_ts:
        engine.cancel_order(taker, t_index, "taker order expired")
        return 0
    m_index = maker.find_open_order(maker_order_id)
    if m_index is None or taker.key == maker.key:
        return 0
    m_order = maker.order(m_index)
    if m_order[I_DIRECTION] == t_order[I_DIRECTION] or t_order.post_only:
        return 0
    oracle = spot_oracle_price(engine, market, maps)
    tick = market.order_tick_size
    try:
        taker_price = limit_price(t_order, ctx.slot, oracle, tick)
        maker_price = limit_price(m_order, ctx.slot, oracle, tick)
    except AuctionMathError as exc:
        raise _math(exc) from None
    if taker_price is None or maker_price is None:
        return 0
    taker_dir = t_order[I_DIRECTION]
    if not _crosses(taker_dir, taker_price, maker_price):
        engine.log(f"orders dont cross. maker price {maker_price} taker price {taker_price}")
        return 0
    step = market.order_step_size
    base = min(
        standardize_base_asset_amount(t_order.unfilled, step),
        standardize_base_asset_amount(m_order.unfilled, step),
    )
    if base == 0:
        return 0
    precision = 10**market.decimals
    prod = maker_price * base
    maker_long = m_order[I_DIRECTION] == LONG
    quote = prod // precision if maker_long else _ceil_div(prod, precision)
    fee_num, fee_den = state.spot_fee_tier(0)[:2]
    reb_num, reb_den = state.spot_fee_tier(0)[2:4]
    taker_fee = _taker_fee(quote, fee_num, fee_den, market.fee_adjustment)
    rebate = _maker_rebate(quote, reb_num, reb_den, market.fee_adjustment)
    # balances: base moves with the direction; quote pays/receives the notional and fees
    for user, order, idx, quote_delta in (
        (taker, t_order, t_index, -(quote + taker_fee) if taker_dir == LONG else quote - taker_fee),
        (maker, m_order, m_index, -(quote - rebate) if maker_long else quote + rebate),
    ):
        long = order[I_DIRECTION] == LONG
        pos = _position(user, market.market_index)
        _set_signed_tokens(
            pos, market, signed_token_amount(pos, market) + (base if long else -base)
        )
        if long:
            pos.open_bids -= base
        else:
            pos.open_asks += base
        user.store_spot(pos)
        qpos = _position(user, 0)
        _set_signed_tokens(
            qpos, quote_market, signed_token_amount(qpos, quote_market) + quote_delta
        )
        user.store_spot(qpos)
        engine.add_fill_to_order(user, idx, order, base, quote)
    engine.settle_fill(
        MarketType.SPOT, market.market_index, taker, taker_stats, t_order,
        Maker(maker, maker_stats), m_order, base, quote, maker_price, taker_fee, rebate,
    )  # fmt: skip
    engine.log(
        f"spot fill: taker order {t_order[I_ORDER_ID]} maker order {m_order[I_ORDER_ID]} "
        f"base {base} quote {quote} price {maker_price}"
    )
    engine.check_margin(taker, maps, "fill", "fill")
    engine.check_margin(maker, maps, "fill", "fill")
    return base
