"""`detect`: how AI-assisted pull requests are recognised, and the signature sets that the
built-in data file and a repo config both write."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from bot.config.fields import MAX_LIST, Identifier, Login, Model, Regex, Text


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
