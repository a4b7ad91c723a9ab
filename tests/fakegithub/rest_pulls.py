"""Pull requests: the object, its diff, its files, commits and reviews."""

from __future__ import annotations

import asyncio
import re

from aiohttp import web

from tests.fakegithub import shapes
from tests.fakegithub.diff import MAX_LISTED_FILES, patch_series
from tests.fakegithub.errors import GitHubError, invalid_request, not_found, validation_failed
from tests.fakegithub.gitdata import branch_tip, is_ancestor, resolve_commit
from tests.fakegithub.models import PullRequest, RepoState
from tests.fakegithub.pagination import Page
from tests.fakegithub.routing import (
    Routes,
    github_of,
    json_response,
    number_of,
    paged_response,
    read_json,
    repo_of,
    site_of,
)
from tests.fakegithub.views import MAX_LISTED_COMMITS, BranchMissing, pull_view

routes = Routes()
READ = ("pull_requests", "read")
DOCS_GET = "https://docs.github.com/rest/pulls/pulls#get-a-pull-request"
DOCS_FILES = "https://docs.github.com/rest/pulls/pulls#list-pull-requests-files"
DOCS_LIST = "https://docs.github.com/rest/pulls/pulls#list-pull-requests"
_MEDIA = re.compile(r"application/vnd\.github(?:\.v3)?\.(diff|patch)\b")


def _pull(request: web.Request, repo: RepoState) -> PullRequest:
    pull = repo.pulls.get(number_of(request))
    if pull is None:
        raise not_found(DOCS_GET)
    return pull


def _media(request: web.Request) -> str:
    found = _MEDIA.search(request.headers.get("Accept", ""))
    return found.group(1) if found else "json"


_SORT_KEYS = {
    "created": lambda pull: (pull.created_at, pull.number),
    "updated": lambda pull: (pull.updated_at, pull.number),
    # The fake keeps no comment counts or ages apart from these: close enough for an order.
    "popularity": lambda pull: (pull.created_at, pull.number),
    "long-running": lambda pull: (pull.created_at, pull.number),
}


@routes.get("/repos/{owner}/{repo}/pulls", READ)
async def list_pulls(request: web.Request) -> web.Response:
    """Pull requests filtered by state, head and base, in the order `sort` and `direction` ask
    (GitHub: newest created first by default; `direction` defaults to desc only for
    `created`). Only the page asked for is read from git."""
    github, site, repo = github_of(request), site_of(request), repo_of(request)
    wanted = request.query.get("state", "open")
    head = request.query.get("head")
    base = request.query.get("base")
    sort = request.query.get("sort", "created")
    if sort not in _SORT_KEYS:
        raise validation_failed("PullRequest", "sort", f"{sort} is not a valid sort", DOCS_LIST)
    direction = request.query.get("direction", "desc" if sort == "created" else "asc")
    pulls = sorted(
        (
            pull
            for pull in repo.pulls.values()
            if wanted in ("all", pull.state)
            and (head is None or head in (pull.head_ref, f"{repo.owner}:{pull.head_ref}"))
            and (base is None or base == pull.base_ref)
        ),
        key=_SORT_KEYS[sort],
        reverse=direction == "desc",
    )
    page = Page.requested(request.query)
    shown = page.slice(pulls)
    views = [await asyncio.to_thread(pull_view, repo, pull) for pull in shown]
    link = page.link_header(request.url, len(pulls))
    return json_response(
        [shapes.pull_request(github, site, repo, *pair) for pair in zip(shown, views, strict=True)],
        headers={"Link": link} if link else None,
    )


@routes.get("/repos/{owner}/{repo}/pulls/{number}", READ)
async def get_pull(request: web.Request) -> web.Response:
    repo = repo_of(request, DOCS_GET)
    pull = _pull(request, repo)
    view = await asyncio.to_thread(pull_view, repo, pull)
    media = _media(request)
    if media == "diff":
        too_large = view.diff.too_large_message()
        if too_large is not None:
            raise GitHubError(
                406,
                too_large,
                errors=[{"resource": "PullRequest", "field": "diff", "code": "too_large"}],
                documentation_url=DOCS_FILES,
            )
        return _text(view.diff.text, "application/vnd.github.diff")
    if media == "patch":
        series = await asyncio.to_thread(
            patch_series, repo.path, view.refs.merge_base, view.refs.head_sha
        )
        return _text(series, "application/vnd.github.patch")
    return json_response(
        shapes.pull_request(github_of(request), site_of(request), repo, pull, view)
    )


def _text(body: bytes, media_type: str) -> web.Response:
    return web.Response(body=body, headers={"Content-Type": f"{media_type}; charset=utf-8"})


@routes.get("/repos/{owner}/{repo}/pulls/{number}/files", READ)
async def list_files(request: web.Request) -> web.Response:
    repo = repo_of(request, DOCS_FILES)
    pull = _pull(request, repo)
    view = await asyncio.to_thread(pull_view, repo, pull)
    site = site_of(request)
    return paged_response(
        request,
        view.diff.files[:MAX_LISTED_FILES],
        lambda change: shapes.pull_file(site, repo, view.refs.head_sha, change),
    )


@routes.get("/repos/{owner}/{repo}/pulls/{number}/commits", READ)
async def list_commits(request: web.Request) -> web.Response:
    repo = repo_of(request)
    pull = _pull(request, repo)
    view = await asyncio.to_thread(pull_view, repo, pull)
    github, site = github_of(request), site_of(request)
    return paged_response(
        request,
        view.commits[:MAX_LISTED_COMMITS],
        lambda info: shapes.commit(github, site, repo, info),
    )


@routes.get("/repos/{owner}/{repo}/pulls/{number}/reviews", READ)
async def list_reviews(request: web.Request) -> web.Response:
    repo = repo_of(request)
    pull = _pull(request, repo)
    github, site = github_of(request), site_of(request)
    return paged_response(
        request, list(pull.reviews), lambda found: shapes.review(github, site, repo, pull, found)
    )


@routes.get("/repos/{owner}/{repo}/commits/{sha}/pulls", READ)
async def list_pulls_of_commit(request: web.Request) -> web.Response:
    """The pull requests associated with a commit, as GitHub documents them: open ones that
    contain it (not only those it heads), and once it is on the default branch, the merged ones
    that brought it there. The caller picks the ones it heads."""
    github, site, repo = github_of(request), site_of(request), repo_of(request)
    sha = resolve_commit(repo.path, request.match_info["sha"])
    if sha is None:
        raise not_found()
    default_tip = branch_tip(repo.path, repo.default_branch) or ""
    on_default = await asyncio.to_thread(is_ancestor, repo.path, sha, default_tip)
    found = []
    for pull in sorted(repo.pulls.values(), key=lambda p: -p.number):
        if pull.state != "open" and not (pull.merged and on_default):
            continue
        try:
            view = await asyncio.to_thread(pull_view, repo, pull)
        except BranchMissing:
            continue
        if pull.merged:
            # Once merged, the pull request's commits are the base's: ask git.
            contains = await asyncio.to_thread(is_ancestor, repo.path, sha, view.refs.head_sha)
        else:
            contains = view.refs.head_sha == sha or any(c.sha == sha for c in view.commits)
        if contains:
            found.append((pull, view))
    return paged_response(
        request, found, lambda pair: shapes.pull_request(github, site, repo, *pair)
    )


DOCS_REQUEST = (
    "https://docs.github.com/rest/pulls/review-requests#request-reviewers-for-a-pull-request"
)
NOT_COLLABORATOR = (
    "Reviews may only be requested from collaborators. One or more of the users or teams you "
    "specified is not a collaborator of the {repo} repository."
)


@routes.post("/repos/{owner}/{repo}/pulls/{number}/requested_reviewers", ("pull_requests", "write"))
async def request_reviewers(request: web.Request) -> web.Response:
    """Ask people and teams (of the repository's organization) for a review: GitHub refuses
    the whole request (422) if it cannot ask one of them: the author, or someone (or a team)
    that is not a collaborator."""
    github, site, repo = github_of(request), site_of(request), repo_of(request, DOCS_REQUEST)
    pull = _pull(request, repo)
    body = await read_json(request)
    users, slugs = body.get("reviewers") or [], body.get("team_reviewers") or []
    if not all(isinstance(x, str) for x in [*users, *slugs]):
        raise invalid_request("reviewers and team_reviewers are lists of strings.", DOCS_REQUEST)
    for login in users:
        if login.casefold() == pull.author.casefold():
            raise validation_failed(
                "PullRequest", "reviewers", "Review cannot be requested from pull request author.",
                DOCS_REQUEST,
            )  # fmt: skip
        if login.casefold() not in repo.permissions:
            raise validation_failed(
                "PullRequest", "reviewers", NOT_COLLABORATOR.format(repo=repo.full_name),
                DOCS_REQUEST,
            )  # fmt: skip
    for slug in slugs:
        if github.find_team(repo.owner, slug) is None:
            raise validation_failed(
                "PullRequest", "team_reviewers", NOT_COLLABORATOR.format(repo=repo.full_name),
                DOCS_REQUEST,
            )  # fmt: skip
    for login in users:
        if login.casefold() not in {who.casefold() for who in pull.requested_reviewers}:
            pull.requested_reviewers.append(github.account(login).login)
    for slug in slugs:
        if slug.casefold() not in {known.casefold() for known in pull.requested_teams}:
            pull.requested_teams.append(slug)
    view = await asyncio.to_thread(pull_view, repo, pull)
    return json_response(shapes.pull_request(github, site, repo, pull, view), status=201)
