"""A real redis-server for the scaled-out mode's tests: one per session, emptied per test.

`.ci/run` installs redis-server (apt-get). Elsewhere, tests that need it skip with the reason,
except under CI=true, where a missing server is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
import redis.asyncio

from bot.queue.redis_connection import connect


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process = subprocess.Popen(
            [
                "redis-server",
                "--bind", "127.0.0.1",
                "--port", str(self.port),
                "--save", "",
                "--appendonly", "no",
                "--dir", str(directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        client = redis.Redis(port=self.port)
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.02)
        else:
            self.stop()
            raise RuntimeError("redis-server did not start")
        client.close()

    @classmethod
    def at(cls, port: int, directory: Path) -> RedisServer:
        """A new server on a port a stopped one had (a Redis restart)."""
        return cls(directory, port)

    def flush(self) -> None:
        with redis.Redis(port=self.port) as client:
            client.flushall()

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed; .ci/run installs it with apt-get")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(name="redis_url")
def redis_url_fixture(redis_server: RedisServer) -> str:
    """An empty Redis for this test."""
    redis_server.flush()
    return redis_server.url


@pytest.fixture(name="arq_redis")
async def arq_redis_fixture(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    pool = await connect(redis_url)
    yield pool
    await pool.aclose()
