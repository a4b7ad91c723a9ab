"""A gated pull request asks the right people: the senior team, and the owners of the critical
paths it touches, once per head, never its author; what GitHub refuses is said, not hidden."""

from __future__ import annotations

from tests.appkit import (  # noqa: F401  (bot_fixture registers the fixture)
    LOGIN_WITH_SQL,
    REPO,
    Bot,
    bot_fixture,
    configure,
    open_pull,
    plain,
)
from tests.conftest import CLAUDE, Repo
from tests.fakegithub import webhooks
from tests.fakegithub.fixtures import (  # noqa: F401  (registers the fixtures)
    fake_github_fixture,
    github_repo_fixture,
)

OWNED = (
    "approvals:\n"
    "  seniors: ['@acme/architects', dana]\n"
    "risk:\n"
    "  critical_paths:\n"
    "    - name: billing\n"
    "      paths: ['billing/**']\n"
    "      owners: ['@acme/payments', paula]\n"
)
REQUESTS = f"/repos/{REPO}/pulls/1/requested_reviewers"


def people(bot: Bot) -> None:
    bot.github.add_team_member("@acme/architects", "alice")
    bot.github.add_team_member("@acme/payments", "pat")
    for login in ("alice", "pat", "paula", "dana"):
        bot.github.set_permission(REPO, login, "write")


async def open_gated(bot: Bot, repo: Repo) -> tuple[int, str]:
    number, head = open_pull(
        bot.github, repo, {"billing/charge.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,)
    )
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()
    return number, head


async def test_a_gated_pull_request_asks_the_senior_team_and_the_owners_but_not_its_author(
    bot: Bot, repo: Repo
) -> None:
    configure(repo, OWNED)
    people(bot)

    number, head = await open_gated(bot, repo)

    pull = bot.github.pull(REPO, number)
    assert pull.requested_teams == ["payments", "architects"]
    assert pull.requested_reviewers == ["paula"]  # dana, a senior, opened it
    assert "Review requested from @acme/payments, @acme/architects, @paula." in plain(
        bot.check(head).summary
    )


async def test_reviews_are_requested_once_per_head(bot: Bot, repo: Repo) -> None:
    configure(repo, OWNED)
    people(bot)
    number, first = await open_gated(bot, repo)
    comment = bot.github.add_review(REPO, number, "bob", "COMMENTED")
    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, comment.id))
    await bot.settle()
    assert bot.github.count("POST", REQUESTS) == 1

    repo.checkout("feature/change")
    repo.commit("More", {"billing/refund.py": "Z = 3\n"}, trailers=(CLAUDE,))
    repo.checkout("main")
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "synchronize", before=first))
    await bot.settle()

    assert bot.github.count("POST", REQUESTS) == 2


async def test_someone_who_reviewed_the_head_or_whose_area_is_approved_is_not_asked(
    bot: Bot, repo: Repo
) -> None:
    two = "  required: {low: 2, medium: 2, high: 2, critical: 2}\n"
    configure(repo, OWNED.replace("approvals:\n", "approvals:\n" + two))
    people(bot)
    bot.github.add_team_member("@acme/architects", "pat")  # a senior, and a payments owner
    number, head = open_pull(
        bot.github, repo, {"billing/charge.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,)
    )
    bot.github.add_review(REPO, number, "pat")  # counts, for billing too; one more is needed
    bot.github.add_review(REPO, number, "paula", "COMMENTED")

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    pull = bot.github.pull(REPO, number)
    assert (pull.requested_teams, pull.requested_reviewers) == (["architects"], [])
    assert bot.check(head).conclusion == "action_required"


async def test_a_reviewer_github_refuses_is_named_and_the_others_are_still_asked(
    bot: Bot, repo: Repo
) -> None:
    configure(repo, OWNED)
    people(bot)
    bot.github.repo(REPO).permissions.pop("paula")  # no longer a collaborator

    number, head = await open_gated(bot, repo)

    pull = bot.github.pull(REPO, number)
    assert (pull.requested_teams, pull.requested_reviewers) == (["payments", "architects"], [])
    run = bot.check(head)
    assert "Review requested from @acme/payments, @acme/architects, @paula." in plain(run.summary)
    details = plain(run.text)  # what only the App knows, below the summary
    assert "GitHub refused the review request for @paula: " in details
    assert "not a collaborator" in details
    assert run.conclusion == "action_required"


async def test_requests_can_be_turned_off(bot: Bot, repo: Repo) -> None:
    configure(repo, OWNED.replace("approvals:\n", "approvals:\n  request_reviews: false\n"))
    people(bot)

    await open_gated(bot, repo)

    assert bot.github.count("POST", REQUESTS) == 0
