"""Nothing acknowledged is lost: deliveries and their jobs are on disk before the 202, and a
job a dead process left running runs again after a restart, once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pytest_aiohttp import AiohttpClient

from bot.app.web import create_app
from tests.appkit import REPO, Bot, app_settings, open_pull
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
