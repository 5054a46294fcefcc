"""Every malformed config is refused: exit 78, one line naming the key path, never the secret."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from solders.keypair import Keypair

from jitmaker.cli import main

KP = Keypair.from_seed(bytes(range(32)))
KEY_BYTES = bytes(KP)
KEY_JSON = json.dumps(list(KEY_BYTES))
KEY_B58 = str(KP)  # solders renders the keypair as base58 of its 64 bytes

GOOD = f"""
global:
  endpoint: https://rpc.example.com/?api-key=SECRETAPIKEY123456789
  keeperPrivateKey: {KEY_B58}
botConfigs:
  jitMaker:
    botId: jit
    dryRun: false
    marketType: perp
    marketIndexes: [0, 1]
    subaccounts: [0, 1]
    aggressivenessBps: 10
"""

# (name, yaml text, expected key path fragment in the message)
CASES: list[tuple[str, str, str]] = [
    ("unknown_top_key", GOOD + "extra: 1\n", "extra"),
    ("unknown_global_key_did_you_mean", GOOD.replace("endpoint:", "endpont:", 1), "global.endpont"),
    ("unknown_jit_key", GOOD + "    aggressivnessBps: 3\n", "botConfigs.jitMaker.aggressivnessBps"),
    (
        "missing_endpoint",
        GOOD.replace("  endpoint: https://rpc.example.com/?api-key=SECRETAPIKEY123456789\n", ""),
        "global.endpoint",
    ),
    ("endpoint_wrong_scheme", GOOD.replace("https://rpc", "ftp://rpc"), "global.endpoint"),
    (
        "endpoint_no_host",
        GOOD.replace("https://rpc.example.com/?api-key=SECRETAPIKEY123456789", "https://"),
        "global.endpoint",
    ),
    (
        "endpoint_bad_port",
        GOOD.replace("rpc.example.com/", "rpc.example.com:99999/"),
        "global.endpoint",
    ),
    (
        "endpoint_not_string",
        GOOD.replace("https://rpc.example.com/?api-key=SECRETAPIKEY123456789", "[1, 2]"),
        "global.endpoint",
    ),
    ("ws_endpoint_http", GOOD + "  \n", "global.wsEndpoint"),  # replaced below
    (
        "additional_send_not_list",
        GOOD.replace("global:\n", "global:\n  additionalSendTxEndpoints: https://x.example.com\n"),
        "global.additionalSendTxEndpoints",
    ),
    (
        "additional_send_bad_url",
        GOOD.replace("global:\n", "global:\n  additionalSendTxEndpoints: [notaurl]\n"),
        "global.additionalSendTxEndpoints[0]",
    ),
    (
        "drift_env_unknown",
        GOOD.replace("global:\n", "global:\n  driftEnv: testnet\n"),
        "global.driftEnv",
    ),
    (
        "priority_fee_negative",
        GOOD.replace("global:\n", "global:\n  maxPriorityFeeMicroLamports: -5\n"),
        "global.maxPriorityFeeMicroLamports",
    ),
    (
        "priority_fee_method_unknown",
        GOOD.replace("global:\n", "global:\n  priorityFeeMethod: magic\n"),
        "global.priorityFeeMethod",
    ),
    (
        "multiplier_zero",
        GOOD.replace("global:\n", "global:\n  priorityFeeMultiplier: 0\n"),
        "global.priorityFeeMultiplier",
    ),
    (
        "skip_preflight_not_bool",
        GOOD.replace("global:\n", "global:\n  txSkipPreflight: maybe\n"),
        "global.txSkipPreflight",
    ),
    (
        "resub_timeout_string",
        GOOD.replace("global:\n", "global:\n  resubTimeoutMs: soon\n"),
        "global.resubTimeoutMs",
    ),
    (
        "metrics_port_range",
        GOOD.replace("    botId: jit\n", "    botId: jit\n    metricsPort: 70000\n"),
        "botConfigs.jitMaker.metricsPort",
    ),
    (
        "market_type_unknown",
        GOOD.replace("marketType: perp", "marketType: futures"),
        "botConfigs.jitMaker.marketType",
    ),
    (
        "indexes_subaccounts_mismatch",
        GOOD.replace("subaccounts: [0, 1]", "subaccounts: [0]"),
        "botConfigs.jitMaker.subaccounts",
    ),
    (
        "market_index_negative",
        GOOD.replace("marketIndexes: [0, 1]", "marketIndexes: [0, -1]"),
        "botConfigs.jitMaker.marketIndexes[1]",
    ),
    (
        "market_indexes_not_list",
        GOOD.replace("marketIndexes: [0, 1]", "marketIndexes: 0"),
        "botConfigs.jitMaker.marketIndexes",
    ),
    (
        "market_indexes_missing",
        GOOD.replace("    marketIndexes: [0, 1]\n", "").replace("    subaccounts: [0, 1]\n", ""),
        "botConfigs.jitMaker.marketIndexes",
    ),
    (
        "aggressiveness_range",
        GOOD.replace("aggressivenessBps: 10", "aggressivenessBps: 20000"),
        "botConfigs.jitMaker.aggressivenessBps",
    ),
    (
        "aggressiveness_float",
        GOOD.replace("aggressivenessBps: 10", "aggressivenessBps: 1.5"),
        "botConfigs.jitMaker.aggressivenessBps",
    ),
    (
        "bid_aggressiveness_negative",
        GOOD + "    bidAggressivenessBps: -1\n",
        "botConfigs.jitMaker.bidAggressivenessBps",
    ),
    (
        "target_leverage_zero",
        GOOD + "    targetLeverage: 0\n",
        "botConfigs.jitMaker.targetLeverage",
    ),
    (
        "target_leverage_text",
        GOOD + "    targetLeverage: high\n",
        "botConfigs.jitMaker.targetLeverage",
    ),
    ("cu_limit_too_big", GOOD + "    jitCULimit: 5000000\n", "botConfigs.jitMaker.jitCULimit"),
    ("dry_run_not_bool", GOOD.replace("dryRun: false", "dryRun: 3"), "botConfigs.jitMaker.dryRun"),
    ("strategy_unknown", GOOD + "    strategy: shotgn\n", "botConfigs.jitMaker.strategy"),
    (
        "strategy_bad_plugin",
        GOOD + "    strategy: 'my module:Klass'\n",
        "botConfigs.jitMaker.strategy",
    ),
    (
        "strategy_options_not_mapping",
        GOOD + "    strategyOptions: [1]\n",
        "botConfigs.jitMaker.strategyOptions",
    ),
    (
        "execution_mode_unknown",
        GOOD + "    executionMode: yolo\n",
        "botConfigs.jitMaker.executionMode",
    ),
    (
        "markets_and_indexes",
        GOOD + "    markets: [{type: perp, index: 2}]\n",
        "botConfigs.jitMaker.markets",
    ),
    (
        "markets_entry_unknown_key",
        GOOD.replace(
            "    marketIndexes: [0, 1]\n    subaccounts: [0, 1]\n",
            "    markets: [{type: perp, index: 2, subacount: 1}]\n",
        ),
        "botConfigs.jitMaker.markets[0].subacount",
    ),
    (
        "markets_entry_bad_type",
        GOOD.replace(
            "    marketIndexes: [0, 1]\n    subaccounts: [0, 1]\n",
            "    markets: [{type: option, index: 2}]\n",
        ),
        "botConfigs.jitMaker.markets[0].type",
    ),
    (
        "markets_entry_missing_index",
        GOOD.replace(
            "    marketIndexes: [0, 1]\n    subaccounts: [0, 1]\n", "    markets: [{type: spot}]\n"
        ),
        "botConfigs.jitMaker.markets[0].index",
    ),
    (
        "markets_duplicate",
        GOOD.replace(
            "    marketIndexes: [0, 1]\n    subaccounts: [0, 1]\n",
            "    markets: [{type: perp, index: 2}, {type: perp, index: 2}]\n",
        ),
        "botConfigs.jitMaker.markets",
    ),
    (
        "spot_quote_market",
        GOOD.replace(
            "    marketIndexes: [0, 1]\n    subaccounts: [0, 1]\n",
            "    markets: [{type: spot, index: 0}]\n",
        ),
        "botConfigs.jitMaker.markets",
    ),
    (
        "drift_program_id_bad",
        GOOD.replace("global:\n", "global:\n  driftProgramId: not-a-key\n"),
        "global.driftProgramId",
    ),
    (
        "jit_proxy_program_id_short",
        GOOD.replace("global:\n", "global:\n  jitProxyProgramId: abc\n"),
        "global.jitProxyProgramId",
    ),
    ("broken_yaml", GOOD.replace("botConfigs:", "botConfigs: [unclosed"), "invalid YAML at line"),
    ("duplicate_key", GOOD + "botConfigs:\n  jitMaker: {}\n", "duplicate key"),
    ("top_level_list", "- 1\n- 2\n", "top level must be a mapping"),
    ("empty_file", "", "config file is empty"),
    (
        "key_wrong_length",
        GOOD.replace(KEY_B58, json.dumps(list(KEY_BYTES[:40]))),
        "global.keeperPrivateKey",
    ),
    (
        "key_bad_bytes",
        GOOD.replace(KEY_B58, json.dumps([*list(KEY_BYTES[:63]), 999])),
        "global.keeperPrivateKey",
    ),
    (
        "key_mismatched_halves",
        GOOD.replace(
            KEY_B58, json.dumps(list(KEY_BYTES[:32] + bytes(Keypair.from_seed(bytes(32)).pubkey())))
        ),
        "global.keeperPrivateKey",
    ),
    ("key_garbage", GOOD.replace(KEY_B58, "hello-this-is-not-a-key"), "global.keeperPrivateKey"),
    (
        "key_missing_real_endpoint",
        GOOD.replace(f"  keeperPrivateKey: {KEY_B58}\n", ""),
        "global.keeperPrivateKey",
    ),
    (
        "kill_switch_unknown",
        GOOD + "    killSwitch: {maxDrawdown: 5}\n",
        "botConfigs.jitMaker.killSwitch.maxDrawdown",
    ),
    (
        "sim_unknown_key",
        GOOD.replace("global:\n", "global:\n  sim: {slots: 3}\n"),
        "global.sim.slots",
    ),
    ("enabled_bots_without_jit", GOOD + "enabledBots: [filler]\n", "enabledBots"),
    (
        "max_position_negative",
        GOOD + "    maxPositionBase: -1\n",
        "botConfigs.jitMaker.maxPositionBase",
    ),
]
CASES[8] = (
    "ws_endpoint_http",
    GOOD.replace("global:\n", "global:\n  wsEndpoint: https://rpc.example.com\n"),
    "global.wsEndpoint",
)


def _run_main(
    tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(text)
    code = main(["check-config", f"--config-file={cfg}"])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize(("name", "text", "path"), CASES, ids=[c[0] for c in CASES])
def test_malformed_config_exits_78_with_one_line(name, text, path, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("KEEPER_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("KEEPER_PRIVATE_KEY_FILE", raising=False)
    code, out, err = _run_main(tmp_path, text, capsys)
    assert code == 78, (name, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("jitmaker: config error:")
    assert path in lines[0], (path, lines[0])
    assert "Traceback" not in err and out == ""
    for secret in (KEY_B58, KEY_JSON, KEY_BYTES.hex(), "SECRETAPIKEY123456789"):
        assert secret not in err


def test_case_table_is_large_and_distinct():
    assert len(CASES) >= 30
    assert len({c[0] for c in CASES}) == len(CASES)
    assert len({c[1] for c in CASES}) == len(CASES)


def test_key_file_readable_by_others_is_refused(tmp_path, capsys):
    key_file = tmp_path / "id.json"
    key_file.write_text(KEY_JSON)
    key_file.chmod(0o644)
    code, _, err = _run_main(tmp_path, GOOD.replace(KEY_B58, str(key_file)), capsys)
    assert code == 78
    assert "global.keeperPrivateKey" in err and "chmod 600" in err
    assert KEY_JSON not in err


def test_key_file_with_private_mode_is_accepted(tmp_path, capsys):
    key_file = tmp_path / "id.json"
    key_file.write_text(KEY_JSON)
    key_file.chmod(0o600)
    code, out, err = _run_main(tmp_path, GOOD.replace(KEY_B58, str(key_file)), capsys)
    assert code == 0, err
    assert str(KP.pubkey()) in out
    for secret in (KEY_B58, KEY_JSON, "SECRETAPIKEY123456789"):
        assert secret not in out and secret not in err


def test_key_from_env_when_config_has_none(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KEEPER_PRIVATE_KEY", KEY_JSON)
    code, out, _ = _run_main(tmp_path, GOOD.replace(f"  keeperPrivateKey: {KEY_B58}\n", ""), capsys)
    assert code == 0
    assert "from env" in out and KEY_JSON not in out


def test_real_process_exit_code_and_no_traceback(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(GOOD.replace("aggressivenessBps: 10", "aggressivenessBps: lots"))
    proc = subprocess.run(
        [sys.executable, "-m", "jitmaker.cli", "--config-file", str(cfg)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert proc.returncode == 78
    assert proc.stderr.count("\n") == 1 and "aggressivenessBps" in proc.stderr
    assert "Traceback" not in proc.stderr and KEY_B58 not in proc.stderr


def test_unwritable_summary_path_is_refused_before_start(tmp_path, capsys):
    cfg = tmp_path / "ok.yaml"
    cfg.write_text(GOOD)
    code = main([f"--config-file={cfg}", f"--summary-json={tmp_path}/missing-dir/summary.json"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "--summary-json" in err and "Traceback" not in err


def test_unexpected_engine_bug_is_logged_redacted_not_raw_traceback(tmp_path, capsys, monkeypatch):
    import jitmaker.engine

    async def boom(*_args, **_kwargs):
        raise RuntimeError("lost https://rpc.example.com/?api-key=SECRETAPIKEY123456789 mid-call")

    monkeypatch.setattr(jitmaker.engine, "run_daemon", boom)
    monkeypatch.delenv("KEEPER_PRIVATE_KEY", raising=False)
    cfg = tmp_path / "ok.yaml"
    cfg.write_text(GOOD)
    code = main([f"--config-file={cfg}"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "fatal_unexpected" in out and "RuntimeError" in out
    assert "SECRETAPIKEY123456789" not in out + err
    assert "Traceback" not in err


def test_summary_target_check_accepts_bare_names_and_rejects_directories(tmp_path, monkeypatch):
    from jitmaker.cli import _writable_target

    monkeypatch.chdir(tmp_path)
    assert _writable_target("summary.json")  # relative, parent "."
    (tmp_path / "old.json").write_text("{}")
    assert _writable_target("old.json")  # an existing file is overwritten
    (tmp_path / "adir").mkdir()
    assert not _writable_target("adir")  # a directory is not a file target
    assert not _writable_target("missing/summary.json")
