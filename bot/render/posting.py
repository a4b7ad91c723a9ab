"""What the bot posts for one head, whoever computed it: the App writes it to GitHub, `preview`
prints it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.policy import Conclusion, Decision
from bot.render.checkrun import CheckOutput


@dataclass(frozen=True, slots=True)
class ReviewRequests:
    """Whom to ask for a review of the head: logins, and teams as `@org/slug`."""

    users: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.users or self.teams)

    @property
    def refs(self) -> tuple[str, ...]:
        """Everyone asked, as the config names them (`@org/slug`, `@login`)."""
        return (*self.teams, *(f"@{login}" for login in self.users))


@dataclass(frozen=True, slots=True)
class LabelSpec:
    """A label as the App creates it when the repository lacks it."""

    name: str
    color: str  # six hex digits, no '#'
    description: str


@dataclass(frozen=True, slots=True)
class LabelChanges:
    """The labels to keep in step with the review of the head.

    `wanted` is every label true of the head; `add` and `remove` are the writes (a wanted
    label a person took off at this head is not added again); `taken_off` are the App's own
    labels a person removed since it last looked (no longer its own)."""

    wanted: tuple[LabelSpec, ...] = ()
    add: tuple[LabelSpec, ...] = ()
    remove: tuple[str, ...] = ()
    taken_off: tuple[str, ...] = ()
    # labels on the pull request as gathered, for the record of which were seen there
    present: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.add or self.remove)


@dataclass(frozen=True, slots=True)
class Posting:
    """What the App writes for one head: the check run's conclusion and output, and the body
    of its one comment (None: no comment is posted or updated); the review requests and label
    changes that go with it."""

    check_name: str
    conclusion: Conclusion
    title: str  # whole, before the output's cut to GitHub's 255 characters
    output: CheckOutput
    comment: str | None
    decision: Decision | None = None  # None when the config is invalid
    review_requests: ReviewRequests = ReviewRequests()
    labels: LabelChanges | None = None  # None: labels are not kept (off, or no valid config)
