"""merge_group events: a merge queue built a group and asks for its checks. The App answers
with its check on the group's commit (bot/app/merge_queue.py); a destroyed group needs nothing."""

from __future__ import annotations

from typing import Any

from gidgethub import routing, sansio

from bot.handlers.context import HandlerContext
from bot.handlers.payloads import merge_group_job

router = routing.Router()


@router.register("merge_group", action="checks_requested")
async def on_checks_requested(event: sansio.Event, context: HandlerContext, **_: Any) -> None:
    await context.enqueue(merge_group_job(event.data, event.delivery_id))
