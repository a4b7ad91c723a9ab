"""Re-run requests from the Checks UI: analyze the pull requests of that head again."""

from __future__ import annotations

from typing import Any

from gidgethub import routing, sansio

from bot.handlers.context import HandlerContext
from bot.handlers.payloads import app_id_of_check_run, check_jobs, ignored

router = routing.Router()


@router.register("check_run", action="rerequested")
async def on_check_run_rerequested(event: sansio.Event, context: HandlerContext, **_: Any) -> None:
    if app_id_of_check_run(event.data) not in (None, context.app_id):
        ignored(event.delivery_id, "a check run of another App")
        return
    for job in check_jobs(event.data, "check_run", event.delivery_id):
        await context.enqueue(job)


@router.register("check_suite", action="rerequested")
async def on_check_suite_rerequested(
    event: sansio.Event, context: HandlerContext, **_: Any
) -> None:
    for job in check_jobs(event.data, "check_suite", event.delivery_id):
        await context.enqueue(job)
