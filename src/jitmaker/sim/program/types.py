"""The executor's shared records: context in, result out, fills, and Drift's OrderParams."""

from __future__ import annotations

from dataclasses import dataclass, field

from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.signature import Signature

from jitmaker.accounts.enums import (
    MarketType,
    OrderTriggerCondition,
    OrderType,
    PositionDirection,
    PostOnlyParam,
)
from jitmaker.sim.ledger import Account
from jitmaker.sim.program.constants import DRIFT, JIT_PROXY

__all__ = ["ExecContext", "ExecResult", "FillRecord", "OrderParams"]

IOC_FLAG = 1


@dataclass
class ExecContext:
    """What the bank knows when it executes a transaction (clock, recent blockhashes, status cache).

    ``amm_jit_in_place_and_make``: let the AMM take its JIT split (§5.4) inside place_and_make
    (off by default: the simulated maker then gets min(maker, taker) exactly).
    ``amm_in_place_and_make``: let the AMM also fill the taker inside place_and_make where its
    quote is better than the maker / crossed after the maker (as on chain once the order is
    "low risk"; off by default).
    ``amm_fills``: whether keeper fills may use the AMM after resting makers.
    """

    slot: int
    block_height: int
    unix_timestamp: int
    blockhashes: dict[Hash, int] = field(default_factory=dict)
    processed: set[Signature] = field(default_factory=set)
    verify_signatures: bool = True
    drift_program_id: Pubkey = DRIFT
    jit_proxy_program_id: Pubkey = JIT_PROXY
    amm_jit_in_place_and_make: bool = False
    amm_in_place_and_make: bool = False
    amm_fills: bool = True


@dataclass
class FillRecord:
    """One match: the taker against one maker (``maker is None`` = the AMM)."""

    market_type: MarketType
    market_index: int
    taker: Pubkey
    taker_order_id: int
    maker: Pubkey | None
    maker_order_id: int | None
    base: int
    quote: int
    price: int
    slot: int
    taker_fee: int
    maker_rebate: int
    taker_direction: PositionDirection = PositionDirection.LONG


@dataclass
class ExecResult:
    """Outcome of one transaction (or one direct program call).

    ``err`` is the TransactionError JSON exactly as the RPC shows it; on error ``changed`` and
    ``fills`` are empty (the transaction is atomic).
    """

    signature: Signature | None
    err: dict | str | None
    logs: list[str] = field(default_factory=list)
    units_consumed: int = 0
    changed: dict[Pubkey, Account] = field(default_factory=dict)
    fills: list[FillRecord] = field(default_factory=list)
    order_id: int | None = None  # id of the order placed (place_taker_order)

    @property
    def ok(self) -> bool:
        return self.err is None


@dataclass
class OrderParams:
    """Drift's ``OrderParams`` (IDL field order); ``None`` = Borsh ``Option::None``."""

    order_type: OrderType
    market_type: MarketType
    direction: PositionDirection
    base_asset_amount: int
    price: int = 0
    market_index: int = 0
    user_order_id: int = 0
    reduce_only: bool = False
    post_only: PostOnlyParam = PostOnlyParam.NONE
    bit_flags: int = 0
    max_ts: int | None = None
    trigger_price: int | None = None
    trigger_condition: OrderTriggerCondition = OrderTriggerCondition.ABOVE
    oracle_price_offset: int | None = None
    auction_duration: int | None = None
    auction_start_price: int | None = None
    auction_end_price: int | None = None

    @property
    def immediate_or_cancel(self) -> bool:
        return bool(self.bit_flags & IOC_FLAG)

    @classmethod
    def from_anchor(cls, p: object) -> OrderParams:
        """From anchorpy's decoded ``OrderParams`` (enum variants carry ``.index``)."""
        g = p.__getattribute__
        return cls(
            order_type=OrderType(g("order_type").index),
            market_type=MarketType(g("market_type").index),
            direction=PositionDirection(g("direction").index),
            base_asset_amount=g("base_asset_amount"),
            price=g("price"),
            market_index=g("market_index"),
            user_order_id=g("user_order_id"),
            reduce_only=bool(g("reduce_only")),
            post_only=PostOnlyParam(g("post_only").index),
            bit_flags=g("bit_flags"),
            max_ts=g("max_ts"),
            trigger_price=g("trigger_price"),
            trigger_condition=OrderTriggerCondition(g("trigger_condition").index),
            oracle_price_offset=g("oracle_price_offset"),
            auction_duration=g("auction_duration"),
            auction_start_price=g("auction_start_price"),
            auction_end_price=g("auction_end_price"),
        )
