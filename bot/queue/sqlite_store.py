"""The embedded default store: pull request states, check runs, open checks and the audit log
in the SQLite database (`sqlite_database`); analyses cached in memory."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from dataclasses import replace
from functools import partial

from bot.engine.pull_state import PullState
from bot.engine.result import Analysis
from bot.queue.sqlite_database import Database
from bot.queue.store import (
    MAX_SWEEPS,
    AnalysisCache,
    OpenCheck,
    decode_open_check,
    decode_pull_state,
    encode_open_check,
    encode_pull_state,
)

log = logging.getLogger(__name__)


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
