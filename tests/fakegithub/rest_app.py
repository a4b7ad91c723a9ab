"""The App's own endpoints (JWT): the App, its installations, installation tokens; /rate_limit."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.fakegithub import shapes
from tests.fakegithub.errors import GitHubError, invalid_request, not_found
from tests.fakegithub.models import Installation, iso
from tests.fakegithub.routing import (
    Routes,
    caller_of,
    github_of,
    json_response,
    number_of,
    paged_response,
    read_json,
    site_of,
)

routes = Routes()
DOCS_TOKEN = "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"
_LEVELS = {"read": 1, "write": 2, "admin": 3}


def _installation(request: web.Request) -> Installation:
    found = github_of(request).installations.get(number_of(request, "installation_id"))
    if found is None:
        raise not_found()
    return found


def _narrowed(installation: Installation, requested: Any) -> dict[str, str] | None:
    """Permissions asked for in the token request, if the installation has them all."""
    if requested is None:
        return None
    if not isinstance(requested, dict):
        raise invalid_request(f"For 'properties/permissions', {requested!r} is not an object.")
    granted = installation.permissions
    for name, level in requested.items():
        if _LEVELS.get(granted.get(name, ""), 0) < _LEVELS.get(level, 99):
            raise GitHubError(
                422,
                "The permissions requested are not granted to this installation.",
                documentation_url=DOCS_TOKEN,
            )
    return {str(k): str(v) for k, v in requested.items()}


@routes.post("/app/installations/{installation_id}/access_tokens", auth="jwt")
async def create_token(request: web.Request) -> web.Response:
    github = github_of(request)
    installation = _installation(request)
    if installation.suspended:
        raise GitHubError(403, "This installation has been suspended", documentation_url=DOCS_TOKEN)
    permissions = _narrowed(installation, (await read_json(request)).get("permissions"))
    token = github.issue_token(installation.id, permissions)
    return json_response(
        {
            "token": token.value,
            "expires_at": iso(token.expires_at),
            "permissions": token.permissions,
            "repository_selection": "all",
        },
        status=201,
    )


@routes.get("/app", auth="jwt")
async def get_app(request: web.Request) -> web.Response:
    return json_response(shapes.app(github_of(request), site_of(request)))


@routes.get("/app/installations", auth="jwt")
async def list_installations(request: web.Request) -> web.Response:
    github, site = github_of(request), site_of(request)
    return paged_response(
        request,
        list(github.installations.values()),
        lambda found: shapes.installation(github, site, found),
    )


@routes.get("/app/installations/{installation_id}", auth="jwt")
async def get_installation(request: web.Request) -> web.Response:
    github = github_of(request)
    return json_response(shapes.installation(github, site_of(request), _installation(request)))


@routes.get("/repos/{owner}/{repo}/installation", auth="jwt")
async def get_repo_installation(request: web.Request) -> web.Response:
    github = github_of(request)
    repo = github.find_repo(request.match_info["owner"], request.match_info["repo"])
    found = github.installation_for(repo.owner) if repo is not None else None
    if found is None:
        raise not_found()
    return json_response(shapes.installation(github, site_of(request), found))


@routes.get("/rate_limit", counted=False)
async def rate_limit(request: web.Request) -> web.Response:
    """The caller's budgets; asking costs nothing, as on GitHub."""
    github, caller = github_of(request), caller_of(request)
    resources = {}
    for resource in ("core", "search", "graphql"):
        bucket = github.limits.bucket(caller.bucket, resource)
        resources[resource] = {
            "limit": bucket.limit,
            "used": bucket.used,
            "remaining": bucket.remaining,
            "reset": bucket.reset,
        }
    return json_response({"resources": resources, "rate": resources["core"]})
