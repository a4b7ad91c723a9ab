"""The approval gate: a pure decision over the analysis, the policy and the reviews.

`decide` is the only place that says whether a pull request may merge. Its Decision carries its
own explanation (which approvals counted, which did not and why, what is missing), and the check
run's title and summary are rendered from it, never re-derived.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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


WEB_FLOW = "web-flow"  # the account GitHub signs the commits it makes with (web UI, merges)


def is_bot_login(login: str) -> bool:
    """An App's account as REST names it (GraphQL drops the suffix; its type says Bot)."""
    return login.lower().endswith("[bot]")


@dataclass(frozen=True, slots=True)
class Review:
    """One submitted review, in the order GitHub lists them (oldest first).

    `is_bot`: an App wrote it (GraphQL type Bot; a login ending in "[bot]" counts too). A
    DISMISSED review says who dismissed it (an App's login as REST spells it, with "[bot]")
    and what it was before, when GitHub says so.
    """

    login: str
    state: ReviewState
    commit_id: str | None
    is_bot: bool = False
    dismissed_by: str | None = None
    previous_state: ReviewState | None = None

    @property
    def by_bot(self) -> bool:
        return self.is_bot or is_bot_login(self.login)


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
    # Lowercased logins with write, maintain or admin permission on the repository (looked up
    # for `deciding_people`): with no seniors configured, they are the seniors.
    write_access: frozenset[str] = frozenset()
    # Merge commits proven to bring only the base branch's changes (gather's
    # `clean_update_merges`): pushing one keeps approvals.
    clean_merges: frozenset[str] = frozenset()
    # What the bot could not see, each a short phrase ("more than 250 commits (GitHub lists
    # 250)"): the gate then fails closed.
    incomplete: tuple[str, ...] = ()
    # How many commits the pull request has when GitHub lists fewer (`commits` is cut short).
    commits_total: int | None = None

    @property
    def commits_cut(self) -> bool:
        return self.commits_total is not None and self.commits_total > len(self.commits)


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


def deciding_people(reviews: Iterable[Review]) -> set[str]:
    """Everyone whose review can move the gate, as GitHub spells their logins: approvers,
    change requesters, and who dismissed a review. The caller looks up their team memberships
    and permissions; bots are left out (they never count)."""
    people: set[str] = set()
    for review in reviews:
        if review.by_bot or review.state in (ReviewState.COMMENTED, ReviewState.PENDING):
            continue
        people.add(review.login)
        dismisser = review.dismissed_by
        if review.state is ReviewState.DISMISSED and dismisser and not is_bot_login(dismisser):
            people.add(dismisser)
    return people


def _counts_for(login: str, refs: Sequence[str], facts: PullRequestFacts) -> bool:
    satisfied = facts.memberships.get(login.lower(), frozenset())
    return any(ref.lower() in {s.lower() for s in satisfied} for ref in refs) or any(
        ref.lower() == login.lower() for ref in refs
    )


def _is_senior(login: str, facts: PullRequestFacts, config: ApprovalsConfig) -> bool:
    """A configured senior (a listed login or a member of a listed team); with none configured,
    anyone with write access. Never a bot, whatever the config lists."""
    if is_bot_login(login):
        return False
    if config.seniors:
        return _counts_for(login, tuple(config.seniors), facts)
    return login.lower() in facts.write_access


def _who(refs: Sequence[str]) -> str:
    return ", ".join(r if r.startswith("@") else f"@{r}" for r in refs) or (
        "a reviewer with write access"
    )


def _not_senior(config: ApprovalsConfig) -> str:
    return f"not in {_who(config.seniors)}" if config.seniors else "no write access"


def _keeps_approvals(commit: Commit, facts: PullRequestFacts, ignored: frozenset[str]) -> bool:
    """A commit pushed after an approval that does not dismiss it: a merge proven to bring only
    the base branch's changes, or a commit whose verified signature belongs to an ignored
    account. Author and committer names and e-mails are the pusher's to write, so they never
    count; nor does GitHub's web-flow signature, which any web-UI edit carries."""
    if commit.sha in facts.clean_merges:
        return True
    signer = (commit.signed_by or "").lower()
    return bool(signer) and signer != WEB_FLOW and signer in ignored


def _ancestry(sha: str, listed: Mapping[str, Commit]) -> set[str]:
    """`sha` and its ancestors among the pull request's commits."""
    seen: set[str] = set()
    todo = [sha]
    while todo:
        current = todo.pop()
        if current in seen or current not in listed:
            continue
        seen.add(current)
        todo.extend(listed[current].parents)
    return seen


def _stale_reason(review: Review, facts: PullRequestFacts, config: ApprovalsConfig) -> str | None:
    """Why an approval on an older head no longer counts, or None when it still does."""
    if review.commit_id == facts.head_sha:
        return None
    if facts.incomplete:
        return "the bot cannot see everything, so only approvals of the current head count"
    if not config.dismiss_on_push:
        return None
    if facts.commits_cut:
        return (
            f"the pull request has {facts.commits_total} commits and GitHub lists "
            f"{len(facts.commits)}, so what was pushed since cannot be seen"
        )
    listed = {c.sha: c for c in facts.commits}
    if review.commit_id not in listed or facts.head_sha not in listed:
        return "given on a commit that is no longer part of the pull request"
    # What the approved commit does not contain, whatever order GitHub lists commits in.
    approved = _ancestry(review.commit_id, listed)
    ignored = frozenset(login.lower() for login in config.ignored_authors)
    pushed = [
        c
        for c in facts.commits
        if c.sha not in approved and not _keeps_approvals(c, facts, ignored)
    ]
    if not pushed:
        return None
    return f"{len(pushed)} new commit(s) pushed since, starting with {pushed[0].sha[:7]}"


class _Verdict(StrEnum):
    COUNTED = "counted"
    BLOCKING = "blocking"
    IGNORED = "ignored"


def _judge_dismissed(
    review: Review, facts: PullRequestFacts, config: ApprovalsConfig
) -> tuple[_Verdict, str]:
    """A dismissed change request by a senior still blocks unless another senior, not the
    PR's author, dismissed it (GitHub lets anyone with write access dismiss a review)."""
    who = f"@{review.login}"
    if review.previous_state is ReviewState.APPROVED:
        return _Verdict.IGNORED, f"{who}'s approval was dismissed"
    if review.previous_state not in (ReviewState.CHANGES_REQUESTED, None):
        return _Verdict.IGNORED, f"{who}'s review was dismissed"
    if not _is_senior(review.login, facts, config):
        return _Verdict.IGNORED, f"{who}'s review was dismissed (not a senior reviewer)"
    # Unknown (GitHub did not say): it may have been a change request, so it still blocks.
    was = "requested changes" if review.previous_state is not None else "reviewed"
    by = review.dismissed_by
    if by is None:
        why = "by someone the bot cannot name"
    elif by.lower() == facts.author.lower():
        why = f"by @{by}, who opened the PR"
    elif not _is_senior(by, facts, config):
        why = f"by @{by}, who is not a senior"
    else:
        return _Verdict.IGNORED, f"{who}'s review was dismissed by @{by}"
    return _Verdict.BLOCKING, f"{who} {was}, dismissed {why}: still blocks"


def _judge(
    review: Review, facts: PullRequestFacts, config: ApprovalsConfig, contributors: set[str]
) -> tuple[_Verdict, str]:
    """What one person's latest review does to the gate, and the sentence that says why."""
    who = f"@{review.login}"
    if review.by_bot:
        return _Verdict.IGNORED, f"{who} is a bot: bots never approve or block"
    if review.state is ReviewState.DISMISSED:
        return _judge_dismissed(review, facts, config)
    is_senior = _is_senior(review.login, facts, config)
    if review.state is ReviewState.CHANGES_REQUESTED:
        if is_senior:
            return _Verdict.BLOCKING, f"{who} requested changes"
        return _Verdict.IGNORED, f"{who} requested changes (not a senior reviewer)"
    if review.state is not ReviewState.APPROVED:
        return _Verdict.IGNORED, f"{who}'s review does not state a verdict"
    login = review.login.lower()
    if login == facts.author.lower():
        return _Verdict.IGNORED, f"{who}'s approval does not count: they opened the PR"
    if login in contributors and not config.allow_contributors:
        return _Verdict.IGNORED, f"{who}'s approval does not count: they pushed commits to it"
    if not is_senior:
        return _Verdict.IGNORED, f"{who}'s approval does not count: {_not_senior(config)}"
    stale = _stale_reason(review, facts, config)
    if stale is not None:
        return _Verdict.IGNORED, f"{who}'s approval no longer counts: {stale}"
    return _Verdict.COUNTED, f"{who} approved"


def decide(analysis: Analysis, config: ApprovalsConfig, facts: PullRequestFacts) -> Decision:
    """Whether the pull request's current head may merge, and why.

    Where the bot cannot see everything (`facts.incomplete`), it fails closed: the change is
    gated as AI-assisted whatever detection found, needs at least one senior approval of the
    current head, and the title says why; only an admin's override passes otherwise.
    """
    risk = f"risk {analysis.risk.level}, {analysis.risk.score}/100"
    if facts.override is not None:
        override = facts.override
        title = f"Overridden by @{override.by}: {override.reason}"
        return Decision(Conclusion.SUCCESS, title, reasons=(f"{title} (recorded)",))
    blind = "; ".join(facts.incomplete)
    if not blind:
        if not analysis.gated:
            return Decision(Conclusion.SUCCESS, "Not AI-assisted: no senior review required")
        if facts.declared_human is not None and analysis.ai.assisted:
            login, reason = facts.declared_human
            title = f"Declared not AI-assisted by @{login}: {reason}"
            return Decision(Conclusion.SUCCESS, title, reasons=(f"{title} (recorded)",))
    required = analysis.approvals.required
    if blind:
        required = max(1, required)
        risk = f"{risk}; cannot see everything: {blind}"
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
    if blind:
        reasons = (
            f"Cannot see everything ({blind}): gated as AI-assisted, and only approvals of "
            "the current head count",
            *reasons,
        )
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
