"""div_trunc / rem_trunc follow Rust's signed division (truncate toward zero)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jitmaker.auction import AuctionMathError, div_trunc, rem_trunc
from jitmaker.auction.errors import MATH_ERROR
from jitmaker.errors import JitMakerError


@pytest.mark.parametrize(
    ("a", "b", "q", "r"),
    [
        (7, 2, 3, 1),
        (-7, 2, -3, -1),  # Python's // would give -4
        (7, -2, -3, 1),
        (-7, -2, 3, -1),
        (0, 5, 0, 0),
        (-2_253_000, 7, -321_857, -1),
        (-(1 << 63), 3, -3074457345618258602, -2),
    ],
)
def test_div_trunc_and_rem_trunc_match_rust(a: int, b: int, q: int, r: int) -> None:
    assert div_trunc(a, b) == q
    assert rem_trunc(a, b) == r


def test_div_trunc_is_exact_beyond_float_precision() -> None:
    a = -(10**30 + 7)
    assert div_trunc(a, 3) == -(10**30 + 7) // 3 + 1  # floor + 1 for a negative non-multiple
    assert div_trunc(a, 3) != int(a / 3)


def test_div_by_zero_is_a_project_math_error() -> None:
    with pytest.raises(AuctionMathError) as info:
        div_trunc(5, 0)
    assert info.value.code == MATH_ERROR
    assert isinstance(info.value, JitMakerError)


@settings(max_examples=300)
@given(st.integers(-(1 << 127), 1 << 127), st.integers(-(1 << 64), 1 << 64).filter(bool))
def test_div_trunc_identity_and_sign(a: int, b: int) -> None:
    q, r = div_trunc(a, b), rem_trunc(a, b)
    assert a == b * q + r
    assert abs(r) < abs(b)
    assert r == 0 or (r < 0) == (a < 0)
