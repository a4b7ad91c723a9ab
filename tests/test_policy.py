"""The approval gate: who counts, what is stale, what blocks, and the title that says so."""

from __future__ import annotations

from typing import Any

from bot.config.model import ApprovalsConfig
from bot.engine.policy import (
    Conclusion,
    OwnerRule,
    PullRequestFacts,
    Review,
    ReviewState,
    decide,
)
from bot.engine.result import (
    AIDetection,
    Analysis,
    ApprovalRequirement,
    Level,
    Risk,
)
from bot.engine.snapshot import Commit, Person

HEAD, OLD = "h" * 40, "o" * 40
APPROVED, CHANGES = ReviewState.APPROVED, ReviewState.CHANGES_REQUESTED


def analysis(required: int = 1, gated: bool = True, level: Level = Level.HIGH) -> Analysis:
    return Analysis(
        base_sha="b" * 40,
        head_sha=HEAD,
        ai=AIDetection(gated, 1.0 if gated else 0.0),
        risk=Risk(64, level, ()),
        checklist=(),
        approvals=ApprovalRequirement(required, ("@acme/architects",)),
        gated=gated,
    )


def commit(sha: str, author: str = "dev", merge: bool = False, **extra: Any) -> Commit:
    parents = ("p" * 40, "q" * 40) if merge else ("p" * 40,)
    return Commit(
        sha,
        extra.pop("message", "Change"),
        Person("Dev", "d@x", author),
        extra.pop("committer", Person("Dev", "d@x", author)),
        parents,
        **extra,
    )


def facts(*reviews: Review, commits: tuple[Commit, ...] = (), **extra: Any) -> PullRequestFacts:
    return PullRequestFacts(
        author="dev",
        head_sha=HEAD,
        base_branch="main",
        commits=commits or (commit(HEAD),),
        reviews=reviews,
        memberships=extra.pop(
            "memberships", {"alice": frozenset({"@acme/architects"}), "bob": frozenset()}
        ),
        **extra,
    )


SENIORS = ApprovalsConfig(seniors=["@acme/architects"])


def test_senior_approval_on_head_passes() -> None:
    decision = decide(analysis(), SENIORS, facts(Review("alice", APPROVED, HEAD)))

    assert decision.conclusion is Conclusion.SUCCESS
    assert decision.title == "Approved by @alice (risk high, 64/100)"


def test_non_senior_approval_does_not_count_and_the_title_says_what_is_missing() -> None:
    decision = decide(analysis(), SENIORS, facts(Review("bob", APPROVED, HEAD)))

    assert decision.conclusion is Conclusion.ACTION_REQUIRED
    assert decision.title == "Needs 1 more approval from @acme/architects (risk high, 64/100)"
    assert decision.reasons == ("@bob's approval does not count: not in @acme/architects",)


def test_latest_review_per_person_wins_and_comments_do_not_replace_it() -> None:
    reviews = (
        Review("alice", CHANGES, HEAD),
        Review("alice", APPROVED, HEAD),
        Review("alice", ReviewState.COMMENTED, HEAD),
    )

    assert decide(analysis(), SENIORS, facts(*reviews)).passed


def test_senior_changes_requested_blocks_even_with_enough_approvals() -> None:
    memberships = {
        "alice": frozenset({"@acme/architects"}),
        "carol": frozenset({"@acme/architects"}),
    }
    reviews = (Review("alice", APPROVED, HEAD), Review("carol", CHANGES, HEAD))

    decision = decide(analysis(), SENIORS, facts(*reviews, memberships=memberships))

    assert decision.conclusion is Conclusion.ACTION_REQUIRED
    assert decision.title == "Changes requested by @carol (risk high, 64/100)"


def test_approval_on_an_older_head_is_dismissed_by_a_push_and_says_why() -> None:
    commits = (commit(OLD), commit(HEAD))

    decision = decide(analysis(), SENIORS, facts(Review("alice", APPROVED, OLD), commits=commits))

    assert not decision.passed
    assert decision.reasons == (
        "@alice's approval no longer counts: 1 new commit(s) pushed since, starting with hhhhhhh",
    )


def test_update_branch_merge_made_by_github_keeps_the_approval() -> None:
    update = commit(
        HEAD,
        merge=True,
        message="Merge branch 'main' into feature",
        made_by_github=True,
        committer=Person("GitHub", "noreply@github.com"),
    )

    decision = decide(
        analysis(), SENIORS, facts(Review("alice", APPROVED, OLD), commits=(commit(OLD), update))
    )

    assert decision.passed


def test_forged_update_merge_without_githubs_signature_dismisses_the_approval() -> None:
    forged = commit(
        HEAD,
        merge=True,
        message="Merge branch 'main' into feature",
        committer=Person("GitHub", "noreply@github.com"),
    )

    decision = decide(
        analysis(), SENIORS, facts(Review("alice", APPROVED, OLD), commits=(commit(OLD), forged))
    )

    assert not decision.passed


def test_commits_by_ignored_accounts_keep_the_approval() -> None:
    config = ApprovalsConfig(seniors=["@acme/architects"], ignored_authors=["renovate[bot]"])
    commits = (commit(OLD), commit(HEAD, author="renovate[bot]"))

    assert decide(analysis(), config, facts(Review("alice", APPROVED, OLD), commits=commits)).passed


def test_keeping_approvals_across_pushes_is_a_config_choice() -> None:
    config = ApprovalsConfig(seniors=["@acme/architects"], dismiss_on_push=False)
    commits = (commit(OLD), commit(HEAD))

    assert decide(analysis(), config, facts(Review("alice", APPROVED, OLD), commits=commits)).passed


def test_author_and_contributors_cannot_approve() -> None:
    memberships = {login: frozenset({"@acme/architects"}) for login in ("dev", "eve")}
    commits = (commit("c" * 40, author="eve"), commit(HEAD))
    reviews = (Review("dev", APPROVED, HEAD), Review("eve", APPROVED, HEAD))

    decision = decide(
        analysis(), SENIORS, facts(*reviews, commits=commits, memberships=memberships)
    )

    assert not decision.passed
    assert decision.reasons == (
        "@dev's approval does not count: they opened the PR",
        "@eve's approval does not count: they pushed commits to it",
    )


def test_critical_path_owners_must_approve_too() -> None:
    owners = (OwnerRule("payments", ("@acme/payments",)),)
    memberships = {"alice": frozenset({"@acme/architects"}), "pat": frozenset({"@acme/payments"})}

    only_alice = decide(
        analysis(),
        SENIORS,
        facts(Review("alice", APPROVED, HEAD), owner_rules=owners, memberships=memberships),
    )
    both = decide(
        analysis(),
        ApprovalsConfig(seniors=["@acme/architects", "@acme/payments"]),
        facts(
            Review("alice", APPROVED, HEAD),
            Review("pat", APPROVED, HEAD),
            owner_rules=owners,
            memberships=memberships,
        ),
    )

    assert only_alice.title == (
        "Needs an approval from @acme/payments (payments) (risk high, 64/100)"
    )
    assert both.passed


def test_two_required_at_critical_counts_both() -> None:
    decision = decide(analysis(required=2), SENIORS, facts(Review("alice", APPROVED, HEAD)))

    assert decision.title == "Needs 1 more approval from @acme/architects (risk high, 64/100)"
    assert decision.missing == 1


def test_not_ai_assisted_and_zero_required_pass() -> None:
    assert decide(analysis(gated=False), SENIORS, facts()).title == (
        "Not AI-assisted: no senior review required"
    )
    assert decide(analysis(required=0), SENIORS, facts()).passed
