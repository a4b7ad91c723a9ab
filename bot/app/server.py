"""The `serve` process: listen, take the database, run, and stop as documented.

Order matters here:
1. the port is bound first, so a busy port stops the process before it touches the queue;
2. an embedded database is taken with an exclusive lock (one writer per SQLite file), so a
   second `serve` on the same file refuses to start instead of running its jobs alongside;
3. on SIGTERM or SIGINT, readiness turns 503 while the listener stays open (deliveries still
   land in the durable queue; GitHub does not redeliver what it could not deliver), jobs in
   flight get the shutdown deadline to finish, the rest are handed back, and the process exits.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO

from aiohttp import web

from bot.app.web import QUEUE, create_app
from bot.queue.sqlite_database import sqlite_path
from bot.settings import Settings

log = logging.getLogger(__name__)

SHUTDOWN_DEADLINE_SECONDS = 25.0


class StartError(Exception):
    """The server cannot start; the message says why in one line."""


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything else starts."""
    try:
        return socket.create_server((host, port), backlog=128)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise StartError(f"cannot listen on {host}:{port}: {reason}") from None


@contextmanager
def exclusive_database(database_url: str) -> Iterator[None]:
    """Hold the embedded database's lock for as long as this process runs its jobs."""
    path = sqlite_path(database_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = Path(f"{path}.lock")
    handle: IO[str] = lock_path.open("a")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StartError(
                f"another ai-review-bot serve is running on {path} (it holds {lock_path}); "
                "stop it, or give this one its own DATABASE_URL"
            ) from None
        yield
    finally:
        handle.close()


def _version() -> str:
    try:
        return version("ai-review-bot")
    except PackageNotFoundError:
        return "unknown"


async def _serve(settings: Settings, sock: socket.socket, deadline: float) -> None:
    app = create_app(settings, shutdown_deadline=deadline)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.SockSite(runner, sock)
    await site.start()
    host, port = sock.getsockname()[:2]
    log.info(
        "serving",
        extra={
            "version": _version(),
            "address": f"{host}:{port}",
            "backend": "redis" if settings.redis_url else "embedded",
            "app_id": settings.app_id,
            "api_url": settings.api_url,
            "pid": os.getpid(),
        },
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
        queue = app[QUEUE]
        log.info("stopping: readiness is 503, jobs in flight get %.0f s", deadline)
        # The listener stays open meanwhile: a delivery still lands in the durable queue.
        await queue.stop(deadline)
        left = await queue.depth()
        log.info("stopped", extra={"handed_back": left})
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        await runner.cleanup()


def run_server(
    settings: Settings, host: str, port: int, deadline: float = SHUTDOWN_DEADLINE_SECONDS
) -> None:
    """Run `serve` until SIGTERM or SIGINT; raises StartError when it cannot start."""
    sock = listen(host, port)
    try:
        if settings.redis_url:
            asyncio.run(_serve(settings, sock, deadline))
            return
        with exclusive_database(settings.database_url):
            asyncio.run(_serve(settings, sock, deadline))
    finally:
        sock.close()
