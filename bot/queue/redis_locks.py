"""Per installation, one mutating GitHub request at a time across every worker process, held
in Redis."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid

from arq.connections import ArqRedis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from bot.queue.redis_connection import PREFIX

log = logging.getLogger(__name__)

_JITTER = random.SystemRandom()

# KEYS: lock. ARGV: token. Let go of a lock only if it is still ours.
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

WRITE_HOLD_SECONDS = 40.0  # one request's timeout (30 s) and a margin; a dead holder's expires
WRITE_WAIT_SECONDS = 60.0  # then the request goes ahead, with a warning


class RedisWriteLocks:
    """Per installation, one mutating GitHub request at a time across every worker process,
    as GitHub asks of integrations (concurrent writes trip its secondary rate limits)."""

    def __init__(self, redis: ArqRedis) -> None:
        self._redis = redis
        self._unlock = redis.register_script(_UNLOCK)
        self._local: dict[str, asyncio.Lock] = {}

    def __call__(self, installation_id: str) -> _InstallationWriteLock:
        local = self._local.setdefault(installation_id, asyncio.Lock())
        return _InstallationWriteLock(self._redis, self._unlock, installation_id, local)


class _InstallationWriteLock:
    def __init__(
        self, redis: ArqRedis, unlock: AsyncScript, installation_id: str, local: asyncio.Lock
    ) -> None:
        self._redis = redis
        self._unlock = unlock
        self._key = f"{PREFIX}installation:{installation_id}:write"
        self._local = local  # this process's requests queue here, one of them asks Redis
        self._token = ""

    async def __aenter__(self) -> None:
        await self._local.acquire()
        try:
            self._token = await self._acquire()
        except BaseException:  # cancelled while waiting: hold nothing, here or in Redis
            self._local.release()
            raise

    async def _acquire(self) -> str:
        """The Redis lock's token, or "" when going ahead without it (said in the log)."""
        token, pause = uuid.uuid4().hex, 0.002
        redis = self._redis
        give_up = time.monotonic() + WRITE_WAIT_SECONDS
        try:
            while not await redis.set(self._key, token, nx=True, px=int(WRITE_HOLD_SECONDS * 1000)):
                if time.monotonic() > give_up:
                    log.warning(
                        "waited %.0f s for the installation's write lock; going ahead",
                        WRITE_WAIT_SECONDS,
                    )
                    return ""
                await asyncio.sleep(pause * (0.5 + _JITTER.random()))
                pause = min(pause * 2, 0.05)
        except (RedisError, OSError) as exc:
            log.warning(
                "write lock unavailable (%s); serialized in this process only", type(exc).__name__
            )
            return ""
        except asyncio.CancelledError:
            # Redis may have set it just as we were cancelled: only our token is deleted.
            await asyncio.shield(self._unlock(keys=[self._key], args=[token]))
            raise
        return token

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            if self._token:
                await self._unlock(keys=[self._key], args=[self._token])
        except (RedisError, OSError) as exc:
            log.warning("could not release the write lock (%s); it expires", type(exc).__name__)
        finally:
            self._token = ""
            self._local.release()
