"""Route tables with GitHub's access policy per endpoint, and what handlers share.

Each REST module declares `routes = Routes()` and decorates its handlers with the credential
the endpoint takes (App JWT or installation token), the rate-limit resource it spends, and
the App permissions it needs; the server's middleware enforces all three before a handler runs.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from aiohttp import web

from tests.fakegithub.errors import (
    DOCS,
    invalid_request,
    not_accessible,
    not_found,
    problems_parsing_json,
)
from tests.fakegithub.models import Installation, RepoState
from tests.fakegithub.pagination import Page
from tests.fakegithub.ratelimit import Resource
from tests.fakegithub.shapes import Site
from tests.fakegithub.state import FakeGitHub

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Auth = Literal["jwt", "token", "none"]
Need = tuple[str, str]
"""(permission, level), like ("pull_requests", "read")."""

GITHUB_KEY = web.AppKey("github", FakeGitHub)
ENTERPRISE_PREFIX = "/api/v3"
_LEVELS = {"read": 1, "write": 2, "admin": 3}

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Policy:
    auth: Auth = "token"
    resource: Resource = "core"
    needs: tuple[Need, ...] = ()
    """Any one of these permissions suffices (GitHub takes issues or pull_requests for PRs)."""
    counted: bool = True


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    policy: Policy


class Routes:
    """A route table whose decorators also record each endpoint's policy."""

    def __init__(self) -> None:
        self.endpoints: list[Endpoint] = []

    def route(self, method: str, path: str, policy: Policy) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.endpoints.append(Endpoint(method, path, handler, policy))
            return handler

        return register

    def get(
        self, path: str, *needs: Need, auth: Auth = "token", counted: bool = True
    ) -> Callable[[Handler], Handler]:
        return self.route("GET", path, Policy(auth=auth, needs=needs, counted=counted))

    def post(self, path: str, *needs: Need, auth: Auth = "token") -> Callable[[Handler], Handler]:
        return self.route("POST", path, Policy(auth=auth, needs=needs))

    def patch(self, path: str, *needs: Need) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path, Policy(needs=needs))

    def delete(self, path: str, *needs: Need) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, Policy(needs=needs))


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: the App itself (JWT), one installation (token), or nobody."""

    kind: Literal["app", "installation", "anonymous"]
    installation: Installation | None = None
    permissions: dict[str, str] | None = None

    @property
    def bucket(self) -> str:
        if self.installation is not None:
            return f"installation:{self.installation.id}"
        return "app" if self.kind == "app" else "anonymous"

    def allows(self, needs: tuple[Need, ...]) -> bool:
        if not needs:
            return True
        granted = self.permissions or {}
        return any(_LEVELS.get(granted.get(name, ""), 0) >= _LEVELS[level] for name, level in needs)

    def owns(self, owner: str) -> bool:
        return self.installation is not None and (
            self.installation.account.casefold() == owner.casefold()
        )


CALLER_KEY = web.RequestKey("caller", Caller)


def github_of(request: web.Request) -> FakeGitHub:
    return request.app[GITHUB_KEY]


def caller_of(request: web.Request) -> Caller:
    return request[CALLER_KEY]


def api_path(path: str) -> str:
    """The path without GitHub Enterprise's prefix; GraphQL's /api/graphql is /graphql."""
    if path == "/api/graphql":
        return "/graphql"
    if path.startswith(ENTERPRISE_PREFIX + "/"):
        return path.removeprefix(ENTERPRISE_PREFIX)
    return path


def site_of(request: web.Request) -> Site:
    """URLs in answers point where the request came in (GitHub Enterprise keeps its prefix)."""
    enterprise = request.path.startswith(("/api/v3/", "/api/graphql"))
    api = f"{request.url.origin()}{ENTERPRISE_PREFIX if enterprise else ''}"
    return Site(api=api, web=github_of(request).web_url)


def repo_of(request: web.Request, documentation_url: str | None = None) -> RepoState:
    """The repository in the path, if the caller's installation can see it; else 404."""
    owner, name = request.match_info["owner"], request.match_info["repo"]
    repo = github_of(request).find_repo(owner, name)
    if repo is None or not caller_of(request).owns(repo.owner):
        raise not_found(documentation_url or DOCS)
    return repo


def number_of(request: web.Request, key: str = "number") -> int:
    text = request.match_info[key]
    if not text.isdigit():
        raise not_found()
    return int(text)


def require(caller: Caller, *needs: Need) -> None:
    if not caller.allows(needs):
        raise not_accessible()


async def read_json(request: web.Request) -> dict[str, Any]:
    """The request's JSON object body ({} when empty), or GitHub's 400/422 answers."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise problems_parsing_json() from None
    if not isinstance(body, dict):
        raise invalid_request(f"{json.dumps(body)[:80]} is not an object.")
    return body


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        text=json.dumps(body),
        status=status,
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


def paged_response(
    request: web.Request, items: Sequence[T], render: Callable[[T], Any]
) -> web.Response:
    """One page of `items` as a JSON list, with GitHub's Link header when there are more."""
    page = Page.requested(request.query)
    link = page.link_header(request.url, len(items))
    return json_response(
        [render(item) for item in page.slice(items)], headers={"Link": link} if link else None
    )
