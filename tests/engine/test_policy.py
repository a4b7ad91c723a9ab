"""The approval gate: who counts, what is stale, what blocks, and the title that says so."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config.approvals import ApprovalsConfig
from bot.config.levels import Level
from bot.engine.policy import (
    Conclusion,
    GateRule,
    Override,
    OwnerRule,
    PullRequestFacts,
    decide,
    is_senior,
)
from bot.engine.result import AIDetection, Analysis, ApprovalRequirement, Risk
from bot.engine.reviews import Review, ReviewState, deciding_people
from bot.engine.snapshot import Commit, Person

HEAD, OLD = "h" * 40, "o" * 40
APPROVED, CHANGES = ReviewState.APPROVED, ReviewState.CHANGES_REQUESTED
DISMISSED = ReviewState.DISMISSED
BLIND = "more than 250 commits (GitHub lists 250)"


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
    parents = extra.pop("parents", ("p" * 40, "q" * 40) if merge else ("p" * 40,))
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


def test_an_area_file_with_no_owner_holds_the_gate_whoever_approves_and_says_why() -> None:
    why = "CODEOWNERS line 4 (`/payments/legacy/`) gives it no owner"
    owners = (OwnerRule("payments: payments/legacy/old.py", (), ("payments/legacy/old.py",), why),)
    memberships = {"alice": frozenset({"@acme/architects"})}

    decision = decide(
        analysis(),
        SENIORS,
        facts(Review("alice", APPROVED, HEAD), owner_rules=owners, memberships=memberships),
    )

    assert decision.conclusion is Conclusion.ACTION_REQUIRED
    assert decision.title == (
        "Needs an owner for payments: payments/legacy/old.py, which has none the bot can ask "
        "(risk high, 64/100)"
    )
    assert f"No owner for payments: payments/legacy/old.py: {why}" in decision.reasons


def test_two_required_at_critical_counts_both() -> None:
    decision = decide(analysis(required=2), SENIORS, facts(Review("alice", APPROVED, HEAD)))

    assert decision.title == "Needs 1 more approval from @acme/architects (risk high, 64/100)"
    assert decision.missing == 1


def test_not_ai_assisted_and_zero_required_pass() -> None:
    assert decide(analysis(gated=False), SENIORS, facts()).title == (
        "Not AI-assisted: no senior review required"
    )
    assert decide(analysis(required=0), SENIORS, facts()).passed


# -- commits pushed after an approval ----------------------------------------------------------


def update_merge(sha: str = HEAD, signed_by: str | None = "web-flow") -> Commit:
    return commit(
        sha,
        merge=True,
        message="Merge branch 'main' into feature",
        signed_by=signed_by,
        committer=Person("GitHub", "noreply@github.com"),
    )


def test_update_merge_proven_clean_keeps_the_approval() -> None:
    decision = decide(
        analysis(),
        SENIORS,
        facts(
            Review("alice", APPROVED, OLD),
            commits=(commit(OLD), update_merge()),
            clean_merges=frozenset({HEAD}),
        ),
    )

    assert decision.passed
    assert decision.reasons == ("@alice approved",)


def test_update_merge_signed_by_github_but_not_proven_clean_dismisses_the_approval() -> None:
    # Vector: a web-flow signed "Merge branch 'main'" carrying an edited conflict resolution.
    decision = decide(
        analysis(),
        SENIORS,
        facts(Review("alice", APPROVED, OLD), commits=(commit(OLD), update_merge())),
    )

    assert not decision.passed
    assert decision.reasons == (
        "@alice's approval no longer counts: 1 new commit(s) pushed since, starting with hhhhhhh",
    )


def test_forged_update_merge_without_githubs_signature_dismisses_the_approval() -> None:
    forged = update_merge(signed_by=None)

    decision = decide(
        analysis(), SENIORS, facts(Review("alice", APPROVED, OLD), commits=(commit(OLD), forged))
    )

    assert not decision.passed


RENOVATE = ApprovalsConfig(seniors=["@acme/architects"], ignored_authors=["renovate[bot]"])


def test_commits_signed_by_an_ignored_account_keep_the_approval() -> None:
    commits = (commit(OLD), commit(HEAD, author="renovate[bot]", signed_by="renovate[bot]"))

    decision = decide(analysis(), RENOVATE, facts(Review("alice", APPROVED, OLD), commits=commits))

    assert decision.passed


def test_an_ignored_accounts_email_on_an_unsigned_commit_dismisses_the_approval() -> None:
    # Vector: anyone who pushes can write renovate's e-mail (and so its login) into a commit.
    commits = (commit(OLD), commit(HEAD, author="renovate[bot]"))

    decision = decide(analysis(), RENOVATE, facts(Review("alice", APPROVED, OLD), commits=commits))

    assert not decision.passed


def test_web_flow_never_counts_as_an_ignored_signer() -> None:
    # GitHub signs every web-UI edit as web-flow: ignoring it would ignore any edit.
    config = ApprovalsConfig(seniors=["@acme/architects"], ignored_authors=["web-flow"])
    commits = (commit(OLD), commit(HEAD, signed_by="web-flow"))

    assert not decide(
        analysis(), config, facts(Review("alice", APPROVED, OLD), commits=commits)
    ).passed


def test_a_commit_listed_before_the_approved_one_but_pushed_after_it_dismisses_it() -> None:
    # Commit dates are the pusher's to write, and GitHub lists a pull request's commits by date.
    commits = (commit(HEAD, parents=(OLD,)), commit(OLD))

    decision = decide(analysis(), SENIORS, facts(Review("alice", APPROVED, OLD), commits=commits))

    assert not decision.passed
    assert decision.reasons == (
        "@alice's approval no longer counts: 1 new commit(s) pushed since, starting with hhhhhhh",
    )


def test_past_githubs_commit_list_approvals_of_older_heads_no_longer_count() -> None:
    # Vector: a 251st commit GitHub does not list would keep the approval of the 250th.
    decision = decide(
        analysis(),
        SENIORS,
        facts(Review("alice", APPROVED, OLD), commits=(commit(OLD),), commits_total=251),
    )

    assert not decision.passed
    assert decision.reasons == (
        "@alice's approval no longer counts: the pull request has 251 commits and GitHub lists "
        "1, so what was pushed since cannot be seen",
    )


def test_past_githubs_commit_list_an_approval_of_the_head_still_counts() -> None:
    decision = decide(
        analysis(), SENIORS, facts(Review("alice", APPROVED, HEAD), commits_total=251)
    )

    assert decision.passed


# -- bots ---------------------------------------------------------------------------------------


def test_a_bots_approval_never_counts_even_when_the_config_lists_it() -> None:
    # GraphQL names an App's account without "[bot]"; its type says Bot.
    config = ApprovalsConfig(seniors=["deploy", "@acme/architects"])
    memberships = {"github-actions[bot]": frozenset({"@acme/architects"})}
    reviews = (
        Review("github-actions[bot]", APPROVED, HEAD),
        Review("deploy", APPROVED, HEAD, is_bot=True),
    )

    decision = decide(analysis(), config, facts(*reviews, memberships=memberships))

    assert not decision.passed
    assert decision.reasons == (
        "@github-actions[bot] is a bot: bots never approve or block",
        "@deploy is a bot: bots never approve or block",
    )


def test_a_person_whose_login_mentions_bot_is_no_bot() -> None:
    config = ApprovalsConfig(seniors=["robotics"])

    assert decide(analysis(), config, facts(Review("robotics", APPROVED, HEAD))).passed


def test_a_bots_change_request_never_blocks() -> None:
    memberships = {"alice": frozenset({"@acme/architects"}), "ci": frozenset({"@acme/architects"})}
    reviews = (Review("alice", APPROVED, HEAD), Review("ci", CHANGES, HEAD, is_bot=True))

    assert decide(analysis(), SENIORS, facts(*reviews, memberships=memberships)).passed


# -- no seniors configured: write access --------------------------------------------------------


NO_SENIORS = ApprovalsConfig()


def test_with_no_seniors_an_approval_without_write_access_does_not_count() -> None:
    # Vector: anyone on GitHub can approve a public repository's pull request.
    decision = decide(analysis(), NO_SENIORS, facts(Review("stranger", APPROVED, HEAD)))

    assert not decision.passed
    assert decision.title == (
        "Needs 1 more approval from a reviewer with write access (risk high, 64/100)"
    )
    assert decision.reasons == ("@stranger's approval does not count: no write access",)


def test_with_no_seniors_an_approval_with_write_access_counts() -> None:
    decision = decide(
        analysis(),
        NO_SENIORS,
        facts(Review("carol", APPROVED, HEAD), write_access=frozenset({"carol"})),
    )

    assert decision.passed
    assert decision.title == "Approved by @carol (risk high, 64/100)"


def test_with_no_seniors_neither_a_bot_nor_the_author_counts_despite_write_access() -> None:
    reviews = (Review("github-actions", APPROVED, HEAD, is_bot=True), Review("dev", APPROVED, HEAD))

    decision = decide(
        analysis(),
        NO_SENIORS,
        facts(*reviews, write_access=frozenset({"github-actions", "github-actions[bot]", "dev"})),
    )

    assert not decision.passed


def test_with_no_seniors_only_a_change_request_with_write_access_blocks() -> None:
    reviews = (
        Review("carol", APPROVED, HEAD),
        Review("stranger", CHANGES, HEAD),
        Review("erin", CHANGES, HEAD),
    )

    outsider_only = decide(
        analysis(), NO_SENIORS, facts(*reviews[:2], write_access=frozenset({"carol"}))
    )
    writer = decide(
        analysis(), NO_SENIORS, facts(*reviews, write_access=frozenset({"carol", "erin"}))
    )

    assert outsider_only.passed
    assert writer.title == "Changes requested by @erin (risk high, 64/100)"


# -- dismissed change requests ------------------------------------------------------------------


ARCHITECTS = {
    "alice": frozenset({"@acme/architects"}),
    "carol": frozenset({"@acme/architects"}),
    "dev": frozenset({"@acme/architects"}),
}


def dismissed(login: str, by: str | None, previous: ReviewState | None = CHANGES) -> Review:
    return Review(login, DISMISSED, OLD, dismissed_by=by, previous_state=previous)


def test_a_seniors_change_request_dismissed_by_the_author_still_blocks() -> None:
    # Vector: the author (a senior herself, with write access) dismisses the change request.
    reviews = (dismissed("carol", by="dev"), Review("alice", APPROVED, HEAD))

    decision = decide(analysis(), SENIORS, facts(*reviews, memberships=ARCHITECTS))

    assert decision.conclusion is Conclusion.ACTION_REQUIRED
    assert decision.title == "Changes requested by @carol (risk high, 64/100)"
    assert decision.reasons[0] == (
        "@carol requested changes, dismissed by @dev, who opened the PR: still blocks"
    )


def test_a_seniors_change_request_dismissed_by_a_non_senior_still_blocks() -> None:
    reviews = (dismissed("carol", by="bob"), Review("alice", APPROVED, HEAD))

    decision = decide(analysis(), SENIORS, facts(*reviews, memberships=ARCHITECTS))

    assert not decision.passed
    assert decision.reasons[0] == (
        "@carol requested changes, dismissed by @bob, who is not a senior: still blocks"
    )


def test_a_dismissal_the_bot_cannot_attribute_still_blocks() -> None:
    reviews = (dismissed("carol", by=None), Review("alice", APPROVED, HEAD))

    decision = decide(analysis(), SENIORS, facts(*reviews, memberships=ARCHITECTS))

    assert not decision.passed


def test_a_seniors_change_request_dismissed_by_another_senior_no_longer_blocks() -> None:
    reviews = (dismissed("carol", by="alice"), Review("alice", APPROVED, HEAD))

    decision = decide(analysis(), SENIORS, facts(*reviews, memberships=ARCHITECTS))

    assert decision.passed
    assert decision.reasons == ("@carol's review was dismissed by @alice", "@alice approved")


def test_a_later_approval_replaces_a_dismissed_change_request() -> None:
    reviews = (
        dismissed("carol", by="dev"),
        Review("carol", ReviewState.COMMENTED, HEAD),
        Review("carol", APPROVED, HEAD),
    )

    assert decide(analysis(), SENIORS, facts(*reviews, memberships=ARCHITECTS)).passed


def test_a_dismissed_approval_or_a_non_seniors_change_request_does_not_block() -> None:
    reviews = (
        dismissed("carol", by="dev", previous=APPROVED),
        dismissed("bob", by="dev"),
        Review("alice", APPROVED, HEAD),
    )

    decision = decide(analysis(), SENIORS, facts(*reviews, memberships=ARCHITECTS))

    assert decision.passed
    assert decision.reasons[:2] == (
        "@carol's approval was dismissed",
        "@bob's review was dismissed (not a senior reviewer)",
    )


def test_deciding_people_are_approvers_change_requesters_and_dismissers() -> None:
    reviews = (
        Review("alice", APPROVED, HEAD),
        Review("bob", ReviewState.COMMENTED, HEAD),
        Review("carol", CHANGES, HEAD),
        dismissed("erin", by="Dev"),
        dismissed("frank", by="release[bot]"),
        Review("ci", APPROVED, HEAD, is_bot=True),
        Review("renovate[bot]", CHANGES, HEAD),
    )

    assert deciding_people(reviews) == {"alice", "carol", "erin", "Dev", "frank"}


# -- what the bot cannot see --------------------------------------------------------------------


def test_when_the_bot_cannot_see_everything_an_undetected_change_is_gated() -> None:
    # Vector: an AI commit after GitHub's 250th is never seen by detection.
    decision = decide(analysis(gated=False, required=0), SENIORS, facts(incomplete=(BLIND,)))

    assert decision.conclusion is Conclusion.ACTION_REQUIRED
    assert decision.title == (
        "Needs 1 more approval from @acme/architects "
        f"(risk high, 64/100; cannot see everything: {BLIND})"
    )


def test_when_the_bot_cannot_see_everything_a_declaration_does_not_pass() -> None:
    decision = decide(
        analysis(), SENIORS, facts(declared_human=("alice", "docs only"), incomplete=(BLIND,))
    )

    assert not decision.passed


def test_when_the_bot_cannot_see_everything_only_approvals_of_the_head_count() -> None:
    update = facts(
        Review("alice", APPROVED, OLD),
        commits=(commit(OLD), update_merge()),
        clean_merges=frozenset({HEAD}),
        incomplete=(BLIND,),
    )
    on_head = facts(Review("alice", APPROVED, HEAD), incomplete=(BLIND,))

    stale, approved = decide(analysis(), SENIORS, update), decide(analysis(), SENIORS, on_head)

    assert not stale.passed
    assert approved.passed
    assert approved.title == (
        f"Approved by @alice (risk high, 64/100; cannot see everything: {BLIND})"
    )
    assert approved.reasons[0] == (
        f"Cannot see everything ({BLIND}): gated as AI-assisted, and only approvals of the "
        "current head count"
    )


def test_when_the_bot_cannot_see_everything_an_admin_override_still_passes() -> None:
    override = Override("root", "release hotfix", HEAD)

    assert decide(analysis(), SENIORS, facts(override=override, incomplete=(BLIND,))).passed


# -- which rule decided --------------------------------------------------------------------------

CAROL_BLOCKS = Review("carol", CHANGES, HEAD)
BOTH_SENIORS = {"alice": frozenset({"@acme/architects"}), "carol": frozenset({"@acme/architects"})}


@pytest.mark.parametrize(
    ("gated", "required", "extra", "rule", "title"),
    [
        (
            True,
            1,
            {"override": Override("root", "hotfix", HEAD), "reviews": (CAROL_BLOCKS,)},
            GateRule.OVERRIDE,
            "Overridden by @root: hotfix",
        ),
        (False, 1, {}, GateRule.NOT_GATED, "Not AI-assisted: no senior review required"),
        (
            True,
            1,
            {"declared_human": ("alice", "docs only")},
            GateRule.DECLARED_HUMAN,
            "Declared not AI-assisted by @alice: docs only",
        ),
        (True, 0, {}, GateRule.NOTHING_REQUIRED, "No senior approval required (risk high, 64/100)"),
        (
            True,
            1,
            {"reviews": (Review("alice", APPROVED, HEAD), CAROL_BLOCKS)},
            GateRule.BLOCKED,
            "Changes requested by @carol (risk high, 64/100)",
        ),
        (
            True,
            1,
            {"reviews": (Review("alice", APPROVED, HEAD),)},
            GateRule.APPROVED,
            "Approved by @alice (risk high, 64/100)",
        ),
        (
            True,
            1,
            {"reviews": (Review("bob", APPROVED, HEAD),)},
            GateRule.MISSING,
            "Needs 1 more approval from @acme/architects (risk high, 64/100)",
        ),
        (
            False,
            0,
            {"declared_human": ("alice", "docs only"), "incomplete": (BLIND,)},
            GateRule.MISSING,
            "Needs 1 more approval from @acme/architects "
            f"(risk high, 64/100; cannot see everything: {BLIND})",
        ),
    ],
    ids=[
        "override",
        "not-gated",
        "declared-human",
        "nothing-required",
        "blocked",
        "approved",
        "missing",
        "blind-missing",
    ],
)
def test_the_decision_names_the_rule_that_decided(
    gated: bool, required: int, extra: dict[str, Any], rule: GateRule, title: str
) -> None:
    reviews = extra.pop("reviews", ())

    decision = decide(
        analysis(required=required, gated=gated),
        SENIORS,
        facts(*reviews, memberships=BOTH_SENIORS, **extra),
    )

    assert (decision.rule, decision.title) == (rule, title)


# -- who is a senior ----------------------------------------------------------------------------

TEAM = ApprovalsConfig(seniors=["@acme/architects", "dana"])


def test_a_listed_login_or_a_member_of_a_listed_team_is_a_senior_without_write_access() -> None:
    assert is_senior("dana", member_of=frozenset(), can_write=False, approvals=TEAM)
    assert is_senior("Alice", member_of={"@ACME/architects"}, can_write=False, approvals=TEAM)


def test_with_seniors_listed_write_access_alone_does_not_make_a_senior() -> None:
    assert not is_senior("erin", member_of=frozenset(), can_write=True, approvals=TEAM)


def test_with_no_seniors_listed_write_access_makes_a_senior() -> None:
    assert is_senior("erin", member_of=frozenset(), can_write=True, approvals=NO_SENIORS)
    assert not is_senior("erin", member_of=frozenset(), can_write=False, approvals=NO_SENIORS)


def test_a_bot_is_never_a_senior() -> None:
    assert not is_senior(
        "renovate[bot]", member_of=frozenset(), can_write=True, approvals=NO_SENIORS
    )
    assert not is_senior("ci[bot]", member_of={"@acme/architects"}, can_write=True, approvals=TEAM)
