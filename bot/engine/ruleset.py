"""Everything the engine applies, resolved once at the edge from built-ins and the repo config.

The engine receives a Ruleset and never reads YAML or files itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import globs
from bot.config.approvals import ApprovalsConfig
from bot.config.checklists import ChecklistDef
from bot.config.codeowners import NONE_FOUND, CodeOwners
from bot.config.detection import Signatures
from bot.config.model import RepoConfig
from bot.config.risk import ComplexityConfig, CriticalPath, Levels, PatternRule, SizeConfig, Weights


@dataclass(frozen=True, slots=True)
class Language:
    id: str
    extensions: tuple[str, ...] = ()
    filenames: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    meter: str | None = None
    tests: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LanguageTable:
    languages: tuple[Language, ...]
    _by_extension: dict[str, Language] = field(init=False, repr=False, compare=False)
    _by_name: dict[str, Language] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "_by_extension",
            {ext: lang for lang in self.languages for ext in lang.extensions},
        )
        object.__setattr__(
            self, "_by_name", {name: lang for lang in self.languages for name in lang.filenames}
        )

    def of(self, path: str) -> Language | None:
        """The language of `path` by its name, then its extension; None when unknown."""
        name = path.rsplit("/", 1)[-1]
        if name in self._by_name:
            return self._by_name[name]
        for lang in self.languages:
            if lang.prefixes and name.startswith(lang.prefixes):
                return lang
        dot = name.rfind(".")
        if dot <= 0:
            return None
        return self._by_extension.get(name[dot:].lower())

    def id_of(self, path: str) -> str | None:
        language = self.of(path)
        return language.id if language is not None else None

    def is_test(self, path: str, extra_globs: tuple[str, ...] = ()) -> bool:
        lang = self.of(path)
        patterns = (lang.tests if lang else ()) + extra_globs
        return globs.match_any(path, patterns)


@dataclass(frozen=True, slots=True)
class Ruleset:
    """The resolved policy: built-ins merged with the repo config, disabled parts removed."""

    config: RepoConfig
    signatures: Signatures
    languages: LanguageTable
    critical_paths: tuple[CriticalPath, ...]
    test_globs: tuple[str, ...]
    # Files that do not run in production besides tests: docs, examples, fixtures.
    non_production_globs: tuple[str, ...]
    skip_globs: tuple[str, ...]
    pattern_rules: tuple[PatternRule, ...]
    disabled_patterns: frozenset[str]
    checklists: tuple[ChecklistDef, ...]
    required_items: frozenset[str] | None  # None: every item is required
    # The base branch's CODEOWNERS, for critical paths whose owners come from it.
    codeowners: CodeOwners = NONE_FOUND

    def is_test(self, path: str) -> bool:
        return self.languages.is_test(path, self.test_globs)

    def is_production(self, path: str) -> bool:
        """Whether `path` runs in production: not a test, a fixture, docs or an example."""
        return not self.is_test(path) and not globs.match_any(path, self.non_production_globs)

    @property
    def weights(self) -> Weights:
        return self.config.risk.weights

    @property
    def levels(self) -> Levels:
        return self.config.risk.levels

    @property
    def complexity(self) -> ComplexityConfig:
        return self.config.risk.complexity

    @property
    def size(self) -> SizeConfig:
        return self.config.risk.size

    @property
    def approvals(self) -> ApprovalsConfig:
        return self.config.approvals

    @property
    def max_file_bytes(self) -> int:
        return self.config.risk.limits.max_file_bytes
