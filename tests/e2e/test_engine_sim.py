"""The bot against the simulator: fills, limits, strategies, execution modes, dry run.

Ground truth is the simulator's own report (who filled what) and the transactions it
received, never the bot's word alone.
"""

from __future__ import annotations

import pytest
from solders.transaction import VersionedTransaction

from tests.e2e.harness import run_bot

pytestmark = pytest.mark.slow


def _ours(result) -> list[dict]:
    prefix = f"funded:{result.keypair.pubkey()}/"
    return [m for m in result.report["makers"] if m["maker"].startswith(prefix)]


def _sent_by_us(result) -> int:
    me = result.keypair.pubkey()
    return sum(
        1
        for raw in result.sent
        if VersionedTransaction.from_bytes(raw).message.account_keys[0] == me
    )


async def test_shotgun_jit_fills_and_never_exceeds_position_cap():
    cap_sol = 3
    result = await run_bot(duration_s=8, jit={"maxPositionBase": cap_sol, "aggressivenessBps": 30})
    summary, ours = result.summary, _ours(result)
    truth_fills = sum(m["fills"] for m in ours)
    assert truth_fills > 0, summary
    assert summary["attempts"] >= truth_fills
    # every fill the simulator recorded for us, the bot counted (nothing lost or invented)
    assert summary["fills"] == truth_fills, (summary, ours)
    assert summary["position_limit_breaches"] == 0
    assert summary["sends_while_stale"] == 0
    # the cap applies to every configured market; fills leave at least one position to check
    positions = [pos for maker in ours for pos in maker["positions"]]
    assert positions, ours
    for pos in positions:
        assert abs(pos["base"]) <= cap_sol * 10**9, pos


async def test_sniper_fills_and_the_bot_counts_every_fill():
    # one shot per crossing (plus bounded retries) is checked slot by slot in tests/strategies
    result = await run_bot(
        duration_s=8, seed=12, jit={"strategy": "sniper", "aggressivenessBps": 30}
    )
    assert sum(m["fills"] for m in _ours(result)) > 0, result.summary
    assert result.summary["fills"] == sum(m["fills"] for m in _ours(result))


@pytest.mark.parametrize("strategy", ["sniper", "shotgun"])
async def test_no_attempt_on_auctions_that_never_cross_our_price(strategy):
    # a 5% minimum edge: the simulator's auctions end at most 0.4% through the oracle
    result = await run_bot(duration_s=5, seed=13, jit={"strategy": strategy, "minEdgeBps": 500})
    assert result.summary["auctions_seen"] > 0, result.summary
    assert result.summary["attempts"] == 0
    assert _sent_by_us(result) == 0


async def test_dry_run_decides_but_sends_nothing():
    result = await run_bot(duration_s=5, seed=14, jit={"dryRun": True, "aggressivenessBps": 30})
    assert result.summary["dry_run_decisions"] > 0, result.summary
    assert result.summary["attempts"] == 0
    assert _sent_by_us(result) == 0
    assert sum(m["fills"] for m in _ours(result)) == 0


async def test_place_and_make_mode_fills():
    result = await run_bot(
        duration_s=8, seed=15, jit={"executionMode": "placeAndMake", "aggressivenessBps": 30}
    )
    truth = sum(m["fills"] for m in _ours(result))
    assert truth > 0, result.summary
    assert result.summary["fills"] == truth
