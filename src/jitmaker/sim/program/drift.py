"""Drift program rules: order placement, fills (maker/taker, AMM), cancels (protocol §3, §5).

Simplifications (documented in the package docstring): no funding, no AMM reserve movement
(the AMM trades at its quoted bid/ask), no referrer/filler rewards, margin is a simple
initial-margin check on USDC collateral plus perp PnL at the oracle price, the AMM JIT split
is optional, oracles are always Valid.
"""

from __future__ import annotations

from dataclasses import dataclass

from solders.pubkey import Pubkey

from jitmaker.accounts.enums import (
    MarketType,
    OrderStatus,
    OrderTriggerCondition,
    OrderType,
    PositionDirection,
    PostOnlyParam,
)
from jitmaker.accounts.order import (
    I_AUCTION_DURATION,
    I_DIRECTION,
    I_MARKET_INDEX,
    I_MARKET_TYPE,
    I_MAX_TS,
    I_ORDER_ID,
    I_ORDER_TYPE,
    I_POST_ONLY,
    I_STATUS,
    I_TRIGGER_CONDITION,
    I_USER_ORDER_ID,
    Order,
)
from jitmaker.auction import (
    U64_MAX,
    AuctionMathError,
    calculate_auction_prices,
    div_trunc,
    is_auction_complete,
    limit_price,
    standardize_base_asset_amount,
    standardize_price,
    standardize_price_i64,
)
from jitmaker.sim.program.constants import (
    BASE_PRECISION,
    MARGIN_PRECISION,
    PERCENTAGE_PRECISION,
)
from jitmaker.sim.program.errors import ProgramError, drift_error
from jitmaker.sim.program.layout import (
    MAX_ORDERS,
    MAX_PERP_POSITIONS,
    MAX_SPOT_POSITIONS,
    PerpMarketView,
    PerpPos,
    SpotMarketView,
    StateView,
    UserStatsView,
    UserView,
)
from jitmaker.sim.program.oracle import OraclePrice, mm_or_exchange_price, read_oracle
from jitmaker.sim.program.state import AccountMaps, Work
from jitmaker.sim.program.types import ExecContext, FillRecord, OrderParams

__all__ = ["DriftEngine", "Maker"]

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


class DriftEngine:
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

    # ------------------------------------------------------------------ placement
    def expire_orders(self, user: UserView, maps: AccountMaps) -> None:
        now = self.ctx.unix_timestamp
        for i in user.open_order_indexes():
            order = user.order(i)
            if order[I_MAX_TS] != 0 and now > order[I_MAX_TS]:
                self.cancel_order(user, i, None)

    def place_perp_order(
        self, state: StateView, user: UserView, params: OrderParams, maps: AccountMaps
    ) -> int | None:
        """``controller::orders::place_perp_order``; returns the new order id (None: skipped)."""
        ctx = self.ctx
        now, slot = ctx.unix_timestamp, ctx.slot
        if user.status & 1:
            raise drift_error("UserIsBeingLiquidated")
        if user.status & 2:
            raise drift_error("UserBankrupt")
        self.expire_orders(user, maps)
        if user.status & 4 and not params.reduce_only:
            raise drift_error("UserReduceOnly", "user is in reduce only mode")
        slot_index = next((i for i in range(MAX_ORDERS) if user.order(i)[I_STATUS] != _OPEN), None)
        if slot_index is None:
            raise drift_error("MaxNumberOfOrders")
        if params.user_order_id and any(
            user.order(i)[I_USER_ORDER_ID] == params.user_order_id
            for i in user.open_order_indexes()
        ):
            raise drift_error(
                "UserOrderIdAlreadyInUse", f"user_order_id {params.user_order_id} already in use"
            )
        market = maps.perp_market(self.work, params.market_index)
        if market.status == 0:
            raise drift_error("MarketBeingInitialized", "Market is being initialized")
        if user.pool_id != 0:
            raise drift_error("InvalidPoolId", f"user pool id ({user.pool_id}) != 0")
        if market.status in (7, 8):
            raise drift_error("MarketPlaceOrderPaused", "Market is in settlement mode")
        pos = self._position_for(user, params.market_index)
        step, tick = market.order_step_size, market.order_tick_size
        if params.base_asset_amount < step:
            raise drift_error(
                "OrderAmountTooSmall",
                f"params.base_asset_amount={params.base_asset_amount} cannot be below "
                f"market.order_step_size={step}",
            )
        try:
            if params.base_asset_amount == U64_MAX:
                base = self._max_order_size(user, pos, market, maps)
            else:
                base = standardize_base_asset_amount(params.base_asset_amount, step)
        except AuctionMathError as exc:
            raise _math(exc) from None
        existing_dir = LONG if pos.base_asset_amount >= 0 else SHORT
        oracle = self.exchange_oracle_price(market, maps)  # placement reads the exchange oracle
        start, end, duration = self.auction_params(
            state.min_perp_auction_duration, params, oracle, tick
        )
        max_ts = params.max_ts
        if max_ts is None:
            if params.order_type in (OrderType.MARKET, OrderType.ORACLE):
                max_ts = now + max(30, duration // 2 + 10)
            else:
                max_ts = 0
        if max_ts != 0 and max_ts < now:
            self.log(f"max_ts ({max_ts}) < now ({now}), skipping order")
            return None
        if params.market_type != MarketType.PERP:
            raise drift_error("InvalidOrderMarketType")
        try:
            price = standardize_price(params.price, tick, params.direction)
            if params.post_only == PostOnlyParam.SLIDE:
                if params.direction == LONG and price >= market.amm_ask():
                    price = market.amm_ask() - tick
                elif params.direction == SHORT and price <= market.amm_bid():
                    price = market.amm_bid() + tick
            trigger = standardize_price(params.trigger_price or 0, tick, params.direction)
        except AuctionMathError as exc:
            raise _math(exc) from None
        order = Order.new(
            status=_OPEN,
            order_type=params.order_type,
            market_type=MarketType.PERP,
            slot=slot,
            order_id=user.next_order_id,
            user_order_id=params.user_order_id,
            market_index=params.market_index,
            price=price,
            existing_position_direction=existing_dir,
            base_asset_amount=base,
            direction=params.direction,
            reduce_only=params.reduce_only or market.status == 6,  # market ReduceOnly
            trigger_price=trigger,
            trigger_condition=params.trigger_condition,
            post_only=params.post_only != PostOnlyParam.NONE,
            oracle_price_offset=params.oracle_price_offset or 0,
            immediate_or_cancel=params.immediate_or_cancel,
            auction_start_price=start,
            auction_end_price=end,
            auction_duration=duration,
            max_ts=max_ts,
            posted_slot_tail=slot & 0xFF,
        )
        try:
            self._validate_order(order, market, oracle)
        except ProgramError as exc:
            if exc.name == "PlacePostOnlyLimitFailure" and (
                params.post_only == PostOnlyParam.TRY_POST_ONLY
            ):
                self.log("Post-only order would cross; not placing (TryPostOnly)")
                return None
            raise
        b, bids, asks = pos.base_asset_amount, pos.open_bids, pos.open_asks
        if params.direction == LONG:  # is_new_order_risk_increasing
            risk_increasing = b >= 0 or b + bids + base > 0
        else:
            risk_increasing = b <= 0 or b + asks - base < 0
        user.set_order(slot_index, order)
        order_id = user.next_order_id
        user.next_order_id = 1 if order_id == 0xFFFFFFFF else order_id + 1
        user.bump_counters(1, 1 if duration != 0 else 0)
        pos.set(open_orders=pos.open_orders + 1)
        is_trigger = params.order_type in (OrderType.TRIGGER_MARKET, OrderType.TRIGGER_LIMIT)
        if not is_trigger and params.direction == LONG:
            pos.set(open_bids=bids + base)
        elif not is_trigger:
            pos.set(open_asks=asks - base)
        user.store_perp(pos)
        user.set_last_active_slot(slot)
        if risk_increasing:
            self.check_margin(user, maps, "place")
        max_oi = market.max_open_interest
        if max_oi and risk_increasing:
            if params.direction == LONG:
                oi = abs(market.base_asset_amount_long + base)
            else:
                oi = abs(market.base_asset_amount_short - base)
            if oi > max_oi:
                raise drift_error(
                    "MaxOpenInterest",
                    f"Order Base Amount={base} could breach Max Open Interest for Perp "
                    f"Market={params.market_index}",
                )
        return order_id

    def auction_params(
        self, min_dur: int, p: OrderParams, oracle: int, tick: int
    ) -> tuple[int, int, int]:
        """``get_auction_params`` (protocol §3 step 8); ``min_dur`` from State (perp/spot)."""
        try:
            if p.order_type in (OrderType.TRIGGER_MARKET, OrderType.TRIGGER_LIMIT):
                return 0, 0, 0
            given = (p.auction_start_price, p.auction_end_price, p.auction_duration)
            if p.order_type == OrderType.LIMIT:
                if any(v is None for v in given):
                    return 0, 0, 0
                dur = 0 if p.auction_duration == 0 else max(p.auction_duration, min_dur)
                return (
                    standardize_price_i64(p.auction_start_price, tick, p.direction),
                    standardize_price_i64(p.auction_end_price, tick, p.direction),
                    dur,
                )
            dur = max(p.auction_duration or 0, min_dur)
            if p.auction_start_price is not None and p.auction_end_price is not None:
                start, end = p.auction_start_price, p.auction_end_price
            elif p.order_type == OrderType.ORACLE:
                raise drift_error("InvalidOrderAuction", "oracle order without auction prices")
            else:
                start, end = calculate_auction_prices(oracle, p.direction, p.price)
            return (
                standardize_price_i64(start, tick, p.direction),
                standardize_price_i64(end, tick, p.direction),
                dur,
            )
        except AuctionMathError as exc:
            raise _math(exc) from None

    def validate_spot_order(self, order: Order, market) -> None:
        """``validate_spot_order``: as perps, but limit orders get no JIT min-size exemption,
        price + offset is InvalidOrderOracleOffset and post-only is not checked against an AMM."""
        self._validate_order(order, market, 0, spot=True)

    def _validate_order(self, order: Order, market, oracle: int, spot: bool = False) -> None:
        """``validate_order`` for perps (protocol §3), checks in the program's order."""
        otype = order.order_type
        has_offset = order.oracle_price_offset != 0
        if otype == OrderType.MARKET:
            self._validate_base(order, market, order.reduce_only)
            if order.auction_start_price <= 0 or order.auction_end_price <= 0:
                raise drift_error(
                    "InvalidOrderAuction", "Auction start and end price must be greater than 0"
                )
            self._fixed_auction_checks(order)
            self._no_trigger_postonly_offset_ioc(order)
        elif otype == OrderType.ORACLE:
            self._validate_base(order, market, order.reduce_only)
            self._oracle_auction_checks(order)
            if order.trigger_price:
                raise drift_error(
                    "InvalidOrderTrigger", "Oracle order should not have trigger price"
                )
            if order.post_only:
                raise drift_error("InvalidOrderPostOnly", "Oracle order can not be post only")
            if order.price != 0:
                raise drift_error("InvalidOrderLimitPrice", "Oracle order can not have a price")
            if order.immediate_or_cancel:
                raise drift_error("InvalidOrderIOC", "Oracle order can not be immediate or cancel")
        elif otype == OrderType.LIMIT:
            exempt = order.reduce_only or (order.is_jit_maker and not spot)
            self._validate_base(order, market, exempt)
            if order.price == 0 and not has_offset:
                raise drift_error("InvalidOrderLimitPrice", "Limit order price == 0")
            if order.price != 0 and has_offset:
                raise drift_error(
                    "InvalidOrderOracleOffset" if spot else "InvalidOrderLimitPrice",
                    "Limit order price must be 0 for taker oracle offset order",
                )
            if order.trigger_price:
                raise drift_error(
                    "InvalidOrderTrigger", "Limit order should not have trigger price"
                )
            has_auction = order.auction_duration != 0
            if order.post_only:
                if has_auction:
                    raise drift_error("InvalidOrder", "post only limit order cant have auction")
                if not spot:
                    self._post_only_crossing(order, market, oracle)
            if has_auction:
                if has_offset:
                    self._oracle_auction_checks(order)
                else:
                    self._fixed_auction_checks(order)
            elif order.auction_start_price != 0 or order.auction_end_price != 0:
                raise drift_error(
                    "InvalidOrder", "limit order without auction can not have auction prices"
                )
        else:  # trigger orders
            self._validate_base(order, market, order.reduce_only)
            if order.trigger_condition not in (
                OrderTriggerCondition.ABOVE,
                OrderTriggerCondition.BELOW,
            ):
                raise drift_error(
                    "InvalidTriggerOrderCondition",
                    "Invalid trigger condition, must be Above or Below",
                )
            if otype == OrderType.TRIGGER_LIMIT and order.price == 0:
                raise drift_error("InvalidOrderLimitPrice", "Trigger limit order price == 0")
            if otype == OrderType.TRIGGER_MARKET and order.price != 0:
                raise drift_error(
                    "InvalidOrderLimitPrice", "Trigger market order should not have price"
                )
            if order.trigger_price == 0:
                raise drift_error("InvalidOrderTrigger", "Trigger price == 0")
            if order.post_only:
                raise drift_error("InvalidOrderPostOnly", "Trigger order can not be post only")
            if has_offset:
                raise drift_error("InvalidOrderOracleOffset", "Trigger order can not have offset")
        if (
            not spot
            and market.is_prediction
            and (
                order.price > 1_000_000
                or abs(order.auction_start_price) > 1_000_000
                or abs(order.auction_end_price) > 1_000_000
                or abs(order.oracle_price_offset) > 1_000_000
            )
        ):
            raise drift_error(
                "InvalidPredictionMarketOrder", "prediction market price must be <= 1"
            )

    @staticmethod
    def _validate_base(order: Order, market: PerpMarketView, exempt_min_size: bool) -> None:
        step, min_size = market.order_step_size, market.min_order_size
        base = order.base_asset_amount
        if base == 0:
            raise drift_error("InvalidOrderSizeTooSmall", "Order base_asset_amount cant be 0")
        if base % step:
            raise drift_error(
                "InvalidOrderNotStepSizeMultiple",
                f"Order base asset amount ({base}) not a multiple of the step size ({step})",
            )
        if not exempt_min_size and base < min_size:
            raise drift_error(
                "InvalidOrderMinOrderSize",
                f"Order base_asset_amount ({base}) < min_order_size ({min_size})",
            )

    def _no_trigger_postonly_offset_ioc(self, order: Order) -> None:
        if order.trigger_price:
            raise drift_error("InvalidOrderTrigger", "Market order can not have trigger price")
        if order.post_only:
            raise drift_error("InvalidOrderPostOnly", "Market order can not be post only")
        if order.oracle_price_offset:
            raise drift_error("InvalidOrderOracleOffset", "Market order can not have offset")
        if order.immediate_or_cancel:
            raise drift_error("InvalidOrderIOC", "Market order can not be immediate or cancel")

    @staticmethod
    def _fixed_auction_checks(order: Order) -> None:
        start, end, price = order.auction_start_price, order.auction_end_price, order.price
        if start == 0 or end == 0:
            raise drift_error("InvalidOrderAuction", "Auction start/end price cant be 0")
        if order.direction == LONG:
            ok = start <= end and (price == 0 or price >= end)
        else:
            ok = start >= end and (price == 0 or price <= end)
        if not ok:
            raise drift_error(
                "InvalidOrderAuction",
                f"Auction prices invalid: start {start} end {end} price {price}",
            )

    @staticmethod
    def _oracle_auction_checks(order: Order) -> None:
        start, end, off = (
            order.auction_start_price,
            order.auction_end_price,
            (order.oracle_price_offset),
        )
        if order.direction == LONG:
            ok = start <= end and (off == 0 or end <= off)
        else:
            ok = start >= end and (off == 0 or end >= off)
        if not ok:
            raise drift_error(
                "InvalidOrderAuction",
                f"Oracle auction offsets invalid: start {start} end {end} offset {off}",
            )

    def _post_only_crossing(self, order: Order, market: PerpMarketView, oracle: int) -> None:
        """``validate_post_only_order``: a resting post-only order must not be fillable by the
        AMM (here: crossing its quote), unless the limit is on the passive side of the oracle.
        JIT makers and markets with AMM fills paused skip the check."""
        if order.is_jit_maker or market.paused_operations & _MARKET_AMM_FILL_PAUSED:
            return
        price = self.limit_price_of(order, market, oracle)
        if price is None:
            return
        long = order.direction == LONG
        amm = market.amm_ask() if long else market.amm_bid()
        if (long and price < amm) or (not long and price > amm):
            return
        self.log(f"Post-only order can immediately fill: price {price} amm {amm}")
        if (long and oracle > price) or (not long and oracle < price):
            return
        raise drift_error("PlacePostOnlyLimitFailure")

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

    def _max_order_size(
        self, user: UserView, pos: PerpPos, market: PerpMarketView, maps: AccountMaps
    ) -> int:
        """u64::MAX size (simplified): what free collateral supports at the initial ratio."""
        free = self.free_collateral(user, maps)
        oracle = self.oracle_price(market, maps)
        if free <= 0 or oracle <= 0:
            return 0
        base = free * MARGIN_PRECISION * BASE_PRECISION // (market.margin_ratio_initial * oracle)
        return standardize_base_asset_amount(base, market.order_step_size)

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

    # ------------------------------------------------------------------ fills
    def fill_perp_order(
        self,
        state: StateView,
        taker: UserView,
        taker_stats: UserStatsView | None,
        taker_order_id: int,
        maps: AccountMaps,
        makers: list[Maker],
        *,
        jit_maker_order_id: int | None = None,
        use_amm: bool = False,
        amm_jit: bool = False,
        referrer_users: list[UserView] = (),
        referrer_stats: list[UserStatsView] = (),
    ) -> int:
        """``controller::orders::fill_perp_order``; returns the base filled.

        ``referrer_users``/``referrer_stats``: the (User, UserStats) accounts passed to the
        instruction, searched for the taker's referrer (``get_referrer_info``)."""
        ctx = self.ctx
        index = taker.find_open_order(taker_order_id)
        if index is None:
            raise drift_error("OrderDoesNotExist", f"could not find open order id {taker_order_id}")
        order = taker.order(index)
        if order[I_MARKET_TYPE] != MarketType.PERP:
            raise drift_error("InvalidOrderMarketType")
        market = maps.perp_market(self.work, order[I_MARKET_INDEX])
        if market.status not in (1, 6):  # Active | ReduceOnly
            raise drift_error("MarketFillOrderPaused", "Market not active")
        if market.paused_operations & _MARKET_FILL_PAUSED:
            raise drift_error("MarketFillOrderPaused", "Market fills paused")
        if order[I_ORDER_TYPE] in (OrderType.TRIGGER_MARKET, OrderType.TRIGGER_LIMIT) and (
            order[I_TRIGGER_CONDITION]
            not in (OrderTriggerCondition.TRIGGERED_ABOVE, OrderTriggerCondition.TRIGGERED_BELOW)
        ):
            raise drift_error("OrderMustBeTriggeredFirst")
        if taker.status & 3:
            return 0
        oracle = self.oracle_price(market, maps)
        taker_dir = order[I_DIRECTION]
        mi = order[I_MARKET_INDEX]
        taker_before = taker.perp_base(mi)
        makers_before = {bytes(m.user.key): m.user.perp_base(mi) for m in makers}
        candidates = self._maker_candidates(
            taker, order, market, oracle, makers, jit_maker_order_id
        )
        self._referrer = self._find_referrer(taker, taker_stats, referrer_users, referrer_stats)
        if self._oracle_too_divergent(state, market, oracle) and not market.is_prediction:
            return 0
        if order.max_ts != 0 and ctx.unix_timestamp > order.max_ts:
            self.cancel_order(taker, index, "taker order expired")
            return 0
        if order.reduce_only:
            pos = taker.find_perp(order[I_MARKET_INDEX])
            base_pos = 0 if pos is None else pos.base_asset_amount
            if (taker_dir == LONG and base_pos >= 0) or (taker_dir == SHORT and base_pos <= 0):
                self.cancel_order(taker, index, "reduce only order would increase position")
                return 0
        taker_price = self.limit_price_of(order, market, oracle)
        amm_price = market.amm_ask() if taker_dir == LONG else market.amm_bid()
        # low-risk rule (oracle delay taken as 0): the AMM may fill from the slot after placement
        amm_ok = use_amm and ctx.slot > order.slot and self._amm_available(state, market)
        total_base = total_quote = 0
        for maker, m_index, maker_price in candidates:
            order = taker.order(index)
            if order[I_STATUS] != _OPEN:
                break
            if taker_price is not None and not _crosses(taker_dir, taker_price, maker_price):
                break
            if amm_ok and _better(taker_dir, amm_price, maker_price):
                b, q = self._amm_fill(state, market, taker, taker_stats, index, amm_price, maps)
                total_base += b
                total_quote += q
                order = taker.order(index)
                if order[I_STATUS] != _OPEN:
                    break
            b, q = self._match(
                state,
                market,
                taker,
                taker_stats,
                index,
                maker,
                m_index,
                maker_price,
                oracle,
                taker_price,
                amm_jit,
            )
            total_base += b
            total_quote += q
        order = taker.order(index)
        if (
            amm_ok
            and order[I_STATUS] == _OPEN
            and (taker_price is None or _crosses(taker_dir, taker_price, amm_price))
        ):
            b, q = self._amm_fill(state, market, taker, taker_stats, index, amm_price, maps)
            total_base += b
            total_quote += q
        if total_base:
            fill_price = total_quote * BASE_PRECISION // total_base
            self._check_price_bands(state, market, fill_price, oracle)
            market.set_last_fill_price(fill_price)
            # taker: Maintenance if the order decreases its position, else Fill
            decreasing = (taker_before > 0 and taker_dir == SHORT) or (
                taker_before < 0 and taker_dir == LONG
            )
            decreasing = decreasing and total_base <= abs(taker_before)
            self.check_margin(taker, maps, "fill", "maintenance" if decreasing else "fill")
            for maker in makers:
                before = makers_before[bytes(maker.user.key)]
                after = maker.user.perp_base(mi)
                if maker.user.key == taker.key or after == before:
                    continue
                reducing = after == 0 or ((after > 0) == (before > 0) and abs(after) < abs(before))
                self.check_margin(maker.user, maps, "fill", "maintenance" if reducing else "fill")
        return total_base

    def _oracle_too_divergent(self, state: StateView, market: PerpMarketView, oracle: int) -> bool:
        """``is_oracle_too_divergent_with_twap_5min``: no fill (not an error) when the oracle
        is >= max(state divergence, 50%) away from the 5-minute TWAP."""
        twap = market.last_oracle_price_twap_5min
        if twap == 0:
            raise drift_error("MathError", "oracle twap 5min is 0")
        limit = max(state.oracle_twap_5min_percent_divergence, PERCENTAGE_PRECISION // 2)
        if abs(oracle - twap) * PERCENTAGE_PRECISION // abs(twap) >= limit:
            self.log(f"max divergence {limit}")
            self.log(f"Oracle Price Too Divergent from TWAP 5min. oracle: {oracle} twap: {twap}")
            return True
        return False

    def _find_referrer(
        self,
        taker: UserView,
        taker_stats: UserStatsView | None,
        users: list[UserView],
        stats: list[UserStatsView],
    ) -> tuple[UserView, UserStatsView] | None:
        """``get_referrer_info``: the referrer's stats must be passed (ReferrerStatsNotFound)
        and its sub-account 0 User too (ReferrerNotFound); pool id != 0 means no reward."""
        if taker_stats is None:
            return None
        authority = taker_stats.referrer
        if authority == _DEFAULT_KEY:
            return None
        ref_stats = next((st for st in stats if st.authority == authority), None)
        if ref_stats is None:
            raise drift_error("ReferrerStatsNotFound")
        for user in sorted(users, key=lambda u: bytes(u.key)):
            if user.key == taker.key or user.authority != authority:
                continue
            if user.sub_account_id == 0:
                if user.pool_id != 0:
                    return None
                user.set_last_active_slot(self.ctx.slot)
                return user, ref_stats
        raise drift_error("ReferrerNotFound")

    def _taker_fee_parts(
        self,
        state: StateView,
        taker_stats: UserStatsView | None,
        quote: int,
        market: PerpMarketView,
    ) -> tuple[int, int, int]:
        """(taker fee after referee discount, referee discount, referrer reward)."""
        tier = state.perp_fee_tier(self._tier_index(taker_stats))
        fee = _taker_fee(quote, tier[0], tier[1], market.fee_adjustment)
        if self._referrer is None:
            return fee, 0, 0
        ref_num, ref_den, referee_num, referee_den = tier[4:8]
        discount = fee * referee_num // referee_den if referee_den else 0
        reward = fee * ref_num // ref_den if ref_den else 0
        room = max(
            0,
            state.referrer_reward_epoch_upper_bound
            - self._referrer[1].current_epoch_referrer_reward,
        )
        return fee - discount, discount, min(reward, room)

    def _pay_referral(
        self,
        market: PerpMarketView,
        taker_stats: UserStatsView | None,
        discount: int,
        reward: int,
    ) -> None:
        if self._referrer is None:
            return
        if taker_stats is not None:
            taker_stats.add_referee_discount(discount)
        user, stats = self._referrer
        if reward > 0:
            pos = self._position_for(user, market.market_index)
            pos.set(quote_asset_amount=pos.quote_asset_amount + reward)
            user.store_perp(pos)
        stats.add_referrer_reward(reward)

    def _maker_candidates(
        self,
        taker: UserView,
        taker_order: Order,
        market: PerpMarketView,
        oracle: int,
        makers: list[Maker],
        jit_order_id: int | None,
    ) -> list[tuple[Maker, int, int]]:
        """Resting (or the JIT) maker orders that may fill the taker, best price first (§5.3)."""
        out: list[tuple[Maker, int, int]] = []
        if taker_order[I_POST_ONLY]:
            return out
        taker_dir = taker_order[I_DIRECTION]
        taker_resting = _is_resting_limit(taker_order, self.ctx.slot)
        now = self.ctx.unix_timestamp
        for maker in sorted(makers, key=lambda m: bytes(m.user.key)):
            user = maker.user
            if user.key == taker.key or user.status & 1:
                continue
            for i in user.open_order_indexes():
                o = user.order(i)
                if (
                    o[I_DIRECTION] == taker_dir
                    or o[I_MARKET_TYPE] != MarketType.PERP
                    or o[I_MARKET_INDEX] != taker_order[I_MARKET_INDEX]
                    or o[I_ORDER_TYPE] not in (OrderType.LIMIT, OrderType.TRIGGER_LIMIT)
                ):
                    continue
                if jit_order_id is not None and o[I_ORDER_ID] != jit_order_id:
                    continue
                if o[I_ORDER_TYPE] == OrderType.TRIGGER_LIMIT and o[I_TRIGGER_CONDITION] < 2:
                    continue
                if not _is_resting_limit(o, self.ctx.slot):
                    continue
                if (
                    taker_resting
                    and not o[I_POST_ONLY]
                    and (
                        o.slot + o.auction_duration
                        > taker_order.slot + taker_order.auction_duration
                    )
                ):
                    continue
                if o.max_ts != 0 and now > o.max_ts:
                    self.cancel_order(user, i, "maker order expired")
                    continue
                price = self.limit_price_of(o, market, oracle)
                if price is None:
                    continue
                if _breaches_oracle_band(o[I_DIRECTION], price, oracle, market):
                    self.cancel_order(user, i, "OraclePriceBreachedLimitPrice")
                    continue
                out.append((maker, i, price))
        out.sort(key=lambda t: t[2] if taker_dir == LONG else -t[2])
        return out

    def _amm_available(self, state: StateView, market: PerpMarketView) -> bool:
        return not (state.exchange_status & 4 or market.paused_operations & _MARKET_AMM_FILL_PAUSED)

    def _match(
        self,
        state: StateView,
        market: PerpMarketView,
        taker: UserView,
        taker_stats: UserStatsView | None,
        t_index: int,
        maker: Maker,
        m_index: int,
        maker_price: int,
        oracle: int,
        taker_price: int | None,
        amm_jit: bool,
    ) -> tuple[int, int]:
        """``fulfill_perp_order_with_match`` at the maker's price (§5.4)."""
        t_order = taker.order(t_index)
        m_order = maker.user.order(m_index)
        taker_dir = t_order[I_DIRECTION]
        if taker_price is None:
            taker_price = self._fallback_price(market, t_order)
        if not _crosses(taker_dir, taker_price, maker_price):
            return 0, 0
        size = min(m_order.unfilled, self._taker_unfilled(taker, t_order))
        if size == 0:
            return 0, 0
        total_b = total_q = 0
        if amm_jit:
            amm_base = self._amm_jit_base(market, taker_dir, size, maker_price, oracle)
            if amm_base:
                b, q = self._apply_amm(
                    state, market, taker, taker_stats, t_index, amm_base, maker_price
                )
                total_b += b
                total_q += q
                size -= amm_base
        if size <= 0:
            return total_b, total_q
        maker_long = m_order[I_DIRECTION] == LONG
        prod = maker_price * size
        quote = prod // BASE_PRECISION if maker_long else _ceil_div(prod, BASE_PRECISION)
        taker_fee, discount, reward = self._taker_fee_parts(state, taker_stats, quote, market)
        maker_tier_stats = maker.stats if maker.stats is not None else taker_stats
        _, _, reb_num, reb_den = self._fee_tier(state, maker_tier_stats)
        rebate = _maker_rebate(quote, reb_num, reb_den, market.fee_adjustment)
        self._pay_referral(market, taker_stats, discount, reward)
        now = self.ctx.unix_timestamp
        self._update_position(taker, market, taker_dir, size, quote, -taker_fee)
        self._update_position(maker.user, market, m_order[I_DIRECTION], size, quote, rebate)
        self._fill_order(taker, t_index, size, quote)
        self._fill_order(maker.user, m_index, size, quote)
        if taker_stats is not None:
            taker_stats.add_fee_paid(taker_fee)
            taker_stats.add_volume(False, quote, now)
        if maker.stats is not None:
            maker.stats.add_fee_rebate(rebate)
            maker.stats.add_volume(True, quote, now)
        self.fills.append(
            FillRecord(
                MarketType.PERP,
                market.market_index,
                taker.key,
                t_order[I_ORDER_ID],
                maker.user.key,
                m_order[I_ORDER_ID],
                size,
                quote,
                maker_price,
                self.ctx.slot,
                taker_fee,
                rebate,
                PositionDirection(taker_dir),
            )
        )
        self.log(
            f"fill: taker {taker.key} order {t_order[I_ORDER_ID]} maker {maker.user.key} "
            f"order {m_order[I_ORDER_ID]} base {size} quote {quote} price {maker_price}"
        )
        return total_b + size, total_q + quote

    def _amm_jit_base(
        self, market: PerpMarketView, taker_dir: int, size: int, maker_price: int, oracle: int
    ) -> int:
        """AMM JIT split (§5.4, simplified: no imbalance boost, no wash-trade taper)."""
        intensity = min(market.amm_jit_intensity, 100)
        inventory = market.base_asset_amount_with_amm
        step = market.order_step_size
        wants = inventory < -step if taker_dir == LONG else inventory > step
        if intensity == 0 or not wants:
            return 0
        base = size // 4 * intensity // 100
        base = min(base, abs(inventory), size // 2)
        return standardize_base_asset_amount(base, step)

    def _amm_fill(
        self,
        state: StateView,
        market: PerpMarketView,
        taker: UserView,
        taker_stats: UserStatsView | None,
        t_index: int,
        price: int,
        maps: AccountMaps,
    ) -> tuple[int, int]:
        t_order = taker.order(t_index)
        size = self._taker_unfilled(taker, t_order)
        size = standardize_base_asset_amount(size, market.order_step_size)
        if size == 0:
            return 0, 0
        return self._apply_amm(state, market, taker, taker_stats, t_index, size, price)

    def _apply_amm(
        self,
        state: StateView,
        market: PerpMarketView,
        taker: UserView,
        taker_stats: UserStatsView | None,
        t_index: int,
        size: int,
        price: int,
    ) -> tuple[int, int]:
        """The AMM takes the other side of ``size`` at ``price`` (reserves are not moved)."""
        t_order = taker.order(t_index)
        taker_dir = t_order[I_DIRECTION]
        prod = price * size
        quote = _ceil_div(prod, BASE_PRECISION) if taker_dir == LONG else prod // BASE_PRECISION
        fee, discount, reward = self._taker_fee_parts(state, taker_stats, quote, market)
        self._pay_referral(market, taker_stats, discount, reward)
        self._update_position(taker, market, taker_dir, size, quote, -fee)
        market.add_base_with_amm(size if taker_dir == LONG else -size)
        self._fill_order(taker, t_index, size, quote)
        if taker_stats is not None:
            taker_stats.add_fee_paid(fee)
            taker_stats.add_volume(False, quote, self.ctx.unix_timestamp)
        self.fills.append(
            FillRecord(
                MarketType.PERP,
                market.market_index,
                taker.key,
                t_order[I_ORDER_ID],
                None,
                None,
                size,
                quote,
                price,
                self.ctx.slot,
                fee,
                0,
                PositionDirection(taker_dir),
            )
        )
        self.log(f"amm fill: taker {taker.key} base {size} quote {quote} price {price}")
        return size, quote

    def _fallback_price(self, market: PerpMarketView, order: Order) -> int:
        """Taker price for a limitless taker (§5.4, liquidity branch only)."""
        secs = max(0, order.max_ts - self.ctx.unix_timestamp) if order.max_ts else 0
        div = min(max(secs * 20, 100), 200)
        if order[I_DIRECTION] == LONG:
            ask = market.amm_ask()
            return ask + ask // div
        bid = market.amm_bid()
        return bid - bid // div

    def _taker_unfilled(self, taker: UserView, order: Order) -> int:
        unfilled = order.unfilled
        if order.reduce_only:
            pos = taker.find_perp(order[I_MARKET_INDEX])
            unfilled = min(unfilled, abs(0 if pos is None else pos.base_asset_amount))
        return unfilled

    def _fill_order(self, user: UserView, index: int, base: int, quote: int) -> None:
        order = user.order(index)
        filled = order.base_asset_amount_filled + base
        order = order.replace(
            base_asset_amount_filled=filled,
            quote_asset_amount_filled=order.quote_asset_amount_filled + quote,
        )
        pos = user.find_perp(order[I_MARKET_INDEX])
        if pos is not None:
            if order[I_DIRECTION] == LONG:
                pos.set(open_bids=pos.open_bids - base)
            else:
                pos.set(open_asks=pos.open_asks + base)
            user.store_perp(pos)
        if filled >= order.base_asset_amount:
            order = order.replace(status=OrderStatus.FILLED)
            user.set_order(index, order)
            self.release_order(user, order, 0)
        else:
            user.set_order(index, order)
        user.set_last_active_slot(self.ctx.slot)

    def _update_position(
        self,
        user: UserView,
        market: PerpMarketView,
        direction: int,
        base: int,
        quote: int,
        fee_delta: int,
    ) -> None:
        """``update_position_and_market``: base/quote/entry/break-even and market long/short."""
        pos = self._position_for(user, market.market_index)
        d_base = base if direction == LONG else -base
        d_quote = -quote if direction == LONG else quote
        b = pos.base_asset_amount
        qe, qbe = pos.quote_entry_amount, pos.quote_break_even_amount
        new_b = b + d_base
        if b == 0 or (b > 0) == (d_base > 0):  # open or increase
            qe += d_quote
            qbe += d_quote
        elif abs(d_base) < abs(b):  # reduce
            qe -= div_trunc(qe * abs(d_base), abs(b))
            qbe -= div_trunc(qbe * abs(d_base), abs(b))
        elif new_b == 0:  # close
            qe = qbe = 0
        else:  # flip: the part of the fill that opened the new side
            qe = qbe = d_quote - div_trunc(d_quote * abs(b), abs(d_base))
        # market long/short totals: remove the old side, add the new
        if b > 0:
            market.add_base_long(-b)
        elif b < 0:
            market.add_base_short(-b)
        if new_b > 0:
            market.add_base_long(new_b)
        elif new_b < 0:
            market.add_base_short(new_b)
        pos.set(
            base_asset_amount=new_b,
            quote_asset_amount=pos.quote_asset_amount + d_quote + fee_delta,
            quote_entry_amount=qe,
            quote_break_even_amount=qbe + fee_delta,
        )
        user.store_perp(pos)

    @staticmethod
    def _tier_index(stats: UserStatsView | None) -> int:
        """Perp fee tier by 30-day taker + maker volume (§5.8; staking benefits not modelled)."""
        if stats is None:
            return 0
        volume = stats.taker_volume_30d + stats.maker_volume_30d
        return next(
            (i for i, bound in enumerate(_VOLUME_TIERS) if volume < bound * 1_000_000),
            len(_VOLUME_TIERS),
        )

    def _fee_tier(self, state: StateView, stats: UserStatsView | None) -> tuple[int, int, int, int]:
        """(fee_num, fee_den, rebate_num, rebate_den) of the user's volume tier (§5.8)."""
        fee_num, fee_den, reb_num, reb_den = state.perp_fee_tier(self._tier_index(stats))[:4]
        return fee_num, fee_den, reb_num, reb_den

    def _check_price_bands(
        self, state: StateView, market: PerpMarketView, price: int, oracle: int
    ) -> None:
        """``validate_fill_price_within_price_bands`` as ``fill_perp_order`` calls it
        (no direction: both bands are symmetric; prediction markets only cap at $1)."""
        if market.is_prediction:
            if price > 1_000_000:
                raise drift_error(
                    "PriceBandsBreached",
                    f"Fill Price Breaches Prediction Market Price Bands: (fill: {price} >= "
                    f"oracle: 1000000)",
                )
            return
        ratio = market.margin_ratio_initial
        twap = market.last_oracle_price_twap_5min
        max_twap_diff = max(state.oracle_twap_5min_percent_divergence, PERCENTAGE_PRECISION // 2)
        if oracle <= 0 or twap <= 0:
            raise drift_error("MathError", "price bands need positive oracle and twap")
        pct = abs(price - oracle) * MARGIN_PRECISION // oracle
        if pct >= ratio:
            raise drift_error(
                "PriceBandsBreached",
                f"Fill Price Breaches Oracle Price Bands: max_oracle_diff {ratio} % , pct diff "
                f"{pct} % (fill: {price} , oracle: {oracle})",
            )
        pct_twap = abs(price - twap) * PERCENTAGE_PRECISION // twap
        if pct_twap >= max_twap_diff:
            raise drift_error(
                "PriceBandsBreached",
                f"Fill Price Breaches Oracle TWAP Price Bands: max_oracle_twap_diff "
                f"{max_twap_diff} % , pct diff {pct} % (fill: {price} , twap: {twap})",
            )

    # ------------------------------------------------------------------ margin
    def _worst_case_base(self, pos: PerpPos) -> int:
        b = pos.base_asset_amount
        return max(abs(b + pos.open_bids), abs(b + pos.open_asks))

    def collateral_and_requirement(
        self, user: UserView, maps: AccountMaps, kind: str = "initial"
    ) -> tuple[int, int]:
        """(total collateral, initial margin requirement), QUOTE precision (simplified):
        USDC at face value, other spot deposits at oracle x initial asset weight, spot
        borrows (worst case with open orders) at oracle x initial liability weight, perps at
        oracle PnL with the initial ratio on the worst-case base plus $0.01 per open order."""
        collateral = 0
        requirement = 0
        for i in range(MAX_SPOT_POSITIONS):
            pos = user.spot_pos(i)
            if pos.is_available():
                continue
            if pos.market_index == 0:
                amount = self._usdc_tokens(pos.scaled_balance, maps, pos.balance_type)
                if pos.balance_type == 1:
                    requirement += amount
                else:
                    collateral += amount
                continue
            entry = maps.spot.get(pos.market_index)
            if entry is None:
                continue
            market = SpotMarketView(entry[0], self.work.buf(entry[0]))
            key = market.oracle
            data = self.work.data(key) if key in maps.oracles else None
            price = read_oracle(market.oracle_source, None if data is None else bytes(data)).price
            dec = 10 ** (19 - market.decimals)
            if pos.balance_type == 0:
                tokens = pos.scaled_balance * market.cumulative_deposit_interest // dec
            else:
                tokens = -_ceil_div(pos.scaled_balance * market.cumulative_borrow_interest, dec)
            worst = min(tokens + pos.open_asks, tokens) if tokens + pos.open_asks < 0 else tokens
            precision = 10**market.decimals
            if worst < 0:
                value = -worst * price // precision
                weight = (
                    market.maintenance_liability_weight
                    if kind == "maintenance"
                    else market.initial_liability_weight
                )
                requirement += value * weight // MARGIN_PRECISION
            if tokens > 0:
                value = tokens * price // precision
                weight = (
                    market.maintenance_asset_weight
                    if kind == "maintenance"
                    else market.initial_asset_weight
                )
                collateral += value * weight // MARGIN_PRECISION
            requirement += pos.open_orders * OPEN_ORDER_MARGIN_REQUIREMENT
        for pos in user.perp_positions():
            entry = maps.perp.get(pos.market_index)
            if entry is None:
                continue
            market = self.work.market(entry[0])
            oracle = self.oracle_price(market, maps)
            collateral += pos.base_asset_amount * oracle // BASE_PRECISION + (
                pos.quote_asset_amount
            )
            worst = self._worst_case_base(pos)
            if kind == "initial":
                ratio = market.margin_ratio_initial
            elif kind == "fill":
                ratio = (market.margin_ratio_initial + market.margin_ratio_maintenance) // 2
            else:
                ratio = market.margin_ratio_maintenance
            requirement += worst * oracle // BASE_PRECISION * ratio // MARGIN_PRECISION
            requirement += pos.open_orders * OPEN_ORDER_MARGIN_REQUIREMENT
        return collateral, requirement

    def free_collateral(self, user: UserView, maps: AccountMaps) -> int:
        collateral, requirement = self.collateral_and_requirement(user, maps)
        return collateral - requirement

    def _usdc_tokens(self, scaled: int, maps: AccountMaps, balance_type: int = 0) -> int:
        entry = maps.spot.get(0)
        interest, decimals = 10**10, 6
        if entry is not None:
            data = self.work.data(entry[0])
            off = 464 if balance_type == 0 else 480
            interest = int.from_bytes(data[off : off + 16], "little")
            decimals = int.from_bytes(data[680:684], "little")
        if balance_type == 0:
            return scaled * interest // 10 ** (19 - decimals)
        return _ceil_div(scaled * interest, 10 ** (19 - decimals))

    def check_margin(
        self, user: UserView, maps: AccountMaps, what: str, kind: str = "initial"
    ) -> None:
        """InsufficientCollateral unless collateral covers the ``kind`` requirement
        (initial for placements; fill = mean of initial and maintenance, or maintenance for
        position-reducing fills, as ``fulfill_perp_order``'s post-fill checks)."""
        collateral, requirement = self.collateral_and_requirement(user, maps, kind)
        if collateral < requirement:
            raise drift_error(
                "InsufficientCollateral",
                f"{what}: total collateral {collateral} < {kind} margin requirement {requirement}",
            )


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
