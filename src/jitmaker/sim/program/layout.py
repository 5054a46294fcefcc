"""Mutable views over account byte images, at the offsets of protocol §2.

The executor patches the fields it changes in place (a ``bytearray`` per account) rather
than decoding and re-encoding whole accounts; offsets are cross-checked against driftpy's
Anchor decoder in the tests.
"""

from __future__ import annotations

import struct

from solders.pubkey import Pubkey

from jitmaker.accounts.order import ORDER_SIZE, ORDER_STRUCT, Order

__all__ = [
    "PerpMarketView",
    "PerpPos",
    "SpotMarketView",
    "SpotPos",
    "StateView",
    "UserStatsView",
    "UserView",
]

_U8 = struct.Struct("<B")
_U16 = struct.Struct("<H")
_I16 = struct.Struct("<h")
_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_U64 = struct.Struct("<Q")
_I64 = struct.Struct("<q")


def _get_i128(buf: bytearray, off: int) -> int:
    return int.from_bytes(buf[off : off + 16], "little", signed=True)


def _set_i128(buf: bytearray, off: int, value: int) -> None:
    buf[off : off + 16] = value.to_bytes(16, "little", signed=True)


def _get_u128(buf: bytearray, off: int) -> int:
    return int.from_bytes(buf[off : off + 16], "little", signed=False)


class _View:
    __slots__ = ("buf", "key")

    def __init__(self, key: Pubkey, buf: bytearray) -> None:
        self.key = key
        self.buf = buf

    def _u8(self, off: int) -> int:
        return self.buf[off]

    def _u16(self, off: int) -> int:
        return _U16.unpack_from(self.buf, off)[0]

    def _u32(self, off: int) -> int:
        return _U32.unpack_from(self.buf, off)[0]

    def _i32(self, off: int) -> int:
        return _I32.unpack_from(self.buf, off)[0]

    def _u64(self, off: int) -> int:
        return _U64.unpack_from(self.buf, off)[0]

    def _i64(self, off: int) -> int:
        return _I64.unpack_from(self.buf, off)[0]

    def _pubkey(self, off: int) -> Pubkey:
        return Pubkey.from_bytes(bytes(self.buf[off : off + 32]))


# ---------------------------------------------------------------- User
_ORDERS_AT = 1192
_PERPS_AT = 424
_SPOTS_AT = 104
_PERP_SIZE = 96
_SPOT_SIZE = 40
MAX_ORDERS = 32
MAX_PERP_POSITIONS = 8
MAX_SPOT_POSITIONS = 8

# PerpPosition: funding base quote qbe qentry open_bids open_asks settled | lp iso lqpl | pad2
# max_margin_ratio market_index open_orders flag
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
# balance_type open_orders padding
_SPOT_STRUCT = struct.Struct("<Q3qHBB4s")
assert _SPOT_STRUCT.size == _SPOT_SIZE


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


class UserView(_View):
    """A Drift ``User`` (4376 bytes)."""

    __slots__ = ()

    @property
    def authority(self) -> Pubkey:
        return self._pubkey(8)

    @property
    def delegate(self) -> Pubkey:
        return self._pubkey(40)

    @property
    def status(self) -> int:
        return self.buf[4348]

    @property
    def pool_id(self) -> int:
        return self.buf[4356]

    @property
    def sub_account_id(self) -> int:
        return self._u16(4346)

    @property
    def next_order_id(self) -> int:
        return self._u32(4336)

    @next_order_id.setter
    def next_order_id(self, value: int) -> None:
        _U32.pack_into(self.buf, 4336, value)

    def set_last_active_slot(self, slot: int) -> None:
        _U64.pack_into(self.buf, 4328, slot)

    # orders
    def order(self, i: int) -> Order:
        return Order(ORDER_STRUCT.unpack_from(self.buf, _ORDERS_AT + ORDER_SIZE * i))

    def set_order(self, i: int, order: Order) -> None:
        ORDER_STRUCT.pack_into(self.buf, _ORDERS_AT + ORDER_SIZE * i, *order)

    def order_status(self, i: int) -> int:
        return self.buf[_ORDERS_AT + ORDER_SIZE * i + 82]

    def open_order_indexes(self) -> list[int]:
        buf = self.buf
        return [i for i in range(MAX_ORDERS) if buf[_ORDERS_AT + ORDER_SIZE * i + 82] == 1]

    def orders(self) -> list[Order]:
        return [self.order(i) for i in range(MAX_ORDERS)]

    def find_open_order(self, order_id: int) -> int | None:
        """Index of the Open order with ``order_id`` (``get_order_index``), else None."""
        for i in range(MAX_ORDERS):
            base = _ORDERS_AT + ORDER_SIZE * i
            if self.buf[base + 82] == 1 and _U32.unpack_from(self.buf, base + 76)[0] == order_id:
                return i
        return None

    # counters (§2.1)
    def bump_counters(self, orders: int, auctions: int) -> None:
        b = self.buf
        b[4351] = min(255, max(0, b[4351] + orders))
        b[4352] = 1 if b[4351] > 0 else 0
        b[4353] = min(255, max(0, b[4353] + auctions))
        b[4354] = 1 if b[4353] > 0 else 0

    @property
    def open_orders(self) -> int:
        return self.buf[4351]

    @property
    def open_auctions(self) -> int:
        return self.buf[4353]

    # perp positions
    def perp(self, i: int) -> PerpPos:
        return PerpPos(i, list(_PERP_STRUCT.unpack_from(self.buf, _PERPS_AT + _PERP_SIZE * i)))

    def store_perp(self, pos: PerpPos) -> None:
        _PERP_STRUCT.pack_into(self.buf, _PERPS_AT + _PERP_SIZE * pos.index, *pos._values)

    def find_perp(self, market_index: int) -> PerpPos | None:
        buf = self.buf
        for i in range(MAX_PERP_POSITIONS):
            if _U16.unpack_from(buf, _PERPS_AT + _PERP_SIZE * i + 92)[0] != market_index:
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

    @property
    def is_margin_trading_enabled(self) -> bool:
        return bool(self.buf[4349])

    # spot positions (raw tuple, for collateral)
    def spot(self, i: int) -> tuple[int, int, int, int]:
        """(scaled_balance, market_index, balance_type, open_orders) of spot slot ``i``."""
        off = _SPOTS_AT + _SPOT_SIZE * i
        scaled = _U64.unpack_from(self.buf, off)[0]
        return (
            scaled,
            _U16.unpack_from(self.buf, off + 32)[0],
            self.buf[off + 34],
            self.buf[off + 35],
        )


# ---------------------------------------------------------------- UserStats
class UserStatsView(_View):
    """A Drift ``UserStats`` (240 bytes)."""

    __slots__ = ()

    @property
    def authority(self) -> Pubkey:
        return self._pubkey(8)

    @property
    def referrer(self) -> Pubkey:
        return self._pubkey(40)

    def add_u64(self, off: int, delta: int) -> None:
        _U64.pack_into(self.buf, off, self._u64(off) + delta)

    @property
    def total_fee_paid(self) -> int:
        return self._u64(72)

    @property
    def total_fee_rebate(self) -> int:
        return self._u64(80)

    @property
    def maker_volume_30d(self) -> int:
        return self._u64(128)

    @property
    def taker_volume_30d(self) -> int:
        return self._u64(136)

    def add_fee_paid(self, fee: int) -> None:
        self.add_u64(72, fee)

    def add_fee_rebate(self, rebate: int) -> None:
        self.add_u64(80, rebate)

    @property
    def current_epoch_referrer_reward(self) -> int:
        return self._u64(112)

    def add_referee_discount(self, discount: int) -> None:
        self.add_u64(96, discount)

    def add_referrer_reward(self, reward: int) -> None:
        """``increment_total_referrer_reward`` (epoch rollover not modelled)."""
        self.add_u64(104, reward)
        self.add_u64(112, reward)

    def add_volume(self, maker: bool, quote: int, now: int) -> None:
        """Rolling 30-day volume (``calculate_rolling_sum`` simplified to a linear decay)."""
        vol_off, ts_off = (128, 152) if maker else (136, 160)
        thirty_days = 30 * 24 * 3600
        since = max(0, now - self._i64(ts_off))
        old = self._u64(vol_off)
        kept = 0 if since >= thirty_days else old * (thirty_days - since) // thirty_days
        _U64.pack_into(self.buf, vol_off, kept + quote)
        _I64.pack_into(self.buf, ts_off, now)


# ---------------------------------------------------------------- PerpMarket
class PerpMarketView(_View):
    """A Drift ``PerpMarket`` (1216 bytes)."""

    __slots__ = ()

    @property
    def oracle(self) -> Pubkey:
        return self._pubkey(40)

    @property
    def last_oracle_price_twap_5min(self) -> int:
        return self._i64(104)

    @property
    def base_asset_reserve(self) -> int:
        return _get_u128(self.buf, 176)

    @property
    def quote_asset_reserve(self) -> int:
        return _get_u128(self.buf, 192)

    @property
    def peg_multiplier(self) -> int:
        return _get_u128(self.buf, 272)

    @property
    def base_asset_amount_long(self) -> int:
        return _get_i128(self.buf, 304)

    @property
    def base_asset_amount_short(self) -> int:
        return _get_i128(self.buf, 320)

    @property
    def base_asset_amount_with_amm(self) -> int:
        return _get_i128(self.buf, 336)

    @property
    def max_open_interest(self) -> int:
        return _get_u128(self.buf, 368)

    def add_base_long(self, delta: int) -> None:
        _set_i128(self.buf, 304, self.base_asset_amount_long + delta)

    def add_base_short(self, delta: int) -> None:
        _set_i128(self.buf, 320, self.base_asset_amount_short + delta)

    def add_base_with_amm(self, delta: int) -> None:
        _set_i128(self.buf, 336, self.base_asset_amount_with_amm + delta)

    @property
    def order_step_size(self) -> int:
        return self._u64(808)

    @property
    def order_tick_size(self) -> int:
        return self._u64(816)

    @property
    def min_order_size(self) -> int:
        return self._u64(824)

    @property
    def mm_oracle_slot(self) -> int:
        return self._u64(832)

    @property
    def mm_oracle_price(self) -> int:
        return self._i64(912)

    @property
    def long_spread(self) -> int:
        return self._u32(904)

    @property
    def short_spread(self) -> int:
        return self._u32(908)

    @property
    def amm_jit_intensity(self) -> int:
        return self.buf[925]

    @property
    def oracle_source(self) -> int:
        return self.buf[926]

    @property
    def reference_price_offset(self) -> int:
        return self._i32(960)

    @property
    def margin_ratio_initial(self) -> int:
        return self._u32(1136)

    @property
    def margin_ratio_maintenance(self) -> int:
        return self._u32(1140)

    @property
    def market_index(self) -> int:
        return self._u16(1160)

    @property
    def status(self) -> int:
        return self.buf[1162]

    @property
    def contract_type(self) -> int:
        return self.buf[1163]

    @property
    def paused_operations(self) -> int:
        return self.buf[1165]

    @property
    def fee_adjustment(self) -> int:
        return _I16.unpack_from(self.buf, 1168)[0]

    @property
    def last_fill_price(self) -> int:
        return self._u64(1184)

    def set_last_fill_price(self, price: int) -> None:
        _U64.pack_into(self.buf, 1184, price)

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
class SpotMarketView(_View):
    """A Drift ``SpotMarket`` (776 bytes)."""

    __slots__ = ()

    @property
    def oracle(self) -> Pubkey:
        return self._pubkey(40)

    @property
    def cumulative_deposit_interest(self) -> int:
        return _get_u128(self.buf, 464)

    @property
    def cumulative_borrow_interest(self) -> int:
        return _get_u128(self.buf, 480)

    @property
    def order_step_size(self) -> int:
        return self._u64(592)

    @property
    def order_tick_size(self) -> int:
        return self._u64(600)

    @property
    def min_order_size(self) -> int:
        return self._u64(608)

    @property
    def initial_asset_weight(self) -> int:
        return self._u32(640)

    @property
    def initial_liability_weight(self) -> int:
        return self._u32(648)

    @property
    def maintenance_asset_weight(self) -> int:
        return self._u32(644)

    @property
    def maintenance_liability_weight(self) -> int:
        return self._u32(652)

    @property
    def decimals(self) -> int:
        return self._u32(680)

    @property
    def market_index(self) -> int:
        return self._u16(684)

    @property
    def orders_enabled(self) -> bool:
        return bool(self.buf[686])

    @property
    def oracle_source(self) -> int:
        return self.buf[687]

    @property
    def status(self) -> int:
        return self.buf[688]

    @property
    def paused_operations(self) -> int:
        return self.buf[690]

    @property
    def fee_adjustment(self) -> int:
        return _I16.unpack_from(self.buf, 692)[0]

    is_prediction = False


# ---------------------------------------------------------------- State
class StateView(_View):
    """The Drift ``State`` (992 bytes)."""

    __slots__ = ()

    def perp_fee_tier(self, i: int) -> tuple[int, ...]:
        """(fee_num, fee_den, rebate_num, rebate_den, ref_num, ref_den, referee_num, referee_den)."""
        return struct.unpack_from("<8I", self.buf, 168 + 32 * i)

    def spot_fee_tier(self, i: int) -> tuple[int, ...]:
        return struct.unpack_from("<8I", self.buf, 528 + 32 * i)

    @property
    def referrer_reward_epoch_upper_bound(self) -> int:
        return self._u64(512)

    @property
    def oracle_twap_5min_percent_divergence(self) -> int:
        return self._u64(896)

    @property
    def min_perp_auction_duration(self) -> int:
        return self.buf[971]

    @property
    def default_spot_auction_duration(self) -> int:
        return self.buf[973]

    @property
    def exchange_status(self) -> int:
        return self.buf[974]
