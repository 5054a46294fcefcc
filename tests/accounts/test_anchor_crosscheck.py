"""Cross-check against the reference Anchor coder (anchorpy + driftpy's bundled IDL 2.142.0).

For every account we decode, the reference must decode the same bytes to the same values
field for field (enums by variant index, pubkeys/u8 arrays as bytes, padding included), our
encoder and anchorpy's ``AccountsCoder.build`` must produce identical bytes, and our
decode(encode(x)) must give x back. anchorpy costs ~4 ms per call, so example counts are
sized to keep this module well under a minute.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from jitmaker.accounts import (
    PerpMarket,
    SpotMarket,
    State,
    UserStats,
    decode_perp_market,
    decode_spot_market,
    decode_state,
    decode_user,
    decode_user_stats,
    encode_perp_market,
    encode_spot_market,
    encode_state,
    encode_user,
    encode_user_stats,
)
from jitmaker.accounts.oracles import (
    PrelaunchOracle,
    PythLazerOracle,
    decode_prelaunch_oracle,
    decode_pyth_lazer_oracle,
    encode_prelaunch_oracle,
    encode_pyth_lazer_oracle,
)
from tests.accounts import strategies
from tests.accounts.anchor_ref import anchor_build, anchor_decode_plain, ours_plain

# a User is 4376 bytes of random content by design, hence the large-example health check.
_BIG = [HealthCheck.large_base_example, HealthCheck.data_too_large, HealthCheck.too_slow]


@settings(max_examples=500, suppress_health_check=_BIG)
@given(strategies.user_bytes())
def test_user_bytes_decode_like_anchor(data):
    user = decode_user(data)
    assert ours_plain(user) == anchor_decode_plain(data)
    assert encode_user(user) == data
    assert anchor_build("User", user) == data


@settings(max_examples=60, suppress_health_check=_BIG)
@given(strategies.users())
def test_user_fields_encode_like_anchor(user):
    data = encode_user(user)
    assert anchor_build("User", user) == data
    assert decode_user(data) == user
    assert ours_plain(decode_user(data)) == anchor_decode_plain(data)


_MARKETS = [
    ("PerpMarket", PerpMarket, encode_perp_market, decode_perp_market),
    ("SpotMarket", SpotMarket, encode_spot_market, decode_spot_market),
    ("State", State, encode_state, decode_state),
    ("UserStats", UserStats, encode_user_stats, decode_user_stats),
    ("PrelaunchOracle", PrelaunchOracle, encode_prelaunch_oracle, decode_prelaunch_oracle),
    ("PythLazerOracle", PythLazerOracle, encode_pyth_lazer_oracle, decode_pyth_lazer_oracle),
]


@pytest.mark.parametrize(
    ("account", "cls", "encode", "decode"), _MARKETS, ids=[m[0] for m in _MARKETS]
)
def test_account_matches_anchor(account, cls, encode, decode):
    @settings(max_examples=40, suppress_health_check=_BIG)
    @given(strategies.record(cls))
    def check(rec):
        data = encode(rec)
        assert anchor_build(account, rec) == data
        back = decode(data)
        assert back == rec
        assert ours_plain(back) == anchor_decode_plain(data)

    check()
