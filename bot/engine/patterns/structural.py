"""Structural rules (`bot/data/structural.yml`): ast-grep over the head version of a file.

A line rule sees one line; these rules see the syntax tree, so they can tell a query inside a
loop's body from one before it, a literal from a value, or an `async` function from a plain one.
ast-grep (ast-grep-py, tree-sitter grammars bundled in its wheel) runs in this process.

Per file: the rules for its language are narrowed first by cheap tests (disabled ids, tests and
docs, the rule's paths, its `needle` on the added lines); the head text is parsed once for all
that are left; a match counts when its range touches an added line. A match the base version of
the file already had (same rule, same `key` text, as many times or more) is old code the change
only edited around, and is not reported. Each finding carries the matched code as its
fingerprint, so code moved from another file is dropped as carried (bot/engine/carried.py).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal, cast

from ast_grep_py import Config, SgNode, SgRoot
from pydantic import Field

from bot.config import globs
from bot.config.fields import Glob, Identifier, Model, Regex, Text
from bot.config.levels import Severity
from bot.config.load import load_model
from bot.config.regex import Matcher, compile_pattern
from bot.engine.carried import MIN_FINGERPRINT, normalize
from bot.engine.files import FileJob
from bot.engine.result import Location, Skipped

# Our language ids the structural rules are written for, and ast-grep's grammar for each.
# ast-grep-py bundles more grammars (kotlin, csharp, rust, ruby, php...); a language is listed
# here once rules are written and measured for it.
GRAMMARS: Mapping[str, str] = {
    "python": "python",
    "javascript": "javascript",
    "typescript": "typescript",
    "go": "go",
    "java": "java",
}
# TypeScript's JSX dialect has a grammar of its own (`<T>x` casts and JSX cannot share one).
_TSX_SUFFIXES = (".tsx",)

StructuralLanguage = Literal["python", "javascript", "typescript", "go", "java"]

# A fingerprint longer than this is cut to the node's first line: enough to recognise moved code.
_MAX_FINGERPRINT = 2000
_WHITESPACE = re.compile(r"\s+")


class FileScope(Model):
    """Where a rule applies, or does not: a path glob or the file's text."""

    paths: list[Glob] = Field(default_factory=list, max_length=100)
    text: Regex | None = None


class StructuralRule(Model):
    """One ast-grep rule with our id, severity, message and CWE."""

    id: Identifier
    message: Text
    severity: Severity = Severity.MEDIUM
    cwe: int | None = None
    counted: bool = Field(strict=True, default=True)
    languages: list[StructuralLanguage] = Field(min_length=1)
    # ast-grep grammars the rule is written for, when not every grammar of its languages
    # (JSX: javascript and tsx, not plain typescript).
    grammars: list[str] | None = None
    # Tried only when one added line of the file matches (RE2, case-insensitive): most files
    # hold nothing a rule looks for, and this keeps them from paying for the tree search.
    needle: Regex
    # The rule runs only where one of these holds (none given: everywhere)...
    context: FileScope | None = None
    # ...and never where one of these holds.
    exempt: FileScope | None = None
    # What makes two matches the same construct, to compare head and base (RE2 over the node's
    # text; the first match is the key, the whole text when it does not match).
    key: Regex | None = None
    # A comment that says the construct is meant (`# noqa: T201`, `eslint-disable-line`): RE2
    # over the match's first line and the line before it.
    suppressed_by: Regex | None = None
    # A metavariable of the rule: the match is dropped when it captures a name the file
    # declares once, as a string literal (`const icon = "<svg...>"`; JavaScript, TypeScript).
    unless_constant: str | None = None
    outside_production: Literal["skip", "low", "keep"] = "skip"
    rule: dict[str, Any]
    constraints: dict[str, Any] | None = None
    utils: dict[str, Any] | None = None

    def config(self) -> Config:
        """The rule as ast-grep's `find_all` takes it."""
        found: dict[str, Any] = {"rule": self.rule}
        if self.constraints:
            found["constraints"] = self.constraints
        if self.utils:
            found["utils"] = self.utils
        return cast(Config, found)


class StructuralFile(Model):
    rules: list[StructuralRule]


@dataclass(frozen=True, slots=True)
class StructuralScan:
    findings: tuple[Location, ...] = ()
    skipped: tuple[Skipped, ...] = ()


@dataclass(frozen=True, slots=True)
class _Match:
    rule: StructuralRule
    line: int
    key: str
    text: str


@cache
def builtin_rules() -> tuple[StructuralRule, ...]:
    """The shipped rules; a broken file is a packaging bug and raises ConfigError."""
    text = (resources.files("bot") / "data" / "structural.yml").read_text(encoding="utf-8")
    return tuple(load_model(text, "structural.yml", StructuralFile).rules)


def grammar_of(path: str, language: str | None) -> str | None:
    """ast-grep's grammar for a file, or None when no structural rule reads its language."""
    if language is None:
        return None
    grammar = GRAMMARS.get(language)
    if grammar == "typescript" and path.endswith(_TSX_SUFFIXES):
        return "tsx"
    return grammar


def scan_structure(
    job: FileJob,
    disabled: frozenset[str],
    rules: Sequence[StructuralRule] | None = None,
) -> StructuralScan:
    """Structural findings on the added lines of one file (`disabled`: case-folded rule ids)."""
    grammar = grammar_of(job.path, job.language)
    if grammar is None or not job.added_text:
        return StructuralScan()
    added_text = "\n".join(job.added_text.values())
    active = [
        rule
        for rule in (builtin_rules() if rules is None else rules)
        if job.language in rule.languages
        and (rule.grammars is None or grammar in rule.grammars)
        and rule.id.casefold() not in disabled
        and (job.production or rule.outside_production != "skip")
        and _matcher(rule.needle).search(added_text) is not None
        and _in_scope(rule, job.path, None)
    ]
    if not active:
        return StructuralScan()
    if job.head_text is None:
        reason = f"{job.no_text_reason}: structural rules did not run"
        return StructuralScan(skipped=(Skipped(job.path, reason),))
    active = [rule for rule in active if _in_scope(rule, job.path, job.head_text)]
    if not active:
        return StructuralScan()
    added = sorted(job.added_lines or job.added_text)
    found, head_keys = _matches(SgRoot(job.head_text, grammar).root(), active, added, job.head_text)
    if found and job.base_text is not None:
        found = _new_in_head(found, head_keys, SgRoot(job.base_text, grammar).root())
    return StructuralScan(findings=tuple(_location(job, match) for match in found))


def _in_scope(rule: StructuralRule, path: str, text: str | None) -> bool:
    """Whether a rule applies to a file: by path alone when `text` is None, else by its text."""
    for scope, wanted in ((rule.context, True), (rule.exempt, False)):
        if scope is None:
            continue
        if text is None:
            if globs.match_any(path, scope.paths):
                if not wanted:
                    return False
                continue
        else:
            holds = globs.match_any(path, scope.paths) or (
                scope.text is not None and _matcher(scope.text).search(text) is not None
            )
            if holds != wanted:
                return False
    return True


def _matches(
    root: SgNode, rules: Iterable[StructuralRule], added: list[int], text: str
) -> tuple[list[_Match], Counter[tuple[str, str]]]:
    """Each rule's matches whose range touches an added line, at the first such line, one per
    rule and line (a chained call matches at each link); and how many matches of each rule and
    key the whole file holds, to compare with the base."""
    found: dict[tuple[str, int], _Match] = {}
    keys: Counter[tuple[str, str]] = Counter()
    lines: list[str] = []
    for rule in rules:
        for node in root.find_all(rule.config()):
            node_text = node.text()
            keys[(rule.id, _key(rule, node_text))] += 1
            span = node.range()
            first, last = span.start.line + 1, span.end.line + 1
            index = bisect_left(added, first)
            if index == len(added) or added[index] > last:
                continue
            if (rule.id, added[index]) in found:
                continue
            if rule.suppressed_by is not None:
                lines = lines or text.split("\n")
                around = "\n".join(lines[max(0, first - 2) : first])
                if _matcher(rule.suppressed_by).search(around) is not None:
                    continue
            if rule.unless_constant is not None and _constant(root, node, rule.unless_constant):
                continue
            found[(rule.id, added[index])] = _Match(
                rule, added[index], _key(rule, node_text), node_text
            )
    return list(found.values()), keys


def _constant(root: SgNode, node: SgNode, metavariable: str) -> bool:
    """Whether `metavariable` captured a name the file declares as a string literal."""
    value = node.get_match(metavariable)
    if value is None or value.kind() != "identifier":
        return False
    literal = {
        "any": [
            {"kind": "string"},
            {"kind": "template_string", "not": {"has": {"kind": "template_substitution"}}},
        ]
    }
    declared = {
        "kind": "variable_declarator",
        "all": [
            {"has": {"field": "name", "regex": f"^{re.escape(value.text())}$"}},
            {"has": {"field": "value", **literal}},
        ],
    }
    return root.find(cast(Config, {"rule": declared})) is not None


def _new_in_head(
    found: list[_Match], head_keys: Counter[tuple[str, str]], base: SgNode
) -> list[_Match]:
    """The matches the base did not have: per rule and key, as many as the head has more.

    Of several head matches with one key, those whose whole text the base lacks go first (an
    edited call keeps its key, a new one usually differs in its text)."""
    rules = {match.rule.id: match.rule for match in found}
    base_keys: Counter[tuple[str, str]] = Counter()
    base_texts: set[tuple[str, str]] = set()
    for rule in rules.values():
        for node in base.find_all(rule.config()):
            text = node.text()
            base_keys[(rule.id, _key(rule, text))] += 1
            base_texts.add((rule.id, _squeezed(text)))
    if not base_keys:
        return found
    kept: list[_Match] = []
    for rule_id, key in dict.fromkeys((match.rule.id, match.key) for match in found):
        new = head_keys[(rule_id, key)] - base_keys[(rule_id, key)]
        if new <= 0:
            continue
        same = [m for m in found if m.rule.id == rule_id and m.key == key]
        same.sort(key=lambda m: ((rule_id, _squeezed(m.text)) in base_texts, m.line))
        kept.extend(same[:new])
    return sorted(kept, key=lambda m: (m.line, m.rule.id))


def _location(job: FileJob, match: _Match) -> Location:
    rule = match.rule
    lowered = not job.production and rule.outside_production == "low"
    text = match.text
    if len(text) > _MAX_FINGERPRINT:
        text = text.split("\n", 1)[0]
    return Location(
        path=job.path,
        line=match.line,
        message=rule.message,
        rule=rule.id,
        severity=Severity.LOW if lowered else rule.severity,
        cwe=rule.cwe,
        counted=rule.counted and not lowered,
        # The matched code, or its line when the match is too short to be recognised elsewhere.
        fingerprint=text
        if len(normalize(text)) >= MIN_FINGERPRINT
        else job.added_text.get(match.line, text),
    )


def _key(rule: StructuralRule, text: str) -> str:
    if rule.key is not None:
        hit = _matcher(rule.key).search(text)
        if hit is not None:
            text = text[hit.start() : hit.end()]
    return _squeezed(text)


def _squeezed(text: str) -> str:
    return _WHITESPACE.sub("", text)


def _matcher(pattern: str) -> Matcher:
    return compile_pattern(pattern)
