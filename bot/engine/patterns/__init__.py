"""The `patterns` signal's per-file scanner: risky constructs in the lines a change adds.

Six sources look at each file, and only added lines are reported:
- bandit (PyCQA) reads Python files whole, so it sees imports and call context; a finding is
  kept when its line range touches an added line;
- detect-secrets' regex plugins look for credentials in every file;
- our line rules (`bot/data/patterns.yml` plus the repo config's) cover other languages and
  what bandit misses;
- our structural rules (`bot/data/structural.yml`, ast-grep) read the syntax tree of Python,
  JavaScript/TypeScript, Go and Java files, where a line cannot tell (a query inside a loop,
  a blocking call inside an async function, a literal from a value); a match is kept when its
  range touches an added line;
- the weakened-test rules (`bot/data/weakened.yml`, ast-grep) read test files only: a skip with
  no condition, a focused test, an assertion that cannot fail, assertions removed from a test;
  they also say which added lines test nothing (`PatternScan.hollow`, for `missing_tests`).
- Kubernetes workloads a change writes without probes or a memory limit, read as YAML
  (bot/engine/workloads.py), and foreign keys without an index in the Postgres migrations it
  creates, read as SQL (bot/engine/patterns/foreign_keys.py).
Where two sources name the same rule on the same line, it is reported once, at its most severe.
Outside production code (tests, docs, examples: `FileJob.production` False) bandit does not
run, a secret is low and not counted, and a line rule does what its `outside_production` says.
Each finding carries the code it was found in, so the pipeline can drop those a change only
moved or reformatted (bot/engine/carried.py).
A file whose name holds a bidirectional control character gets a `bidi-control` finding of its
own (no line): the name a reviewer reads is not the file's.

The line rules and secret detectors read every added line whole, whatever its length: a line
longer than WINDOW characters is read as overlapping windows, so the cost per character stays
flat, every window gets detect-secrets' own confirmation, and a match up to WINDOW_OVERLAP
characters long is found wherever it sits on the line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from bot.config.levels import Severity
from bot.config.risk import PatternRule
from bot.engine.files import FileJob
from bot.engine.patterns.bandit_scan import scan_python
from bot.engine.patterns.foreign_keys import scan_foreign_keys
from bot.engine.patterns.rules import CWE_BY_RULE, PatternRulesError, load_rules, scan_lines
from bot.engine.patterns.secrets_scan import MAX_CONFIRMED_LINE, scan_secrets
from bot.engine.patterns.structural import scan_structure
from bot.engine.patterns.weakened import scan_weakened
from bot.engine.result import Location, Skipped
from bot.engine.workloads import scan_manifest

WINDOW = MAX_CONFIRMED_LINE
WINDOW_OVERLAP = 1024

# The characters of the `bidi-control` line rule (bot/data/patterns.yml). In a file's name they
# make a reviewer read another name than the one git and the build use.
BIDI_RULE = "bidi-control"
BIDI_NAME_MESSAGE = (
    "Bidirectional control character in the file name makes it display as another name; "
    "rename the file."
)
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")

__all__ = ["PatternRulesError", "PatternScan", "load_rules", "scan_file"]


@dataclass(frozen=True, slots=True)
class PatternScan:
    """What the scanners found on a file's added lines, and what they could not scan."""

    findings: tuple[Location, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    # Test files: added lines of tests the change left testing nothing.
    hollow: frozenset[int] = frozenset()


def scan_file(
    job: FileJob, rules: tuple[PatternRule, ...], disabled: frozenset[str]
) -> PatternScan:
    """Risky constructs on the added lines of one file, sorted by line then rule.

    `disabled` holds rule ids to skip, compared case-insensitively: our ids (`sql-string`),
    bandit test ids (`B602`), `secrets` for every secret detector, or one detector's class name
    (`AWSKeyDetector`). Disabling one of our ids also drops the bandit tests mapped onto it;
    `hardcoded-secret` drops bandit's password tests and every secret detector.
    """
    folded = frozenset(rule_id.casefold() for rule_id in disabled)
    findings = _name_findings(job.path, folded)
    weakened = scan_weakened(job, folded)
    findings.extend(weakened.findings)
    skipped: list[Skipped] = list(weakened.skipped)
    lines = _added_lines(job)
    if not lines:
        return PatternScan(
            findings=_once_per_rule_and_line(findings),
            skipped=tuple(skipped),
            hollow=weakened.hollow,
        )
    if job.scan_limit is not None:
        lines = _within(lines, job.scan_limit)
        skipped.append(Skipped(job.path, job.past_scan_limit))
    if job.language == "python" and job.production:
        if job.head_text is None:
            skipped.append(
                Skipped(
                    job.path,
                    f"{job.no_text_reason}: bandit did not run; "
                    "line rules and secret detectors still ran",
                )
            )
        else:
            numbers = job.added_lines or frozenset(job.added_text)
            bandit = scan_python(job.path, job.head_text, numbers, folded)
            findings.extend(bandit.findings)
            if bandit.skipped is not None:
                skipped.append(bandit.skipped)
    windows = list(_windows(lines))
    findings.extend(
        scan_secrets(job.path, windows, _previous_line(job), folded, production=job.production)
    )
    findings.extend(
        scan_lines(job.path, job.language, windows, rules, folded, production=job.production)
    )
    for scan in (scan_structure(job, folded), scan_manifest(job, folded)):
        findings.extend(scan.findings)
        skipped.extend(scan.skipped)
    findings.extend(scan_foreign_keys(job, folded))
    return PatternScan(
        findings=_once_per_rule_and_line(findings), skipped=tuple(skipped), hollow=weakened.hollow
    )


def _added_lines(job: FileJob) -> list[tuple[int, str]]:
    """(line number, text) of every added line whose text is known, in order."""
    numbers = sorted(job.added_lines or job.added_text)
    head_lines: list[str] | None = None
    out: list[tuple[int, str]] = []
    for number in numbers:
        text = job.added_text.get(number)
        if text is None and job.head_text is not None:
            if head_lines is None:
                head_lines = job.head_text.split("\n")
            text = head_lines[number - 1] if 0 < number <= len(head_lines) else None
        if text is not None:
            out.append((number, text.rstrip("\r\n")))
    return out


def _name_findings(path: str, disabled: frozenset[str]) -> list[Location]:
    """A bidirectional control in a file's name makes it display as another name."""
    if BIDI_RULE in disabled or _BIDI_CONTROLS.search(path) is None:
        return []
    return [
        Location(
            path=path,
            line=None,
            message=BIDI_NAME_MESSAGE,
            rule=BIDI_RULE,
            severity=Severity.HIGH,
            cwe=CWE_BY_RULE[BIDI_RULE],
        )
    ]


def _within(lines: list[tuple[int, str]], limit: int) -> list[tuple[int, str]]:
    """The first added lines, up to `limit` characters in all (the last one cut short)."""
    kept: list[tuple[int, str]] = []
    for number, text in lines:
        if limit <= 0:
            break
        kept.append((number, text[:limit]))
        limit -= len(text)
    return kept


def _windows(lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """Each line, or a long line's overlapping windows, under that line's number."""
    step = WINDOW - WINDOW_OVERLAP
    for number, text in lines:
        start = 0
        while True:
            yield number, text[start : start + WINDOW]
            if start + WINDOW >= len(text):
                break
            start += step


def _previous_line(job: FileJob) -> Callable[[int], str]:
    """The text of the line before a given line, from the added lines or the head text."""
    head_lines: list[str] = []

    def previous(number: int) -> str:
        text = job.added_text.get(number - 1)
        if text is not None:
            return text
        if job.head_text is None or number < 2:
            return ""
        if not head_lines:
            head_lines.extend(job.head_text.split("\n"))
        return head_lines[number - 2].rstrip("\r") if number - 1 <= len(head_lines) else ""

    return previous


def _once_per_rule_and_line(findings: Iterable[Location]) -> tuple[Location, ...]:
    best: dict[tuple[str | None, int | None], Location] = {}
    for finding in findings:
        key = (finding.rule, finding.line)
        kept = best.get(key)
        if kept is None or _rank(finding) > _rank(kept):
            best[key] = finding
    return tuple(sorted(best.values(), key=lambda f: (f.line or 0, f.rule or "")))


def _rank(finding: Location) -> int:
    return finding.severity.rank if finding.severity is not None else -1
