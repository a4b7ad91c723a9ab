"""Re-run requests from the Checks UI: analyze the pull requests of that head again, or try
the config of a config check again."""

from __future__ import annotations

from typing import Any

from gidgethub import routing, sansio

from bot.handlers.context import HandlerContext
from bot.handlers.payloads import app_id_of_check_run, check_jobs, check_run_name, ignored
from bot.queue.jobs import RERUN, JobKind
from bot.review.config_change import CHECK_SUFFIX

router = routing.Router()


@router.register("check_run", action="rerequested")
async def on_check_run_rerequested(event: sansio.Event, context: HandlerContext, **_: Any) -> None:
    if app_id_of_check_run(event.data) not in (None, context.app_id):
        ignored(event.delivery_id, "a check run of another App")
        return
    if check_run_name(event.data).endswith(CHECK_SUFFIX):
        # The config check: try the head's config again, even though it was posted before.
        jobs = check_jobs(event.data, "check_run", event.delivery_id, JobKind.CONFIG_CHANGE, RERUN)
    else:
        jobs = check_jobs(event.data, "check_run", event.delivery_id)
    for job in jobs:
        await context.enqueue(job)


@router.register("check_suite", action="rerequested")
async def on_check_suite_rerequested(
    event: sansio.Event, context: HandlerContext, **_: Any
) -> None:
    for job in check_jobs(event.data, "check_suite", event.delivery_id):
        await context.enqueue(job)
