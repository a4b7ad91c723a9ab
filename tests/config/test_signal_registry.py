"""Signals are declared once (bot/config/signals.py); the engine's functions, the config's
weights and choices, the output order and the titles all follow that one declaration."""

from __future__ import annotations

import pytest

from bot.config.model import RepoConfig
from bot.config.risk import Weights
from bot.config.schema import config_schema
from bot.config.signals import SIGNAL_IDS, SIGNAL_TITLES, SIGNALS
from bot.engine import signals
from bot.engine.result import SignalFinding
from bot.engine.signals import SignalInputs, SignalRegistryError, signal
from bot.render import markdown


def test_every_declared_signal_has_exactly_one_function() -> None:
    signals.check_registered()

    assert sorted(signals.registered()) == sorted(SIGNAL_IDS)
    assert len(set(SIGNAL_IDS)) == len(SIGNALS)


def test_a_function_for_an_undeclared_signal_is_refused() -> None:
    with pytest.raises(SignalRegistryError, match="'churn' is not declared"):
        signal("churn")


def test_a_second_function_for_a_declared_signal_is_refused() -> None:
    first = signals.registered()["size"]

    def other_size(inputs: SignalInputs) -> SignalFinding:
        return SignalFinding("size", 0.0, "")

    with pytest.raises(SignalRegistryError, match="'size' already has a function: size"):
        signal("size")(other_size)
    assert signals.registered()["size"] is first


def test_weights_are_the_declared_signals_with_their_default_weights() -> None:
    assert list(Weights.model_fields) == list(SIGNAL_IDS)
    assert Weights().model_dump() == {declared.id: declared.weight for declared in SIGNALS}
    assert RepoConfig().risk.weights.of("patterns") == 25


def test_the_schema_lists_every_weight_as_before_the_registry() -> None:
    defs = config_schema()["$defs"]

    assert defs["Weights"] == {
        "additionalProperties": False,
        "description": "Points each signal adds to the 0..100 score at full strength.",
        "properties": {
            "ai_share": _weight(10, "Ai Share"),
            "size": _weight(60, "Size"),
            "complexity": _weight(15, "Complexity"),
            "critical_paths": _weight(20, "Critical Paths"),
            "missing_tests": _weight(15, "Missing Tests"),
            "dependencies": _weight(10, "Dependencies"),
            "patterns": _weight(25, "Patterns"),
        },
        "title": "Weights",
        "type": "object",
    }
    assert defs["When"]["properties"]["signals"] == {
        "description": "Any of these signals scored above 0.",
        "items": {
            "enum": [
                "ai_share",
                "size",
                "complexity",
                "critical_paths",
                "missing_tests",
                "dependencies",
                "patterns",
            ],
            "type": "string",
        },
        "maxItems": 10,
        "title": "Signals",
        "type": "array",
    }


def _weight(default: int, title: str) -> dict[str, object]:
    return {"default": default, "maximum": 100, "minimum": 0, "title": title, "type": "integer"}


def test_a_weight_for_an_undeclared_signal_is_an_unknown_key() -> None:
    with pytest.raises(ValueError, match="churn"):
        RepoConfig.model_validate({"risk": {"weights": {"churn": 5}}})


def test_reports_print_the_declared_titles() -> None:
    assert {declared.id: declared.title for declared in SIGNALS} == markdown.SIGNAL_TITLES
    assert SIGNAL_TITLES["patterns"] == "Risky patterns"
