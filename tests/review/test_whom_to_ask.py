"""Whom a gated pull request asks for a review: the seniors while senior approvals are missing,
the owners of touched critical paths whose approval is missing, once per head; never the author,
a bot, or someone who already reviewed the head."""

from __future__ import annotations

from bot.config.approvals import ApprovalsConfig
from bot.engine.policy import Conclusion, Decision, GateRule, OwnerRule, PullRequestFacts
from bot.engine.pull_state import PullState
from bot.engine.reviews import Review, ReviewState
from bot.render.posting import ReviewRequests
from bot.review.requests import MAX_REQUESTED, requested, review_requests

HEAD, OLD = "2" * 40, "1" * 40
CONFIG = ApprovalsConfig.model_validate({"seniors": ["@acme/architects", "alice", "dev"]})
BILLING = OwnerRule("billing", ("@acme/payments", "paula", "deployer[bot]"))


def missing(count: int = 1, counted: tuple[str, ...] = ()) -> Decision:
    return Decision(Conclusion.ACTION_REQUIRED, "Needs", GateRule.MISSING, counted, count)


def facts(*reviews: Review, owners: tuple[OwnerRule, ...] = ()) -> PullRequestFacts:
    return PullRequestFacts(
        author="dev",
        head_sha=HEAD,
        base_branch="main",
        commits=(),
        reviews=reviews,
        owner_rules=owners,
        memberships={"carol": frozenset({"@acme/payments"})},
    )


def test_a_pull_request_missing_approvals_asks_seniors_and_owners_but_not_its_author() -> None:
    asked = review_requests(CONFIG, missing(), facts(owners=(BILLING,)), PullState(), "acme")

    assert asked == ReviewRequests(
        users=("paula", "alice"), teams=("@acme/payments", "@acme/architects")
    )


def test_asked_once_per_head() -> None:
    done = requested(PullState(), HEAD)

    assert not review_requests(CONFIG, missing(), facts(), done, "acme")
    assert review_requests(CONFIG, missing(), facts(), requested(PullState(), OLD), "acme")


def test_who_reviewed_the_head_is_not_asked_again_but_a_stale_reviewer_is() -> None:
    reviews = (
        Review("alice", ReviewState.COMMENTED, HEAD),
        Review("paula", ReviewState.APPROVED, OLD),
    )

    asked = review_requests(
        CONFIG, missing(), facts(*reviews, owners=(BILLING,)), PullState(), "acme"
    )

    assert asked.users == ("paula",)


def test_an_area_whose_owner_approved_asks_nobody_for_it() -> None:
    decision = missing(count=1, counted=("carol",))  # carol is in @acme/payments

    asked = review_requests(CONFIG, decision, facts(owners=(BILLING,)), PullState(), "acme")

    assert asked == ReviewRequests(users=("alice",), teams=("@acme/architects",))


def test_only_owners_are_asked_when_the_senior_approvals_are_there() -> None:
    asked = review_requests(CONFIG, missing(count=0), facts(owners=(BILLING,)), PullState(), "acme")

    assert asked == ReviewRequests(users=("paula",), teams=("@acme/payments",))


def test_nobody_is_asked_when_the_gate_is_not_waiting_for_approvals_or_requests_are_off() -> None:
    blocked = Decision(Conclusion.ACTION_REQUIRED, "Changes requested", GateRule.BLOCKED)
    passed = Decision(Conclusion.SUCCESS, "Approved", GateRule.APPROVED)
    off = CONFIG.model_copy(update={"request_reviews": False})

    assert not review_requests(CONFIG, blocked, facts(), PullState(), "acme")
    assert not review_requests(CONFIG, passed, facts(), PullState(), "acme")
    assert not review_requests(off, missing(), facts(), PullState(), "acme")


def test_teams_of_another_organization_cannot_be_asked_by_slug() -> None:
    config = ApprovalsConfig.model_validate({"seniors": ["@other/architects"]})

    assert not review_requests(config, missing(), facts(), PullState(), "acme")


def test_no_more_than_github_takes_are_asked() -> None:
    config = ApprovalsConfig.model_validate({"seniors": [f"senior{n}" for n in range(40)]})

    asked = review_requests(config, missing(), facts(), PullState(), "acme")

    assert len(asked.users) == MAX_REQUESTED
