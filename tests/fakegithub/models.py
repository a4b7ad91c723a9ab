"""The fake GitHub's records: what GitHub stores about apps, pull requests, reviews and checks.

Git data (SHAs, diffs, file texts) is never stored here: it is read from the real git
repository on each request, so a test that commits to a branch moves the pull request's head
exactly as a push does on GitHub. Records are mutable on purpose: a test may flip
`pull.draft` or append to `pull.labels` and the next request sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

ReviewState = Literal["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"]
Permission = Literal["admin", "maintain", "write", "triage", "read"]
Reaction = Literal["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"]

REACTIONS: tuple[Reaction, ...] = (
    "+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes",
)  # fmt: skip

DEFAULT_PERMISSIONS: dict[str, str] = {
    "checks": "write",
    "contents": "read",
    "issues": "write",
    "members": "read",
    "merge_queues": "read",
    "metadata": "read",
    "pull_requests": "write",
}


def iso(moment: datetime) -> str:
    """GitHub's timestamp format: ISO 8601 in UTC with a Z, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class GitRepository(Protocol):
    """Anything with the path of a real git work tree (tests.conftest.Repo is one)."""

    @property
    def path(self) -> Path: ...


@dataclass(frozen=True, slots=True)
class Account:
    login: str
    id: int
    type: Literal["User", "Bot", "Organization"]

    @property
    def graphql_login(self) -> str:
        """GraphQL names an App's bot account without the "[bot]" suffix REST shows."""
        return self.login.removesuffix("[bot]") if self.type == "Bot" else self.login


@dataclass(slots=True)
class Installation:
    id: int
    account: str
    permissions: dict[str, str]
    created_at: datetime
    suspended: bool = False


@dataclass(slots=True)
class Review:
    id: int
    login: str
    state: ReviewState
    commit_id: str
    submitted_at: datetime
    body: str = ""


@dataclass(slots=True)
class ReviewDismissal:
    """A ReviewDismissedEvent on the pull request's timeline."""

    id: int
    review_id: int
    actor: str
    previous_state: ReviewState
    created_at: datetime
    message: str = ""


@dataclass(slots=True)
class IssueComment:
    id: int
    issue_number: int
    login: str
    body: str
    created_at: datetime
    updated_at: datetime
    reactions: dict[tuple[str, Reaction], int] = field(default_factory=dict)
    """(login, content) -> reaction id."""


@dataclass(slots=True)
class PullRequest:
    id: int
    number: int
    head_ref: str
    base_ref: str
    title: str
    body: str
    author: str
    labels: list[str]
    draft: bool
    created_at: datetime
    updated_at: datetime
    state: Literal["open", "closed"] = "open"
    merged: bool = False
    head_repo: str | None = None
    """Full name of the fork the head branch lives in on GitHub; None: the same repository."""
    reviews: list[Review] = field(default_factory=list)
    dismissals: list[ReviewDismissal] = field(default_factory=list)
    requested_reviewers: list[str] = field(default_factory=list)
    """Logins asked for a review who have not reviewed since, in the order asked."""
    requested_teams: list[str] = field(default_factory=list)
    """Slugs of the teams asked for a review (of the repository's organization)."""


@dataclass(slots=True)
class Annotation:
    path: str
    start_line: int
    end_line: int
    annotation_level: str
    message: str
    title: str | None = None
    raw_details: str | None = None
    start_column: int | None = None
    end_column: int | None = None


@dataclass(slots=True)
class CheckSuite:
    id: int
    head_sha: str
    head_branch: str | None
    created_at: datetime


@dataclass(slots=True)
class CheckRun:
    id: int
    name: str
    head_sha: str
    suite_id: int
    status: str = "queued"
    conclusion: str | None = None
    details_url: str | None = None
    external_id: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    title: str | None = None
    summary: str | None = None
    text: str | None = None
    annotations: list[Annotation] = field(default_factory=list)
    actions: list[dict[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class Label:
    """One of the repository's labels; a pull request names those it carries."""

    id: int
    name: str
    color: str = "ededed"
    description: str | None = None


@dataclass(slots=True)
class RequiredCheck:
    """A check that must pass before merging: `app_id` None (protection) or `integration_id`
    None (ruleset) lets any source satisfy it."""

    context: str
    app_id: int | None = None


@dataclass(slots=True)
class Ruleset:
    """A repository ruleset targeting branches (`include`: fnmatch patterns of ref names, or
    "~DEFAULT_BRANCH"), with a required-status-checks rule and, optionally, a merge queue."""

    id: int
    name: str
    include: list[str]
    checks: list[RequiredCheck]
    enforcement: Literal["active", "evaluate", "disabled"] = "active"
    merge_queue: bool = False


@dataclass(slots=True)
class QueueEntry:
    """A pull request in a branch's merge queue, and its merge group: `head_sha` is the group's
    commit on `head_ref` (the queue's temporary branch), holding every entry ahead of it."""

    id: int
    number: int
    head_sha: str
    head_ref: str
    base_sha: str
    enqueued_at: datetime
    state: Literal["QUEUED", "AWAITING_CHECKS", "MERGEABLE", "UNMERGEABLE", "LOCKED"] = (
        "AWAITING_CHECKS"
    )


@dataclass(slots=True)
class RepoState:
    """One repository on the fake GitHub, backed by a real git work tree."""

    id: int
    owner: str
    name: str
    path: Path
    default_branch: str
    private: bool
    created_at: datetime
    pulls: dict[int, PullRequest] = field(default_factory=dict)
    comments: dict[int, IssueComment] = field(default_factory=dict)
    check_runs: dict[int, CheckRun] = field(default_factory=dict)
    check_suites: dict[str, CheckSuite] = field(default_factory=dict)
    permissions: dict[str, Permission] = field(default_factory=dict)
    """Collaborator login (casefolded) -> role."""
    labels: dict[str, Label] = field(default_factory=dict)
    """Label name (casefolded) -> the repository's label."""
    protections: dict[str, list[RequiredCheck]] = field(default_factory=dict)
    """Branch name -> the checks its branch protection requires."""
    rulesets: list[Ruleset] = field(default_factory=list)
    merge_queues: dict[str, list[QueueEntry]] = field(default_factory=dict)
    """Branch name -> its merge queue, first in line first."""

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(slots=True)
class TeamMember:
    role: Literal["member", "maintainer"]
    state: Literal["active", "pending"]


@dataclass(slots=True)
class Team:
    id: int
    org: str
    slug: str
    members: dict[str, TeamMember] = field(default_factory=dict)
    """Login (casefolded) -> membership."""
