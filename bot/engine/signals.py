"""The risk signals: one pure function each, from the change to a SignalFinding.

Each returns an intensity in 0..1; `risk.score_risk` weighs them into points. How each
intensity is computed is documented in docs/risk.md, and the detail string says it in words.
Each function is registered with `@signal` under an id declared in bot/config/signals.py, and
`measure` runs them in declaration order: the pipeline names none of them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.config.levels import Level, Severity
from bot.config.signals import SIGNAL_IDS
from bot.engine.change import Change
from bot.engine.dependencies import DependencyReport
from bot.engine.files import FileReport, FunctionChange
from bot.engine.owners import TouchedAreas
from bot.engine.result import AIDetection, Location, SignalFinding, Skipped
from bot.engine.ruleset import Ruleset
from bot.engine.snapshot import FileStatus

MAX_LOCATIONS = 100
_SEVERITY_WEIGHT = {Severity.LOW: 0.1, Severity.MEDIUM: 0.3, Severity.HIGH: 0.6}
# A new function whose lines are at least this share old lines (moved from elsewhere in the
# change, re-indented) is not new code.
MOVED_SHARE = 0.8
# Code lines a change must write in a file before that file wants a test: on real history edits
# of up to four lines without a test were renames, constants, merged conditions and logging
# formats far more often than untested behaviour; from 5 lines the judged sample held no true
# case fewer and 3 of 4 false ones fewer (docs/rules.md).
MIN_UNTESTED_LINES = 5


@dataclass(frozen=True, slots=True)
class SignalInputs:
    """Everything a signal may read of one change, gathered once by the pipeline."""

    ai: AIDetection
    change: Change
    reports: tuple[FileReport, ...]
    dependencies: DependencyReport
    ruleset: Ruleset
    # The critical areas the change touched (bot/engine/owners.py), read once for the signal
    # and the owners' approvals.
    areas: TouchedAreas = field(default_factory=dict)


SignalFunction = Callable[[SignalInputs], SignalFinding]
_REGISTERED: dict[str, SignalFunction] = {}


class SignalRegistryError(Exception):
    """A signal function registered under an id not declared, or twice, or missing."""


def signal(signal_id: str) -> Callable[[SignalFunction], SignalFunction]:
    """Register the function that measures the declared signal `signal_id`."""
    if signal_id not in SIGNAL_IDS:
        raise SignalRegistryError(f"signal {signal_id!r} is not declared in bot/config/signals.py")

    def register(function: SignalFunction) -> SignalFunction:
        if signal_id in _REGISTERED:
            raise SignalRegistryError(
                f"signal {signal_id!r} already has a function: "
                f"{_REGISTERED[signal_id].__qualname__}"
            )
        _REGISTERED[signal_id] = function
        return function

    return register


def registered() -> dict[str, SignalFunction]:
    """Signal id -> the function registered for it."""
    return dict(_REGISTERED)


def check_registered() -> None:
    """Every declared signal has its function (a second one is refused when registered)."""
    missing = [signal_id for signal_id in SIGNAL_IDS if signal_id not in _REGISTERED]
    if missing:
        raise SignalRegistryError(f"declared signals without a function: {', '.join(missing)}")


def measure(inputs: SignalInputs) -> tuple[SignalFinding, ...]:
    """Every declared signal's finding for one change, in declaration order."""
    findings = tuple(_REGISTERED[signal_id](inputs) for signal_id in SIGNAL_IDS)
    for signal_id, finding in zip(SIGNAL_IDS, findings, strict=True):
        if finding.id != signal_id:
            raise SignalRegistryError(f"the {signal_id!r} function reported {finding.id!r}")
    return findings


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@signal("size")
def size(inputs: SignalInputs) -> SignalFinding:
    """Lines of production code the change wrote, by orders of magnitude.

    Tests, docs, examples, data and config files do not count, nor lines the change only moved,
    reformatted or commented: on real history these say nothing of later defects, while code
    lines written do (docs/risk.md, "Does the score predict defects"). The intensity grows with
    the logarithm of those lines, reaching 1 at `risk.size.lines` (10 lines are a third of it,
    100 two thirds), or with the code files written in, reaching 1 at `risk.size.files`.
    """
    change, ruleset = inputs.change, inputs.ruleset
    code_lines = code_files = 0
    for changed in change.files:
        if changed.status is FileStatus.REMOVED or changed.path in change.same_code:
            continue
        if not _is_code(changed.path, ruleset) or not ruleset.is_production(changed.path):
            continue
        written = len(change.text.new_lines(changed))
        if written:
            code_lines += written
            code_files += 1
    limits = ruleset.size
    intensity = min(
        1.0, max(math.log1p(code_lines) / math.log1p(limits.lines), code_files / limits.files)
    )
    lines = sum(f.additions + f.deletions for f in change.files)
    detail = (
        f"{_plural(code_lines, 'code line')} written in {_plural(code_files, 'file')} "
        f"({_plural(lines, 'line')} changed in {_plural(len(change.files), 'file')})"
    )
    if change.skipped:
        detail += (
            f"; {_plural(len(change.skipped), 'file')} left out: binary, generated or vendored"
        )
    return SignalFinding("size", intensity, detail, skipped=change.skipped)


@signal("ai_share")
def ai_share(inputs: SignalInputs) -> SignalFinding:
    """The share of changed lines that AI-tagged commits wrote."""
    ai = inputs.ai
    if not ai.assisted:
        return SignalFinding("ai_share", 0.0, "no AI assistance detected")
    return SignalFinding(
        "ai_share", ai.share, f"{round(ai.share * 100)}% of the changed lines are AI-assisted"
    )


@signal("critical_paths")
def critical_paths(inputs: SignalInputs) -> SignalFinding:
    """The critical areas whose files the change really changed (bot/engine/owners.py)."""
    areas = inputs.areas
    if not areas:
        return SignalFinding("critical_paths", 0.0, "no critical path touched")
    intensity = 0.8 if len(areas) == 1 else 1.0
    locations = [
        Location(file.path, None, f"{name} (matches {file.pattern})", rule="critical-path")
        for name, files in areas.items()
        for file in files
    ]
    detail = "touches " + ", ".join(f"{name} ({len(files)})" for name, files in areas.items())
    return SignalFinding(
        "critical_paths",
        intensity,
        detail,
        tuple(locations[:MAX_LOCATIONS]),
        tags=frozenset(areas),
    )


def is_test(path: str, ruleset: Ruleset) -> bool:
    return ruleset.is_test(path)


def _is_code(path: str, ruleset: Ruleset) -> bool:
    """Production code in a language with test conventions: what a change should test."""
    language = ruleset.languages.of(path)
    return language is not None and bool(language.tests) and ruleset.is_production(path)


@signal("missing_tests")
def missing_tests(inputs: SignalInputs) -> SignalFinding:
    """Test lines per code line the change wrote. Lines it only moved, reformatted, commented or
    version-bumped are not code it wrote (a release's version bump needs no test), and a file
    where it wrote fewer than MIN_UNTESTED_LINES code lines is left out. Lines of tests the
    change left testing nothing (skipped, asserting only what cannot fail, stripped of their
    assertions: `FileReport.hollow_lines`) are not test lines, and a test file with no other
    line written counts as no test changed."""
    change, ruleset = inputs.change, inputs.ruleset
    hollow = {report.path: report.hollow_lines for report in _weakened(inputs)}
    code_added = 0
    test_added = 0
    weakened_only: list[str] = []
    untested: list[Location] = []
    for changed in change.files:
        if changed.status is FileStatus.REMOVED or not changed.additions:
            continue
        if is_test(changed.path, ruleset):
            lines = change.test_lines(changed, hollow.get(changed.path, frozenset()))
            if not lines and changed.path in hollow:
                weakened_only.append(changed.path)
            test_added += lines
        elif _is_code(changed.path, ruleset) and changed.path not in change.same_code:
            written = len(change.text.new_lines(changed))
            if written >= MIN_UNTESTED_LINES:
                code_added += written
                untested.append(Location(changed.path, None, "code changed", rule="untested"))
    if code_added == 0:
        return SignalFinding("missing_tests", 0.0, "no code lines added")
    ratio = test_added / code_added
    wanted = ruleset.config.risk.tests.min_ratio
    detail = f"{test_added} test lines per {code_added} code lines added (ratio {ratio:.2f})"
    weakened = ""
    if weakened_only:
        names = ", ".join(weakened_only[:3]) + (" and more" if len(weakened_only) > 3 else "")
        weakened = (
            f"; {names}: not counted as a test changed, its changes only weaken tests "
            "(skipped, asserting nothing that can fail, fewer assertions)"
        )
    if ratio >= wanted:
        return SignalFinding("missing_tests", 0.0, detail + weakened)
    shortfall = 1.0 - (ratio / wanted if wanted else 1.0)
    # A one-line fix without a test matters less than a new module without one.
    magnitude = min(1.0, 0.4 + code_added / 50)
    if test_added == 0:
        detail = f"{code_added} code lines added and no test changed"
    return SignalFinding(
        "missing_tests", shortfall * magnitude, detail + weakened, tuple(untested[:MAX_LOCATIONS])
    )


def _weakened(inputs: SignalInputs) -> list[FileReport]:
    """The test files where the change weakened tests (not where it only moved a skipped one)."""
    hollow = [report for report in inputs.reports if report.hollow_lines]
    if not hollow:
        return []
    # Imported here: the rules' table is read only for a change that has such lines.
    from bot.engine.patterns.weakened import hollow_rule_ids

    weakening = hollow_rule_ids()
    return [
        report
        for report in hollow
        if any(f.rule in weakening and not _carried(inputs.change, f) for f in report.findings)
    ]


@signal("complexity")
def complexity(inputs: SignalInputs) -> SignalFinding:
    """Functions above the complexity thresholds that the change wrote.

    A "new" function whose lines are mostly old ones (moved from another file or class in the
    same change) is not new code. A drop of the maintainability index is shown but not counted:
    on real history it followed docstring and annotation edits, never a risk (docs/rules.md).
    """
    settings = inputs.ruleset.complexity
    locations: list[Location] = []
    skipped: list[Skipped] = []
    weight = 0.0
    for report in inputs.reports:
        if report.unmeasured is not None:
            skipped.append(report.unmeasured)
        for function in report.functions:
            if function.base_complexity is None:
                if _moved(inputs.change, function):
                    continue
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
            locations.append(
                Location(
                    report.path,
                    None,
                    f"maintainability index fell by {report.maintainability_drop:.0f}",
                    rule="maintainability",
                    counted=False,
                )
            )
    counted = [loc for loc in locations if loc.counted]
    if not counted:
        detail = "no function above the complexity thresholds"
    else:
        detail = f"{_plural(len(counted), 'function')} above the complexity thresholds"
    if len(counted) < len(locations):
        detail += f" ({_plural(len(locations) - len(counted), 'note')} not counted)"
    if skipped:
        detail += f"; {_plural(len(skipped), 'file')} not measured"
    return SignalFinding(
        "complexity",
        min(1.0, weight),
        detail,
        tuple(locations[:MAX_LOCATIONS]),
        skipped=tuple(skipped),
    )


def _moved(change: Change, function: FunctionChange) -> bool:
    """Whether most lines of a new function are lines the change removed elsewhere."""
    changed = change.file(function.path)
    if changed is None or function.last_line < function.line:
        return False
    body = [n for n in changed.added_lines if function.line <= n <= function.last_line]
    if not body:
        return False
    written = set(change.text.new_lines(changed)).intersection(body)
    return 1 - len(written) / len(body) >= MOVED_SHARE


@signal("patterns")
def patterns(inputs: SignalInputs) -> SignalFinding:
    """Risky constructs on lines the change wrote.

    A finding on code the change only moved or reformatted (its code is in the change's removed
    text) is dropped. Findings not counted (tests, docs, examples; demoted rules) are shown but
    add nothing to the score and raise no level floor.
    """
    found = [
        finding
        for report in inputs.reports
        for finding in report.findings
        if not _carried(inputs.change, finding)
    ]
    unscanned = tuple(s for report in inputs.reports for s in report.unscanned)
    if not found:
        return SignalFinding("patterns", 0.0, "no risky pattern in added lines", skipped=unscanned)
    counted = [f for f in found if f.counted]
    weight = sum(_SEVERITY_WEIGHT[f.severity or Severity.MEDIUM] for f in counted)
    rules = dict.fromkeys(f.rule for f in counted if f.rule)
    worst = max(((f.severity or Severity.MEDIUM).rank for f in counted), default=-1)
    if counted:
        detail = f"{_plural(len(counted), 'risky pattern')} in added lines: {', '.join(rules)}"
    else:
        detail = "no risky pattern in added production code"
    if len(counted) < len(found):
        detail += f" ({len(found) - len(counted)} more not counted: tests, docs, low precision)"
    return SignalFinding(
        "patterns",
        min(1.0, weight),
        detail,
        tuple(sorted(found, key=lambda f: (f.path, f.line or 0))[:MAX_LOCATIONS]),
        skipped=unscanned,
        tags=frozenset(rules),
        min_level=Level.HIGH if worst == Severity.HIGH.rank else Level.LOW,
    )


def _carried(change: Change, finding: Location) -> bool:
    if finding.fingerprint is None:
        return False
    return change.text.carried(finding.fingerprint, finding.path)


def _dependency_skips(report: DependencyReport) -> tuple[Skipped, ...]:
    skipped = [Skipped(path, "manifest could not be parsed") for path in report.unparsable]
    skipped += [Skipped(path, "manifest text not available") for path in report.unfetched]
    skipped += [
        Skipped(path, f"{count} more lockfile changes not listed")
        for path, count in report.omitted.items()
    ]
    return tuple(skipped)


@signal("dependencies")
def dependencies(inputs: SignalInputs) -> SignalFinding:
    """Dependencies added, changed, removed and left unpinned.

    Shown but not counted: removals, lockfile entries (the manifest says what was asked for),
    what only developing the project needs (devDependencies, dev/test/docs groups and
    requirements files), manifests of tests, docs and examples, and a bump within one major
    version that keeps the kind of spec (a routine update the tests and the lockfile cover).
    """
    ruleset = inputs.ruleset
    changes = inputs.dependencies.changes
    skipped = _dependency_skips(inputs.dependencies)
    if not changes:
        return SignalFinding("dependencies", 0.0, "no dependency changed", skipped=skipped)
    weight = 0.0
    locations: list[Location] = []
    added = changed = removed = 0
    for dep in changes:
        counted = not dep.lockfile and not dep.development and ruleset.is_production(dep.path)
        if dep.old_spec is None:
            added += 1
            step = 0.05 if dep.lockfile else 0.35
            what = f"added {dep.name} {dep.new_spec or ''}".rstrip()
        elif dep.new_spec is None:
            removed += 1
            step = 0.0
            counted = False  # a dependency fewer adds no risk
            what = f"removed {dep.name}"
        else:
            changed += 1
            step = 0.02 if dep.lockfile else 0.1
            what = f"{dep.name} {dep.old_spec} -> {dep.new_spec}"
            if _ranged(dep.old_spec) == _ranged(dep.new_spec) and _major(dep.old_spec) == _major(
                dep.new_spec
            ):
                counted = False  # a bump that keeps the major version and the kind of spec
        if dep.unpinned and dep.new_spec is not None and not dep.lockfile:
            what += " (not pinned)"
            if dep.old_spec is None or not _ranged(dep.old_spec):
                step += 0.15  # newly left to float; a range that stays a range is not new
        if counted:
            weight += step
        locations.append(
            Location(
                dep.path,
                dep.line,
                f"{dep.ecosystem}: {what}",
                rule="dependency",
                counted=counted,
            )
        )
    detail = f"{added} added, {changed} changed, {removed} removed"
    unpinned = sum(1 for d in changes if d.unpinned and d.new_spec is not None and not d.lockfile)
    if unpinned:
        detail += f"; {unpinned} not pinned"
    not_counted = sum(1 for location in locations if not location.counted)
    if not_counted:
        detail += (
            f" ({not_counted} not counted: removals, lockfiles, development-only, examples, "
            "minor bumps)"
        )
    return SignalFinding(
        "dependencies",
        min(1.0, weight),
        detail,
        tuple(locations[:MAX_LOCATIONS]),
        skipped=skipped,
    )


_VERSION_START = re.compile(r"(\d+)(?:\.(\d+))?")
_RANGE = re.compile(r"[\^~<>*|]|!=|\bx\b|\|\||^\s*$")


def _ranged(spec: str) -> bool:
    """Whether a spec allows more than one version (`^1.2`, `>=2,<3`, `~1.5`, none at all)."""
    return _RANGE.search(spec) is not None


def _major(spec: str) -> str | None:
    """The part of a version that signals breaking changes: `2` of 2.31.0, `0.24` of 0.24.1."""
    found = _VERSION_START.search(spec)
    if found is None:
        return None
    major, minor = found.group(1), found.group(2)
    return f"0.{minor}" if major == "0" and minor is not None else major


check_registered()
