"""Mutable views over account byte images, at the offsets of protocol §2.

The executor patches the fields it changes in place (a ``bytearray`` per account) rather
than decoding and re-encoding whole accounts. The offsets are not restated here: they are
derived from the record specs of ``jitmaker.accounts`` (``jitmaker.sim.offsets``), and each
view declares the fields it reads as one table (``fields``); the tests cross-check the
written bytes against driftpy's Anchor decoder.
"""

from __future__ import annotations

import struct

from solders.pubkey import Pubkey

from jitmaker.accounts.order import I_ORDER_ID, I_STATUS, ORDER_SIZE, ORDER_STRUCT, Order
from jitmaker.accounts.perp_market import PerpMarket
from jitmaker.accounts.positions import (
    PERP_POSITION_SIZE,
    SPOT_POSITION_SIZE,
    SPOT_POSITION_STRUCT,
    PerpPosition,
    SpotPosition,
)
from jitmaker.accounts.spot_market import SpotMarket
from jitmaker.accounts.state import FeeTier, State
from jitmaker.accounts.user import MAX_ORDERS, MAX_PERP_POSITIONS, MAX_SPOT_POSITIONS, User
from jitmaker.accounts.user_stats import UserStats
from jitmaker.sim.offsets import fields, record_offsets, record_struct, struct_offsets

__all__ = [
    "PerpMarketView",
    "PerpPos",
    "SpotMarketView",
    "SpotPos",
    "StateView",
    "UserStatsView",
    "UserView",
]

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_I64 = struct.Struct("<q")

_USER = record_offsets(User)
_USER_STATS = record_offsets(UserStats)
_PERP_MARKET = record_offsets(PerpMarket)
_SPOT_MARKET = record_offsets(SpotMarket)
_STATE = record_offsets(State)
_PERP_POS = record_offsets(PerpPosition, 0)
_SPOT_POS = record_offsets(SpotPosition, 0)


def _at(layout: dict, paths: str) -> tuple[int, ...]:
    """Byte offsets of the space-separated ``paths`` of ``layout``."""
    return tuple(layout[path][0] for path in paths.split())


class _View:
    __slots__ = ("buf", "key")

    def __init__(self, key: Pubkey, buf: bytearray) -> None:
        self.key = key
        self.buf = buf

    def _u64(self, off: int) -> int:
        return _U64.unpack_from(self.buf, off)[0]

    def _i64(self, off: int) -> int:
        return _I64.unpack_from(self.buf, off)[0]


# ---------------------------------------------------------------- User
_ORDERS_AT, _PERPS_AT, _SPOTS_AT, _LAST_ACTIVE_SLOT = _at(
    _USER, "orders perp_positions spot_positions last_active_slot"
)
_PERP_SIZE = PERP_POSITION_SIZE
_SPOT_SIZE = SPOT_POSITION_SIZE
_ORDER_AT = struct_offsets(ORDER_STRUCT)
_ORDER_STATUS = _ORDER_AT[I_STATUS]
_ORDER_ID = _ORDER_AT[I_ORDER_ID]
_OPEN_ORDERS, _HAS_OPEN_ORDER, _OPEN_AUCTIONS, _HAS_OPEN_AUCTION = _at(
    _USER, "open_orders has_open_order open_auctions has_open_auction"
)
(_PERP_MARKET_INDEX,) = _at(_PERP_POS, "market_index")
_SPOT_MARKET_INDEX, _SPOT_BALANCE_TYPE, _SPOT_OPEN_ORDERS = _at(
    _SPOT_POS, "market_index balance_type open_orders"
)

# PerpPosition: funding base quote qbe qentry open_bids open_asks settled | lp iso lqpl | pad2
# max_margin_ratio market_index open_orders flag. Not the product's PERP_POSITION_STRUCT: the
# simulator reads offset 72 as the newer u64 isolated_position_scaled_balance and offset 95
# as the u8 position_flag (the product's IDL 2.142 spec has i64 and i8 there).
_PERP_STRUCT = struct.Struct("<8q2Qq2sHHBB")
assert _PERP_STRUCT.size == _PERP_SIZE


class PerpPos:
    """One perp position slot, read out of a User; ``store`` writes it back."""

    __slots__ = ("_values", "index")

    FIELDS = (
        "last_cumulative_funding_rate",
        "base_asset_amount",
        "quote_asset_amount",
        "quote_break_even_amount",
        "quote_entry_amount",
        "open_bids",
        "open_asks",
        "settled_pnl",
        "lp_shares",
        "isolated_position_scaled_balance",
        "last_quote_asset_amount_per_lp",
        "padding",
        "max_margin_ratio",
        "market_index",
        "open_orders",
        "position_flag",
    )

    def __init__(self, index: int, values: list) -> None:
        self.index = index
        self._values = values

    def __getattr__(self, name: str) -> int:
        try:
            return self._values[_PERP_INDEX[name]]
        except KeyError:
            raise AttributeError(name) from None

    def set(self, **fields: int) -> None:
        for name, value in fields.items():
            self._values[_PERP_INDEX[name]] = value

    def is_available(self) -> bool:
        v = dict(zip(PerpPos.FIELDS, self._values, strict=True))
        return (
            v["base_asset_amount"] == 0
            and v["quote_asset_amount"] == 0
            and v["open_orders"] == 0
            and v["open_bids"] == 0
            and v["open_asks"] == 0
            and v["lp_shares"] == 0
            and v["isolated_position_scaled_balance"] == 0
            and v["position_flag"] & 2 == 0
        )


_PERP_INDEX = {name: i for i, name in enumerate(PerpPos.FIELDS)}

# SpotPosition: scaled_balance open_bids open_asks cumulative_deposits market_index
# balance_type open_orders padding (the product's struct, byte for byte)
_SPOT_STRUCT = SPOT_POSITION_STRUCT


class SpotPos:
    """One spot position slot (mutable copy); ``UserView.store_spot`` writes it back."""

    __slots__ = (
        "balance_type",
        "cumulative_deposits",
        "index",
        "market_index",
        "open_asks",
        "open_bids",
        "open_orders",
        "scaled_balance",
    )

    def __init__(self, index: int, values: tuple) -> None:
        self.index = index
        (
            self.scaled_balance,
            self.open_bids,
            self.open_asks,
            self.cumulative_deposits,
            self.market_index,
            self.balance_type,
            self.open_orders,
            _,
        ) = values

    def values(self) -> tuple:
        return (
            self.scaled_balance,
            self.open_bids,
            self.open_asks,
            self.cumulative_deposits,
            self.market_index,
            self.balance_type,
            self.open_orders,
            b"\0\0\0\0",
        )

    def is_available(self) -> bool:
        return (
            self.scaled_balance == 0
            and self.open_orders == 0
            and self.open_bids == 0
            and self.open_asks == 0
        )


@fields(
    _USER,
    "authority delegate status pool_id sub_account_id next_order_id open_orders open_auctions"
    " is_margin_trading_enabled",
    settable="next_order_id",
)
class UserView(_View):
    """A Drift ``User`` (4376 bytes)."""

    __slots__ = ()

    def set_last_active_slot(self, slot: int) -> None:
        _U64.pack_into(self.buf, _LAST_ACTIVE_SLOT, slot)

    # orders
    def order(self, i: int) -> Order:
        return Order(ORDER_STRUCT.unpack_from(self.buf, _ORDERS_AT + ORDER_SIZE * i))

    def set_order(self, i: int, order: Order) -> None:
        ORDER_STRUCT.pack_into(self.buf, _ORDERS_AT + ORDER_SIZE * i, *order)

    def order_status(self, i: int) -> int:
        return self.buf[_ORDERS_AT + ORDER_SIZE * i + _ORDER_STATUS]

    def open_order_indexes(self) -> list[int]:
        buf = self.buf
        return [
            i for i in range(MAX_ORDERS) if buf[_ORDERS_AT + ORDER_SIZE * i + _ORDER_STATUS] == 1
        ]

    def orders(self) -> list[Order]:
        return [self.order(i) for i in range(MAX_ORDERS)]

    def find_open_order(self, order_id: int) -> int | None:
        """Index of the Open order with ``order_id`` (``get_order_index``), else None."""
        for i in range(MAX_ORDERS):
            base = _ORDERS_AT + ORDER_SIZE * i
            if (
                self.buf[base + _ORDER_STATUS] == 1
                and _U32.unpack_from(self.buf, base + _ORDER_ID)[0] == order_id
            ):
                return i
        return None

    # counters (§2.1)
    def bump_counters(self, orders: int, auctions: int) -> None:
        b = self.buf
        b[_OPEN_ORDERS] = min(255, max(0, b[_OPEN_ORDERS] + orders))
        b[_HAS_OPEN_ORDER] = 1 if b[_OPEN_ORDERS] > 0 else 0
        b[_OPEN_AUCTIONS] = min(255, max(0, b[_OPEN_AUCTIONS] + auctions))
        b[_HAS_OPEN_AUCTION] = 1 if b[_OPEN_AUCTIONS] > 0 else 0

    # perp positions
    def perp(self, i: int) -> PerpPos:
        return PerpPos(i, list(_PERP_STRUCT.unpack_from(self.buf, _PERPS_AT + _PERP_SIZE * i)))

    def store_perp(self, pos: PerpPos) -> None:
        _PERP_STRUCT.pack_into(self.buf, _PERPS_AT + _PERP_SIZE * pos.index, *pos._values)

    def find_perp(self, market_index: int) -> PerpPos | None:
        buf = self.buf
        for i in range(MAX_PERP_POSITIONS):
            at = _PERPS_AT + _PERP_SIZE * i + _PERP_MARKET_INDEX
            if _U16.unpack_from(buf, at)[0] != market_index:
                continue
            pos = self.perp(i)
            if pos.market_index == market_index and not pos.is_available():
                return pos
        return None

    def perp_positions(self) -> list[PerpPos]:
        return [
            p for p in (self.perp(i) for i in range(MAX_PERP_POSITIONS)) if not p.is_available()
        ]

    def perp_base(self, market_index: int) -> int:
        pos = self.find_perp(market_index)
        return 0 if pos is None else pos.base_asset_amount

    def spot_pos(self, i: int) -> SpotPos:
        return SpotPos(i, _SPOT_STRUCT.unpack_from(self.buf, _SPOTS_AT + _SPOT_SIZE * i))

    def store_spot(self, pos: SpotPos) -> None:
        _SPOT_STRUCT.pack_into(self.buf, _SPOTS_AT + _SPOT_SIZE * pos.index, *pos.values())

    def find_spot(self, market_index: int) -> SpotPos | None:
        for i in range(MAX_SPOT_POSITIONS):
            pos = self.spot_pos(i)
            if pos.market_index == market_index and not pos.is_available():
                return pos
        return None

    # spot positions (raw tuple, for collateral)
    def spot(self, i: int) -> tuple[int, int, int, int]:
        """(scaled_balance, market_index, balance_type, open_orders) of spot slot ``i``."""
        off = _SPOTS_AT + _SPOT_SIZE * i
        scaled = _U64.unpack_from(self.buf, off)[0]
        return (
            scaled,
            _U16.unpack_from(self.buf, off + _SPOT_MARKET_INDEX)[0],
            self.buf[off + _SPOT_BALANCE_TYPE],
            self.buf[off + _SPOT_OPEN_ORDERS],
        )


# ---------------------------------------------------------------- UserStats
_FEE_PAID, _FEE_REBATE, _REFEREE_DISCOUNT, _REFERRER_REWARD, _EPOCH_REFERRER_REWARD = _at(
    _USER_STATS,
    "fees.total_fee_paid fees.total_fee_rebate fees.total_referee_discount"
    " fees.total_referrer_reward fees.current_epoch_referrer_reward",
)
_MAKER_VOLUME, _MAKER_VOLUME_TS = _at(_USER_STATS, "maker_volume30d last_maker_volume30d_ts")
_TAKER_VOLUME, _TAKER_VOLUME_TS = _at(_USER_STATS, "taker_volume30d last_taker_volume30d_ts")


@fields(
    _USER_STATS,
    "authority referrer total_fee_paid total_fee_rebate current_epoch_referrer_reward",
    within="fees",
    maker_volume_30d="maker_volume30d",
    taker_volume_30d="taker_volume30d",
)
class UserStatsView(_View):
    """A Drift ``UserStats`` (240 bytes)."""

    __slots__ = ()

    def add_u64(self, off: int, delta: int) -> None:
        _U64.pack_into(self.buf, off, self._u64(off) + delta)

    def add_fee_paid(self, fee: int) -> None:
        self.add_u64(_FEE_PAID, fee)

    def add_fee_rebate(self, rebate: int) -> None:
        self.add_u64(_FEE_REBATE, rebate)

    def add_referee_discount(self, discount: int) -> None:
        self.add_u64(_REFEREE_DISCOUNT, discount)

    def add_referrer_reward(self, reward: int) -> None:
        """``increment_total_referrer_reward`` (epoch rollover not modelled)."""
        self.add_u64(_REFERRER_REWARD, reward)
        self.add_u64(_EPOCH_REFERRER_REWARD, reward)

    def add_volume(self, maker: bool, quote: int, now: int) -> None:
        """Rolling 30-day volume (``calculate_rolling_sum`` simplified to a linear decay)."""
        vol_off, ts_off = (
            (_MAKER_VOLUME, _MAKER_VOLUME_TS) if maker else (_TAKER_VOLUME, _TAKER_VOLUME_TS)
        )
        thirty_days = 30 * 24 * 3600
        since = max(0, now - self._i64(ts_off))
        old = self._u64(vol_off)
        kept = 0 if since >= thirty_days else old * (thirty_days - since) // thirty_days
        _U64.pack_into(self.buf, vol_off, kept + quote)
        _I64.pack_into(self.buf, ts_off, now)


# ---------------------------------------------------------------- PerpMarket
(_LAST_FILL_PRICE,) = _at(_PERP_MARKET, "last_fill_price")


@fields(
    _PERP_MARKET,
    "margin_ratio_initial margin_ratio_maintenance market_index status contract_type"
    " paused_operations fee_adjustment last_fill_price oracle base_asset_reserve"
    " quote_asset_reserve peg_multiplier base_asset_amount_long base_asset_amount_short"
    " base_asset_amount_with_amm max_open_interest order_step_size order_tick_size"
    " min_order_size mm_oracle_slot mm_oracle_price long_spread short_spread amm_jit_intensity"
    " oracle_source reference_price_offset",
    within="amm",
    settable="base_asset_amount_long base_asset_amount_short base_asset_amount_with_amm",
    last_oracle_price_twap_5min="amm.historical_oracle_data.last_oracle_price_twap5min",
)
class PerpMarketView(_View):
    """A Drift ``PerpMarket`` (1216 bytes)."""

    __slots__ = ()

    def add_base_long(self, delta: int) -> None:
        self.base_asset_amount_long += delta

    def add_base_short(self, delta: int) -> None:
        self.base_asset_amount_short += delta

    def add_base_with_amm(self, delta: int) -> None:
        self.base_asset_amount_with_amm += delta

    def set_last_fill_price(self, price: int) -> None:
        _U64.pack_into(self.buf, _LAST_FILL_PRICE, price)

    @property
    def is_prediction(self) -> bool:
        return self.contract_type == 2

    def reserve_price(self) -> int:
        bar = self.base_asset_reserve
        return self.quote_asset_reserve * self.peg_multiplier // bar if bar else 0

    def amm_ask(self) -> int:
        """AMM ask (protocol §2.5)."""
        return (
            self.reserve_price()
            * (1_000_000 + self.long_spread + self.reference_price_offset)
            // 1_000_000
        )

    def amm_bid(self) -> int:
        """AMM bid (protocol §2.5)."""
        return (
            self.reserve_price()
            * (1_000_000 - self.short_spread + self.reference_price_offset)
            // 1_000_000
        )


# ---------------------------------------------------------------- SpotMarket
@fields(
    _SPOT_MARKET,
    "oracle cumulative_deposit_interest cumulative_borrow_interest order_step_size"
    " order_tick_size min_order_size initial_asset_weight initial_liability_weight"
    " maintenance_asset_weight maintenance_liability_weight decimals market_index"
    " orders_enabled oracle_source status paused_operations fee_adjustment",
)
class SpotMarketView(_View):
    """A Drift ``SpotMarket`` (776 bytes)."""

    __slots__ = ()

    is_prediction = False


# ---------------------------------------------------------------- State
_FEE_TIER = record_struct(FeeTier)
_PERP_FEE_TIERS, _SPOT_FEE_TIERS = _at(
    _STATE, "perp_fee_structure.fee_tiers spot_fee_structure.fee_tiers"
)


@fields(
    _STATE,
    "min_perp_auction_duration default_spot_auction_duration exchange_status",
    referrer_reward_epoch_upper_bound="perp_fee_structure.referrer_reward_epoch_upper_bound",
    oracle_twap_5min_percent_divergence=(
        "oracle_guard_rails.price_divergence.oracle_twap5min_percent_divergence"
    ),
)
class StateView(_View):
    """The Drift ``State`` (992 bytes)."""

    __slots__ = ()

    def perp_fee_tier(self, i: int) -> tuple[int, ...]:
        """(fee_num, fee_den, rebate_num, rebate_den, ref_num, ref_den, referee_num, referee_den)."""
        return _FEE_TIER.unpack_from(self.buf, _PERP_FEE_TIERS + _FEE_TIER.size * i)

    def spot_fee_tier(self, i: int) -> tuple[int, ...]:
        return _FEE_TIER.unpack_from(self.buf, _SPOT_FEE_TIERS + _FEE_TIER.size * i)
