"""Where the program returns MathError/CastingFailure/OracleNotFound, we raise AuctionMathError."""

from __future__ import annotations

import pytest

from jitmaker.accounts.order import Order
from jitmaker.auction import (
    CASTING_FAILURE,
    I64_MAX,
    MATH_ERROR,
    ORACLE_NOT_FOUND,
    U64_MAX,
    AuctionMathError,
    auction_price,
    calculate_auction_prices,
    first_crossing_slot,
    limit_price,
    standardize_base_asset_amount,
    standardize_base_asset_amount_ceil,
    standardize_price,
    standardize_price_i64,
)
from jitmaker.errors import JitMakerError

FIXED_LONG = Order.new(
    order_type=0,
    direction=0,
    slot=100,
    auction_start_price=1_000,
    auction_end_price=2_000,
    auction_duration=10,
)
ORACLE_LONG = Order.new(
    order_type=4, direction=0, slot=100, auction_start_price=-50, auction_end_price=50,
    auction_duration=10,
)  # fmt: skip


def _code(fn, *args, **kw) -> int:
    with pytest.raises(AuctionMathError) as info:
        fn(*args, **kw)
    assert isinstance(info.value, JitMakerError) and isinstance(info.value, ValueError)
    return info.value.code


def test_negative_fixed_start_is_casting_failure_even_without_duration() -> None:
    order = FIXED_LONG.replace(auction_start_price=-1)
    assert _code(auction_price, order, 105, None, 1) == CASTING_FAILURE
    assert _code(auction_price, order.replace(auction_duration=0), 105, None) == CASTING_FAILURE


@pytest.mark.parametrize("direction", [0, 1])
def test_fixed_auction_running_the_wrong_way_is_math_error(direction: int) -> None:
    start, end = (2_000, 1_000) if direction == 0 else (1_000, 2_000)
    order = FIXED_LONG.replace(
        direction=direction, auction_start_price=start, auction_end_price=end
    )
    assert _code(auction_price, order, 100, None) == MATH_ERROR
    # with duration 0 the program never subtracts: the end price, standardized
    assert auction_price(order.replace(auction_duration=0), 100, None, 100) == end


def test_fixed_delta_overflowing_u64_is_math_error() -> None:
    order = FIXED_LONG.replace(auction_start_price=1, auction_end_price=I64_MAX)
    assert _code(auction_price, order, 109, None) == MATH_ERROR  # (end-start)*9 > u64::MAX
    assert auction_price(order, 101, None) == 1 + (I64_MAX - 1) // 10


def test_tick_zero_is_math_error_unless_price_is_zero() -> None:
    assert _code(auction_price, FIXED_LONG, 105, None, 0) == MATH_ERROR
    zero = FIXED_LONG.replace(auction_start_price=0, auction_end_price=0)
    assert auction_price(zero, 105, None, 0) == 0
    assert _code(standardize_price, 5, 0, 0) == MATH_ERROR
    assert _code(first_crossing_slot, FIXED_LONG, 1_500, None, 0) == MATH_ERROR


def test_oracle_offset_auction_without_oracle_is_oracle_not_found() -> None:
    assert _code(auction_price, ORACLE_LONG, 105, None) == ORACLE_NOT_FOUND
    pegged = Order.new(order_type=1, direction=0, oracle_price_offset=10)
    assert _code(limit_price, pegged, 5, None) == ORACLE_NOT_FOUND


def test_oracle_offset_overflowing_i64_is_math_error() -> None:
    order = ORACLE_LONG.replace(auction_start_price=-I64_MAX, auction_end_price=I64_MAX)
    assert _code(auction_price, order, 105, 1_000) == MATH_ERROR  # end - start > i64::MAX
    assert _code(auction_price, ORACLE_LONG, 110, I64_MAX) == MATH_ERROR  # oracle + 50
    assert auction_price(ORACLE_LONG, 100, I64_MAX) == I64_MAX - 50


def test_short_standardization_overflowing_u64_is_math_error() -> None:
    assert _code(standardize_price, U64_MAX - 1, 10, 1) == MATH_ERROR
    assert standardize_price(U64_MAX - 1, 10, 0) == U64_MAX - 1 - (U64_MAX - 1) % 10
    assert _code(standardize_price_i64, I64_MAX - 1, 10, 1) == MATH_ERROR


def test_values_outside_u64_are_casting_failures() -> None:
    assert _code(standardize_price, -5, 10, 0) == CASTING_FAILURE
    assert _code(standardize_base_asset_amount, -5, 10) == CASTING_FAILURE
    assert _code(calculate_auction_prices, 100, 0, I64_MAX + 1) == CASTING_FAILURE
    assert _code(standardize_price_i64, 5, -10, 0) == CASTING_FAILURE


def test_step_zero_is_math_error() -> None:
    assert _code(standardize_base_asset_amount, 5, 0) == MATH_ERROR
    assert _code(standardize_base_asset_amount_ceil, 5, 0) == MATH_ERROR


def test_base_amount_rounding() -> None:
    assert standardize_base_asset_amount(1_234_567, 10_000) == 1_230_000
    assert standardize_base_asset_amount_ceil(1_234_567, 10_000) == 1_240_000
    assert standardize_base_asset_amount_ceil(1_230_000, 10_000) == 1_230_000
    assert _code(standardize_base_asset_amount_ceil, U64_MAX, 10) == MATH_ERROR
