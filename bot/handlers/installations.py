"""Installation events: nothing to analyze; recorded so operators can see who installed."""

from __future__ import annotations

import logging
from typing import Any

from gidgethub import routing, sansio

from bot.handlers.context import HandlerContext

router = routing.Router()
log = logging.getLogger(__name__)


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
