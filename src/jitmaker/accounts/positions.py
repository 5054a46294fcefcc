"""PerpPosition and SpotPosition records (8 of each in a User account).

Field names and order follow driftpy's bundled IDL (drift 2.142.0); newer program versions
renamed some PerpPosition fields without moving bytes (protocol.md §2.3), aliases are given.
"""

from __future__ import annotations

import struct

from jitmaker.accounts._layout import record
from jitmaker.accounts.enums import SpotBalanceType

__all__ = [
    "PERP_POSITION_SIZE",
    "PERP_POSITION_STRUCT",
    "SPOT_POSITION_SIZE",
    "SPOT_POSITION_STRUCT",
    "PerpPosition",
    "SpotPosition",
]


class _PerpPositionMixin:
    __slots__ = ()

    @property
    def is_available(self) -> bool:
        """Slot is free: no base, no unsettled quote, no open orders, no LP shares."""
        return (
            self[1] == 0
            and self[2] == 0
            and self[14] == 0
            and self[8] == 0
            and self[5] == 0
            and self[6] == 0
        )  # type: ignore[index]

    @property
    def is_open_position(self) -> bool:
        return self[1] != 0  # type: ignore[index]

    @property
    def isolated_position_scaled_balance(self) -> int:
        """Newer IDL name of the u64 at offset 72 (IDL 2.142: last_base_asset_amount_per_lp, i64)."""
        return self[9] & 0xFFFFFFFFFFFFFFFF  # type: ignore[index]

    @property
    def position_flag(self) -> int:
        """Newer IDL name of the byte at offset 95 (IDL 2.142: per_lp_base, i8)."""
        return self[15] & 0xFF  # type: ignore[index]


PerpPosition = record(
    "PerpPosition",
    [
        ("last_cumulative_funding_rate", "i64"),
        ("base_asset_amount", "i64"),
        ("quote_asset_amount", "i64"),
        ("quote_break_even_amount", "i64"),
        ("quote_entry_amount", "i64"),
        ("open_bids", "i64"),
        ("open_asks", "i64"),
        ("settled_pnl", "i64"),
        ("lp_shares", "u64"),
        ("last_base_asset_amount_per_lp", "i64"),
        ("last_quote_asset_amount_per_lp", "i64"),
        ("padding", ("bytes", 2)),
        ("max_margin_ratio", "u16"),
        ("market_index", "u16"),
        ("open_orders", "u8"),
        ("per_lp_base", "i8"),
    ],
    mixin=_PerpPositionMixin,
    doc="One perp position slot (96 bytes); base amounts BASE 1e9, quote QUOTE 1e6.",
)


class _SpotPositionMixin:
    __slots__ = ()

    @property
    def is_available(self) -> bool:
        """Slot is free: zero scaled balance and no open orders."""
        return self[0] == 0 and self[6] == 0  # type: ignore[index]


SpotPosition = record(
    "SpotPosition",
    [
        ("scaled_balance", "u64"),
        ("open_bids", "i64"),
        ("open_asks", "i64"),
        ("cumulative_deposits", "i64"),
        ("market_index", "u16"),
        ("balance_type", SpotBalanceType),
        ("open_orders", "u8"),
        ("padding", ("bytes", 4)),
    ],
    mixin=_SpotPositionMixin,
    doc="One spot position slot (40 bytes); scaled_balance in SPOT_BALANCE_PRECISION 1e9.",
)

PERP_POSITION_STRUCT = struct.Struct("<8qQ2q2s2HBb")
SPOT_POSITION_STRUCT = struct.Struct("<Q3qHBB4s")
PERP_POSITION_SIZE = PERP_POSITION_STRUCT.size
SPOT_POSITION_SIZE = SPOT_POSITION_STRUCT.size
assert PERP_POSITION_SIZE == PerpPosition.SIZE == 96
assert SPOT_POSITION_SIZE == SpotPosition.SIZE == 40
