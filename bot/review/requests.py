"""Whom to ask for a review when the gate waits for approvals: pure.

When the gate is missing approvals (GateRule.MISSING), the App requests a review, once per
head, from the senior teams and people while senior approvals are missing, and from the owners
of each touched critical path whose approval is missing. Never from the author, never from a
bot, never from someone who already reviewed the head or whose approval counted. Teams are
requested by slug, so only teams of the repository's organization can be asked.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace

from bot.config.approvals import ApprovalsConfig
from bot.engine.policy import Decision, GateRule, OwnerRule, PullRequestFacts
from bot.engine.pull_state import PullState
from bot.engine.reviews import is_bot_login
from bot.render.posting import ReviewRequests

# GitHub lets a pull request have at most 15 requested reviewers (people and teams together).
MAX_REQUESTED = 15


def _satisfied(
    rule: OwnerRule, counted: Iterable[str], member_of: Mapping[str, Collection[str]]
) -> bool:
    """Whether an approval that counted came from one of the area's owners."""
    owners = {owner.lower() for owner in rule.owners}
    return any(
        login.lower() in owners
        or any(team.lower() in owners for team in member_of.get(login.lower(), ()))
        for login in counted
    )


def _wanted_refs(config: ApprovalsConfig, decision: Decision, facts: PullRequestFacts) -> list[str]:
    """The senior and owner references whose review the gate waits for, owners first."""
    refs = [
        owner
        for rule in facts.owner_rules
        if not _satisfied(rule, decision.counted, facts.memberships)
        for owner in rule.owners
    ]
    if decision.missing or facts.unticked_required:
        refs.extend(config.seniors)
    return list(dict.fromkeys(refs))


def review_requests(
    config: ApprovalsConfig,
    decision: Decision,
    facts: PullRequestFacts,
    state: PullState,
    repo_owner: str,
) -> ReviewRequests:
    """The teams and people to request a review from for `facts.head_sha`; empty when the
    gate is not waiting for approvals, requests are off, or this head's were made."""
    if (
        not config.request_reviews
        or decision.rule is not GateRule.MISSING
        or state.reviews_requested_at == facts.head_sha
    ):
        return ReviewRequests()
    reviewed = {r.login.lower() for r in facts.reviews if r.commit_id == facts.head_sha}
    reviewed |= {login.lower() for login in decision.counted}
    author = facts.author.lower()
    teams: list[str] = []
    users: list[str] = []
    for ref in _wanted_refs(config, decision, facts):
        if ref.startswith("@"):
            org, _, _slug = ref.removeprefix("@").partition("/")
            if org.lower() == repo_owner.lower():
                teams.append(ref)
        elif ref.lower() not in reviewed and ref.lower() != author and not is_bot_login(ref):
            users.append(ref)
    teams = teams[:MAX_REQUESTED]
    return ReviewRequests(tuple(users[: MAX_REQUESTED - len(teams)]), tuple(teams))


def requested(state: PullState, head_sha: str, asked: Sequence[str] = ()) -> PullState:
    """The record that this head's review requests were made, and whom GitHub took."""
    return replace(state, reviews_requested_at=head_sha, reviews_requested=tuple(asked))


def asked_at(state: PullState, head_sha: str, planned: ReviewRequests) -> tuple[str, ...]:
    """Whom the head's review requests go to: those planned now, or those recorded for it."""
    if planned:
        return (*planned.teams, *planned.users)
    return state.reviews_requested if state.reviews_requested_at == head_sha else ()
