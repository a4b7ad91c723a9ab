"""Talking to Redis: a connection pool in arq's job format (JSON, not pickle), and the prefix
every key of the bot's carries."""

from __future__ import annotations

import json
from typing import Any, cast

from arq.connections import ArqRedis, RedisSettings, create_pool

PREFIX = "ai-review:"


def as_text(value: Any) -> str:
    """A Redis answer (bytes or a number) as text."""
    return value.decode() if isinstance(value, bytes) else str(value)


# arq's default is pickle; a job here is a PR key, and JSON cannot run code when read back.
def _serialize(job: dict[str, Any]) -> bytes:
    return json.dumps(job).encode()


def _deserialize(raw: bytes) -> dict[str, Any]:
    return cast(dict[str, Any], json.loads(raw))


async def connect(redis_url: str) -> ArqRedis:
    """A connection pool speaking arq's job format (JSON, not pickle)."""
    return await create_pool(
        RedisSettings.from_dsn(redis_url),
        job_serializer=_serialize,
        job_deserializer=_deserialize,
        retry=3,
    )


def worker_codecs() -> dict[str, Any]:
    """The arq Worker arguments that must match `connect`."""
    return {"job_serializer": _serialize, "job_deserializer": _deserialize}
