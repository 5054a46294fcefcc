"""limit_price branches beyond the worked examples: fallback, prediction cap, tick floor."""

from __future__ import annotations

from jitmaker.accounts.order import Order
from jitmaker.auction import auction_price, calculate_auction_prices, limit_price

MARKET_SHORT = Order.new(
    order_type=0, direction=1, slot=10, auction_start_price=1_050, auction_end_price=950,
    auction_duration=5,
)  # fmt: skip


def test_market_order_after_auction_uses_standardized_fallback() -> None:
    assert limit_price(MARKET_SHORT, 16, None, 100) is None
    assert limit_price(MARKET_SHORT, 16, None, 100, fallback=1_234) == 1_300  # short rounds up
    assert limit_price(MARKET_SHORT.replace(direction=0), 16, None, 100, fallback=1_234) == 1_200


def test_fallback_is_ignored_while_the_auction_runs() -> None:
    assert limit_price(MARKET_SHORT, 12, None, 10, fallback=5) == 1_010


def test_offset_limit_is_floored_at_tick_and_capped_on_prediction_markets() -> None:
    order = Order.new(order_type=1, direction=0, oracle_price_offset=-900)
    assert limit_price(order, 0, 1_000, 250) == 250  # 100 < tick → one tick
    high = order.replace(oracle_price_offset=400_000)
    assert limit_price(high, 0, 900_000, 7) == 1_300_000 - 1_300_000 % 7
    assert limit_price(high, 0, 900_000, 7, is_prediction_market=True) == 1_000_000 - 1_000_000 % 7


def test_prediction_cap_applies_to_oracle_offset_auctions_only() -> None:
    oracle_order = Order.new(
        order_type=4, direction=0, slot=0, auction_start_price=100_000,
        auction_end_price=300_000, auction_duration=4,
    )  # fmt: skip
    assert auction_price(oracle_order, 4, 900_000) == 1_200_000
    assert auction_price(oracle_order, 4, 900_000, is_prediction_market=True) == 1_000_000
    fixed = oracle_order.replace(order_type=0)
    assert auction_price(fixed, 4, 900_000, is_prediction_market=True) == 300_000


def test_calculate_auction_prices_all_branches() -> None:
    oracle = 150_123_456
    assert calculate_auction_prices(oracle, 0, 151_000_000) == (oracle, 150_874_073)
    assert calculate_auction_prices(oracle, 0, 150_500_000) == (oracle, 150_500_000)
    assert calculate_auction_prices(oracle, 1, 151_000_000) == (151_755_000, 151_000_000)
    assert calculate_auction_prices(oracle, 1, 149_000_000) == (oracle, 149_372_839)
    assert calculate_auction_prices(oracle, 0, 0) == (oracle, 150_874_073)
    # negative oracle: Rust's i64 division truncates toward zero (-201/200 == -1)
    assert calculate_auction_prices(-201, 0, 0) == (-201, -202)
