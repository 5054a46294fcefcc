"""Drift fills: ``fill_perp_order`` with resting/JIT makers and the AMM, fees, positions (§5)."""

from __future__ import annotations

from jitmaker.accounts.enums import (
    MarketType,
    OrderStatus,
    OrderTriggerCondition,
    OrderType,
    PositionDirection,
)
from jitmaker.accounts.order import (
    I_DIRECTION,
    I_MARKET_INDEX,
    I_MARKET_TYPE,
    I_ORDER_ID,
    I_ORDER_TYPE,
    I_POST_ONLY,
    I_STATUS,
    I_TRIGGER_CONDITION,
    Order,
)
from jitmaker.auction import (
    div_trunc,
    standardize_base_asset_amount,
)
from jitmaker.sim.program.constants import (
    BASE_PRECISION,
    MARGIN_PRECISION,
    PERCENTAGE_PRECISION,
)
from jitmaker.sim.program.errors import drift_error
from jitmaker.sim.program.layout import (
    PerpMarketView,
    StateView,
    UserStatsView,
    UserView,
)
from jitmaker.sim.program.rules import (
    _DEFAULT_KEY,
    _MARKET_AMM_FILL_PAUSED,
    _MARKET_FILL_PAUSED,
    _OPEN,
    _VOLUME_TIERS,
    LONG,
    SHORT,
    Maker,
    _better,
    _breaches_oracle_band,
    _ceil_div,
    _crosses,
    _is_resting_limit,
    _maker_rebate,
    _taker_fee,
)
from jitmaker.sim.program.state import AccountMaps
from jitmaker.sim.program.types import FillRecord

__all__ = ["FillRules"]


class FillRules:
    """Fill rules of ``DriftEngine`` (mixin)."""

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
                b, q = self._amm_fill(state, market, taker, taker_stats, index, amm_price)
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
            b, q = self._amm_fill(state, market, taker, taker_stats, index, amm_price)
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
                b, q = self._amm_fill(
                    state, market, taker, taker_stats, t_index, maker_price, amm_base
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
        self._update_position(taker, market, taker_dir, size, quote, -taker_fee)
        self._update_position(maker.user, market, m_order[I_DIRECTION], size, quote, rebate)
        self._fill_order(taker, t_index, size, quote)
        self._fill_order(maker.user, m_index, size, quote)
        self.settle_fill(
            MarketType.PERP, market.market_index, taker, taker_stats, t_order, maker, m_order,
            size, quote, maker_price, taker_fee, rebate,
        )  # fmt: skip
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
        size: int | None = None,
    ) -> tuple[int, int]:
        """The AMM takes the other side of ``size`` at ``price`` (reserves are not moved);
        ``size`` None: all the taker has unfilled, to the order step."""
        t_order = taker.order(t_index)
        if size is None:
            size = self._taker_unfilled(taker, t_order)
            size = standardize_base_asset_amount(size, market.order_step_size)
            if size == 0:
                return 0, 0
        taker_dir = t_order[I_DIRECTION]
        prod = price * size
        quote = _ceil_div(prod, BASE_PRECISION) if taker_dir == LONG else prod // BASE_PRECISION
        fee, discount, reward = self._taker_fee_parts(state, taker_stats, quote, market)
        self._pay_referral(market, taker_stats, discount, reward)
        self._update_position(taker, market, taker_dir, size, quote, -fee)
        market.add_base_with_amm(size if taker_dir == LONG else -size)
        self._fill_order(taker, t_index, size, quote)
        self.settle_fill(
            MarketType.PERP, market.market_index, taker, taker_stats, t_order, None, None,
            size, quote, price, fee, 0,
        )  # fmt: skip
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
        pos = user.find_perp(order[I_MARKET_INDEX])
        if pos is not None:
            if order[I_DIRECTION] == LONG:
                pos.set(open_bids=pos.open_bids - base)
            else:
                pos.set(open_asks=pos.open_asks + base)
            user.store_perp(pos)
        self.add_fill_to_order(user, index, order, base, quote)

    def add_fill_to_order(
        self, user: UserView, index: int, order: Order, base: int, quote: int
    ) -> None:
        """Store ``order`` (slot ``index``) with a fill added; Filled and released once whole."""
        filled = order.base_asset_amount_filled + base
        order = order.replace(
            base_asset_amount_filled=filled,
            quote_asset_amount_filled=order.quote_asset_amount_filled + quote,
        )
        if filled >= order.base_asset_amount:
            order = order.replace(status=OrderStatus.FILLED)
            user.set_order(index, order)
            self.release_order(user, order, 0)
        else:
            user.set_order(index, order)
        user.set_last_active_slot(self.ctx.slot)

    def settle_fill(
        self,
        market_type: MarketType,
        market_index: int,
        taker: UserView,
        taker_stats: UserStatsView | None,
        t_order: Order,
        maker: Maker | None,
        m_order: Order | None,
        base: int,
        quote: int,
        price: int,
        taker_fee: int,
        rebate: int,
    ) -> None:
        """What every match ends with: fees and 30-day volumes on the UserStats, and the fill
        record (``maker`` None: the AMM)."""
        now = self.ctx.unix_timestamp
        if taker_stats is not None:
            taker_stats.add_fee_paid(taker_fee)
            taker_stats.add_volume(False, quote, now)
        if maker is not None and maker.stats is not None:
            maker.stats.add_fee_rebate(rebate)
            maker.stats.add_volume(True, quote, now)
        self.fills.append(
            FillRecord(
                market_type,
                market_index,
                taker.key,
                t_order[I_ORDER_ID],
                None if maker is None else maker.user.key,
                None if m_order is None else m_order[I_ORDER_ID],
                base,
                quote,
                price,
                self.ctx.slot,
                taker_fee,
                rebate,
                PositionDirection(t_order[I_DIRECTION]),
            )
        )

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
