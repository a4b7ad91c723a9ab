"""GitHub's web pages of the App manifest flow, for the tests of `ai-review-bot register`.

They are served apart from the API (`serve_web`), as github.com is apart from api.github.com:
the API's middleware (credentials, rate limits, and the checks against GitHub's REST
description in conformance.py) is for the REST API, and these are HTML pages that description
does not cover. The browser is signed in as `VIEWER`, who owns every organization.

- `POST /organizations/{org}/settings/apps/new?state=S` and `POST /settings/apps/new?state=S`
  take the form field `manifest` (JSON) and check it as GitHub does: a 422 page lists what is
  wrong. Otherwise they answer, as GitHub does, with a confirmation page: the App's name (which
  the user may edit) and a "Create GitHub App" button.
- That button posts to `/settings/apps/manifests/{token}` (the fake's own path), which creates
  the App and redirects (302) to the manifest's `redirect_url` with `?code=...&state=...`. The
  code converts to the App once, within an hour (rest_manifests.py).
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import AsyncIterator
from typing import Literal
from urllib.parse import urlencode

from aiohttp import web

from tests.fakegithub.manifests import CODE_LIFETIME, LOGIN, ManifestRefused, manifests_of
from tests.fakegithub.routing import GITHUB_KEY
from tests.fakegithub.state import FakeGitHub

VIEWER = "octocat"
"""Who is signed in to the fake's web pages."""


def create_web_app(github: FakeGitHub) -> web.Application:
    app = web.Application()
    app[GITHUB_KEY] = github
    app.router.add_post("/organizations/{org}/settings/apps/new", new_org_app)
    app.router.add_post("/settings/apps/new", new_user_app)
    app.router.add_post("/settings/apps/manifests/{token}", create_app)
    return app


@contextlib.asynccontextmanager
async def serve_web(github: FakeGitHub, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Serve the pages on a free port of `host` until the block ends; yields their root URL.

    Meanwhile `github.web_url` is that root, so the API's answers link to these pages."""
    runner = web.AppRunner(create_web_app(github), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    saved = github.web_url
    try:
        await web.TCPSite(runner, host, 0).start()
        github.web_url = f"http://{host}:{runner.addresses[0][1]}"
        yield github.web_url
    finally:
        github.web_url = saved
        await runner.cleanup()


async def new_org_app(request: web.Request) -> web.Response:
    org = request.match_info["org"]
    if not LOGIN.fullmatch(org):
        return _page(404, "Page not found", "<p>This is not a web page.</p>")
    request.app[GITHUB_KEY].account(org, "Organization")
    return await _new_app(request, org, "Organization")


async def new_user_app(request: web.Request) -> web.Response:
    return await _new_app(request, VIEWER, "User")


async def _new_app(
    request: web.Request, owner: str, owner_type: Literal["User", "Organization"]
) -> web.Response:
    form = await request.post()
    posted = form.get("manifest")
    state = request.query.get("state")
    if not isinstance(posted, str):
        return _page(422, "Invalid GitHub App configuration", "<p>No manifest was posted.</p>")
    try:
        received = manifests_of(request.app[GITHUB_KEY]).receive(owner, owner_type, posted, state)
    except ManifestRefused as refused:
        return _refused(refused)
    return _confirmation(received.token, owner, str(received.manifest.get("name", "")))


async def create_app(request: web.Request) -> web.Response:
    github = request.app[GITHUB_KEY]
    manifests = manifests_of(github)
    form = manifests.forms.get(request.match_info["token"])
    if form is None:
        return _page(404, "Page not found", "<p>This registration is over.</p>")
    name = (await request.post()).get("name")
    try:
        _, code = manifests.create(
            form,
            name if isinstance(name, str) else "",
            github.next_id(),
            github.now(),
            github.epoch() + CODE_LIFETIME,
        )
    except ManifestRefused as refused:
        return _refused(refused, _form(form.token, str(name or "")))
    answer = {"code": code, **({"state": form.state} if form.state is not None else {})}
    redirect = str(form.manifest.get("redirect_url") or f"{github.web_url}/settings/apps")
    separator = "&" if "?" in redirect else "?"
    return web.Response(status=302, headers={"Location": redirect + separator + urlencode(answer)})


def _confirmation(token: str, owner: str, name: str) -> web.Response:
    return _page(
        200,
        f"Create GitHub App for {owner}",
        "<p>The App is configured by its manifest; give it a name.</p>" + _form(token, name),
    )


def _form(token: str, name: str) -> str:
    return (
        f'<form method="post" action="/settings/apps/manifests/{html.escape(token)}">'
        f'<label>GitHub App name <input name="name" value="{html.escape(name)}"></label> '
        '<button type="submit">Create GitHub App</button></form>'
    )


def _refused(refused: ManifestRefused, after: str = "") -> web.Response:
    items = "".join(f"<li>{html.escape(problem)}</li>" for problem in refused.problems)
    return _page(422, "Invalid GitHub App configuration", f"<ul>{items}</ul>{after}")


def _page(status: int, title: str, body: str) -> web.Response:
    text = (
        f"<!doctype html><html><head><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return web.Response(status=status, text=text, content_type="text/html")
