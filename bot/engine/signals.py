"""The risk signals: one pure function each, from the change to a SignalFinding.

Each returns an intensity in 0..1; `risk.score_risk` weighs them into points. How each
intensity is computed is documented in docs/risk.md, and the detail string says it in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.engine import globs
from bot.engine.dependencies import DependencyReport
from bot.engine.files import FileReport
from bot.engine.result import AIDetection, Level, Location, Severity, SignalFinding, Skipped
from bot.engine.ruleset import Ruleset
from bot.engine.snapshot import ChangedFile, FileStatus

MAX_LOCATIONS = 100
_SEVERITY_WEIGHT = {Severity.LOW: 0.1, Severity.MEDIUM: 0.3, Severity.HIGH: 0.6}


@dataclass(frozen=True, slots=True)
class Change:
    """The changed files split once: what content analysis covers and what it left out."""

    files: tuple[ChangedFile, ...]  # analysed (not skipped) files, removed ones included
    skipped: tuple[Skipped, ...]
    # Every changed file, skipped ones included: a binary or vendored file in `auth/` still
    # touches authentication.
    touched: tuple[ChangedFile, ...] = ()


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def size(change: Change, ruleset: Ruleset) -> SignalFinding:
    lines = sum(f.additions + f.deletions for f in change.files)
    files = len(change.files)
    limits = ruleset.size
    intensity = min(1.0, max(lines / limits.lines, files / limits.files))
    detail = f"{_plural(lines, 'line')} changed in {_plural(files, 'file')}"
    if change.skipped:
        detail += (
            f" ({_plural(len(change.skipped), 'file')} left out: binary, generated or vendored)"
        )
    return SignalFinding("size", intensity, detail, skipped=change.skipped)


def ai_share(ai: AIDetection) -> SignalFinding:
    if not ai.assisted:
        return SignalFinding("ai_share", 0.0, "no AI assistance detected")
    return SignalFinding(
        "ai_share", ai.share, f"{round(ai.share * 100)}% of the changed lines are AI-assisted"
    )


def critical_paths(change: Change, ruleset: Ruleset) -> SignalFinding:
    areas: dict[str, list[Location]] = {}
    for changed in change.touched or change.files:
        for index, area in enumerate(ruleset.critical_paths):
            paths = {changed.path, changed.old_path or changed.path}
            if not any(globs.match_any(x, area.paths) for x in paths):
                continue
            pattern = next(p for p in area.paths if any(globs.match(x, p) for x in paths))
            name = area.name or f"critical path #{index + 1}"
            areas.setdefault(name, []).append(
                Location(changed.path, None, f"{name} (matches {pattern})", rule="critical-path")
            )
    if not areas:
        return SignalFinding("critical_paths", 0.0, "no critical path touched")
    intensity = 0.8 if len(areas) == 1 else 1.0
    locations = [loc for locs in areas.values() for loc in locs]
    detail = "touches " + ", ".join(f"{name} ({len(locs)})" for name, locs in areas.items())
    return SignalFinding(
        "critical_paths",
        intensity,
        detail,
        tuple(locations[:MAX_LOCATIONS]),
        tags=frozenset(areas),
    )


def is_test(path: str, ruleset: Ruleset) -> bool:
    return ruleset.languages.is_test(path, ruleset.test_globs)


def _is_code(path: str, ruleset: Ruleset) -> bool:
    language = ruleset.languages.of(path)
    return language is not None and bool(language.tests)


def missing_tests(change: Change, ruleset: Ruleset) -> SignalFinding:
    code_added = 0
    test_added = 0
    untested: list[Location] = []
    for changed in change.files:
        if changed.status is FileStatus.REMOVED or not changed.additions:
            continue
        if is_test(changed.path, ruleset):
            test_added += changed.additions
        elif _is_code(changed.path, ruleset):
            code_added += changed.additions
            untested.append(Location(changed.path, None, "code changed", rule="untested"))
    if code_added == 0:
        return SignalFinding("missing_tests", 0.0, "no code lines added")
    ratio = test_added / code_added
    wanted = ruleset.config.risk.tests.min_ratio
    detail = f"{test_added} test lines per {code_added} code lines added (ratio {ratio:.2f})"
    if ratio >= wanted:
        return SignalFinding("missing_tests", 0.0, detail)
    shortfall = 1.0 - (ratio / wanted if wanted else 1.0)
    # A one-line fix without a test matters less than a new module without one.
    magnitude = min(1.0, 0.4 + code_added / 50)
    if test_added == 0:
        detail = f"{code_added} code lines added and no test changed"
    return SignalFinding(
        "missing_tests", shortfall * magnitude, detail, tuple(untested[:MAX_LOCATIONS])
    )


def complexity(reports: Sequence[FileReport], ruleset: Ruleset) -> SignalFinding:
    settings = ruleset.complexity
    locations: list[Location] = []
    skipped: list[Skipped] = []
    weight = 0.0
    for report in reports:
        if report.unmeasured is not None:
            skipped.append(report.unmeasured)
        for function in report.functions:
            if function.base_complexity is None:
                weight += 0.3 + 0.03 * (function.complexity - settings.function)
                message = f"new function {function.name} has complexity {function.complexity}"
            else:
                weight += 0.2
                message = (
                    f"{function.name} grew from complexity {function.base_complexity} "
                    f"to {function.complexity}"
                )
            locations.append(Location(function.path, function.line, message, rule="complexity"))
        if report.maintainability_drop is not None:
            weight += 0.2
            locations.append(
                Location(
                    report.path,
                    None,
                    f"maintainability index fell by {report.maintainability_drop:.0f}",
                    rule="maintainability",
                )
            )
    if not locations:
        detail = "no function above the complexity thresholds"
    else:
        detail = f"{_plural(len(locations), 'function or file')} above the complexity thresholds"
    if skipped:
        detail += f"; {_plural(len(skipped), 'file')} not measured"
    return SignalFinding(
        "complexity",
        min(1.0, weight),
        detail,
        tuple(locations[:MAX_LOCATIONS]),
        skipped=tuple(skipped),
    )


def patterns(reports: Sequence[FileReport]) -> SignalFinding:
    findings = [finding for report in reports for finding in report.findings]
    unscanned = tuple(s for report in reports for s in report.unscanned)
    if not findings:
        return SignalFinding("patterns", 0.0, "no risky pattern in added lines", skipped=unscanned)
    weight = sum(_SEVERITY_WEIGHT[f.severity or Severity.MEDIUM] for f in findings)
    rules = dict.fromkeys(f.rule for f in findings if f.rule)
    worst = max((f.severity or Severity.MEDIUM).rank for f in findings)
    detail = f"{_plural(len(findings), 'risky pattern')} in added lines: {', '.join(rules)}"
    return SignalFinding(
        "patterns",
        min(1.0, weight),
        detail,
        tuple(sorted(findings, key=lambda f: (f.path, f.line or 0))[:MAX_LOCATIONS]),
        skipped=unscanned,
        tags=frozenset(rules),
        min_level=Level.HIGH if worst == Severity.HIGH.rank else Level.LOW,
    )


def _dependency_skips(report: DependencyReport) -> tuple[Skipped, ...]:
    skipped = [Skipped(path, "manifest could not be parsed") for path in report.unparsable]
    skipped += [Skipped(path, "manifest text not available") for path in report.unfetched]
    skipped += [
        Skipped(path, f"{count} more lockfile changes not listed")
        for path, count in report.omitted.items()
    ]
    return tuple(skipped)


def dependencies(report: DependencyReport) -> SignalFinding:
    changes = report.changes
    skipped = _dependency_skips(report)
    if not changes:
        return SignalFinding("dependencies", 0.0, "no dependency changed", skipped=skipped)
    weight = 0.0
    locations: list[Location] = []
    added = changed = removed = 0
    for dep in changes:
        if dep.old_spec is None:
            added += 1
            weight += 0.05 if dep.lockfile else 0.35
            what = f"added {dep.name} {dep.new_spec or ''}".rstrip()
        elif dep.new_spec is None:
            removed += 1
            what = f"removed {dep.name}"
        else:
            changed += 1
            weight += 0.02 if dep.lockfile else 0.1
            what = f"{dep.name} {dep.old_spec} -> {dep.new_spec}"
        if dep.unpinned and dep.new_spec is not None and not dep.lockfile:
            weight += 0.15
            what += " (not pinned)"
        locations.append(
            Location(dep.path, dep.line, f"{dep.ecosystem}: {what}", rule="dependency")
        )
    detail = f"{added} added, {changed} changed, {removed} removed"
    unpinned = sum(1 for d in changes if d.unpinned and d.new_spec is not None and not d.lockfile)
    if unpinned:
        detail += f"; {unpinned} not pinned"
    return SignalFinding(
        "dependencies",
        min(1.0, weight),
        detail,
        tuple(locations[:MAX_LOCATIONS]),
        skipped=skipped,
    )
