"""Webhook handlers, one module and router per concern, combined here."""

from __future__ import annotations

from typing import Any

from gidgethub import routing, sansio

from bot.handlers import (
    check_runs,
    comments,
    installations,
    merge_groups,
    pull_requests,
    reviews,
)
from bot.handlers.payloads import ignored


class Router(routing.Router):
    """gidgethub's router, saying at debug level when no handler takes an event or action."""

    async def dispatch(self, event: sansio.Event, *args: Any, **kwargs: Any) -> None:
        if not self.fetch(event):
            action = event.data.get("action") if isinstance(event.data, dict) else None
            name = f"{event.event}.{action}" if isinstance(action, str) else event.event
            ignored(event.delivery_id, f"no handler for {name}")
        await super().dispatch(event, *args, **kwargs)


router = Router(
    pull_requests.router,
    reviews.router,
    check_runs.router,
    comments.router,
    installations.router,
    merge_groups.router,
)
