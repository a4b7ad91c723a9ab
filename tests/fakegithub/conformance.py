"""Every exchange with the fake, checked against GitHub's published descriptions.

Each REST request is checked against GitHub's OpenAPI description (GitHub Enterprise's for
requests under /api/v3), each GraphQL query against GitHub's public schema; the fake's answer
to every request that fits is checked against the operation's response schema, so the fake
cannot drift from GitHub. Mismatches are kept here, and the `fake_github` fixture fails the test
that caused any of them:

- a request from the bot (its User-Agent) that GitHub's description does not allow;
- an answer of the fake, to a request that fits, that GitHub's description does not allow.

Requests that tests of the fake itself send off-spec on purpose (to see its 400s and 422s) are
not the bot's, and GitHub's description says nothing of the answers to them; neither is judged.
Nor are the answers a test injected with `fail()`. Without the descriptions installed (a local
run before `npm ci`), nothing is checked; tests/github/test_conformance.py says so, or fails in CI.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field

from aiohttp import web

from tests.conformance import graphql_description, rest_description, specs
from tests.fakegithub.requestlog import RecordedRequest

BOT_USER_AGENT = "ai-review-bot"
"""What the bot's GitHub client sends as its User-Agent (bot/github/client.py)."""
GRAPHQL_PATH = "/graphql"
ENTERPRISE_PREFIX = "/api/"


@dataclass(slots=True)
class SpecChecks:
    enabled: bool = field(default_factory=lambda: not specs.missing())
    violations: list[str] = field(default_factory=list)
    checked: int = 0

    def check(
        self, entry: RecordedRequest, response: web.StreamResponse, *, injected: bool
    ) -> None:
        """Check one exchange; `injected`: the answer is a fault the test asked for."""
        if not self.enabled:
            return
        self.checked += 1
        try:
            self._check(entry, response, injected=injected)
        except Exception:
            # A bug in the checks: the test fails saying so, and the bot still gets its answer
            # (a 500 here would only send it retrying).
            self.violations.append(
                f"checking {entry.method} {entry.path} crashed:\n{traceback.format_exc()}"
            )

    def _check(
        self, entry: RecordedRequest, response: web.StreamResponse, *, injected: bool
    ) -> None:
        from_bot = entry.headers.get("user-agent", "").startswith(BOT_USER_AGENT)
        if entry.path == GRAPHQL_PATH:
            problems = _graphql_problems(entry)
            if problems and from_bot:
                self.violations.append(f"the bot's GraphQL query: {'; '.join(problems)}")
            return
        description = rest_description.load(
            specs.OPENAPI_GHES if entry.raw_path.startswith(ENTERPRISE_PREFIX) else specs.OPENAPI
        )
        exchange = rest_description.Exchange(
            method=entry.method,
            path=entry.path,
            query=entry.query,
            headers=entry.headers,
            body=entry.body,
            from_bot=from_bot,
        )
        request = description.check_request(exchange)
        if request.problems:
            if from_bot:
                self.violations.append(
                    f"the bot sent {entry.method} {entry.path} ({request.operation}), which "
                    f"{description.source} does not allow: {'; '.join(request.problems)}"
                )
            return
        if injected or not isinstance(response, web.Response):
            return
        answer = description.check_response(
            rest_description.Exchange(
                method=entry.method,
                path=entry.path,
                query=entry.query,
                headers=entry.headers,
                body=entry.body,
                status=response.status,
                response_headers=_headers(response),
                response_body=_body(response),
            )
        )
        if answer.problems:
            self.violations.append(
                f"the fake answered {entry.method} {entry.path} ({answer.operation}) with "
                f"{response.status}, which {description.source} does not allow: "
                + "; ".join(answer.problems)
            )


def _headers(response: web.Response) -> Mapping[str, str]:
    headers = dict(response.headers)
    if response.content_type and "Content-Type" not in headers:
        headers["Content-Type"] = response.content_type
    return headers


def _body(response: web.Response) -> bytes:
    """The answer's bytes; b"" for a streamed payload (the fake sends none it could check)."""
    body = response.body
    return bytes(body) if isinstance(body, bytes | bytearray) else b""


def _graphql_problems(entry: RecordedRequest) -> list[str]:
    payload = entry.json
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return [f"the body is not a GraphQL request: {entry.body[:80]!r}"]
    description = graphql_description.load(specs.GRAPHQL)
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        return [f"variables are not an object: {json.dumps(variables)[:80]}"]
    return description.check_query(payload["query"], variables, payload.get("operationName"))
