"""The check run tells an admin when `ai-review` is not a required check on the base branch (so
the gate blocks nothing), read with the permissions the App has: no administration."""

from __future__ import annotations

import pytest

from tests.appkit import (  # noqa: F401  (bot_fixture registers the fixture)
    LOGIN_WITH_SQL,
    REPO,
    Bot,
    bot_fixture,
    open_pull,
    plain,
)
from tests.conftest import CLAUDE, Repo
from tests.fakegithub import webhooks
from tests.fakegithub.fixtures import (  # noqa: F401  (registers the fixtures)
    fake_github_fixture,
    github_repo_fixture,
)

NOT_REQUIRED = "**Setup:** `ai-review` is not a required check on `main`"


def not_required(bot: Bot) -> None:
    """The repository as installed, before an admin made the check required."""
    bot.github.repo(REPO).protections.clear()


async def summary_of_a_review(bot: Bot, repo: Repo) -> str:
    number, head = open_pull(
        bot.github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,)
    )
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()
    return plain(bot.check(head).summary)


async def test_a_check_no_rule_requires_says_so_at_the_top_of_its_summary(
    bot: Bot, repo: Repo
) -> None:
    not_required(bot)
    summary = await summary_of_a_review(bot, repo)

    assert summary.startswith(f"> {NOT_REQUIRED}")
    assert bot.github.count("GET", f"/repos/{REPO}/branches/main/protection") == 0


@pytest.mark.parametrize("ruleset", [False, True], ids=["branch protection", "ruleset"])
async def test_a_required_check_needs_no_word(bot: Bot, repo: Repo, ruleset: bool) -> None:
    not_required(bot)
    bot.github.require_check(REPO, "ai-review", ruleset=ruleset)

    summary = await summary_of_a_review(bot, repo)

    assert "**Setup:**" not in summary


async def test_a_check_required_from_another_app_is_named(bot: Bot, repo: Repo) -> None:
    not_required(bot)
    bot.github.require_check(REPO, "ai-review", app_id=bot.github.app_id + 1)

    summary = await summary_of_a_review(bot, repo)

    assert "requires a check named `ai-review` from another App" in summary


async def test_the_branchs_requirement_is_asked_once_for_many_reviews(bot: Bot, repo: Repo) -> None:
    not_required(bot)
    assert (await summary_of_a_review(bot, repo)).startswith("> **Setup:**")
    number, _ = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"}, branch="feature/other")
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    assert bot.github.count("GET", f"/repos/{REPO}/branches/main") == 1


async def test_a_github_that_cannot_say_gets_no_warning_and_the_review_goes_on(
    bot: Bot, repo: Repo
) -> None:
    not_required(bot)
    bot.github.fail("GET", r"/rules/branches/", 404, times=None)  # no rulesets on this server

    summary = await summary_of_a_review(bot, repo)

    assert "**Setup:**" not in summary
    assert summary.startswith("**Needs")
