"""The webhook server: verify, de-duplicate, queue, answer 202; plus health and metrics.

The signature is checked on the raw body before anything reads it. Nothing is analyzed while
GitHub waits: a handled event is queued and answered 202 at once.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import aiohttp
from aiohttp import web
from gidgethub import BadRequest, ValidationFailure, sansio
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from bot.app.command_runner import CommandRunner
from bot.app.jobs import Job, JobKind
from bot.app.service import ReviewService, process_analyzer
from bot.app.sqlite import Database, SqliteQueue, SqliteStore, sqlite_path
from bot.app.store import Store
from bot.github.payloads import PayloadError
from bot.handlers import router
from bot.handlers.context import HandlerContext
from bot.logs import log_context
from bot.settings import Settings

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 25 * 1024 * 1024  # GitHub caps webhook payloads at 25 MB


@dataclass
class Metrics:
    registry: CollectorRegistry
    webhooks: Counter
    queue_depth: Gauge
    queue_oldest: Gauge
    job_seconds: Histogram
    github_requests: Counter
    rate_limit_remaining: Gauge

    def observe_github(self, status: int, headers: Mapping[str, str]) -> None:
        self.github_requests.labels(str(status) if status else "no_answer").inc()
        remaining = headers.get("x-ratelimit-remaining", "")
        if remaining.isdigit():
            resource = headers.get("x-ratelimit-resource", "core")[:32]
            self.rate_limit_remaining.labels(resource).set(int(remaining))

    @classmethod
    def create(cls) -> Metrics:
        registry = CollectorRegistry()
        return cls(
            registry=registry,
            webhooks=Counter(
                "ai_review_webhooks",
                "Webhook deliveries by event and outcome",
                ["event", "outcome"],
                registry=registry,
            ),
            queue_depth=Gauge("ai_review_queue_depth", "Jobs queued or running", registry=registry),
            queue_oldest=Gauge(
                "ai_review_queue_oldest_job_seconds",
                "How long the oldest waiting job has waited",
                registry=registry,
            ),
            job_seconds=Histogram(
                "ai_review_job_seconds",
                "Time to run one job, by kind",
                ["kind"],
                buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
                registry=registry,
            ),
            github_requests=Counter(
                "ai_review_github_requests",
                "Requests to GitHub by answer status (no_answer: timeout or connection error)",
                ["status"],
                registry=registry,
            ),
            rate_limit_remaining=Gauge(
                "ai_review_github_rate_limit_remaining",
                "Requests left in GitHub's rate-limit window, by resource",
                ["resource"],
                registry=registry,
            ),
        )


STORE = web.AppKey("store", Store)
QUEUE = web.AppKey("queue", SqliteQueue)
SETTINGS = web.AppKey("settings", Settings)
METRICS = web.AppKey("metrics", Metrics)
SERVICE = web.AppKey("service", ReviewService)


def _answer(status: int, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)


async def webhook(request: web.Request) -> web.Response:
    metrics = request.app[METRICS]
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return _answer(413, "payload larger than 25 MiB")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _answer(413, "payload larger than 25 MiB")
    event_name = request.headers.get("X-GitHub-Event", "unknown")[:64]
    try:
        event = sansio.Event.from_http(
            request.headers, body, secret=request.app[SETTINGS].webhook_secret
        )
    except ValidationFailure:
        metrics.webhooks.labels(event_name, "bad_signature").inc()
        return _answer(401, "missing or invalid X-Hub-Signature-256")
    except (BadRequest, ValueError, KeyError, UnicodeDecodeError):
        metrics.webhooks.labels(event_name, "malformed").inc()
        return _answer(400, "malformed webhook: expected GitHub's headers and a JSON body")
    if not isinstance(event.data, dict):
        metrics.webhooks.labels(event_name, "malformed").inc()
        return _answer(400, "malformed webhook: the body is not a JSON object")
    if event.event == "ping":
        metrics.webhooks.labels("ping", "pong").inc()
        return _answer(200, "pong")
    context = HandlerContext(request.app[SETTINGS].app_id)
    try:
        await router.dispatch(event, context=context)
    except PayloadError as exc:
        metrics.webhooks.labels(event.event, "malformed").inc()
        return _answer(400, f"malformed {event.event} payload: {exc}")
    if not await request.app[QUEUE].accept(event.delivery_id, context.jobs):
        metrics.webhooks.labels(event.event, "redelivery").inc()
        return _answer(200, "already handled this delivery")
    metrics.queue_depth.set(request.app[QUEUE].depth())
    if context.jobs:
        metrics.webhooks.labels(event.event, "queued").inc()
        return _answer(202, f"queued {len(context.jobs)} job(s)")
    metrics.webhooks.labels(event.event, "ignored").inc()
    return _answer(200, "nothing to do for this event")


async def healthz(_: web.Request) -> web.Response:
    return _answer(200, "ok")


async def readyz(request: web.Request) -> web.Response:
    if await request.app[STORE].healthy() and await request.app[QUEUE].healthy():
        return _answer(200, "ready")
    return _answer(503, "store or queue not answering")


async def metrics_endpoint(request: web.Request) -> web.Response:
    metrics = request.app[METRICS]
    registry = metrics.registry
    metrics.queue_depth.set(request.app[QUEUE].depth())
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
    """The App's aiohttp application; background parts start and stop with it."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[SETTINGS] = settings
    app[METRICS] = Metrics.create()
    database = Database(sqlite_path(settings.database_url))
    app[STORE] = SqliteStore(database)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        executor = (
            ProcessPoolExecutor(analysis_workers, mp_context=get_context("spawn"))
            if analysis_workers > 0
            else None
        )
        async with aiohttp.ClientSession() as session:
            service = ReviewService(
                settings,
                session,
                app[STORE],
                process_analyzer(executor),
                observe=app[METRICS].observe_github,
            )
            app[SERVICE] = service

            commands = CommandRunner(service, app[STORE])

            async def run(job: Job) -> None:
                with (
                    log_context(
                        delivery=job.delivery_id,
                        installation=job.installation_id,
                        repo=f"{job.owner}/{job.repo}",
                        pr=job.number,
                        head_sha=job.head_sha,
                    ),
                    app[METRICS].job_seconds.labels(job.kind.value).time(),
                ):
                    if job.kind is JobKind.COMMAND:
                        await commands.run(job)
                    elif job.kind is JobKind.TICKS:
                        await commands.run_ticks(job)
                    else:
                        await service.run_job(job)

            queue = SqliteQueue(database, run, workers=queue_workers)
            app[QUEUE] = queue
            queue.start()
            yield
            await queue.stop(shutdown_deadline)
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        database.close()

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
