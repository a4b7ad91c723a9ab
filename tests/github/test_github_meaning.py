"""What GitHub's answers mean (bot/github/meaning.py), read from answers as GitHub sends them:
no server, no event loop. Both drivers, the App's and preview's, read answers through these."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.github import meaning
from bot.github.meaning import GraphQLFailed, GraphQLRateLimited, Membership

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC).timestamp()
SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


# -- GraphQL -------------------------------------------------------------------------------------


def test_a_graphql_answer_without_errors_is_its_data() -> None:
    assert meaning.graphql_data({"data": {"viewer": {"login": "alice"}}}) == {
        "viewer": {"login": "alice"}
    }


def test_parts_github_reports_not_found_are_null_and_the_rest_is_kept() -> None:
    body = {
        "data": {"repository": {"config": None, "pullRequest": {"number": 1}}},
        "errors": [{"type": "NOT_FOUND", "path": ["repository", "config"], "message": "gone"}],
    }

    assert meaning.graphql_data(body) == body["data"]


def test_a_used_up_graphql_budget_says_when_it_resets() -> None:
    body = {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for app."}]}

    with pytest.raises(GraphQLRateLimited, match="API rate limit exceeded") as raised:
        meaning.graphql_data(body, reset=1_700_000_000)

    assert raised.value.reset == 1_700_000_000


def test_a_rate_limit_beside_missing_parts_is_still_a_rate_limit() -> None:
    body = {
        "errors": [{"type": "NOT_FOUND", "message": "a"}, {"type": "RATE_LIMITED", "message": "b"}]
    }

    with pytest.raises(GraphQLRateLimited):
        meaning.graphql_data(body)


def test_any_other_graphql_error_fails_with_every_message() -> None:
    body = {
        "data": None,
        "errors": [
            {"type": "NOT_FOUND", "message": "no config"},
            {"type": "FORBIDDEN", "message": "Resource not accessible by integration"},
        ],
    }

    with pytest.raises(GraphQLFailed) as raised:
        meaning.graphql_data(body)

    assert str(raised.value) == "no config; Resource not accessible by integration"


def test_a_graphql_answer_that_is_not_an_object_fails() -> None:
    with pytest.raises(GraphQLFailed, match="not a JSON object"):
        meaning.graphql_data(["not", "an", "object"])


# -- rate limits ---------------------------------------------------------------------------------


def test_headers_are_read_whatever_their_case() -> None:
    assert meaning.header({"Retry-After": "30"}, "retry-after") == "30"
    assert meaning.header({"x-ratelimit-reset": 5}, "x-ratelimit-reset") == "5"
    assert meaning.header(None, "retry-after") is None


def test_the_reset_time_is_read_only_when_it_is_a_number() -> None:
    assert meaning.rate_limit_reset({"X-RateLimit-Reset": "1700000000"}) == 1_700_000_000
    assert meaning.rate_limit_reset({"x-ratelimit-reset": "soon"}) is None
    assert meaning.rate_limit_reset({}) is None


def test_retry_after_is_what_github_asked_for() -> None:
    assert meaning.retry_after({"retry-after": "42"}, NOW) == 42.0


def test_with_no_requests_left_the_wait_is_until_the_reset() -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 90)}

    assert meaning.retry_after(headers, NOW) == 90.0
    assert meaning.retry_after(headers, NOW + 600) == 0.0


def test_requests_left_mean_no_wait_is_known() -> None:
    headers = {"x-ratelimit-remaining": "12", "x-ratelimit-reset": str(int(NOW) + 90)}

    assert meaning.retry_after(headers, NOW) is None


@pytest.mark.parametrize(
    ("status", "message", "headers"),
    [
        (403, SECONDARY, {}),
        (429, "slow down", {"Retry-After": "5"}),
        (403, "You have triggered an abuse detection mechanism.", {}),
    ],
)
def test_a_secondary_rate_limit_is_told_apart(
    status: int, message: str, headers: dict[str, str]
) -> None:
    assert meaning.is_secondary_limit(status, message, headers)


@pytest.mark.parametrize(
    ("status", "message", "headers"),
    [
        (403, "API rate limit exceeded for installation ID 1.", {"x-ratelimit-remaining": "0"}),
        (403, "Resource not accessible by integration", {}),
        (502, SECONDARY, {"retry-after": "5"}),
    ],
)
def test_the_hourly_budget_and_other_refusals_are_not_secondary_limits(
    status: int, message: str, headers: dict[str, str]
) -> None:
    assert not meaning.is_secondary_limit(status, message, headers)


def test_a_reset_is_worded_as_a_time_and_minutes_from_now() -> None:
    assert (
        meaning.reset_wording(int(NOW) + 12 * 60 + 9, NOW) == "resets at 12:12:09 UTC (in 12 min)"
    )
    assert meaning.reset_wording(int(NOW) - 30, NOW) == "resets at 11:59:30 UTC (in 0 min)"
    assert meaning.reset_wording(None, NOW) == "resets within the hour"


def test_githubs_message_reaches_a_terminal_as_one_printable_line() -> None:
    assert meaning.message_line("Not Found\nsee the docs") == "Not Found"
    assert meaning.message_line("bad \x1b[31mred\x07") == "bad [31mred"
    assert meaning.message_line("x" * 500) == "x" * meaning.MAX_MESSAGE_CHARS


# -- answers to the gate's questions -------------------------------------------------------------


def test_only_an_active_membership_is_one() -> None:
    assert meaning.membership({"state": "active", "role": "member"}) is Membership.ACTIVE
    assert meaning.membership({"state": "pending", "role": "member"}) is Membership.PENDING
    assert meaning.membership(None) is Membership.NONE


def test_a_team_is_written_at_org_slash_slug() -> None:
    assert meaning.team_parts("@acme/architects") == ("acme", "architects")
    assert meaning.team_parts("@acme/platform/infra") == ("acme", "platform/infra")


def test_a_permission_answer_and_its_absence() -> None:
    assert meaning.permission({"permission": "maintain", "role_name": "maintain"}) == "maintain"
    assert meaning.permission({"permission": None}) == "none"
    assert meaning.permission(None) == "none"
    assert {"admin", "maintain", "write"} == meaning.WRITE_PERMISSIONS


def test_the_base_branch_of_a_pull_request() -> None:
    pull = {"number": 7, "base": {"ref": "release/2.x", "sha": "b" * 40}, "head": {"ref": "x"}}

    assert meaning.base_ref(pull) == "release/2.x"


def test_the_app_comments_as_its_slug_with_bot() -> None:
    assert (
        meaning.app_login({"id": 1, "slug": "ai-review", "name": "AI Review"}) == "ai-review[bot]"
    )


def test_a_merge_group_holds_its_entry_and_every_entry_ahead_of_it_in_queue_order() -> None:
    def entry(position: int, number: int, group: str | None) -> dict[str, object]:
        commit = {"oid": group} if group else None
        return {
            "position": position,
            "headCommit": commit,
            "pullRequest": {"number": number, "headRefOid": f"head{number}"},
        }

    entries = [entry(3, 30, None), entry(1, 10, "g1"), entry(2, 20, "G2"), {"position": 4}]

    assert meaning.merge_group(entries, "g2") == (
        meaning.QueuedPull(10, "head10", 1),
        meaning.QueuedPull(20, "head20", 2),
    )
    assert meaning.merge_group(entries, "g3") is None


def test_what_a_branch_requires_is_read_from_its_protection_and_its_rulesets() -> None:
    def branch(
        level: str, checks: list[dict[str, object]], contexts: list[str]
    ) -> dict[str, object]:
        required = {"enforcement_level": level, "checks": checks, "contexts": contexts}
        return {"protection": {"required_status_checks": required}}

    ours = [{"context": "ai-review", "app_id": 42}]
    anyone = [{"context": "ai-review", "app_id": None}]
    theirs = [{"context": "ai-review", "app_id": 7}]
    rule = {
        "type": "required_status_checks",
        "parameters": {"required_status_checks": [{"context": "ai-review", "integration_id": 42}]},
    }
    read = meaning.check_requirement

    assert read(branch("non_admins", ours, ["ai-review"]), [], "ai-review", 42).by_protection
    assert read(branch("everyone", anyone, ["ai-review"]), [], "ai-review", 42).by_protection
    assert read(branch("everyone", [], ["ai-review"]), [], "ai-review", 42).by_protection
    assert not read(branch("off", ours, ["ai-review"]), [], "ai-review", 42).required
    assert read(branch("everyone", theirs, ["ai-review"]), [], "ai-review", 42) == (
        meaning.CheckRequirement(other_app=True)
    )
    assert read(branch("off", [], []), [rule], "ai-review", 42).by_ruleset
    assert not read(branch("off", [], []), [rule], "senior-review", 42).required
    assert read(None, [rule], "ai-review", 42) == meaning.CheckRequirement(known=False)
