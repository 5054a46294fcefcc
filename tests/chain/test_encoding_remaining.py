"""Remaining accounts vs driftpy's ``get_remaining_accounts`` + jit-proxy client's additions."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from driftpy.drift_client import DriftClient
from driftpy.types import OracleSource as DpOracleSource
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.instruction import AccountMeta
from solders.pubkey import Pubkey

from jitmaker.accounts.enums import MarketType, OracleSource
from jitmaker.accounts.perp_market import AMM, PerpMarket
from jitmaker.accounts.spot_market import SpotMarket
from jitmaker.chain.pdas import perp_market_pda, spot_market_pda
from jitmaker.chain.remaining import (
    MarketDirectory,
    PerpMarketRef,
    SpotMarketRef,
    UserMarkets,
    raw_to_metas,
    user_markets,
)
from jitmaker.errors import EncodeError


def _key(tag: int, i: int) -> Pubkey:
    return Pubkey.from_bytes(bytes([tag, i]) + bytes(30))


N_PERP, N_SPOT = 8, 6
# Perp i shares its oracle with spot i for i < N_SPOT (as SOL-PERP and SOL do); perp 7 is a
# Prelaunch market with its own oracle; spot 5 has no oracle (default pubkey).
PERPS = [
    PerpMarketRef(
        i,
        _key(3, i) if i < N_SPOT else _key(4, i),
        OracleSource.PRELAUNCH if i == 7 else OracleSource.PYTH_PULL,
    )
    for i in range(N_PERP)
]
SPOTS = [
    SpotMarketRef(i, Pubkey.default() if i == 5 else _key(3, i), vault=_key(5, i))
    for i in range(N_SPOT)
]
DIRECTORY = MarketDirectory(PERPS, SPOTS)


class FakeDriftClient:
    """Just enough of DriftClient to run its own remaining-accounts code offline."""

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

    def get_user(self):
        return SimpleNamespace(get_user_account_and_slot=lambda: SimpleNamespace(slot=0))

    def get_perp_market_account(self, i):
        m = PERPS[i]
        source = DpOracleSource.Prelaunch() if i == 7 else DpOracleSource.PythPull()
        return SimpleNamespace(
            pubkey=perp_market_pda(i),
            amm=SimpleNamespace(oracle=m.oracle, oracle_source=source),
            quote_spot_market_index=0,
        )

    def get_spot_market_account(self, i):
        m = SPOTS[i]
        return SimpleNamespace(pubkey=spot_market_pda(i), oracle=m.oracle, vault=m.vault)


amounts = st.sampled_from([0, 0, 0, 1, -5])
perp_positions = st.builds(
    SimpleNamespace,
    market_index=st.integers(0, N_PERP - 1),
    base_asset_amount=amounts,
    quote_asset_amount=amounts,
    open_orders=st.sampled_from([0, 0, 1]),
    lp_shares=st.sampled_from([0, 0, 0, 1]),
)
spot_positions = st.builds(
    SimpleNamespace,
    market_index=st.integers(0, N_SPOT - 1),
    scaled_balance=amounts,
    open_orders=st.sampled_from([0, 0, 1]),
    open_bids=amounts,
    open_asks=amounts,
)
users = st.builds(
    SimpleNamespace,
    perp_positions=st.lists(perp_positions, max_size=8),
    spot_positions=st.lists(spot_positions, max_size=8),
)


def _driftpy_jit_remaining(taker, maker, market_type, market_index, referrer):
    """driftpy remaining accounts plus the jit-proxy client's referrer pair and spot vaults."""
    client = FakeDriftClient()
    spot = market_type == MarketType.SPOT
    metas = client.get_remaining_accounts(
        user_accounts=[taker, maker],
        writable_spot_market_indexes=[market_index, 0] if spot else [],
        writable_perp_market_indexes=[] if spot else [market_index],
    )
    if referrer is not None:
        metas += [AccountMeta(k, is_signer=False, is_writable=True) for k in referrer]
    if spot:
        for i in (market_index, 0):
            vault = client.get_spot_market_account(i).vault
            metas.append(AccountMeta(vault, is_signer=False, is_writable=False))
    return metas


@settings(max_examples=200)
@given(
    users,
    users,
    st.sampled_from(MarketType),
    st.integers(0, N_SPOT - 1),
    st.none() | st.just((_key(9, 1), _key(9, 2))),
)
def test_maker_remaining_equals_driftpy(taker, maker, market_type, market_index, referrer):
    reference = _driftpy_jit_remaining(taker, maker, market_type, market_index, referrer)
    raw = DIRECTORY.maker_remaining(
        user_markets(taker), user_markets(maker), market_type, market_index, referrer
    )
    assert raw_to_metas(raw) == reference


def test_prelaunch_oracle_is_writable_only_for_the_order_market():
    oracle = bytes(PERPS[7].oracle)
    as_order_market = dict(
        DIRECTORY.maker_remaining(UserMarkets(), UserMarkets(), MarketType.PERP, 7)
    )
    assert as_order_market[oracle] is True
    held_only = dict(
        DIRECTORY.maker_remaining(UserMarkets(perp=(7,)), UserMarkets(), MarketType.PERP, 0)
    )
    assert held_only[oracle] is False
    assert held_only[bytes(perp_market_pda(0))] is True
    assert held_only[bytes(perp_market_pda(7))] is False


def test_groups_are_oracles_then_spot_then_perp_markets():
    raw = DIRECTORY.maker_remaining(
        UserMarkets(spot=(1,), perp=(2,)), UserMarkets(perp=(3,)), MarketType.PERP, 4
    )
    keys = [k for k, _ in raw]
    oracles = [bytes(_key(3, i)) for i in (1, 2, 0, 3, 4)]  # perp oracle, then its quote market
    spots = [bytes(spot_market_pda(i)) for i in (1, 0)]
    perps = [bytes(perp_market_pda(i)) for i in (2, 3, 4)]
    assert keys == oracles + spots + perps


def test_memoised_until_the_directory_changes():
    directory = MarketDirectory(PERPS, SPOTS)
    first = directory.maker_remaining(UserMarkets(), UserMarkets(), MarketType.PERP, 1)
    assert directory.maker_remaining(UserMarkets(), UserMarkets(), MarketType.PERP, 1) is first
    new_oracle = _key(8, 1)
    directory.set_perp(PERPS[1]._replace(oracle=new_oracle))
    second = directory.maker_remaining(UserMarkets(), UserMarkets(), MarketType.PERP, 1)
    assert (bytes(new_oracle), False) in second
    assert second != first


def test_unknown_market_or_missing_vault_is_an_encode_error():
    with pytest.raises(EncodeError):
        DIRECTORY.maker_remaining(UserMarkets(), UserMarkets(), MarketType.PERP, 99)
    no_vault = MarketDirectory(PERPS, [s._replace(vault=None) for s in SPOTS])
    with pytest.raises(EncodeError):
        no_vault.maker_remaining(UserMarkets(), UserMarkets(), MarketType.SPOT, 1)


def test_user_markets_orders_and_dedups_like_driftpy():
    user = SimpleNamespace(
        spot_positions=[
            SimpleNamespace(market_index=3, scaled_balance=5, open_orders=1, open_bids=1, open_asks=0),
            SimpleNamespace(market_index=0, scaled_balance=0, open_orders=0, open_bids=0, open_asks=0),
            SimpleNamespace(market_index=2, scaled_balance=0, open_orders=0, open_bids=0, open_asks=3),
        ],
        perp_positions=[
            SimpleNamespace(market_index=4, base_asset_amount=0, quote_asset_amount=0, open_orders=0, lp_shares=0),
            SimpleNamespace(market_index=1, base_asset_amount=0, quote_asset_amount=-2, open_orders=0, lp_shares=0),
            SimpleNamespace(market_index=1, base_asset_amount=9, quote_asset_amount=0, open_orders=0, lp_shares=0),
        ],
    )  # fmt: skip
    assert user_markets(user) == UserMarkets(spot=(3, 0), perp=(1,))


def test_market_refs_from_decoded_accounts_and_driftpy_variants():
    oracle, key, vault = _key(20, 1), _key(20, 2), _key(20, 3)
    perp = PerpMarket.new(
        pubkey=key,
        market_index=3,
        quote_spot_market_index=0,
        amm=AMM.new(oracle=oracle, oracle_source=OracleSource.PRELAUNCH),
    )
    assert PerpMarketRef.from_account(perp) == PerpMarketRef(
        3, oracle, OracleSource.PRELAUNCH, 0, key
    )
    spot = SpotMarket.new(pubkey=key, market_index=1, oracle=oracle, vault=vault)
    assert SpotMarketRef.from_account(spot) == SpotMarketRef(1, oracle, vault, key)
    quote_key = _key(20, 4)
    quote = SpotMarket.new(pubkey=quote_key, market_index=0, oracle=oracle, vault=vault)
    directory = MarketDirectory.from_accounts([perp], [spot, quote])
    raw = directory.maker_remaining(UserMarkets(), UserMarkets(), MarketType.PERP, 3)
    assert raw == ((bytes(oracle), True), (bytes(quote_key), False), (bytes(key), True))
    # driftpy accounts carry sum-type variants, declared in program order
    variants = [name for name in vars(DpOracleSource) if name[0].isupper()]
    assert len(variants) == len(OracleSource)
    for index, name in enumerate(variants):
        account = SimpleNamespace(
            market_index=0,
            quote_spot_market_index=0,
            pubkey=key,
            amm=SimpleNamespace(oracle=oracle, oracle_source=getattr(DpOracleSource, name)()),
        )
        assert PerpMarketRef.from_account(account).oracle_source == index
