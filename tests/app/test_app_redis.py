"""The web process in the scaled-out mode (REDIS_URL): it only verifies, de-duplicates and
queues; when Redis does not answer, a delivery is refused (503), never acknowledged and lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_aiohttp import AiohttpClient

from bot.app.web import create_app
from bot.settings import load_settings
from tests.appkit import REPO, SECRET, open_pull
from tests.conftest import Repo
from tests.fakegithub import webhooks
from tests.fakegithub.fixtures import (  # noqa: F401  (registers the fixtures)
    fake_github_fixture,
    github_repo_fixture,
)
from tests.fakegithub.models import RepoState
from tests.fakegithub.state import FakeGitHub
from tests.redis_kit import (  # noqa: F401  (registers the fixtures)
    RedisServer,
    redis_server,
    redis_url_fixture,
)


async def test_a_delivery_redis_cannot_take_is_refused_503_then_accepted_on_redelivery(
    fake_github: FakeGitHub,
    github_repo: RepoState,
    aiohttp_client: AiohttpClient,
    repo: Repo,
    tmp_path: Path,
    redis_url: str,  # a redis-server is installed (else skipped)
) -> None:
    own = RedisServer(tmp_path)
    env = {**fake_github.settings_env(SECRET), "REDIS_URL": own.url}
    client = await aiohttp_client(create_app(load_settings(env)))
    number, _ = open_pull(fake_github, repo, {"app/x.py": "X = 1\n"})
    hook = webhooks.pull_request(fake_github, REPO, number, "opened")
    own.stop()

    refused = await webhooks.deliver(client, hook, SECRET, delivery_id="d-1")
    ready = await client.get("/readyz")
    again = RedisServer.at(own.port, tmp_path)
    accepted = await webhooks.deliver(client, hook, SECRET, delivery_id="d-1")
    again.stop()

    assert (refused.status, ready.status, accepted.status) == (503, 503, 202)
    assert fake_github.count() == 0  # the web process never calls GitHub


@pytest.mark.parametrize("url", ["http://redis:6379", "redis-server:6379"])
def test_a_redis_url_that_is_not_one_is_a_settings_error(fake_github: FakeGitHub, url: str) -> None:
    from bot.settings import SettingsError

    with pytest.raises(SettingsError, match="REDIS_URL must be"):
        load_settings({**fake_github.settings_env(SECRET), "REDIS_URL": url})
