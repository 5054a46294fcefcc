"""Oracle accounts and their normalisation to PRICE_PRECISION per OracleSource."""

from __future__ import annotations

import pytest

from jitmaker.accounts import (
    AccountKind,
    OracleSource,
    PrelaunchOracle,
    PriceUpdateV2,
    PythLazerOracle,
    VerificationLevel,
    account_kind,
    decode_oracle,
    decode_price_update_v2,
    encode_prelaunch_oracle,
    encode_price_update_v2,
    encode_pyth_lazer_oracle,
    oracle_price_data,
)
from jitmaker.errors import DecodeError


def _pull(price: int, conf: int, exponent: int, level=VerificationLevel.FULL) -> PriceUpdateV2:
    return PriceUpdateV2.new(
        verification_level=level,
        num_signatures=3 if level == VerificationLevel.PARTIAL else 0,
        price=price,
        conf=conf,
        exponent=exponent,
        publish_time=1_700_000_000,
        posted_slot=1_000,
    )


def test_price_update_v2_layout_full_and_partial():
    full = encode_price_update_v2(_pull(5, 6, -8))
    partial = encode_price_update_v2(_pull(5, 6, -8, VerificationLevel.PARTIAL))
    assert len(full) == len(partial) == 134
    assert full[40] == 1 and partial[40:42] == b"\x00\x03"
    # feed_id (32) follows the level, then price i64
    assert int.from_bytes(full[41 + 32 : 41 + 40], "little", signed=True) == 5
    assert int.from_bytes(partial[42 + 32 : 42 + 40], "little", signed=True) == 5
    assert int.from_bytes(partial[126:134], "little") == 1_000  # posted_slot is last
    assert decode_price_update_v2(partial).num_signatures == 3
    assert account_kind(full) is AccountKind.PRICE_UPDATE_V2
    bad = bytearray(full)
    bad[40] = 2
    with pytest.raises(DecodeError, match="verification_level"):
        decode_price_update_v2(bytes(bad))
    with pytest.raises(DecodeError, match="PriceUpdateV2: expected 134 bytes, got 133"):
        decode_price_update_v2(full[:-1])
    with pytest.raises(DecodeError, match="PriceUpdateV2: wrong discriminator"):
        decode_price_update_v2(bytes(8) + full[8:])


@pytest.mark.parametrize(
    ("source", "price", "conf", "exponent", "want_price", "want_conf"),
    [
        (OracleSource.PYTH_PULL, 12_345_678_900, 1_000_000, -8, 123_456_789, 10_000),
        (OracleSource.PYTH_PULL, 123_456, 7, -5, 1_234_560, 70),
        (OracleSource.PYTH_PULL, -123_456_789, 1_999, -9, -123_456, 1),  # truncates toward 0
        (OracleSource.PYTH_1K_PULL, 12_345_678_900, 1_000_000, -8, 123_456_789_000, 10_000_000),
        (OracleSource.PYTH_1M_PULL, 2_500, 3, -10, 250_000, 300),
        (OracleSource.PYTH_STABLE_COIN_PULL, 100_020_000, 30_000, -8, 1_000_000, 300),
        (OracleSource.PYTH_STABLE_COIN_PULL, 100_020_000, 10_000, -8, 1_000_200, 100),
        (OracleSource.PYTH_STABLE_COIN_PULL, 100_060_000, 90_000, -8, 1_000_600, 900),
    ],
)
def test_pyth_pull_normalisation(source, price, conf, exponent, want_price, want_conf):
    data = oracle_price_data(source, _pull(price, conf, exponent), clock_slot=1_004)
    assert (data.price, data.confidence) == (want_price, want_conf)
    assert (data.delay, data.slot, data.publish_time) == (4, 1_000, 1_700_000_000)


def test_pyth_lazer_normalisation_and_raw_bytes():
    lazer = PythLazerOracle.new(
        price=6_543_210, conf=1_234, exponent=-4, posted_slot=50, publish_time=17 * 10**14
    )
    data = encode_pyth_lazer_oracle(lazer)
    assert account_kind(data) is AccountKind.PYTH_LAZER_ORACLE and decode_oracle(data) == lazer
    got = oracle_price_data(OracleSource.PYTH_LAZER, data, clock_slot=49)
    assert (got.price, got.confidence, got.delay) == (654_321_000, 123_400, -1)
    # 1K market: precision 10^4 / 1000 = 10 -> x 10^5
    assert oracle_price_data(OracleSource.PYTH_LAZER_1K, lazer).price == 654_321_000_000
    assert oracle_price_data(OracleSource.PYTH_LAZER_1K, lazer).delay is None
    with pytest.raises(DecodeError, match="multiple"):
        oracle_price_data(OracleSource.PYTH_LAZER_1M, lazer)


def test_prelaunch_and_quote_asset():
    oracle = PrelaunchOracle.new(
        price=2_000_000, confidence=10, last_update_slot=90, amm_last_update_slot=95
    )
    data = encode_prelaunch_oracle(oracle)
    assert len(data) == 120 and account_kind(data) is AccountKind.PRELAUNCH_ORACLE
    got = oracle_price_data(OracleSource.PRELAUNCH, data, clock_slot=92)
    assert (got.price, got.confidence, got.delay, got.slot) == (2_000_000, 10, 3, 90)
    assert oracle_price_data(OracleSource.PRELAUNCH, oracle, clock_slot=99).delay == 0
    quote = oracle_price_data(OracleSource.QUOTE_ASSET, clock_slot=5)
    assert (quote.price, quote.confidence, quote.delay) == (1_000_000, 1, 0)


def test_wrong_account_for_source_and_unsupported_sources():
    with pytest.raises(DecodeError, match="needs a PriceUpdateV2"):
        oracle_price_data(OracleSource.PYTH_PULL, PythLazerOracle.new(exponent=-8))
    with pytest.raises(DecodeError, match="not supported"):
        oracle_price_data(OracleSource.SWITCHBOARD_ON_DEMAND, _pull(1, 1, -8))
    with pytest.raises(DecodeError, match="unsupported discriminator"):
        decode_oracle(bytes(134))
