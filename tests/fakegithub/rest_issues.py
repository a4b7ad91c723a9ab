"""Issue comments (a pull request's conversation) and their reactions."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.fakegithub import shapes
from tests.fakegithub.errors import not_found, not_supplied, validation_failed
from tests.fakegithub.models import REACTIONS, IssueComment, RepoState, iso
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

routes = Routes()
READ = (("issues", "read"), ("pull_requests", "read"))
WRITE = (("issues", "write"), ("pull_requests", "write"))
MAX_BODY = 65536
DOCS_CREATE = "https://docs.github.com/rest/issues/comments#create-an-issue-comment"
DOCS_UPDATE = "https://docs.github.com/rest/issues/comments#update-an-issue-comment"
DOCS_REACTION = (
    "https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue-comment"
)


def _issue_exists(repo: RepoState, number: int) -> bool:
    return number in repo.pulls or any(c.issue_number == number for c in repo.comments.values())


def _body(payload: dict[str, Any], docs: str) -> str:
    body = payload.get("body")
    if body is None:
        raise not_supplied(["body"], docs)
    if not isinstance(body, str):
        raise validation_failed("IssueComment", "body", "body is not a string", docs, "invalid")
    if len(body) > MAX_BODY:
        raise validation_failed(
            "IssueComment", "body", f"body is too long (maximum is {MAX_BODY} characters)", docs
        )
    return body


def _comment(request: web.Request, repo: RepoState) -> IssueComment:
    found = repo.comments.get(number_of(request, "comment_id"))
    if found is None:
        raise not_found()
    return found


@routes.get("/repos/{owner}/{repo}/issues/{number}/comments", *READ)
async def list_comments(request: web.Request) -> web.Response:
    github, site, repo = github_of(request), site_of(request), repo_of(request)
    number = number_of(request)
    if not _issue_exists(repo, number):
        raise not_found()
    return paged_response(
        request,
        github.comments(repo.full_name, number),
        lambda found: shapes.comment(github, site, repo, found),
    )


@routes.post("/repos/{owner}/{repo}/issues/{number}/comments", *WRITE)
async def create_comment(request: web.Request) -> web.Response:
    github, site, repo = github_of(request), site_of(request), repo_of(request, DOCS_CREATE)
    number = number_of(request)
    if not _issue_exists(repo, number):
        raise not_found(DOCS_CREATE)
    body = _body(await read_json(request), DOCS_CREATE)
    # Whoever holds an installation token writes as the App's bot account.
    created = github.add_comment(repo.full_name, number, github.bot_login, body)
    shown = shapes.comment(github, site, repo, created)
    return json_response(shown, status=201, headers={"Location": shown["url"]})


@routes.get("/repos/{owner}/{repo}/issues/comments/{comment_id}", *READ)
async def get_comment(request: web.Request) -> web.Response:
    github, site, repo = github_of(request), site_of(request), repo_of(request)
    return json_response(shapes.comment(github, site, repo, _comment(request, repo)))


@routes.patch("/repos/{owner}/{repo}/issues/comments/{comment_id}", *WRITE)
async def update_comment(request: web.Request) -> web.Response:
    github, site, repo = github_of(request), site_of(request), repo_of(request, DOCS_UPDATE)
    found = _comment(request, repo)
    found.body = _body(await read_json(request), DOCS_UPDATE)
    found.updated_at = github.now()
    return json_response(shapes.comment(github, site, repo, found))


@routes.delete("/repos/{owner}/{repo}/issues/comments/{comment_id}", *WRITE)
async def delete_comment(request: web.Request) -> web.Response:
    repo = repo_of(request)
    del repo.comments[_comment(request, repo).id]
    return web.Response(status=204)


@routes.post("/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", *WRITE)
async def create_reaction(request: web.Request) -> web.Response:
    """201 for a new reaction; 200 with the existing one when the caller already reacted so."""
    github, site, repo = github_of(request), site_of(request), repo_of(request, DOCS_REACTION)
    found = _comment(request, repo)
    content = (await read_json(request)).get("content")
    if content is None:
        raise not_supplied(["content"], DOCS_REACTION)
    if content not in REACTIONS:
        raise validation_failed(
            "Reaction", "content", f"{content!r} is not a reaction", DOCS_REACTION, "invalid"
        )
    login = github.bot_login
    key = (login, content)
    status = 200 if key in found.reactions else 201
    reaction_id = found.reactions.setdefault(key, github.next_id())
    shown = {
        "id": reaction_id,
        "node_id": shapes.node_id("REA", reaction_id),
        "user": shapes.user(github, site, login),
        "content": content,
        "created_at": iso(github.now()),
    }
    return json_response(shown, status=status)
