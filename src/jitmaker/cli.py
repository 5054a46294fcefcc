"""Command line: ``jitmaker --config-file=F`` runs the daemon; ``check-config`` and ``sim``.

Exit codes: 0 clean stop, 1 runtime failure, 2 bad command line, 78 bad config (EX_CONFIG).
User mistakes get one line on stderr and no traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from jitmaker import __version__
from jitmaker.errors import ConfigError, JitMakerError
from jitmaker.logging import configure_logging, get_logger, redact

__all__ = ["main", "write_json_atomic"]

EX_USAGE = 2
EX_CONFIG = ConfigError.exit_code
EX_SOFTWARE = 1


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line plus a hint."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {redact(message)} (see {self.prog} --help)\n")
        raise SystemExit(EX_USAGE)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _common(parser: argparse.ArgumentParser, *, required_config: bool) -> None:
    parser.add_argument(
        "--config-file",
        required=required_config,
        metavar="F",
        help="YAML config (keeper-bots-v2 jitMaker shape)",
    )
    parser.add_argument(
        "--log-format",
        choices=("json", "console"),
        default="json",
        help="json lines (default) or console for people",
    )
    parser.add_argument(
        "--log-level", choices=("debug", "info", "warning", "error"), default="info"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="jitmaker", description="JIT maker bot for Drift Protocol v2.")
    parser.add_argument("--version", action="version", version=f"jitmaker {__version__}")
    _common(parser, required_config=False)
    parser.add_argument(
        "--duration", type=_positive_float, metavar="S", help="stop cleanly after S seconds"
    )
    parser.add_argument(
        "--summary-json", metavar="P", help="write a machine-readable summary at exit"
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    check = sub.add_parser(
        "check-config", help="validate a config offline and print it, secrets redacted"
    )
    _common(check, required_config=True)
    sim = sub.add_parser("sim", help="run the local exchange simulator (Solana RPC + PubSub)")
    sim.add_argument("--log-format", choices=("json", "console"), default="json")
    sim.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default="info")
    try:
        from jitmaker.sim.cli import add_arguments as add_sim_arguments
    except ImportError:  # the simulator is optional at import time (e.g. a partial install)
        add_sim_arguments = None
    if add_sim_arguments is not None:
        add_sim_arguments(sim)
    return parser


def write_json_atomic(path: str | os.PathLike[str], payload: Any) -> None:
    """Write JSON via a temporary file and rename, so a reader never sees half a file."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(json.dumps(payload, indent=1, sort_keys=True, default=str) + "\n")
    os.replace(tmp, target)


def _writable_target(path: str) -> bool:
    """Can a file be created at ``path``? Checked before the run, not discovered at exit."""
    target = Path(path)
    if target.exists():
        return target.is_file() and os.access(target, os.W_OK)
    directory = target.parent  # Path("x").parent is Path("."), never empty
    return directory.is_dir() and os.access(directory, os.W_OK | os.X_OK)


def _config_error(exc: ConfigError) -> int:
    sys.stderr.write(f"jitmaker: config error: {redact(str(exc))}\n")
    return EX_CONFIG


def _check_config(args: argparse.Namespace) -> int:
    from jitmaker.config import effective_config, load_config

    try:
        config = load_config(args.config_file)
    except ConfigError as exc:
        return _config_error(exc)
    payload = effective_config(config)
    sys.stdout.write(redact(json.dumps(payload, indent=2, sort_keys=False, default=str)) + "\n")
    for key in config.ignored_keys:
        sys.stderr.write(
            f"jitmaker: note: {key} is accepted for keeper-bots-v2 compatibility and ignored\n"
        )
    sys.stderr.write("jitmaker: config OK\n")
    return 0


def _run(args: argparse.Namespace) -> int:
    from jitmaker.config import load_config

    if not args.config_file:
        sys.stderr.write("jitmaker: error: --config-file is required (see jitmaker --help)\n")
        return EX_USAGE
    try:
        config = load_config(args.config_file)
    except ConfigError as exc:
        return _config_error(exc)
    if args.summary_json and not _writable_target(args.summary_json):
        sys.stderr.write(
            f"jitmaker: error: --summary-json {args.summary_json}: directory missing or not writable\n"
        )
        return EX_USAGE
    configure_logging(args.log_format, args.log_level)
    log = get_logger("jitmaker")
    for key in config.ignored_keys:
        log.info("config_key_ignored", key=key)
    from jitmaker.engine import run_daemon

    try:
        return asyncio.run(
            run_daemon(config, duration_s=args.duration, summary_path=args.summary_json)
        )
    except ConfigError as exc:
        return _config_error(exc)
    except JitMakerError as exc:
        log.error("fatal", error=str(exc), error_type=type(exc).__name__)
        return EX_SOFTWARE
    except Exception:  # a bug: its traceback goes through the redacting logger, not raw stderr
        log.exception("fatal_unexpected")
        return EX_SOFTWARE


def _sim(args: argparse.Namespace) -> int:
    configure_logging(args.log_format, args.log_level)
    try:
        from jitmaker.sim.cli import run as run_sim
    except ImportError:
        sys.stderr.write("jitmaker: error: the simulator is not available in this build\n")
        return EX_SOFTWARE
    try:
        return asyncio.run(run_sim(args))
    except ConfigError as exc:
        return _config_error(exc)
    except JitMakerError as exc:
        sys.stderr.write(f"jitmaker sim: error: {redact(str(exc))}\n")
        return EX_SOFTWARE


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "check-config":
            return _check_config(args)
        if args.command == "sim":
            return _sim(args)
        return _run(args)
    except KeyboardInterrupt:
        return 130


def entry() -> None:  # pragma: no cover - console script shim
    raise SystemExit(main())


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
