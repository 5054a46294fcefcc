"""A small hand-seeded Drift world for the executor tests, plus transaction builders.

Accounts are written byte-by-byte at the protocol §2 offsets (zero elsewhere); the offsets are
cross-checked against driftpy's Anchor decoder in ``test_program_layout``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from jitmaker.accounts.order import ORDER_STRUCT, Order
from jitmaker.chain.pdas import (
    perp_market_pda,
    spot_market_pda,
    state_pda,
    user_pda,
    user_stats_pda,
)
from jitmaker.sim.ledger import Account, Ledger
from jitmaker.sim.program import DRIFT, JIT_PROXY, ExecContext, OrderParams
from jitmaker.sim.program.constants import (
    COMPUTE_BUDGET,
    PERP_MARKET_DISC,
    PRELAUNCH_ORACLE_DISC,
    PRICE_UPDATE_V2_DISC,
    PYTH_RECEIVER,
    SPOT_MARKET_DISC,
    STATE_DISC,
    USER_DISC,
    USER_STATS_DISC,
    ix_discriminator,
)

SYSTEM = Pubkey.default()
ORACLE_PRICE = 150_123_456
TICK = 100
STEP = 10_000_000
MIN_ORDER = 10_000_000
LAMPORTS = 10_000_000_000


STATE_KEY = state_pda(DRIFT)


# ------------------------------------------------------------------ account images
def state_bytes(min_auction: int = 10, fee: tuple[int, ...] | None = None) -> bytes:
    buf = bytearray(992)
    buf[:8] = STATE_DISC
    tier = fee or (100, 100_000, 20, 100_000, 15, 100, 5, 100)
    for i in range(10):
        struct.pack_into("<8I", buf, 168 + 32 * i, *tier)
        struct.pack_into("<8I", buf, 528 + 32 * i, *tier)
    struct.pack_into("<Q", buf, 512, 10**12)  # referrer_reward_epoch_upper_bound
    struct.pack_into("<Q", buf, 520, 10_000)  # flat filler fee
    struct.pack_into("<Q", buf, 896, 100_000)  # oracle_twap_5min_percent_divergence
    buf[971] = min_auction
    return bytes(buf)


def perp_market_bytes(
    index: int,
    oracle: Pubkey,
    *,
    oracle_source: int = 7,
    reserve: int = 150_250_000,
    long_spread: int = 0,
    short_spread: int = 1_000,
    margin_ratio_initial: int = 1_000,
    twap_5min: int = ORACLE_PRICE,
    status: int = 1,
    mm_oracle: tuple[int, int] = (0, 0),
    amm_jit_intensity: int = 0,
    base_with_amm: int = 0,
    fee_adjustment: int = 0,
) -> bytes:
    buf = bytearray(1216)
    buf[:8] = PERP_MARKET_DISC
    buf[8:40] = bytes(perp_market_pda(index))
    buf[40:72] = bytes(oracle)
    struct.pack_into("<q", buf, 72, twap_5min)
    struct.pack_into("<q", buf, 104, twap_5min)
    big = 10**12
    buf[176:192] = big.to_bytes(16, "little")  # base reserve
    buf[192:208] = big.to_bytes(16, "little")  # quote reserve
    buf[272:288] = reserve.to_bytes(16, "little")  # peg → reserve price == peg
    struct.pack_into("<QQQ", buf, 808, STEP, TICK, MIN_ORDER)
    struct.pack_into("<Q", buf, 832, mm_oracle[1])
    struct.pack_into("<II", buf, 904, long_spread, short_spread)
    struct.pack_into("<q", buf, 912, mm_oracle[0])
    buf[925] = amm_jit_intensity
    buf[926] = oracle_source
    buf[336:352] = base_with_amm.to_bytes(16, "little", signed=True)
    struct.pack_into("<II", buf, 1136, margin_ratio_initial, margin_ratio_initial // 2)
    struct.pack_into("<H", buf, 1160, index)
    buf[1162] = status
    struct.pack_into("<h", buf, 1168, fee_adjustment)
    return bytes(buf)


def spot_market_bytes(
    index: int = 0,
    *,
    oracle: Pubkey | None = None,
    oracle_source: int = 2,  # QuoteAsset
    decimals: int = 6,
    step: int = 0,
    tick: int = 0,
    min_order: int = 0,
) -> bytes:
    buf = bytearray(776)
    buf[:8] = SPOT_MARKET_DISC
    buf[8:40] = bytes(spot_market_pda(index))
    if oracle is not None:
        buf[40:72] = bytes(oracle)
    buf[464:480] = (10**10).to_bytes(16, "little")
    buf[480:496] = (10**10).to_bytes(16, "little")
    struct.pack_into("<QQQ", buf, 592, step, tick, min_order)
    struct.pack_into("<IIII", buf, 640, 8_000, 9_000, 12_000, 11_000)  # asset/liability weights
    struct.pack_into("<I", buf, 680, decimals)
    struct.pack_into("<H", buf, 684, index)
    buf[686] = 1 if index else 0  # orders enabled (not for the quote asset)
    buf[687] = oracle_source
    buf[688] = 1
    return bytes(buf)


def pyth_pull_bytes(price: int, slot: int, exponent: int = -8) -> bytes:
    """PriceUpdateV2 (Full verification) for ``price`` in PRICE_PRECISION."""
    raw = price * 10 ** (-exponent - 6)
    buf = bytearray(8 + 32 + 1 + 32 + 8 + 8 + 4 + 8 + 8 + 8 + 8 + 8 + 1)
    buf[:8] = PRICE_UPDATE_V2_DISC
    buf[40] = 1  # Full
    off = 41 + 32
    struct.pack_into("<qQiqqqQQ", buf, off, raw, 1000, exponent, 0, 0, raw, 1000, slot)
    return bytes(buf)


def prelaunch_bytes(price: int, slot: int, market_index: int = 0) -> bytes:
    buf = bytearray(8 + 8 * 5 + 2 + 70)
    buf[:8] = PRELAUNCH_ORACLE_DISC
    struct.pack_into("<qqQQQH", buf, 8, price, price * 10, 0, slot, slot, market_index)
    return bytes(buf)


@dataclass
class Pos:
    market_index: int = 0
    base: int = 0
    quote: int = 0


def user_bytes(
    authority: Pubkey,
    *,
    usdc: int = 10_000 * 10**6,
    perps: list[Pos] | None = None,
    orders: list[Order] | None = None,
    delegate: Pubkey | None = None,
    next_order_id: int = 1,
    spots: list[tuple[int, int, int]] | None = None,
    margin_trading: bool = False,
) -> bytes:
    """``spots``: (market_index, signed token amount, decimals) after the USDC slot."""
    buf = bytearray(4376)
    buf[:8] = USER_DISC
    buf[8:40] = bytes(authority)
    if delegate is not None:
        buf[40:72] = bytes(delegate)
    if usdc:
        scaled = usdc * 1000  # SPOT_BALANCE_PRECISION 1e9 for 6-decimals USDC
        struct.pack_into("<Q", buf, 104, scaled)
        struct.pack_into("<q", buf, 104 + 24, usdc)
        struct.pack_into("<HBB", buf, 104 + 32, 0, 0, 0)
    for i, (index, tokens, decimals) in enumerate(spots or [], start=1):
        off = 104 + 40 * i
        scaled = abs(tokens) * 10 ** (9 - decimals)
        struct.pack_into("<Q", buf, off, scaled)
        struct.pack_into("<HBB", buf, off + 32, index, 0 if tokens >= 0 else 1, 0)
    buf[4349] = 1 if margin_trading else 0
    for i, pos in enumerate(perps or []):
        off = 424 + 96 * i
        struct.pack_into("<q", buf, off + 8, pos.base)
        struct.pack_into("<qqq", buf, off + 16, pos.quote, pos.quote, pos.quote)
        struct.pack_into("<H", buf, off + 92, pos.market_index)
    for i, order in enumerate(orders or []):
        ORDER_STRUCT.pack_into(buf, 1192 + 96 * i, *order)
    struct.pack_into("<I", buf, 4336, next_order_id)
    return bytes(buf)


def user_stats_bytes(authority: Pubkey, referrer: Pubkey | None = None) -> bytes:
    buf = bytearray(240)
    buf[:8] = USER_STATS_DISC
    buf[8:40] = bytes(authority)
    if referrer is not None:
        buf[40:72] = bytes(referrer)
        buf[188] = 0x02  # IsReferred
    return bytes(buf)


def alt_bytes(addresses: list[Pubkey]) -> bytes:
    meta = bytearray(56)
    struct.pack_into("<IQQB", meta, 0, 1, 2**64 - 1, 0, 0)
    return bytes(meta) + b"".join(bytes(a) for a in addresses)


# ------------------------------------------------------------------ the world
@dataclass
class Trader:
    kp: Keypair
    user: Pubkey
    stats: Pubkey

    @property
    def authority(self) -> Pubkey:
        return self.kp.pubkey()


@dataclass
class World:
    ledger: Ledger
    ctx: ExecContext
    oracle: Pubkey
    market: Pubkey
    spot: Pubkey
    blockhash: Hash
    traders: dict[str, Trader] = field(default_factory=dict)
    spot_markets: dict[int, tuple[Pubkey, Pubkey]] = field(default_factory=dict)

    def add_trader(
        self, name: str, seed: int, *, referrer: Trader | None = None, **user_kw
    ) -> Trader:
        kp = Keypair.from_seed(bytes([seed]) * 32)
        t = Trader(kp, user_pda(kp.pubkey()), user_stats_pda(kp.pubkey()))
        self.ledger.put(t.user, Account(LAMPORTS, user_bytes(kp.pubkey(), **user_kw), DRIFT), 0)
        ref = None if referrer is None else referrer.authority
        self.ledger.put(t.stats, Account(LAMPORTS, user_stats_bytes(kp.pubkey(), ref), DRIFT), 0)
        self.ledger.put(kp.pubkey(), Account(LAMPORTS, b"", SYSTEM), 0)
        self.traders[name] = t
        return t

    def add_spot_market(self, index: int = 1, price: int = ORACLE_PRICE) -> Pubkey:
        """A tradable spot market (9 decimals, step 0.01, tick 0.0001) with a Pyth pull oracle."""
        oracle = Pubkey.from_string("7UVimffxr9ow1uXYxsr4LHAcV58mLzhmwaeKvJ1pjLiE")
        self.ledger.put(
            oracle, Account(LAMPORTS, pyth_pull_bytes(price, self.ctx.slot - 1), PYTH_RECEIVER), 0
        )
        key = spot_market_pda(index)
        data = spot_market_bytes(
            index,
            oracle=oracle,
            oracle_source=7,
            decimals=9,
            step=STEP,
            tick=TICK,
            min_order=MIN_ORDER,
        )
        self.ledger.put(key, Account(LAMPORTS, data, DRIFT), 0)
        self.spot_markets[index] = (key, oracle)
        return key

    def spot_remaining_metas(self, index: int = 1) -> list[AccountMeta]:
        """Oracles, then spot markets 0 and ``index`` (both writable) — §5.1's spot order."""
        key, oracle = self.spot_markets[index]
        return [
            AccountMeta(oracle, False, False),
            AccountMeta(self.spot, False, True),
            AccountMeta(key, False, True),
        ]

    def remaining_metas(self) -> list[AccountMeta]:
        """Oracle, spot market 0, perp market 0 (writable) — Drift's §5.1 order."""
        return [
            AccountMeta(self.oracle, False, False),
            AccountMeta(self.spot, False, False),
            AccountMeta(self.market, False, True),
        ]

    def data(self, key: Pubkey) -> bytes:
        return self.ledger.get(key).data

    def commit(self, result) -> None:
        assert result.err is None, (result.err, result.logs)
        self.ledger.commit(result.changed, self.ctx.slot)


def make_world(
    *,
    slot: int = 1003,
    oracle_kind: str = "pyth",
    oracle_price: int = ORACLE_PRICE,
    min_auction: int = 10,
    **market_kw,
) -> World:
    ledger = Ledger()
    oracle = Pubkey.from_string("H6ARHf6YXhGYeQfUzQNGk6rDNnLBQKrenN712K4AQJEG")
    if oracle_kind == "pyth":
        ledger.put(
            oracle, Account(LAMPORTS, pyth_pull_bytes(oracle_price, slot - 1), PYTH_RECEIVER), 0
        )
        source = 7
    else:
        ledger.put(oracle, Account(LAMPORTS, prelaunch_bytes(oracle_price, slot - 1), DRIFT), 0)
        source = 6
    market = perp_market_pda(0)
    ledger.put(
        market,
        Account(LAMPORTS, perp_market_bytes(0, oracle, oracle_source=source, **market_kw), DRIFT),
        0,
    )
    spot = spot_market_pda(0)
    ledger.put(spot, Account(LAMPORTS, spot_market_bytes(0), DRIFT), 0)
    ledger.put(STATE_KEY, Account(LAMPORTS, state_bytes(min_auction), DRIFT), 0)
    blockhash = Hash.new_unique()
    ctx = ExecContext(
        slot=slot,
        block_height=slot - 100,
        unix_timestamp=1_700_000_000,
        blockhashes={blockhash: slot + 50},
    )
    return World(ledger, ctx, oracle, market, spot, blockhash)


# ------------------------------------------------------------------ instruction data
def _opt(fmt: str, value: int | None) -> bytes:
    return b"\0" if value is None else b"\1" + struct.pack(fmt, value)


def encode_order_params(p: OrderParams) -> bytes:
    """Borsh OrderParams (protocol §5.1), written independently of the decoder under test."""
    return (
        struct.pack(
            "<4BQQH?BB",
            p.order_type,
            p.market_type,
            p.direction,
            p.user_order_id,
            p.base_asset_amount,
            p.price,
            p.market_index,
            p.reduce_only,
            p.post_only,
            p.bit_flags,
        )
        + _opt("<q", p.max_ts)
        + _opt("<Q", p.trigger_price)
        + bytes([p.trigger_condition])
        + _opt("<i", p.oracle_price_offset)
        + _opt("<B", p.auction_duration)
        + _opt("<q", p.auction_start_price)
        + _opt("<q", p.auction_end_price)
    )


def place_and_make_ix(
    w: World,
    maker: Trader,
    taker: Trader,
    p: OrderParams,
    taker_order_id: int,
    *,
    signer: Keypair | None = None,
) -> Instruction:
    data = (
        ix_discriminator("place_and_make_perp_order")
        + encode_order_params(p)
        + struct.pack("<I", taker_order_id)
    )
    authority = (signer or maker.kp).pubkey()
    metas = [
        AccountMeta(STATE_KEY, False, False),
        AccountMeta(maker.user, False, True),
        AccountMeta(maker.stats, False, True),
        AccountMeta(taker.user, False, True),
        AccountMeta(taker.stats, False, True),
        AccountMeta(authority, True, False),
        *w.remaining_metas(),
    ]
    return Instruction(DRIFT, data, metas)


def jit_data(
    taker_order_id: int,
    max_pos: int,
    min_pos: int,
    bid: int,
    ask: int,
    price_type: int,
    post_only: int | None = 1,
) -> bytes:
    return (
        ix_discriminator("jit")
        + struct.pack("<Iqqqq", taker_order_id, max_pos, min_pos, bid, ask)
        + bytes([price_type])
        + (b"\0" if post_only is None else bytes([1, post_only]))
    )


def jit_ix(
    w: World,
    maker: Trader,
    taker: Trader,
    data: bytes,
    *,
    signer: Keypair | None = None,
    drift_program: Pubkey = DRIFT,
    remaining: list[AccountMeta] | None = None,
) -> Instruction:
    authority = (signer or maker.kp).pubkey()
    metas = [
        AccountMeta(STATE_KEY, False, False),
        AccountMeta(maker.user, False, True),
        AccountMeta(maker.stats, False, True),
        AccountMeta(taker.user, False, True),
        AccountMeta(taker.stats, False, True),
        AccountMeta(authority, True, False),
        AccountMeta(drift_program, False, False),
        *(w.remaining_metas() if remaining is None else remaining),
    ]
    return Instruction(JIT_PROXY, data, metas)


def cu_limit_ix(units: int) -> Instruction:
    return Instruction(COMPUTE_BUDGET, bytes([2]) + struct.pack("<I", units), [])


def cu_price_ix(micro_lamports: int) -> Instruction:
    return Instruction(COMPUTE_BUDGET, bytes([3]) + struct.pack("<Q", micro_lamports), [])


def tx_v0(
    w: World,
    payer: Keypair,
    ixs: list[Instruction],
    *,
    blockhash: Hash | None = None,
    alts=None,
    signers: list[Keypair] | None = None,
) -> bytes:
    msg = MessageV0.try_compile(payer.pubkey(), ixs, alts or [], blockhash or w.blockhash)
    return bytes(VersionedTransaction(msg, signers or [payer]))


def tx_legacy(w: World, payer: Keypair, ixs: list[Instruction]) -> bytes:
    msg = Message.new_with_blockhash(ixs, payer.pubkey(), w.blockhash)
    return bytes(VersionedTransaction(msg, [payer]))


# ------------------------------------------------------------------ scenario helpers
def read_user(w: World, key: Pubkey):
    from jitmaker.sim.program.layout import UserView

    return UserView(key, bytearray(w.data(key)))


def read_stats(w: World, key: Pubkey):
    from jitmaker.sim.program.layout import UserStatsView

    return UserStatsView(key, bytearray(w.data(key)))


def read_market(w: World):
    from jitmaker.sim.program.layout import PerpMarketView

    return PerpMarketView(w.market, bytearray(w.data(w.market)))


def place_taker(
    w: World,
    taker: Trader,
    direction: int,
    base: int,
    start: int,
    end: int,
    duration: int,
    *,
    at_slot: int,
    order_type: int = 0,
    price: int = 0,
    max_ts: int | None = None,
    post_only: int = 0,
    market_type: int = 1,
    market_index: int = 0,
) -> int:
    """Place a taker auction order at ``at_slot`` through the executor and commit it."""
    from jitmaker.sim.program import place_taker_order

    now_slot = w.ctx.slot
    w.ctx.slot = at_slot
    params = OrderParams(
        order_type=order_type,
        market_type=market_type,
        market_index=market_index,
        direction=direction,
        base_asset_amount=base,
        price=price,
        auction_start_price=start,
        auction_end_price=end,
        auction_duration=duration,
        max_ts=max_ts,
        post_only=post_only,
    )
    result = place_taker_order(w.ledger, w.ctx, taker.user, params)
    w.commit(result)
    w.ctx.slot = now_slot
    return result.order_id
