"""The critical areas a change touches, and whose approval each needs: pure.

An area's owners are listed in the config, or (`owners: codeowners`) read from the base
branch's CODEOWNERS file by file, as GitHub's "require review from Code Owners" reads them: each
touched file needs one of its own owners, so the area yields one rule per set of owners. A file
for which CODEOWNERS names nobody the bot can ask still needs its owners: its rule has none, says
why, and is never met (fail closed) until the base branch names one or an admin overrides.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from bot.config import globs
from bot.config.regex import Matcher, compile_pattern
from bot.engine.change import Change
from bot.engine.result import OwnerRule
from bot.engine.ruleset import Ruleset
from bot.engine.snapshot import ChangedFile


@dataclass(frozen=True, slots=True)
class TouchedFile:
    path: str
    pattern: str  # the area's glob it matched


# Area name (its `name`, else `critical path #N`) -> the files of it the change really changed.
TouchedAreas = dict[str, list[TouchedFile]]


def area_name(index: int, name: str | None) -> str:
    return name or f"critical path #{index + 1}"


@lru_cache(maxsize=64)
def _matcher(pattern: str) -> Matcher:
    return compile_pattern(pattern)


def _has_line(change: Change, changed: ChangedFile, matcher: Matcher) -> bool:
    """Whether a line the change wrote in `changed` matches (taking a step out of a workflow
    adds no risk to it)."""
    written = (changed.added_text[n] for n in change.text.new_lines(changed))
    return any(matcher.search(line) is not None for line in written)


def touched_areas(change: Change, ruleset: Ruleset) -> TouchedAreas:
    """The critical areas whose files the change really changed, in the order of its files.

    Tests, docs and examples of an area are not the area (`test/sanitizer.test.ts`), and a file
    the change only renamed, moved lines in, reformatted, commented or version-bumped is not
    touched. An area with `lines` counts a file only when a line the change wrote matches it
    (CI workflows: credentials, permissions, triggers, actions, publishing).
    """
    areas: TouchedAreas = {}
    for changed in change.touched or change.files:
        if not ruleset.is_production(changed.path) or not change.wrote_code(changed):
            continue
        for index, area in enumerate(ruleset.critical_paths):
            paths = {changed.path, changed.old_path or changed.path}
            if not any(globs.match_any(x, area.paths) for x in paths):
                continue
            if area.lines is not None and not _has_line(change, changed, _matcher(area.lines)):
                continue
            pattern = next(p for p in area.paths if any(globs.match(x, p) for x in paths))
            name = area_name(index, area.name)
            areas.setdefault(name, []).append(TouchedFile(changed.path, pattern))
    return areas


def _which(paths: list[str]) -> str:
    return paths[0] if len(paths) == 1 else f"{paths[0]} and {len(paths) - 1} more"


def owner_rules(ruleset: Ruleset, areas: TouchedAreas) -> tuple[OwnerRule, ...]:
    """The approvals the touched areas' own owners must give, in the config's order."""
    rules: list[OwnerRule] = []
    for index, area in enumerate(ruleset.critical_paths):
        name = area_name(index, area.name)
        touched = areas.get(name)
        if not touched or not area.owners:
            continue
        if not area.from_codeowners:
            rules.append(OwnerRule(name, tuple(area.owners)))
            continue
        # Files owned alike share a rule, and so do files without an owner for the same reason.
        by_owners: dict[tuple[str, ...] | str, list[str]] = {}
        for file in touched:
            owned = ruleset.codeowners.owner_of(file.path)
            key = owned.owners or owned.none_because
            by_owners.setdefault(key, []).append(file.path)
        for key, paths in by_owners.items():
            label = f"{name}: {_which(paths)}"
            if isinstance(key, str):
                rules.append(OwnerRule(label, (), tuple(paths), key))
            else:
                rules.append(OwnerRule(label, key, tuple(paths)))
    return tuple(rules)
