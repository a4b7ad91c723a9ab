"""The approval gate: a pure decision over the analysis, the policy and the reviews.

`decide` is the only place that says whether a pull request may merge. It asks an ordered list
of small rules (`RULES`), each deciding or passing to the next; the Decision names the rule that
decided and carries its own explanation (which approvals counted, which did not and why, what is
missing), and the check run's title and summary are rendered from it, never re-derived.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from bot.config.approvals import ApprovalsConfig
from bot.engine.result import Analysis, OwnerRule
from bot.engine.reviews import (
    WEB_FLOW,
    Review,
    ReviewState,
    is_bot_login,
    latest_reviews,
)
from bot.engine.snapshot import Commit

__all__ = [
    "RULES",
    "Conclusion",
    "Decision",
    "GateRule",
    "Override",
    "OwnerRule",
    "PullRequestFacts",
    "decide",
    "is_senior",
]


class Conclusion(StrEnum):
    SUCCESS = "success"
    ACTION_REQUIRED = "action_required"
    FAILURE = "failure"
    NEUTRAL = "neutral"


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


class GateRule(StrEnum):
    """The rules of the gate, in the order `decide` asks them."""

    OVERRIDE = "override"
    NOT_GATED = "not-gated"
    DECLARED_HUMAN = "declared-human"
    NOTHING_REQUIRED = "nothing-required"
    BLOCKED = "blocked"
    APPROVED = "approved"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class Decision:
    """What the gate decided for the current head, the rule that decided it, and why."""

    conclusion: Conclusion
    title: str
    rule: GateRule
    counted: tuple[str, ...] = ()
    missing: int = 0
    blocked_by: tuple[str, ...] = ()
    # Each line says why an approval did or did not count, for the summary.
    reasons: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.conclusion is Conclusion.SUCCESS


def _satisfies(login: str, refs: Iterable[str], member_of: Collection[str]) -> bool:
    """Whether `login` is one of `refs` (a listed login), or satisfies one (`member_of`: the
    teams GitHub says they are in, as `@org/team`)."""
    wanted = {ref.lower() for ref in refs}
    return login.lower() in wanted or any(ref.lower() in wanted for ref in member_of)


def is_senior(
    login: str, *, member_of: Collection[str], can_write: bool, approvals: ApprovalsConfig
) -> bool:
    """Whether `login` is a senior reviewer: the one answer for the gate and the commands.

    `member_of`: the senior references (`@org/team`) GitHub says the person satisfies;
    `can_write`: their permission on the repository is write, maintain or admin. With seniors
    configured (`approvals.seniors`), a senior is a listed login or a member of a listed team,
    whatever their permission; with none configured, anyone who can write. Never a bot,
    whatever the config lists.
    """
    if is_bot_login(login):
        return False
    if approvals.seniors:
        return _satisfies(login, approvals.seniors, member_of)
    return can_write


def _is_senior(login: str, facts: PullRequestFacts, config: ApprovalsConfig) -> bool:
    return is_senior(
        login,
        member_of=facts.memberships.get(login.lower(), frozenset()),
        can_write=login.lower() in facts.write_access,
        approvals=config,
    )


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
    senior = _is_senior(review.login, facts, config)
    if review.state is ReviewState.CHANGES_REQUESTED:
        if senior:
            return _Verdict.BLOCKING, f"{who} requested changes"
        return _Verdict.IGNORED, f"{who} requested changes (not a senior reviewer)"
    if review.state is not ReviewState.APPROVED:
        return _Verdict.IGNORED, f"{who}'s review does not state a verdict"
    login = review.login.lower()
    if login == facts.author.lower():
        return _Verdict.IGNORED, f"{who}'s approval does not count: they opened the PR"
    if login in contributors and not config.allow_contributors:
        return _Verdict.IGNORED, f"{who}'s approval does not count: they pushed commits to it"
    if not senior:
        return _Verdict.IGNORED, f"{who}'s approval does not count: {_not_senior(config)}"
    stale = _stale_reason(review, facts, config)
    if stale is not None:
        return _Verdict.IGNORED, f"{who}'s approval no longer counts: {stale}"
    return _Verdict.COUNTED, f"{who} approved"


@dataclass(frozen=True)
class _Gate:
    """One decision's inputs, and what the rules derive from them (each derived once)."""

    analysis: Analysis
    config: ApprovalsConfig
    facts: PullRequestFacts

    @cached_property
    def blind(self) -> str:
        """What the bot cannot see, in a phrase; "" when it sees everything."""
        return "; ".join(self.facts.incomplete)

    @cached_property
    def required(self) -> int:
        """Senior approvals wanted: at least one when the bot cannot see everything."""
        required = self.analysis.approvals.required
        return max(1, required) if self.blind else required

    @cached_property
    def risk(self) -> str:
        risk = f"risk {self.analysis.risk.level}, {self.analysis.risk.score}/100"
        return f"{risk}; cannot see everything: {self.blind}" if self.blind else risk

    @cached_property
    def verdicts(self) -> tuple[tuple[str, _Verdict, str], ...]:
        """(login, verdict, why) for each person's latest review."""
        contributors = {
            c.author.login.lower() for c in self.facts.commits if not c.is_merge and c.author.login
        }
        return tuple(
            (review.login, *_judge(review, self.facts, self.config, contributors))
            for review in latest_reviews(self.facts.reviews).values()
        )

    def people(self, verdict: _Verdict) -> tuple[str, ...]:
        return tuple(login for login, given, _ in self.verdicts if given is verdict)

    @cached_property
    def counted(self) -> tuple[str, ...]:
        """Who approved in a way that counts."""
        return self.people(_Verdict.COUNTED)

    @cached_property
    def reasons(self) -> tuple[str, ...]:
        reasons = tuple(reason for _, _, reason in self.verdicts)
        if self.blind:
            reasons = (
                f"Cannot see everything ({self.blind}): gated as AI-assisted, and only approvals "
                "of the current head count",
                *reasons,
            )
        return reasons

    @cached_property
    def missing_owners(self) -> tuple[OwnerRule, ...]:
        """Touched areas whose owners have not approved among the approvals that counted."""
        return tuple(
            rule
            for rule in self.facts.owner_rules
            if not any(
                _satisfies(login, rule.owners, self.facts.memberships.get(login.lower(), ()))
                for login in self.counted
            )
        )

    @cached_property
    def missing(self) -> int:
        return max(0, self.required - len(self.counted))


def _override(gate: _Gate) -> Decision | None:
    """An admin's override passes whatever else holds, even where the bot cannot see."""
    override = gate.facts.override
    if override is None:
        return None
    title = f"Overridden by @{override.by}: {override.reason}"
    return Decision(Conclusion.SUCCESS, title, GateRule.OVERRIDE, reasons=(f"{title} (recorded)",))


def _not_gated(gate: _Gate) -> Decision | None:
    """Not AI-assisted (and not `gate_all`): nothing to review, unless the bot is blind."""
    if gate.blind or gate.analysis.gated:
        return None
    return Decision(
        Conclusion.SUCCESS, "Not AI-assisted: no senior review required", GateRule.NOT_GATED
    )


def _declared_human(gate: _Gate) -> Decision | None:
    """A senior declared a change detection flagged not AI-assisted."""
    declared = gate.facts.declared_human
    if gate.blind or declared is None or not gate.analysis.ai.assisted:
        return None
    login, reason = declared
    title = f"Declared not AI-assisted by @{login}: {reason}"
    return Decision(
        Conclusion.SUCCESS, title, GateRule.DECLARED_HUMAN, reasons=(f"{title} (recorded)",)
    )


def _nothing_required(gate: _Gate) -> Decision | None:
    """No approval, owner or ticked item wanted at this risk level."""
    if gate.required or gate.facts.owner_rules or gate.facts.unticked_required:
        return None
    return Decision(
        Conclusion.SUCCESS, f"No senior approval required ({gate.risk})", GateRule.NOTHING_REQUIRED
    )


def _blocked(gate: _Gate) -> Decision | None:
    """A senior's change request stands, whatever approved."""
    blocked = gate.people(_Verdict.BLOCKING)
    if not blocked:
        return None
    return Decision(
        Conclusion.ACTION_REQUIRED,
        f"Changes requested by {_who(blocked)} ({gate.risk})",
        GateRule.BLOCKED,
        gate.counted,
        gate.required,
        blocked,
        gate.reasons,
    )


def _approved(gate: _Gate) -> Decision | None:
    """Enough seniors, every touched area's owners, and every required item ticked."""
    if gate.missing or gate.missing_owners or gate.facts.unticked_required:
        return None
    return Decision(
        Conclusion.SUCCESS,
        f"Approved by {_who(gate.counted)} ({gate.risk})",
        GateRule.APPROVED,
        gate.counted,
        reasons=gate.reasons,
    )


def _missing(gate: _Gate) -> Decision:
    """What is still wanted: approvals, owners' approvals, ticked items. Always decides."""
    needs = []
    reasons = gate.reasons
    if gate.missing:
        plural = "s" if gate.missing > 1 else ""
        needs.append(f"{gate.missing} more approval{plural} from {_who(gate.config.seniors)}")
    for rule in gate.missing_owners:
        if rule.none_because:
            needs.append(f"an owner for {rule.area}, which has none the bot can ask")
            reasons += (f"No owner for {rule.area}: {rule.none_because}",)
        else:
            needs.append(f"an approval from {_who(rule.owners)} ({rule.area})")
    unticked = gate.facts.unticked_required
    if unticked:
        needs.append(f"{len(unticked)} required checklist item(s) ticked by a senior")
        reasons += (f"Not yet ticked: {', '.join(unticked)}",)
    return Decision(
        Conclusion.ACTION_REQUIRED,
        f"Needs {' and '.join(needs)} ({gate.risk})",
        GateRule.MISSING,
        gate.counted,
        gate.missing,
        reasons=reasons,
    )


# Asked in this order; the first that decides wins, and `_missing` decides what none did.
RULES: tuple[Callable[[_Gate], Decision | None], ...] = (
    _override,
    _not_gated,
    _declared_human,
    _nothing_required,
    _blocked,
    _approved,
)


def decide(analysis: Analysis, config: ApprovalsConfig, facts: PullRequestFacts) -> Decision:
    """Whether the pull request's current head may merge, and why.

    Where the bot cannot see everything (`facts.incomplete`), it fails closed: the change is
    gated as AI-assisted whatever detection found, needs at least one senior approval of the
    current head, and the title says why; only an admin's override passes otherwise.
    """
    gate = _Gate(analysis, config, facts)
    for rule in RULES:
        decision = rule(gate)
        if decision is not None:
            return decision
    return _missing(gate)
