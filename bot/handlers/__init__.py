"""Webhook handlers, one module and router per concern, combined here."""

from __future__ import annotations

from gidgethub import routing

from bot.handlers import check_runs, commands, installations, pull_requests, reviews

router = routing.Router(
    pull_requests.router,
    reviews.router,
    check_runs.router,
    commands.router,
    installations.router,
)
