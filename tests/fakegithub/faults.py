"""Fault injection: answers GitHub (or a proxy in front of it) gives when things go wrong."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import web

SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID {request_id}."
)
SECONDARY_RATE_LIMIT_DOCS = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)


@dataclass(slots=True)
class Fault:
    """One rule: requests matching `method` and `path` are delayed and/or answered `status`."""

    method: str | None
    path: re.Pattern[str]
    status: int | None
    times: int | None
    """How many matching requests the rule still affects; None: every one."""
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    hits: int = 0
    after_serving: bool = False
    """Carry the request out, then answer `status` anyway: an answer lost on its way back."""

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        return (self.method is None or self.method == method) and bool(self.path.search(path))

    def response(self, request_id: str) -> web.Response:
        assert self.status is not None
        body = self.body
        if body is None:
            body = {"message": HTTPStatus(self.status).phrase, "status": str(self.status)}
        if isinstance(body, str):
            return web.Response(
                status=self.status, text=body, content_type="text/html", headers=self.headers
            )
        text = json.dumps(body).replace("{request_id}", request_id)
        return web.Response(
            status=self.status, text=text, content_type="application/json", headers=self.headers
        )


class Faults:
    def __init__(self) -> None:
        self.rules: list[Fault] = []
        self.latency = 0.0
        """Seconds added to every request."""

    def add(self, fault: Fault) -> Fault:
        self.rules.append(fault)
        return fault

    def clear(self) -> None:
        self.rules.clear()
        self.latency = 0.0

    async def apply(
        self, method: str, path: str, request_id: str
    ) -> tuple[web.Response | None, bool]:
        """Wait as the rules say; return the injected answer (None to serve normally), and
        whether the request is to be carried out before that answer is given."""
        delay = self.latency
        answer = None
        after_serving = False
        for rule in self.rules:
            if not rule.matches(method, path):
                continue
            if rule.status is None:
                rule.hits += 1
                delay += rule.delay
            elif answer is None:
                rule.hits += 1
                delay += rule.delay
                answer = rule.response(request_id)
                after_serving = rule.after_serving
        if delay > 0:
            await asyncio.sleep(delay)
        return answer, after_serving


def secondary_rate_limit_body() -> dict[str, str]:
    return {
        "message": SECONDARY_RATE_LIMIT_MESSAGE,
        "documentation_url": SECONDARY_RATE_LIMIT_DOCS,
        "status": "403",
    }
