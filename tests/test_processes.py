"""Real processes, real signals: nothing acknowledged is lost and nothing is done twice when a
server or worker is killed (-9) or stopped (SIGTERM) mid-job, embedded or on Redis."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.appkit import REPO, open_pull
from tests.conftest import CLAUDE, Repo
from tests.fakegithub import webhooks
from tests.fakegithub.fixtures import (  # noqa: F401  (registers the fixtures)
    fake_github_fixture,
    github_repo_fixture,
)
from tests.fakegithub.models import RepoState
from tests.fakegithub.state import FakeGitHub
from tests.processes import Deployment, until
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
