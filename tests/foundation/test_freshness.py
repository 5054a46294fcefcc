"""The freshness gate: a silent stall or a lagging feed blocks sending."""

from __future__ import annotations

from jitmaker.freshness import FeedStatus, FreshnessGate


def _gate() -> FreshnessGate:
    gate = FreshnessGate()
    gate.register("slot", max_silence_s=2.0, max_lag_slots=None)
    # a program subscription only sends when accounts change: slot lag means nothing for it
    gate.register("auctions", max_silence_s=2.0, max_lag_slots=None)
    gate.register("oracle", max_silence_s=2.0, max_lag_slots=10)
    return gate


def test_never_seen_input_blocks_sending():
    gate = _gate()
    gate.observe("slot", 100, now=0.0)
    gate.observe("oracle", 100, now=0.0)
    verdict = gate.check(now=0.1)
    assert not verdict.ok
    assert ("auctions", FeedStatus.NEVER) in verdict.stale


def test_all_fresh_allows_sending():
    gate = _gate()
    gate.observe("slot", 100, now=0.0)
    gate.observe("auctions", 99, now=0.5)
    gate.observe("oracle", 100, now=0.5)
    assert gate.check(now=1.0).ok


def test_silent_stall_is_stale_within_two_seconds():
    gate = _gate()
    gate.observe("slot", 100, now=0.0)
    gate.observe("auctions", 100, now=0.0)
    for t in range(1, 40):
        gate.observe("slot", 100 + t, now=t * 0.05)  # slots keep flowing
        gate.observe("oracle", 100 + t, now=t * 0.05)
    assert gate.check(now=1.9).ok
    verdict = gate.check(now=2.01)
    assert not verdict.ok and verdict.stale == (("auctions", FeedStatus.SILENT),)


def test_lagging_feed_is_stale_even_if_frames_arrive():
    gate = _gate()
    gate.observe("slot", 200, now=1.0)
    gate.observe("auctions", 150, now=1.0)
    gate.observe("oracle", 150, now=1.0)
    assert gate.status("oracle", now=1.0) is FeedStatus.LAGGING
    assert gate.status("auctions", now=1.0) is FeedStatus.FRESH
    gate.observe("oracle", 195, now=1.1)
    assert gate.check(now=1.2).ok


def test_lag_report_and_snapshot():
    gate = _gate()
    gate.observe("slot", 10, now=0.0)
    gate.observe("auctions", 7, now=0.0)
    assert gate.lag_slots() == {"slot": 0, "auctions": 3, "oracle": -1}
    snap = gate.snapshot(now=0.5)
    assert snap["auctions"]["status"] == "fresh" and snap["auctions"]["age_s"] == 0.5
