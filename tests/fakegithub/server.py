"""The aiohttp application that serves a FakeGitHub, and running it on 127.0.0.1.

Every request passes one middleware, in GitHub's order: record it, apply injected latency and
faults, authenticate (App JWT or installation token), spend the rate-limit budget, check the
App's permissions, then run the endpoint. Every answer carries x-ratelimit-* headers and an
x-github-request-id; the request and the answer are then checked against GitHub's published
descriptions (conformance.py). Routes are served at the root and under /api/v3 (GitHub
Enterprise); GraphQL at /graphql and /api/graphql.
"""

from __future__ import annotations

import contextlib
import secrets
import traceback
from collections.abc import AsyncIterator

from aiohttp import web

from tests.fakegithub import (
    rest_app,
    rest_branches,
    rest_checks,
    rest_issues,
    rest_manifests,
    rest_preview,
    rest_pulls,
    rest_repos,
)
from tests.fakegithub.auth import JwtRejected, verify_app_jwt
from tests.fakegithub.errors import (
    GitHubError,
    bad_credentials,
    not_accessible,
    not_found,
    requires_authentication,
)
from tests.fakegithub.graphql_api import POLICY as GRAPHQL_POLICY
from tests.fakegithub.graphql_api import graphql_endpoint
from tests.fakegithub.ratelimit import Bucket
from tests.fakegithub.routing import (
    CALLER_KEY,
    ENTERPRISE_PREFIX,
    GITHUB_KEY,
    Caller,
    Handler,
    Policy,
    api_path,
    json_response,
)
from tests.fakegithub.state import FakeGitHub

MODULES = (
    rest_app,
    rest_branches,
    rest_checks,
    rest_issues,
    rest_pulls,
    rest_repos,
    rest_preview,
    rest_manifests,
)
POLICIES_KEY = web.AppKey("policies", dict[Handler, Policy])
DEFAULT_POLICY = Policy()
RATE_LIMIT_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
MAX_BODY_BYTES = 25 * 1024 * 1024


def create_app(github: FakeGitHub) -> web.Application:
    app = web.Application(middlewares=[_github_middleware], client_max_size=MAX_BODY_BYTES)
    app[GITHUB_KEY] = github
    policies: dict[Handler, Policy] = {graphql_endpoint: GRAPHQL_POLICY}
    endpoints = [endpoint for module in MODULES for endpoint in module.routes.endpoints]
    for prefix in ("", ENTERPRISE_PREFIX):
        for endpoint in endpoints:
            app.router.add_route(endpoint.method, prefix + endpoint.path, endpoint.handler)
    for endpoint in endpoints:
        policies[endpoint.handler] = endpoint.policy
    app.router.add_post("/graphql", graphql_endpoint)
    app.router.add_post("/api/graphql", graphql_endpoint)
    app[POLICIES_KEY] = policies
    return app


@contextlib.asynccontextmanager
async def serve(github: FakeGitHub, host: str = "127.0.0.1") -> AsyncIterator[FakeGitHub]:
    """Serve `github` on a free port of `host` until the block ends; sets `github.url`."""
    runner = web.AppRunner(create_app(github), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, 0).start()
        port = runner.addresses[0][1]
        github.url = f"http://{host}:{port}"
        yield github
    finally:
        await runner.cleanup()


def _request_id() -> str:
    return ":".join(secrets.token_hex(n).upper() for n in (2, 2, 3, 3, 4))


@web.middleware
async def _github_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    github = request.app[GITHUB_KEY]
    path = api_path(request.path)
    entry = github.log.record(
        request.method,
        path,
        dict(request.query),
        dict(request.headers),
        await request.read(),
        raw_path=request.path,
    )
    request_id = _request_id()
    injected, after_serving = await github.faults.apply(request.method, path, request_id)
    if injected is None or after_serving:
        response = await _serve(request, handler, github)
    if injected is not None:
        response = injected
    response.headers["x-github-request-id"] = request_id
    response.headers.setdefault("x-github-api-version-selected", "2022-11-28")
    entry.status = response.status
    github.spec_checks.check(entry, response, injected=injected is not None)
    return response


async def _serve(request: web.Request, handler: Handler, github: FakeGitHub) -> web.StreamResponse:
    policy = request.app[POLICIES_KEY].get(request.match_info.handler, DEFAULT_POLICY)
    try:
        caller = _authenticate(request, github, policy)
    except GitHubError as error:
        return _with_budget(_error_response(error), github.limits.bucket("anonymous", "core"))
    bucket = github.limits.bucket(caller.bucket, policy.resource)
    if policy.counted and not bucket.take():
        return _with_budget(_rate_limited(github, caller, policy), bucket)
    request[CALLER_KEY] = caller
    try:
        if not caller.allows(policy.needs):
            raise not_accessible()
        response = await handler(request)
    except GitHubError as error:
        response = _error_response(error)
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
        response = _error_response(not_found())
    except Exception as exc:
        # A crash is a bug in the fake or a broken scenario: answer like GitHub's 500 and
        # keep it, so the fixture fails the test instead of the bot quietly retrying.
        github.server_errors.append(
            f"{request.method} {request.path}: {''.join(traceback.format_exception(exc))}"
        )
        response = _error_response(GitHubError(500, "Server Error"))
    return _with_budget(response, bucket)


def _authenticate(request: web.Request, github: FakeGitHub, policy: Policy) -> Caller:
    header = request.headers.get("Authorization", "")
    scheme, _, credential = header.partition(" ")
    scheme, credential = scheme.lower(), credential.strip()
    if policy.auth == "none":
        return Caller("anonymous")
    if policy.auth == "jwt":
        if scheme != "bearer" or not credential:
            raise GitHubError(401, "A JSON web token could not be decoded")
        try:
            verify_app_jwt(credential, github.key, github.app_id, github.epoch())
        except JwtRejected as rejected:
            raise GitHubError(401, str(rejected)) from None
        return Caller("app")
    if not header:
        raise requires_authentication()
    token = github.live_token(credential) if scheme in ("token", "bearer") else None
    if token is None:
        raise bad_credentials()
    installation = github.installations[token.installation_id]
    return Caller("installation", installation, token.permissions)


def _rate_limited(github: FakeGitHub, caller: Caller, policy: Policy) -> web.Response:
    who = (
        f"installation ID {caller.installation.id}"
        if caller.installation is not None
        else f"app ID {github.app_id}"
    )
    if policy.resource == "graphql":
        # GitHub answers an exhausted GraphQL budget with 200 and a typed error.
        error = {
            "type": "RATE_LIMITED",
            "code": "graphql_rate_limit",
            "message": f"API rate limit already exceeded for {who}.",
        }
        return json_response({"errors": [error]})
    return _error_response(
        GitHubError(403, f"API rate limit exceeded for {who}.", documentation_url=RATE_LIMIT_DOCS)
    )


def _error_response(error: GitHubError) -> web.Response:
    return json_response(error.body(), status=error.status, headers=error.headers)


def _with_budget(response: web.StreamResponse, bucket: Bucket) -> web.StreamResponse:
    response.headers.update(bucket.headers())
    return response
