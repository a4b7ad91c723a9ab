"""Nothing acknowledged is lost: deliveries and their jobs are on disk before the 202, and a
job a dead process left running runs again after a restart, once."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest
from pytest_aiohttp import AiohttpClient

from bot.app.web import QUEUE, create_app
from tests.appkit import (  # noqa: F401  (bot_fixture registers the fixture)
    REPO,
    Bot,
    app_settings,
    bot_fixture,
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


async def test_job_left_running_by_a_dead_process_runs_after_restart_once(
    fake_github: FakeGitHub,
    github_repo: RepoState,
    aiohttp_client: AiohttpClient,
    repo: Repo,
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.sqlite3"
    settings = app_settings(fake_github, database)
    number, head = open_pull(fake_github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    hook = webhooks.pull_request(fake_github, REPO, number, "opened")

    # First process: acknowledges the delivery but has no worker to run it, then dies mid-job.
    first = Bot(await aiohttp_client(create_app(settings, 0, queue_workers=0)), fake_github)
    assert await first.send(hook, delivery_id="d-1") == 202
    await first.client.close()
    with sqlite3.connect(database) as raw:
        raw.execute("UPDATE jobs SET state = 'running'")
    assert fake_github.check_runs(REPO, head_sha=head) == []

    second = Bot(await aiohttp_client(create_app(settings, 0)), fake_github)
    await second.settle()
    redelivered = await second.send(hook, delivery_id="d-1")
    await second.settle()

    assert redelivered == 200
    (run,) = fake_github.check_runs(REPO, head_sha=head)
    assert run.status == "completed"
    assert len(second.bot_comments(number)) == 1
    assert fake_github.count("POST", f"/repos/{REPO}/check-runs") == 1


async def _until_in_progress(github: FakeGitHub, head: str) -> None:
    for _ in range(500):
        if any(run.status == "in_progress" for run in github.check_runs(REPO, head_sha=head)):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the job never started")


async def test_shutdown_finishes_the_job_in_flight_and_readiness_goes_503_first(
    fake_github: FakeGitHub,
    github_repo: RepoState,
    aiohttp_client: AiohttpClient,
    repo: Repo,
    tmp_path: Path,
) -> None:
    settings = app_settings(fake_github, tmp_path / "bot.sqlite3")
    bot = Bot(await aiohttp_client(create_app(settings, 0, shutdown_deadline=30)), fake_github)
    number, head = open_pull(fake_github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    fake_github.slow("GET", rf"/repos/{REPO}/pulls/\d+$", 0.5)

    await bot.send(webhooks.pull_request(fake_github, REPO, number, "opened"))
    await _until_in_progress(fake_github, head)
    bot.client.app[QUEUE].draining()
    ready = await bot.client.get("/readyz")
    await bot.client.close()

    assert ready.status == 503
    (run,) = fake_github.check_runs(REPO, head_sha=head)
    assert run.status == "completed"


async def test_a_job_past_the_shutdown_deadline_is_handed_back_and_runs_after_restart(
    fake_github: FakeGitHub,
    github_repo: RepoState,
    aiohttp_client: AiohttpClient,
    repo: Repo,
    tmp_path: Path,
) -> None:
    settings = app_settings(fake_github, tmp_path / "bot.sqlite3")
    first = Bot(await aiohttp_client(create_app(settings, 0, shutdown_deadline=0.1)), fake_github)
    number, head = open_pull(fake_github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    fake_github.slow("GET", rf"/repos/{REPO}/pulls/\d+$", 3.0)

    await first.send(webhooks.pull_request(fake_github, REPO, number, "opened"))
    await _until_in_progress(fake_github, head)
    await first.client.close()
    fake_github.faults.clear()
    handed_back = fake_github.check_runs(REPO, head_sha=head)[0].status

    second = Bot(await aiohttp_client(create_app(settings, 0)), fake_github)
    await second.settle()

    assert handed_back == "in_progress"
    (run,) = fake_github.check_runs(REPO, head_sha=head)
    assert run.status == "completed"
    assert len(second.bot_comments(number)) == 1


async def test_a_job_that_killed_its_process_three_times_is_dropped_and_logged(
    fake_github: FakeGitHub,
    github_repo: RepoState,
    aiohttp_client: AiohttpClient,
    repo: Repo,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = tmp_path / "bot.sqlite3"
    settings = app_settings(fake_github, database)
    number, head = open_pull(fake_github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    first = Bot(await aiohttp_client(create_app(settings, 0, queue_workers=0)), fake_github)
    await first.send(webhooks.pull_request(fake_github, REPO, number, "opened"))
    await first.client.close()
    with sqlite3.connect(database) as raw:
        raw.execute("UPDATE jobs SET state = 'running', starts = 3")

    with caplog.at_level(logging.ERROR):
        second = Bot(await aiohttp_client(create_app(settings, 0)), fake_github)
        await second.settle()

    assert fake_github.check_runs(REPO, head_sha=head) == []
    # the delivery's two jobs: the review and the config check of the head
    lines = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [line.getMessage() for line in lines] == [
        "job dropped after 3 starts that never finished"
    ] * 2
    jobs = sorted((line.job for line in lines), key=lambda job: job["kind"])  # type: ignore[attr-defined]
    assert jobs == [
        {"kind": kind, "pr": "acme/widgets#1", "delivery": jobs[0]["delivery"]}
        for kind in ("analyze", "config_change")
    ]


async def test_a_check_run_created_by_a_process_that_died_before_noting_it_is_reused(
    bot: Bot, repo: Repo, tmp_path: Path
) -> None:
    number, head = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()
    # As if the process had died between creating the check run and writing its id down.
    with sqlite3.connect(tmp_path / "bot.sqlite3") as raw:
        raw.execute("UPDATE check_runs SET id = 0")
    bot.github.clear_log()

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "reopened"))
    await bot.settle()

    (run,) = bot.github.check_runs(REPO, head_sha=head)
    assert run.status == "completed"
    assert bot.github.count("POST", f"/repos/{REPO}/check-runs") == 0
    assert bot.github.count("GET", f"/repos/{REPO}/commits/{head}/check-runs") == 1
