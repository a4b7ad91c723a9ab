"""What every handler receives besides the event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.app.jobs import Job


class JobSink(Protocol):
    async def put(self, job: Job) -> None: ...


@dataclass(slots=True)
class HandlerContext:
    jobs: JobSink
    app_id: str
    queued: int = 0

    async def enqueue(self, job: Job | None) -> None:
        if job is not None:
            await self.jobs.put(job)
            self.queued += 1
