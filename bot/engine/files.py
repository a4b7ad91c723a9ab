"""Which changed files the engine reads, and the per-file unit of work.

Per-file work (complexity, AST and secret rules) is a pure function of a FileJob so the caller
may run it on several cores; the engine itself never starts processes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.engine import globs
from bot.engine.dependencies import is_manifest
from bot.engine.result import Location, Skipped
from bot.engine.ruleset import Ruleset
from bot.engine.snapshot import ChangedFile, FileStatus, Snapshot

# A line longer than this in a file with few lines is the mark of a minified bundle.
_MINIFIED_LINE = 1000


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


@dataclass(frozen=True, slots=True)
class FunctionChange:
    """A function whose complexity is worth a reviewer's look (new and complex, or grown)."""

    path: str
    name: str
    line: int
    complexity: int
    base_complexity: int | None  # None: the function is new


@dataclass(frozen=True, slots=True)
class FileReport:
    """What per-file analysis found in one file."""

    path: str
    functions: tuple[FunctionChange, ...] = ()
    maintainability_drop: float | None = None
    findings: tuple[Location, ...] = ()
    unmeasured: Skipped | None = None  # why complexity was not measured
    unscanned: tuple[Skipped, ...] = ()  # what the pattern scanners could not read


def skip_reason(changed: ChangedFile, ruleset: Ruleset, head_text: str | None) -> str | None:
    """Why a file is left out of content analysis, or None when it is analysed."""
    if changed.binary:
        return "binary file"
    if changed.symlink:
        return "symbolic link"
    if changed.status is FileStatus.REMOVED:
        return None
    pattern = globs.first_match(changed.path, ruleset.skip_globs)
    if pattern is not None:
        return f"generated or vendored (matches {pattern})"
    if head_text is not None:
        if len(head_text.encode("utf-8", "surrogateescape")) > ruleset.max_file_bytes:
            return f"larger than {ruleset.max_file_bytes // 1024} KiB"
        if _looks_minified(head_text):
            return "minified"
    return None


def _looks_minified(text: str) -> bool:
    lines = text.count("\n") + 1
    return (lines <= 5 and len(text) > _MINIFIED_LINE) or (len(text) / lines > 300 and lines < 50)


def needs_text(changed: ChangedFile, ruleset: Ruleset) -> bool:
    """Whether the engine reads this file whole (so adapters fetch only those)."""
    if changed.binary or changed.symlink:
        return False
    if is_manifest(changed.path) or is_manifest(changed.old_path or changed.path):
        return True
    if globs.match_any(changed.path, ruleset.skip_globs):
        return False
    language = ruleset.languages.of(changed.path)
    return language is not None and language.meter is not None


def _budget_order(files: tuple[ChangedFile, ...], ruleset: Ruleset) -> list[ChangedFile]:
    """Files in the order they get the analysis budget: critical paths, then most lines added."""
    critical = tuple(glob for area in ruleset.critical_paths for glob in area.paths)

    def rank(changed: ChangedFile) -> tuple[bool, int, str]:
        return (not globs.match_any(changed.path, critical), -changed.additions, changed.path)

    return sorted(files, key=rank)


def plan_jobs(snapshot: Snapshot, ruleset: Ruleset) -> tuple[list[FileJob], list[Skipped]]:
    """Split the changed files into per-file jobs and the files left out (with the reason).

    Whole-file analysis (complexity, bandit) reads at most `risk.limits.analysis_bytes` of text
    per change, so a huge pull request costs bounded time; files past the budget still get the
    line rules and secret detectors, and their complexity is listed as not measured.
    """
    jobs: list[FileJob] = []
    skipped: list[Skipped] = []
    budget = ruleset.config.risk.limits.analysis_bytes
    spent = 0
    over_budget = f"over the change's analysis budget ({budget // 1024} KiB of source)"
    for changed in _budget_order(snapshot.files, ruleset):
        if changed.status is FileStatus.REMOVED:
            continue
        head_text = snapshot.head_texts.get(changed.path)
        reason = skip_reason(changed, ruleset, head_text)
        if reason is not None:
            skipped.append(Skipped(changed.path, reason))
            continue
        language = ruleset.languages.of(changed.path)
        base_path = changed.base_path
        base_text = snapshot.base_texts.get(base_path) if base_path else None
        cost = len(head_text or "") + len(base_text or "")
        within = spent + cost <= budget
        spent += cost if within else 0
        jobs.append(
            FileJob(
                path=changed.path,
                language=language.id if language else None,
                meter=language.meter if language else None,
                base_text=base_text if within else None,
                head_text=head_text if within else None,
                added_lines=frozenset(changed.added_lines),
                added_text=changed.added_text,
                no_text_reason="head text not available" if within else over_budget,
            )
        )
    order = {changed.path: index for index, changed in enumerate(snapshot.files)}
    jobs.sort(key=lambda job: order[job.path])
    return jobs, skipped
