"""`approvals`: who the seniors are, how many approvals each risk level needs, and what keeps
or dismisses an approval."""

from __future__ import annotations

from pydantic import Field

from bot.config.fields import Login, Model, SeniorRef
from bot.config.levels import Level


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
    request_reviews: bool = Field(
        strict=True,
        default=True,
        description=(
            "When the gate waits for approvals, request a review from the senior teams and "
            "people, and from the owners of touched critical paths, who have not reviewed "
            "(once per head; never the author, never a bot)."
        ),
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
