"""The embedded default queue: per pull request one job at a time, the newest review only,
commands in order, kept in the SQLite database (`sqlite_database`) and run by this process's
own tasks."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from bot.queue.jobs import Job
from bot.queue.sqlite_database import Database, describe_job
from bot.queue.store import DELIVERY_TTL_SECONDS

log = logging.getLogger(__name__)
PURGE_EVERY_SECONDS = 60.0  # deliveries older than the TTL are deleted this often
FINISH_RETRY_SECONDS = 0.1


def _accept(
    connection: sqlite3.Connection, delivery_id: str, jobs: Sequence[Job], now: float, purge: bool
) -> bool:
    if purge:
        connection.execute("DELETE FROM deliveries WHERE seen < ?", (now - DELIVERY_TTL_SECONDS,))
    seen = connection.execute(
        "INSERT OR IGNORE INTO deliveries (id, seen) VALUES (?, ?)", (delivery_id, now)
    )
    if seen.rowcount == 0:
        return False
    for job in jobs:
        _insert(connection, with_known_head(connection, job), now)
    return True


def with_known_head(connection: sqlite3.Connection, job: Job) -> Job:
    """Track the head each pull request's deliveries named, in delivery order: a review job
    records it, and a comment job (which GitHub sends without a head) is bound to it, so a
    command applies to the head the pull request had when it was made."""
    if job.is_review and job.head_sha:
        connection.execute(
            "INSERT OR REPLACE INTO pr_heads (pr_key, head_sha) VALUES (?, ?)",
            (job.pr_key, job.head_sha),
        )
        return job
    if job.head_sha:
        return job
    row = connection.execute(
        "SELECT head_sha FROM pr_heads WHERE pr_key = ?", (job.pr_key,)
    ).fetchone()
    return job if row is None else replace(job, head_sha=str(row[0]))


def _insert(connection: sqlite3.Connection, job: Job, now: float) -> None:
    """Queue a job; a review replaces the PR's queued review (kinds merged), commands append."""
    body = job.to_json()
    if job.is_review:
        queued = connection.execute(
            "SELECT id, body FROM jobs WHERE pr_key = ? AND review = 1 AND state = 'queued'",
            (job.pr_key,),
        ).fetchone()
        if queued is not None:
            older = Job.from_json(json.loads(queued[1]))
            body["kind"] = older.kind.merge(job.kind).value
            connection.execute(
                "UPDATE jobs SET body = ? WHERE id = ?", (json.dumps(body), queued[0])
            )
            return
    connection.execute(
        "INSERT INTO jobs (pr_key, review, body, created) VALUES (?, ?, ?, ?)",
        (job.pr_key, int(job.is_review), json.dumps(body), now),
    )


def _claim(connection: sqlite3.Connection) -> tuple[int, Job] | None:
    """A queued job of the pull request whose oldest job waits longest among those with
    nothing running, marked running: its review if one waits (reviews and approvals never
    wait behind commands, however many were queued), else its oldest job."""
    oldest = connection.execute(
        "SELECT pr_key FROM jobs AS j WHERE state = 'queued' AND NOT EXISTS "
        "(SELECT 1 FROM jobs WHERE pr_key = j.pr_key AND state = 'running') "
        "ORDER BY id LIMIT 1"
    ).fetchone()
    if oldest is None:
        return None
    row = connection.execute(
        "SELECT id, body FROM jobs WHERE pr_key = ? AND state = 'queued' "
        "ORDER BY review DESC, id LIMIT 1",
        (oldest[0],),
    ).fetchone()
    connection.execute(
        "UPDATE jobs SET state = 'running', starts = starts + 1 WHERE id = ?", (row[0],)
    )
    return int(row[0]), Job.from_json(json.loads(row[1]))


def _finish(connection: sqlite3.Connection, job_id: int) -> None:
    connection.execute("DELETE FROM jobs WHERE id = ?", (job_id,))


class SqliteQueue:
    """The durable queue: per PR one job at a time, the newest review only, commands in order."""

    def __init__(self, database: Database, run: Callable[[Job], Any], workers: int = 4) -> None:
        self._db = database
        self._run = run
        self._workers = workers
        # One ticket per event that may have made a job runnable (a job queued, a job of the
        # same PR finished); a runner takes one before it looks. So a runnable job always has
        # a ticket out, and an idle runner sleeps instead of asking the database again.
        self._tickets = asyncio.Semaphore(0)
        self._tasks: list[asyncio.Task[None]] = []
        self._busy = 0
        self._stopping = False
        self._purged = 0.0

    async def accept(self, delivery_id: str, jobs: Sequence[Job]) -> bool:
        now = time.time()
        purge = now - self._purged > PURGE_EVERY_SECONDS
        if purge:
            self._purged = now
        accepted = await self._db.run(lambda c: _accept(c, delivery_id, jobs, now, purge))
        if accepted:
            for _ in jobs:
                self._tickets.release()
        return accepted

    def start(self) -> None:
        # Jobs left from the last run (handed back, or running when it died).
        for _ in range(self._workers):
            self._tickets.release()
        self._tasks = [
            asyncio.create_task(self._worker(), name=f"job-worker-{i}")
            for i in range(self._workers)
        ]

    async def depth(self) -> int:
        return await self._count()

    async def oldest_age(self) -> float:
        """Seconds the oldest waiting job has waited (0 when none waits)."""
        created = await self._db.run(
            lambda c: c.execute("SELECT MIN(created) FROM jobs WHERE state = 'queued'").fetchone()
        )
        return 0.0 if created[0] is None else max(0.0, time.time() - float(created[0]))

    async def _count(self) -> int:
        return await self._db.run(
            lambda c: int(c.execute("SELECT COUNT(*) FROM jobs").fetchone()[0])
        )

    async def _worker(self) -> None:
        while True:
            await self._tickets.acquire()
            if self.is_draining:
                return
            try:
                claimed = await self._db.run(_claim)
            except sqlite3.Error:
                log.exception("could not take a job from the queue; trying again in 1 s")
                await asyncio.sleep(1)
                self._tickets.release()
                continue
            if claimed is None:
                continue
            job_id, job = claimed
            self._busy += 1
            try:
                await self._run(job)
            except asyncio.CancelledError:
                # Shutdown's deadline passed mid-job: hand it back for the next start.
                await asyncio.shield(self._db.run(partial(_requeue, job_id=job_id)))
                raise
            except Exception:  # the runner's own bug: the job is done, the runner goes on
                log.exception("job runner raised", extra={"job": describe_job(job)})
            finally:
                self._busy -= 1
            await self._finish(job_id, job)
            # The PR may have more waiting; and there may be more than the tickets said.
            self._tickets.release()

    async def _finish(self, job_id: int, job: Job) -> None:
        """Delete a job that ran. A database error here must not leave it `running` (every
        later job of its pull request would wait behind it) nor end this runner: it is tried
        again, with a growing pause, until the database answers."""
        pause = FINISH_RETRY_SECONDS
        while True:
            try:
                await self._db.run(partial(_finish, job_id=job_id))
            except sqlite3.Error:
                log.exception(
                    "could not mark a job done; trying again in %.1f s",
                    pause,
                    extra={"job": describe_job(job)},
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)
                continue
            return

    async def join(self) -> None:
        """Wait until the queue is empty and nothing runs (tests, graceful shutdown)."""
        while await self._count() or self._busy:
            await asyncio.sleep(0.02)

    async def healthy(self) -> bool:
        if self._stopping:
            return False  # readiness goes 503 first, so no new deliveries are sent here
        try:
            await self._count()
        except sqlite3.Error:
            return False
        return True

    @property
    def is_draining(self) -> bool:
        return self._stopping

    def draining(self) -> None:
        """Take no new jobs; readiness answers 503 from now on."""
        self._stopping = True
        for _ in range(self._workers):
            self._tickets.release()

    async def stop(self, deadline: float = 25.0) -> None:
        """Finish the jobs in flight within `deadline` seconds, then hand the rest back."""
        self.draining()
        _, pending = await asyncio.wait(self._tasks, timeout=deadline) if self._tasks else ((), ())
        for task in pending:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []


def _requeue(connection: sqlite3.Connection, job_id: int) -> None:
    """Handed back at shutdown: not a start that failed."""
    connection.execute(
        "UPDATE jobs SET state = 'queued', starts = starts - 1 WHERE id = ?", (job_id,)
    )
