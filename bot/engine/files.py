"""Which changed files the engine reads, and the per-file unit of work.

Per-file work (complexity, AST and secret rules) is a pure function of a FileJob so the caller
may run it on several cores; the engine itself never starts processes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.config import globs
from bot.engine.dependencies import is_manifest
from bot.engine.result import Location, Skipped
from bot.engine.ruleset import Ruleset
from bot.engine.snapshot import ChangedFile, FileStatus, Snapshot
from bot.engine.tool_table import tool_table
from bot.engine.workloads import wants_text as may_write_container

# Minified code: at least this long, few newlines for its size, and no indentation structure.
_MINIFIED_MIN_CHARS = 2048
_MINIFIED_LINE = 250  # characters per non-empty line, on average
_MINIFIED_INDENTED = 0.05  # at most this share of non-empty lines indented

_LONE_CR = re.compile(r"\r(?!\n)")

GIT_BINARY = "binary file"
NO_TEXT_DIFF = "no text diff (binary to git, or too large to show): its lines were not scanned"


@dataclass(frozen=True, slots=True)
class FileJob:
    """One changed file, with everything per-file analysis may read."""

    path: str
    language: str | None
    meter: str | None
    base_text: str | None
    head_text: str | None
    added_lines: frozenset[int]
    added_text: Mapping[int, str] = field(default_factory=dict)
    # Why the texts are absent when they are (e.g. over the change's analysis budget).
    no_text_reason: str = "head text not available"
    # Characters of added text the line rules may read (None: all), and what to say past it.
    scan_limit: int | None = None
    past_scan_limit: str = ""
    # False for tests, docs and examples: no complexity, no bandit, findings demoted.
    production: bool = True
    # A test file: the weakened-test rules read it (bot/engine/patterns/weakened.py).
    test: bool = False
    # The change creates the file (a new migration, not an edit of one the base has run).
    created: bool = False


@dataclass(frozen=True, slots=True)
class FunctionChange:
    """A function whose complexity is worth a reviewer's look (new and complex, or grown)."""

    path: str
    name: str
    line: int
    complexity: int
    base_complexity: int | None  # None: the function is new
    last_line: int = field(default=0, compare=False)  # where its body ends (0: not known)


@dataclass(frozen=True, slots=True)
class FileReport:
    """What per-file analysis found in one file."""

    path: str
    functions: tuple[FunctionChange, ...] = ()
    maintainability_drop: float | None = None
    findings: tuple[Location, ...] = ()
    unmeasured: Skipped | None = None  # why complexity was not measured
    unscanned: tuple[Skipped, ...] = ()  # what the pattern scanners could not read
    # Python only: base and head are one program (only annotations, docstrings, casts or
    # formatting changed), so the change wrote no code here.
    same_code: bool = False
    # Tests only: added lines of tests the change left testing nothing (skipped, asserting only
    # what cannot fail, left with no assertion); the missing_tests signal does not count them.
    hollow_lines: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Plan:
    """The per-file jobs of one change, and what was left out of them."""

    jobs: list[FileJob]
    # Files left out of all content analysis: binary, symbolic links, generated or vendored.
    skipped: list[Skipped]
    # Files whose analysis a limit or their shape cut short, and which are not generated or
    # vendored: unmeasured risk, which `risk.limits.unmeasured_floor` turns into a level.
    unmeasured: list[Skipped]


def skip_reason(changed: ChangedFile, ruleset: Ruleset) -> str | None:
    """Why a file is left out of all content analysis, or None when its added lines are read.

    Only what has no lines to read (binary files, links) and what the skip globs name
    (generated, vendored, lock files) is left out; size and shape only ever cut whole-file
    analysis short (`whole_file_skip_reason`).
    """
    if changed.binary:
        return GIT_BINARY
    if changed.symlink:
        return "symbolic link"
    if changed.status is FileStatus.REMOVED:
        return None
    pattern = globs.first_match(changed.path, ruleset.skip_globs)
    if pattern is not None:
        return f"generated or vendored (matches {pattern})"
    return None


def whole_file_skip_reason(head_text: str, ruleset: Ruleset) -> str | None:
    """Why complexity and bandit do not read a file whose text is at hand, or None."""
    if len(head_text.encode("utf-8", "surrogatepass")) > ruleset.max_file_bytes:
        return f"larger than {ruleset.max_file_bytes // 1024} KiB"
    if _LONE_CR.search(head_text):
        # Python and JavaScript end a line at a bare \r, git does not: a finding's line would
        # never meet the line git says was added.
        return "carriage returns without newlines (git and the compiler number lines apart)"
    if looks_minified(head_text):
        return "minified (long lines and no indentation)"
    return None


def looks_minified(text: str) -> bool:
    """Code a minifier packed: at least 2 KiB, more than 250 characters per non-empty line on
    average, and almost no indented line.

    Hand-written code with long lines (long strings, padded comments) still has its indentation,
    so it is measured; a block comment's ` * ` lines (a bundle's license header) do not count
    as indentation.
    """
    if len(text) < _MINIFIED_MIN_CHARS:
        return False
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines or len(text) / len(lines) <= _MINIFIED_LINE:
        return False
    indented = sum(1 for line in lines if line[:1] in " \t" and line.lstrip()[:1] != "*")
    return indented <= _MINIFIED_INDENTED * len(lines)


def needs_text(changed: ChangedFile, ruleset: Ruleset) -> bool:
    """Whether the engine reads this file whole (so adapters fetch only those)."""
    if changed.binary or changed.symlink:
        return False
    if is_manifest(changed.path) or is_manifest(changed.old_path or changed.path):
        return True
    if globs.match_any(changed.path, ruleset.skip_globs):
        return False
    language = ruleset.languages.of(changed.path)
    if language is not None and language.meter is not None:
        return True
    # Workflows, migrations and Dockerfiles of production: the change tools read them
    # (bot/data/tools.yml); Kubernetes manifests where the change may write a container.
    language_id = language.id if language else None
    return ruleset.is_production(changed.path) and (
        tool_table().reads(changed.path, language_id)
        or may_write_container(language_id, changed.added_text)
    )


def _budget_order(files: tuple[ChangedFile, ...], ruleset: Ruleset) -> list[ChangedFile]:
    """Files in the order they get the analysis budget: critical paths, then most lines added."""
    critical = _critical_globs(ruleset)

    def rank(changed: ChangedFile) -> tuple[bool, int, str]:
        return (not globs.match_any(changed.path, critical), -changed.additions, changed.path)

    return sorted(files, key=rank)


def _scan_order(files: tuple[ChangedFile, ...], ruleset: Ruleset) -> list[ChangedFile]:
    """Files in the order they get the line-scan budget: critical paths, then the least added
    text, so that one huge file cannot keep every other file from being scanned."""
    critical = _critical_globs(ruleset)

    def rank(changed: ChangedFile) -> tuple[bool, int, str]:
        return (not globs.match_any(changed.path, critical), _added_chars(changed), changed.path)

    return sorted(files, key=rank)


def _critical_globs(ruleset: Ruleset) -> tuple[str, ...]:
    return tuple(glob for area in ruleset.critical_paths for glob in area.paths)


def _added_chars(changed: ChangedFile) -> int:
    return sum(map(len, changed.added_text.values()))


def _scan_limits(snapshot: Snapshot, ruleset: Ruleset) -> dict[str, int]:
    """For each file the line scan cannot read whole, how many characters of it it reads."""
    left = ruleset.config.risk.limits.scan_bytes
    limits: dict[str, int] = {}
    for changed in _scan_order(snapshot.files, ruleset):
        if skip_reason(changed, ruleset) is not None:
            continue
        size = _added_chars(changed)
        if size > left:
            limits[changed.path] = left
        left = max(0, left - size)
    return limits


def plan_jobs(snapshot: Snapshot, ruleset: Ruleset) -> Plan:
    """Split the changed files into per-file jobs and the files left out (with the reason).

    Every file with added text gets a job, so the line rules and secret detectors read its added
    lines whatever its size or shape (up to `risk.limits.scan_bytes` of added text per change).
    Whole-file analysis (complexity, bandit) reads at most `risk.limits.analysis_bytes` of text
    per change, so a huge pull request costs bounded time, and skips files over
    `risk.limits.max_file_bytes` and minified code; what it does not read is listed as not
    measured, and counts as unmeasured risk unless the file is generated or vendored.
    """
    jobs: list[FileJob] = []
    skipped: list[Skipped] = []
    unmeasured: list[Skipped] = []
    limits = ruleset.config.risk.limits
    budget = limits.analysis_bytes
    spent = 0
    over_budget = f"over the change's analysis budget ({budget // 1024} KiB of source)"
    scan_limits = _scan_limits(snapshot, ruleset)
    for changed in _budget_order(snapshot.files, ruleset):
        if changed.status is FileStatus.REMOVED:
            continue
        language = ruleset.languages.of(changed.path)
        reason = skip_reason(changed, ruleset)
        if reason is not None:
            if reason == GIT_BINARY and language is not None and not _generated(changed, ruleset):
                reason = NO_TEXT_DIFF  # a file its name says is text: something hides there
                unmeasured.append(Skipped(changed.path, reason))
            skipped.append(Skipped(changed.path, reason))
            continue
        head_text = snapshot.head_texts.get(changed.path)
        base_path = changed.base_path
        base_text = snapshot.base_texts.get(base_path) if base_path else None
        production = ruleset.is_production(changed.path)
        unread = (
            "head text not available"
            if head_text is None
            else whole_file_skip_reason(head_text, ruleset)
        )
        if unread is None and production:
            cost = len(head_text or "") + len(base_text or "")
            if spent + cost <= budget:
                spent += cost
            else:
                unread = over_budget
        # Tests, docs and examples get no whole-file analysis: nothing of it is missing there.
        measured = production and language is not None and language.meter is not None
        if unread is not None and measured:
            unmeasured.append(Skipped(changed.path, unread))
        scan_limit = scan_limits.get(changed.path)
        past_scan_limit = ""
        if scan_limit is not None:
            past_scan_limit = (
                f"added lines past the change's line-scan budget ({_size(limits.scan_bytes)}) "
                "were not scanned"
            )
            unmeasured.append(Skipped(changed.path, past_scan_limit))
        jobs.append(
            FileJob(
                path=changed.path,
                language=language.id if language else None,
                meter=language.meter if language else None,
                base_text=base_text if unread is None else None,
                head_text=head_text if unread is None else None,
                added_lines=frozenset(changed.added_lines),
                added_text=changed.added_text,
                no_text_reason=unread or "",
                scan_limit=scan_limit,
                past_scan_limit=past_scan_limit,
                production=production,
                test=ruleset.is_test(changed.path),
                created=changed.status is FileStatus.ADDED,
            )
        )
    order = {changed.path: index for index, changed in enumerate(snapshot.files)}
    jobs.sort(key=lambda job: order[job.path])
    skipped.sort(key=lambda entry: order[entry.path])
    unmeasured.sort(key=lambda entry: order[entry.path])
    return Plan(jobs, skipped, unmeasured)


def _size(count: int) -> str:
    mebibytes, rest = divmod(count, 1024 * 1024)
    return f"{mebibytes} MiB" if not rest else f"{count // 1024} KiB"


def _generated(changed: ChangedFile, ruleset: Ruleset) -> bool:
    return globs.match_any(changed.path, ruleset.skip_globs)
