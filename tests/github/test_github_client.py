"""The GitHub client against the fake GitHub: mutating requests of one installation go one at
a time, as GitHub asks integrations to."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from bot.github.client import GitHubClient
from tests.fakegithub.fixtures import (  # noqa: F401  (registers the fixtures)
    fake_github_fixture,
    github_repo_fixture,
)
from tests.fakegithub.models import RepoState
from tests.fakegithub.state import FakeGitHub

REPO = "acme/widgets"


async def _two_comments(github: FakeGitHub, lock: asyncio.Lock | None) -> float:
    installation = github.installation_for("acme")
    assert installation is not None
    token = github.issue_token(installation.id).value
    github.add_pull(REPO, "main")
    async with aiohttp.ClientSession() as session:
        clients = [
            GitHubClient(
                session,
                oauth_token=token,
                base_url=github.url,
                graphql_url=github.graphql_url,
                write_lock=lock,
            )
            for _ in range(2)
        ]
        started = time.monotonic()
        await asyncio.gather(
            *(c.post(f"/repos/{REPO}/issues/1/comments", data={"body": "x"}) for c in clients)
        )
        return time.monotonic() - started


async def test_mutating_requests_of_one_installation_go_one_at_a_time(
    fake_github: FakeGitHub, github_repo: RepoState
) -> None:
    fake_github.slow("POST", r"/issues/\d+/comments$", 0.4)

    together = await _two_comments(fake_github, asyncio.Lock())

    assert together >= 0.8  # the second waited for the first to be answered
    assert len(fake_github.comments(REPO, 1)) == 2
