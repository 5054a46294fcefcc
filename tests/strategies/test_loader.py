"""load_strategy: built-ins by name, third parties by 'package.module:Class', clear errors."""

from __future__ import annotations

import pytest

from jitmaker.errors import ConfigError
from jitmaker.strategies import Shotgun, Sniper, Strategy
from jitmaker.strategies.loader import load_strategy

from .third_party import Quiet, WithFactory

MOD = "tests.strategies.third_party"


def test_builtins_by_name_with_options() -> None:
    shotgun = load_strategy("shotgun", {"max_attempts": 4, "pricing": {"aggressiveness_bps": 5}})
    assert isinstance(shotgun, Shotgun) and shotgun.max_attempts == 4
    assert shotgun.pricing.bid_aggressiveness_bps == 5 == shotgun.pricing.ask_aggressiveness_bps
    sniper = load_strategy(" sniper ", {"lead_slots": 1})
    assert isinstance(sniper, Sniper) and sniper.lead_slots == 1
    assert isinstance(sniper, Strategy)


def test_third_party_class_and_factory() -> None:
    quiet = load_strategy(f"{MOD}:Quiet", {"level": 3})
    assert isinstance(quiet, Quiet) and quiet.level == 3
    made = load_strategy(f"{MOD}:WithFactory", {})
    assert isinstance(made, WithFactory) and made.level == 7


@pytest.mark.parametrize(
    ("spec", "options", "needle"),
    [
        ("", {}, "must be a strategy name"),
        ("rifle", {}, "unknown strategy 'rifle'"),
        ("no_such_pkg.mod:Thing", {}, "cannot import module 'no_such_pkg.mod'"),
        (f"{MOD}:Missing", {}, "has no attribute 'Missing'"),
        (f"{MOD}:NotAStrategy", {}, "did not produce a Strategy"),
        (f"{MOD}:Quiet", {"colour": "red"}, "rejected its options"),
        (f"{MOD}:Exploding", {}, "RuntimeError: boom"),
        ("shotgun", {"max_attempts": -1}, "max_attempts"),
        ("sniper", {"pricing": {"min_edge_bps": "5"}}, "min_edge_bps"),
    ],
)
def test_failures_are_config_errors_with_clear_text(spec, options, needle) -> None:
    with pytest.raises(ConfigError) as err:
        load_strategy(spec, options)
    assert needle in str(err.value)
    assert err.value.path.startswith("strategy")
