"""A comment's command binds to the head the pull request had when it was made: both queues
record the head each pull request's deliveries name, in delivery order, and give it to the
comment jobs that follow (GitHub sends comments without a head). Both stores keep a pull
request's state as written, and refuse to guess at one they cannot read."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from arq.connections import ArqRedis

from bot.engine.policy import Override
from bot.engine.pull_state import AISighting, Declaration, PullState
from bot.queue.jobs import Job, JobKind
from bot.queue.redis_queue import Drainer, RedisQueue
from bot.queue.redis_store import RedisStore
from bot.queue.sqlite_database import Database
from bot.queue.sqlite_queue import SqliteQueue
from bot.queue.sqlite_store import SqliteStore
from bot.queue.store import MAX_SWEEPS, OpenCheck, StoredStateError, pull_key
from tests.redis_kit import (  # noqa: F401  (registers the fixtures)
    arq_redis_fixture,
    redis_server,
    redis_url_fixture,
)

H1, H2 = "1" * 40, "2" * 40


def review(head: str, delivery: str) -> Job:
    return Job(JobKind.ANALYZE, "7", "acme", "widgets", 1, "main", head, delivery)


def command(delivery: str, name: str, comment_id: int) -> Job:
    return Job(
        JobKind.COMMAND,
        "7",
        "acme",
        "widgets",
        1,
        "",
        "",
        delivery,
        command=name,
        comment_id=comment_id,
        sender="root",
    )


SEQUENCE = [
    ("d-1", review(H1, "d-1")),
    ("d-2", command("d-2", "override", 11)),
    ("d-3", review(H2, "d-3")),
    ("d-4", command("d-4", "recheck", 12)),
]


class Recorder:
    def __init__(self) -> None:
        self.ran: list[Job] = []

    async def __call__(self, job: Job) -> None:
        self.ran.append(job)


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(tmp_path / "bot.sqlite3")
    yield db
    db.close()


def commands_heads(ran: list[Job]) -> list[tuple[str, str]]:
    return [(job.command, job.head_sha) for job in ran if job.kind is JobKind.COMMAND]


async def test_embedded_queue_binds_commands_to_the_head_delivered_before_them(
    database: Database,
) -> None:
    recorder = Recorder()
    queue = SqliteQueue(database, recorder, workers=1)
    for delivery, job in SEQUENCE:
        await queue.accept(delivery, [job])
    queue.start()
    await asyncio.wait_for(queue.join(), 10)
    await queue.stop()

    assert commands_heads(recorder.ran) == [("override", H1), ("recheck", H2)]


async def test_redis_queue_binds_commands_to_the_head_delivered_before_them(
    arq_redis: ArqRedis,
) -> None:
    recorder, queue = Recorder(), RedisQueue(arq_redis)
    for delivery, job in SEQUENCE:
        await queue.accept(delivery, [job])

    await Drainer(arq_redis, recorder).drain("acme/widgets#1")

    assert commands_heads(recorder.ran) == [("override", H1), ("recheck", H2)]


async def test_a_command_on_a_pull_request_never_delivered_before_has_no_head(
    database: Database, arq_redis: ArqRedis
) -> None:
    embedded, redis_recorder = Recorder(), Recorder()
    queue = SqliteQueue(database, embedded, workers=1)
    await queue.accept("d-1", [command("d-1", "override", 11)])
    queue.start()
    await asyncio.wait_for(queue.join(), 10)
    await queue.stop()
    await RedisQueue(arq_redis).accept("d-1", [command("d-1", "override", 11)])
    await Drainer(arq_redis, redis_recorder).drain("acme/widgets#1")

    assert commands_heads(embedded.ran) == commands_heads(redis_recorder.ran) == [("override", "")]


STATE = (
    PullState(
        declaration=Declaration("alice", None, "written by hand", H1),
        override=Override("root", "prod is down", H1),
        ai_seen=AISighting(H1, "claude-code", "trailer: Co-Authored-By: Claude"),
        comment_id=99,
        edited_until="2026-12-04T10:00:00Z",
    )
    .tick("sql-params", "alice", H1)
    .with_command(5)
    .with_command(3)
)


async def test_both_stores_keep_a_pull_requests_state_as_written(
    database: Database, arq_redis: ArqRedis
) -> None:
    key = pull_key("7", "Acme", "Widgets", 1)
    for store in (SqliteStore(database), RedisStore(arq_redis)):
        assert await store.pull_state(key) == PullState()
        await store.save_pull_state(key, STATE)
        assert await store.pull_state(key) == STATE
        assert await store.pull_state(pull_key("7", "acme", "widgets", 2)) == PullState()


async def test_a_state_the_store_cannot_read_is_an_error_not_an_empty_state(
    database: Database, arq_redis: ArqRedis
) -> None:
    key = pull_key("7", "acme", "widgets", 1)
    await database.run(
        lambda c: c.execute(
            "INSERT INTO pull_states (key, body, updated) VALUES (?, ?, 0)",
            (key, '{"ticks": ["not", "a", "mapping"]}'),
        )
    )
    await arq_redis.set(f"ai-review:state:{key}", "{not json")

    for store in (SqliteStore(database), RedisStore(arq_redis)):
        with pytest.raises(StoredStateError, match="cannot be read"):
            await store.pull_state(key)


def test_commands_are_remembered_once_and_the_oldest_forgotten_are_refused() -> None:
    state = PullState()
    for comment_id in range(1000, 1000 + 2001):
        state = state.with_command(comment_id)

    assert len(state.commands_done) == 2000
    assert state.command_seen(3000)
    assert state.command_seen(1000)  # forgotten, and older than every remembered one
    assert not state.command_seen(3001)


async def test_a_review_never_waits_behind_a_flood_of_commands(
    database: Database, arq_redis: ArqRedis
) -> None:
    flood = [command(f"d-c{i}", "help", 100 + i) for i in range(40)]
    approval = Job(JobKind.GATE, "7", "acme", "widgets", 1, "main", H1, "d-approval")
    embedded, redis_recorder = Recorder(), Recorder()
    queue = SqliteQueue(database, embedded, workers=1)
    redis_queue = RedisQueue(arq_redis)
    for job in [*flood, approval]:
        await queue.accept(job.delivery_id, [job])
        await redis_queue.accept(job.delivery_id, [job])

    queue.start()
    await asyncio.wait_for(queue.join(), 10)
    await queue.stop()
    await Drainer(arq_redis, redis_recorder).drain("acme/widgets#1")

    for ran in (embedded.ran, redis_recorder.ran):
        assert ran[0].delivery_id == "d-approval"
        assert [job.comment_id for job in ran[1:]] == list(range(100, 140))  # still in order


async def test_both_stores_hand_out_check_runs_left_open_and_give_up_after_five_sweeps(
    database: Database, arq_redis: ArqRedis
) -> None:
    review_job = review(H1, "d-1")
    for store in (SqliteStore(database), RedisStore(arq_redis)):
        await store.note_open_check(OpenCheck("acme/widgets", H1, review_job, since=100.0))
        await store.note_open_check(OpenCheck("acme/widgets", H2, review_job, since=100.0))
        await store.close_open_check("acme/widgets", H2)

        swept = [await store.stale_open_checks(before=10**10) for _ in range(MAX_SWEEPS + 1)]

        assert [[(c.head_sha, c.sweeps) for c in found] for found in swept] == [
            *([(H1, n)] for n in range(MAX_SWEEPS)),
            [],
        ]
        assert swept[0][0].job == review_job
        assert await store.stale_open_checks(before=10**10) == []
        # a check noted just now is not stale yet
        await store.note_open_check(OpenCheck("acme/widgets", H2, review_job, since=10**10))
        assert await store.stale_open_checks(before=10**9) == []
