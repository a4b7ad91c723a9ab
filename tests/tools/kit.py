"""Changes as the engine receives them, for the tool tests: files before and after, the
snapshot with the lines the change added, and what the `patterns` signal reports."""

from __future__ import annotations

import difflib
import textwrap
from collections.abc import Mapping, Sequence
from functools import cache

from bot.config.load import load_repo_config
from bot.engine.builtins import load_builtins
from bot.engine.pipeline import analyze
from bot.engine.resolve import build_ruleset
from bot.engine.result import Analysis
from bot.engine.ruleset import Ruleset
from bot.engine.snapshot import ChangedFile, FileStatus, Snapshot
from bot.engine.tooling import ChangeTool
from bot.tools import default_tools


def code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@cache
def builtin_ruleset() -> Ruleset:
    return build_ruleset(load_repo_config(None, "built-ins"), load_builtins(), [])


def ruleset_from(config: str) -> Ruleset:
    return build_ruleset(load_repo_config(config, "test config"), load_builtins(), [])


def changed_file(path: str, before: str | None, after: str) -> ChangedFile:
    """The diff of one file as git reports it: added and removed lines, with their text."""
    old = (before or "").splitlines()
    new = after.splitlines()
    added: dict[int, str] = {}
    removed: dict[int, str] = {}
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            removed.update({n + 1: old[n] for n in range(i1, i2)})
        if tag in ("replace", "insert"):
            added.update({n + 1: new[n] for n in range(j1, j2)})
    return ChangedFile(
        path=path,
        status=FileStatus.ADDED if before is None else FileStatus.MODIFIED,
        added_lines=tuple(sorted(added)),
        removed_lines=tuple(sorted(removed)),
        added_text=added,
        removed_text=removed,
    )


def snapshot(after: Mapping[str, str], before: Mapping[str, str] | None = None) -> Snapshot:
    """A change that writes `after` over `before` (files absent before are new)."""
    before = before or {}
    files = tuple(changed_file(path, before.get(path), text) for path, text in after.items())
    return Snapshot(
        base_sha="a" * 40,
        head_sha="b" * 40,
        files=files,
        base_texts={path: before[path] for path in after if path in before},
        head_texts=dict(after),
    )


def run(
    after: Mapping[str, str],
    before: Mapping[str, str] | None = None,
    *,
    tools: Sequence[ChangeTool] | None = None,
    ruleset: Ruleset | None = None,
) -> Analysis:
    return analyze(
        snapshot(after, before),
        ruleset or builtin_ruleset(),
        tools=default_tools() if tools is None else tools,
    )


def findings(analysis: Analysis, prefix: str = "") -> list[tuple[str, int | None, str | None]]:
    """(path, line, rule) of the `patterns` signal's findings whose rule starts with `prefix`."""
    return [
        (loc.path, loc.line, loc.rule)
        for loc in analysis.risk.signal("patterns").locations
        if (loc.rule or "").startswith(prefix)
    ]


def notes(analysis: Analysis) -> list[tuple[str, str]]:
    """(path, reason) of what the `patterns` signal could not check."""
    return [(s.path, s.reason) for s in analysis.risk.signal("patterns").skipped]
