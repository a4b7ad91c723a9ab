"""The embedded default backend: one SQLite file (WAL) for the queue, deliveries and records.

A delivery is written here, with the jobs it asks for, in one transaction before GitHub gets
its 202; a job is deleted only once it has run. A process killed mid-job (kill -9, OOM) leaves
the job `running`; the next start hands it back to the queue, so it runs again. Side effects
are idempotent anyway (one comment, one check run per head), so running twice is harmless.

SQLite serves one process (many threads of it); several processes share work through Redis.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from bot.app.jobs import Job
from bot.app.store import (
    DELIVERY_TTL_SECONDS,
    MAX_SWEEPS,
    AnalysisCache,
    OpenCheck,
    decode_open_check,
    decode_pull_state,
    encode_open_check,
    encode_pull_state,
)
from bot.engine.pull_state import PullState
from bot.engine.result import Analysis

T = TypeVar("T")
log = logging.getLogger(__name__)
CHECKPOINT_EVERY_SECONDS = 2.0
PURGE_EVERY_SECONDS = 60.0  # deliveries older than the TTL are deleted this often
MAX_STARTS = 3  # a job whose process died this many times mid-job is dropped (logged)
FINISH_RETRY_SECONDS = 0.1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, seen REAL NOT NULL);
CREATE INDEX IF NOT EXISTS deliveries_seen ON deliveries (seen);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pr_key TEXT NOT NULL,
    review INTEGER NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_pr ON jobs (pr_key, state);
CREATE TABLE IF NOT EXISTS check_runs (
    repo TEXT NOT NULL, head_sha TEXT NOT NULL, id INTEGER NOT NULL,
    PRIMARY KEY (repo, head_sha)
);
CREATE TABLE IF NOT EXISTS audit (at REAL NOT NULL, entry TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS open_checks (
    repo TEXT NOT NULL, head_sha TEXT NOT NULL, body TEXT NOT NULL, since REAL NOT NULL,
    PRIMARY KEY (repo, head_sha)
);
CREATE TABLE IF NOT EXISTS pr_heads (pr_key TEXT PRIMARY KEY, head_sha TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pull_states (
    key TEXT PRIMARY KEY, body TEXT NOT NULL, updated REAL NOT NULL
);
"""


class DatabaseError(Exception):
    """The database URL cannot be used; the message says why."""


def sqlite_path(database_url: str) -> Path:
    """`sqlite:///relative.db` or `sqlite:////absolute.db` to a path."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix) or len(database_url) == len(prefix):
        raise DatabaseError(
            f"DATABASE_URL {database_url.split(':', 1)[0]}:… is not supported: use "
            "sqlite:///PATH (embedded), and REDIS_URL to scale out"
        )
    return Path(database_url[len(prefix) :])


class Database:
    """One connection; each transaction runs to its end on the event loop, one at a time.

    A transaction here is a few statements on small rows, and its commit does not wait for the
    disk (WAL with synchronous=NORMAL; checkpoints run on a thread of their own), so it takes
    well under a millisecond: cheaper than handing it to a thread and waiting for the GIL back.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=NORMAL")
            # Checkpoints (the only step that waits for the disk) run on a thread of their own,
            # not in the middle of a delivery's commit.
            self._connection.execute("PRAGMA wal_autocheckpoint=0")
            self._connection.execute("PRAGMA busy_timeout=5000")
            self._connection.executescript(_SCHEMA)
            columns = {row[1] for row in self._connection.execute("PRAGMA table_info(jobs)")}
            if "starts" not in columns:  # databases made before jobs counted their starts
                self._connection.execute(
                    "ALTER TABLE jobs ADD COLUMN starts INTEGER NOT NULL DEFAULT 0"
                )
            # The previous process died with these running: hand them back, unless they have
            # been started MAX_STARTS times already (a job that kills its process).
            for job_id, body in self._connection.execute(
                "SELECT id, body FROM jobs WHERE state = 'running' AND starts >= ?", (MAX_STARTS,)
            ).fetchall():
                log.error(
                    "job dropped after %d starts that never finished",
                    MAX_STARTS,
                    extra={"job": _describe(body)},
                )
                self._connection.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
            self._connection.execute("UPDATE jobs SET state = 'queued' WHERE state = 'running'")

        self._closing = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._checkpoint, args=(path,), name="sqlite-checkpoint", daemon=True
        )
        self._checkpointer.start()

    def _checkpoint(self, path: Path) -> None:
        """Copy the write-ahead log into the database every few seconds, beside the writer."""
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("PRAGMA busy_timeout=5000")
        try:
            while not self._closing.wait(CHECKPOINT_EVERY_SECONDS):
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:
                    log.warning("WAL checkpoint failed: %s", exc)
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            connection.close()

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in one transaction (async for the Store interface; it does not wait)."""

        def transaction() -> T:
            with self._lock:
                self._connection.execute("BEGIN IMMEDIATE")
                try:
                    result = work(self._connection)
                except BaseException:
                    self._connection.execute("ROLLBACK")
                    raise
                self._connection.execute("COMMIT")
                return result

        return transaction()

    def close(self) -> None:
        self._closing.set()
        self._checkpointer.join()
        with self._lock:
            self._connection.close()


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
                log.exception("job runner raised", extra={"job": _describe_job(job)})
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
                    extra={"job": _describe_job(job)},
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


def _stale_open_checks(connection: sqlite3.Connection, before: float) -> list[OpenCheck]:
    stale = []
    for repo, head_sha, body in connection.execute(
        "SELECT repo, head_sha, body FROM open_checks WHERE since < ?", (before,)
    ).fetchall():
        check = decode_open_check(repo, head_sha, body)
        if check.sweeps >= MAX_SWEEPS:
            log.error(
                "gave up on a check run that %d reviews could not complete",
                MAX_SWEEPS,
                extra={"repo": repo, "head_sha": head_sha},
            )
            connection.execute(
                "DELETE FROM open_checks WHERE repo = ? AND head_sha = ?", (repo, head_sha)
            )
            continue
        swept = replace(check, sweeps=check.sweeps + 1, since=time.time())
        connection.execute(
            "UPDATE open_checks SET body = ?, since = ? WHERE repo = ? AND head_sha = ?",
            (encode_open_check(swept), swept.since, repo, head_sha),
        )
        stale.append(check)
    return stale


def _requeue(connection: sqlite3.Connection, job_id: int) -> None:
    """Handed back at shutdown: not a start that failed."""
    connection.execute(
        "UPDATE jobs SET state = 'queued', starts = starts - 1 WHERE id = ?", (job_id,)
    )


def _describe(body: str) -> dict[str, object]:
    return _describe_job(Job.from_json(json.loads(body)))


def _describe_job(job: Job) -> dict[str, object]:
    """Which job, for a log line: its kind, pull request and delivery, nothing else."""
    return {"kind": job.kind.value, "pr": job.pr_key, "delivery": job.delivery_id}


class SqliteStore:
    """Check runs and the audit log on disk; analyses (recomputable) cached in memory."""

    def __init__(self, database: Database, max_analyses: int = 1000) -> None:
        self._db = database
        self._analyses = AnalysisCache(max_analyses)

    async def pull_state(self, key: str) -> PullState:
        row = await self._db.run(
            lambda c: c.execute("SELECT body FROM pull_states WHERE key = ?", (key,)).fetchone()
        )
        return decode_pull_state(key, None if row is None else row[0])

    async def save_pull_state(self, key: str, state: PullState) -> None:
        body, now = encode_pull_state(state), time.time()
        await self._db.run(
            lambda c: c.execute(
                "INSERT OR REPLACE INTO pull_states (key, body, updated) VALUES (?, ?, ?)",
                (key, body, now),
            )
        )

    async def note_open_check(self, check: OpenCheck) -> None:
        body = encode_open_check(check)
        await self._db.run(
            lambda c: c.execute(
                "INSERT OR REPLACE INTO open_checks (repo, head_sha, body, since) "
                "VALUES (?, ?, ?, ?)",
                (check.repo, check.head_sha, body, check.since),
            )
        )

    async def close_open_check(self, repo: str, head_sha: str) -> None:
        await self._db.run(
            lambda c: c.execute(
                "DELETE FROM open_checks WHERE repo = ? AND head_sha = ?", (repo, head_sha)
            )
        )

    async def stale_open_checks(self, before: float) -> list[OpenCheck]:
        return await self._db.run(partial(_stale_open_checks, before=before))

    async def check_run(self, repo: str, head_sha: str) -> int | None:
        row = await self._db.run(
            lambda c: c.execute(
                "SELECT id FROM check_runs WHERE repo = ? AND head_sha = ?", (repo, head_sha)
            ).fetchone()
        )
        return None if row is None else int(row[0])

    async def remember_check_run(self, repo: str, head_sha: str, check_id: int) -> None:
        await self._db.run(
            lambda c: c.execute(
                "INSERT OR REPLACE INTO check_runs (repo, head_sha, id) VALUES (?, ?, ?)",
                (repo, head_sha, check_id),
            )
        )

    async def analysis(self, key: str) -> Analysis | None:
        return self._analyses.get(key)

    async def remember_analysis(self, key: str, analysis: Analysis) -> None:
        self._analyses.put(key, analysis)

    async def audit(self, entry: dict[str, str]) -> None:
        now = time.time()
        await self._db.run(
            lambda c: c.execute(
                "INSERT INTO audit (at, entry) VALUES (?, ?)", (now, json.dumps(entry))
            )
        )

    async def audit_log(self) -> list[dict[str, str]]:
        rows = await self._db.run(
            lambda c: c.execute("SELECT at, entry FROM audit ORDER BY rowid").fetchall()
        )
        return [{"at": str(at), **json.loads(entry)} for at, entry in rows]

    async def healthy(self) -> bool:
        try:
            await self._db.run(lambda c: c.execute("SELECT 1").fetchone())
        except sqlite3.Error:
            return False
        return True
