"""Faults that used to wedge the App, injected for real: the pull request still reaches its
final, correct check run, and the App keeps working for the next one."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import sqlite3
from pathlib import Path

import pytest
from pytest_aiohttp import AiohttpClient

from bot.app.web import create_app
from tests.appkit import (  # noqa: F401  (bot_fixture registers the fixture)
    LOGIN_WITH_SQL,
    REPO,
    SENIORS,
    Bot,
    app_settings,
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
from tests.fakegithub.models import RepoState
from tests.fakegithub.state import FakeGitHub


def analysis_processes() -> list[int]:
    """This test process's children that are multiprocessing's spawned workers."""
    me = os.getpid()
    found = []
    for task in Path(f"/proc/{me}/task").iterdir():
        for child in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"spawn_main" in cmdline:
                found.append(int(child))
    return found


async def push_and_review(bot: Bot, repo: Repo, number: int, before: str, name: str) -> str:
    repo.checkout("feature/change")
    head = repo.commit(f"Add {name}", {f"app/{name}.py": "X = 1\n"}, trailers=(CLAUDE,))
    repo.checkout("main")
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "synchronize", before=before))
    await bot.settle()
    return head


async def test_an_analysis_process_killed_as_the_oom_killer_would_is_replaced(
    fake_github: FakeGitHub,
    github_repo: RepoState,
    aiohttp_client: AiohttpClient,
    repo: Repo,
    tmp_path: Path,
) -> None:
    settings = app_settings(fake_github, tmp_path / "bot.sqlite3")
    bot = Bot(await aiohttp_client(create_app(settings, analysis_workers=1)), fake_github)
    configure(repo, SENIORS)
    number, head = open_pull(
        fake_github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,)
    )
    await bot.send(webhooks.pull_request(fake_github, REPO, number, "opened"))
    await bot.settle()
    (worker,) = analysis_processes()

    os.kill(worker, signal.SIGKILL)
    second = await push_and_review(bot, repo, number, head, "second")
    third = await push_and_review(bot, repo, number, second, "third")

    for sha in (second, third):
        assert bot.check(sha).conclusion == "action_required", bot.check(sha).title
    assert worker not in analysis_processes()
    assert len(analysis_processes()) == 1


async def test_a_database_error_when_a_job_finishes_delays_it_but_loses_nothing(
    bot: Bot, repo: Repo, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    configure(repo, SENIORS)
    number, head = open_pull(
        bot.github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,)
    )
    # Another connection makes SQLite refuse to delete finished jobs, as a full disk or a
    # broken file would.
    database = sqlite3.connect(tmp_path / "bot.sqlite3", isolation_level=None)
    database.executescript(
        "CREATE TABLE fault (x);"
        "INSERT INTO fault VALUES (1);"
        "CREATE TRIGGER refuse_finish BEFORE DELETE ON jobs WHEN EXISTS (SELECT 1 FROM fault) "
        "BEGIN SELECT RAISE(ABORT, 'disk I/O error (injected)'); END;"
    )
    caplog.set_level(logging.ERROR, logger="bot.queue.sqlite_queue")

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    for _ in range(200):
        if any("could not mark a job done" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the injected fault never fired")
    database.execute("DELETE FROM fault")
    review = bot.github.add_review(REPO, number, "alice", "CHANGES_REQUESTED")
    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, review.id))
    await bot.settle()
    database.close()

    run = bot.check(head)
    assert run.conclusion == "action_required"
    assert (run.title or "").startswith("Needs 1 more approval")


def token_fetches(github: FakeGitHub) -> int:
    return github.count("POST", re.compile(r"/app/installations/\d+/access_tokens"))


async def test_a_revoked_token_is_dropped_and_a_seniors_change_request_still_applies(
    bot: Bot, repo: Repo
) -> None:
    configure(repo, SENIORS)
    bot.github.add_team_member("@acme/architects", "alice")
    number, head = open_pull(
        bot.github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,)
    )
    approval = bot.github.add_review(REPO, number, "alice")
    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, approval.id))
    await bot.settle()
    assert bot.check(head).conclusion == "success"
    fetched = token_fetches(bot.github)

    bot.github.revoke_tokens()
    change_request = bot.github.add_review(REPO, number, "alice", "CHANGES_REQUESTED")
    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, change_request.id))
    await bot.settle()

    assert bot.check(head).conclusion == "action_required"
    assert (bot.check(head).title or "").startswith("Changes requested by @alice")
    assert token_fetches(bot.github) == fetched + 1


@pytest.mark.parametrize("action", ["new_permissions_accepted", "suspend", "unsuspend", "deleted"])
async def test_an_installation_that_changed_drops_its_cached_token(
    bot: Bot, repo: Repo, action: str
) -> None:
    number, _ = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"})
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()
    fetched = token_fetches(bot.github)
    (installation_id,) = bot.github.installations

    status = await bot.send(webhooks.installation(bot.github, installation_id, action))
    await bot.settle()
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "edited"))
    await bot.settle()

    assert status == 202
    assert token_fetches(bot.github) == fetched + 1


async def test_an_installation_event_that_leaves_the_token_valid_keeps_it(
    bot: Bot, repo: Repo
) -> None:
    number, _ = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"})
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()
    fetched = token_fetches(bot.github)
    (installation_id,) = bot.github.installations

    status = await bot.send(webhooks.installation(bot.github, installation_id, "created"))
    await bot.settle()
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "edited"))
    await bot.settle()

    assert status == 200
    assert token_fetches(bot.github) == fetched


@pytest.mark.parametrize("status", [502, 504])
async def test_a_comment_github_made_whose_answer_was_lost_is_not_posted_twice(
    bot: Bot, repo: Repo, status: int
) -> None:
    configure(repo, SENIORS)
    number, head = open_pull(
        bot.github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,)
    )
    bot.github.lose_answer("POST", rf"^/repos/{REPO}/issues/{number}/comments$", status)

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "edited"))
    await bot.settle()

    assert len(bot.bot_comments(number)) == 1
    assert bot.check(head).conclusion == "action_required"


async def test_a_check_run_github_made_whose_answer_was_lost_is_not_made_twice(
    bot: Bot, repo: Repo
) -> None:
    number, head = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"})
    bot.github.lose_answer("POST", rf"^/repos/{REPO}/check-runs$")

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    assert bot.check(head).conclusion == "success"  # bot.check asserts there is exactly one


async def test_a_check_run_github_would_not_complete_is_completed_by_the_sweep(
    fake_github: FakeGitHub,
    github_repo: RepoState,
    aiohttp_client: AiohttpClient,
    repo: Repo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("bot.app.runtime.SWEEP_EVERY_SECONDS", 0.1)
    monkeypatch.setattr("bot.app.runtime.OPEN_CHECK_STALE_SECONDS", 0.5)
    settings = app_settings(fake_github, tmp_path / "bot.sqlite3")
    bot = Bot(await aiohttp_client(create_app(settings, analysis_workers=0)), fake_github)
    configure(repo, SENIORS)
    number, head = open_pull(
        fake_github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,)
    )
    # Every update of the check fails while the job tries (6 tries, each retried 5 times).
    fake_github.fail("PATCH", rf"^/repos/{REPO}/check-runs/\d+$", 502, times=40)

    await bot.send(webhooks.pull_request(fake_github, REPO, number, "opened"))
    await bot.settle()
    assert bot.check(head).status == "in_progress"
    for _ in range(200):
        run = bot.check(head)
        if run.status == "completed":
            break
        await asyncio.sleep(0.05)

    assert (run.status, run.conclusion) == ("completed", "action_required")


async def test_explain_on_a_head_no_longer_cached_leaves_the_check_alone(
    fake_github: FakeGitHub,
    github_repo: RepoState,
    aiohttp_client: AiohttpClient,
    repo: Repo,
    tmp_path: Path,
) -> None:
    settings = app_settings(fake_github, tmp_path / "bot.sqlite3")
    first = Bot(await aiohttp_client(create_app(settings, analysis_workers=0)), fake_github)
    configure(repo, SENIORS)
    number, head = open_pull(
        fake_github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,)
    )
    await first.send(webhooks.pull_request(fake_github, REPO, number, "opened"))
    await first.settle()
    before = first.check(head)
    # A restart: the analysis cache is gone.
    second = Bot(await aiohttp_client(create_app(settings, analysis_workers=0)), fake_github)
    fake_github.clear_log()

    comment = fake_github.add_comment(REPO, number, "rita", "/ai-review explain")
    await second.send(webhooks.issue_comment(fake_github, REPO, comment.id, "created"))
    await second.settle()

    after = second.check(head)
    assert (after.status, after.conclusion, after.title) == (
        "completed",
        before.conclusion,
        before.title,
    )
    assert fake_github.count("PATCH", re.compile(r"/check-runs/")) == 0
    assert any("| Signal | Points | Weight | Why |" in b for b in second.bot_comments(number))


async def test_forty_commands_from_a_stranger_get_three_replies_and_the_review_still_applies(
    bot: Bot, repo: Repo
) -> None:
    configure(repo, SENIORS)
    bot.github.add_team_member("@acme/architects", "alice")
    bot.github.set_permission(REPO, "alice", "write")
    bot.github.set_permission(REPO, "rita", "read")
    number, head = open_pull(
        bot.github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,)
    )
    approval = bot.github.add_review(REPO, number, "alice")
    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, approval.id))
    await bot.settle()
    assert bot.check(head).conclusion == "success"

    for index in range(40):
        words = ("help", "explain", "override please", f"frobnicate {index}")[index % 4]
        comment = bot.github.add_comment(REPO, number, "rita", f"/ai-review {words}")
        await bot.send(webhooks.issue_comment(bot.github, REPO, comment.id, "created"))
    change_request = bot.github.add_review(REPO, number, "alice", "CHANGES_REQUESTED")
    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, change_request.id))
    await bot.settle()

    assert bot.check(head).conclusion == "action_required"
    to_rita = [b for b in bot.bot_comments(number) if not b.startswith("<!-- ai-review -->")]
    assert len(to_rita) == 3
