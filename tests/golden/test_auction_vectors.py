"""jitmaker.auction against golden vectors from the official TypeScript SDK.

``auction_vectors.json`` is written by ``gen_auction_vectors.mjs`` (see its header for how to
regenerate and what each field means). The SDK matches the program's interpolation but not
its finishing steps, so each comparison picks the SDK-computed field that applies the
program's rule (protocol.md §4, §12):

* fixed auctions: program = ``standardize_price(raw)`` → ``auction_std``;
* oracle-offset auctions: the SDK floors at 1, the program at one tick (then standardizes):
  ``max(raw, tick)`` is the program's floored value because raw = max(x, 1) and tick >= 1,
  so program = ``auction_std_floor``; on prediction markets the program also caps at 1e6
  → ``auction_std_pm``;
* ``getLimitPrice``: auction branch as above; oracle-offset branch floors at 1 and does not
  standardize → ``limit_std_floor`` / ``limit_std_pm``; stored price 0 returns the fallback
  unstandardized → ``limit_std``; otherwise the stored price as is (neither side standardizes);
* a slot before ``order.slot``: the SDK extrapolates backwards and the program fails; our
  contract prices it as the first slot, so the SDK was evaluated at ``sdk_slot = order.slot``.
Every case is compared; nothing is skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jitmaker.accounts.order import Order
from jitmaker.auction import (
    auction_price,
    has_auction_price,
    is_auction_complete,
    is_oracle_offset_auction,
    limit_price,
    standardize_base_asset_amount,
    standardize_price,
)

VECTORS = json.loads((Path(__file__).parent / "auction_vectors.json").read_text())
CASES = VECTORS["cases"]
ORACLE_KINDS = {"limit_oracle_pegged", "trigger_market_oracle", "oracle"}


def _order(case: dict) -> Order:
    o = case["order"]
    return Order.new(
        order_type=o["order_type"],
        direction=o["direction"],
        slot=int(o["slot"]),
        price=int(o["price"]),
        auction_start_price=int(o["auction_start_price"]),
        auction_end_price=int(o["auction_end_price"]),
        auction_duration=o["auction_duration"],
        oracle_price_offset=o["oracle_price_offset"],
        bit_flags=o["bit_flags"],
        status=1,
    )


def _inputs(case: dict) -> tuple[Order, int, int, int, bool]:
    return (
        _order(case),
        int(case["slot"]),
        int(case["oracle"]),
        int(case["tick"]),
        case["prediction_market"],
    )


def _expected_auction(case: dict) -> int:
    if case["kind"] in ORACLE_KINDS:
        return int(case["auction_std_pm" if case["prediction_market"] else "auction_std_floor"])
    return int(case["auction_std"])


def _report(mismatches: list[str]) -> str:
    return f"{len(mismatches)} mismatches, first: " + "; ".join(mismatches[:5])


def test_vector_file_covers_the_required_space() -> None:
    kinds = {c["kind"] for c in CASES}
    durations = {c["order"]["auction_duration"] for c in CASES}
    ticks = {int(c["tick"]) for c in CASES}
    assert len(CASES) >= 2000
    assert VECTORS["sdk"] == "@drift-labs/sdk" and VECTORS["sdk_version"]
    assert kinds == ORACLE_KINDS | {"market", "limit_fixed", "trigger_market", "trigger_limit"}
    assert {c["order"]["direction"] for c in CASES} == {0, 1}
    assert {0, 1, 60} <= durations and durations <= set(range(61))
    assert min(ticks) == 1 and max(ticks) == 10_000
    slots = [
        (int(c["slot"]), int(c["order"]["slot"]), c["order"]["auction_duration"]) for c in CASES
    ]
    assert any(s < o for s, o, _ in slots)  # before
    assert any(o <= s <= o + d for s, o, d in slots)  # within
    assert any(s > o + d for s, o, d in slots)  # after
    assert any(int(c["order"]["auction_start_price"]) < 0 for c in CASES)  # negative offsets
    assert any(c["prediction_market"] for c in CASES)


def test_sdk_was_evaluated_at_the_clamped_slot() -> None:
    for case in CASES:
        assert int(case["sdk_slot"]) == max(int(case["slot"]), int(case["order"]["slot"]))


def test_auction_kind_matches_generator_label() -> None:
    for case in CASES:
        assert is_oracle_offset_auction(_order(case)) == (case["kind"] in ORACLE_KINDS), case["id"]


def test_auction_price_matches_sdk_for_every_case() -> None:
    mismatches = []
    for case in CASES:
        order, slot, oracle, tick, pm = _inputs(case)
        ours = auction_price(order, slot, oracle, tick, is_prediction_market=pm)
        if ours != _expected_auction(case):
            mismatches.append(f"#{case['id']} ours {ours} sdk {_expected_auction(case)}")
    assert not mismatches, _report(mismatches)


def test_tick_floor_is_the_only_oracle_offset_difference() -> None:
    # Where the SDK's value is already >= one tick, its own standardized value is the program's.
    # Where it is below one tick, the program's answer is exactly one tick.
    above = below = 0
    for case in CASES:
        if case["kind"] not in ORACLE_KINDS:
            continue
        if int(case["auction_raw"]) >= int(case["tick"]):
            assert case["auction_std_floor"] == case["auction_std"], case["id"]
            above += 1
        else:
            assert case["auction_std_floor"] == case["tick"], case["id"]
            below += 1
    assert above > 500 and below > 20


def test_completion_and_has_auction_price_match_sdk() -> None:
    mismatches = []
    for case in CASES:
        order, slot, *_ = _inputs(case)
        if is_auction_complete(order, slot) != case["is_complete"]:
            mismatches.append(f"#{case['id']} is_auction_complete")
        if has_auction_price(order, slot) != case["has_auction_price"]:
            mismatches.append(f"#{case['id']} has_auction_price")
    assert not mismatches, _report(mismatches)


def _expected_limit(case: dict) -> int | None:
    order = case["order"]
    if case["has_auction_price"]:
        return _expected_auction(case)
    if order["oracle_price_offset"] != 0:
        return int(case["limit_std_pm" if case["prediction_market"] else "limit_std_floor"])
    if int(order["price"]) == 0:
        return None if case["limit_raw"] is None else int(case["limit_std"])
    return int(case["limit_raw"])


def test_limit_price_matches_sdk_for_every_case() -> None:
    mismatches = []
    branches = set()
    for case in CASES:
        order, slot, oracle, tick, pm = _inputs(case)
        fallback = None if case["fallback"] is None else int(case["fallback"])
        ours = limit_price(order, slot, oracle, tick, fallback, is_prediction_market=pm)
        expected = _expected_limit(case)
        branches.add(
            "auction"
            if case["has_auction_price"]
            else "offset"
            if order.oracle_price_offset
            else ("none" if expected is None else "fallback")
            if order.price == 0
            else "stored"
        )
        if ours != expected:
            mismatches.append(f"#{case['id']} ours {ours} sdk {expected}")
    assert not mismatches, _report(mismatches)
    assert branches == {"auction", "offset", "none", "fallback", "stored"}


@pytest.mark.parametrize("field", ["price", "base"])
def test_standardize_helpers_match_sdk(field: str) -> None:
    mismatches = []
    for case in VECTORS["standardize"]:
        if field == "price":
            ours = standardize_price(int(case["price"]), int(case["tick"]), case["direction"])
            expected = int(case["std"])
        else:
            ours = standardize_base_asset_amount(int(case["base"]), int(case["step"]))
            expected = int(case["base_std"])
        if ours != expected:
            mismatches.append(f"{case} ours {ours}")
    assert len(VECTORS["standardize"]) >= 400
    assert not mismatches, _report(mismatches)
