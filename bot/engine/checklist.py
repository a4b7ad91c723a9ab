"""Selecting the checklist items that fit one change.

An item is selected when its checklist's `when` holds (or is absent) and its own does too.
When more items fit than `checklists.max_items`, the most specific ones are kept: an item tied
to a pattern that fired says more about this diff than one tied to a risk level.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.config import globs
from bot.config.checklists import ChecklistDef, ChecklistItemDef, When, WhenClause
from bot.config.levels import Level
from bot.engine.result import ChecklistItem, SelectedChecklist


@dataclass(frozen=True, slots=True)
class ChangeFacts:
    """What `when` conditions can ask about a change."""

    level: Level
    signals: frozenset[str]  # signal ids that scored above 0
    patterns: frozenset[str]  # pattern rule ids that fired
    paths: tuple[str, ...]
    languages: frozenset[str]
    ai: bool


_SPECIFICITY = {"patterns": 8, "paths": 4, "signals": 2, "languages": 2, "min_level": 1, "ai": 0}


def _holds(when: When, facts: ChangeFacts) -> bool:
    if when.min_level is not None and facts.level < when.min_level:
        return False
    if when.signals and not facts.signals.intersection(when.signals):
        return False
    if when.patterns and not facts.patterns.intersection(when.patterns):
        return False
    if when.paths and not any(globs.match_any(path, when.paths) for path in facts.paths):
        return False
    if when.languages and not facts.languages.intersection(when.languages):
        return False
    return when.ai is None or when.ai == facts.ai


def _matching(clause: WhenClause | None, facts: ChangeFacts) -> tuple[bool, int]:
    """Whether the clause holds, and how specific the best holding alternative is."""
    if clause is None:
        return True, 0
    alternatives = clause if isinstance(clause, list) else [clause]
    scores = [
        sum(_SPECIFICITY[key] for key in when.model_fields_set)
        for when in alternatives
        if _holds(when, facts)
    ]
    return (True, max(scores)) if scores else (False, 0)


def select(
    checklists: Iterable[ChecklistDef],
    facts: ChangeFacts,
    max_items: int,
    required_items: frozenset[str] | None,
) -> tuple[SelectedChecklist, ...]:
    """The items that fit, grouped by checklist in definition order, at most `max_items`."""
    candidates: list[tuple[int, int, ChecklistDef, ChecklistItemDef]] = []
    for checklist in checklists:
        list_holds, list_score = _matching(checklist.when, facts)
        if not list_holds:
            continue
        for item in checklist.items:
            item_holds, item_score = _matching(item.when, facts)
            if item_holds:
                candidates.append((list_score + item_score, len(candidates), checklist, item))

    def is_required(item: ChecklistItemDef) -> bool:
        return item.required or (required_items is None or item.id in required_items)

    ranked = sorted(candidates, key=lambda c: (not is_required(c[3]), -c[0], c[1]))
    kept = sorted(ranked[:max_items], key=lambda c: c[1])
    grouped: dict[str, tuple[ChecklistDef, list[ChecklistItem]]] = {}
    for _, _, checklist, item in kept:
        entry = grouped.setdefault(checklist.id, (checklist, []))
        entry[1].append(
            ChecklistItem(
                id=item.id, text=item.text, why=item.why or "", required=is_required(item)
            )
        )
    return tuple(
        SelectedChecklist(id=checklist.id, title=checklist.title, items=tuple(items))
        for checklist, items in grouped.values()
    )
