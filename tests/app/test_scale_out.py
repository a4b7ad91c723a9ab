"""Bursts against real processes: 1,000 deliveries with redeliveries while GitHub fails a fifth
of calls, 100 events on one pull request at once, and two Redis workers sharing the work. Every
pull request ends with one check run per head, one comment, and the right conclusion."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.appkit import REPO
from tests.conftest import Repo
from tests.fakegithub.fixtures import (  # noqa: F401  (registers the fixtures)
    fake_github_fixture,
    github_repo_fixture,
)
from tests.fakegithub.models import RepoState
from tests.fakegithub.state import FakeGitHub
from tests.processes import Deployment
from tests.redis_kit import (  # noqa: F401  (registers the fixtures)
    redis_server,
    redis_url_fixture,
)
from tests.scenarios import Burst, break_github, build_burst, send_all


@pytest.fixture(name="scaled")
async def scaled_fixture(
    fake_github: FakeGitHub, github_repo: RepoState, tmp_path: Path, redis_url: str
) -> AsyncIterator[Deployment]:
    deployment = Deployment(fake_github, tmp_path, redis_url)
    yield deployment
    await deployment.close()


@pytest.fixture(name="embedded")
async def embedded_fixture(
    fake_github: FakeGitHub, github_repo: RepoState, tmp_path: Path
) -> AsyncIterator[Deployment]:
    deployment = Deployment(fake_github, tmp_path)
    yield deployment
    await deployment.close()


async def _settled(deployment: Deployment, burst: Burst, timeout: float) -> None:
    await deployment.settle([pull.heads[-1] for pull in burst.pulls], timeout)


def _assert_one_of_each(deployment: Deployment, burst: Burst) -> None:
    github = deployment.github
    per_head = Counter(run.head_sha for run in github.check_runs(REPO, name="ai-review"))
    assert [head for head, runs in per_head.items() if runs > 1] == []
    for pull in burst.pulls:
        final = github.check_runs(REPO, head_sha=pull.heads[-1], name="ai-review")
        assert [(run.status, run.conclusion) for run in final] == [("completed", pull.expected)], (
            f"#{pull.number}"
        )
        ours = [c for c in github.comments(REPO, pull.number) if c.login.endswith("[bot]")]
        assert len(ours) == (1 if pull.ai else 0), f"#{pull.number}"
    assert all(run.status == "completed" for run in github.check_runs(REPO))


def _reviews_done(deployment: Deployment, name: str) -> int:
    (process,) = [p for p in deployment.processes if p.name == name]
    return sum(1 for line in process.lines() if line.get("message") == "review done")


async def test_1000_deliveries_with_redeliveries_and_a_fifth_of_github_failing(
    scaled: Deployment, repo: Repo
) -> None:
    github = scaled.github
    burst = build_burst(
        github, repo, pulls=50, pushes=4, reviews=5, edits=4, labels=5, redelivered=1 / 9
    )
    assert len(burst.deliveries) == 1000
    await scaled.web()
    await scaled.worker("worker-1")
    await scaled.worker("worker-2")
    faults = break_github(github, 0.2)

    statuses = await send_all(scaled.send, burst.deliveries, per_second=100)
    await _settled(scaled, burst, timeout=240)

    failed = sum(fault.hits for fault in faults)
    print(f"\n{github.count()} GitHub calls, {failed} failed on purpose")
    assert failed > 0.15 * github.count()
    redelivered = [s for s, d in zip(statuses, burst.deliveries, strict=True) if d.redelivery]
    assert set(redelivered) == {200}
    assert Counter(statuses)[202] == 900
    _assert_one_of_each(scaled, burst)
    assert _reviews_done(scaled, "worker-1") > 0
    assert _reviews_done(scaled, "worker-2") > 0


async def test_100_events_on_one_pull_request_at_once_on_two_workers(
    scaled: Deployment, repo: Repo
) -> None:
    burst = build_burst(
        scaled.github, repo, pulls=1, pushes=2, reviews=48, edits=25, labels=25, redelivered=0
    )
    await scaled.web()
    await scaled.worker("worker-1")
    await scaled.worker("worker-2")

    statuses = await asyncio.gather(*(scaled.send(d.hook, d.delivery_id) for d in burst.deliveries))
    await _settled(scaled, burst, timeout=120)

    assert Counter(statuses) == {202: 100}
    _assert_one_of_each(scaled, burst)
    reviews = _reviews_done(scaled, "worker-1") + _reviews_done(scaled, "worker-2")
    assert reviews < 100 / 4  # queued reviews of one PR coalesce
    print(f"\n100 events on one PR: {reviews} reviews ran")


async def test_100_events_on_one_pull_request_at_once_embedded(
    embedded: Deployment, repo: Repo
) -> None:
    burst = build_burst(
        embedded.github, repo, pulls=1, pushes=2, reviews=48, edits=25, labels=25, redelivered=0
    )
    await embedded.web()

    statuses = await asyncio.gather(
        *(embedded.send(d.hook, d.delivery_id) for d in burst.deliveries)
    )
    await _settled(embedded, burst, timeout=120)

    assert Counter(statuses) == {202: 100}
    _assert_one_of_each(embedded, burst)
    assert _reviews_done(embedded, "web") < 100 / 4


async def test_a_burst_shared_by_two_workers_has_no_double_effects(
    scaled: Deployment, repo: Repo
) -> None:
    burst = build_burst(
        scaled.github, repo, pulls=12, pushes=2, reviews=1, edits=1, labels=1, redelivered=0.2
    )
    await scaled.web()
    await scaled.worker("worker-1")
    await scaled.worker("worker-2")

    await send_all(scaled.send, burst.deliveries)
    await _settled(scaled, burst, timeout=120)

    _assert_one_of_each(scaled, burst)
    posts = scaled.github.count("POST", re.compile(rf"^/repos/{REPO}/issues/\d+/comments$"))
    assert posts == sum(1 for pull in burst.pulls if pull.ai)
    assert _reviews_done(scaled, "worker-1") > 0
    assert _reviews_done(scaled, "worker-2") > 0
