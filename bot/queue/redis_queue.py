"""The scaled-out queue: jobs, de-duplication and per-PR locks in Redis, run by arq workers.

arq moves work between processes: it delivers each "drain this pull request" job to one
worker, re-runs it when the worker died or was stopped mid-job, and runs the periodic sweep.
What arq does not know is the bot's order: per pull request one job at a time, the newest
review only, commands in order. That lives in a mailbox per pull request, changed only by the
Lua scripts below, each atomic on the Redis server:

    ai-review:delivery:ID        a delivery seen (expires after DELIVERY_TTL_SECONDS)
    ai-review:pending            pull requests with work queued or in flight
    ai-review:pr:KEY:queue       the PR's waiting jobs, oldest first
    ai-review:pr:KEY:running     the job in flight, kept until it has run
    ai-review:pr:KEY:tries       how many times that job was started
    ai-review:pr:KEY:lock        which drain holds the PR (a random token, expires unless renewed)
    ai-review:pr:KEY:kicked      a drain is queued or running: more deliveries need not ask

A web process accepts a delivery (one script: remember the id, queue its jobs) and then asks
arq to drain each PR it touched. A drain takes the PR's lock, runs its jobs one by one, and
gives the lock back only when the mailbox is empty, in the same script that looks, so a job
queued meanwhile is never left behind. A drain whose worker died leaves `running` and a lock
that expires; the next drain (arq's re-run, the sweep, or a new delivery) runs that job again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from arq.connections import ArqRedis
from redis.exceptions import RedisError

from bot.queue.jobs import Job
from bot.queue.redis_connection import PREFIX, as_text
from bot.queue.store import DELIVERY_TTL_SECONDS

log = logging.getLogger(__name__)

PENDING = PREFIX + "pending"
DRAIN = "drain"  # the arq function name
HEAD_TTL_SECONDS = 30 * 24 * 3600  # the last head a pull request's deliveries named
MAX_TRIES = 3  # a job whose worker died this many times is dropped (logged): a poison job

# Entries: "R|kind|queued_at|job-json" for reviews (they coalesce), "C|kind|queued_at|..." else.
# KEYS: delivery, pending, then per job its PR's queue, kicked flag and last head seen. ARGV:
# delivery TTL, head TTL, then per job its PR key, entry and head. A review records its head; a
# comment job with no head gets the last one recorded (the head its command was made at).
# Answers 0 for a delivery seen before, else 1 and the PRs that need a drain asked for (none is
# queued or running for them).
_ACCEPT = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) == false then return {0} end
local kick = {1}
local n = (#ARGV - 2) / 3
for i = 1, n do
  local key, entry, head = ARGV[3 * i], ARGV[3 * i + 1], ARGV[3 * i + 2]
  local queue, kicked, last_head = KEYS[3 * i], KEYS[3 * i + 1], KEYS[3 * i + 2]
  if string.sub(entry, 1, 2) == 'R|' then
    if head ~= '' then redis.call('SET', last_head, head, 'EX', ARGV[2]) end
  elseif head == '' then
    local known = redis.call('GET', last_head)
    if known then
      local _, stop = string.find(entry, '^C|[^|]*|[^|]*|')
      local job = cjson.decode(string.sub(entry, stop + 1))
      job['head_sha'] = known
      entry = string.sub(entry, 1, stop) .. cjson.encode(job)
    end
  end
  local merged = false
  if string.sub(entry, 1, 2) == 'R|' then
    local waiting = redis.call('LRANGE', queue, 0, -1)
    for index, old in ipairs(waiting) do
      if string.sub(old, 1, 2) == 'R|' then
        local _, _, old_kind, old_at = string.find(old, '^R|([^|]*)|([^|]*)|')
        local _, stop, kind = string.find(entry, '^R|([^|]*)|[^|]*|')
        if old_kind == 'analyze' then kind = 'analyze' end
        redis.call('LSET', queue, index - 1,
                   'R|' .. kind .. '|' .. old_at .. '|' .. string.sub(entry, stop + 1))
        merged = true
        break
      end
    end
  end
  if not merged then redis.call('RPUSH', queue, entry) end
  redis.call('SADD', KEYS[2], key)
  if redis.call('SET', kicked, '1', 'NX', 'EX', 3600) then table.insert(kick, key) end
end
return kick
"""

# KEYS: lock, running, queue, pending, tries, kicked. ARGV: token, lock ms, pr key, max tries.
# Empty: the lock, the PR's place in `pending` and its kicked flag go in one step, so the next
# delivery asks for a new drain.
_CLAIM = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return {'busy'} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local running = redis.call('GET', KEYS[2])
if running then
  local tries = redis.call('INCR', KEYS[5])
  if tries > tonumber(ARGV[4]) then
    redis.call('DEL', KEYS[2], KEYS[5])
    return {'dropped', running}
  end
  return {'job', running, tostring(tries)}
end
-- The PR's review first, if one waits (reviews never wait behind commands), else its oldest.
local entry = false
for _, waiting in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do
  if string.sub(waiting, 1, 2) == 'R|' then
    entry = waiting
    redis.call('LREM', KEYS[3], 1, waiting)
    break
  end
end
if not entry then entry = redis.call('LPOP', KEYS[3]) end
if not entry then
  redis.call('DEL', KEYS[1], KEYS[6])
  redis.call('SREM', KEYS[4], ARGV[3])
  return {'empty'}
end
redis.call('SET', KEYS[2], entry)
redis.call('SET', KEYS[5], 1)
return {'job', entry, '1'}
"""

# KEYS: lock, running, tries. ARGV: token, lock ms.
_FINISH = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

# KEYS: lock. ARGV: token, lock ms.
_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""

# KEYS: lock, running, queue, pending, tries. ARGV: token, pr key.
# Stopped mid-job: the job goes back to the head of the queue, not counted as a crash.
_HAND_BACK = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local running = redis.call('GET', KEYS[2])
if running then redis.call('LPUSH', KEYS[3], running) end
redis.call('DEL', KEYS[2], KEYS[5], KEYS[1])
redis.call('SADD', KEYS[4], ARGV[2])
return 1
"""

# KEYS: lock. ARGV: token. Let go of a PR that still has work (another drain takes it).
_RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
"""

# KEYS: pending. Jobs waiting or running, and the oldest waiting job's queue time.
_DEPTH = """
local depth, oldest = 0, false
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local queue = ARGV[1] .. 'pr:' .. key
  depth = depth + redis.call('LLEN', queue .. ':queue') + redis.call('EXISTS', queue .. ':running')
  local head = redis.call('LINDEX', queue .. ':queue', 0)
  if head then
    local _, _, at = string.find(head, '^[RC]|[^|]*|([^|]*)|')
    if at and (not oldest or tonumber(at) < oldest) then oldest = tonumber(at) end
  end
end
return {depth, tostring(oldest or '')}
"""


def _keys(pr_key: str) -> tuple[str, str, str, str]:
    """lock, running, queue, tries of one pull request."""
    base = f"{PREFIX}pr:{pr_key}"
    return f"{base}:lock", f"{base}:running", f"{base}:queue", f"{base}:tries"


def _kicked(pr_key: str) -> str:
    """Set while a drain of the PR is queued or running: more deliveries need not ask again."""
    return f"{PREFIX}pr:{pr_key}:kicked"


def _entry(job: Job, now: float) -> str:
    return "|".join(
        ("R" if job.is_review else "C", job.kind.value, f"{now:.3f}", json.dumps(job.to_json()))
    )


def _job(entry: str) -> Job:
    _, kind, _, body = entry.split("|", 3)
    return Job.from_json({**json.loads(body), "kind": kind})


class RedisQueue:
    """The web side: accept deliveries into Redis and ask arq to drain the PRs they touch."""

    def __init__(self, redis: ArqRedis) -> None:
        self._redis = redis
        self._accept = redis.register_script(_ACCEPT)
        self._depth = redis.register_script(_DEPTH)
        self._stopping = False

    async def accept(self, delivery_id: str, jobs: Sequence[Job]) -> bool:
        now = time.time()
        keys = [f"{PREFIX}delivery:{delivery_id}", PENDING]
        args: list[str | int] = [DELIVERY_TTL_SECONDS, HEAD_TTL_SECONDS]
        for job in jobs:
            keys += [_keys(job.pr_key)[2], _kicked(job.pr_key), f"{PREFIX}pr:{job.pr_key}:head"]
            args += [job.pr_key, _entry(job, now), job.head_sha]
        accepted, *to_kick = await self._accept(keys=keys, args=args)
        if not accepted:
            return False
        for pr_key in to_kick:
            await kick(self._redis, as_text(pr_key))
        return True

    async def depth(self) -> int:
        depth, _ = await self._depth(keys=[PENDING], args=[PREFIX])
        return int(depth)

    async def oldest_age(self) -> float:
        _, oldest = await self._depth(keys=[PENDING], args=[PREFIX])
        text = as_text(oldest)
        return max(0.0, time.time() - float(text)) if text else 0.0

    async def healthy(self) -> bool:
        if self._stopping:
            return False
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            return False

    @property
    def is_draining(self) -> bool:
        return self._stopping

    def draining(self) -> None:
        """Readiness answers 503 from now on; the jobs themselves live in Redis."""
        self._stopping = True

    def start(self) -> None:
        """Nothing runs here: `ai-review-bot worker` processes run the jobs."""

    async def stop(self, deadline: float = 25.0) -> None:
        self.draining()

    async def join(self, poll: float = 0.05) -> None:
        """Wait until no pull request has work queued or in flight (tests, benchmarks)."""
        while await self._redis.scard(PENDING):  # type: ignore[misc]
            await asyncio.sleep(poll)


async def kick(redis: ArqRedis, pr_key: str) -> None:
    """Ask some worker to drain a PR. Extra kicks are cheap: they find the PR busy or empty."""
    await redis.enqueue_job(DRAIN, pr_key)


@dataclass(frozen=True, slots=True)
class DrainSettings:
    lock_seconds: float = 30.0  # a dead worker's PR is taken over after this long
    budget_seconds: float = 60.0  # then the drain lets go, so other PRs get a turn


class Drainer:
    """The worker side: run one PR's jobs in order while holding its lock."""

    def __init__(
        self,
        redis: ArqRedis,
        run: Callable[[Job], Awaitable[None]],
        settings: DrainSettings | None = None,
    ) -> None:
        self._redis = redis
        self._run = run
        self._settings = settings or DrainSettings()
        self._claim = redis.register_script(_CLAIM)
        self._finish = redis.register_script(_FINISH)
        self._renew = redis.register_script(_RENEW)
        self._hand_back = redis.register_script(_HAND_BACK)
        self._release = redis.register_script(_RELEASE)

    @property
    def _lock_ms(self) -> int:
        return int(self._settings.lock_seconds * 1000)

    async def drain(self, pr_key: str) -> int:
        """Run the PR's jobs until its mailbox is empty; the number run (0: busy or empty)."""
        lock, running, queue, tries = _keys(pr_key)
        token = uuid.uuid4().hex
        ran = 0
        until = time.monotonic() + self._settings.budget_seconds
        while True:
            if ran and time.monotonic() > until:
                # Fair to other PRs: let go and queue a fresh drain behind them.
                await self._release(keys=[lock], args=[token])
                await kick(self._redis, pr_key)
                return ran
            answer = [
                as_text(part)
                for part in await self._claim(
                    keys=[lock, running, queue, PENDING, tries, _kicked(pr_key)],
                    args=[token, self._lock_ms, pr_key, MAX_TRIES],
                )
            ]
            if answer[0] in ("busy", "empty"):
                return ran
            if answer[0] == "dropped":
                log.error(
                    "job dropped after %d starts that never finished",
                    MAX_TRIES,
                    extra={"pr_key": pr_key, "job_kind": answer[1].split("|", 2)[1]},
                )
                continue
            job = _job(answer[1])
            if answer[2] != "1":
                log.warning(
                    "running a job again: its last worker stopped mid-job",
                    extra={"delivery": job.delivery_id, "try": int(answer[2])},
                )
            await self._run_holding(job, pr_key, token)
            ran += 1
            if not await self._finish(keys=[lock, running, tries], args=[token, self._lock_ms]):
                log.warning(
                    "lost the lock of %s mid-job (took longer than %.0f s without renewal)",
                    pr_key,
                    self._settings.lock_seconds,
                )
                return ran

    async def _run_holding(self, job: Job, pr_key: str, token: str) -> None:
        lock, running, queue, tries = _keys(pr_key)
        heartbeat = asyncio.create_task(self._heartbeat(lock, token))
        try:
            await self._run(job)
        except asyncio.CancelledError:
            # Stopped past the shutdown deadline: hand the job back before arq re-runs us.
            await asyncio.shield(
                self._hand_back(keys=[lock, running, queue, PENDING, tries], args=[token, pr_key])
            )
            raise
        finally:
            heartbeat.cancel()

    async def _heartbeat(self, lock: str, token: str) -> None:
        while True:
            await asyncio.sleep(self._settings.lock_seconds / 3)
            try:
                await self._renew(keys=[lock], args=[token, self._lock_ms])
            except (RedisError, OSError) as exc:
                log.warning("could not renew a PR lock: %s", type(exc).__name__)

    async def sweep(self) -> int:
        """Kick every PR with work and no drain holding it; the number kicked.

        Covers a web process that died between accepting a delivery and kicking, and a
        worker that died mid-job (its lock expires, its `running` job waits for a drain).
        """
        kicked = 0
        for raw in await self._redis.smembers(PENDING):  # type: ignore[misc]
            pr_key = as_text(raw)
            if not await self._redis.exists(_keys(pr_key)[0]):
                await kick(self._redis, pr_key)
                kicked += 1
        return kicked
