"""Maker transaction build + sign: jitmaker.chain against driftpy/jit-proxy's path.

Workload (baseline.md §3d): one ``jit`` transaction = ComputeBudget limit + price + jit,
v0 with a 256-key market lookup table, signed by the maker. The taker holds perp 0 and a
USDC deposit; the maker holds perps 0 and 1 and USDC; the order is on perp 0.

Baseline, same inputs in the same run, mirroring ``JitProxyClient.jit`` (drift-jit-proxy
0.1.6, not installable next to driftpy 0.8.89) step by step with the installed packages:
driftpy's own ``DriftClient.get_remaining_accounts`` code (run on an offline stand-in
client), driftpy's uncached PDA helpers, an anchorpy ``Program`` built from the minimal
jit-proxy IDL fixture (``program.type["JitParams"]`` + ``program.instruction["jit"]``),
solders compute-budget instructions, ``MessageV0.try_compile`` + ``VersionedTransaction``
and ``bytes(tx)``. place_and_make_perp_order is measured the same way against anchorpy's
Drift ``Program`` from driftpy's IDL.

Ours: ``MakerTxBuilder.jit`` / ``.place_and_make`` on a warm template (same taker shape as
the previous auction) and on a cold one (template dropped before each call). Per-op
figures are medians of per-call samples; p99 is reported alongside.
"""

from __future__ import annotations

import gc
import statistics
from pathlib import Path
from types import SimpleNamespace

import driftpy
from anchorpy import Context, Idl, Program, Provider, Wallet
from driftpy import addresses
from driftpy.drift_client import DriftClient
from driftpy.types import OracleSource as DpOracleSource
from solana.rpc.async_api import AsyncClient
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from bench.util import percentile, row, samples
from jitmaker.accounts.enums import MarketType, PositionDirection, PostOnlyParam
from jitmaker.chain.instructions import (
    JitParams,
    OrderParams,
    PriceType,
    encode_jit_data,
)
from jitmaker.chain.maker_tx import MakerTxBuilder, TakerRef
from jitmaker.chain.message import (
    compile_message_v0,
    keypair_signer,
    prepare_lookup_tables,
    serialize_transaction,
)
from jitmaker.chain.pdas import DRIFT_PROGRAM_ID, JIT_PROXY_PROGRAM_ID, perp_market_pda, state_pda
from jitmaker.chain.remaining import (
    MarketDirectory,
    PerpMarketRef,
    SpotMarketRef,
    user_markets,
)

TARGET_JIT_S = 150e-6
FIXTURE = Path(__file__).parents[1] / "tests" / "chain" / "fixtures" / "jit_proxy_jit_idl.json"
N_PERP, N_SPOT = 10, 4
CU_LIMIT, CU_PRICE = 400_000, 10_000


def _key(tag: int, i: int) -> Pubkey:
    return Pubkey.from_bytes(bytes([tag, i]) + bytes(29) + b"\x01")


PERPS = [PerpMarketRef(i, _key(1, i)) for i in range(N_PERP)]
SPOTS = [SpotMarketRef(i, _key(2, i), vault=_key(3, i)) for i in range(N_SPOT)]


class _OfflineDriftClient:
    """driftpy's remaining-account methods over in-memory markets (no RPC)."""

    get_remaining_accounts = DriftClient.get_remaining_accounts
    get_remaining_accounts_for_users = DriftClient.get_remaining_accounts_for_users
    add_perp_market_to_remaining_account_maps = (
        DriftClient.add_perp_market_to_remaining_account_maps
    )
    add_spot_market_to_remaining_account_maps = (
        DriftClient.add_spot_market_to_remaining_account_maps
    )

    def __init__(self) -> None:
        self.last_perp_market_seen_cache: dict = {}
        self.last_spot_market_seen_cache: dict = {}
        self._user = SimpleNamespace(get_user_account_and_slot=lambda: SimpleNamespace(slot=0))
        self._perps = [
            SimpleNamespace(
                pubkey=perp_market_pda(m.market_index),
                amm=SimpleNamespace(oracle=m.oracle, oracle_source=DpOracleSource.PythPull()),
                quote_spot_market_index=0,
            )
            for m in PERPS
        ]
        self._spots = [
            SimpleNamespace(
                pubkey=addresses.get_spot_market_public_key(DRIFT_PROGRAM_ID, m.market_index),
                oracle=m.oracle,
                vault=m.vault,
            )
            for m in SPOTS
        ]

    def get_user(self):
        return self._user

    def get_perp_market_account(self, i):
        return self._perps[i]

    def get_spot_market_account(self, i):
        return self._spots[i]


def _perp_pos(i: int, base: int) -> SimpleNamespace:
    return SimpleNamespace(
        market_index=i, base_asset_amount=base, quote_asset_amount=-base // 10,
        open_orders=0, lp_shares=0,
    )  # fmt: skip


def _spot_pos(i: int, balance: int) -> SimpleNamespace:
    return SimpleNamespace(
        market_index=i, scaled_balance=balance, open_orders=0, open_bids=0, open_asks=0
    )


def _empty_perp(i: int) -> SimpleNamespace:
    return _perp_pos(i, 0)


def _user(perps: dict[int, int], spots: dict[int, int]) -> SimpleNamespace:
    """A driftpy-shaped User: 8 perp slots and 8 spot slots, like the real account."""
    perp_slots = [_perp_pos(i, b) for i, b in perps.items()]
    perp_slots += [_empty_perp(0) for _ in range(8 - len(perp_slots))]
    spot_slots = [_spot_pos(i, b) for i, b in spots.items()]
    spot_slots += [_spot_pos(0, 0) for _ in range(8 - len(spot_slots))]
    return SimpleNamespace(perp_positions=perp_slots, spot_positions=spot_slots)


def _lookup_table() -> AddressLookupTableAccount:
    keys = [state_pda(), DRIFT_PROGRAM_ID]
    keys += [perp_market_pda(i) for i in range(N_PERP)]
    keys += [s.pubkey for s in _OfflineDriftClient()._spots]
    keys += [m.oracle for m in PERPS] + [m.oracle for m in SPOTS]
    keys += [_key(7, i) for i in range(256 - len(keys))]
    return AddressLookupTableAccount(_key(8, 0), keys)


def _nacl_signer(keypair: Keypair):
    try:
        from nacl.bindings import crypto_sign
    except ImportError:
        return None
    secret = bytes(keypair)  # 64 bytes: seed + public key, libsodium's secret key format

    def sign(message: bytes) -> bytes:
        return crypto_sign(message, secret)[:64]

    return sign


def _stats(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), percentile(values, 99)


def _measure(fn, number: int) -> tuple[float, float]:
    for _ in range(min(200, number)):
        fn()  # warm caches/templates and the interpreter
    gc.collect()
    return _stats(samples(fn, number))


def run(quick: bool = False) -> list[dict]:
    number = 300 if quick else 3000
    maker = Keypair.from_seed(bytes([5]) * 32)
    table = _lookup_table()
    blockhash = Hash(bytes(range(32)))
    taker_user = _user({0: -2_000_000_000}, {0: 10**9})
    maker_user = _user({0: 3_000_000_000, 1: 10**9}, {0: 5 * 10**9})
    taker_key, taker_stats = _key(4, 1), _key(5, 1)
    params = JitParams(
        17, 5 * 10**9, -3 * 10**9, -40_000, 40_000, PriceType.ORACLE, PostOnlyParam.MUST_POST_ONLY
    )

    # ---- ours ------------------------------------------------------------------------------
    directory = MarketDirectory(PERPS, SPOTS)
    builder = MakerTxBuilder(
        maker, directory, maker_markets=user_markets(maker_user), lookup_tables=[table]
    )
    taker = TakerRef(taker_key, taker_stats, user_markets(taker_user))

    def ours_jit():
        return builder.jit(
            taker, params, blockhash=blockhash, market_index=0, cu_limit=CU_LIMIT, cu_price=CU_PRICE
        )

    def ours_jit_cold():
        builder.invalidate()
        directory._cache.clear()  # also recompute remaining accounts
        fresh_taker = TakerRef(taker_key, taker_stats, user_markets(taker_user))
        return builder.jit(
            fresh_taker,
            params,
            blockhash=blockhash,
            market_index=0,
            cu_limit=CU_LIMIT,
            cu_price=CU_PRICE,
        )

    # ---- driftpy / jit-proxy path -------------------------------------------------------------
    client = _OfflineDriftClient()
    provider = Provider(AsyncClient("http://127.0.0.1:9"), Wallet(maker))  # never contacted
    jit_program = Program(Idl.from_json(FIXTURE.read_text()), JIT_PROXY_PROGRAM_ID, provider)
    drift_idl = Path(driftpy.__file__).parent / "idl" / "drift.json"
    drift_program = Program(Idl.from_json(drift_idl.read_text()), DRIFT_PROGRAM_ID, provider)
    jt = jit_program.type
    dt = drift_program.type
    authority = maker.pubkey()

    def driftpy_remaining():
        return client.get_remaining_accounts(
            user_accounts=[taker_user, maker_user], writable_perp_market_indexes=[0]
        )

    def driftpy_jit_ix():
        jit_params = jt["JitParams"](
            taker_order_id=params.taker_order_id,
            max_position=params.max_position,
            min_position=params.min_position,
            bid=params.bid,
            ask=params.ask,
            price_type=jt["PriceType"].Oracle(),
            post_only=jt["PostOnlyParam"].MustPostOnly(),
        )
        return jit_program.instruction["jit"](
            jit_params,
            ctx=Context(
                accounts={
                    "state": addresses.get_state_public_key(DRIFT_PROGRAM_ID),
                    "user": addresses.get_user_account_public_key(DRIFT_PROGRAM_ID, authority, 0),
                    "user_stats": addresses.get_user_stats_account_public_key(
                        DRIFT_PROGRAM_ID, authority
                    ),
                    "taker": taker_key,
                    "taker_stats": taker_stats,
                    "authority": authority,
                    "drift_program": DRIFT_PROGRAM_ID,
                },
                signers=[maker],
                remaining_accounts=driftpy_remaining(),
            ),
        )

    def driftpy_send_tx(ix):
        ixs = [set_compute_unit_limit(CU_LIMIT), set_compute_unit_price(CU_PRICE), ix]
        msg = MessageV0.try_compile(authority, ixs, [table], blockhash)
        return bytes(VersionedTransaction(msg, [maker]))

    def driftpy_jit():
        return driftpy_send_tx(driftpy_jit_ix())

    # both paths must produce the same transaction
    assert ours_jit().raw == driftpy_jit(), "jit transactions differ"

    pam_params = OrderParams(
        direction=PositionDirection.SHORT, base_asset_amount=4_200_000_000, price=150_250_000
    )

    def ours_pam():
        return builder.place_and_make(
            taker, pam_params, 17, blockhash=blockhash, cu_limit=CU_LIMIT, cu_price=CU_PRICE
        )

    def driftpy_pam():
        order_params = dt["OrderParams"](
            order_type=dt["OrderType"].Limit(),
            market_type=dt["MarketType"].Perp(),
            direction=dt["PositionDirection"].Short(),
            user_order_id=0,
            base_asset_amount=pam_params.base_asset_amount,
            price=pam_params.price,
            market_index=0,
            reduce_only=False,
            post_only=dt["PostOnlyParam"].MustPostOnly(),
            bit_flags=1,
            max_ts=None,
            trigger_price=None,
            trigger_condition=dt["OrderTriggerCondition"].Above(),
            oracle_price_offset=None,
            auction_duration=None,
            auction_start_price=None,
            auction_end_price=None,
        )
        ix = drift_program.instruction["place_and_make_perp_order"](
            order_params,
            17,
            ctx=Context(
                accounts={
                    "state": addresses.get_state_public_key(DRIFT_PROGRAM_ID),
                    "user": addresses.get_user_account_public_key(DRIFT_PROGRAM_ID, authority, 0),
                    "user_stats": addresses.get_user_stats_account_public_key(
                        DRIFT_PROGRAM_ID, authority
                    ),
                    "taker": taker_key,
                    "taker_stats": taker_stats,
                    "authority": authority,
                },
                signers=[maker],
                remaining_accounts=driftpy_remaining(),
            ),
        )
        return driftpy_send_tx(ix)

    assert ours_pam().raw == driftpy_pam(), "place_and_make transactions differ"

    # ---- components -----------------------------------------------------------------------
    ixs = builder.jit_instructions(
        taker, params, market_index=0, cu_limit=CU_LIMIT, cu_price=CU_PRICE
    )
    sign = keypair_signer(maker)
    bh = bytes(blockhash)

    prepared = prepare_lookup_tables([table])  # once per table, like the builder does

    def ours_compile_sign():
        message = compile_message_v0(authority, ixs, bh, prepared)
        return serialize_transaction((sign(message),), message)

    def driftpy_compile_sign():
        return bytes(
            VersionedTransaction(MessageV0.try_compile(authority, ixs, [table], blockhash), [maker])
        )

    message = compile_message_v0(authority, ixs, bh, [table])

    def ours_sign_only():
        return sign(message)

    def ours_remaining_cold():
        directory._cache.clear()
        return directory.maker_remaining(
            user_markets(taker_user), user_markets(maker_user), MarketType.PERP, 0
        )

    jit_coder = jit_program.coder.instruction
    anchor_params = jt["JitParams"](
        taker_order_id=17, max_position=params.max_position, min_position=params.min_position,
        bid=params.bid, ask=params.ask, price_type=jt["PriceType"].Oracle(),
        post_only=jt["PostOnlyParam"].MustPostOnly(),
    )  # fmt: skip

    rows = []
    targets = {"target_s": TARGET_JIT_S}
    pairs = [
        ("jit tx build+sign (warm template)", ours_jit, "driftpy+anchorpy jit() path", driftpy_jit, targets),
        ("jit tx build+sign (cold: new taker)", ours_jit_cold, "driftpy+anchorpy jit() path", driftpy_jit, targets),
        ("place_and_make_perp tx build+sign (warm)", ours_pam, "driftpy+anchorpy place_and_make", driftpy_pam, {}),
        ("remaining accounts (uncached)", ours_remaining_cold, "DriftClient.get_remaining_accounts", driftpy_remaining, {}),
        ("jit ix data encode", lambda: encode_jit_data(params), "anchorpy InstructionCoder.encode",
         lambda: jit_coder.encode("jit", {"params": anchor_params}), {}),
        ("v0 compile+sign+serialize (solders ixs)", ours_compile_sign, "MessageV0.try_compile+VersionedTransaction",
         driftpy_compile_sign, {}),
    ]  # fmt: skip
    for name, ours, base_name, base, extra in pairs:
        ours_med, ours_p99 = _measure(ours, number)
        base_med, base_p99 = _measure(base, number)
        rows.append(
            row(
                name,
                ours_med,
                base_name,
                base_med,
                ours_p99_s=ours_p99,
                baseline_p99_s=base_p99,
                **extra,
            )
        )
    sign_med, sign_p99 = _measure(ours_sign_only, number)
    rows.append(
        row("of which ed25519 sign (solders Keypair)", sign_med, None, None, ours_p99_s=sign_p99)
    )
    nacl_signer = _nacl_signer(maker)
    if nacl_signer is not None:
        # What the ``signer=`` hook buys: libsodium signing (PyNaCl is only a transitive
        # dependency of driftpy, so the builder does not use it by default).
        nacl_builder = MakerTxBuilder(
            maker,
            directory,
            maker_markets=user_markets(maker_user),
            lookup_tables=[table],
            signer=nacl_signer,
        )

        def ours_jit_nacl():
            return nacl_builder.jit(
                taker,
                params,
                blockhash=blockhash,
                market_index=0,
                cu_limit=CU_LIMIT,
                cu_price=CU_PRICE,
            )

        assert ours_jit_nacl().raw == ours_jit().raw
        med, p99 = _measure(ours_jit_nacl, number)
        base_med, base_p99 = _measure(driftpy_jit, number)
        rows.append(
            row(
                "jit tx build+sign (warm, PyNaCl signer hook)",
                med,
                "driftpy+anchorpy jit() path",
                base_med,
                ours_p99_s=p99,
                baseline_p99_s=base_p99,
            )
        )
    return rows


if __name__ == "__main__":
    for r in run(quick=True):
        print(r)
