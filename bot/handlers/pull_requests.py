"""pull_request events: analyze the head whenever the change or its description moves; try a
changed review config on other pull requests."""

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
)
# A label can make a change AI-assisted, so the gate looks again; the analysis is reused when
# only labels the App put on itself changed (its cache key holds the other labels).
LABEL_ACTIONS = ("labeled", "unlabeled")
# A push may change the review config: its dry run (bot/app/config_change.py) runs after the
# review, and asks GitHub first whether the config's files changed at all.
CONFIG_ACTIONS = ("opened", "synchronize", "reopened")


async def on_pull_request(event: sansio.Event, context: HandlerContext, **_: Any) -> None:
    job = pull_request_job(event.data, JobKind.ANALYZE, event.delivery_id)
    await context.enqueue(job)


async def on_push(event: sansio.Event, context: HandlerContext, **_: Any) -> None:
    await context.enqueue(pull_request_job(event.data, JobKind.CONFIG_CHANGE, event.delivery_id))


async def on_label(event: sansio.Event, context: HandlerContext, **_: Any) -> None:
    await context.enqueue(pull_request_job(event.data, JobKind.GATE, event.delivery_id))


for _action in ACTIONS:
    router.add(on_pull_request, "pull_request", action=_action)
for _action in CONFIG_ACTIONS:
    router.add(on_push, "pull_request", action=_action)
for _action in LABEL_ACTIONS:
    router.add(on_label, "pull_request", action=_action)
