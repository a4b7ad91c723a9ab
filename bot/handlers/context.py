"""What every handler receives besides the event: where to put the jobs it asks for."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.queue.jobs import Job


@dataclass(slots=True)
class HandlerContext:
    """Collects a delivery's jobs; the web layer queues them with the delivery, atomically."""

    app_id: str
    jobs: list[Job] = field(default_factory=list)

    async def enqueue(self, job: Job | None) -> None:
        if job is not None:
            self.jobs.append(job)
