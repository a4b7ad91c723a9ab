"""Check runs: create, update (annotations accumulate), read, and list by commit."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from aiohttp import web

from tests.fakegithub import shapes
from tests.fakegithub.check_validation import validate_check_run
from tests.fakegithub.errors import GitHubError, not_found
from tests.fakegithub.gitdata import resolve_commit
from tests.fakegithub.models import Annotation, CheckRun, RepoState
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
from tests.fakegithub.state import FakeGitHub
from tests.fakegithub.views import open_pulls_at

routes = Routes()
READ = ("checks", "read")
WRITE = ("checks", "write")
DOCS_CREATE = "https://docs.github.com/rest/checks/runs#create-a-check-run"
DOCS_UPDATE = "https://docs.github.com/rest/checks/runs#update-a-check-run"


def _no_commit(sha: str) -> GitHubError:
    return GitHubError(422, f"No commit found for SHA: {sha}")


def _time(value: str | None, default: datetime | None) -> datetime | None:
    if value is None:
        return default
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _apply(run: CheckRun, body: dict[str, Any], now: datetime) -> None:
    """Change `run` as GitHub does; a conclusion completes the run, annotations append."""
    for key in ("name", "details_url", "external_id"):
        if body.get(key) is not None:
            setattr(run, key, body[key])
    run.started_at = _time(body.get("started_at"), run.started_at)
    if body.get("conclusion") is not None:
        run.status = "completed"
        run.conclusion = body["conclusion"]
    elif body.get("status") is not None:
        run.status = body["status"]
    if run.status == "completed":
        run.completed_at = _time(body.get("completed_at"), run.completed_at or now)
    output = body.get("output")
    if output is not None:
        run.title = output["title"]
        run.summary = output["summary"]
        run.text = output.get("text", run.text)
        run.annotations.extend(_annotation(a) for a in output.get("annotations", []))
    if body.get("actions") is not None:
        run.actions = [dict(a) for a in body["actions"]]


def _annotation(raw: dict[str, Any]) -> Annotation:
    return Annotation(
        path=raw["path"],
        start_line=raw["start_line"],
        end_line=raw["end_line"],
        annotation_level=raw["annotation_level"],
        message=raw["message"],
        title=raw.get("title"),
        raw_details=raw.get("raw_details"),
        start_column=raw.get("start_column"),
        end_column=raw.get("end_column"),
    )


async def _render(
    github: FakeGitHub, site: shapes.Site, repo: RepoState, runs: list[CheckRun]
) -> list[shapes.Json]:
    by_sha = {
        sha: await asyncio.to_thread(open_pulls_at, repo, sha) for sha in {r.head_sha for r in runs}
    }
    return [shapes.check_run(github, site, repo, run, by_sha[run.head_sha]) for run in runs]


def _run(request: web.Request, repo: RepoState) -> CheckRun:
    run = repo.check_runs.get(number_of(request, "check_run_id"))
    if run is None:
        raise not_found()
    return run


@routes.post("/repos/{owner}/{repo}/check-runs", WRITE)
async def create_check_run(request: web.Request) -> web.Response:
    github, repo = github_of(request), repo_of(request, DOCS_CREATE)
    body = await read_json(request)
    validate_check_run(body, creating=True, has_conclusion=False, docs=DOCS_CREATE)
    head_sha = await asyncio.to_thread(resolve_commit, repo.path, body["head_sha"])
    if head_sha is None or not head_sha.startswith(body["head_sha"].lower()):
        raise _no_commit(body["head_sha"])
    now = github.now()
    pulls = await asyncio.to_thread(open_pulls_at, repo, head_sha)
    suite = github.check_suite(repo, head_sha, pulls[0][0].head_ref if pulls else None)
    run = CheckRun(
        id=github.next_id(), name=body["name"], head_sha=head_sha, suite_id=suite.id, started_at=now
    )
    _apply(run, body, now)
    repo.check_runs[run.id] = run
    return json_response(shapes.check_run(github, site_of(request), repo, run, pulls), status=201)


@routes.patch("/repos/{owner}/{repo}/check-runs/{check_run_id}", WRITE)
async def update_check_run(request: web.Request) -> web.Response:
    github, repo = github_of(request), repo_of(request, DOCS_UPDATE)
    run = _run(request, repo)
    body = await read_json(request)
    validate_check_run(
        body, creating=False, has_conclusion=run.conclusion is not None, docs=DOCS_UPDATE
    )
    _apply(run, body, github.now())
    [shown] = await _render(github, site_of(request), repo, [run])
    return json_response(shown)


@routes.get("/repos/{owner}/{repo}/check-runs/{check_run_id}", READ)
async def get_check_run(request: web.Request) -> web.Response:
    repo = repo_of(request)
    run = _run(request, repo)
    [shown] = await _render(github_of(request), site_of(request), repo, [run])
    return json_response(shown)


@routes.get("/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations", READ)
async def list_annotations(request: web.Request) -> web.Response:
    repo = repo_of(request)
    run = _run(request, repo)
    site = site_of(request)

    def render(found: Annotation) -> shapes.Json:
        return {
            "path": found.path,
            "blob_href": f"{site.web}/{repo.full_name}/blob/{run.head_sha}/{found.path}",
            "start_line": found.start_line,
            "end_line": found.end_line,
            "start_column": found.start_column,
            "end_column": found.end_column,
            "annotation_level": found.annotation_level,
            "title": found.title,
            "message": found.message,
            "raw_details": found.raw_details,
        }

    return paged_response(request, run.annotations, render)


def _latest_per_name(runs: list[CheckRun]) -> list[CheckRun]:
    latest: dict[str, CheckRun] = {}
    for run in runs:
        if run.name not in latest or run.id > latest[run.name].id:
            latest[run.name] = run
    return list(latest.values())


@routes.get("/repos/{owner}/{repo}/commits/{ref}/check-runs", READ)
async def list_for_ref(request: web.Request) -> web.Response:
    github, repo = github_of(request), repo_of(request)
    ref = request.match_info["ref"]
    sha = await asyncio.to_thread(resolve_commit, repo.path, ref)
    if sha is None:
        raise _no_commit(ref)
    runs = [r for r in repo.check_runs.values() if r.head_sha == sha]
    if "check_name" in request.query:
        runs = [r for r in runs if r.name == request.query["check_name"]]
    if "status" in request.query:
        runs = [r for r in runs if r.status == request.query["status"]]
    if request.query.get("filter", "latest") == "latest":
        runs = _latest_per_name(runs)
    runs.sort(key=lambda r: -r.id)
    page = Page.requested(request.query)
    link = page.link_header(request.url, len(runs))
    shown = await _render(github, site_of(request), repo, page.slice(runs))
    return json_response(
        {"total_count": len(runs), "check_runs": shown}, headers={"Link": link} if link else None
    )
