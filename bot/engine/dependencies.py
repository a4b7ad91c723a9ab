"""Which dependencies a change added, changed or removed, and which it left unpinned.

Manifests (what people write: requirements.txt, package.json, Cargo.toml, ...) and lockfiles
(what tools resolve: package-lock.json, Cargo.lock, ...) are parsed whole at base and at head,
and the two sets of dependencies are compared by name, so reformatting, reordering and
comments never count as a change.

Rules that hold across ecosystems:
- A dependency is identified by its (normalized) name within one file. When a file lists a
  name more than once (several sections, environment markers, nested lockfile copies), its
  specs are joined with " | "; moving a dependency between sections with the same spec is no
  change.
- A spec is the constraint as written, whitespace removed where the format ignores it; ""
  means the manifest gives no version.
- `unpinned` means the manifest lets the version float: anything but an exact version per the
  ecosystem's convention (PEP 440 `==`, npm/Cargo `=1.2.3`, Gemfile `"1.2.3"`, ...). Cargo's and
  npm's bare or caret versions are ranges, hence unpinned. A git source pins only with a commit
  hash (branches and tags move). Local paths and workspace references are not unpinned: they
  name code in the repository. A Maven or Gradle dependency without a version is managed
  elsewhere (the build fails otherwise), so it is not unpinned either; go.mod is always pinned.
  Lockfile entries are resolved versions and never unpinned.
- Lockfiles report at most LOCKFILE_CHANGE_LIMIT changes per file, direct dependencies first
  where the lockfile tells them apart; DependencyReport.omitted counts the rest.
- A manifest whose text is missing (not fetched) or cannot be parsed yields no changes; the
  report lists it instead of guessing.
"""

from __future__ import annotations

import configparser
import json
import re
import tomllib
import xml.etree.ElementTree as ET
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate
from types import MappingProxyType
from typing import Any

from bot.engine.snapshot import ChangedFile, FileStatus

LOCKFILE_CHANGE_LIMIT = 50


@dataclass(frozen=True, slots=True)
class DependencyChange:
    """One dependency a change added (`old_spec` None), removed (`new_spec` None) or changed."""

    path: str
    line: int | None
    ecosystem: str
    name: str
    old_spec: str | None
    new_spec: str | None
    unpinned: bool
    lockfile: bool
    # Needed only to develop the project (npm devDependencies, a `dev`/`test`/`docs` group or
    # extra, a requirements file named so), not by what it ships.
    development: bool = False


@dataclass(frozen=True, slots=True)
class DependencyReport:
    """Every dependency change, plus the files whose changes could not be listed in full."""

    changes: tuple[DependencyChange, ...] = ()
    # Lockfile path -> how many changes past LOCKFILE_CHANGE_LIMIT were left out.
    omitted: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    # Manifests whose base or head text is malformed; nothing is reported for them.
    unparsable: tuple[str, ...] = ()
    # Manifests whose base or head text was not fetched; nothing is reported for them.
    unfetched: tuple[str, ...] = ()


def is_manifest(path: str) -> bool:
    """Whether `path` is a manifest or lockfile this module reads (so adapters fetch its texts).

    Adapters should ask for both sides of a rename: the old path may be a manifest when the
    new one is not.
    """
    return _format_of(path) is not None


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
        head_format = None if changed.status is FileStatus.REMOVED else _format_of(changed.path)
        base_path = None if changed.status is FileStatus.COPIED else changed.base_path
        base_format = _format_of(base_path) if base_path is not None else None
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
        except _PARSE_ERRORS:
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


# --- Comparing ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Find:
    """Where a dependency's line is, when its parser could not tell: the first match of `token`
    (NAME standing for the escaped `literal`) after the first match of `anchor`, else anywhere.

    Kept unescaped until needed: a lockfile has thousands of entries and few change.
    """

    token: str
    literal: str
    anchor: str | None = None

    def token_pattern(self) -> re.Pattern[str]:
        return re.compile(self.token.replace("NAME", re.escape(self.literal)), re.MULTILINE)


@dataclass(frozen=True, slots=True)
class _Entry:
    """One dependency as a parser found it."""

    name: str
    spec: str
    unpinned: bool = False
    line: int | None = None
    find: _Find | None = None
    direct: bool = False
    key: str | None = None  # identity within the file; the name when None
    dev: bool = False  # listed only among development dependencies


@dataclass(frozen=True, slots=True)
class _Format:
    ecosystem: str
    lockfile: bool
    parse: Callable[[str], list[_Entry]]


@dataclass(frozen=True, slots=True)
class _Parsed:
    format: _Format
    entries: list[_Entry]


@dataclass(slots=True)
class _Group:
    """All entries of one name in one file, in the order they appear."""

    first: _Entry
    format: _Format
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


_PARSE_ERRORS = (ValueError, ET.ParseError, configparser.Error, RecursionError)


# pip-compile (pip-tools, uv) writes what each pin came from: such a requirements file is the
# resolved set, a lockfile, not what people asked for.
_COMPILED_REQUIREMENTS = re.compile(r"^\s+#\s+via\b|^#.*\b(?:pip-compile|uv pip compile)\b", re.M)


def _parse(fmt: _Format | None, text: str) -> _Parsed | None:
    if fmt is None:
        return None
    text = text.removeprefix("\ufeff")
    if fmt.parse is _parse_requirements and _COMPILED_REQUIREMENTS.search(text):
        fmt = _COMPILED
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

    lines = _LineIndex(head_text)
    parsed = head or base
    dev_file = (
        parsed is not None
        and parsed.format.parse is _parse_requirements
        and (
            _DEV_NAME.search(path.rpartition("/")[2]) is not None
            or _INSTALLS_PROJECT.search(head_text) is not None
        )
    )
    changes = [
        DependencyChange(
            path=path,
            line=lines.locate(delta.head.first) if delta.head else None,
            ecosystem=delta.group.format.ecosystem,
            name=delta.group.first.name,
            old_spec=delta.base.spec if delta.base else None,
            new_spec=delta.head.spec if delta.head else None,
            unpinned=delta.head.unpinned if delta.head else False,
            lockfile=delta.group.format.lockfile,
            development=dev_file or delta.group.dev,
        )
        for delta in kept
    ]
    return changes, len(deltas) - len(kept)


def _natural_key(version: str) -> tuple[tuple[int, int | str], ...]:
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.findall(r"\d+|\D+", version)
    )


class _LineIndex:
    """Line numbers of offsets in one text, built on first use."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts: list[int] | None = None

    def locate(self, entry: _Entry) -> int | None:
        if entry.line is not None or entry.find is None:
            return entry.line
        start = 0
        if entry.find.anchor is not None:
            anchor_match = re.search(entry.find.anchor, self._text, re.MULTILINE)
            start = anchor_match.end() if anchor_match else 0
        token_re = entry.find.token_pattern()
        found = token_re.search(self._text, start) or (
            token_re.search(self._text) if start else None
        )
        return self._number(found.start()) if found else None

    def _number(self, offset: int) -> int:
        if self._starts is None:
            self._starts = [0, *accumulate(map(len, self._text.splitlines(keepends=True)))]
        return bisect_right(self._starts, offset)


# --- Shared helpers -----------------------------------------------------------------------


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _is_commit(ref: str | None) -> bool:
    return ref is not None and re.fullmatch(r"[0-9a-fA-F]{7,40}", ref) is not None


_VERSIONED_FILE = re.compile(r"\d+\.\d+|[0-9a-fA-F]{40}")


def _url_pins(url: str) -> bool:
    """Whether a direct URL names one artifact: a VCS commit, a hash, or a versioned file."""
    base, _, fragment = url.partition("#")
    location = base.split("://", 1)[-1]
    last_segment = location.rstrip("/").rsplit("/", 1)[-1]
    if re.match(r"(git|hg|svn|bzr)\+", base):
        return "@" in last_segment and _is_commit(last_segment.rpartition("@")[2])
    if re.search(r"(sha1|sha256|sha384|sha512|md5)=", fragment):
        return True
    return base.startswith("file:") or _VERSIONED_FILE.search(last_segment) is not None


def _source_spec(table: Mapping[str, Any]) -> tuple[str, bool] | None:
    """Spec and unpinned flag of a git, path or URL source (Cargo, Poetry, Pipfile, Gemfile)."""
    git = table.get("git")
    if isinstance(git, str):
        commit = next(
            (v for k in ("rev", "ref", "commit") if isinstance(v := table.get(k), str)), None
        )
        ref = commit or next(
            (v for k in ("tag", "branch") if isinstance(v := table.get(k), str)), None
        )
        return f"git {git}" + (f"@{ref}" if ref else ""), not _is_commit(commit)
    for key in ("path", "file", "url"):
        location = table.get(key)
        if isinstance(location, str):
            if re.match(r"[a-z][a-z0-9+.-]*://", location) and not location.startswith("file:"):
                return f"@ {location}", not _url_pins(location)
            return f"path {location}", False
    return None


def _key_find(anchor: str | None, key: str) -> _Find:
    """Find a `key = ...` line or a `[section.key]` header (TOML) after `anchor`."""
    return _Find(
        r"^[ \t]*[\"']?NAME[\"']?[ \t]*=|^[ \t]*\[[^\]\n]*\.[\"']?NAME[\"']?[ \t]*\]", key, anchor
    )


def _toml_header(*parts: str) -> str:
    dotted = r"[ \t]*\.[ \t]*".join(rf"[\"']?{re.escape(part)}[\"']?" for part in parts)
    return rf"^[ \t]*\[[ \t]*{dotted}[ \t]*\]"


def _json_find(section: str, name: str) -> _Find:
    return _Find(r"\"NAME\"\s*:", name, rf"\"{re.escape(section)}\"\s*:")


# --- Python -------------------------------------------------------------------------------

_PEP508_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?")
_PEP440_CLAUSE = r"[<>=!~]=?=?[A-Za-z0-9.*+!_-]*"
_PEP440_SPEC = re.compile(rf"{_PEP440_CLAUSE}(?:,{_PEP440_CLAUSE})*")
# Applied to markers with whitespace already collapsed (long runs would make it quadratic).
_MARKER_OPERATOR = re.compile(r"\s?(===|==|!=|<=|>=|~=|<|>|\(|\))\s?")


def _pypi_key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pypi_pins(specifier: str) -> bool:
    clauses = specifier.split(",")
    return any(c.startswith("===") or (c.startswith("==") and "*" not in c) for c in clauses)


def _pep508_find(anchor: str | None, name: str) -> _Find:
    return _Find(r"(?i)[\"']\s*NAME(?![A-Za-z0-9._-])", name, anchor)


def _pep508(
    requirement: str, *, line: int | None = None, find: _Find | None = None
) -> _Entry | None:
    """A PEP 508 requirement; None when the text is not one."""
    # Whitespace only separates tokens; collapsing it also keeps every regex below linear.
    requirement = " ".join(requirement.split())
    head = _PEP508_NAME.match(requirement)
    if head is None:
        return None
    name, extras_text = head.group(1), head.group(2)
    rest = requirement[head.end() :].strip()
    extras = ""
    if extras_text is not None:
        names = sorted({_pypi_key(e) for e in extras_text.split(",") if e.strip()})
        extras = f"[{','.join(names)}]"
    if rest.startswith("@"):
        url, _, after_url = rest[1:].strip().partition(" ")  # PEP 508: a space ends the URL
        if not url:
            return None
        marker = after_url.removeprefix(";")
        version, unpinned = f"@ {url}", not _url_pins(url)
    else:
        version, _, marker = rest.partition(";")
        version = re.sub(r"\s+", "", version)
        if version.startswith("(") and version.endswith(")"):
            version = version[1:-1]
        if version and not _PEP440_SPEC.fullmatch(version):
            return None
        unpinned = not _pypi_pins(version)
    spec = extras + version
    marker = _MARKER_OPERATOR.sub(r"\1", " ".join(marker.split())).replace("'", '"')
    if marker:
        spec += f"; {marker}"
    return _Entry(name, spec, unpinned, line=line, find=find, key=_pypi_key(name))


def _requirement_lines(text: str) -> Iterator[tuple[int, str]]:
    """Logical lines of a requirements file: continuations joined, comments dropped."""
    pending: list[str] = []
    start = 1
    lines = text.splitlines()
    for number, raw in enumerate(lines, 1):
        if not pending:
            start = number
        continued = raw.endswith("\\") and number < len(lines)
        pending.append(raw.removesuffix("\\"))
        if continued:
            continue
        logical = re.sub(r"(^|\s)#.*", "", " ".join(pending)).strip()
        pending = []
        if logical:
            yield start, logical


_URL_OR_PATH = re.compile(r"[a-z][a-z0-9+.-]*://|[./~]|\S+\.(whl|zip|tar\.gz|tgz)\b")


def _url_requirement(location: str, line: int) -> _Entry | None:
    """A requirement given as a URL (name from #egg=); local paths are the repo's own code."""
    if not re.match(r"[a-z][a-z0-9+.-]*://", location) or location.startswith("file:"):
        return None
    egg = re.search(r"[#&]egg=([A-Za-z0-9._-]+)", location)
    name = egg.group(1) if egg else location.partition("#")[0]
    return _Entry(name, f"@ {location}", not _url_pins(location), line=line, key=_pypi_key(name))


def _parse_requirements(text: str) -> list[_Entry]:
    entries = []
    for line, logical in _requirement_lines(text):
        if logical.startswith("-"):
            # -r/-c includes and index options are not dependencies; editables may be.
            editable = re.match(r"(?:-e|--editable)(?:\s+|=)(\S+)", logical)
            entry = _url_requirement(editable.group(1), line) if editable else None
        else:
            requirement = " ".join(logical.split()).partition(" --")[0]  # drop --hash=...
            if _URL_OR_PATH.match(requirement):
                entry = _url_requirement(requirement, line)
            else:
                entry = _pep508(requirement, line=line)
        if entry is not None:
            entries.append(entry)
    return entries


def _pep508_list(requirements: object, anchor: str | None) -> list[_Entry]:
    entries = []
    for requirement in _strings(requirements):
        head = _PEP508_NAME.match(requirement)
        find = _pep508_find(anchor, head.group(1)) if head else None
        entry = _pep508(requirement, find=find)
        if entry is not None:
            entries.append(entry)
    return entries


# Poetry reads a bare version as exact (unlike Cargo and npm).
# Each run after the first starts with a separator, so a failed match backtracks linearly.
_POETRY_EXACT = re.compile(r"(?:==?\s*)?v?\d[A-Za-z0-9]*(?:[-_.+][A-Za-z0-9]+)*")


def _poetry_pins(constraint: str) -> bool:
    return _POETRY_EXACT.fullmatch(constraint) is not None


def _poetry_entries(name: str, value: object, find: _Find) -> list[_Entry]:
    key = _pypi_key(name)
    if isinstance(value, str):
        constraint = " ".join(value.split())
        return [_Entry(name, constraint, not _poetry_pins(constraint), find=find, key=key)]
    if isinstance(value, list):
        return [entry for item in value for entry in _poetry_entries(name, item, find)]
    table = _table(value)
    if not table:
        return []
    extras = sorted(_pypi_key(e) for e in _strings(table.get("extras")))
    prefix = f"[{','.join(extras)}]" if extras else ""
    source = _source_spec(table)
    if source is not None:
        return [_Entry(name, prefix + source[0], source[1], find=find, key=key)]
    version = table.get("version")
    constraint = " ".join(version.split()) if isinstance(version, str) else ""
    return [_Entry(name, prefix + constraint, not _poetry_pins(constraint), find=find, key=key)]


def _parse_pyproject(text: str) -> list[_Entry]:
    document = tomllib.loads(text)
    project = _table(document.get("project"))
    entries = _pep508_list(project.get("dependencies"), _toml_header("project"))
    optional_header = _toml_header("project", "optional-dependencies")
    for extra, requirements in _table(project.get("optional-dependencies")).items():
        listed = _pep508_list(requirements, optional_header)
        entries += _development(listed) if _DEV_NAME.search(extra) else listed
    build_system = _table(document.get("build-system"))
    entries += _pep508_list(build_system.get("requires"), _toml_header("build-system"))
    groups_header = _toml_header("dependency-groups")
    for requirements in _table(document.get("dependency-groups")).values():
        # include-group tables skipped; dependency groups are for developing the project
        entries += _development(_pep508_list(requirements, groups_header))
    tool = _table(document.get("tool"))
    uv = _table(tool.get("uv"))
    entries += _development(_pep508_list(uv.get("dev-dependencies"), _toml_header("tool", "uv")))
    poetry = _table(tool.get("poetry"))
    sections: list[tuple[str, object]] = [
        (_toml_header("tool", "poetry", "dependencies"), poetry.get("dependencies")),
        (_toml_header("tool", "poetry", "dev-dependencies"), poetry.get("dev-dependencies")),
    ]
    for group_name, group in _table(poetry.get("group")).items():
        anchor = _toml_header("tool", "poetry", "group", group_name, "dependencies")
        sections.append((anchor, _table(group).get("dependencies")))
    for index, (anchor, section) in enumerate(sections):
        for name, value in _table(section).items():
            if name != "python":  # the interpreter constraint, not a package
                found = _poetry_entries(name, value, _key_find(anchor, name))
                # Poetry's main dependencies come first; dev-dependencies and groups follow.
                entries += _development(found) if index > 0 else found
    return entries


# Names of extras, groups and requirements files that hold what developing the project needs.
_DEV_NAME = re.compile(
    r"dev|test|doc|lint|typ|check|style|format|bench|coverage|mypy|\bci\b", re.IGNORECASE
)


# A requirements file that installs the project itself (`-e .[dev]`) sets up a development
# environment: what the project ships needs is in its own metadata.
_INSTALLS_PROJECT = re.compile(r"^\s*(?:(?:-e|--editable)\s+)?\.(?:\[[^\]]*\])?\s*$", re.M)


def _development(entries: list[_Entry]) -> list[_Entry]:
    return [replace(entry, dev=True) for entry in entries]


_PIPFILE_NON_PACKAGES = frozenset({"source", "requires", "pipenv", "scripts"})


def _parse_pipfile(text: str) -> list[_Entry]:
    entries = []
    for category, packages in tomllib.loads(text).items():
        if category in _PIPFILE_NON_PACKAGES:
            continue
        anchor = _toml_header(category)
        for name, value in _table(packages).items():
            find = _key_find(anchor, name)
            key = _pypi_key(name)
            table = _table(value)
            extras = sorted(_pypi_key(e) for e in _strings(table.get("extras")))
            prefix = f"[{','.join(extras)}]" if extras else ""
            source = _source_spec(table)
            if source is not None:
                entries.append(_Entry(name, prefix + source[0], source[1], find=find, key=key))
                continue
            version = value if isinstance(value, str) else table.get("version", "")
            if not isinstance(version, str):
                continue
            constraint = re.sub(r"\s+", "", version)
            entries.append(
                _Entry(name, prefix + constraint, not _pypi_pins(constraint), find=find, key=key)
            )
    return entries


def _parse_setup_cfg(text: str) -> list[_Entry]:
    config = configparser.ConfigParser(interpolation=None)
    config.read_string(text)
    values: list[tuple[str, str]] = []
    if config.has_section("options"):
        for option in ("install_requires", "setup_requires", "tests_require"):
            values.append(("options", config.get("options", option, fallback="")))
    if config.has_section("options.extras_require"):
        values += [("options.extras_require", v) for v in config["options.extras_require"].values()]
    entries = []
    for section, value in values:
        anchor = rf"^\[{re.escape(section)}\]"
        for raw in value.splitlines():
            requirement = re.sub(r"(^|\s)#.*", "", raw).strip()
            if not requirement or requirement.startswith("file:"):
                continue
            head = _PEP508_NAME.match(requirement)
            if head is None:
                continue
            name_line = r"(?i)^(?:[ \t]+|[\w.-]+[ \t]*=[ \t]*)NAME(?![\w.-])"
            entry = _pep508(requirement, find=_Find(name_line, head.group(1), anchor))
            if entry is not None:
                entries.append(entry)
    return entries


def _lock_entry(name: str, version: str, key: str, find: _Find, *, direct: bool = False) -> _Entry:
    return _Entry(name, version, find=find, direct=direct, key=key)


@dataclass(frozen=True, slots=True)
class _LockedPackage:
    name: str
    version: str
    source: str | None
    start: int  # offsets of its tables in the lockfile text
    end: int


# What a TOML lockfile scan needs, in file order: table headers and a package's own keys.
_LOCK_TOKEN = re.compile(
    r"^(?P<header>\[[^\r\n]*)|^(?P<key>name|version|source) = (?P<value>[^\r\n]*)",
    re.MULTILINE,
)
# Dependency array items: Cargo's `"name version",` and uv's `{ name = "...", ... },`.
_LOCK_REQUIREMENT = re.compile(r"\{\s*name\s*=\s*\"([^\"]+)\"|^[ \t]+\"([^\"\s]+)", re.MULTILINE)


def _scan_toml_packages(text: str, header: str) -> list[_LockedPackage]:
    """The `[[package]]` tables of a tool-written TOML lockfile.

    Cargo, Poetry and uv write a fixed layout (one key per line, sub-tables after the keys),
    so one regex pass reads it far faster than tomllib (1.4 s for a 5 MB Cargo.lock).
    """
    packages: list[_LockedPackage] = []
    keys: dict[str, str] | None = None  # the current package's keys, None outside packages
    start = 0
    in_own_table = False

    def close(end: int) -> None:
        if keys is not None and "name" in keys:  # a uv workspace root may have no version
            version, source = keys.get("version", ""), keys.get("source")
            packages.append(_LockedPackage(keys["name"], version, source, start, end))

    for token in _LOCK_TOKEN.finditer(text):
        table = token["header"]
        if table is not None:
            table = table.strip()
            in_own_table = table == header
            if in_own_table or not table.startswith(("[package.", "[packages.")):
                close(token.start())
                keys, start = ({} if in_own_table else None), token.start()
        elif keys is not None and in_own_table:
            value = token["value"].strip()
            quoted = len(value) >= 2 and value[0] == value[-1] == '"'
            keys[token["key"]] = value[1:-1] if quoted else value
    close(len(text))
    return packages


def _required_names(text: str, packages: list[_LockedPackage]) -> set[str]:
    """Names in the dependency arrays of `packages` (the lockfile's roots)."""
    return {
        a or b
        for package in packages
        for a, b in _LOCK_REQUIREMENT.findall(text, package.start, package.end)
    }


def _toml_lock_find(name: str) -> _Find:
    return _Find(r"^name = \"NAME\"", name)


def _parse_poetry_lock(text: str) -> list[_Entry]:
    return [
        _lock_entry(p.name, p.version, _pypi_key(p.name), _toml_lock_find(p.name))
        for p in _scan_toml_packages(text, "[[package]]")
        if p.version
    ]


def _parse_uv_lock(text: str) -> list[_Entry]:
    packages = _scan_toml_packages(text, "[[package]]")
    # The project and its workspace members are locked as editable or virtual sources.
    roots = [p for p in packages if p.source and re.search(r"\b(editable|virtual)\b", p.source)]
    direct = {_pypi_key(name) for name in _required_names(text, roots)}
    return [
        _lock_entry(
            p.name,
            p.version,
            _pypi_key(p.name),
            _toml_lock_find(p.name),
            direct=_pypi_key(p.name) in direct,
        )
        for p in packages
        if p.version and p not in roots
    ]


def _parse_pylock(text: str) -> list[_Entry]:
    return [
        _lock_entry(p.name, p.version, _pypi_key(p.name), _toml_lock_find(p.name))
        for p in _scan_toml_packages(text, "[[packages]]")
        if p.version
    ]


def _parse_pipfile_lock(text: str) -> list[_Entry]:
    entries = []
    for category, packages in _table(json.loads(text)).items():
        if category == "_meta":
            continue
        for name, locked in _table(packages).items():
            table = _table(locked)
            version = table.get("version") or table.get("ref")
            if isinstance(version, str):
                find = _Find(r"\"NAME\"\s*:\s*\{", name)
                entries.append(_lock_entry(name, version.removeprefix("=="), _pypi_key(name), find))
    return entries


# --- JavaScript ---------------------------------------------------------------------------

_NPM_SECTIONS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")
_NPM_EXACT = re.compile(r"(?:=|v)?\s*\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")
_NPM_LOCAL = ("file:", "link:", "workspace:", "portal:", "./", "../", "/", "~/")
_NPM_GIT = re.compile(r"git\+|git:|github:|gitlab:|bitbucket:|gist:|[\w.-]+/[\w.-]+(?:#|$)")


def _npm_unpinned(spec: str) -> bool:
    version = spec.strip()
    if version.startswith("npm:"):  # alias: npm:real-name@range
        target = version[4:]
        at = target.rfind("@")
        version = target[at + 1 :] if at > 0 else ""
    if version.startswith(_NPM_LOCAL):
        return False
    if _NPM_GIT.match(version):
        return not _is_commit(version.partition("#")[2])
    if version.startswith(("http://", "https://")):
        return not _url_pins(version)
    return _NPM_EXACT.fullmatch(version) is None


def _parse_package_json(text: str) -> list[_Entry]:
    manifest = _table(json.loads(text))
    entries = []
    for section in _NPM_SECTIONS:
        for name, spec in _table(manifest.get(section)).items():
            if isinstance(spec, str):
                version = " ".join(spec.split())
                find = _json_find(section, name)
                dev = section == "devDependencies"
                entries.append(_Entry(name, version, _npm_unpinned(version), find=find, dev=dev))
    return entries


def _npm_name(descriptor: str) -> str:
    """`name` of `name@range` or `@scope/name@range`."""
    at = descriptor.find("@", 1 if descriptor.startswith("@") else 0)
    return descriptor[:at] if at > 0 else descriptor


def _parse_package_lock(text: str) -> list[_Entry]:
    lock = _table(json.loads(text))
    entries = []
    packages = lock.get("packages")
    if isinstance(packages, dict):  # lockfileVersion 2 and 3
        for location, package in packages.items():
            table = _table(package)
            version = table.get("version")
            if "node_modules/" not in location or table.get("link") or not isinstance(version, str):
                continue
            name = location.rsplit("node_modules/", 1)[1]
            find = _Find(r"\"NAME\"\s*:", location)
            direct = location == f"node_modules/{name}"
            entries.append(_lock_entry(name, version, name, find, direct=direct))
        return entries
    # lockfileVersion 1: a tree of "dependencies".
    pending = deque((name, dep, True) for name, dep in _table(lock.get("dependencies")).items())
    while pending:
        name, dependency, direct = pending.popleft()
        table = _table(dependency)
        version = table.get("version")
        if isinstance(version, str):
            find = _Find(r"\"NAME\"\s*:\s*\{", name)
            entries.append(_lock_entry(name, version, name, find, direct=direct))
        pending += [(n, d, False) for n, d in _table(table.get("dependencies")).items()]
    return entries


_YARN_VERSION = re.compile(r"  version:? \"?([^\"\s]+)\"?\s*$")
_YARN_LOCAL = re.compile(r"@(workspace|link|portal):")


def _parse_yarn_lock(text: str) -> list[_Entry]:
    entries = []
    current: tuple[str, int] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw or raw.startswith("#"):
            continue
        if not raw.startswith(" "):
            current = None
            descriptor = raw.rstrip(":").split(",")[0].strip().strip("\"'")
            if raw.endswith(":") and descriptor != "__metadata" and not _YARN_LOCAL.search(raw):
                current = (_npm_name(descriptor), number)
            continue
        version = _YARN_VERSION.match(raw) if current is not None else None
        if current is not None and version is not None:
            name, line = current
            entries.append(_Entry(name, version.group(1), line=line))
            current = None
    return entries


_PNPM_DEPENDENCY_KEYS = frozenset({"dependencies", "devDependencies", "optionalDependencies"})


def _pnpm_package(key: str) -> tuple[str, str] | None:
    """(name, version) of a `packages:` key in any pnpm lockfile version."""
    locator = key.strip().strip("'\"").lstrip("/")
    paren = locator.find("(")  # v6+ peer suffix: foo@1.0.0(react@18.0.0)
    if paren > 0:
        locator = locator[:paren]
    name = _npm_name(locator)
    # An npm name has one slash when scoped and none otherwise; more means v5's name/version.
    if name != locator and name.count("/") == name.startswith("@"):
        return name, locator[len(name) + 1 :]
    slash = locator.rfind("/")  # v5: /foo/1.0.0_react@18.0.0 (peers never hold a slash)
    if slash <= 0:
        return None
    return locator[:slash], locator[slash + 1 :].split("_", 1)[0]


def _parse_pnpm_lock(text: str) -> list[_Entry]:
    packages: list[tuple[str, str, int]] = []
    direct: set[str] = set()
    section = ""
    dependency_indent: int | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        key = stripped.split(":", 1)[0].strip("'\"")
        if indent == 0:
            section = key
            dependency_indent = 0 if key in _PNPM_DEPENDENCY_KEYS else None
            continue
        if section == "packages":
            package = _pnpm_package(stripped[:-1]) if indent == 2 and raw.endswith(":") else None
            if package is not None:
                packages.append((*package, number))
            continue
        if section != "importers" and section not in _PNPM_DEPENDENCY_KEYS:
            continue
        if dependency_indent is not None and indent <= dependency_indent:
            dependency_indent = None
        if key in _PNPM_DEPENDENCY_KEYS and stripped.endswith(":"):
            dependency_indent = indent
        elif dependency_indent is not None and indent == dependency_indent + 2:
            direct.add(key)
    return [
        _Entry(name, version, line=line, direct=name in direct) for name, version, line in packages
    ]


# --- Go -----------------------------------------------------------------------------------


def _parse_go_mod(text: str) -> list[_Entry]:
    entries = []
    block: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("//", 1)[0].strip()
        if not line:
            continue
        if block is not None:
            if line == ")":
                block = None
                continue
            directive, rest = block, line
        else:
            directive, _, rest = line.partition(" ")
            rest = rest.strip()
            if rest == "(":
                block = directive
                continue
        # go.mod pins every requirement: versions are exact, or pseudo-versions of a commit.
        if directive == "require":
            parts = rest.split()
            if len(parts) >= 2:
                module = parts[0].strip('"')
                entries.append(_Entry(module, parts[1], line=number))
        elif directive == "replace" and "=>" in rest:
            old, _, new = rest.partition("=>")
            old_parts = old.split()
            if old_parts:
                module = old_parts[0].strip('"')
                spec = " ".join([*old_parts[1:], "=>", *new.split()])
                entries.append(_Entry(module, spec, line=number, key=f"replace {module}"))
    return entries


# --- Rust ---------------------------------------------------------------------------------

_CARGO_SECTIONS = ("dependencies", "dev-dependencies", "build-dependencies", "dev_dependencies")
_CARGO_EXACT = re.compile(r"=\s*\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")


def _cargo_entry(name: str, value: object, find: _Find) -> _Entry | None:
    if isinstance(value, str):
        return _Entry(name, value.strip(), not _CARGO_EXACT.fullmatch(value.strip()), find=find)
    table = _table(value)
    if table.get("workspace") is True:  # the spec stands in [workspace.dependencies]
        return _Entry(name, "workspace", find=find)
    source = _source_spec(table)
    if source is not None:
        return _Entry(name, source[0], source[1], find=find)
    version = table.get("version")
    if isinstance(version, str):
        return _Entry(name, version.strip(), not _CARGO_EXACT.fullmatch(version.strip()), find=find)
    if table:
        return _Entry(name, "", True, find=find)
    return None


def _parse_cargo_toml(text: str) -> list[_Entry]:
    document = tomllib.loads(text)
    sections: list[tuple[str | None, object]] = [
        (_toml_header(name), document.get(name)) for name in _CARGO_SECTIONS
    ]
    workspace = _table(document.get("workspace"))
    sections.append((_toml_header("workspace", "dependencies"), workspace.get("dependencies")))
    for target in _table(document.get("target")).values():
        sections += [(None, _table(target).get(name)) for name in _CARGO_SECTIONS]
    entries = []
    for anchor, section in sections:
        for name, value in _table(section).items():
            entry = _cargo_entry(name, value, _key_find(anchor, name))
            if entry is not None:
                entries.append(entry)
    return entries


def _parse_cargo_lock(text: str) -> list[_Entry]:
    packages = _scan_toml_packages(text, "[[package]]")
    # Workspace members and path dependencies have no source; they are the repo's own code.
    roots = [p for p in packages if p.source is None]
    direct = _required_names(text, roots)
    return [
        _lock_entry(p.name, p.version, p.name, _toml_lock_find(p.name), direct=p.name in direct)
        for p in packages
        if p.source is not None and p.version
    ]


# --- Ruby ---------------------------------------------------------------------------------

_GEM_LINE = re.compile(r"\s*gem\s*(?:\(\s*)?([\"'])([^\"']+)\1(.*)")
_GEMSPEC_LINE = re.compile(
    r"\s*\w+\.add_(?:runtime_|development_)?dependency\s*(?:\(\s*)?([\"'])([^\"']+)\1(.*)"
)
_RUBY_ARGUMENT = re.compile(
    r",\s*(?:(\w+):\s*|:(\w+)\s*=>\s*)?(\[[^\]]*\]|\"[^\"]*\"|'[^']*'|[^,]+)"
)
_GEM_EXACT = re.compile(r"(?:=\s*)?\d+(?:\.[0-9A-Za-z]+)*")


def _ruby_lines(text: str) -> Iterator[tuple[int, str]]:
    """Statements with trailing-comma continuations joined, comments dropped."""
    pending = ""
    start = 1
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        pending += " " + re.sub(r"\s#(?![{]).*|^\s*#.*", "", raw).strip()
        if not pending.rstrip().endswith(","):
            yield start, pending.strip()
            pending = ""
    if pending.strip():
        yield start, pending.strip()


def _gem_entry(name: str, arguments: str, line: int) -> _Entry:
    versions: list[str] = []
    options: dict[str, str] = {}
    for key, symbol, value in _RUBY_ARGUMENT.findall(arguments):
        option = key or symbol
        strings = re.findall(r"\"([^\"]*)\"|'([^']*)'", value)
        texts = [a or b for a, b in strings]
        if option:
            options[option] = texts[0] if texts else value.strip()
        elif texts:
            versions += [" ".join(t.split()) for t in texts]
    if "github" in options:
        options.setdefault("git", f"https://github.com/{options['github']}")
    source = _source_spec(options)
    if source is not None:
        return _Entry(name, source[0], source[1], line=line)
    pinned = any(_GEM_EXACT.fullmatch(version) for version in versions)
    return _Entry(name, ", ".join(versions), not pinned, line=line)


def _parse_gemfile(text: str) -> list[_Entry]:
    entries = []
    for line, statement in _ruby_lines(text):
        gem = _GEM_LINE.match(statement)
        if gem is not None:
            entries.append(_gem_entry(gem.group(2), gem.group(3), line))
    return entries


def _parse_gemspec(text: str) -> list[_Entry]:
    entries = []
    for line, statement in _ruby_lines(text):
        dependency = _GEMSPEC_LINE.match(statement)
        if dependency is not None:
            entries.append(_gem_entry(dependency.group(2), dependency.group(3), line))
    return entries


_GEMFILE_LOCK_SPEC = re.compile(r"    (\S+) \(([^)]+)\)\s*$")
_GEMFILE_LOCK_DEPENDENCY = re.compile(r"  ([^\s!]+)")


def _parse_gemfile_lock(text: str) -> list[_Entry]:
    specs: list[tuple[str, str, int]] = []
    direct: set[str] = set()
    section = ""
    for number, raw in enumerate(text.splitlines(), 1):
        if raw and not raw.startswith(" "):
            section = raw.strip()
            continue
        if section in ("GEM", "GIT", "PLUGIN SOURCE"):  # PATH gems are the repo's own
            spec = _GEMFILE_LOCK_SPEC.match(raw)
            if spec is not None:
                specs.append((spec.group(1), spec.group(2), number))
        elif section == "DEPENDENCIES":
            dependency = _GEMFILE_LOCK_DEPENDENCY.match(raw)
            if dependency is not None:
                direct.add(dependency.group(1))
    return [
        _Entry(name, version, line=line, direct=name in direct) for name, version, line in specs
    ]


# --- Java and the JVM ---------------------------------------------------------------------


def _maven_unpinned(version: str) -> bool:
    # "" is managed by a parent or BOM (Maven refuses a dependency without a version otherwise).
    if version.upper() in ("LATEST", "RELEASE") or version.endswith("-SNAPSHOT"):
        return True
    is_range = version.startswith(("[", "(", "]"))
    return is_range and re.fullmatch(r"\[[^,\[\]()]+\]", version) is None


def _gradle_unpinned(version: str) -> bool:
    return "+" in version or version.startswith("latest.") or _maven_unpinned(version)


def _local_name(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


def _parse_xml(text: str) -> ET.Element:
    # Manifests never need a DTD; refusing one rules out entity expansion attacks.
    if re.search(r"<!(DOCTYPE|ENTITY)", text):
        raise ET.ParseError("document type declarations are not accepted in a manifest")
    return ET.fromstring(text)  # noqa: S314 - DTDs refused above, and expat fetches nothing


def _children(element: ET.Element) -> dict[str, str]:
    return {_local_name(child): (child.text or "").strip() for child in element}


def _parse_pom(text: str) -> list[_Entry]:
    project = _parse_xml(text)
    top = _children(project)
    properties = {
        f"project.{key}": value for key, value in top.items() if key in ("version", "groupId")
    }
    for element in project:
        if _local_name(element) == "properties":
            properties.update(_children(element))
        elif _local_name(element) == "parent":
            parent = _children(element)
            properties.setdefault("project.version", parent.get("version", ""))

    def resolve(value: str) -> str:
        for _ in range(5):  # properties may refer to properties
            resolved = re.sub(r"\$\{([^${}]+)\}", lambda m: properties.get(m[1], m[0]), value)
            if resolved == value:
                break
            value = resolved
        return value

    dependencies = [
        _children(element) for element in project.iter() if _local_name(element) == "dependency"
    ]
    managed = {
        (d.get("groupId"), d.get("artifactId")): d["version"]
        for d in dependencies
        if d.get("version")
    }
    entries = []
    for dependency in dependencies:
        group, artifact = dependency.get("groupId", ""), dependency.get("artifactId", "")
        if not group or not artifact:
            continue
        version = resolve(dependency.get("version") or managed.get((group, artifact), ""))
        find = _Find(r"<artifactId>\s*NAME\s*</artifactId>", artifact, r"<dependenc")
        entries.append(_Entry(f"{group}:{artifact}", version, _maven_unpinned(version), find=find))
    return entries


_GRADLE_NOTATION = re.compile(
    r"\s*[a-z][A-Za-z0-9]*\s*(?:\(\s*)?(?:(?:platform|enforcedPlatform|testFixtures)\s*\(\s*)?"
    r"([\"'])([\w.-]+):([\w.-]+)(?::([^:\"'@\s]*))?(?::[^\"'@\s]+)?(?:@\w+)?\1"
)
_GRADLE_MAP = re.compile(r"\s*[a-z][A-Za-z0-9]*\s*(?:\(\s*)?group\s*[:=]")


def _parse_gradle(text: str) -> list[_Entry]:
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        notation = _GRADLE_NOTATION.match(raw)
        if notation is not None:
            name, version = f"{notation.group(2)}:{notation.group(3)}", notation.group(4) or ""
        elif _GRADLE_MAP.match(raw):
            fields = dict(re.findall(r"(group|name|version)\s*[:=]\s*[\"']([^\"']*)[\"']", raw))
            if "group" not in fields or "name" not in fields:
                continue
            name, version = f"{fields['group']}:{fields['name']}", fields.get("version", "")
        else:
            continue
        entries.append(_Entry(name, version, _gradle_unpinned(version), line=number))
    return entries


def _catalog_version(value: object, versions: Mapping[str, Any]) -> str:
    if isinstance(value, str):
        return value
    table = _table(value)
    reference = table.get("ref")
    if isinstance(reference, str):
        return _catalog_version(versions.get(reference, f"version.ref={reference}"), versions)
    for key in ("strictly", "require", "prefer"):  # Gradle's rich versions, strongest first
        if isinstance(table.get(key), str):
            return str(table[key])
    return ""


def _parse_version_catalog(text: str) -> list[_Entry]:
    catalog = tomllib.loads(text)
    versions = _table(catalog.get("versions"))
    entries = []
    for alias, value in _table(catalog.get("libraries")).items():
        table = _table(value)
        if isinstance(value, str):
            module, _, version = value.rpartition(":") if value.count(":") >= 2 else (value, "", "")
        elif isinstance(table.get("module"), str):
            module, version = table["module"], _catalog_version(table.get("version"), versions)
        elif isinstance(table.get("group"), str) and isinstance(table.get("name"), str):
            module = f"{table['group']}:{table['name']}"
            version = _catalog_version(table.get("version"), versions)
        else:
            continue
        find = _key_find(_toml_header("libraries"), alias)
        entries.append(_Entry(module, version, _gradle_unpinned(version), find=find))
    for alias, value in _table(catalog.get("plugins")).items():
        table = _table(value)
        if isinstance(value, str):
            plugin, _, version = value.partition(":")
        elif isinstance(table.get("id"), str):
            plugin, version = table["id"], _catalog_version(table.get("version"), versions)
        else:
            continue
        find = _key_find(_toml_header("plugins"), alias)
        entries.append(_Entry(plugin, version, _gradle_unpinned(version), find=find))
    return entries


def _parse_gradle_lockfile(text: str) -> list[_Entry]:
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        coordinates = raw.partition("=")[0].strip()
        parts = coordinates.split(":")
        if raw.startswith("#") or len(parts) != 3:
            continue
        entries.append(_Entry(f"{parts[0]}:{parts[1]}", parts[2], line=number))
    return entries


# --- PHP ----------------------------------------------------------------------------------

_COMPOSER_PLATFORM = re.compile(r"php(-\w+)?|hhvm|ext-.+|lib-.+|composer(-[\w-]+-api)?")
_COMPOSER_EXACT = re.compile(
    r"(?:==?)?\s*v?\d+(?:\.\d+){0,3}(?:-?[A-Za-z]+\.?\d*)?(?:@\w+)?|dev-\S+#[0-9a-fA-F]{7,40}"
)


def _parse_composer_json(text: str) -> list[_Entry]:
    manifest = _table(json.loads(text))
    entries = []
    for section in ("require", "require-dev"):
        for name, constraint in _table(manifest.get(section)).items():
            if isinstance(constraint, str) and not _COMPOSER_PLATFORM.fullmatch(name):
                version = " ".join(constraint.split())
                unpinned = _COMPOSER_EXACT.fullmatch(version) is None
                find = _json_find(section, name)
                entries.append(_Entry(name, version, unpinned, find=find, key=name.lower()))
    return entries


def _parse_composer_lock(text: str) -> list[_Entry]:
    lock = _table(json.loads(text))
    entries = []
    for section in ("packages", "packages-dev"):
        packages = lock.get(section)
        for package in packages if isinstance(packages, list) else []:
            table = _table(package)
            name, version = table.get("name"), table.get("version")
            if isinstance(name, str) and isinstance(version, str):
                find = _Find(r"\"name\"\s*:\s*\"NAME\"", name)
                entries.append(_lock_entry(name, version, name.lower(), find))
    return entries


# --- .NET ---------------------------------------------------------------------------------

_NUGET_REFERENCES = frozenset({"PackageReference", "PackageVersion", "GlobalPackageReference"})


def _nuget_unpinned(version: str) -> bool:
    # A bare NuGet version is a minimum, but restore picks exactly it when it exists.
    return "*" in version or _maven_unpinned(version)


def _parse_msbuild(text: str) -> list[_Entry]:
    entries = []
    for element in _parse_xml(text).iter():
        if _local_name(element) not in _NUGET_REFERENCES:
            continue
        name = element.get("Include") or element.get("Update")
        if not name:
            continue
        version = (
            element.get("Version")
            or element.get("VersionOverride")
            or _children(element).get("Version", "")
        )
        find = _Find(r"(?i)(Include|Update)\s*=\s*\"NAME\"", name)
        entries.append(_Entry(name, version, _nuget_unpinned(version), find=find, key=name.lower()))
    return entries


def _parse_packages_config(text: str) -> list[_Entry]:
    entries = []
    for element in _parse_xml(text).iter():
        name, version = element.get("id"), element.get("version")
        if _local_name(element) == "package" and name and version:
            find = _Find(r"(?i)id\s*=\s*\"NAME\"", name)
            entries.append(
                _Entry(name, version, _nuget_unpinned(version), find=find, key=name.lower())
            )
    return entries


def _parse_nuget_lock(text: str) -> list[_Entry]:
    entries = []
    for framework in _table(_table(json.loads(text)).get("dependencies")).values():
        for name, package in _table(framework).items():
            table = _table(package)
            resolved = table.get("resolved")
            if table.get("type") == "Project" or not isinstance(resolved, str):
                continue
            find = _Find(r"\"NAME\"\s*:\s*\{", name)
            direct = table.get("type") == "Direct"
            entries.append(_lock_entry(name, resolved, name.lower(), find, direct=direct))
    return entries


# --- Which file is which ------------------------------------------------------------------

_MSBUILD = _Format("nuget", False, _parse_msbuild)
_BY_NAME: dict[str, _Format] = {
    "pyproject.toml": _Format("pypi", False, _parse_pyproject),
    "Pipfile": _Format("pypi", False, _parse_pipfile),
    "setup.cfg": _Format("pypi", False, _parse_setup_cfg),
    "poetry.lock": _Format("pypi", True, _parse_poetry_lock),
    "uv.lock": _Format("pypi", True, _parse_uv_lock),
    "pylock.toml": _Format("pypi", True, _parse_pylock),
    "Pipfile.lock": _Format("pypi", True, _parse_pipfile_lock),
    "package.json": _Format("npm", False, _parse_package_json),
    "package-lock.json": _Format("npm", True, _parse_package_lock),
    "npm-shrinkwrap.json": _Format("npm", True, _parse_package_lock),
    "yarn.lock": _Format("npm", True, _parse_yarn_lock),
    "pnpm-lock.yaml": _Format("npm", True, _parse_pnpm_lock),
    "go.mod": _Format("go", False, _parse_go_mod),
    "Cargo.toml": _Format("cargo", False, _parse_cargo_toml),
    "Cargo.lock": _Format("cargo", True, _parse_cargo_lock),
    "Gemfile": _Format("rubygems", False, _parse_gemfile),
    "gems.rb": _Format("rubygems", False, _parse_gemfile),
    "Gemfile.lock": _Format("rubygems", True, _parse_gemfile_lock),
    "gems.locked": _Format("rubygems", True, _parse_gemfile_lock),
    "pom.xml": _Format("maven", False, _parse_pom),
    "build.gradle": _Format("gradle", False, _parse_gradle),
    "build.gradle.kts": _Format("gradle", False, _parse_gradle),
    "composer.json": _Format("composer", False, _parse_composer_json),
    "composer.lock": _Format("composer", True, _parse_composer_lock),
    "Directory.Packages.props": _MSBUILD,
    "Directory.Build.props": _MSBUILD,
    "packages.config": _Format("nuget", False, _parse_packages_config),
    "packages.lock.json": _Format("nuget", True, _parse_nuget_lock),
}
_BY_EXTENSION: dict[str, _Format] = {
    "gemspec": _Format("rubygems", False, _parse_gemspec),
    "csproj": _MSBUILD,
    "fsproj": _MSBUILD,
    "vbproj": _MSBUILD,
}


def _is_requirements(folders: list[str], stem: str, extension: str) -> bool:
    # requirements*.txt, dev-requirements.in, constraints.txt, requirements/base.txt; not
    # MANIFEST.in or Makefile.in.
    return extension in ("txt", "in") and (
        "requirements" in stem or stem.startswith("constraints") or "requirements" in folders
    )


def _is_version_catalog(folders: list[str], stem: str, extension: str) -> bool:
    return extension == "toml" and stem.endswith(".versions")  # gradle/libs.versions.toml


def _is_gradle_lockfile(folders: list[str], stem: str, extension: str) -> bool:
    return f"{stem}.{extension}".endswith("gradle.lockfile") or (
        extension == "lockfile" and "dependency-locks" in folders
    )


def _is_pylock(folders: list[str], stem: str, extension: str) -> bool:
    return extension == "toml" and stem.startswith("pylock.")  # PEP 751 named lockfiles


_BY_PATTERN: tuple[tuple[Callable[[list[str], str, str], bool], _Format], ...] = (
    (_is_requirements, _Format("pypi", False, _parse_requirements)),
    (_is_version_catalog, _Format("gradle", False, _parse_version_catalog)),
    (_is_gradle_lockfile, _Format("gradle", True, _parse_gradle_lockfile)),
    (_is_pylock, _BY_NAME["pylock.toml"]),
)


_COMPILED = _Format("pypi", True, _parse_requirements)


def _format_of(path: str) -> _Format | None:
    folders, _, name = path.rpartition("/")
    folder_names = folders.split("/") if folders else []
    if "node_modules" in folder_names:  # vendored packages' manifests are not the project's
        return None
    if name in _BY_NAME:
        return _BY_NAME[name]
    stem, _, extension = name.rpartition(".")
    if extension in _BY_EXTENSION:
        return _BY_EXTENSION[extension]
    return next((fmt for test, fmt in _BY_PATTERN if test(folder_names, stem, extension)), None)
