"""While GitHub is down or busy, a job waits and runs again instead of failing; only a job that
fails through every try leaves a check run saying so, with an error id in the logs."""

from __future__ import annotations

import logging
import re

import pytest

from bot.queue.jobs import JOB_TRIES
from tests.appkit import (  # noqa: F401  (bot_fixture registers the fixture)
    REPO,
    Bot,
    bot_fixture,
    open_pull,
)
from tests.conftest import CLAUDE, Repo
from tests.fakegithub import webhooks
from tests.fakegithub.fixtures import (  # noqa: F401  (registers the fixtures)
    fake_github_fixture,
    github_repo_fixture,
)

PER_REQUEST_TRIES = 5


async def test_graphql_down_past_one_requests_retries_the_job_waits_and_succeeds(
    bot: Bot, repo: Repo, caplog: pytest.LogCaptureFixture
) -> None:
    number, head = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    bot.github.fail("POST", r"^/graphql$", 502, times=PER_REQUEST_TRIES + 2)

    with caplog.at_level(logging.WARNING):
        await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
        await bot.settle()

    run = bot.check(head)
    assert (run.status, run.conclusion) == ("completed", "success")
    assert len(bot.bot_comments(number)) == 1
    assert "the job runs again" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_token_endpoint_down_past_one_requests_retries_the_job_succeeds(
    bot: Bot, repo: Repo
) -> None:
    number, head = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    bot.github.fail("POST", r"/access_tokens$", 503, times=PER_REQUEST_TRIES + 1)

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    assert bot.check(head).conclusion == "success"
    assert len(bot.bot_comments(number)) == 1


async def test_secondary_rate_limits_past_one_requests_retries_are_waited_out(
    bot: Bot, repo: Repo
) -> None:
    number, head = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    bot.github.secondary_rate_limit("POST", r"/check-runs$", times=PER_REQUEST_TRIES, retry_after=0)

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    assert bot.check(head).conclusion == "success"
    assert bot.github.count("POST", f"/repos/{REPO}/check-runs") == PER_REQUEST_TRIES + 1


async def test_a_job_github_fails_through_every_try_fails_closed_once(
    bot: Bot, repo: Repo, caplog: pytest.LogCaptureFixture
) -> None:
    number, head = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    bot.github.fail("POST", r"^/graphql$", 502, times=None)

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    run = bot.check(head)
    assert run.conclusion == "failure"
    assert re.fullmatch(r"ai-review could not finish \(error [0-9a-f]{12}\)", run.title or "")
    # the review's and the config check's first question, each through every try
    assert bot.github.count("POST", "/graphql") == 2 * JOB_TRIES * PER_REQUEST_TRIES
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert sorted(errors) == ["job failed", "review failed"]


async def test_a_bug_is_not_retried(bot: Bot, repo: Repo) -> None:
    number, head = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    bot.github.fail("POST", r"^/graphql$", 422, times=None)

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    assert bot.github.count("POST", "/graphql") == 2  # the review's, the config check's
    assert bot.check(head).conclusion == "failure"
