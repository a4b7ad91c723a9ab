"""`ai-review-bot worker`: run the jobs web processes queued in Redis (REDIS_URL).

Any number of workers share the work; arq hands each "drain this pull request" job to one of
them. On SIGTERM a worker takes no new jobs, lets those in flight finish within the deadline,
and hands the rest back to Redis for another worker.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from arq import cron, func
from arq.connections import ArqRedis
from arq.worker import Worker

from bot.app.metrics import Metrics
from bot.app.runtime import SWEEP_EVERY_SECONDS, runtime, sweep_open_checks
from bot.app.web import METRICS, QUEUE, STORE, healthz, metrics_endpoint, readyz
from bot.queue.redis_connection import connect, worker_codecs
from bot.queue.redis_locks import RedisWriteLocks
from bot.queue.redis_queue import DRAIN, Drainer, DrainSettings, RedisQueue
from bot.queue.redis_store import RedisStore
from bot.settings import Settings

log = logging.getLogger(__name__)

WORKER_NICENESS = 5
ONE_JOB_SECONDS = 900  # a job waits out a GitHub outage with retries, within this


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    concurrency: int = 4  # pull requests drained at once by this process
    analysis_workers: int = 2  # processes analyzing diffs
    shutdown_seconds: int = 25  # on SIGTERM, time given to jobs in flight
    lock_seconds: float = 30.0  # a dead worker's pull request waits this long for another
    sweep_seconds: int = 5  # how often stranded pull requests are looked for
    port: int | None = None  # serve /healthz, /readyz and /metrics here


async def run_worker(settings: Settings, options: WorkerOptions) -> None:
    """Run until SIGTERM or SIGINT."""
    assert settings.redis_url is not None
    # Reviews are batch work: where a worker shares CPUs with a web process, GitHub's
    # deliveries are answered first. (On a machine of its own this changes nothing.)
    os.nice(WORKER_NICENESS)
    metrics = Metrics.create()
    redis = await connect(settings.redis_url)
    store = RedisStore(redis)
    locks = RedisWriteLocks(redis)
    async with runtime(settings, store, metrics, options.analysis_workers, locks) as jobs:
        drainer = Drainer(redis, jobs.run, DrainSettings(lock_seconds=options.lock_seconds))

        async def drain(ctx: dict[str, Any], pr_key: str) -> int:
            return await drainer.drain(pr_key)

        queue = RedisQueue(redis)
        checks_swept_at = 0.0

        async def sweep(ctx: dict[str, Any]) -> int:
            nonlocal checks_swept_at
            kicked = await drainer.sweep()
            if kicked:
                log.info("sweep kicked %d pull request(s) with work and no worker", kicked)
            if time.monotonic() - checks_swept_at >= SWEEP_EVERY_SECONDS:
                checks_swept_at = time.monotonic()
                await sweep_open_checks(store, queue)
            return kicked

        worker = Worker(
            functions=[
                func(
                    drain,
                    name=DRAIN,
                    timeout=DrainSettings().budget_seconds + ONE_JOB_SECONDS,
                    max_tries=20,
                )
            ],
            cron_jobs=[
                cron(
                    sweep,
                    name="sweep",
                    second=set(range(0, 60, options.sweep_seconds)),
                    run_at_startup=True,
                    timeout=30,
                )
            ],
            redis_pool=redis,
            max_jobs=options.concurrency,
            keep_result=0,
            poll_delay=0.05,
            job_completion_wait=options.shutdown_seconds,
            handle_signals=True,
            **worker_codecs(),
        )
        async with _probes(redis, store, metrics, options.port):
            try:
                await worker.async_run()
            except asyncio.CancelledError:
                log.info("worker stopped")
            finally:
                await worker.close()


@asynccontextmanager
async def _probes(
    redis: ArqRedis, store: RedisStore, metrics: Metrics, port: int | None
) -> AsyncIterator[None]:
    """Health, readiness and metrics for a worker, when given a port: the web process's own
    handlers, over this worker's store, queue view and metrics."""
    if port is None:
        yield
        return
    app = web.Application()
    app[STORE] = store
    app[QUEUE] = RedisQueue(redis)
    app[METRICS] = metrics
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_endpoint)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", port).start()  # noqa: S104 - probes answer any host
    try:
        yield
    finally:
        await runner.cleanup()
