"""Issue comments (a pull request's conversation) and their reactions; labels."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from tests.fakegithub import shapes
from tests.fakegithub.errors import (
    GitHubError,
    invalid_request,
    not_found,
    not_supplied,
    validation_failed,
)
from tests.fakegithub.models import REACTIONS, IssueComment, PullRequest, RepoState, iso
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


DOCS_LABEL = "https://docs.github.com/rest/issues/labels#get-a-label"
DOCS_CREATE_LABEL = "https://docs.github.com/rest/issues/labels#create-a-label"
DOCS_ADD_LABELS = "https://docs.github.com/rest/issues/labels#add-labels-to-an-issue"
DOCS_REMOVE_LABEL = "https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue"
_COLOR = re.compile(r"[0-9a-fA-F]{6}")
MAX_LABEL_NAME = 50
MAX_LABEL_DESCRIPTION = 100


def _pull_of_issue(repo: RepoState, number: int, docs: str) -> PullRequest:
    pull = repo.pulls.get(number)
    if pull is None:
        raise not_found(docs)
    return pull


def _issue_labels(request: web.Request, repo: RepoState, pull: PullRequest) -> web.Response:
    site = site_of(request)
    return json_response([shapes.label(site, repo, name) for name in pull.labels])


@routes.get("/repos/{owner}/{repo}/labels/{name:.+}", *READ)
async def get_label(request: web.Request) -> web.Response:
    repo = repo_of(request, DOCS_LABEL)
    found = repo.labels.get(request.match_info["name"].casefold())
    if found is None:
        raise not_found(DOCS_LABEL)
    return json_response(shapes.label(site_of(request), repo, found.name))


@routes.post("/repos/{owner}/{repo}/labels", *WRITE)
async def create_label(request: web.Request) -> web.Response:
    github, repo = github_of(request), repo_of(request, DOCS_CREATE_LABEL)
    body = await read_json(request)
    name, color, description = body.get("name"), body.get("color"), body.get("description")
    if name is None:
        raise not_supplied(["name"], DOCS_CREATE_LABEL)
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_LABEL_NAME:
        raise validation_failed("Label", "name", "name is invalid", DOCS_CREATE_LABEL, "invalid")
    if color is not None and not (isinstance(color, str) and _COLOR.fullmatch(color)):
        raise validation_failed("Label", "color", "color is invalid", DOCS_CREATE_LABEL, "invalid")
    if description is not None and (
        not isinstance(description, str) or len(description) > MAX_LABEL_DESCRIPTION
    ):
        raise validation_failed(
            "Label", "description", "description is too long (maximum is 100 characters)",
            DOCS_CREATE_LABEL,
        )  # fmt: skip
    if name.casefold() in repo.labels:
        raise validation_failed(
            "Label", "name", "name already exists", DOCS_CREATE_LABEL, "already_exists"
        )
    made = github.add_label(
        repo.full_name, name, color=(color or "ededed").lower(), description=description
    )
    shown = shapes.label(site_of(request), repo, made.name)
    return json_response(shown, status=201, headers={"Location": shown["url"]})


@routes.post("/repos/{owner}/{repo}/issues/{number}/labels", *WRITE)
async def add_labels(request: web.Request) -> web.Response:
    """Add labels to a pull request (as an issue); a label the repository lacks is made."""
    github, repo = github_of(request), repo_of(request, DOCS_ADD_LABELS)
    pull = _pull_of_issue(repo, number_of(request), DOCS_ADD_LABELS)
    names = (await read_json(request)).get("labels")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise invalid_request("labels must be a non-empty list of names.", DOCS_ADD_LABELS)
    for name in names:
        if name.casefold() not in repo.labels:
            github.add_label(repo.full_name, name)
        known = repo.labels[name.casefold()].name
        if known.casefold() not in {label.casefold() for label in pull.labels}:
            pull.labels.append(known)
    return _issue_labels(request, repo, pull)


@routes.delete("/repos/{owner}/{repo}/issues/{number}/labels/{name:.+}", *WRITE)
async def remove_label(request: web.Request) -> web.Response:
    repo = repo_of(request, DOCS_REMOVE_LABEL)
    pull = _pull_of_issue(repo, number_of(request), DOCS_REMOVE_LABEL)
    name = request.match_info["name"].casefold()
    kept = [label for label in pull.labels if label.casefold() != name]
    if len(kept) == len(pull.labels):
        raise GitHubError(404, "Label does not exist", documentation_url=DOCS_REMOVE_LABEL)
    pull.labels[:] = kept
    return _issue_labels(request, repo, pull)
