"""Market flow: oracle random walk, a Poisson stream of taker orders, competing JIT makers.

Everything is driven by ``on_slot`` and a seeded ``random.Random``, so a run is reproducible
from (scenario, seed). Random draws are floats, but every price and size is converted to an
integer in protocol precision before it touches an account.

Per slot, in order: the oracles tick (and each AMM is re-pegged to its oracle, so its quotes
stay around the price); scheduled events run (competing makers' ``jit`` attempts at a random
slot of each auction, the keeper fill right after an auction ends, expiry of leftovers); new
taker orders arrive.
"""

from __future__ import annotations

import math
import random
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from solders.pubkey import Pubkey

from jitmaker.accounts.enums import MarketType, OrderType, PositionDirection, PostOnlyParam
from jitmaker.intmath import div_trunc
from jitmaker.sim.ledger import Account
from jitmaker.sim.state import SLOT_SECONDS_DEN, SLOT_SECONDS_NUM, Chain
from jitmaker.sim.world import (
    _PM_BID_TWAP,
    _PM_LAST_ORACLE_PRICE,
    _PM_ORACLE_TWAP,
    _PM_PEG,
    MarketInfo,
    Participant,
    World,
    oracle_account,
)

__all__ = ["Flow", "FlowStats", "TakerOrder"]

BASE_PRECISION = 1_000_000_000
PERCENT_UNITS = 1_000_000  # offsets are computed in millionths


def _frac(price: int, bps: float) -> int:
    """``price * bps / 10_000`` as an integer (bps may be negative), truncated toward zero."""
    return div_trunc(price * round(bps * 100), PERCENT_UNITS)


@dataclass(slots=True)
class TakerOrder:
    taker: Participant
    market: MarketInfo
    order_id: int
    direction: PositionDirection
    duration: int
    placed_slot: int


@dataclass(slots=True)
class FlowStats:
    takers_placed: int = 0
    takers_rejected: int = 0
    competitor_attempts: int = 0
    competitor_fills: int = 0
    keeper_fills: int = 0
    expired_cancels: int = 0
    resting_placed: int = 0
    resting_rejected: int = 0


class Flow:
    """Drives the simulated market. ``program`` is ``jitmaker.sim.program`` (or a stand-in)."""

    def __init__(
        self,
        world: World,
        chain: Chain,
        program: Any,
        make_context: Callable[..., Any],
        *,
        seed: int = 0,
        on_result: Callable[[Any], None] | None = None,
        report: Any = None,
        enabled: bool = True,
    ) -> None:
        self.world = world
        self.chain = chain
        self.program = program
        self.make_context = make_context
        self.rng = random.Random(seed)
        self.on_result = on_result
        self.report = report
        self.enabled = enabled
        self.stats = FlowStats()
        self._events: dict[int, list[tuple[Callable[..., None], tuple]]] = {}
        self._open_by_taker: dict[Pubkey, int] = {}

    # -- scheduling ------------------------------------------------------------------------

    def _at(self, slot: int, fn: Callable[..., None], *args: Any) -> None:
        self._events.setdefault(slot, []).append((fn, args))

    @property
    def pending_events(self) -> int:
        return sum(len(v) for v in self._events.values())

    def on_slot(self, slot: int) -> None:
        self.tick_oracles(slot)
        for fn, args in self._events.pop(slot, ()):
            fn(*args)
        if self.enabled:
            self._resting(slot)
            self._arrivals(slot)

    # -- resting liquidity -------------------------------------------------------------------

    def _resting(self, slot: int) -> None:
        for i, maker in enumerate(self.world.competitors):
            spec = maker.spec
            if spec.resting_offset_bps <= 0 or spec.resting_refresh_slots <= 0:
                continue
            if (slot + i * 7) % spec.resting_refresh_slots:
                continue  # staggered so makers do not all refresh in the same slot
            self._refresh_resting(maker, slot)

    def _refresh_resting(self, maker: Participant, slot: int) -> None:
        """Expire the maker's old quotes, then rest a post-only bid and ask per market."""
        ctx = self.make_context()
        result = self.program.cancel_expired(self.chain.ledger, ctx, maker.user)
        if result.err is None and result.changed:
            self._apply(result)
        spec = maker.spec
        refresh_secs = spec.resting_refresh_slots * SLOT_SECONDS_NUM // SLOT_SECONDS_DEN
        max_ts = self.chain.unix_timestamp + max(1, refresh_secs) - 1
        for market in self.world.perp.values():
            oracle = market.oracle_price
            offset = _frac(oracle, spec.resting_offset_bps)
            base = market.spec.taker_median_base * spec.resting_size_multiple
            base -= base % market.spec.step_size
            for direction, price in (
                (PositionDirection.LONG, oracle - offset),
                (PositionDirection.SHORT, oracle + offset),
            ):
                params = self.program.OrderParams(
                    order_type=OrderType.LIMIT,
                    market_type=MarketType.PERP,
                    direction=direction,
                    base_asset_amount=base,
                    price=price,
                    market_index=market.index,
                    post_only=PostOnlyParam.MUST_POST_ONLY,
                    max_ts=max_ts,
                )
                placed = self.program.place_taker_order(
                    self.chain.ledger, self.make_context(), maker.user, params
                )
                if placed.err is None:
                    self.stats.resting_placed += 1
                    self._apply(placed)
                else:
                    self.stats.resting_rejected += 1

    # -- oracles ---------------------------------------------------------------------------

    def _step_price(self, market: MarketInfo) -> int:
        spec = market.spec
        rng = self.rng
        bps = rng.gauss(0.0, spec.volatility_bps_per_slot)
        if spec.jump_probability and rng.random() < spec.jump_probability:
            bps += rng.choice((-1.0, 1.0)) * rng.expovariate(1.0) * spec.jump_bps
        price = market.oracle_price + _frac(market.oracle_price, bps)
        floor = max(spec.tick_size, market.spec.oracle_price // 100)
        return max(price, floor)

    def set_oracle_price(self, market_index: int, price: int) -> None:
        """Force an oracle price now (tests, scripted scenarios)."""
        market = self.world.perp[market_index]
        market.oracle_price = price
        self.chain.commit(self._oracle_changes(market, self.chain.slot))

    def tick_oracles(self, slot: int) -> None:
        changed: dict[Pubkey, Account] = {}
        for market in self.world.perp.values():
            market.oracle_price = self._step_price(market)
            changed.update(self._oracle_changes(market, slot))
        self.chain.commit(changed)

    def _oracle_changes(self, market: MarketInfo, slot: int) -> dict[Pubkey, Account]:
        ledger = self.chain.ledger
        price = market.oracle_price
        ts = self.chain.unix_timestamp
        out = {market.oracle: oracle_account(market.spec.oracle_source, price, slot, ts)}
        pm = ledger.get(market.pubkey)
        if pm is not None:
            buf = bytearray(pm.data)
            half = market.spec.amm_spread_bps * 50  # long/short spread, 1e6 precision
            struct.pack_into("<q", buf, _PM_LAST_ORACLE_PRICE, price)
            # twap, twap 5min, twap ts (adjacent: checked in world)
            struct.pack_into("<qqq", buf, _PM_ORACLE_TWAP, price, price, ts)
            struct.pack_into("<QQ", buf, _PM_PEG, price & (2**64 - 1), price >> 64)
            bid = price - price * half // 1_000_000
            ask = price + price * half // 1_000_000
            # bid twap, ask twap, mark twap, mark twap 5min, last update slot (adjacent)
            struct.pack_into("<QQQQQ", buf, _PM_BID_TWAP, bid, ask, price, price, slot)
            out[market.pubkey] = Account(pm.lamports, bytes(buf), pm.owner, pm.executable)
        return out

    # -- takers ------------------------------------------------------------------------------

    def _poisson(self, lam: float) -> int:
        if lam <= 0:
            return 0
        limit, k, p = math.exp(-lam), 0, self.rng.random()
        while p > limit:
            k += 1
            p *= self.rng.random()
        return k

    def _size(self, market: MarketInfo) -> int:
        t = self.world.scenario.takers
        spec = market.spec
        u = 1.0 - self.rng.random()  # (0, 1]
        alpha = t.size_tail_alpha
        factor = min(u ** (-1.0 / alpha) / 2 ** (1.0 / alpha), float(t.max_size_multiple))
        base = int(spec.taker_median_base * factor)
        base -= base % spec.step_size
        return max(base, spec.min_order_size, spec.step_size)

    def _pick_taker(self) -> Participant | None:
        takers = self.world.takers
        for _ in range(4):
            taker = takers[self.rng.randrange(len(takers))]
            if self._open_by_taker.get(taker.user, 0) < 16:
                return taker
        return None

    def _arrivals(self, slot: int) -> None:
        for market in self.world.perp.values():
            for _ in range(self._poisson(market.spec.taker_rate_per_slot)):
                self.place_taker(market, slot)

    def taker_params(self, market: MarketInfo) -> Any:
        """Realistic auction parameters around the current oracle price."""
        t = self.world.scenario.takers
        rng = self.rng
        direction = PositionDirection.LONG if rng.random() < 0.5 else PositionDirection.SHORT
        sign = 1 if direction == PositionDirection.LONG else -1
        duration = rng.randint(t.auction_duration_min, t.auction_duration_max)
        start_bps = rng.uniform(*t.start_offset_bps)
        end_bps = max(rng.uniform(*t.end_offset_bps), start_bps)
        oracle = market.oracle_price
        start_off = sign * _frac(oracle, start_bps)
        end_off = sign * _frac(oracle, end_bps)
        base = self._size(market)
        params_cls = self.program.OrderParams
        if rng.random() < t.oracle_order_fraction:
            return params_cls(
                order_type=OrderType.ORACLE,
                market_type=MarketType.PERP,
                direction=direction,
                base_asset_amount=base,
                price=0,
                market_index=market.index,
                oracle_price_offset=end_off,
                auction_duration=duration,
                auction_start_price=start_off,
                auction_end_price=end_off,
            )
        return params_cls(
            order_type=OrderType.MARKET,
            market_type=MarketType.PERP,
            direction=direction,
            base_asset_amount=base,
            price=0,
            market_index=market.index,
            auction_duration=duration,
            auction_start_price=oracle + start_off,
            auction_end_price=oracle + end_off,
        )

    def place_taker(
        self, market: MarketInfo, slot: int, params: Any = None, taker: Participant | None = None
    ) -> TakerOrder | None:
        taker = taker or self._pick_taker()
        if taker is None:
            return None
        params = params if params is not None else self.taker_params(market)
        result = self.program.place_taker_order(
            self.chain.ledger, self.make_context(), taker.user, params
        )
        if result.err is not None or result.order_id is None:
            self.stats.takers_rejected += 1
            return None
        self._apply(result)
        self.stats.takers_placed += 1
        self._open_by_taker[taker.user] = self._open_by_taker.get(taker.user, 0) + 1
        duration = params.auction_duration or 0
        order = TakerOrder(taker, market, result.order_id, params.direction, duration, slot)
        if self.report is not None:
            self.report.auction_placed(order, params, market.oracle_price, slot)
        if self.enabled:
            for maker in self.world.competitors:
                if self.rng.random() < maker.spec.participation:
                    at = slot + self.rng.randint(1, max(1, duration))
                    self._at(at, self._competitor_jit, maker, order)
        self._at(slot + duration + 1, self._keeper_fill, order)
        # Drift's default expiry for market/oracle orders: now + max(30, duration/2 + 10) s
        secs = max(30, duration // 2 + 10)
        expiry_slot = slot + (secs + 1) * SLOT_SECONDS_DEN // SLOT_SECONDS_NUM + 1
        self._at(expiry_slot, self._expire, order)
        return order

    def _apply(self, result: Any) -> None:
        self.chain.commit(result.changed)
        if self.on_result is not None:
            self.on_result(result)

    def _competitor_jit(self, maker: Participant, order: TakerOrder) -> None:
        spec = maker.spec
        oracle = order.market.oracle_price
        offset = _frac(oracle, spec.aggressiveness_bps)
        limit = spec.max_position_usdc * BASE_PRECISION // oracle
        self.stats.competitor_attempts += 1
        result = self.program.maker_jit_fill(
            self.chain.ledger,
            self.make_context(),
            maker.user,
            order.taker.user,
            order.order_id,
            bid=-offset,
            ask=offset,
            price_type=1,
            max_position=limit,
            min_position=-limit,
        )
        if result.err is None:
            self.stats.competitor_fills += 1
            self._apply(result)

    def _keeper_fill(self, order: TakerOrder) -> None:
        result = self.program.fill_from_resting_and_amm(
            self.chain.ledger, self.make_context(), order.taker.user, order.order_id
        )
        if result.err is None and result.changed:
            self.stats.keeper_fills += 1
            self._apply(result)

    def _expire(self, order: TakerOrder) -> None:
        result = self.program.cancel_expired(
            self.chain.ledger, self.make_context(), order.taker.user
        )
        if result.err is None and result.changed:
            self.stats.expired_cancels += 1
            self._apply(result)
        left = self._open_by_taker.get(order.taker.user, 1) - 1
        if left > 0:
            self._open_by_taker[order.taker.user] = left
        else:
            self._open_by_taker.pop(order.taker.user, None)
        if self.report is not None:
            self.report.auction_finished(order.taker.user, order.order_id)
