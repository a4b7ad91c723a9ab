"""The config check's bounds: a time budget for the pull requests it tries, a hostile proposal
(huge, an alias bomb, a backtracking regex) costs the worker nothing, and a re-run from the
Checks UI posts it again."""

from __future__ import annotations

import time

import pytest

from tests.app.test_config_change import CONFIG, LENIENT, config_check, opened, two_open_pulls
from tests.appkit import (  # noqa: F401  (bot_fixture registers the fixture)
    REPO,
    SENIORS,
    Bot,
    bot_fixture,
    configure,
    open_pull,
    plain,
)
from tests.conftest import Repo
from tests.fakegithub import webhooks
from tests.fakegithub.fixtures import (  # noqa: F401  (registers the fixtures)
    fake_github_fixture,
    github_repo_fixture,
)


async def test_pull_requests_past_the_time_budget_are_named_not_waited_for(
    bot: Bot, repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    held, docs = await two_open_pulls(bot, repo)
    monkeypatch.setattr("bot.app.config_change.DRY_RUN_SECONDS", 1.0)
    # the most recently updated one answers its diff slowly
    bot.github.slow("GET", rf"/repos/{REPO}/pulls/{docs}$", 3.0)
    number, head = open_pull(bot.github, repo, {CONFIG: LENIENT}, branch="lenient")

    started = time.monotonic()
    await opened(bot, number)

    assert time.monotonic() - started < 3.0
    run = config_check(bot, head)
    assert run.title == "Valid config; it could not be tried on any open pull request"
    summary = plain(run.summary)
    assert (
        f"| #{docs} Change things | not tried: it took longer than the 1 s the App gives a "
        "dry run |" in summary
    )
    assert (
        f"| #{held} Change things | not tried: the 1 s the App gives a dry run were used up |"
        in summary
    )


HUGE = "approvals:\n  seniors:\n" + "".join(f"    - user{i}\n" for i in range(30_000))
BOMB = (
    "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "detect: {labels: *i}\n"
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HUGE, "bytes; the limit is 262,144 bytes (256 KiB)"),
        (BOMB, "aliases"),
        (
            "risk:\n  patterns:\n    rules:\n      - id: look\n        message: m\n"
            "        pattern: '(?=secret)'\n",
            "no look-around",
        ),
    ],
    ids=["huge", "alias bomb", "look-ahead"],
)
async def test_a_hostile_config_fails_the_check_and_the_worker_goes_on(
    bot: Bot, repo: Repo, text: str, message: str
) -> None:
    configure(repo, SENIORS)
    number, head = open_pull(bot.github, repo, {CONFIG: text}, branch="hostile")

    await opened(bot, number)

    run = config_check(bot, head)
    assert run.conclusion == "failure"
    assert message in plain(run.summary)
    assert bot.check(head).conclusion == "success"  # the gate reviewed with the base's config
    # and the next job runs as ever
    other, other_head = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"}, branch="next")
    await opened(bot, other)
    assert bot.check(other_head).conclusion == "success"


async def test_a_backtracking_pattern_is_tried_in_linear_time(bot: Bot, repo: Repo) -> None:
    configure(repo, SENIORS)
    line = "x" * 5000 + "\n"
    target, _ = open_pull(bot.github, repo, {"app/data.py": f"DATA = '{line}'\n"}, branch="data")
    proposal = (
        SENIORS + "risk:\n  patterns:\n    rules:\n      - id: catastrophic\n"
        "        message: backtracks for ever in a backtracking engine\n"
        "        pattern: '(x+x+)+y'\n"
    )
    number, head = open_pull(bot.github, repo, {CONFIG: proposal}, branch="slow-regex")

    started = time.monotonic()
    await opened(bot, number)

    assert time.monotonic() - started < 30
    run = config_check(bot, head)
    assert run.conclusion == "success"
    assert run.title == "Valid config: no change to the 1 open pull request tried"
    assert f"| #{target} Change things | success |" in plain(run.summary)


async def test_rerunning_the_config_check_posts_it_again(bot: Bot, repo: Repo) -> None:
    held, _ = await two_open_pulls(bot, repo)
    number, head = open_pull(bot.github, repo, {CONFIG: LENIENT}, branch="lenient")
    await opened(bot, number)
    first = config_check(bot, head)
    assert first.title == "Valid config: it changes 1 of the 2 open pull requests tried"
    # meanwhile a senior approved the held pull request: it passes under either config
    bot.github.add_team_member("@acme/architects", "alice")
    review = bot.github.add_review(REPO, held, "alice")
    await bot.send(webhooks.pull_request_review(bot.github, REPO, held, review.id))
    await bot.settle()

    await bot.send(webhooks.check_run(bot.github, REPO, first.id))
    await bot.settle()

    again = config_check(bot, head)
    assert again.id == first.id
    assert (
        f"| #{held} Change things | success | high | 1 from @acme/architects → **0 from "
        "@acme/architects** | +1 -0 |" in plain(again.summary)
    )
