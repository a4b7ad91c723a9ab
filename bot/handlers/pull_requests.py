"""pull_request events: analyze the head whenever the change or its description moves."""

from __future__ import annotations

from typing import Any

from gidgethub import routing, sansio

from bot.handlers.context import HandlerContext
from bot.handlers.payloads import pull_request_job
from bot.queue.jobs import JobKind

router = routing.Router()

ACTIONS = (
    "opened",
    "synchronize",
    "reopened",
    "ready_for_review",
    "edited",
    "labeled",
    "unlabeled",
)


async def on_pull_request(event: sansio.Event, context: HandlerContext, **_: Any) -> None:
    job = pull_request_job(event.data, JobKind.ANALYZE, event.delivery_id)
    await context.enqueue(job)


for _action in ACTIONS:
    router.add(on_pull_request, "pull_request", action=_action)
