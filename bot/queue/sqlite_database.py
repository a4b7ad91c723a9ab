"""The embedded default backend's database: one SQLite file (WAL) for the queue, deliveries and
records, shared by `sqlite_queue` and `sqlite_store`.

A delivery is written here, with the jobs it asks for, in one transaction before GitHub gets
its 202; a job is deleted only once it has run. A process killed mid-job (kill -9, OOM) leaves
the job `running`; the next start hands it back to the queue, so it runs again. Side effects
are idempotent anyway (one comment, one check run per head), so running twice is harmless.

SQLite serves one process (many threads of it); several processes share work through Redis.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bot.queue.jobs import Job

T = TypeVar("T")
log = logging.getLogger(__name__)
CHECKPOINT_EVERY_SECONDS = 2.0
MAX_STARTS = 3  # a job whose process died this many times mid-job is dropped (logged)

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
                    extra={"job": describe_job(Job.from_json(json.loads(body)))},
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


def describe_job(job: Job) -> dict[str, object]:
    """Which job, for a log line: its kind, pull request and delivery, nothing else."""
    return {"kind": job.kind.value, "pr": job.pr_key, "delivery": job.delivery_id}
