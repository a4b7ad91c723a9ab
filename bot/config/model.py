"""The typed repo config (`.github/ai-review.yml`) and the checklist file format.

These models are the single definition of both: validation, defaults and the JSON Schema
(`ai-review-bot schema`) all come from here. Every model forbids unknown keys and is frozen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
    field_validator,
    model_validator,
)

from bot.config.globs import GlobError, compile_glob
from bot.config.levels import Level, Severity
from bot.config.regex import RegexError, compile_pattern
from bot.config.signals import SIGNAL_IDS, SIGNALS

MAX_LIST = 500


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


def _check_regex(pattern: str) -> str:
    try:
        compile_pattern(pattern)
    except RegexError as exc:
        raise ValueError(str(exc)) from None
    return pattern


def _check_glob(pattern: str) -> str:
    try:
        compile_glob(pattern)
    except GlobError as exc:
        raise ValueError(str(exc)) from None
    return pattern


Regex = Annotated[
    str,
    StringConstraints(min_length=1, max_length=1000),
    AfterValidator(_check_regex),
    Field(description="A regular expression in RE2 syntax, matched case-insensitively."),
]
Glob = Annotated[
    str,
    StringConstraints(min_length=1, max_length=500),
    AfterValidator(_check_glob),
    Field(description="A path glob: `*` within a folder, `**` across folders (gitignore style)."),
]
Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$"),
    Field(description="A stable id: lowercase letters, digits, '.', '_' and '-'."),
]
SeniorRef = Annotated[
    str,
    StringConstraints(
        pattern=r"^(@[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9][A-Za-z0-9._-]{0,99}"
        r"|[A-Za-z0-9][A-Za-z0-9-]{0,38})$"
    ),
    Field(description="A team as `@org/team-slug`, or a user by GitHub login."),
]
Login = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}(\[bot\])?$"),
    Field(description="A GitHub login; apps end in `[bot]`."),
]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
# Built from the declared signals (bot/config/signals.py); the type checker, which cannot read a
# Literal built at run time, sees a plain string.
if TYPE_CHECKING:
    SignalId = str
else:
    SignalId = Literal[SIGNAL_IDS]


# --- detection ------------------------------------------------------------------------------


class ToolName(Model):
    """How to recognise a tool or model by name inside a trailer value or a marker."""

    id: Identifier
    name: Text = Field(description="Display name, e.g. `Claude Code`.")
    match: Regex = Field(description="Matches the tool's or its models' names in free text.")


class TrailerSignature(Model):
    """A commit trailer (in the message's last paragraph) that marks AI use."""

    id: Identifier | None = None
    keys: list[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,64}$")]] = Field(
        min_length=1, max_length=20, description="Trailer keys, compared case-insensitively."
    )
    value: Regex | None = Field(
        default=None, description="The value must match this; omitted: any value."
    )
    tool: Identifier | None = Field(
        default=None,
        description="The tool this names. Omitted: the tool is recognised from the value by "
        "`detect.tools`, and a value naming no known tool is not evidence (so a human "
        "co-author never matches).",
    )


class AuthorSignature(Model):
    """A commit author or pull request author that is an AI agent. Every field given must match."""

    id: Identifier | None = None
    tool: Identifier
    logins: list[Login] = Field(
        default_factory=list,
        max_length=50,
        description="GitHub logins (PR author, or commit author/committer login).",
    )
    name: Regex | None = Field(default=None, description="Commit author name.")
    email: Regex | None = Field(default=None, description="Commit author email.")
    committer_name: Regex | None = Field(default=None, description="Commit committer name.")

    @model_validator(mode="after")
    def _needs_one_field(self) -> AuthorSignature:
        if not (self.logins or self.name or self.email):
            raise ValueError("an author signature needs at least one of logins, name, email")
        return self


class BranchSignature(Model):
    """A head branch that AI agents push to: a name prefix, or a pattern over the whole name."""

    id: Identifier | None = None
    prefix: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = Field(
        default=None, description="The branch name starts with this (case-insensitive)."
    )
    pattern: Regex | None = Field(
        default=None,
        description="The branch name matches this, e.g. `^[a-z0-9]{6}-codex/` (Codex's retries).",
    )
    tool: Identifier

    @model_validator(mode="after")
    def _needs_prefix_or_pattern(self) -> BranchSignature:
        if (self.prefix is None) == (self.pattern is None):
            raise ValueError("a branch signature needs exactly one of prefix, pattern")
        return self


MarkerPlace = Literal["message", "body"]


def _everywhere() -> list[MarkerPlace]:
    return ["message", "body"]


class MarkerSignature(Model):
    """Text in a commit message or the pull request body that marks AI use."""

    id: Identifier | None = None
    pattern: Regex
    where: list[MarkerPlace] = Field(default_factory=_everywhere, min_length=1, max_length=2)
    tool: Identifier


class Signatures(Model):
    """Signature sets, as the built-in data file and the config's `detect` both write them."""

    tools: list[ToolName] = Field(default_factory=list, max_length=MAX_LIST)
    trailers: list[TrailerSignature] = Field(default_factory=list, max_length=MAX_LIST)
    authors: list[AuthorSignature] = Field(default_factory=list, max_length=MAX_LIST)
    branches: list[BranchSignature] = Field(default_factory=list, max_length=MAX_LIST)
    markers: list[MarkerSignature] = Field(default_factory=list, max_length=MAX_LIST)


class DetectConfig(Signatures):
    """How AI-assisted pull requests are recognised."""

    builtin: bool = Field(strict=True, default=True, description="Use the built-in signatures.")
    disable: list[Identifier] = Field(
        default_factory=list,
        max_length=MAX_LIST,
        description="Built-in signature ids or tool ids to ignore.",
    )
    labels: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=lambda: ["ai-assisted"],
        max_length=50,
        description="Pull request labels that mark it AI-assisted.",
    )
    gate_all: bool = Field(
        strict=True,
        default=False,
        description="Gate every pull request, not only AI-assisted ones.",
    )


# --- risk -----------------------------------------------------------------------------------


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
    owners: list[SeniorRef] = Field(
        default_factory=list,
        max_length=50,
        description="When set, one of these must also approve a change touching these paths.",
    )


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


# --- approvals ------------------------------------------------------------------------------


class RequiredApprovals(Model):
    low: int = Field(strict=True, default=0, ge=0, le=10)
    medium: int = Field(strict=True, default=1, ge=0, le=10)
    high: int = Field(strict=True, default=1, ge=0, le=10)
    critical: int = Field(strict=True, default=2, ge=0, le=10)

    def for_level(self, level: Level) -> int:
        value: int = getattr(self, level.value)
        return value


class ApprovalsConfig(Model):
    seniors: list[SeniorRef] = Field(default_factory=list, max_length=200)
    required: RequiredApprovals = Field(default_factory=RequiredApprovals)
    dismiss_on_push: bool = Field(
        strict=True, default=True, description="A new push makes earlier approvals stop counting."
    )
    allow_contributors: bool = Field(
        strict=True,
        default=False,
        description="People who pushed commits to the PR may approve it.",
    )
    ignored_authors: list[Login] = Field(
        default_factory=list,
        max_length=100,
        description=(
            "Commits whose verified signature belongs to one of these accounts do not dismiss "
            "approvals (a machine user with a signing key; an author name or e-mail is not "
            "enough, and commits made on GitHub's website are signed by web-flow, never listed)."
        ),
    )


# --- checklists -----------------------------------------------------------------------------


class When(Model):
    """Conditions that select a checklist or an item. All keys given must hold; a list of
    values holds when any one does."""

    min_level: Level | None = Field(default=None, description="Risk level at least this.")
    signals: list[SignalId] = Field(
        default_factory=list, max_length=10, description="Any of these signals scored above 0."
    )
    patterns: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=100, description="Any of these pattern rules fired."
    )
    paths: list[Glob] = Field(
        default_factory=list, max_length=100, description="Any changed file matches."
    )
    languages: list[Identifier] = Field(
        default_factory=list, max_length=50, description="Any changed file is in one of these."
    )
    ai: bool | None = Field(
        strict=True, default=None, description="The change is (or is not) AI-assisted."
    )

    @model_validator(mode="after")
    def _not_empty(self) -> When:
        if not self.model_fields_set:
            raise ValueError("an empty `when` selects nothing: give at least one condition")
        return self


WhenClause = When | list[When]


class ChecklistItemDef(Model):
    id: Identifier
    text: Text = Field(description="A yes/no question a senior answers from the diff.")
    why: Text | None = Field(default=None, description="One line a junior can learn from.")
    when: WhenClause | None = None
    required: bool = Field(
        strict=True, default=False, description="Must be ticked before the gate passes."
    )


class ChecklistDef(Model):
    """One checklist file (`checklists/*.yml`, `.github/ai-review/checklists/*.yml`)."""

    id: Identifier
    title: Text
    when: WhenClause | None = None
    items: list[ChecklistItemDef] = Field(min_length=1, max_length=100)

    @field_validator("items")
    @classmethod
    def _unique_item_ids(cls, items: list[ChecklistItemDef]) -> list[ChecklistItemDef]:
        seen: set[str] = set()
        for item in items:
            if item.id in seen:
                raise ValueError(f"item id {item.id!r} is used twice")
            seen.add(item.id)
        return items


class ExtraItem(ChecklistItemDef):
    checklist: Identifier = Field(description="The checklist this item joins.")


class ChecklistsConfig(Model):
    builtin: bool | list[Identifier] = Field(
        default=True, description="All built-in checklists, none, or these ids."
    )
    disable: list[Identifier] = Field(
        default_factory=list, max_length=MAX_LIST, description="Checklist or item ids to drop."
    )
    items: list[ExtraItem] = Field(
        default_factory=list, max_length=MAX_LIST, description="Items added to a checklist."
    )
    extra: list[ChecklistDef] = Field(
        default_factory=list, max_length=50, description="Whole checklists, inline."
    )
    require: list[Identifier] | Literal["all"] = Field(
        default_factory=list,
        description="Item ids (or `all`) a senior must tick before the gate passes.",
    )
    max_items: int = Field(
        strict=True, default=15, ge=1, le=100, description="At most this many items are selected."
    )


# --- check run ------------------------------------------------------------------------------


class CheckConfig(Model):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] = "ai-review"
    on_error: Literal["closed", "open"] = Field(
        default="closed",
        description="On an internal error: `closed` fails the check, `open` lets it pass "
        "(neutral).",
    )


class RepoConfig(Model):
    """`.github/ai-review.yml`. Every key is optional: no file means these defaults."""

    detect: DetectConfig = Field(default_factory=DetectConfig)
    risk: RiskConfig = Field(default_factory=RiskConfig)
    approvals: ApprovalsConfig = Field(default_factory=ApprovalsConfig)
    checklists: ChecklistsConfig = Field(default_factory=ChecklistsConfig)
    check: CheckConfig = Field(default_factory=CheckConfig)
