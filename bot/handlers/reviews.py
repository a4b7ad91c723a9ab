"""pull_request_review events: the gate may have moved; the analysis of the head has not."""

from __future__ import annotations

from typing import Any

from gidgethub import routing, sansio

from bot.handlers.context import HandlerContext
from bot.handlers.payloads import pull_request_job
from bot.queue.jobs import JobKind

router = routing.Router()


async def on_review(event: sansio.Event, context: HandlerContext, **_: Any) -> None:
    await context.enqueue(pull_request_job(event.data, JobKind.GATE, event.delivery_id))


for _action in ("submitted", "edited", "dismissed"):
    router.add(on_review, "pull_request_review", action=_action)
