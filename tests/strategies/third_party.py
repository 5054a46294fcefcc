"""Stand-ins for third-party strategy classes, imported by the loader tests by dotted path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Quiet:
    """A minimal valid Strategy built with ``Quiet(**options)``."""

    name = "quiet"

    def __init__(self, level: int = 0) -> None:
        self.level = level

    def on_auction(self, auction: Any, market: Any, position: Any, slot: int) -> list:
        return []

    def on_slot(self, slot: int, markets: Mapping, positions: Mapping) -> list:
        return []

    def on_outcome(self, outcome: Any) -> None:
        return None


class WithFactory(Quiet):
    name = "factory"

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> WithFactory:
        return cls(level=int(options.get("level", 7)))


class NotAStrategy:
    name = "nope"

    def __init__(self, **options: Any) -> None:
        pass


class Exploding(Quiet):
    def __init__(self, **options: Any) -> None:
        raise RuntimeError("boom")
