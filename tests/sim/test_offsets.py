"""The simulator's field offsets are derived from the product's record specs (sim/offsets.py);
these pin them to the byte offsets written down independently in protocol.md §2, so a layout
slip shows here and not only as a cross-check failure elsewhere."""

from __future__ import annotations

import struct

import pytest

from jitmaker.accounts.order import ORDER_FIELDS, ORDER_STRUCT
from jitmaker.accounts.perp_market import PerpMarket
from jitmaker.accounts.user import User
from jitmaker.sim.offsets import record_offsets, record_struct, struct_offsets

USER = {  # protocol.md §2.1
    "authority": 8,
    "delegate": 40,
    "name": 72,
    "spot_positions": 104,
    "perp_positions": 424,
    "orders": 1192,
    "total_deposits": 4272,
    "last_active_slot": 4328,
    "next_order_id": 4336,
    "sub_account_id": 4346,
    "status": 4348,
}
PERP_MARKET = {  # protocol.md §2.5
    "amm.oracle": 40,
    "amm.historical_oracle_data.last_oracle_price": 72,
    "amm.base_asset_reserve": 176,
    "amm.sqrt_k": 256,
    "amm.base_asset_amount_with_amm": 336,
    "amm.order_step_size": 808,
    "amm.order_tick_size": 816,
    "amm.min_order_size": 824,
    "amm.long_spread": 904,
    "amm.short_spread": 908,
    "amm.mm_oracle_price": 912,
    "amm.amm_jit_intensity": 925,
    "amm.oracle_source": 926,
    "amm.reference_price_offset": 960,
    "name": 1000,
    "margin_ratio_initial": 1136,
    "market_index": 1160,
    "status": 1162,
    "contract_type": 1163,
}
ORDER = {"slot": 0, "auction_start_price": 48, "oracle_price_offset": 72, "status": 82}  # §2.2


@pytest.mark.parametrize(
    "record,expected", [(User, USER), (PerpMarket, PERP_MARKET)], ids=["User", "PerpMarket"]
)
def test_record_offsets_match_the_protocol_doc(record, expected):
    layout = record_offsets(record)
    assert {name: layout[name][0] for name in expected} == expected


def test_order_field_offsets_within_the_slot():
    offsets = struct_offsets(ORDER_STRUCT)
    assert len(offsets) == len(ORDER_FIELDS)
    assert {n: offsets[ORDER_FIELDS.index(n)] for n in ORDER} == ORDER


def test_record_struct_is_the_products_layout():
    assert record_struct(User).size == 4376 - 8
    assert record_struct(PerpMarket).size == 1216 - 8


def test_struct_offsets_counts_repeats_and_skips_padding():
    assert struct_offsets(struct.Struct("<2Qx3sB?")) == [0, 8, 17, 20, 21]
