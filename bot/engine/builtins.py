"""The built-in data files shipped with the package, loaded and validated once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable

from bot.config.checklists import ChecklistDef
from bot.config.detection import Signatures
from bot.config.fields import Model
from bot.config.load import load_model
from bot.config.risk import CriticalPath, PatternRule
from bot.engine.patterns.rules import PatternsFile
from bot.engine.ruleset import Language, LanguageTable


class _LanguageEntry(Model):
    id: str
    extensions: tuple[str, ...] = ()
    filenames: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    meter: str | None = None
    tests: tuple[str, ...] = ()


class _LanguagesFile(Model):
    languages: list[_LanguageEntry]


class _DefaultsFile(Model):
    critical_paths: list[CriticalPath]
    non_production: list[str]
    skip: list[str]


@dataclass(frozen=True, slots=True)
class Builtins:
    signatures: Signatures
    languages: LanguageTable
    critical_paths: tuple[CriticalPath, ...]
    non_production_globs: tuple[str, ...]
    skip_globs: tuple[str, ...]
    pattern_rules: tuple[PatternRule, ...]
    checklists: tuple[ChecklistDef, ...]


def _read(resource: Traversable) -> str:
    return resource.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def load_builtins() -> Builtins:
    """Load every built-in data file; a broken one is a packaging bug and raises ConfigError."""
    data = resources.files("bot") / "data"
    signatures = load_model(_read(data / "signatures.yml"), "signatures.yml", Signatures)
    languages = load_model(_read(data / "languages.yml"), "languages.yml", _LanguagesFile)
    defaults = load_model(_read(data / "defaults.yml"), "defaults.yml", _DefaultsFile)
    patterns = load_model(_read(data / "patterns.yml"), "patterns.yml", PatternsFile)
    checklist_dir = resources.files("bot") / "checklists"
    checklists = tuple(
        load_model(_read(entry), f"checklists/{entry.name}", ChecklistDef)
        for entry in sorted(checklist_dir.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".yml")
    )
    return Builtins(
        signatures=signatures,
        languages=LanguageTable(
            tuple(
                Language(
                    id=entry.id,
                    extensions=entry.extensions,
                    filenames=entry.filenames,
                    prefixes=entry.prefixes,
                    meter=entry.meter,
                    tests=entry.tests,
                )
                for entry in languages.languages
            )
        ),
        critical_paths=tuple(defaults.critical_paths),
        non_production_globs=tuple(defaults.non_production),
        skip_globs=tuple(defaults.skip),
        pattern_rules=tuple(patterns.rules),
        checklists=checklists,
    )
