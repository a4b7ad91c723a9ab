"""The ids a config and its checklist files name, checked against what exists.

A typo in `checklists.disable` or `checklists.require`, or in a checklist's `when.patterns`,
would otherwise do nothing without a word: the item stays, the sign-off is never asked, the
item never shows. Each is a config issue instead, with the closest id as a suggestion.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from bot.config.checklists import ChecklistDef, When, WhenClause
from bot.config.issues import ConfigIssue, KeyPath, format_path
from bot.config.model import RepoConfig
from bot.config.reader import Document
from bot.engine.patterns import foreign_keys, weakened
from bot.engine.patterns.bandit_scan import RULE_BY_TEST
from bot.engine.patterns.rules import CWE_BY_RULE
from bot.engine.patterns.secrets_scan import RULE_ID as SECRETS_RULE
from bot.engine.patterns.structural import builtin_rules
from bot.engine.tool_table import tool_table
from bot.engine.workloads import RULE_IDS as WORKLOAD_RULES

_BANDIT_TEST = re.compile(r"B\d{3}\Z")


@dataclass(frozen=True, slots=True)
class Unplaced:
    """An issue in one file, placed later by its key path (`ConfigIssue` wants a line)."""

    source: str
    path: KeyPath
    message: str

    def issue(self) -> ConfigIssue:
        return ConfigIssue(None, None, format_path(self.path), self.message)


def placed(document: Document, unplaced: Unplaced) -> ConfigIssue:
    """The issue at its value's line and column in `document`."""
    position = document.position_of_value(unplaced.path)
    line, column = (position.line, position.column) if position else (None, None)
    return ConfigIssue(line, column, format_path(unplaced.path), unplaced.message)


def _suggestion(wanted: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(wanted, sorted(known), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


@cache
def _engine_pattern_ids() -> frozenset[str]:
    """Every pattern id the engine reports whatever the config: our rules, bandit's mapped
    tests, the secret detectors, the structural and weakened-test rules, the readers of
    Kubernetes manifests and migrations, and the tools' rules."""
    return (
        frozenset(CWE_BY_RULE)
        | frozenset(RULE_BY_TEST.values())
        | {SECRETS_RULE}
        | {rule.id for rule in builtin_rules()}
        | weakened.rule_ids()
        | WORKLOAD_RULES
        | {foreign_keys.RULE}
        | tool_table().rule_ids
    )


def known_pattern_ids(config_rule_ids: Iterable[str]) -> frozenset[str]:
    return _engine_pattern_ids() | frozenset(config_rule_ids)


def unknown_ids(config: RepoConfig, checklists: Sequence[ChecklistDef]) -> list[Unplaced]:
    """`checklists.disable` and `checklists.require` ids that name nothing among `checklists`
    (every checklist the repo can have: built-in, its own files, `extra`, with `items`)."""
    item_ids = {item.id for checklist in checklists for item in checklist.items}
    checklist_ids = {checklist.id for checklist in checklists}
    found: list[Unplaced] = []
    for index, wanted in enumerate(config.checklists.disable):
        if wanted not in item_ids and wanted not in checklist_ids:
            found.append(
                Unplaced(
                    "",
                    ("checklists", "disable", index),
                    f"no checklist or checklist item has the id {wanted!r}"
                    + _suggestion(wanted, item_ids | checklist_ids),
                )
            )
    require = config.checklists.require
    for index, wanted in enumerate(require if isinstance(require, list) else ()):
        if wanted not in item_ids:
            found.append(
                Unplaced(
                    "",
                    ("checklists", "require", index),
                    f"no checklist item has the id {wanted!r}" + _suggestion(wanted, item_ids),
                )
            )
    return found


def _whens(clause: WhenClause | None, at: KeyPath) -> list[tuple[When, KeyPath]]:
    if clause is None:
        return []
    if isinstance(clause, list):
        return [(when, (*at, index)) for index, when in enumerate(clause)]
    return [(clause, at)]


def checklist_issues(
    checklist: ChecklistDef, source: str, at: KeyPath, patterns: frozenset[str]
) -> list[Unplaced]:
    """What in one checklist names nothing: a `when.patterns` id no rule reports. `at`: the
    checklist's key path in `source` (() for a checklist file)."""
    whens = _whens(checklist.when, (*at, "when"))
    for index, item in enumerate(checklist.items):
        whens += _whens(item.when, (*at, "items", index, "when"))
    found: list[Unplaced] = []
    for when, path in whens:
        for index, pattern in enumerate(when.patterns):
            if pattern in patterns or _BANDIT_TEST.match(pattern):
                continue
            found.append(
                Unplaced(
                    source,
                    (*path, "patterns", index),
                    f"no pattern rule has the id {pattern!r}, so this never holds"
                    + _suggestion(pattern, patterns),
                )
            )
    return found


def clashing_item_ids(checklists: Sequence[ChecklistDef]) -> list[str]:
    """Item ids used in two checklists, or by an item and a checklist: `disable`, `require` and
    ticks name items by id alone, so each id must name one thing."""
    checklist_ids = {checklist.id for checklist in checklists}
    first: dict[str, str] = {}
    clashes: list[str] = []
    for checklist in checklists:
        for item in checklist.items:
            if item.id in checklist_ids:
                clashes.append(
                    f"the item id {item.id!r} of the checklist {checklist.id!r} is also a "
                    "checklist's id; disable and require name items and checklists by id alone"
                )
            elif first.setdefault(item.id, checklist.id) != checklist.id:
                clashes.append(
                    f"the item id {item.id!r} is in the checklists {first[item.id]!r} and "
                    f"{checklist.id!r}; disable, require and ticks name an item by its id alone"
                )
    return clashes
