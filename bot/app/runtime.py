"""What runs jobs, wherever they were queued: the embedded queue in `serve`, or a Redis
`worker`. One HTTP session, one analysis pool and one review service per process."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from multiprocessing import get_context

import aiohttp

from bot.app.analyses import analyze_snapshot, thread_analyzer
from bot.app.command_runner import CommandRunner
from bot.app.config_change import ConfigChange
from bot.app.merge_queue import MergeQueue
from bot.app.metrics import Metrics
from bot.app.service import ReviewService
from bot.engine.result import Analysis, Evidence
from bot.engine.ruleset import Ruleset
from bot.engine.snapshot import Snapshot
from bot.github.client import WriteLock, token_refused, transient
from bot.logs import log_context
from bot.queue.jobs import JOB_TRIES, RETRY_SECONDS, Job, JobKind, Queue
from bot.queue.store import Store
from bot.settings import Settings

log = logging.getLogger(__name__)


JobRunner = Callable[[Job], Awaitable[object]]


@dataclass
class Runtime:
    service: ReviewService
    commands: CommandRunner
    metrics: Metrics
    runners: dict[JobKind, JobRunner] = field(init=False)

    def __post_init__(self) -> None:
        # What runs each kind of job: a new kind adds its line here.
        self.runners = {
            JobKind.ANALYZE: self.service.run_job,
            JobKind.GATE: self.service.run_job,
            JobKind.COMMAND: self.commands.run,
            JobKind.TICKS: self.commands.run_ticks,
            JobKind.INSTALLATION: self._forget_token,
            JobKind.MERGE_GROUP: MergeQueue(self.service).run,
            JobKind.CONFIG_CHANGE: ConfigChange(self.service).run,
        }
        if self.runners.keys() != set(JobKind):
            raise RuntimeError(f"job kinds without a runner: {set(JobKind) - self.runners.keys()}")

    async def _forget_token(self, job: Job) -> None:
        """The installation changed (suspended, deleted, new permissions): its next job
        fetches a token that says so."""
        self.service.forget_token(job.installation_id)

    async def run(self, job: Job) -> None:
        """Run one job; never raises but for cancellation (the queue then hands it back).

        The review turns config trouble and final failures into a check run itself. While
        GitHub is down or busy, the job waits and runs again (RETRY_SECONDS); anything else
        that escapes is a bug, logged with an error id and counted, and the job is done.
        """
        with log_context(
            delivery=job.delivery_id,
            installation=job.installation_id,
            repo=f"{job.owner}/{job.repo}",
            pr=job.number,
            head_sha=job.head_sha,
        ):
            for attempt in range(job.attempt, JOB_TRIES):
                try:
                    await self._run_once(replace(job, attempt=attempt))
                except Exception as exc:
                    if transient(exc) and attempt + 1 < JOB_TRIES:
                        wait = RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)]
                        log.warning(
                            "GitHub unavailable (%s); the job runs again in %.0f s",
                            type(exc).__name__,
                            wait,
                            extra={"attempt": attempt + 1},
                        )
                        await asyncio.sleep(wait)
                        continue
                    self.metrics.job_errors.labels(job.kind.value).inc()
                    log.exception("job failed", extra={"error_id": uuid.uuid4().hex[:12]})
                return

    async def _run_once(self, job: Job) -> None:
        try:
            await self._dispatch(job)
        except Exception as exc:
            if not token_refused(exc):
                raise
            log.warning("GitHub refused the installation token; running the job with a new one")
            self.service.forget_token(job.installation_id)
            await self._dispatch(job)

    async def _dispatch(self, job: Job) -> None:
        with self.metrics.job_seconds.labels(job.kind.value).time():
            await self.runners[job.kind](job)


# A check run still in progress this long after a review marked it has no review coming to
# complete it (its process died, or GitHub kept refusing the update): the sweep queues one.
# Longer than a job's own retries take (about 8 minutes), so a job waiting out an outage is
# not doubled.
OPEN_CHECK_STALE_SECONDS = 15 * 60
SWEEP_EVERY_SECONDS = 60.0


async def sweep_open_checks(store: Store, queue: Queue) -> int:
    """Queue a review for every check run left in progress; how many were queued."""
    stale = await store.stale_open_checks(time.time() - OPEN_CHECK_STALE_SECONDS)
    for check in stale:
        log.warning(
            "a check run was left in progress; queueing its review again",
            extra={"repo": check.repo, "head_sha": check.head_sha, "sweeps": check.sweeps + 1},
        )
        delivery = f"sweep-{uuid.uuid4().hex}"
        await queue.accept(delivery, [replace(check.job, delivery_id=delivery)])
    return len(stale)


async def keep_sweeping(store: Store, queue: Queue) -> None:
    """Sweep at start and every SWEEP_EVERY_SECONDS, until cancelled; a failed sweep is logged
    and the next one tries again."""
    while True:
        try:
            await sweep_open_checks(store, queue)
        except Exception:  # the store may be down for a while: the next sweep tries again
            log.exception("could not sweep check runs left in progress")
        await asyncio.sleep(SWEEP_EVERY_SECONDS)


ANALYSIS_NICENESS = 10


def _analysis_process() -> None:
    """Set up an analysis process: lower priority, and gone when its parent is."""
    # Batch work: on a shared CPU, answering GitHub's webhooks comes first.
    os.nice(ANALYSIS_NICENESS)
    # A parent killed with -9 (or by the OOM killer) cannot stop its pool; this can.
    threading.Thread(
        target=_exit_with_parent, args=(os.getppid(),), name="parent-watch", daemon=True
    ).start()


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


class AnalysisPool:
    """The processes that analyze diffs, replaced when one of them dies.

    A process killed mid-analysis (the OOM killer, a crash in a C extension) breaks a
    ProcessPoolExecutor for good: every later task fails with BrokenProcessPool. Here the broken
    pool is shut down and a new one started, and the analysis that broke it runs once more;
    if that breaks the new pool too, the job fails with the error (the check says so).
    """

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._executor = self._start()
        self.restarts = 0

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self._workers, mp_context=get_context("spawn"), initializer=_analysis_process
        )

    async def analyze(
        self, snapshot: Snapshot, ruleset: Ruleset, declared: Sequence[Evidence]
    ) -> Analysis:
        for attempt in (1, 2):
            executor = self._executor
            try:
                return await asyncio.get_running_loop().run_in_executor(
                    executor, analyze_snapshot, snapshot, ruleset, declared
                )
            except BrokenProcessPool:
                if attempt == 2:
                    raise
                log.warning("an analysis process died; starting a new pool and trying again")
                self._replace(executor)
        raise AssertionError("unreachable")  # pragma: no cover

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        if self._executor is broken:  # concurrent jobs that saw it break replace it once
            broken.shutdown(wait=False, cancel_futures=True)
            self._executor = self._start()
            self.restarts += 1

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


@asynccontextmanager
async def runtime(
    settings: Settings,
    store: Store,
    metrics: Metrics,
    analysis_workers: int,
    write_lock: Callable[[str], WriteLock] | None = None,
) -> AsyncIterator[Runtime]:
    """Start the analysis pool and the HTTP session; stop them on exit."""
    pool = AnalysisPool(analysis_workers) if analysis_workers > 0 else None
    analyze = pool.analyze if pool is not None else thread_analyzer()

    async def counted(
        snapshot: Snapshot, ruleset: Ruleset, declared: Sequence[Evidence]
    ) -> Analysis:
        analysis = await analyze(snapshot, ruleset, declared)
        metrics.observe_analysis(analysis)
        return analysis

    try:
        async with aiohttp.ClientSession() as session:
            service = ReviewService(
                settings,
                session,
                store,
                counted,
                observe=metrics.observe_github,
                write_lock=write_lock,
            )
            yield Runtime(service, CommandRunner(service, store), metrics)
    finally:
        if pool is not None:
            pool.shutdown()
