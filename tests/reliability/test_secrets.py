"""No secret leaves the process: a canary private key and a canary RPC API key are planted and
every output of the real daemon is searched for every textual form of them.

Outputs searched: stdout (JSON log lines, debug level), stderr (including any traceback), the
summary file, the simulator-side report is not ours and is not searched, and ``/metrics``,
``/livez``, ``/readyz`` polled while the daemon runs. Runs: key in the config file, key in
``KEEPER_PRIVATE_KEY``, a runtime failure after the key is loaded (an unknown market), an
unreachable API-keyed endpoint, an unwritable summary path (an uncaught exception at exit),
and ``check-config``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from solders.keypair import Keypair

from jitmaker.sim.app import Simulator

CANARY_KEY = Keypair.from_seed(hashlib.sha256(b"jitmaker-reliability/canary-key").digest())
CANARY_API_KEY = "CANARYAPIKEY" + hashlib.sha256(b"api").hexdigest()[:24]
CANARY_PATH_TOKEN = "CANARYPATHTOKEN" + hashlib.sha256(b"path").hexdigest()[:20]


def _b58(raw: bytes) -> str:
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    num = int.from_bytes(raw, "big")
    out = ""
    while num:
        num, rem = divmod(num, 58)
        out = alphabet[rem] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def canary_forms() -> dict[str, str]:
    """Every textual form of the two canaries a careless log line could carry."""
    raw = bytes(CANARY_KEY)
    secret = raw[:32]
    forms = {
        "key base58": str(CANARY_KEY),
        "key json array": json.dumps(list(raw)),
        "key json array compact": json.dumps(list(raw), separators=(",", ":")),
        "key hex": raw.hex(),
        "key HEX": raw.hex().upper(),
        "key base64": base64.b64encode(raw).decode(),
        "secret half hex": secret.hex(),
        "secret half base58": _b58(secret),
        "secret half base64": base64.b64encode(secret).decode(),
        "secret half json array": json.dumps(list(secret)),
        "secret half bytes repr": repr(secret)[2:40],
        "api key": CANARY_API_KEY,
        "api key lower": CANARY_API_KEY.lower(),
        "path token": CANARY_PATH_TOKEN,
    }
    assert str(CANARY_KEY) == _b58(raw)
    return forms


def find_canaries(where: str, text: str) -> list[str]:
    return [f"{name} in {where}" for name, form in canary_forms().items() if form in text]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Outcome:
    code: int | None
    stdout: str
    stderr: str
    summary: str = ""
    http: dict[str, str] = field(default_factory=dict)

    def leaks(self) -> list[str]:
        out = find_canaries("stdout", self.stdout) + find_canaries("stderr", self.stderr)
        out += find_canaries("summary", self.summary)
        for path, body in self.http.items():
            out += find_canaries(path, body)
        return out

    def events(self) -> list[str]:
        names = []
        for line in self.stdout.splitlines():
            try:
                names.append(json.loads(line).get("event"))
            except ValueError:
                names.append("<not json>")
        return names

    def dump(self) -> str:
        return f"exit {self.code}\n--- stdout tail ---\n{self.stdout[-4000:]}\n--- stderr ---\n{self.stderr[-3000:]}"


@pytest.fixture
async def sim() -> Any:
    simulator = Simulator(None, seed=29, slot_ms=100)
    await simulator.start()
    simulator.fund(CANARY_KEY.pubkey(), 100_000 * 10**6)
    try:
        yield simulator
    finally:
        await simulator.stop()


def keyed_urls(sim: Simulator) -> tuple[str, str]:
    """The simulator's URLs carrying a path token and an API key, like a hosted RPC's."""
    http = f"{sim.http_url}/{CANARY_PATH_TOKEN}/?api-key={CANARY_API_KEY}"
    ws = f"{sim.ws_url}/{CANARY_PATH_TOKEN}/?api-key={CANARY_API_KEY}"
    return http, ws


def write_config(
    tmp_path: Path,
    http: str,
    ws: str | None,
    *,
    key_in_file: bool = True,
    metrics_port: int | None = None,
    markets: list[int] | None = None,
) -> Path:
    glob: dict[str, Any] = {"endpoint": http, "resubTimeoutMs": 3000, "shutdownGraceS": 2}
    if ws is not None:
        glob["wsEndpoint"] = ws
    if key_in_file:
        glob["keeperPrivateKey"] = str(CANARY_KEY)
    if metrics_port is None:
        glob["disableMetrics"] = True
    else:
        glob["metricsPort"] = metrics_port
    config = {
        "global": glob,
        "botConfigs": {
            "jitMaker": {
                "marketIndexes": markets or [0, 1, 2],
                "subaccounts": [0] * len(markets or [0, 1, 2]),
                "aggressivenessBps": 20,
                "targetLeverage": 1,
            }
        },
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path


async def run_daemon(
    config: Path,
    *,
    duration_s: float | None,
    summary: Path | None,
    env_key: str | None = None,
    metrics_port: int | None = None,
    kill_after_s: float = 60.0,
    terminate_when: Callable[[str], bool] | None = None,
) -> Outcome:
    """Run the daemon to its end (or SIGTERM it once ``terminate_when(stdout so far)``, or
    after ``kill_after_s``; SIGKILL if that is not honoured within 5 s)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEPER_PRIVATE_KEY")}
    env["PYTHONUNBUFFERED"] = "1"
    if env_key is not None:
        env["KEEPER_PRIVATE_KEY"] = env_key
    args = [sys.executable, "-m", "jitmaker.cli", "--config-file", str(config)]
    args += ["--log-format", "json", "--log-level", "debug"]
    if duration_s is not None:
        args += ["--duration", str(duration_s)]
    if summary is not None:
        args += ["--summary-json", str(summary)]
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
    )
    assert proc.stdout is not None and proc.stderr is not None
    out: list[bytes] = []
    # read both pipes in the background so nothing is lost if the process must be killed
    out_task = asyncio.create_task(_collect(proc.stdout, out))
    err_task = asyncio.create_task(proc.stderr.read())
    http: dict[str, str] = {}
    poller = (
        asyncio.create_task(_poll_health(metrics_port, http)) if metrics_port is not None else None
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + kill_after_s
    try:
        while proc.returncode is None and loop.time() < deadline:
            if terminate_when is not None and terminate_when(
                b"".join(out).decode("utf-8", "replace")
            ):
                break
            try:
                await asyncio.wait_for(proc.wait(), 0.2)
            except TimeoutError:
                pass
        if proc.returncode is None:
            proc.terminate()  # the daemon's own graceful path
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except TimeoutError:
                proc.kill()
                await proc.wait()
    finally:
        if poller is not None:
            poller.cancel()
            await asyncio.gather(poller, return_exceptions=True)
    await out_task
    err = await err_task
    text = summary.read_text() if summary is not None and summary.exists() else ""
    return Outcome(
        proc.returncode,
        b"".join(out).decode(errors="replace"),
        err.decode(errors="replace"),
        text,
        http,
    )


async def _collect(stream: asyncio.StreamReader, into: list[bytes]) -> None:
    async for line in stream:
        into.append(line)


async def _poll_health(port: int, seen: dict[str, str]) -> None:
    """Keep the latest non-empty body of each endpoint (polled until cancelled)."""
    async with aiohttp.ClientSession() as session:
        while True:
            for path in ("/metrics", "/livez", "/readyz"):
                try:
                    async with session.get(f"http://127.0.0.1:{port}{path}") as resp:
                        body = await resp.text()
                except aiohttp.ClientError:
                    continue
                if body:
                    seen[path] = seen.get(path, "") + "\n" + body if path != "/metrics" else body
            await asyncio.sleep(0.3)


def test_canary_forms_are_distinct_and_searchable() -> None:
    forms = canary_forms()
    assert len(set(forms.values())) == len(forms)
    assert find_canaries("x", f"... {CANARY_API_KEY} ...") == ["api key in x"]
    assert find_canaries("x", "nothing here") == []


async def test_no_secret_in_any_output_of_a_trading_run(sim: Simulator, tmp_path: Path) -> None:
    http, ws = keyed_urls(sim)
    port = free_port()
    config = write_config(tmp_path, http, ws, metrics_port=port)
    outcome = await run_daemon(
        config, duration_s=6, summary=tmp_path / "summary.json", metrics_port=port
    )
    assert outcome.code == 0, outcome.dump()
    events = outcome.events()
    assert "engine_started" in events and "attempt_sent" in events, outcome.dump()
    assert set(outcome.http) == {"/metrics", "/livez", "/readyz"}, outcome.http.keys()
    assert "jitmaker" in outcome.http["/metrics"]
    assert outcome.summary
    assert not outcome.leaks(), outcome.leaks()


async def test_no_secret_when_the_key_comes_from_the_environment(
    sim: Simulator, tmp_path: Path
) -> None:
    http, ws = keyed_urls(sim)
    config = write_config(tmp_path, http, ws, key_in_file=False)
    outcome = await run_daemon(
        config,
        duration_s=4,
        summary=tmp_path / "summary.json",
        env_key=json.dumps(list(bytes(CANARY_KEY))),
    )
    assert outcome.code == 0, outcome.dump()
    assert "engine_started" in outcome.events(), outcome.dump()
    assert str(CANARY_KEY.pubkey()) in outcome.stdout  # the env key was the one used
    assert not outcome.leaks(), outcome.leaks()


async def test_no_secret_when_the_run_fails_after_the_key_is_loaded(
    sim: Simulator, tmp_path: Path
) -> None:
    """An unknown market fails the bootstrap: the error path (engine_failed, exit 1)."""
    http, ws = keyed_urls(sim)
    port = free_port()
    config = write_config(tmp_path, http, ws, metrics_port=port, markets=[0, 1, 77])
    outcome = await run_daemon(
        config, duration_s=5, summary=tmp_path / "summary.json", metrics_port=port
    )
    assert outcome.code not in (0, None), outcome.dump()
    assert any(e in outcome.events() for e in ("engine_failed", "fatal")), outcome.dump()
    assert not outcome.leaks(), outcome.leaks()


async def test_no_secret_when_the_endpoint_is_unreachable(tmp_path: Path) -> None:
    """Connection errors quote URLs; the API-keyed URL must come out redacted. The daemon
    keeps retrying its first snapshot, so it is stopped with SIGTERM (and killed if that is
    not honoured; test_shutdown checks that it is)."""
    port = free_port()  # nothing listens here
    http = f"http://127.0.0.1:{port}/{CANARY_PATH_TOKEN}/?api-key={CANARY_API_KEY}"
    ws = f"ws://127.0.0.1:{port}/{CANARY_PATH_TOKEN}/?api-key={CANARY_API_KEY}"
    config = write_config(tmp_path, http, ws)
    outcome = await run_daemon(
        config,
        duration_s=3,
        summary=tmp_path / "summary.json",
        terminate_when=lambda out: "rpc_request_failed" in out or "bootstrap_retry" in out,
    )
    assert "127.0.0.1" in outcome.stdout + outcome.stderr, outcome.dump()  # errors were logged
    assert "api-key=***" in outcome.stdout, outcome.dump()  # ... with the URL, redacted
    assert not outcome.leaks(), outcome.leaks()


async def test_no_secret_when_the_summary_path_is_refused(sim: Simulator, tmp_path: Path) -> None:
    """The summary cannot be written (its directory does not exist): the CLI refuses it after
    the key and URLs are loaded, before start, and what surfaces carries no secret. (It used
    to be discovered as an uncaught exception at exit; the in-process test
    ``test_unexpected_engine_bug_is_logged_redacted_not_raw_traceback`` covers that path.)"""
    http, ws = keyed_urls(sim)
    config = write_config(tmp_path, http, ws)
    outcome = await run_daemon(
        config, duration_s=3, summary=tmp_path / "no-such-dir" / "summary.json"
    )
    assert outcome.code != 0, outcome.dump()
    assert outcome.stderr or "error" in outcome.stdout, outcome.dump()
    assert not outcome.leaks(), outcome.leaks()
    assert outcome.code == 2 and "--summary-json" in outcome.stderr, outcome.dump()
    assert "Traceback" not in outcome.stderr and "engine_started" not in outcome.stdout


async def test_no_secret_in_check_config(tmp_path: Path) -> None:
    http = f"http://127.0.0.1:9/{CANARY_PATH_TOKEN}/?api-key={CANARY_API_KEY}"
    config = write_config(tmp_path, http, http.replace("http", "ws", 1))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEPER_PRIVATE_KEY")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jitmaker.cli",
        "check-config",
        "--config-file",
        str(config),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    outcome = Outcome(proc.returncode, out.decode(), err.decode())
    assert outcome.code == 0, outcome.dump()
    assert "127.0.0.1" in outcome.stdout
    assert not outcome.leaks(), outcome.leaks()


async def test_no_secret_in_a_rejected_key(tmp_path: Path) -> None:
    """A key whose public half does not match its secret half is refused (exit 78); the
    message must not quote the secret half it just read."""
    raw = bytes(CANARY_KEY)[:32] + bytes(Keypair().pubkey())
    config = write_config(tmp_path, "http://127.0.0.1:9/", None)
    data = yaml.safe_load(config.read_text())
    data["global"]["keeperPrivateKey"] = list(raw)
    config.write_text(yaml.safe_dump(data))
    outcome = await run_daemon(config, duration_s=1, summary=None, kill_after_s=30)
    assert outcome.code == 78, outcome.dump()
    assert "private key" in outcome.stderr, outcome.dump()
    assert not outcome.leaks(), outcome.leaks()
