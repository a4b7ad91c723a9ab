"""The dependency changes of a pull request: each manifest parsed at base and at head, compared."""

from __future__ import annotations

import configparser
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from defusedxml.ElementTree import ParseError

from bot.engine.dependencies.locate import LineIndex
from bot.engine.dependencies.model import (
    DependencyChange,
    DependencyReport,
    Entry,
    ManifestFormat,
)
from bot.engine.dependencies.registry import format_of
from bot.engine.snapshot import ChangedFile, FileStatus

LOCKFILE_CHANGE_LIMIT = 50

# What the parsers raise on a malformed text (JSON, TOML, packaging's InvalidRequirement and
# defusedxml's refusals are ValueErrors).
PARSE_ERRORS = (ValueError, ParseError, configparser.Error, RecursionError)


def dependency_changes(
    files: Sequence[ChangedFile], base_texts: Mapping[str, str], head_texts: Mapping[str, str]
) -> tuple[DependencyChange, ...]:
    """The dependency changes of `files`, in file order; see dependency_report for the rest."""
    return dependency_report(files, base_texts, head_texts).changes


def dependency_report(
    files: Sequence[ChangedFile], base_texts: Mapping[str, str], head_texts: Mapping[str, str]
) -> DependencyReport:
    """Compare every changed manifest and lockfile at base and head.

    Texts are keyed by path at their side (a renamed file's base text under its old path). A
    copied manifest is compared with nothing: every dependency in it is new to its folder.
    """
    changes: list[DependencyChange] = []
    omitted: dict[str, int] = {}
    unparsable: list[str] = []
    unfetched: list[str] = []
    for changed in files:
        if changed.binary:
            continue
        head_format = None if changed.status is FileStatus.REMOVED else format_of(changed.path)
        base_path = None if changed.status is FileStatus.COPIED else changed.base_path
        base_format = format_of(base_path) if base_path is not None else None
        if head_format is None and base_format is None:
            continue
        head_text = "" if head_format is None else head_texts.get(changed.path)
        base_text = "" if base_format is None or base_path is None else base_texts.get(base_path)
        if head_text is None or base_text is None:
            unfetched.append(changed.path)
            continue
        try:
            head = _parse(head_format, head_text)
            base = _parse(base_format, base_text)
        except PARSE_ERRORS:
            unparsable.append(changed.path)
            continue
        listed, left_out = _compare(changed.path, base, head, head_text)
        changes.extend(listed)
        if left_out:
            omitted[changed.path] = left_out
    return DependencyReport(
        changes=tuple(changes),
        omitted=MappingProxyType(omitted),
        unparsable=tuple(unparsable),
        unfetched=tuple(unfetched),
    )


@dataclass(frozen=True, slots=True)
class _Parsed:
    format: ManifestFormat
    entries: list[Entry]


@dataclass(slots=True)
class _Group:
    """All entries of one name in one file, in the order they appear."""

    first: Entry
    format: ManifestFormat
    specs: list[str]
    unpinned: bool
    direct: bool
    dev: bool = False  # every entry of the name is a development dependency
    spec: str = ""  # the specs joined, once all entries are in

    def join_specs(self) -> None:
        distinct = list(dict.fromkeys(self.specs))
        if self.format.lockfile and len(distinct) > 1:
            distinct.sort(key=_natural_key)  # resolved versions: a set, shown in version order
        self.spec = " | ".join(distinct)


def _parse(fmt: ManifestFormat | None, text: str) -> _Parsed | None:
    if fmt is None:
        return None
    text = text.removeprefix("\ufeff")
    if fmt.refine is not None:
        fmt = fmt.refine(text)
    return _Parsed(fmt, fmt.parse(text))


def _groups(parsed: _Parsed | None) -> dict[tuple[str, str], _Group]:
    groups: dict[tuple[str, str], _Group] = {}
    if parsed is None:
        return groups
    fmt = parsed.format
    for entry in parsed.entries:
        key = (fmt.ecosystem, entry.key if entry.key is not None else entry.name)
        group = groups.get(key)
        if group is None:
            groups[key] = _Group(entry, fmt, [entry.spec], entry.unpinned, entry.direct, entry.dev)
        else:
            group.specs.append(entry.spec)
            group.unpinned = group.unpinned or entry.unpinned
            group.direct = group.direct or entry.direct
            group.dev = group.dev and entry.dev
    for group in groups.values():
        group.join_specs()
    return groups


@dataclass(frozen=True, slots=True)
class _Delta:
    """One name whose spec differs: absent at base (added), absent at head (removed), or both."""

    head: _Group | None
    base: _Group | None

    @property
    def group(self) -> _Group:
        group = self.head or self.base
        assert group is not None  # a delta always has at least one side
        return group


def _compare(
    path: str, base: _Parsed | None, head: _Parsed | None, head_text: str
) -> tuple[list[DependencyChange], int]:
    """The changes of one file, lockfile ones capped, and how many the cap left out."""
    base_groups = _groups(base)
    head_groups = _groups(head)
    deltas = [
        _Delta(group, base_groups.get(key))
        for key, group in head_groups.items()
        if key not in base_groups or base_groups[key].spec != group.spec
    ]
    deltas += [_Delta(None, group) for key, group in base_groups.items() if key not in head_groups]

    # Direct dependencies first (the sort is stable: file order otherwise), then the cap.
    deltas.sort(key=lambda delta: not delta.group.direct)
    kept: list[_Delta] = []
    lockfile_changes = 0
    for delta in deltas:
        if delta.group.format.lockfile:
            lockfile_changes += 1
            if lockfile_changes > LOCKFILE_CHANGE_LIMIT:
                continue
        kept.append(delta)

    lines = LineIndex(head_text)
    parsed = head or base
    serves_development = parsed.format.development_file if parsed is not None else None
    development_file = serves_development is not None and serves_development(path, head_text)
    changes = [
        DependencyChange(
            path=path,
            line=lines.locate(delta.head.first.line, delta.head.first.find) if delta.head else None,
            ecosystem=delta.group.format.ecosystem,
            name=delta.group.first.name,
            old_spec=delta.base.spec if delta.base else None,
            new_spec=delta.head.spec if delta.head else None,
            unpinned=delta.head.unpinned if delta.head else False,
            lockfile=delta.group.format.lockfile,
            development=development_file or delta.group.dev,
        )
        for delta in kept
    ]
    return changes, len(deltas) - len(kept)


def _natural_key(version: str) -> tuple[tuple[int, int | str], ...]:
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.findall(r"\d+|\D+", version)
    )
