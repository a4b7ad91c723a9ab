"""The scaled-out store: pull request states, check runs per head, open checks and the audit
log in Redis; analyses in this process's memory."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from typing import cast

from arq.connections import ArqRedis
from redis.exceptions import RedisError

from bot.engine.pull_state import PullState
from bot.engine.result import Analysis
from bot.queue.redis_connection import PREFIX, as_text
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

AUDIT = PREFIX + "audit"
OPEN_CHECKS = PREFIX + "open-checks"  # hash: repo@head -> the open check's JSON
CHECK_RUN_TTL_SECONDS = 90 * 24 * 3600
# A pull request's state outlives any review of it; kept a year after its last change.
PULL_STATE_TTL_SECONDS = 366 * 24 * 3600

# KEYS: open checks hash. ARGV: field, the value read, the swept value. 1 when claimed.
_CLAIM_OPEN_CHECK = """
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
"""


class RedisStore:
    """Check runs per head and the audit log in Redis; analyses in this process's memory."""

    def __init__(self, redis: ArqRedis) -> None:
        self._redis = redis
        self._analyses = AnalysisCache()
        self._claim_open = redis.register_script(_CLAIM_OPEN_CHECK)

    async def pull_state(self, key: str) -> PullState:
        return decode_pull_state(key, await self._redis.get(f"{PREFIX}state:{key}"))

    async def save_pull_state(self, key: str, state: PullState) -> None:
        await self._redis.set(
            f"{PREFIX}state:{key}", encode_pull_state(state), ex=PULL_STATE_TTL_SECONDS
        )

    async def note_open_check(self, check: OpenCheck) -> None:
        field = f"{check.repo}@{check.head_sha}"
        await self._redis.hset(OPEN_CHECKS, field, encode_open_check(check))  # type: ignore[misc]

    async def close_open_check(self, repo: str, head_sha: str) -> None:
        await self._redis.hdel(OPEN_CHECKS, f"{repo}@{head_sha}")  # type: ignore[misc]

    async def stale_open_checks(self, before: float) -> list[OpenCheck]:
        # Several workers sweep: each open check is claimed by one of them (HSET of the
        # swept copy only where the field still holds what this worker read).
        stale = []
        entries = await self._redis.hgetall(OPEN_CHECKS)  # type: ignore[misc]
        for raw_field, raw in entries.items():
            repo, _, head_sha = as_text(raw_field).rpartition("@")
            check = decode_open_check(repo, head_sha, raw)
            if check.since >= before:
                continue
            if check.sweeps >= MAX_SWEEPS:
                log.error(
                    "gave up on a check run that %d reviews could not complete",
                    MAX_SWEEPS,
                    extra={"repo": repo, "head_sha": head_sha},
                )
                await self._redis.hdel(OPEN_CHECKS, as_text(raw_field))  # type: ignore[misc]
                continue
            swept = encode_open_check(replace(check, sweeps=check.sweeps + 1, since=time.time()))
            claimed = await self._claim_open(keys=[OPEN_CHECKS], args=[raw_field, raw, swept])
            if claimed:
                stale.append(check)
        return stale

    async def check_run(self, repo: str, head_sha: str) -> int | None:
        found = await self._redis.get(f"{PREFIX}check:{repo}:{head_sha}")
        return None if found is None else int(found)

    async def remember_check_run(self, repo: str, head_sha: str, check_id: int) -> None:
        await self._redis.set(
            f"{PREFIX}check:{repo}:{head_sha}", check_id, ex=CHECK_RUN_TTL_SECONDS
        )

    async def analysis(self, key: str) -> Analysis | None:
        return self._analyses.get(key)

    async def remember_analysis(self, key: str, analysis: Analysis) -> None:
        self._analyses.put(key, analysis)

    async def audit(self, entry: dict[str, str]) -> None:
        await self._redis.rpush(AUDIT, json.dumps({"at": str(time.time()), **entry}))  # type: ignore[misc]

    async def audit_log(self) -> list[dict[str, str]]:
        rows = await self._redis.lrange(AUDIT, 0, -1)  # type: ignore[misc]
        return [cast(dict[str, str], json.loads(row)) for row in rows]

    async def healthy(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            return False
