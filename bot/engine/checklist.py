"""Selecting the checklist items that fit one change.

An item is selected when its checklist's `when` holds (or is absent) and its own does too.
When more items fit than `checklists.max_items`, required items are kept first, then the most
specific item for each part of the change a checklist applies to (each checklist, and within it
each set of paths an item matched: a change touching payments, migrations and Kubernetes
manifests shows a question about each), then the most specific of the rest: an item tied to a
pattern that fired says more about this diff than one tied to a risk level. What is left out is
named, never dropped silently.
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


def _matching(clause: WhenClause | None, facts: ChangeFacts) -> tuple[bool, int, tuple[str, ...]]:
    """Whether the clause holds, how specific the best holding alternative is, and the path
    globs that alternative names (what part of the change it is about; () for none)."""
    if clause is None:
        return True, 0, ()
    alternatives = clause if isinstance(clause, list) else [clause]
    holding = [
        (sum(_SPECIFICITY[key] for key in when.model_fields_set), tuple(sorted(when.paths)))
        for when in alternatives
        if _holds(when, facts)
    ]
    if not holding:
        return False, 0, ()
    score, paths = max(holding)
    return True, score, paths


def _width(item: ChecklistItemDef) -> int:
    return len(item.when) if isinstance(item.when, list) else 1


@dataclass(frozen=True, slots=True)
class Selection:
    """The items kept, grouped by checklist in definition order, and the applicable items left
    out by `checklists.max_items` as `checklist/item`, most specific first."""

    checklists: tuple[SelectedChecklist, ...]
    omitted: tuple[str, ...] = ()


def select(
    checklists: Iterable[ChecklistDef],
    facts: ChangeFacts,
    max_items: int,
    required_items: frozenset[str] | None,
) -> Selection:
    """The items that fit, at most `max_items` of them."""
    candidates: list[tuple[int, int, ChecklistDef, ChecklistItemDef]] = []
    # What part of the change each candidate is about: its checklist, and the paths its `when`
    # matched (migrations and data access are two parts of the data checklist).
    about: dict[int, tuple[str, tuple[str, ...]]] = {}
    for checklist in checklists:
        list_holds, list_score, list_paths = _matching(checklist.when, facts)
        if not list_holds:
            continue
        for item in checklist.items:
            item_holds, item_score, item_paths = _matching(item.when, facts)
            if item_holds:
                about[len(candidates)] = (checklist.id, item_paths or list_paths)
                candidates.append((list_score + item_score, len(candidates), checklist, item))

    def is_required(item: ChecklistItemDef) -> bool:
        return item.required or (required_items is None or item.id in required_items)

    ranked = sorted(candidates, key=lambda c: (not is_required(c[3]), -c[0], c[1]))
    # The question that stands for each part: the most specific, then the most focused (an
    # item whose `when` has one alternative is about that part alone).
    seen: set[tuple[str, tuple[str, ...]]] = set()
    firsts = []
    for candidate in sorted(ranked, key=lambda c: (not is_required(c[3]), -c[0], _width(c[3]))):
        if about[candidate[1]] not in seen:
            seen.add(about[candidate[1]])
            firsts.append(candidate)
    required = [c for c in ranked if is_required(c[3])]
    by_index = {c[1]: c for c in ranked}
    order = [by_index[i] for i in dict.fromkeys(c[1] for c in (*required, *firsts, *ranked))]
    kept = sorted(order[:max_items], key=lambda c: c[1])
    omitted = tuple(f"{c[2].id}/{c[3].id}" for c in order[max_items:])
    grouped: dict[str, tuple[ChecklistDef, list[ChecklistItem]]] = {}
    for _, _, checklist, item in kept:
        entry = grouped.setdefault(checklist.id, (checklist, []))
        entry[1].append(
            ChecklistItem(
                id=item.id, text=item.text, why=item.why or "", required=is_required(item)
            )
        )
    selected = tuple(
        SelectedChecklist(id=checklist.id, title=checklist.title, items=tuple(items))
        for checklist, items in grouped.values()
    )
    return Selection(selected, omitted)
