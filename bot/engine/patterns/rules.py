"""Our own line rules (`bot/data/patterns.yml` plus repo-config extras) over added lines.

Each rule is an RE2 pattern matched case-insensitively against one added line at a time; a
line that also matches the rule's `unless` pattern does not fire. `languages` and `paths`
scope a rule to some files; an empty `languages` list means every file. All the rules a file's
language sees are tried at once through an RE2 set, so the cost per line barely grows with
the number of rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from pydantic import ValidationError

from bot.config import globs
from bot.config.fields import Model
from bot.config.levels import Severity
from bot.config.regex import Matcher, compile_pattern
from bot.config.risk import PatternRule
from bot.engine.carried import MIN_FINGERPRINT, normalize
from bot.engine.patterns.regex_set import PatternSet
from bot.engine.result import Location

# The weakness each of our stable rule ids names, so every source reports the same CWE.
CWE_BY_RULE: Mapping[str, int] = MappingProxyType(
    {
        "sql-string": 89,
        "eval-exec": 95,
        "shell-injection": 78,
        "tls-verify-off": 295,
        "http-no-timeout": 400,
        "silent-except": 703,
        "hardcoded-secret": 798,
        "unsafe-deserialization": 502,
        "weak-crypto": 327,
        "debug-enabled": 489,
        "bidi-control": 838,
        "xss-sink": 79,
    }
)

_EVERY_PATH = ("**",)


class PatternRulesError(ValueError):
    """A patterns document that does not validate; the message lists every problem."""


class PatternsFile(Model):
    rules: list[PatternRule]


def load_rules(document: object) -> tuple[PatternRule, ...]:
    """Validate the parsed YAML of a patterns file (`rules:` list of rule mappings)."""
    try:
        parsed = PatternsFile.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(step) for step in error['loc']) or 'document'}: {error['msg']}"
            for error in exc.errors()
        )
        raise PatternRulesError(f"invalid pattern rules: {problems}") from None
    return tuple(parsed.rules)


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    rule: PatternRule
    matcher: Matcher
    unless: Matcher | None
    paths: tuple[str, ...]  # empty: every path
    cwe: int | None

    def applies_to(self, path: str) -> bool:
        return not self.paths or globs.match_any(path, self.paths)


@dataclass(frozen=True, slots=True)
class _LanguageRules:
    """The rules one language sees, and an RE2 set of their patterns to try them all at once."""

    rules: tuple[_CompiledRule, ...]
    patterns: PatternSet


@dataclass(frozen=True, slots=True)
class _RuleBook:
    """Rules compiled once, with the subset each language sees."""

    rules: tuple[PatternRule, ...]
    compiled: tuple[_CompiledRule, ...]
    by_language: dict[str | None, _LanguageRules]

    def for_language(self, language: str | None) -> _LanguageRules:
        found = self.by_language.get(language)
        if found is None:
            rules = tuple(
                c for c in self.compiled if not c.rule.languages or language in c.rule.languages
            )
            found = _LanguageRules(
                rules, PatternSet([c.rule.pattern for c in rules], case_sensitive=False)
            )
            self.by_language[language] = found
        return found


def _compile(rules: tuple[PatternRule, ...]) -> _RuleBook:
    compiled = tuple(
        _CompiledRule(
            rule=rule,
            matcher=compile_pattern(rule.pattern),
            unless=compile_pattern(rule.unless) if rule.unless else None,
            paths=() if tuple(rule.paths) == _EVERY_PATH else tuple(rule.paths),
            cwe=CWE_BY_RULE.get(rule.id),
        )
        for rule in rules
    )
    return _RuleBook(rules, compiled, {})


# The engine hands every file of a run the same rules, so compiled books are kept: found by
# identity when the caller passes the same tuple, else by content (a worker process receives
# an unpickled copy of the rules with every task). A book holds its tuple, so the id stays
# unique while it is cached.
_MAX_BOOKS = 8
_last_book: _RuleBook | None = None
_books: dict[tuple[object, ...], _RuleBook] = {}


def _content_key(rules: tuple[PatternRule, ...]) -> tuple[object, ...]:
    return tuple(
        (
            r.id,
            r.message,
            r.severity,
            r.pattern,
            r.unless,
            tuple(r.paths),
            tuple(r.languages),
            r.outside_production,
            r.counted,
        )
        for r in rules
    )


def _rule_book(rules: tuple[PatternRule, ...]) -> _RuleBook:
    global _last_book  # noqa: PLW0603 - the identity fast path of the cache
    book = _last_book
    if book is not None and book.rules is rules:
        return book
    key = _content_key(rules)
    book = _books.get(key)
    if book is None:
        if len(_books) >= _MAX_BOOKS:
            _books.clear()
        book = _books[key] = _compile(rules)
    _last_book = book
    return book


def scan_lines(
    path: str,
    language: str | None,
    lines: Sequence[tuple[int, str]],
    rules: tuple[PatternRule, ...],
    disabled: Iterable[str],
    *,
    production: bool = True,
) -> list[Location]:
    """Every (rule, line) where a rule that applies to this file fires on an added line.

    Outside production code (`production` False) a rule fires as its `outside_production` says:
    not at all (skip), low and not counted (low), or as anywhere else (keep).
    """
    disabled_ids = frozenset(disabled)
    group = _rule_book(rules).for_language(language)
    active = [
        c.rule.id not in disabled_ids
        and c.applies_to(path)
        and (production or c.rule.outside_production != "skip")
        for c in group.rules
    ]
    if not any(active):
        return []
    findings: list[Location] = []
    for number, text in lines:
        for index in group.patterns.candidates(text):
            compiled = group.rules[index]
            match = compiled.matcher.search(text) if active[index] else None
            if match is None:
                continue
            if compiled.unless is not None and compiled.unless.search(text) is not None:
                continue
            lowered = not production and compiled.rule.outside_production == "low"
            matched = text[match.start() : match.end()]
            findings.append(
                Location(
                    path=path,
                    line=number,
                    message=compiled.rule.message,
                    rule=compiled.rule.id,
                    severity=Severity.LOW if lowered else compiled.rule.severity,
                    cwe=compiled.cwe,
                    counted=compiled.rule.counted and not lowered,
                    # What the rule matched, when it says enough to be recognised elsewhere.
                    fingerprint=matched if len(normalize(matched)) >= MIN_FINGERPRINT else text,
                )
            )
    return findings
