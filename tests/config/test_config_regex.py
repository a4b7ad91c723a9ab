"""User-supplied regexes cannot hang the bot: RE2 refuses what needs backtracking, and runs the
classic catastrophic patterns in linear time."""

from __future__ import annotations

import threading

import pytest

from bot.config.issues import ConfigError
from bot.config.load import load_repo_config
from bot.engine.builtins import load_builtins
from bot.engine.files import FileJob
from bot.engine.pipeline import file_analyzer
from bot.engine.resolve import build_ruleset


def test_backreference_pattern_is_refused_with_a_reason() -> None:
    text = (
        "risk:\n  patterns:\n    rules:\n      - id: dup\n        message: m\n"
        "        pattern: '(a|aa)+\\1$'\n"
    )

    with pytest.raises(ConfigError) as raised:
        load_repo_config(text, "ai-review.yml")

    (issue,) = raised.value.issues
    assert (issue.line, issue.path) == (6, "risk.patterns.rules[0].pattern")
    assert "RE2 syntax, which has no look-around or back-references" in issue.message


def test_catastrophic_backtracking_pattern_runs_in_linear_time() -> None:
    config = load_repo_config(
        "risk:\n  patterns:\n    rules:\n      - id: nested-plus\n        message: m\n"
        "        pattern: '^(a+)+$'\n",
        "ai-review.yml",
    )
    analyzer = file_analyzer(build_ruleset(config, load_builtins()))
    hostile = "a" * 200_000 + "!"
    job = FileJob("x.txt", None, None, None, None, frozenset({1}), {1: hostile})
    finished = threading.Event()
    found: list[object] = []

    def scan() -> None:
        found.append(analyzer(job))
        finished.set()

    threading.Thread(target=scan, daemon=True).start()

    # A backtracking engine needs 2**200000 steps here; RE2 answers at once. The wait only
    # keeps a regression from hanging the suite.
    assert finished.wait(timeout=30), "the pattern rule did not finish"
    assert found
