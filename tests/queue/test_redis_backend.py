"""The Redis backend's order guarantees, against a real redis-server: per pull request one job
at a time, the newest review only, commands in order, nothing lost when a drain dies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import pytest
from arq.connections import ArqRedis

from bot.queue.jobs import Job, JobKind
from bot.queue.redis_locks import RedisWriteLocks
from bot.queue.redis_queue import MAX_TRIES, PENDING, Drainer, DrainSettings, RedisQueue
from bot.queue.redis_store import RedisStore
from tests.redis_kit import (  # noqa: F401  (registers the fixtures)
    arq_redis_fixture,
    free_port,
    redis_server,
    redis_url_fixture,
)

ARQ_QUEUE = "arq:queue"


def job(kind: JobKind, number: int = 1, head: str = "a" * 40, **extra: str) -> Job:
    return Job(kind, "7", "acme", "widgets", number, "main", head, f"d-{kind}-{head[:4]}", **extra)  # type: ignore[arg-type]


class Recorder:
    """A job runner that records what ran, and how many ran at once."""

    def __init__(self, during: Callable[[Job], Awaitable[None]] | None = None) -> None:
        self.ran: list[Job] = []
        self.running = 0
        self.most_at_once = 0
        self._during = during

    async def __call__(self, job: Job) -> None:
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            await asyncio.sleep(0.01)
            if self._during is not None:
                await self._during(job)
            self.ran.append(job)
        finally:
            self.running -= 1


async def _never_returns(_: Job) -> None:
    await asyncio.Event().wait()


async def _no_heartbeat(lock: str, token: str) -> None:
    """A worker that froze: it holds a lock and never renews it."""


PR = "acme/widgets#1"


async def test_a_delivery_is_accepted_once(arq_redis: ArqRedis) -> None:
    queue = RedisQueue(arq_redis)

    first = await queue.accept("d-1", [job(JobKind.ANALYZE)])
    again = await queue.accept("d-1", [job(JobKind.ANALYZE)])

    assert (first, again) == (True, False)
    assert await queue.depth() == 1
    assert await arq_redis.zcard(ARQ_QUEUE) == 1  # one drain asked for


async def test_deliveries_for_a_pull_request_with_a_drain_coming_ask_for_no_other(
    arq_redis: ArqRedis,
) -> None:
    queue = RedisQueue(arq_redis)
    for index in range(3):
        await queue.accept(f"d-{index}", [job(JobKind.COMMAND, command=str(index))])
    asked_during_burst = await arq_redis.zcard(ARQ_QUEUE)

    await Drainer(arq_redis, Recorder()).drain(PR)
    await queue.accept("d-after", [job(JobKind.COMMAND, command="after")])

    assert asked_during_burst == 1
    assert await arq_redis.zcard(ARQ_QUEUE) == 2  # the drained PR asks again


async def test_a_delivery_is_remembered_for_over_a_week(arq_redis: ArqRedis) -> None:
    await RedisQueue(arq_redis).accept("d-1", [])

    assert await arq_redis.ttl("ai-review:delivery:d-1") > 7 * 24 * 3600


async def test_reviews_coalesce_to_the_newest_head_and_commands_keep_their_order(
    arq_redis: ArqRedis,
) -> None:
    queue, recorder = RedisQueue(arq_redis), Recorder()
    await queue.accept("d-1", [job(JobKind.ANALYZE, head="1" * 40)])
    await queue.accept("d-2", [job(JobKind.COMMAND, command="help")])
    await queue.accept("d-3", [job(JobKind.GATE, head="2" * 40)])
    await queue.accept("d-4", [job(JobKind.COMMAND, command="recheck")])

    ran = await Drainer(arq_redis, recorder).drain(PR)

    assert ran == 3
    assert [(j.kind, j.head_sha[:1], j.command) for j in recorder.ran] == [
        (JobKind.ANALYZE, "2", ""),  # gate merged into the queued analyze, newest head
        (JobKind.COMMAND, "a", "help"),
        (JobKind.COMMAND, "a", "recheck"),
    ]
    assert await queue.depth() == 0
    assert await arq_redis.scard(PENDING) == 0


async def test_jobs_of_one_pull_request_never_run_at_once(arq_redis: ArqRedis) -> None:
    queue, recorder = RedisQueue(arq_redis), Recorder()
    for index in range(5):
        await queue.accept(f"d-{index}", [job(JobKind.COMMAND, command=str(index))])

    drains = await asyncio.gather(*(Drainer(arq_redis, recorder).drain(PR) for _ in range(4)))

    assert sorted(drains) == [0, 0, 0, 5]
    assert recorder.most_at_once == 1
    assert [j.command for j in recorder.ran] == ["0", "1", "2", "3", "4"]


async def test_different_pull_requests_run_side_by_side(arq_redis: ArqRedis) -> None:
    queue, recorder = RedisQueue(arq_redis), Recorder()
    await queue.accept("d-1", [job(JobKind.ANALYZE, number=1)])
    await queue.accept("d-2", [job(JobKind.ANALYZE, number=2)])

    await asyncio.gather(
        Drainer(arq_redis, recorder).drain("acme/widgets#1"),
        Drainer(arq_redis, recorder).drain("acme/widgets#2"),
    )

    assert recorder.most_at_once == 2


async def test_a_job_queued_while_the_pull_request_drains_is_run_by_that_drain(
    arq_redis: ArqRedis,
) -> None:
    queue = RedisQueue(arq_redis)

    async def push_once(current: Job) -> None:
        if current.command == "first":
            await queue.accept("d-2", [job(JobKind.COMMAND, command="second")])

    recorder = Recorder(push_once)
    await queue.accept("d-1", [job(JobKind.COMMAND, command="first")])

    assert await Drainer(arq_redis, recorder).drain(PR) == 2
    assert [j.command for j in recorder.ran] == ["first", "second"]


async def test_a_frozen_drains_job_runs_again_once_its_lock_expires(
    arq_redis: ArqRedis, caplog: pytest.LogCaptureFixture
) -> None:
    queue, quick = RedisQueue(arq_redis), DrainSettings(lock_seconds=0.2)
    await queue.accept("d-1", [job(JobKind.ANALYZE)])
    frozen = Drainer(arq_redis, _never_returns, quick)
    frozen._heartbeat = _no_heartbeat  # type: ignore[method-assign]
    stuck = asyncio.create_task(frozen.drain(PR))
    await asyncio.sleep(0.05)
    recorder = Recorder()

    busy = await Drainer(arq_redis, recorder, quick).drain(PR)
    await asyncio.sleep(0.3)
    with caplog.at_level(logging.WARNING):
        taken_over = await Drainer(arq_redis, recorder, quick).drain(PR)
    stuck.cancel()
    await asyncio.gather(stuck, return_exceptions=True)

    assert (busy, taken_over) == (0, 1)
    assert [j.kind for j in recorder.ran] == [JobKind.ANALYZE]
    assert "running a job again" in caplog.text
    assert await queue.depth() == 0  # the frozen drain's cancellation did not hand it back


async def test_a_job_that_kills_its_worker_every_time_is_dropped_and_logged(
    arq_redis: ArqRedis, caplog: pytest.LogCaptureFixture
) -> None:
    queue, quick = RedisQueue(arq_redis), DrainSettings(lock_seconds=0.1)
    await queue.accept("d-1", [job(JobKind.ANALYZE, head="1" * 40)])
    await queue.accept("d-2", [job(JobKind.COMMAND, command="help")])
    stuck = []
    for _ in range(MAX_TRIES):
        frozen = Drainer(arq_redis, _never_returns, quick)
        frozen._heartbeat = _no_heartbeat  # type: ignore[method-assign]
        stuck.append(asyncio.create_task(frozen.drain(PR)))
        await asyncio.sleep(0.2)
    recorder = Recorder()

    with caplog.at_level(logging.ERROR):
        ran = await Drainer(arq_redis, recorder, quick).drain(PR)
    for task in stuck:
        task.cancel()
    await asyncio.gather(*stuck, return_exceptions=True)

    assert ran == 1
    assert [j.command for j in recorder.ran] == ["help"]
    assert "job dropped" in caplog.text


async def test_a_drain_stopped_mid_job_hands_the_job_back_first_in_line(
    arq_redis: ArqRedis,
) -> None:
    queue = RedisQueue(arq_redis)
    await queue.accept("d-1", [job(JobKind.COMMAND, command="first")])
    await queue.accept("d-2", [job(JobKind.COMMAND, command="second")])
    stopped = asyncio.create_task(Drainer(arq_redis, _never_returns).drain(PR))
    await asyncio.sleep(0.05)
    stopped.cancel()
    await asyncio.gather(stopped, return_exceptions=True)
    recorder = Recorder()

    ran = await Drainer(arq_redis, recorder).drain(PR)

    assert ran == 2
    assert [j.command for j in recorder.ran] == ["first", "second"]


async def test_a_long_drain_lets_go_after_its_budget_and_asks_for_another(
    arq_redis: ArqRedis,
) -> None:
    queue, recorder = RedisQueue(arq_redis), Recorder()
    for index in range(3):
        await queue.accept(f"d-{index}", [job(JobKind.COMMAND, command=str(index))])
    await arq_redis.delete(ARQ_QUEUE)

    ran = await Drainer(arq_redis, recorder, DrainSettings(budget_seconds=0)).drain(PR)

    assert ran == 1
    assert await queue.depth() == 2
    assert await arq_redis.zcard(ARQ_QUEUE) == 1


async def test_the_sweep_kicks_pull_requests_with_work_and_no_drain(arq_redis: ArqRedis) -> None:
    queue = RedisQueue(arq_redis)
    await queue.accept("d-1", [job(JobKind.ANALYZE, number=1)])
    await queue.accept("d-2", [job(JobKind.ANALYZE, number=2)])
    await arq_redis.delete(ARQ_QUEUE)  # as if the web process died before asking
    await arq_redis.set("ai-review:pr:acme/widgets#2:lock", "someone", px=10_000)

    kicked = await Drainer(arq_redis, Recorder()).sweep()

    assert kicked == 1
    assert await arq_redis.zcard(ARQ_QUEUE) == 1


async def test_depth_and_oldest_age_count_queued_and_running_jobs(arq_redis: ArqRedis) -> None:
    queue = RedisQueue(arq_redis)
    await queue.accept("d-1", [job(JobKind.ANALYZE, number=1), job(JobKind.ANALYZE, number=2)])
    await queue.accept("d-2", [job(JobKind.COMMAND, number=2, command="help")])
    await asyncio.sleep(0.05)

    assert await queue.depth() == 3
    assert 0.05 <= await queue.oldest_age() < 5


async def test_readiness_fails_while_draining(arq_redis: ArqRedis) -> None:
    queue = RedisQueue(arq_redis)
    assert await queue.healthy()
    queue.draining()
    assert not await queue.healthy()


async def test_readiness_fails_when_redis_does_not_answer() -> None:
    gone = ArqRedis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1)

    assert not await RedisQueue(gone).healthy()
    assert not await RedisStore(gone).healthy()
    await gone.aclose()


async def test_the_store_keeps_check_runs_and_the_audit_log(arq_redis: ArqRedis) -> None:
    store = RedisStore(arq_redis)
    await store.remember_check_run("acme/widgets", "a" * 40, 42)
    await store.audit({"action": "override", "by": "root", "reason": "INC-42"})

    assert await store.check_run("acme/widgets", "a" * 40) == 42
    assert await store.check_run("acme/widgets", "b" * 40) is None
    (entry,) = await store.audit_log()
    assert entry["by"] == "root"
    assert float(entry["at"]) > 0


async def _overlap(enter: list[object]) -> int:
    """Run one short critical section under each lock at once; the most inside together."""
    inside = most = 0

    async def section(lock: object) -> None:
        nonlocal inside, most
        async with lock:  # type: ignore[attr-defined]
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.005)
            inside -= 1

    await asyncio.gather(*(section(lock) for lock in enter))
    return most


async def test_write_locks_serialize_an_installation_across_processes(
    arq_redis: ArqRedis,
) -> None:
    # Two RedisWriteLocks stand for two worker processes sharing one Redis.
    first, second = RedisWriteLocks(arq_redis), RedisWriteLocks(arq_redis)

    same = await _overlap([locks("7") for locks in (first, second) for _ in range(5)])
    different = await _overlap([first("7"), second("8")])

    assert (same, different) == (1, 2)
    assert await arq_redis.keys("ai-review:installation:*") == []


async def test_a_write_lock_left_by_a_dead_process_expires(
    arq_redis: ArqRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.queue.redis_locks.WRITE_HOLD_SECONDS", 0.2)
    await arq_redis.set("ai-review:installation:7:write", "dead", px=200)
    started = asyncio.get_running_loop().time()

    async with RedisWriteLocks(arq_redis)("7"):
        waited = asyncio.get_running_loop().time() - started

    assert 0.1 < waited < 2


async def test_a_request_cancelled_while_waiting_for_the_write_lock_leaves_it_free(
    arq_redis: ArqRedis,
) -> None:
    locks = RedisWriteLocks(arq_redis)
    await arq_redis.set("ai-review:installation:7:write", "another-worker", px=10_000)
    waiting = asyncio.create_task(locks("7").__aenter__())
    await asyncio.sleep(0.05)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    await arq_redis.delete("ai-review:installation:7:write")

    async with asyncio.timeout(2), locks("7"):
        held = await arq_redis.get("ai-review:installation:7:write")

    assert held is not None
