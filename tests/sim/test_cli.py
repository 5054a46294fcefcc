"""``jitmaker sim`` arguments and a short run that writes the report and the tx record."""

from __future__ import annotations

import argparse
import json

import pytest
from solders.pubkey import Pubkey

from jitmaker.sim.cli import DEFAULT_FUND_USDC, add_arguments, parse_fund, run

KEY = "11111111111111111111111111111112"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser


def test_fund_amounts_are_whole_usdc_scaled_exactly():
    assert parse_fund(f"{KEY}:2500.5") == (Pubkey.from_string(KEY), 2_500_500_000)
    assert parse_fund(KEY) == (Pubkey.from_string(KEY), DEFAULT_FUND_USDC * 10**6)
    for bad in (f"{KEY}:-1", f"{KEY}:1.0000001", f"{KEY}:abc", "notakey:5"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_fund(bad)


def test_defaults_match_the_documented_command_line():
    args = _parser().parse_args([])
    assert (args.port, args.seed, args.slot_ms, args.scenario) == (8899, 0, 400, None)
    assert args.fund == [] and args.report is None and args.record_tx is None


async def test_short_run_writes_report_with_auctions_and_funded_maker(tmp_path):
    report = tmp_path / "report.json"
    args = _parser().parse_args(
        [
            "--port",
            "0",
            "--seed",
            "4",
            "--slot-ms",
            "5",
            "--slots",
            "40",
            "--fund",
            f"{KEY}:1000",
            "--report",
            str(report),
            "--record-tx",
            str(tmp_path / "tx.jsonl"),
        ]
    )
    assert await run(args) == 0
    data = json.loads(report.read_text())
    assert data["seed"] == 4 and data["end_slot"] - data["start_slot"] >= 40
    assert data["auctions_total"] == len(data["auctions"]) > 0
    auction = data["auctions"][0]
    assert {
        "taker",
        "order_id",
        "auction_start_price",
        "auction_end_price",
        "auction_duration",
        "fills",
        "status",
    } <= set(auction)
    makers = {m["maker"] for m in data["makers"]}
    assert f"funded:{KEY}/0" in makers and "maker-fast" in makers
    assert not (tmp_path / "report.json.auctions.jsonl").exists()
    assert (tmp_path / "tx.jsonl").exists()
