"""The webhook server: verify, de-duplicate, queue, answer 202; plus health and metrics.

The signature is checked on the raw body before anything reads it. Nothing is analyzed while
GitHub waits: a handled event is queued and answered 202 at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from gidgethub import ValidationFailure, sansio
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.exceptions import RedisError

from bot.app.metrics import Metrics
from bot.app.runtime import keep_sweeping, runtime
from bot.app.service import ReviewService
from bot.handlers import router
from bot.handlers.context import HandlerContext
from bot.handlers.payloads import PayloadError
from bot.queue.jobs import Queue
from bot.queue.sqlite_database import Database, sqlite_path
from bot.queue.sqlite_queue import SqliteQueue
from bot.queue.sqlite_store import SqliteStore
from bot.queue.store import Store
from bot.settings import Settings

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 25 * 1024 * 1024  # GitHub caps webhook payloads at 25 MB
MAX_JSON_DEPTH = 64  # GitHub's payloads nest about 8 deep
QUEUE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, RedisError, OSError)
_EVENT_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")  # projects_v2_item has a digit
_DELIVERY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,99}")


STORE = web.AppKey("store", Store)
QUEUE = web.AppKey("queue", Queue)
SETTINGS = web.AppKey("settings", Settings)
METRICS = web.AppKey("metrics", Metrics)
SERVICE = web.AppKey("service", ReviewService)


def _answer(status: int, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)


class Refused(Exception):
    """A delivery answered with an error status; the message is safe to send back."""

    def __init__(self, status: int, outcome: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.outcome = outcome


def _depth_within(value: Any, limit: int) -> bool:
    """Whether containers nest at most `limit` deep (iterative: no recursion to exhaust)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return False
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return True


def parse_delivery(headers: Any, body: bytes, secret: str) -> sansio.Event:
    """The verified event of a delivery; raises Refused saying what is wrong with it.

    The signature (HMAC-SHA256 only, compared in constant time) is checked on the raw body
    before anything reads it.
    """
    signature = headers.get("X-Hub-Signature-256", "")
    if not signature.startswith("sha256="):
        raise Refused(401, "bad_signature", "missing or invalid X-Hub-Signature-256")
    try:
        sansio.validate_event(body, signature=signature, secret=secret)
    except ValidationFailure:
        raise Refused(401, "bad_signature", "missing or invalid X-Hub-Signature-256") from None
    event_name = headers.get("X-GitHub-Event", "")
    delivery_id = headers.get("X-GitHub-Delivery", "")
    if not _EVENT_NAME.fullmatch(event_name) or not _DELIVERY_ID.fullmatch(delivery_id):
        raise Refused(400, "malformed", "malformed webhook: bad X-GitHub-Event or -Delivery")
    media_type = headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise Refused(400, "malformed", "malformed webhook: the content type must be JSON")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise Refused(400, "malformed", "malformed webhook: the body is not JSON") from None
    if not isinstance(data, dict):
        raise Refused(400, "malformed", "malformed webhook: the body is not a JSON object")
    if not _depth_within(data, MAX_JSON_DEPTH):
        raise Refused(400, "malformed", f"malformed webhook: nested over {MAX_JSON_DEPTH} deep")
    return sansio.Event(data, event=event_name, delivery_id=delivery_id)


class _RateLimitedLog:
    """One warning per `every` seconds at most, saying how many were left out meanwhile: a
    stranger sending bad signatures must not flood the logs."""

    def __init__(self, every: float = 10.0) -> None:
        self._every = every
        self._last = -every
        self._left_out = 0

    def warning(self, message: str, **extra: object) -> None:
        now = time.monotonic()
        if now - self._last < self._every:
            self._left_out += 1
            return
        log.warning(message, extra={**extra, "left_out_since_last": self._left_out})
        self._last, self._left_out = now, 0


_REFUSED_LOG = _RateLimitedLog()
_SIGNATURE = re.compile(r"sha256=[0-9a-fA-F]{64}")


async def webhook(request: web.Request) -> web.Response:
    metrics = request.app[METRICS]
    # Nothing a stranger controls becomes a metric label before the signature holds.
    if not _SIGNATURE.fullmatch(request.headers.get("X-Hub-Signature-256", "")):
        # Refused before the body is read: an unsigned request costs nothing, whatever size
        # it announces.
        metrics.webhooks.labels("unverified", "bad_signature").inc()
        _log_refused(request)
        return _answer(401, "missing or invalid X-Hub-Signature-256")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        metrics.webhooks.labels("unverified", "too_large").inc()
        return _answer(413, "payload larger than 25 MiB")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        metrics.webhooks.labels("unverified", "too_large").inc()
        return _answer(413, "payload larger than 25 MiB")
    try:
        event = parse_delivery(request.headers, body, request.app[SETTINGS].webhook_secret)
    except Refused as refused:
        metrics.webhooks.labels("unverified", refused.outcome).inc()
        if refused.outcome == "bad_signature":
            _log_refused(request)
        return _answer(refused.status, str(refused))
    if event.event == "ping":
        metrics.webhooks.labels("ping", "pong").inc()
        return _answer(200, "pong")
    context = HandlerContext(request.app[SETTINGS].app_id)
    try:
        await router.dispatch(event, context=context)
    except PayloadError as exc:
        metrics.webhooks.labels(event.event, "malformed").inc()
        return _answer(400, f"malformed {event.event} payload: {exc}")
    try:
        accepted = await request.app[QUEUE].accept(event.delivery_id, context.jobs)
    except QUEUE_ERRORS:
        # Not acknowledged, so not lost: GitHub shows the delivery failed; redeliver it.
        log.exception("could not queue a delivery", extra={"delivery": event.delivery_id})
        metrics.webhooks.labels(event.event, "unavailable").inc()
        return _answer(503, "the job queue is not answering; redeliver later")
    if not accepted:
        metrics.webhooks.labels(event.event, "redelivery").inc()
        return _answer(200, "already handled this delivery")
    if context.jobs:
        metrics.webhooks.labels(event.event, "queued").inc()
        return _answer(202, f"queued {len(context.jobs)} job(s)")
    metrics.webhooks.labels(event.event, "ignored").inc()
    return _answer(200, "nothing to do for this event")


def _log_refused(request: web.Request) -> None:
    delivery = request.headers.get("X-GitHub-Delivery", "")
    _REFUSED_LOG.warning(
        "webhook refused: missing or invalid signature",
        delivery=delivery if _DELIVERY_ID.fullmatch(delivery) else "(malformed)",
        remote=request.remote or "",
    )


async def healthz(_: web.Request) -> web.Response:
    return _answer(200, "ok")


async def readyz(request: web.Request) -> web.Response:
    if await request.app[STORE].healthy() and await request.app[QUEUE].healthy():
        return _answer(200, "ready")
    return _answer(503, "store or queue not answering")


async def metrics_endpoint(request: web.Request) -> web.Response:
    metrics = request.app[METRICS]
    registry = metrics.registry
    metrics.queue_depth.set(await request.app[QUEUE].depth())
    metrics.queue_oldest.set(await request.app[QUEUE].oldest_age())
    return web.Response(
        body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
    )


def create_app(
    settings: Settings,
    analysis_workers: int = 2,
    queue_workers: int = 4,
    shutdown_deadline: float = 25.0,
) -> web.Application:
    """The App's aiohttp application; background parts start and stop with it.

    Embedded (no REDIS_URL): deliveries wait in SQLite and this process runs them with
    `queue_workers` tasks. With REDIS_URL: deliveries go to Redis and `worker` processes run them.
    """
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[SETTINGS] = settings
    app[METRICS] = Metrics.create()
    lifecycle = (
        _redis_lifecycle
        if settings.redis_url
        else _embedded_lifecycle(analysis_workers, queue_workers, shutdown_deadline)
    )

    async def drain(app: web.Application) -> None:
        # Runs first on SIGTERM: readiness turns 503 before the server stops listening.
        if QUEUE in app:
            app[QUEUE].draining()

    app.on_shutdown.append(drain)
    app.cleanup_ctx.append(lifecycle)
    app.router.add_post("/webhook", webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_endpoint)
    return app


def _embedded_lifecycle(analysis_workers: int, queue_workers: int, shutdown_deadline: float) -> Any:
    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        database = Database(sqlite_path(settings.database_url))
        store = SqliteStore(database)
        app[STORE] = store
        try:
            async with runtime(settings, store, app[METRICS], analysis_workers) as jobs:
                app[SERVICE] = jobs.service
                queue = SqliteQueue(database, jobs.run, workers=queue_workers)
                app[QUEUE] = queue
                queue.start()
                sweeper = asyncio.create_task(keep_sweeping(store, queue), name="check-sweep")
                yield
                sweeper.cancel()
                await queue.stop(shutdown_deadline)
        finally:
            database.close()

    return lifecycle


async def _redis_lifecycle(app: web.Application) -> AsyncIterator[None]:
    from bot.queue.redis_connection import connect
    from bot.queue.redis_queue import RedisQueue
    from bot.queue.redis_store import RedisStore

    settings = app[SETTINGS]
    assert settings.redis_url is not None
    redis = await connect(settings.redis_url)
    try:
        app[STORE] = RedisStore(redis)
        app[QUEUE] = RedisQueue(redis)
        yield
    finally:
        await redis.aclose()
