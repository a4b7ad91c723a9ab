"""The App in a repository that merges through GitHub's merge queue with `ai-review` required:
each merge group gets the App's check on its commit, decided again for every pull request it
holds, so the queue merges a group whose pull requests passed and takes out one that did not."""

from __future__ import annotations

import re

from tests.appkit import (  # noqa: F401  (bot_fixture registers the fixture)
    LOGIN_WITH_SQL,
    REPO,
    SENIORS,
    Bot,
    bot_fixture,
    configure,
    open_pull,
)
from tests.conftest import CLAUDE, Repo
from tests.fakegithub import webhooks
from tests.fakegithub.fixtures import (  # noqa: F401  (registers the fixtures)
    fake_github_fixture,
    github_repo_fixture,
)
from tests.fakegithub.gitdata import branch_tip
from tests.fakegithub.merge_queue import Outcome


async def approved_pull(bot: Bot, repo: Repo, branch: str, files: dict[str, str]) -> int:
    """An AI-assisted pull request a senior approved, its check green, as the queue wants it."""
    number, head = open_pull(bot.github, repo, files, trailers=(CLAUDE,), branch=branch)
    review = bot.github.add_review(REPO, number, "alice")
    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, review.id))
    await bot.settle()
    assert bot.check(head).conclusion == "success"
    return number


async def queue_ready(bot: Bot, repo: Repo) -> tuple[int, int]:
    configure(repo, SENIORS)
    bot.github.add_team_member("@acme/architects", "alice")
    bot.github.add_team_member("@acme/architects", "carol")
    bot.github.use_merge_queue(REPO, "ai-review")
    first = await approved_pull(bot, repo, "feature/login", {"auth/login.py": LOGIN_WITH_SQL})
    second = await approved_pull(bot, repo, "feature/session", {"auth/session.py": LOGIN_WITH_SQL})
    return first, second


async def test_the_queue_merges_a_group_whose_pull_requests_passed_and_holds_one_that_did_not(
    bot: Bot, repo: Repo
) -> None:
    first, second = await queue_ready(bot, repo)
    one, two = bot.github.enqueue(REPO, first), bot.github.enqueue(REPO, second)
    # While queued, a senior asks for changes on the second: the gate no longer passes it.
    changes = bot.github.add_review(REPO, second, "carol", "CHANGES_REQUESTED")
    await bot.send(webhooks.pull_request_review(bot.github, REPO, second, changes.id))
    await bot.settle()
    bot.github.clear_log()

    for entry in (one, two):
        hook = webhooks.merge_group(bot.github, REPO, entry.head_sha)
        assert await bot.send(hook) == 202
    await bot.settle()

    passed, failed = bot.check(one.head_sha), bot.check(two.head_sha)
    assert (passed.conclusion, passed.title) == ("success", f"#{first} passed the gate")
    assert failed.conclusion == "failure"
    assert (failed.title or "").startswith(
        f"#{second} has not passed the gate: Changes requested by @carol"
    )
    assert f"#{first} at" in (failed.summary or "")
    assert bot.github.advance_merge_queue(REPO) == [
        Outcome(first, "merged"),
        Outcome(second, "removed"),
    ]
    assert bot.github.pull(REPO, first).merged
    assert not bot.github.pull(REPO, second).merged
    assert branch_tip(repo.path, "main") == one.head_sha


async def test_each_pull_request_is_decided_by_the_gate_not_by_reading_its_check_run(
    bot: Bot, repo: Repo
) -> None:
    first, second = await queue_ready(bot, repo)
    entry = bot.github.enqueue(REPO, first)
    bot.github.enqueue(REPO, second)
    heads = [bot.github.pull(REPO, n).head_ref for n in (first, second)]
    pull_heads = [branch_tip(repo.path, ref) for ref in heads]
    bot.github.clear_log()

    await bot.send(webhooks.merge_group(bot.github, REPO, entry.head_sha))
    await bot.settle()

    assert bot.check(entry.head_sha).conclusion == "success"
    for head in pull_heads:
        assert bot.github.count(path=re.compile(f"/commits/{head}/check-runs")) == 0
        # and the pull requests' own check runs are left as they were
        assert bot.check(str(head)).conclusion == "success"
    assert bot.github.count("PATCH", re.compile(r"/check-runs/")) == 1  # the group's check


async def test_a_group_the_merge_queue_does_not_list_fails_closed(bot: Bot, repo: Repo) -> None:
    first, _ = await queue_ready(bot, repo)
    entry = bot.github.enqueue(REPO, first)
    hook = webhooks.merge_group(bot.github, REPO, entry.head_sha)
    bot.github.queue_of(REPO).clear()  # it left the queue before the App looked

    await bot.send(hook)
    await bot.settle()

    run = bot.check(entry.head_sha)
    assert (run.conclusion, run.title) == ("failure", "This merge group is not in the merge queue")


async def test_a_destroyed_merge_group_asks_nothing(bot: Bot, repo: Repo) -> None:
    first, _ = await queue_ready(bot, repo)
    entry = bot.github.enqueue(REPO, first)
    bot.github.clear_log()

    hook = webhooks.merge_group(bot.github, REPO, entry.head_sha, "destroyed", reason="dequeued")

    assert await bot.send(hook) == 200
    assert bot.github.count() == 0
