"""Pick a strategy by config name: a built-in (``shotgun``, ``sniper``) or ``package.module:Class``.

Third-party classes are imported and built with ``Class.from_options(options)`` when they
define it, else ``Class(**options)``; the result must satisfy the ``Strategy`` protocol. Every
failure is a ``ConfigError`` naming the ``strategy`` key, so a bad config stops at startup with
one clear line instead of a traceback.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from jitmaker.errors import ConfigError
from jitmaker.strategies.base import Strategy
from jitmaker.strategies.shotgun import Shotgun
from jitmaker.strategies.sniper import Sniper

__all__ = ["BUILTIN_STRATEGIES", "load_strategy"]

BUILTIN_STRATEGIES: Mapping[str, type] = {"shotgun": Shotgun, "sniper": Sniper}


def _resolve(spec: str, path: str) -> type | Callable[..., Any]:
    if spec in BUILTIN_STRATEGIES:
        return BUILTIN_STRATEGIES[spec]
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        builtins = ", ".join(sorted(BUILTIN_STRATEGIES))
        raise ConfigError(
            path, f"unknown strategy {spec!r}: use one of {builtins} or 'package.module:Class'"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            path, f"cannot import module {module_name!r} for strategy {spec!r}: {exc}"
        ) from None
    target: Any = module
    for part in attr.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ConfigError(path, f"module {module_name!r} has no attribute {attr!r}") from None
    if not callable(target):
        raise ConfigError(path, f"{spec!r} is not a class or factory")
    return target


def load_strategy(
    spec: str, options: Mapping[str, Any] | None = None, path: str = "strategy"
) -> Strategy:
    """Build the strategy named by ``spec`` with ``options`` (its own config mapping)."""
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError(path, f"must be a strategy name, got {spec!r}")
    spec = spec.strip()
    options = dict(options or {})
    factory = _resolve(spec, path)
    from_options = getattr(factory, "from_options", None)
    try:
        if callable(from_options):
            strategy = from_options(options)
        else:
            strategy = factory(**options)
    except ConfigError:
        raise
    except TypeError as exc:
        raise ConfigError(path, f"{spec!r} rejected its options: {exc}") from None
    except Exception as exc:  # a third party's constructor may raise anything
        raise ConfigError(path, f"building {spec!r} failed: {type(exc).__name__}: {exc}") from None
    if not isinstance(strategy, Strategy) or not isinstance(getattr(strategy, "name", None), str):
        raise ConfigError(
            path,
            f"{spec!r} did not produce a Strategy (needs name, on_auction, on_slot, on_outcome)",
        )
    return strategy
