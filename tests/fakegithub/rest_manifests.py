"""The end of GitHub's App manifest flow: a one-time code for the App it created (no credentials:
the code is one). Codes come from the web pages (web_pages.py)."""

from __future__ import annotations

from aiohttp import web

from tests.fakegithub import shapes
from tests.fakegithub.errors import not_found
from tests.fakegithub.manifests import CreatedApp, manifests_of
from tests.fakegithub.models import iso
from tests.fakegithub.routing import Routes, github_of, json_response, site_of
from tests.fakegithub.shapes import Json, Site
from tests.fakegithub.state import FakeGitHub

routes = Routes()
DOCS = "https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest"


@routes.post("/app-manifests/{code}/conversions", auth="none")
async def create_from_manifest(request: web.Request) -> web.Response:
    """201 with the App and its secrets; 404 for a code that is unknown, used or expired."""
    github = github_of(request)
    created = manifests_of(github).redeem(request.match_info["code"], github.epoch())
    if created is None:
        raise not_found(DOCS)
    return json_response(_app_with_secrets(github, site_of(request), created), status=201)


def _app_with_secrets(github: FakeGitHub, site: Site, app: CreatedApp) -> Json:
    return {
        "id": app.id,
        "slug": app.slug,
        "node_id": shapes.node_id("A", app.id),
        "client_id": app.client_id,
        "owner": shapes.user(github, site, app.owner),
        "name": app.name,
        "description": app.manifest.get("description") or "",
        "external_url": app.manifest["url"],
        "html_url": f"{site.web}/apps/{app.slug}",
        "created_at": iso(app.created_at),
        "updated_at": iso(app.created_at),
        "permissions": app.permissions,
        "events": app.events,
        "client_secret": app.client_secret,
        "webhook_secret": app.webhook_secret,
        "pem": app.key.private_pem,
    }
