"""Installation events: nothing to analyze; logged so operators can see who installed, and
an installation that changed (suspended, deleted, new permissions) drops its cached token."""

from __future__ import annotations

import logging
from typing import Any

from gidgethub import routing, sansio

from bot.handlers.context import HandlerContext
from bot.handlers.payloads import installation_job

router = routing.Router()
log = logging.getLogger(__name__)


@router.register("installation")
async def on_installation_changed(event: sansio.Event, context: HandlerContext, **_: Any) -> None:
    await context.enqueue(installation_job(event.data, event.delivery_id))


@router.register("installation")
@router.register("installation_repositories")
async def on_installation(event: sansio.Event, context: HandlerContext, **_: Any) -> None:
    account = ((event.data.get("installation") or {}).get("account") or {}).get("login")
    log.info(
        "installation event",
        extra={
            "delivery": event.delivery_id,
            "action": event.data.get("action"),
            "account": account,
        },
    )
