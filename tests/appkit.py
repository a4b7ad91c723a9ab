"""What the App's end-to-end tests share: the App under test beside a fake GitHub."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from bot.app.web import QUEUE, create_app
from bot.settings import Settings, load_settings
from tests.conftest import Repo
from tests.fakegithub import webhooks
from tests.fakegithub.models import CheckRun, RepoState
from tests.fakegithub.state import FakeGitHub

SECRET = "test-webhook-secret"
REPO = "acme/widgets"
LOGIN_WITH_SQL = (
    "def login(db, name):\n"
    "    query = f\"SELECT id FROM users WHERE name = '{name}'\"\n"
    "    return db.execute(query).fetchone()\n"
)
SENIORS = "approvals:\n  seniors: ['@acme/architects']\n"


def plain(markdown: str | None) -> str:
    """Rendered text as a reader sees it: escapes and mention-breaking spaces removed."""
    return re.sub(r"\\(.)", r"\1", (markdown or "").replace("\u200b", ""))


@dataclass
class Bot:
    client: TestClient[web.Request, web.Application]
    github: FakeGitHub

    async def send(self, hook: webhooks.Webhook, delivery_id: str | None = None) -> int:
        response = await webhooks.deliver(self.client, hook, SECRET, delivery_id=delivery_id)
        return response.status

    async def settle(self, timeout: float = 60) -> None:
        """Wait until every queued job has run (a test fails, not hangs, when one never does)."""
        try:
            await asyncio.wait_for(self.client.app[QUEUE].join(), timeout)
        except TimeoutError:
            pytest.fail(f"jobs still queued or running after {timeout} s")

    def check(self, head_sha: str) -> CheckRun:
        (run,) = self.github.check_runs(REPO, head_sha=head_sha, name="ai-review")
        return run

    def bot_comments(self, number: int) -> list[str]:
        return [c.body for c in self.github.comments(REPO, number) if c.login.endswith("[bot]")]


def app_settings(github: FakeGitHub, database: Path, *, enterprise: bool = False) -> Settings:
    """Settings pointing the App at the fake GitHub, with its own SQLite file."""
    env = github.settings_env(SECRET, enterprise=enterprise)
    return load_settings({**env, "DATABASE_URL": f"sqlite:///{database}"})


@pytest.fixture(name="bot")
async def bot_fixture(
    fake_github: FakeGitHub,
    github_repo: RepoState,
    aiohttp_client: AiohttpClient,
    tmp_path: Path,
) -> Bot:
    app = create_app(app_settings(fake_github, tmp_path / "bot.sqlite3"), analysis_workers=0)
    return Bot(await aiohttp_client(app), fake_github)


def open_pull(
    github: FakeGitHub,
    repo: Repo,
    files: dict[str, str],
    *,
    trailers: tuple[str, ...] = (),
    branch: str = "feature/change",
    labels: tuple[str, ...] = (),
) -> tuple[int, str]:
    """Commit `files` on a new branch and open a pull request from it into main."""
    repo.branch(branch)
    head = repo.commit("Change", files, trailers=trailers)
    repo.checkout("main")
    number = github.add_pull(REPO, branch, labels=labels).number
    return number, head


def configure(repo: Repo, text: str) -> None:
    repo.commit("Configure the review", {".github/ai-review.yml": text})
