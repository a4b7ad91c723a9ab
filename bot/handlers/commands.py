"""`/ai-review` comment commands: only new comments on pull requests; edits do nothing new."""

from __future__ import annotations

from typing import Any

from gidgethub import routing, sansio

from bot.github.payloads import command_job
from bot.handlers.context import HandlerContext

router = routing.Router()


@router.register("issue_comment", action="created")
async def on_comment(event: sansio.Event, context: HandlerContext, **_: Any) -> None:
    await context.enqueue(command_job(event.data, event.delivery_id))
