"""Comments: `/ai-review` commands in new comments (an edited command does nothing new), and
people ticking the checklist in the bot's own comment."""

from __future__ import annotations

from typing import Any

from gidgethub import routing, sansio

from bot.handlers.context import HandlerContext
from bot.handlers.payloads import command_job, ticks_job
from bot.render.markdown import MARKER

router = routing.Router()


@router.register("issue_comment", action="created")
async def on_comment(event: sansio.Event, context: HandlerContext, **_: Any) -> None:
    await context.enqueue(command_job(event.data, event.delivery_id))


@router.register("issue_comment", action="edited")
async def on_comment_edited(event: sansio.Event, context: HandlerContext, **_: Any) -> None:
    await context.enqueue(ticks_job(event.data, event.delivery_id, MARKER))
