"""The table of the field's command-line tools (`bot/data/tools.yml`): which files each reads,
and which of its findings we report under which of our rule ids.

A tool finding is reported only when a rule of its tool names its id (and, where the rule says,
its detail matches): everything else the tool says is dropped, so a new version of a tool adds
no finding nobody measured. docs/rules.md has each rule's measured precision.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources

from pydantic import Field

from bot.config import globs
from bot.config.fields import Glob, Identifier, Model, Regex, Text
from bot.config.levels import Severity
from bot.config.load import load_model
from bot.config.regex import Matcher, compile_pattern


class ToolRule(Model):
    """One of a tool's own findings, reported under one of our stable ids."""

    tool_rule: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    detail: Regex | None = Field(
        default=None, description="Only when the tool's detail for the finding matches this."
    )
    context: Regex | None = Field(
        default=None, description="Only when the adapter's context (a workflow's triggers) does."
    )
    id: Identifier
    severity: Severity
    cwe: int | None = Field(default=None, ge=1, le=10_000)
    counted: bool = True
    message: Text


class ToolSpec(Model):
    """A tool: the files it reads (paths or languages, less `exclude`) and its rules."""

    name: Identifier
    what: Text  # what it checks, in the words of a "not checked" note
    paths: list[Glob] = Field(default_factory=list)
    languages: list[Identifier] = Field(default_factory=list)
    exclude: list[Glob] = Field(default_factory=list)
    # Only files the change creates: a migration the base branch has has already run.
    created_only: bool = False
    rules: list[ToolRule]

    def reads(self, path: str, language: str | None) -> bool:
        if globs.match_any(path, self.exclude):
            return False
        return globs.match_any(path, self.paths) or (
            language is not None and language in self.languages
        )

    @cached_property
    def _matchers(self) -> tuple[tuple[ToolRule, Matcher | None, Matcher | None], ...]:
        return tuple(
            (
                rule,
                compile_pattern(rule.detail) if rule.detail else None,
                compile_pattern(rule.context) if rule.context else None,
            )
            for rule in self.rules
        )

    def rule_for(self, tool_rule: str, detail: str, context: str = "") -> ToolRule | None:
        """Our rule for one of the tool's findings: the first whose id, detail and context
        match."""
        for rule, on_detail, on_context in self._matchers:
            if (
                rule.tool_rule == tool_rule
                and (on_detail is None or on_detail.search(detail))
                and (on_context is None or on_context.search(context))
            ):
                return rule
        return None


class ToolLimits(Model):
    timeout_seconds: int = Field(strict=True, ge=1, le=600)
    max_output_bytes: int = Field(strict=True, ge=1024, le=256 * 1024 * 1024)


class ToolsFile(Model):
    limits: ToolLimits
    tools: list[ToolSpec]


@dataclass(frozen=True, slots=True)
class ToolTable:
    limits: ToolLimits
    tools: tuple[ToolSpec, ...]

    def spec(self, name: str) -> ToolSpec:
        for spec in self.tools:
            if spec.name == name:
                return spec
        raise KeyError(f"no tool named {name!r} in bot/data/tools.yml")

    def reads(self, path: str, language: str | None) -> bool:
        """Whether any tool reads this file (so drivers fetch its text)."""
        return any(spec.reads(path, language) for spec in self.tools)

    @property
    def rule_ids(self) -> frozenset[str]:
        return frozenset(rule.id for spec in self.tools for rule in spec.rules)


@lru_cache(maxsize=1)
def tool_table() -> ToolTable:
    """The shipped table; a broken one is a packaging bug and raises ConfigError."""
    text = (resources.files("bot") / "data" / "tools.yml").read_text(encoding="utf-8")
    loaded = load_model(text, "tools.yml", ToolsFile)
    return ToolTable(loaded.limits, tuple(loaded.tools))
