"""Drift order placement: ``place_perp_order`` and ``validate_order`` (protocol §3)."""

from __future__ import annotations

from jitmaker.accounts.enums import (
    MarketType,
    OrderTriggerCondition,
    OrderType,
    PostOnlyParam,
)
from jitmaker.accounts.order import (
    I_AUCTION_DURATION,
    I_MAX_TS,
    I_USER_ORDER_ID,
    Order,
)
from jitmaker.auction import (
    U64_MAX,
    AuctionMathError,
    calculate_auction_prices,
    standardize_base_asset_amount,
    standardize_price,
    standardize_price_i64,
)
from jitmaker.sim.program.constants import (
    BASE_PRECISION,
    MARGIN_PRECISION,
)
from jitmaker.sim.program.errors import ProgramError, drift_error
from jitmaker.sim.program.layout import (
    MAX_ORDERS,
    PerpMarketView,
    PerpPos,
    SpotMarketView,
    StateView,
    UserView,
)
from jitmaker.sim.program.rules import (
    _MARKET_AMM_FILL_PAUSED,
    _OPEN,
    LONG,
    SHORT,
    _math,
)
from jitmaker.sim.program.state import AccountMaps
from jitmaker.sim.program.types import OrderParams

__all__ = ["PlacementRules", "is_risk_increasing", "standardized_prices"]


def is_risk_increasing(direction: int, amount: int, bids: int, asks: int, base: int) -> bool:
    """``is_new_order_risk_increasing``: a new order of ``base`` on a position of ``amount``
    with open ``bids``/``asks`` (perp base or signed spot tokens)."""
    if direction == LONG:
        return amount >= 0 or amount + bids + base > 0
    return amount <= 0 or amount + asks - base < 0


def standardized_prices(params: OrderParams, tick: int) -> tuple[int, int]:
    """The order's limit and trigger prices on the market's tick grid (perp and spot alike);
    a math failure is the program's math error."""
    try:
        price = standardize_price(params.price, tick, params.direction)
        trigger = standardize_price(params.trigger_price or 0, tick, params.direction)
    except AuctionMathError as exc:
        raise _math(exc) from None
    return price, trigger


class PlacementRules:
    """Placement rules of ``DriftEngine`` (mixin: uses the engine's oracle and margin helpers)."""

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
        now = self.ctx.unix_timestamp
        self.check_user_can_place(user, params, maps, "user is in reduce only mode")
        slot_index = self.free_order_slot(
            user, params, f"user_order_id {params.user_order_id} already in use"
        )
        # place_perp_order loads its markets read-only (empty writable sets, as driftpy and the
        # TS SDK pass them); place_and_make demands writability in its own load_maps call
        market = maps.perp_market(self.work, params.market_index, writable=False)
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
        price, trigger = standardized_prices(params, tick)
        if params.post_only == PostOnlyParam.SLIDE:
            if params.direction == LONG and price >= market.amm_ask():
                price = market.amm_ask() - tick
            elif params.direction == SHORT and price <= market.amm_bid():
                price = market.amm_bid() + tick
        order = self.new_order(
            user, params, market, MarketType.PERP, base=base, price=price, trigger=trigger,
            existing_dir=existing_dir, max_ts=max_ts, auction=(start, end, duration),
        )  # fmt: skip
        try:
            self._validate_order(order, market, oracle)
        except ProgramError as exc:
            if exc.name == "PlacePostOnlyLimitFailure" and (
                params.post_only == PostOnlyParam.TRY_POST_ONLY
            ):
                self.log("Post-only order would cross; not placing (TryPostOnly)")
                return None
            raise
        bids, asks = pos.open_bids, pos.open_asks
        risk_increasing = is_risk_increasing(
            params.direction, pos.base_asset_amount, bids, asks, base
        )
        order_id = self.add_order(user, slot_index, order)
        pos.set(open_orders=pos.open_orders + 1)
        is_trigger = params.order_type in (OrderType.TRIGGER_MARKET, OrderType.TRIGGER_LIMIT)
        if not is_trigger and params.direction == LONG:
            pos.set(open_bids=bids + base)
        elif not is_trigger:
            pos.set(open_asks=asks - base)
        user.store_perp(pos)
        user.set_last_active_slot(self.ctx.slot)
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

    def check_user_can_place(
        self, user: UserView, params: OrderParams, maps: AccountMaps, reduce_only_log: str
    ) -> None:
        """The user-status checks ``place_perp_order`` and ``place_spot_order`` start with
        (expired orders are cancelled between them)."""
        if user.status & 1:
            raise drift_error("UserIsBeingLiquidated")
        if user.status & 2:
            raise drift_error("UserBankrupt")
        self.expire_orders(user, maps)
        if user.status & 4 and not params.reduce_only:
            raise drift_error("UserReduceOnly", reduce_only_log)

    def free_order_slot(self, user: UserView, params: OrderParams, in_use_log: str | None) -> int:
        """The first order slot not Open; the user_order_id must not be on an open order."""
        slot_index = next((i for i in range(MAX_ORDERS) if user.order_status(i) != _OPEN), None)
        if slot_index is None:
            raise drift_error("MaxNumberOfOrders")
        if params.user_order_id and any(
            user.order(i)[I_USER_ORDER_ID] == params.user_order_id
            for i in user.open_order_indexes()
        ):
            raise drift_error("UserOrderIdAlreadyInUse", in_use_log)
        return slot_index

    def new_order(
        self,
        user: UserView,
        params: OrderParams,
        market: PerpMarketView | SpotMarketView,
        market_type: MarketType,
        *,
        base: int,
        price: int,
        trigger: int,
        existing_dir: int,
        max_ts: int,
        auction: tuple[int, int, int],
    ) -> Order:
        """The order ``place_*_order`` stores: the params' fields plus the computed ones."""
        slot = self.ctx.slot
        start, end, duration = auction
        return Order.new(
            status=_OPEN,
            order_type=params.order_type,
            market_type=market_type,
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

    def add_order(self, user: UserView, slot_index: int, order: Order) -> int:
        """Store a new order: the user's next order id and open order/auction counters move."""
        user.set_order(slot_index, order)
        order_id = user.next_order_id
        user.next_order_id = 1 if order_id == 0xFFFFFFFF else order_id + 1
        user.bump_counters(1, 1 if order[I_AUCTION_DURATION] != 0 else 0)
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
