"""The README's quickstart: exactly two commands, both installing from the lock, the second
run verbatim by .ci/run."""

from __future__ import annotations

import re

from tests.wheelhouse import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def quickstart_commands() -> list[str]:
    section = README.split("\n## Quickstart\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_the_quickstart_has_exactly_two_commands() -> None:
    assert len(quickstart_commands()) == 2


def test_both_commands_install_exactly_the_lock() -> None:
    analyze, tests = quickstart_commands()
    assert "pip install -q --require-hashes -r requirements/analyze.txt" in analyze
    assert "pip install -q --require-hashes -r requirements/test.txt" in tests
    for command in (analyze, tests):
        # the project itself adds nothing unpinned: no dependencies, no build isolation
        assert "pip install -q --no-deps --no-build-isolation" in command


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert quickstart_commands()[1] in ci
