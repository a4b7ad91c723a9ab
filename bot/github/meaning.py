"""What GitHub's answers mean, as pure functions of a status, headers and a body.

In gidgethub's `sansio` manner: nothing here sends a request, sleeps or reads the clock, so
the App's driver (bot/github/client.py and fetch.py, gidgethub) and `preview`'s
(bot/github/pygithub_adapter.py and bot/preview.py, PyGithub) read an answer the same way: a
GraphQL answer's errors, a 404 as "absent", a rate limit and when it resets, a team membership,
a permission, a pull request's base branch. Each meaning is written, and tested, once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

TOKEN_REFUSED = 401  # the token was revoked, expired, or never valid: a new one may work
ABSENT = 404  # REST: no such thing, or none this token may see
TOO_LARGE = 406  # a diff GitHub will not render (over 300 files, or too many lines)
UNPROCESSABLE = 422  # GitHub understood and will not do it (validation failed)
RATE_LIMIT_STATUSES = frozenset({403, 429})
MAX_MESSAGE_CHARS = 200


# -- GraphQL -------------------------------------------------------------------------------------


class GraphQLFailed(Exception):
    """GitHub answered a GraphQL query with errors other than NOT_FOUND."""


class GraphQLRateLimited(Exception):
    """GitHub's GraphQL rate limit is used up; `reset` is the epoch second it resets, if known."""

    def __init__(self, message: str, reset: int | None) -> None:
        super().__init__(message)
        self.reset = reset


def graphql_data(body: Any, reset: int | None = None) -> dict[str, Any]:
    """A GraphQL answer's `data`. GitHub reports a missing repository or object as a NOT_FOUND
    error beside the rest of the data: such parts are null and the rest is returned. A used-up
    budget (answered with HTTP 200) raises GraphQLRateLimited with `reset` (the epoch second
    from the answer's headers); any other error raises GraphQLFailed."""
    if not isinstance(body, dict):
        raise GraphQLFailed("GitHub's GraphQL answer is not a JSON object")
    errors = body.get("errors") or []
    kinds = {error.get("type") for error in errors}
    if "RATE_LIMITED" in kinds:
        raise GraphQLRateLimited(str(errors[0].get("message", "")), reset)
    if errors and kinds != {"NOT_FOUND"}:
        raise GraphQLFailed("; ".join(str(error.get("message")) for error in errors))
    data: dict[str, Any] = body.get("data") or {}
    return data


# -- rate limits ---------------------------------------------------------------------------------


def header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    """A header's value by its lowercase `name`, whatever case the answer spelled it in."""
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def rate_limit_reset(headers: Mapping[str, Any] | None) -> int | None:
    """The epoch second the rate limit resets (`x-ratelimit-reset`), when the answer says."""
    reset = header(headers, "x-ratelimit-reset")
    return int(reset) if reset is not None and reset.isdigit() else None


def retry_after(headers: Mapping[str, Any] | None, now: float) -> float | None:
    """Seconds GitHub asked us to wait, from `Retry-After` or, with no requests left, the
    rate limit's reset time."""
    value = header(headers, "retry-after")
    if value is not None and value.strip().isdigit():
        return float(value)
    reset = rate_limit_reset(headers)
    if header(headers, "x-ratelimit-remaining") == "0" and reset is not None:
        return max(0.0, reset - now)
    return None


def is_secondary_limit(status: int, message: str, headers: Mapping[str, Any] | None) -> bool:
    """A secondary rate limit (too many requests at once, or too fast), which passes within
    minutes, as opposed to the hourly budget being used up."""
    if status not in RATE_LIMIT_STATUSES:
        return False
    lowered = message.lower()
    return (
        "secondary rate limit" in lowered
        or "abuse" in lowered
        or header(headers, "retry-after") is not None
    )


def reset_wording(epoch: int | None, now: float) -> str:
    """When a rate limit resets, for a person: "resets at 14:05:09 UTC (in 12 min)"."""
    if epoch is None:
        return "resets within the hour"
    minutes = max(0, round((epoch - now) / 60))
    at = datetime.fromtimestamp(epoch, UTC).strftime("%H:%M:%S UTC")
    return f"resets at {at} (in {minutes} min)"


def message_line(message: str) -> str:
    """GitHub's error message fit for a terminal: its first line, printable characters only,
    at most MAX_MESSAGE_CHARS."""
    first = message.split("\n", 1)[0]
    return "".join(ch for ch in first if ch.isprintable())[:MAX_MESSAGE_CHARS]


# -- answers to the gate's questions -------------------------------------------------------------


class Membership(Enum):
    """A person's membership of a team, as GitHub answers it."""

    ACTIVE = "active"
    PENDING = "pending"  # invited, not yet accepted: not a member
    NONE = "none"  # 404: not a member, or no such team


def team_parts(team: str) -> tuple[str, str]:
    """(org, slug) of a team written `@org/slug`."""
    org, slug = team.removeprefix("@").split("/", 1)
    return org, slug


def membership(answer: Mapping[str, Any] | None) -> Membership:
    """A team membership answer (None: GitHub answered 404)."""
    if answer is None:
        return Membership.NONE
    return Membership.ACTIVE if answer.get("state") == "active" else Membership.PENDING


WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})


def permission(answer: Mapping[str, Any] | None) -> str:
    """A collaborator permission answer: `admin`, `maintain`, `write`, `triage`, `read`, or
    `none` (also for a 404: an account GitHub knows nothing about there)."""
    return "none" if answer is None else str(answer.get("permission") or "none")


def base_ref(pull: Mapping[str, Any]) -> str:
    """The branch a pull request (REST) merges into."""
    return str(pull["base"]["ref"])


def app_login(app: Mapping[str, Any]) -> str:
    """The account an App comments as (`slug[bot]`), from GitHub's answer about the App."""
    return f"{app['slug']}[bot]"


# -- the merge queue -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueuedPull:
    """A pull request in a merge group, at the head the queue holds for it."""

    number: int
    head_sha: str
    position: int


def merge_group(
    entries: Sequence[Mapping[str, Any]], head_sha: str
) -> tuple[QueuedPull, ...] | None:
    """The pull requests a merge group holds, in queue order: the entry whose merge group
    commit (`headCommit`) is `head_sha`, and every entry ahead of it (a group holds the changes
    of all the pull requests ahead of it in the queue). None when no entry has that commit."""
    queued = sorted(
        (entry for entry in entries if entry.get("pullRequest")),
        key=lambda entry: int(entry.get("position") or 0),
    )
    ends = [
        index
        for index, entry in enumerate(queued)
        if ((entry.get("headCommit") or {}).get("oid") or "").lower() == head_sha.lower()
    ]
    if not ends:
        return None
    return tuple(
        QueuedPull(
            int(entry["pullRequest"]["number"]),
            str(entry["pullRequest"].get("headRefOid") or ""),
            int(entry.get("position") or 0),
        )
        for entry in queued[: ends[0] + 1]
    )


# -- what the base branch requires ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckRequirement:
    """Whether the base branch requires a check: by its branch protection, by a ruleset, or
    only from another App (a check this App posts then satisfies nothing). `known` is False
    when GitHub would not say (the branch is not visible)."""

    by_protection: bool = False
    by_ruleset: bool = False
    other_app: bool = False
    known: bool = True

    @property
    def required(self) -> bool:
        return self.by_protection or self.by_ruleset


def _from(source: Any, app_id: int) -> bool | None:
    """True: a requirement any source, or this App, satisfies; False: only another App does."""
    if source is None or source in (-1, ""):
        return True
    try:
        return int(source) == app_id
    except (TypeError, ValueError):
        return True


def check_requirement(
    branch: Mapping[str, Any] | None, rules: Sequence[Mapping[str, Any]], name: str, app_id: int
) -> CheckRequirement:
    """What GitHub's "Get a branch" (`protection.required_status_checks`, readable with the
    contents permission) and "Get rules for a branch" (active rulesets, readable with metadata)
    answers say about the check `name` that App `app_id` posts. None for `branch`: 404."""
    if branch is None:
        return CheckRequirement(known=False)
    checks = ((branch.get("protection") or {}).get("required_status_checks")) or {}
    sources: list[bool | None] = []
    by_protection = False
    if checks.get("enforcement_level", "everyone") != "off":
        for check in checks.get("checks") or []:
            if check.get("context") == name:
                sources.append(_from(check.get("app_id"), app_id))
        if not checks.get("checks") and name in (checks.get("contexts") or []):
            sources.append(True)
        by_protection = any(sources)
    by_ruleset = False
    for rule in rules:
        if rule.get("type") != "required_status_checks":
            continue
        for check in (rule.get("parameters") or {}).get("required_status_checks") or []:
            if check.get("context") == name:
                source = _from(check.get("integration_id"), app_id)
                sources.append(source)
                by_ruleset = by_ruleset or bool(source)
    other_app = not (by_protection or by_ruleset) and False in sources
    return CheckRequirement(by_protection, by_ruleset, other_app)
