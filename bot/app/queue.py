"""The in-process job queue: per pull request, one job at a time and only the newest review.

A burst of pushes to one PR runs at most two reviews: the one already running and the newest
queued (older queued reviews are replaced, their kinds merged). Commands queue behind in order,
each answered. Different PRs run concurrently.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from bot.app.jobs import Job

log = logging.getLogger(__name__)

Runner = Callable[[Job], Awaitable[None]]


class JobQueue:
    def __init__(self, run: Runner, workers: int = 4) -> None:
        self._run = run
        self._workers = workers
        self._ready: asyncio.Queue[str] = asyncio.Queue()
        self._waiting: dict[str, deque[Job]] = {}
        self._running: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._idle = asyncio.Event()
        self._idle.set()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._worker(), name=f"job-worker-{i}")
            for i in range(self._workers)
        ]

    async def put(self, job: Job) -> None:
        key = job.pr_key
        pending = self._waiting.get(key)
        fresh = pending is None
        if pending is None:
            pending = self._waiting[key] = deque()
        queued = next((j for j in pending if j.is_review), None) if job.is_review else None
        if queued is not None:
            merged = Job(**{**job.to_json(), "kind": queued.kind.merge(job.kind)})
            pending[pending.index(queued)] = merged
        else:
            pending.append(job)
        self._idle.clear()
        if fresh and key not in self._running:
            await self._ready.put(key)

    def depth(self) -> int:
        return sum(len(jobs) for jobs in self._waiting.values())

    async def _worker(self) -> None:
        while True:
            key = await self._ready.get()
            if key in self._running or key not in self._waiting:
                continue  # the running job's worker queues it again when it finishes
            pending = self._waiting[key]
            job = pending.popleft()
            if not pending:
                del self._waiting[key]
            self._running.add(key)
            try:
                await self._run(job)
            except Exception:
                log.exception("job failed", extra={"delivery": job.delivery_id, "pr": key})
            finally:
                self._running.discard(key)
                if key in self._waiting:
                    await self._ready.put(key)
                elif not self._waiting and not self._running:
                    self._idle.set()

    async def join(self) -> None:
        """Wait until every queued job has run (tests and graceful shutdown)."""
        await self._idle.wait()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
