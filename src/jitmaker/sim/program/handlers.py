"""Instruction handlers: Drift place/place_and_make/cancel and jit-proxy ``jit`` (§5.1, §6).

Each handler validates its Anchor accounts in the program's order (owner, discriminator,
signer, program id, then ``mut`` and raw constraints), decodes nothing itself (the executor
hands it decoded arguments) and raises ``ProgramError`` on failure.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from solders.pubkey import Pubkey

from jitmaker.accounts.enums import (
    MarketType,
    OrderStatus,
    OrderType,
    PositionDirection,
    PostOnlyParam,
)
from jitmaker.accounts.order import I_DIRECTION, I_ORDER_ID, I_STATUS
from jitmaker.accounts.state import STATE_SIZE, State
from jitmaker.accounts.user import USER_SIZE
from jitmaker.accounts.user_stats import USER_STATS_SIZE
from jitmaker.sim.offsets import record_offsets
from jitmaker.sim.program import spot as spot_rules
from jitmaker.sim.program.constants import (
    STATE_DISC,
    USER_DISC,
    USER_STATS_DISC,
)
from jitmaker.sim.program.drift import DriftEngine, Maker
from jitmaker.sim.program.errors import (
    AccountError,
    anchor_error,
    drift_error,
    jit_error,
)
from jitmaker.sim.program.layout import MAX_ORDERS, StateView, UserView
from jitmaker.sim.program.state import load_maps
from jitmaker.sim.program.types import IOC_FLAG, OrderParams

__all__ = ["IxAccount", "JitParams", "decode_jit_params", "drift_ix", "jit_ix"]

_SYSTEM = Pubkey.default()
_SIZES = {STATE_DISC: STATE_SIZE, USER_DISC: USER_SIZE, USER_STATS_DISC: USER_STATS_SIZE}
_EXCHANGE_STATUS = record_offsets(State)["exchange_status"][0]


@dataclass(frozen=True, slots=True)
class IxAccount:
    key: Pubkey
    writable: bool
    signer: bool


@dataclass(frozen=True, slots=True)
class JitParams:
    """jit-proxy ``JitParams`` (protocol §6.2)."""

    taker_order_id: int
    max_position: int
    min_position: int
    bid: int
    ask: int
    price_type: int  # 0 Limit, 1 Oracle
    post_only: PostOnlyParam | None


_JIT_HEAD = struct.Struct("<Iqqqq")


def decode_jit_params(data: bytes) -> JitParams:
    """Borsh-decode ``JitParams`` after the 8-byte discriminator; ValueError when malformed."""
    if len(data) < 8 + _JIT_HEAD.size + 2:
        raise ValueError("jit params too short")
    order_id, max_pos, min_pos, bid, ask = _JIT_HEAD.unpack_from(data, 8)
    off = 8 + _JIT_HEAD.size
    price_type = data[off]
    tag = data[off + 1]
    if price_type > 1 or tag > 1:
        raise ValueError("bad enum/option tag")
    post_only = None
    if tag == 1:
        if len(data) < off + 3 or data[off + 2] > 3:
            raise ValueError("bad post_only")
        post_only = PostOnlyParam(data[off + 2])
    return JitParams(order_id, max_pos, min_pos, bid, ask, price_type, post_only)


class Env:
    """What a handler needs: the engine, the program id and the CPI depth for logs."""

    def __init__(self, engine: DriftEngine, drift_id: Pubkey, jit_id: Pubkey) -> None:
        self.engine = engine
        self.drift_id = drift_id
        self.jit_id = jit_id


def _load(
    env: Env, acc: IxAccount, name: str, disc: bytes, program: Pubkey, *, loader: bool = True
) -> bytes | bytearray:
    """Anchor's ``AccountLoader::try_from`` (owner, then discriminator) or, with
    ``loader=False``, ``Account::try_from`` (which first reports an empty system account as
    AccountNotInitialized)."""
    work = env.engine.work
    account = work.account(acc.key)
    missing = account is None or (account.owner == _SYSTEM and account.lamports == 0)
    if missing and not loader:
        raise AccountError(3012, name)
    if account is None or account.owner != program:
        raise AccountError(3007, name)
    data = work.data(acc.key)
    if len(data) < 8:
        raise AccountError(3001, name)
    if bytes(data[:8]) != disc:
        raise AccountError(3002, name)
    if len(data) < _SIZES.get(disc, 0):
        raise AccountError(3003, name)
    return data


def _need(accounts: list[IxAccount], n: int) -> None:
    if len(accounts) < n:
        raise anchor_error(3005)


# ---------------------------------------------------------------------------- Drift
_MAKE_ACCOUNTS = ("state", "user", "user_stats", "taker", "taker_stats", "authority")


def _load_make_accounts(env: Env, accounts: list[IxAccount]) -> None:
    """Anchor's checks of the ``_MAKE_ACCOUNTS`` that place_and_make and jit-proxy's ``jit``
    both start with: State, then the maker's and taker's User/UserStats, then the signer."""
    state_acc, user_acc, stats_acc, taker_acc, tstats_acc, auth = accounts[:6]
    _load(env, state_acc, "state", STATE_DISC, env.drift_id, loader=False)
    for acc, name, disc in (
        (user_acc, "user", USER_DISC),
        (stats_acc, "user_stats", USER_STATS_DISC),
        (taker_acc, "taker", USER_DISC),
        (tstats_acc, "taker_stats", USER_STATS_DISC),
    ):
        _load(env, acc, name, disc, env.drift_id)
    if not auth.signer:
        raise AccountError(3010, "authority")


def _check_user_signer(user: UserView, authority: IxAccount) -> None:
    """``can_sign_for_user``: authority is the user's authority or its non-zero delegate."""
    if not authority.signer:
        raise AccountError(3010, "authority")
    delegate = user.delegate
    if authority.key != user.authority and (delegate == _SYSTEM or authority.key != delegate):
        raise AccountError(2003, "user")


def place_and_make(
    env: Env,
    accounts: list[IxAccount],
    params: OrderParams,
    taker_order_id: int,
    *,
    spot: bool = False,
) -> None:
    """``handle_place_and_make_perp_order`` (§5.1); spot is simplified (see package doc)."""
    engine = env.engine
    work = engine.work
    _need(accounts, 6)
    state_acc, user_acc, stats_acc, taker_acc, tstats_acc, auth = accounts[:6]
    _load_make_accounts(env, accounts)
    state = StateView(state_acc.key, work.buf(state_acc.key))
    user = work.user(user_acc.key)
    user_stats = work.stats(stats_acc.key)
    taker = work.user(taker_acc.key)
    taker_stats = work.stats(tstats_acc.key)
    # Anchor constraints field by field: mut, then the raw constraint
    if not user_acc.writable:
        raise AccountError(2000, "user")
    _check_user_signer(user, auth)
    if not stats_acc.writable:
        raise AccountError(2000, "user_stats")
    if user_stats.authority != user.authority:
        raise AccountError(2003, "user_stats")
    if not taker_acc.writable:
        raise AccountError(2000, "taker")
    if not tstats_acc.writable:
        raise AccountError(2000, "taker_stats")
    if taker_stats.authority != taker.authority:
        raise AccountError(2003, "taker_stats")
    if state.exchange_status & 8:  # access_control(fill_not_paused)
        raise drift_error("ExchangePaused")
    remaining = [(a.key, a.writable) for a in accounts[6:]]
    if spot:
        maps = load_maps(
            work,
            remaining,
            env.drift_id,
            writable_spot=frozenset({0, params.market_index}),
            user_pairs=True,
        )
    else:
        maps = load_maps(
            work, remaining, env.drift_id, frozenset({params.market_index}), user_pairs=True
        )
    if not (
        params.bit_flags & IOC_FLAG
        and params.post_only != PostOnlyParam.NONE
        and params.order_type == OrderType.LIMIT
    ):
        raise drift_error(
            "InvalidOrderIOCPostOnly", "place_and_make must use IOC post only limit order"
        )
    if spot:
        order_id = spot_rules.place_spot_order(engine, state, user, params, maps)
        if order_id is None:
            return
        spot_rules.fill_spot_jit(
            engine, state, taker, taker_stats, taker_order_id, maps, user, user_stats, order_id
        )
        _cancel_if_open(engine, user, order_id)
        return
    order_id = engine.place_perp_order(state, user, params, maps)
    if order_id is None:
        return
    maker = Maker(user, user_stats)
    engine.fill_perp_order(
        state,
        taker,
        taker_stats,
        taker_order_id,
        maps,
        [maker],
        jit_maker_order_id=order_id,
        use_amm=engine.ctx.amm_in_place_and_make,
        amm_jit=engine.ctx.amm_jit_in_place_and_make,
        referrer_users=[work.user(k) for k, _ in maps.users] + [user],
        referrer_stats=[work.stats(k) for k, _ in maps.stats] + [user_stats],
    )
    _cancel_if_open(engine, user, order_id)


def _cancel_if_open(engine: DriftEngine, user: UserView, order_id: int) -> None:
    """IOC: the maker's unfilled remainder never rests."""
    for i in range(MAX_ORDERS):
        order = user.order(i)
        if order[I_ORDER_ID] == order_id and order[I_STATUS] == OrderStatus.OPEN:
            engine.cancel_order(user, i, None)


def _signed_user_ix(env: Env, accounts: list[IxAccount]) -> tuple[IxAccount, UserView]:
    """The (state, user, authority) prefix shared by place and cancel: load both accounts,
    check the authority signs for a writable user, and ``access_control(exchange_not_paused)``."""
    work = env.engine.work
    _need(accounts, 3)
    state_acc, user_acc, auth = accounts[:3]
    _load(env, state_acc, "state", STATE_DISC, env.drift_id, loader=False)
    _load(env, user_acc, "user", USER_DISC, env.drift_id)
    if not auth.signer:
        raise AccountError(3010, "authority")
    if not user_acc.writable:
        raise AccountError(2000, "user")
    user = work.user(user_acc.key)
    _check_user_signer(user, auth)
    if work.data(state_acc.key)[_EXCHANGE_STATUS] == 0xFF:  # read without a copy
        raise drift_error("ExchangePaused")
    return state_acc, user


def place_perp(env: Env, accounts: list[IxAccount], params: OrderParams) -> int | None:
    """``handle_place_perp_order`` (state, user, authority)."""
    engine = env.engine
    state_acc, user = _signed_user_ix(env, accounts)
    state = StateView(state_acc.key, engine.work.buf(state_acc.key))
    if params.immediate_or_cancel:
        raise drift_error("InvalidOrderIOC", "must use place and take for IOC orders")
    maps = load_maps(engine.work, [(a.key, a.writable) for a in accounts[3:]], env.drift_id)
    return engine.place_perp_order(state, user, params, maps)


def cancel(env: Env, accounts: list[IxAccount], order_id: int | None) -> None:
    """``handle_cancel_order`` (None = the last placed order)."""
    engine = env.engine
    _state_acc, user = _signed_user_ix(env, accounts)
    target = order_id if order_id is not None else user.next_order_id - 1
    index = user.find_open_order(target)
    if index is None:
        raise drift_error("OrderDoesNotExist", f"could not find open order id {target}")
    engine.cancel_order(user, index, None)


def drift_ix(env: Env, name: str, accounts: list[IxAccount], args: dict) -> None:
    """Dispatch one decoded Drift instruction."""
    if name == "place_and_make_perp_order":
        place_and_make(
            env, accounts, OrderParams.from_anchor(args["params"]), args["taker_order_id"]
        )
    elif name == "place_and_make_spot_order":
        place_and_make(
            env,
            accounts,
            OrderParams.from_anchor(args["params"]),
            args["taker_order_id"],
            spot=True,
        )
    elif name == "place_perp_order":
        place_perp(env, accounts, OrderParams.from_anchor(args["params"]))
    elif name == "cancel_order":
        cancel(env, accounts, args.get("order_id"))
    else:
        raise drift_error("DefaultError", f"instruction {name} is not simulated")


# ---------------------------------------------------------------------------- jit-proxy
def jit_ix(env: Env, accounts: list[IxAccount], params: JitParams, cpi) -> None:
    """jit-proxy ``jit`` (§6.3). ``cpi(accounts, order_params, taker_order_id, spot)`` runs
    Drift's place_and_make_perp_order (or _spot_order)."""
    engine = env.engine
    work = engine.work
    _need(accounts, 7)
    state_acc, user_acc, stats_acc, taker_acc, tstats_acc, auth, prog = accounts[:7]
    _load_make_accounts(env, accounts)
    if prog.key != env.drift_id:
        raise AccountError(3008, "drift_program")
    for acc, name in (
        (user_acc, "user"),
        (stats_acc, "user_stats"),
        (taker_acc, "taker"),
        (tstats_acc, "taker_stats"),
    ):
        if not acc.writable:
            raise AccountError(2000, name)
    taker = work.user(taker_acc.key)
    maker = work.user(user_acc.key)
    remaining = accounts[7:]
    maps = load_maps(work, [(a.key, a.writable) for a in remaining], env.drift_id)
    t_index = taker.find_open_order(params.taker_order_id)
    if t_index is None:
        raise jit_error("TakerOrderNotFound")
    t_order = taker.order(t_index)
    is_perp = t_order.market_type == MarketType.PERP
    if is_perp:
        market = maps.perp_market(work, t_order.market_index, writable=False)
        oracle = engine.oracle_price(market, maps)
    else:
        market = spot_rules.spot_market(engine, maps, t_order.market_index, writable=False)
        oracle = spot_rules.spot_oracle_price(engine, market, maps)
    taker_dir = t_order[I_DIRECTION]
    maker_dir = PositionDirection.SHORT if taker_dir == 0 else PositionDirection.LONG
    if taker_dir == 0:  # taker long: maker sells at ask
        worst = abs(params.ask) if params.price_type == 0 else abs(oracle + params.ask)
    else:
        worst = abs(params.bid) if params.price_type == 0 else abs(oracle + params.bid)
    slot = engine.ctx.slot
    slots_left = t_order.slot + t_order.auction_duration - slot
    engine.log(
        f"slot = {slot} auction duration = {t_order.auction_duration} slots_left = {slots_left}"
    )
    engine.log(
        f"taker order type {t_order.order_type.name} auction start {t_order.auction_start_price}"
        f" auction end {t_order.auction_end_price} limit price {t_order.price}"
        f" oracle price offset {t_order.oracle_price_offset}"
    )
    min_size = market.min_order_size
    taker_price = engine.limit_price_of(t_order, market, oracle)
    amm_bid, amm_ask = (market.amm_bid(), market.amm_ask()) if is_perp else (0, 0)
    if taker_price is None and is_perp:
        taker_price = amm_ask if taker_dir == 0 else amm_bid
        engine.log("taker order didnt have price. deriving fallback")
    elif taker_price is None:
        engine.log("taker order didnt have price")
        raise jit_error("TakerOrderNotFound")
    if maker_dir == PositionDirection.LONG:
        if taker_price > worst:
            raise jit_error("BidNotCrossed", f"taker price {taker_price} > worst bid {worst}")
        maker_price = min(amm_bid, worst) if taker_price <= amm_bid else taker_price
    else:
        if taker_price < worst:
            raise jit_error("AskNotCrossed", f"taker price {taker_price} < worst ask {worst}")
        maker_price = max(amm_ask, worst) if taker_price >= amm_ask else taker_price
    if not is_perp:
        maker_price = taker_price
    unfilled = t_order.unfilled
    size_basis = max(unfilled, min_size)
    if is_perp:
        existing = maker.perp_base(t_order.market_index)
    else:
        existing = spot_rules.signed_token_amount(maker.find_spot(t_order.market_index), market)
    if maker_dir == PositionDirection.LONG:
        room = params.max_position - existing
    else:
        room = existing - params.min_position
    if room <= min_size:
        if maker_dir == PositionDirection.LONG:
            text = (
                f"maker existing position {existing} >= max position {params.max_position}"
                f" + min order size {min_size}"
            )
        else:
            text = (
                f"maker existing position {existing} <= min position {params.min_position}"
                f" + min order size {min_size}"
            )
        raise jit_error("PositionLimitBreached", text)
    size = min(abs(room), size_basis)
    order_params = OrderParams(
        order_type=OrderType.LIMIT,
        market_type=t_order.market_type,
        direction=maker_dir,
        base_asset_amount=size,
        price=maker_price,
        market_index=t_order.market_index,
        user_order_id=0,
        reduce_only=False,
        post_only=params.post_only
        if params.post_only is not None
        else PostOnlyParam.MUST_POST_ONLY,
        bit_flags=IOC_FLAG,
    )
    cpi_accounts = [state_acc, user_acc, stats_acc, taker_acc, tstats_acc, auth, *remaining]
    cpi(cpi_accounts, order_params, params.taker_order_id, not is_perp)
    t_order_after = taker.order(t_index)
    after = t_order_after.unfilled if t_order_after[I_STATUS] == OrderStatus.OPEN else 0
    if after == size_basis:
        engine.log(
            f"taker price = {taker_price} maker price = {maker_price} oracle price = {oracle}"
        )
        engine.log(f"jit params {params}")
        if is_perp:
            engine.log(f"vamm bid price = {amm_bid} vamm ask price = {amm_ask}")
        raise jit_error("NoFill")
