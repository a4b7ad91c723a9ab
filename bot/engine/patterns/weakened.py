"""Weakened tests (`bot/data/weakened.yml`): what a change does to a test file that makes its
tests check less.

Four rules, read in test files only (a look-alike in production code, a doc or a string is never
read): a skip or an expected failure with no condition (`test-skipped`), a focused test that
drops the rest of the suite (`test-focused`), an assertion that cannot fail (`test-tautology`),
and a test the base and the head both have that holds fewer assertions in the head
(`assertions-removed`). ast-grep parses the head once (and the base, to compare); a match counts
when its range touches an added line and the base did not already have it.

Besides its findings, a scan returns the added lines the change left testing nothing (`hollow`):
a skipped test, a test whose only assertions cannot fail, a test left with no assertion. The
`missing_tests` signal does not count them as test lines.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal, cast

from ast_grep_py import Config, SgNode, SgRoot
from pydantic import Field

from bot.config.fields import Identifier, Model, Regex, Text
from bot.config.levels import Severity
from bot.config.load import load_model
from bot.config.regex import compile_pattern
from bot.engine.carried import MIN_FINGERPRINT, normalize
from bot.engine.files import FileJob
from bot.engine.patterns.structural import StructuralLanguage, grammar_of
from bot.engine.result import Location, Skipped

_MAX_FINGERPRINT = 2000
_WHITESPACE = re.compile(r"\s+")


class TestShape(Model):
    """What a test and an assertion are in some languages (ast-grep rules)."""

    languages: list[StructuralLanguage] = Field(min_length=1)
    test: dict[str, Any]
    assertion: dict[str, Any]
    # RE2 over a test's text: it is table-driven (parametrized), so its assertions run once per
    # row and their count says little.
    table: Regex | None = None
    utils: dict[str, Any] | None = None

    def tests(self) -> Config:
        return _config(self.test, None, self.utils)

    def assertions(self) -> Config:
        return _config(self.assertion, None, self.utils)


class WeakeningRule(Model):
    """One construct that weakens a test, with our id, severity and message."""

    id: Identifier
    message: Text
    severity: Severity = Severity.LOW
    counted: bool = Field(strict=True, default=True)
    languages: list[StructuralLanguage] = Field(min_length=1)
    # Tried only when one added line of the file matches (RE2, case-insensitive).
    needle: Regex
    # What the match leaves testing nothing (bot/data/weakened.yml says each).
    hollow: Literal["test", "assertion", "none"]
    rule: dict[str, Any]
    constraints: dict[str, Any] | None = None
    utils: dict[str, Any] | None = None

    def config(self) -> Config:
        return _config(self.rule, self.constraints, self.utils)


class RemovalRule(Model):
    """Assertions removed from a test: found by comparing base and head, not by a pattern."""

    id: Identifier
    message: Text
    severity: Severity = Severity.LOW
    counted: bool = Field(strict=True, default=True)
    # Tried only when a line of the base the head lacks matches (RE2, case-insensitive).
    needle: Regex


class WeakenedFile(Model):
    tests: list[TestShape]
    rules: list[WeakeningRule]
    assertions_removed: RemovalRule


@dataclass(frozen=True, slots=True)
class WeakenedScan:
    findings: tuple[Location, ...] = ()
    # Added lines of tests the change left testing nothing.
    hollow: frozenset[int] = frozenset()
    skipped: tuple[Skipped, ...] = ()


@dataclass(frozen=True, slots=True)
class _Test:
    """One test (or group of tests) in a version of the file: its qualified name and lines."""

    name: str
    first: int
    last: int
    leaf: bool
    table: bool = False  # parametrized: its assertions run once per row

    def holds(self, first: int, last: int) -> bool:
        return self.first <= first and last <= self.last


@dataclass(frozen=True, slots=True)
class _Match:
    rule: WeakeningRule
    first: int
    last: int
    line: int  # the first added line the match touches
    key: str
    text: str


def _config(
    rule: dict[str, Any], constraints: dict[str, Any] | None, utils: dict[str, Any] | None
) -> Config:
    found: dict[str, Any] = {"rule": rule}
    if constraints:
        found["constraints"] = constraints
    if utils:
        found["utils"] = utils
    return cast(Config, found)


@cache
def weakened_table() -> WeakenedFile:
    """The shipped rules; a broken file is a packaging bug and raises ConfigError."""
    text = (resources.files("bot") / "data" / "weakened.yml").read_text(encoding="utf-8")
    return load_model(text, "weakened.yml", WeakenedFile)


def rule_ids() -> frozenset[str]:
    """Every weakened-test rule id (checklists and `risk.patterns.disable` may name them)."""
    table = weakened_table()
    return frozenset({rule.id for rule in table.rules} | {table.assertions_removed.id})


def hollow_rule_ids() -> frozenset[str]:
    """The rules whose matches leave tests testing nothing (`hollow` not `none`)."""
    return frozenset(rule.id for rule in weakened_table().rules if rule.hollow != "none")


def _shape(language: str) -> TestShape | None:
    return next((s for s in weakened_table().tests if language in s.languages), None)


def scan_weakened(job: FileJob, disabled: frozenset[str]) -> WeakenedScan:
    """Weakened tests in one test file (`disabled`: case-folded rule ids); nothing elsewhere."""
    grammar = grammar_of(job.path, job.language)
    if not job.test or grammar is None or job.language is None:
        return WeakenedScan()
    shape = _shape(job.language)
    if shape is None:
        return WeakenedScan()
    table = weakened_table()
    added_text = "\n".join(job.added_text.values())
    active = [
        rule
        for rule in table.rules
        if job.language in rule.languages
        and rule.id.casefold() not in disabled
        and compile_pattern(rule.needle).search(added_text) is not None
    ]
    removal = table.assertions_removed
    compare = (
        removal.id.casefold() not in disabled
        and job.base_text is not None
        and job.head_text is not None
        and _lost_line_matches(job.base_text, job.head_text, removal.needle)
    )
    if not active and not compare:
        return WeakenedScan()
    if job.head_text is None:
        reason = f"{job.no_text_reason}: weakened-test rules did not run"
        return WeakenedScan(skipped=(Skipped(job.path, reason),))
    head = SgRoot(job.head_text, grammar).root()
    base = SgRoot(job.base_text, grammar).root() if job.base_text is not None else None
    added = sorted(job.added_lines or job.added_text)
    tests = _tests(head, shape)
    matches = _new_matches(head, base, active, added)
    hollow = {line for match in matches for line in _hollow(match, tests, added)}
    hollow.update(_asserting_nothing(head, shape, matches, tests, hollow, added))
    findings = [_location(job, match) for match in matches]
    if compare and base is not None:
        # Not hollow: an assertion inside a helper the test calls cannot be seen here.
        findings.extend(
            _removal_location(job, r) for r in _removals(base, head, shape, tests, added)
        )
    findings.sort(key=lambda f: (f.line or 0, f.rule or ""))
    return WeakenedScan(findings=tuple(findings), hollow=frozenset(hollow))


def _lost_line_matches(base_text: str, head_text: str, needle: str) -> bool:
    """Whether a line the base has more often than the head matches `needle`."""
    lost = Counter(base_text.split("\n"))
    lost.subtract(head_text.split("\n"))
    matcher = compile_pattern(needle)
    return any(count > 0 and matcher.search(line) is not None for line, count in lost.items())


def _new_matches(
    head: SgNode, base: SgNode | None, rules: Iterable[WeakeningRule], added: list[int]
) -> list[_Match]:
    """Each rule's matches that touch an added line and that the base did not have: per rule and
    key (the match's first line), as many as the head has more, those the base lacks whole
    first."""
    kept: list[_Match] = []
    for rule in rules:
        found: list[_Match] = []
        head_keys: Counter[str] = Counter()
        for node in head.find_all(rule.config()):
            text = node.text()
            key = _key(text)
            head_keys[key] += 1
            span = node.range()
            first, last = span.start.line + 1, span.end.line + 1
            index = bisect_left(added, first)
            if index < len(added) and added[index] <= last:
                found.append(_Match(rule, first, last, added[index], key, text))
        if not found or base is None:
            kept.extend(found)
            continue
        base_keys: Counter[str] = Counter()
        base_texts: set[str] = set()
        for node in base.find_all(rule.config()):
            base_keys[_key(node.text())] += 1
            base_texts.add(_squeezed(node.text()))
        for key in dict.fromkeys(match.key for match in found):
            new = head_keys[key] - base_keys[key]
            same = [m for m in found if m.key == key]
            same.sort(key=lambda m: (_squeezed(m.text) in base_texts, m.line))
            kept.extend(same[: max(0, new)])
    # One finding per rule and line (a chain can match at each link).
    once = {(m.rule.id, m.line): m for m in sorted(kept, key=lambda m: -m.first)}
    return sorted(once.values(), key=lambda m: (m.line, m.rule.id))


def _tests(root: SgNode, shape: TestShape) -> list[_Test]:
    """The tests of a version, outermost first, each named by the tests holding it."""
    table = compile_pattern(shape.table) if shape.table else None
    spans = sorted(
        {
            (
                node.range().start.line + 1,
                node.range().end.line + 1,
                _name(node),
                table is not None and table.search(node.text()) is not None,
            )
            for node in root.find_all(shape.tests())
        },
        key=lambda span: (span[0], -span[1]),
    )
    # Outermost first: a stack of the tests still open holds each one's outer tests.
    tests: list[_Test] = []
    leaf: list[bool] = []
    open_tests: list[int] = []
    for first, last, name, tabled in spans:
        while open_tests and tests[open_tests[-1]].last < first:
            open_tests.pop()
        outer = [i for i in open_tests if _strictly(tests[i], _Test("", first, last, True))]
        for i in outer:
            leaf[i] = False
        qualified = " > ".join([*(tests[i].name for i in outer), name])
        tests.append(_Test(qualified, first, last, True, tabled))
        leaf.append(True)
        open_tests.append(len(tests) - 1)
    return [
        _Test(t.name, t.first, t.last, is_leaf, t.table)
        for t, is_leaf in zip(tests, leaf, strict=True)
    ]


def _strictly(outer: _Test, inner: _Test) -> bool:
    """Whether `inner` is a test inside `outer` (not `outer` itself)."""
    return outer.holds(inner.first, inner.last) and (outer.first, outer.last) != (
        inner.first,
        inner.last,
    )


def _name(node: SgNode) -> str:
    """A test's own name: its `name` field, or its first argument (`it("...", ...)`)."""
    target = node.field("definition") or node
    named = target.field("name")
    if named is not None:
        return named.text()
    arguments = target.field("arguments")
    if arguments is not None:
        first = next(iter(arguments.named_children()), None)
        if first is not None:
            return _squeezed(first.text())[:200]
    return f"line {node.range().start.line + 1}"


def _asserting_nothing(
    head: SgNode,
    shape: TestShape,
    matches: list[_Match],
    tests: list[_Test],
    hollow: set[int],
    added: list[int],
) -> list[int]:
    """The added lines of each test that holds an assertion that cannot fail and no other."""
    lines: list[int] = []
    assertions: list[int] | None = None
    for match in matches:
        test = _innermost(tests, match.first, match.last)
        if match.rule.hollow != "assertion" or test is None:
            continue
        if assertions is None:
            assertions = [n.range().start.line + 1 for n in head.find_all(shape.assertions())]
        if all(line in hollow for line in assertions if test.first <= line <= test.last):
            lines.extend(_within(added, test.first, test.last))
    return lines


def _innermost(tests: list[_Test], first: int, last: int) -> _Test | None:
    holding = [t for t in tests if t.holds(first, last)]
    return min(holding, key=lambda t: t.last - t.first, default=None)


def _within(added: list[int], first: int, last: int) -> list[int]:
    return added[bisect_left(added, first) : bisect_left(added, last + 1)]


def _hollow(match: _Match, tests: list[_Test], added: list[int]) -> list[int]:
    if match.rule.hollow == "none":
        return []
    if match.rule.hollow == "assertion":
        return _within(added, match.first, match.last)
    test = _innermost(tests, match.first, match.last)
    if test is None:
        return added  # a skip of the whole file (`pytestmark`)
    return _within(added, test.first, test.last)


@dataclass(frozen=True, slots=True)
class _Removal:
    test: _Test  # in the head
    removed: int  # assertions of the base's test gone from it, and not moved elsewhere
    left: int  # assertions it holds now


@dataclass(frozen=True, slots=True)
class _Assertion:
    line: int  # where it starts
    text: str  # squeezed
    written: bool  # it touches a line the change added (a chain's new `.expect(...)` link)


def _assertions(root: SgNode, shape: TestShape, added: list[int]) -> list[_Assertion]:
    found = []
    for node in root.find_all(shape.assertions()):
        span = node.range()
        first, last = span.start.line + 1, span.end.line + 1
        written = bool(_within(added, first, last))
        found.append(_Assertion(first, _squeezed(node.text()), written))
    return sorted(found, key=lambda a: a.line)


def _leaves(tests: list[_Test]) -> dict[str, _Test]:
    """Leaf tests by qualified name; a name two tests share is left out (which one is which
    cannot be told)."""
    names = Counter(t.name for t in tests if t.leaf)
    return {t.name: t for t in tests if t.leaf and names[t.name] == 1}


def _removals(
    base: SgNode, head: SgNode, shape: TestShape, head_tests: list[_Test], added: list[int]
) -> list[_Removal]:
    """Each test of both versions from which the change removed assertions and wrote none. An
    assertion moved to another place in the file is not removed, and a table-driven test
    (parametrized) is left out: its assertions run once per row."""
    before = _leaves(_tests(base, shape))
    if not before:
        return []
    base_assertions = _assertions(base, shape, [])
    head_assertions = _assertions(head, shape, added)
    base_all = Counter(a.text for a in base_assertions)
    head_all = Counter(a.text for a in head_assertions)
    base_lines = [a.line for a in base_assertions]
    head_lines = [a.line for a in head_assertions]
    found = []
    for name, test in _leaves(head_tests).items():
        old = before.get(name)
        if old is None or test.table:
            continue
        inside = _between(head_assertions, head_lines, test)
        base_here = Counter(a.text for a in _between(base_assertions, base_lines, old))
        head_here = Counter(a.text for a in inside)
        lost = base_here - head_here
        if not lost or any(a.written for a in inside):
            # A test the change wrote assertions in is a rewrite a reader judges: on real
            # history those were equivalent far more often than weaker (docs/rules.md).
            continue
        # Moved: the rest of the file holds more of it than it did.
        gone = sum(
            max(0, count - max(0, (head_all[t] - head_here[t]) - (base_all[t] - base_here[t])))
            for t, count in lost.items()
        )
        # An assertion the change only shortened (a key taken out of an expected dict) is
        # edited, not removed: each new text in the test stands for one gone.
        removed = gone - (head_here - base_here).total()
        if removed > 0:
            found.append(_Removal(test, removed, len(inside)))
    return found


def _between(assertions: list[_Assertion], lines: list[int], test: _Test) -> list[_Assertion]:
    """The assertions (in line order, starting at `lines`) that start inside `test`."""
    return assertions[bisect_left(lines, test.first) : bisect_left(lines, test.last + 1)]


def _removal_location(job: FileJob, removal: _Removal) -> Location:
    rule = weakened_table().assertions_removed
    counts = f"{removal.removed} removed, {removal.left} left"
    return Location(
        path=job.path,
        line=removal.test.first,
        message=f"{rule.message} (assertions: {counts})",
        rule=rule.id,
        severity=rule.severity,
        counted=rule.counted,
    )


def _location(job: FileJob, match: _Match) -> Location:
    rule = match.rule
    text = match.text
    if len(text) > _MAX_FINGERPRINT:
        text = text.split("\n", 1)[0]
    return Location(
        path=job.path,
        line=match.line,
        message=rule.message,
        rule=rule.id,
        severity=rule.severity,
        counted=rule.counted,
        fingerprint=text
        if len(normalize(text)) >= MIN_FINGERPRINT
        else job.added_text.get(match.line, text),
    )


def _key(text: str) -> str:
    return _squeezed(text.split("\n", 1)[0])


def _squeezed(text: str) -> str:
    return _WHITESPACE.sub("", text)
