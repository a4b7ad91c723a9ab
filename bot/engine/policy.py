"""The approval gate: a pure decision over the analysis, the policy and the reviews.

`decide` is the only place that says whether a pull request may merge. Its Decision carries its
own explanation (which approvals counted, which did not and why, what is missing), and the check
run's title and summary are rendered from it, never re-derived.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from bot.config.model import ApprovalsConfig
from bot.engine.result import Analysis
from bot.engine.snapshot import Commit


class Conclusion(StrEnum):
    SUCCESS = "success"
    ACTION_REQUIRED = "action_required"
    FAILURE = "failure"
    NEUTRAL = "neutral"


class ReviewState(StrEnum):
    APPROVED = "APPROVED"
    CHANGES_REQUESTED = "CHANGES_REQUESTED"
    COMMENTED = "COMMENTED"
    DISMISSED = "DISMISSED"
    PENDING = "PENDING"


@dataclass(frozen=True, slots=True)
class Review:
    """One submitted review, in the order GitHub lists them (oldest first)."""

    login: str
    state: ReviewState
    commit_id: str | None


@dataclass(frozen=True, slots=True)
class OwnerRule:
    """A touched critical area whose own owners must approve too."""

    area: str
    owners: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Override:
    """A repo admin passed the gate on the record, at `head_sha`."""

    by: str
    reason: str
    head_sha: str


@dataclass(frozen=True, slots=True)
class PullRequestFacts:
    """What the gate needs from the pull request besides the analysis."""

    author: str
    head_sha: str
    base_branch: str
    commits: tuple[Commit, ...]
    reviews: tuple[Review, ...]
    # login -> the senior and owner references (`@org/team`, `login`) that person satisfies
    memberships: Mapping[str, frozenset[str]] = field(default_factory=dict)
    owner_rules: tuple[OwnerRule, ...] = ()
    # An admin's override still in force (the caller ends it when AI-tagged commits follow).
    override: Override | None = None
    # A senior declared the change not AI-assisted: (login, reason).
    declared_human: tuple[str, str] | None = None
    # Checklist items the config requires that no senior has ticked yet.
    unticked_required: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    conclusion: Conclusion
    title: str
    counted: tuple[str, ...] = ()
    missing: int = 0
    blocked_by: tuple[str, ...] = ()
    # Each line says why an approval did or did not count, for the summary.
    reasons: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.conclusion is Conclusion.SUCCESS


def _latest_reviews(reviews: Sequence[Review]) -> dict[str, Review]:
    """Each person's latest review that states a verdict; comments do not replace a verdict."""
    latest: dict[str, Review] = {}
    for review in reviews:
        if review.state in (ReviewState.COMMENTED, ReviewState.PENDING):
            continue
        latest[review.login.lower()] = review
    return latest


def _ignorable(commit: Commit, base_branch: str, ignored_authors: frozenset[str]) -> bool:
    """A commit that does not dismiss approvals: an "Update branch" merge of the base that
    GitHub itself made and signed (message and committer alone can be forged by anyone who can
    push), or a commit by an account the config ignores."""
    if (
        commit.is_merge
        and commit.made_by_github
        and commit.subject.startswith(f"Merge branch '{base_branch}'")
    ):
        return True
    return (commit.author.login or "").lower() in ignored_authors


def _stale_reason(review: Review, facts: PullRequestFacts, config: ApprovalsConfig) -> str | None:
    """Why an approval on an older head no longer counts, or None when it still does."""
    if review.commit_id == facts.head_sha or not config.dismiss_on_push:
        return None
    shas = [c.sha for c in facts.commits]
    if review.commit_id not in shas:
        return "given on a commit that is no longer part of the pull request"
    ignored = frozenset(login.lower() for login in config.ignored_authors)
    since = facts.commits[shas.index(review.commit_id) + 1 :]
    pushed = [c for c in since if not _ignorable(c, facts.base_branch, ignored)]
    if not pushed:
        return None
    return f"{len(pushed)} new commit(s) pushed since, starting with {pushed[0].sha[:7]}"


def _counts_for(login: str, refs: Sequence[str], facts: PullRequestFacts) -> bool:
    satisfied = facts.memberships.get(login.lower(), frozenset())
    return any(ref.lower() in {s.lower() for s in satisfied} for ref in refs) or any(
        ref.lower() == login.lower() for ref in refs
    )


def _who(refs: Sequence[str]) -> str:
    return ", ".join(r if r.startswith("@") else f"@{r}" for r in refs) or "a reviewer"


class _Verdict(StrEnum):
    COUNTED = "counted"
    BLOCKING = "blocking"
    IGNORED = "ignored"


def _judge(
    review: Review, facts: PullRequestFacts, config: ApprovalsConfig, contributors: set[str]
) -> tuple[_Verdict, str]:
    """What one person's latest review does to the gate, and the sentence that says why."""
    login = review.login.lower()
    seniors = tuple(config.seniors)
    # With no seniors configured, any reviewer's approval counts (the summary says so).
    is_senior = not seniors or _counts_for(login, seniors, facts)
    if review.state is ReviewState.CHANGES_REQUESTED:
        if is_senior:
            return _Verdict.BLOCKING, f"@{review.login} requested changes"
        return _Verdict.IGNORED, f"@{review.login} requested changes (not a senior reviewer)"
    if review.state is not ReviewState.APPROVED:
        return _Verdict.IGNORED, f"@{review.login}'s approval was dismissed"
    if login == facts.author.lower():
        return _Verdict.IGNORED, f"@{review.login}'s approval does not count: they opened the PR"
    if login in contributors and not config.allow_contributors:
        reason = f"@{review.login}'s approval does not count: they pushed commits to it"
        return _Verdict.IGNORED, reason
    if not is_senior:
        reason = f"@{review.login}'s approval does not count: not in {_who(seniors)}"
        return _Verdict.IGNORED, reason
    stale = _stale_reason(review, facts, config)
    if stale is not None:
        return _Verdict.IGNORED, f"@{review.login}'s approval no longer counts: {stale}"
    return _Verdict.COUNTED, f"@{review.login} approved"


def decide(analysis: Analysis, config: ApprovalsConfig, facts: PullRequestFacts) -> Decision:
    """Whether the pull request's current head may merge, and why."""
    risk = f"risk {analysis.risk.level}, {analysis.risk.score}/100"
    if facts.override is not None:
        override = facts.override
        title = f"Overridden by @{override.by}: {override.reason}"
        return Decision(Conclusion.SUCCESS, title, reasons=(f"{title} (recorded)",))
    if not analysis.gated:
        return Decision(Conclusion.SUCCESS, "Not AI-assisted: no senior review required")
    if facts.declared_human is not None and analysis.ai.assisted:
        login, reason = facts.declared_human
        title = f"Declared not AI-assisted by @{login}: {reason}"
        return Decision(Conclusion.SUCCESS, title, reasons=(f"{title} (recorded)",))
    required = analysis.approvals.required
    if required == 0 and not facts.owner_rules and not facts.unticked_required:
        return Decision(Conclusion.SUCCESS, f"No senior approval required ({risk})")

    contributors = {
        c.author.login.lower() for c in facts.commits if not c.is_merge and c.author.login
    }
    verdicts = [
        (review.login, *_judge(review, facts, config, contributors))
        for review in _latest_reviews(facts.reviews).values()
    ]
    counted = tuple(login for login, verdict, _ in verdicts if verdict is _Verdict.COUNTED)
    blocked = tuple(login for login, verdict, _ in verdicts if verdict is _Verdict.BLOCKING)
    reasons = tuple(reason for _, _, reason in verdicts)
    if blocked:
        title = f"Changes requested by {_who(blocked)} ({risk})"
        return Decision(Conclusion.ACTION_REQUIRED, title, counted, required, blocked, reasons)
    missing_owners = [
        rule
        for rule in facts.owner_rules
        if not any(_counts_for(login, rule.owners, facts) for login in counted)
    ]
    missing = max(0, required - len(counted))
    unticked = facts.unticked_required
    if missing == 0 and not missing_owners and not unticked:
        title = f"Approved by {_who(counted)} ({risk})"
        return Decision(Conclusion.SUCCESS, title, counted, 0, (), reasons)
    needs = []
    if missing:
        seniors = _who(config.seniors)
        needs.append(f"{missing} more approval{'s' if missing > 1 else ''} from {seniors}")
    needs.extend(f"an approval from {_who(rule.owners)} ({rule.area})" for rule in missing_owners)
    if unticked:
        needs.append(f"{len(unticked)} required checklist item(s) ticked by a senior")
        reasons += (f"Not yet ticked: {', '.join(unticked)}",)
    title = f"Needs {' and '.join(needs)} ({risk})"
    return Decision(Conclusion.ACTION_REQUIRED, title, counted, missing, (), reasons)
