"""Real processes, real signals: nothing acknowledged is lost and nothing is done twice when a
server or worker is killed (-9) or stopped (SIGTERM) mid-job, embedded or on Redis."""

from __future__ import annotations

import asyncio
import signal
import socket
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.queue.jobs import Job, JobKind
from bot.queue.sqlite_database import Database
from bot.queue.sqlite_queue import SqliteQueue
from tests.appkit import REPO, open_pull
from tests.conftest import CLAUDE, Repo
from tests.fakegithub import webhooks
from tests.fakegithub.fixtures import (  # noqa: F401  (registers the fixtures)
    fake_github_fixture,
    github_repo_fixture,
)
from tests.fakegithub.models import RepoState
from tests.fakegithub.state import FakeGitHub
from tests.processes import BotProcess, Deployment, until
from tests.redis_kit import (  # noqa: F401  (registers the fixtures)
    free_port,
    redis_server,
    redis_url_fixture,
)

DIFF = rf"^/repos/{REPO}/pulls/\d+$"  # the diff request, made once the check is in progress


@pytest.fixture(name="embedded")
async def embedded_fixture(
    fake_github: FakeGitHub, github_repo: RepoState, tmp_path: Path
) -> AsyncIterator[Deployment]:
    deployment = Deployment(fake_github, tmp_path)
    yield deployment
    await deployment.close()


@pytest.fixture(name="scaled")
async def scaled_fixture(
    fake_github: FakeGitHub, github_repo: RepoState, tmp_path: Path, redis_url: str
) -> AsyncIterator[Deployment]:
    deployment = Deployment(fake_github, tmp_path, redis_url)
    yield deployment
    await deployment.close()


def _in_progress(github: FakeGitHub, head: str) -> bool:
    return any(run.status == "in_progress" for run in github.check_runs(REPO, head_sha=head))


def _assert_done_once(deployment: Deployment, head: str, number: int) -> None:
    (run,) = deployment.github.check_runs(REPO, head_sha=head)
    assert run.status == "completed"
    assert deployment.github.count("POST", f"/repos/{REPO}/check-runs") == 1
    comments = [c for c in deployment.github.comments(REPO, number) if c.login.endswith("[bot]")]
    assert len(comments) == 1


async def test_server_killed_mid_job_runs_it_once_after_restart(
    embedded: Deployment, repo: Repo
) -> None:
    github = embedded.github
    number, head = open_pull(github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    github.slow("GET", DIFF, 60, times=1)
    first = await embedded.web("web-1")

    assert await embedded.send(webhooks.pull_request(github, REPO, number, "opened")) == 202
    await until(lambda: _in_progress(github, head), 30)
    first.signal(signal.SIGKILL)
    await first.wait()
    await embedded.web("web-2")
    await embedded.settle([head])

    _assert_done_once(embedded, head, number)


async def test_sigterm_mid_job_finishes_it_then_exits(embedded: Deployment, repo: Repo) -> None:
    github = embedded.github
    number, head = open_pull(github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    github.slow("GET", DIFF, 1.5, times=1)
    web = await embedded.web()

    await embedded.send(webhooks.pull_request(github, REPO, number, "opened"))
    await until(lambda: _in_progress(github, head), 30)
    web.signal(signal.SIGTERM)

    assert await web.wait(30) == 0
    await until(lambda: bool(embedded.completed(head)), 5)
    _assert_done_once(embedded, head, number)


async def test_worker_killed_mid_job_its_job_runs_once_on_a_new_worker(
    scaled: Deployment, repo: Repo
) -> None:
    github = scaled.github
    number, head = open_pull(github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    github.slow("GET", DIFF, 60, times=1)
    await scaled.web()
    doomed = await scaled.worker("worker-1", "--lock-seconds", "2")

    assert await scaled.send(webhooks.pull_request(github, REPO, number, "opened")) == 202
    await until(lambda: _in_progress(github, head), 30)
    doomed.signal(signal.SIGKILL)
    await doomed.wait()
    await scaled.worker("worker-2", "--lock-seconds", "2")
    await scaled.settle([head])

    _assert_done_once(scaled, head, number)


async def test_worker_stopped_past_its_deadline_hands_the_job_to_another(
    scaled: Deployment, repo: Repo
) -> None:
    github = scaled.github
    number, head = open_pull(github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    github.slow("GET", DIFF, 60, times=1)
    await scaled.web()
    stopping = await scaled.worker("worker-1", "--shutdown-seconds", "1")

    await scaled.send(webhooks.pull_request(github, REPO, number, "opened"))
    await until(lambda: _in_progress(github, head), 30)
    stopping.signal(signal.SIGTERM)
    exit_code = await stopping.wait(30)
    await scaled.worker("worker-2")
    await scaled.settle([head])

    assert exit_code == 0
    _assert_done_once(scaled, head, number)


async def test_sigterm_lets_a_workers_job_finish_within_the_deadline(
    scaled: Deployment, repo: Repo
) -> None:
    github = scaled.github
    number, head = open_pull(github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    github.slow("GET", DIFF, 1.5, times=1)
    await scaled.web()
    worker = await scaled.worker("worker-1")

    await scaled.send(webhooks.pull_request(github, REPO, number, "opened"))
    await until(lambda: _in_progress(github, head), 30)
    worker.signal(signal.SIGTERM)

    assert await worker.wait(30) == 0
    _assert_done_once(scaled, head, number)


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(child) for child in (task / "children").read_text().split()}
    return found


async def test_analysis_processes_exit_when_their_server_is_killed(
    embedded: Deployment, repo: Repo
) -> None:
    github = embedded.github
    number, head = open_pull(github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    web = await embedded.web()
    await embedded.send(webhooks.pull_request(github, REPO, number, "opened"))
    await until(lambda: bool(embedded.completed(head)), 60)
    assert web.process is not None
    pool = _children(web.process.pid)
    assert pool  # the analysis ran in the pool

    web.signal(signal.SIGKILL)
    await web.wait()

    await until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in pool), 10)


async def test_a_worker_serves_health_readiness_and_its_job_metrics(
    scaled: Deployment, repo: Repo
) -> None:
    github = scaled.github
    number, head = open_pull(github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    port = free_port()
    await scaled.web()
    await scaled.worker("worker-1", "--port", str(port))
    await scaled.send(webhooks.pull_request(github, REPO, number, "opened"))
    await scaled.settle([head])
    probes = f"http://127.0.0.1:{port}"

    async with scaled.session.get(probes + "/healthz") as health:
        assert health.status == 200
    async with scaled.session.get(probes + "/readyz") as ready:
        assert ready.status == 200
    async with scaled.session.get(probes + "/metrics") as metrics:
        text = await metrics.text()
    assert 'ai_review_job_seconds_count{kind="analyze"} 1.0' in text
    assert "ai_review_queue_depth 0.0" in text


async def _readiness(deployment: Deployment) -> int | None:
    try:
        async with deployment.session.get(deployment.url + "/readyz") as response:
            return response.status
    except aiohttp.ClientConnectionError:
        return None


async def test_sigterm_turns_readiness_503_while_the_job_drains_then_exits_0(
    embedded: Deployment, repo: Repo
) -> None:
    github = embedded.github
    number, head = open_pull(github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    github.slow("GET", DIFF, 2.0, times=1)
    web = await embedded.web()
    await embedded.send(webhooks.pull_request(github, REPO, number, "opened"))
    await until(lambda: _in_progress(github, head), 30)

    web.signal(signal.SIGTERM)
    seen: list[int | None] = []
    while web.process is not None and web.process.returncode is None:
        seen.append(await _readiness(embedded))
        if seen[-1] == 503:
            # still listening: a delivery made while draining is accepted, not lost
            late = webhooks.pull_request(github, REPO, number, "edited")
            seen.append(await embedded.send(late))
            break
        await asyncio.sleep(0.05)

    assert await web.wait(30) == 0
    assert 503 in seen
    assert 202 in seen
    _assert_done_once(embedded, head, number)
    messages = [str(line.get("message")) for line in web.lines()]
    assert "serving" in messages
    (stopped,) = [line for line in web.lines() if line.get("message") == "stopped"]
    # the opened head's config check (queued behind its review) and the late delivery wait
    # for the next start
    assert stopped["handed_back"] == 2
    (serving,) = [line for line in web.lines() if line.get("message") == "serving"]
    assert serving["backend"] == "embedded"
    assert serving["app_id"] == str(github.app_id)
    assert serving["address"] == f"127.0.0.1:{embedded.port}"
    assert github.key.private_pem.splitlines()[1] not in web.log_path.read_text()


async def test_a_second_serve_on_the_same_database_refuses_to_start(
    embedded: Deployment, repo: Repo
) -> None:
    github = embedded.github
    number, head = open_pull(github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    github.slow("GET", DIFF, 1.0, times=1)
    await embedded.web("web-1")
    await embedded.send(webhooks.pull_request(github, REPO, number, "opened"))
    second = await BotProcess(
        "web-2",
        ["serve", "--host", "127.0.0.1", "--port", str(free_port())],
        embedded.env,
        embedded.logs,
    ).start()

    assert await second.wait(30) == 2
    err = second.log_path.read_text()
    assert err.startswith("ai-review-bot: error: another ai-review-bot serve is running on ")
    assert err.count("\n") == 1
    await embedded.settle([head])
    _assert_done_once(embedded, head, number)


async def test_serve_on_a_busy_port_stops_before_touching_the_queue(
    embedded: Deployment, repo: Repo, tmp_path: Path
) -> None:
    github = embedded.github
    number, head = open_pull(github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    database_path = tmp_path / "other.sqlite3"
    database = Database(database_path)  # a job left queued by an earlier run
    queue = SqliteQueue(database, lambda job: None)
    job = Job(JobKind.ANALYZE, "1", "acme", "widgets", number, "main", head, "d-1")
    assert await queue.accept("d-1", [job])
    database.close()
    taken = socket.create_server(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    env = {**embedded.env, "DATABASE_URL": f"sqlite:///{database_path}", "PORT": str(port)}
    try:
        busy = await BotProcess("web", ["serve", "--host", "127.0.0.1"], env, embedded.logs).start()
        assert await busy.wait(30) == 2
    finally:
        taken.close()

    err = busy.log_path.read_text()
    assert (
        err == f"ai-review-bot: error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )
    with sqlite3.connect(database_path) as check:
        assert check.execute("SELECT state, starts FROM jobs").fetchall() == [("queued", 0)]
    assert github.count() == 0
