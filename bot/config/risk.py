"""`risk`: the signals' weights, the level thresholds, critical paths, and what each signal and
the analysis's budgets read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, StringConstraints, create_model, model_validator

from bot.config.fields import MAX_LIST, Glob, Identifier, Model, Regex, SeniorRef, Text
from bot.config.levels import Level, Severity
from bot.config.signals import SIGNALS


class SignalWeights(Model):
    """What `risk.weights` offers whatever signals are declared; `Weights` adds one field each."""

    def of(self, signal_id: str) -> int:
        value: int = getattr(self, signal_id)
        return value


def _weight_fields() -> dict[str, Any]:
    return {
        declared.id: (int, Field(strict=True, default=declared.weight, ge=0, le=100))
        for declared in SIGNALS
    }


# One field per declared signal, in declaration order; the type checker sees the base class.
if TYPE_CHECKING:
    Weights = SignalWeights
else:
    Weights = create_model(
        "Weights",
        __base__=SignalWeights,
        __module__=__name__,
        __doc__="Points each signal adds to the 0..100 score at full strength.",
        **_weight_fields(),
    )


class Levels(Model):
    """The lowest score of each level; below `medium` is `low`."""

    medium: int = Field(strict=True, default=40, ge=1, le=100)
    high: int = Field(strict=True, default=60, ge=1, le=100)
    critical: int = Field(strict=True, default=80, ge=1, le=100)

    @model_validator(mode="after")
    def _ascending(self) -> Levels:
        if not self.medium < self.high < self.critical:
            raise ValueError("thresholds must rise: medium < high < critical")
        return self

    def level_of(self, score: int) -> Level:
        if score >= self.critical:
            return Level.CRITICAL
        if score >= self.high:
            return Level.HIGH
        if score >= self.medium:
            return Level.MEDIUM
        return Level.LOW


class CriticalPath(Model):
    """Paths whose changes need a senior's eyes, optionally their own owners' too."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    paths: list[Glob] = Field(min_length=1, max_length=200)
    lines: Regex | None = Field(
        default=None,
        description="When set, a file counts only when a line the change really wrote (not a "
        "version bump, a move or a reformat) matches this; for areas where most edits are "
        "routine, such as CI workflows.",
    )
    owners: Annotated[list[SeniorRef], Field(max_length=50)] | Literal["codeowners"] = Field(
        default_factory=list,
        description="When set, one of these must also approve a change touching these paths. "
        "`codeowners`: the owners the base branch's CODEOWNERS names for each file touched, "
        "one of whom must approve per file; a file it names no @user or @org/team for cannot "
        "pass until it does.",
    )

    @property
    def from_codeowners(self) -> bool:
        return self.owners == "codeowners"


class TestsConfig(Model):
    paths: list[Glob] = Field(
        default_factory=list,
        max_length=200,
        description="Extra globs of test files, beside each language's conventions.",
    )
    min_ratio: float = Field(
        strict=True,
        default=0.2,
        ge=0,
        le=10,
        description="Test lines added per code line added below which tests count as missing.",
    )


class NonProductionConfig(Model):
    paths: list[Glob] = Field(
        default_factory=list,
        max_length=200,
        description="Extra globs of files that do not run in production (docs, examples, "
        "fixtures): findings there are low and not counted, and they touch no critical path.",
    )
    builtin: bool = Field(
        strict=True,
        default=True,
        description="Keep the built-in globs (tests/, docs/, examples/, *.md...) beside yours.",
    )


class ComplexityConfig(Model):
    function: int = Field(
        strict=True,
        default=10,
        ge=1,
        le=200,
        description="Cyclomatic complexity a new function may reach.",
    )
    increase: int = Field(
        strict=True,
        default=5,
        ge=1,
        le=200,
        description="Rise in a function's complexity worth flagging.",
    )
    maintainability_drop: float = Field(
        strict=True,
        default=10,
        ge=0,
        le=100,
        description="Drop of a Python file's maintainability index.",
    )


class PatternRule(Model):
    """A risky construct to look for in added lines."""

    id: Identifier
    message: Text
    severity: Severity = Severity.MEDIUM
    pattern: Regex = Field(description="Matched against each added line.")
    unless: Regex | None = Field(
        default=None, description="The rule does not fire on a line that also matches this."
    )
    paths: list[Glob] = Field(default_factory=lambda: ["**"], max_length=100)
    languages: list[Identifier] = Field(default_factory=list, max_length=50)
    counted: bool = Field(
        strict=True,
        default=True,
        description="False: shown, but not counted toward the score and the level (for a rule "
        "whose precision is too low to gate on).",
    )
    outside_production: Literal["skip", "low", "keep"] = Field(
        default="skip",
        description="In tests, docs and examples (risk.non_production): not reported (skip), "
        "reported low and not counted toward the level (low), or as anywhere else (keep).",
    )


class PatternsConfig(Model):
    disable: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        default_factory=list,
        max_length=MAX_LIST,
        description="Rule ids to turn off: ours (`sql-string`), bandit's (`B602`), or "
        "`secrets` for every secret detector.",
    )
    rules: list[PatternRule] = Field(default_factory=list, max_length=200)


class SizeConfig(Model):
    lines: int = Field(
        strict=True,
        default=1000,
        ge=1,
        description="Production code lines written at which size is at full (it grows with "
        "their logarithm: 10 lines are a third of it, 100 two thirds).",
    )
    files: int = Field(
        strict=True,
        default=40,
        ge=1,
        description="Production code files written in at which size is at full.",
    )


class LimitsConfig(Model):
    analysis_bytes: int = Field(
        strict=True,
        default=2 * 1024 * 1024,
        ge=64 * 1024,
        le=256 * 1024 * 1024,
        description="Source text (base + head) read whole for complexity and bandit per change; "
        "files past it, least changed first, get only the line rules and secret detectors.",
    )
    max_file_bytes: int = Field(
        strict=True,
        default=512 * 1024,
        ge=1024,
        le=16 * 1024 * 1024,
        description="Larger files are left out of complexity and bandit; their added lines are "
        "still scanned.",
    )
    scan_bytes: int = Field(
        strict=True,
        default=32 * 1024 * 1024,
        ge=1024 * 1024,
        le=1024 * 1024 * 1024,
        description="Added text read by the line rules and secret detectors per change (files "
        "on critical paths first, then the smallest); what is past it is listed as not scanned.",
    )
    unmeasured_floor: Level = Field(
        default=Level.MEDIUM,
        description="The lowest risk level of a change with files left unmeasured (too large, "
        "minified, past a budget, no text diff), generated and vendored files aside; `low` "
        "turns it off.",
    )
    skip: list[Glob] = Field(
        default_factory=list,
        max_length=200,
        description="Extra globs of generated or vendored files to leave out of the analysis.",
    )


class RiskConfig(Model):
    weights: Weights = Field(default_factory=Weights)
    levels: Levels = Field(default_factory=Levels)
    critical_paths: list[CriticalPath] = Field(default_factory=list, max_length=200)
    builtin_critical_paths: bool = Field(
        strict=True, default=True, description="Keep the built-in critical paths beside yours."
    )
    tests: TestsConfig = Field(default_factory=TestsConfig)
    non_production: NonProductionConfig = Field(default_factory=NonProductionConfig)
    complexity: ComplexityConfig = Field(default_factory=ComplexityConfig)
    patterns: PatternsConfig = Field(default_factory=PatternsConfig)
    size: SizeConfig = Field(default_factory=SizeConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
