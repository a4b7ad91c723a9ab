"""The fake GitHub's review requests, labels, branch requirements and merge queue behave like
GitHub's: status codes, validation errors, pagination, and the queue's merging and removing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.conftest import Repo
from tests.fakegithub.fixtures import (  # noqa: F401  (registers the fixtures)
    fake_github_fixture,
    github_repo_fixture,
)
from tests.fakegithub.gitdata import branch_tip
from tests.fakegithub.merge_queue import Outcome
from tests.fakegithub.models import CheckRun, RepoState
from tests.fakegithub.state import FakeGitHub

REPO = "acme/widgets"

QUEUE_QUERY = """
query($owner: String!, $name: String!, $after: String) {
  repository(owner: $owner, name: $name) {
    mergeQueue(branch: "main") {
      entries(first: 1, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { position state headCommit { oid } pullRequest { number } }
      }
    }
  }
}
"""


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def token(github: FakeGitHub, permissions: dict[str, str] | None = None) -> str:
    installation = github.installation_for("acme")
    assert installation is not None
    return f"token {github.issue_token(installation.id, permissions).value}"


async def call(
    http: aiohttp.ClientSession, github: FakeGitHub, method: str, path: str, **kwargs: Any
) -> tuple[int, Any, aiohttp.typedefs.LooseHeaders]:
    auth = kwargs.pop("auth", None) or token(github)
    async with http.request(
        method, github.url + path, headers={"Authorization": auth}, **kwargs
    ) as answer:
        return answer.status, await answer.json(), answer.headers


def two_pulls(github: FakeGitHub, repo: Repo) -> None:
    for name in ("one", "two"):
        repo.branch(name)
        repo.commit(name, {f"{name}.py": "X = 1\n"})
        repo.checkout("main")
        github.add_pull(REPO, name)


def passed(github: FakeGitHub, head: str) -> None:
    """The App's ai-review check on `head`, completed green (as the App would post it)."""
    state = github.repo(REPO)
    suite = github.check_suite(state, head)
    run = CheckRun(github.next_id(), "ai-review", head, suite.id, "completed", "success")
    state.check_runs[run.id] = run


async def test_review_requests_are_refused_whole_for_the_author_or_a_stranger(
    fake_github: FakeGitHub, github_repo: RepoState, repo: Repo, http: aiohttp.ClientSession
) -> None:
    two_pulls(fake_github, repo)
    fake_github.set_permission(REPO, "alice", "write")
    path = f"/repos/{REPO}/pulls/1/requested_reviewers"

    author, _, _ = await call(http, fake_github, "POST", path, json={"reviewers": ["dana"]})
    stranger, body, _ = await call(
        http, fake_github, "POST", path, json={"reviewers": ["alice", "zed"]}
    )
    no_write, _, _ = await call(
        http,
        fake_github,
        "POST",
        path,
        json={"reviewers": ["alice"]},
        auth=token(fake_github, {"pull_requests": "read", "metadata": "read"}),
    )
    asked, shown, _ = await call(http, fake_github, "POST", path, json={"reviewers": ["alice"]})

    assert (author, stranger, no_write, asked) == (422, 422, 403, 201)
    assert body["message"] == "Validation Failed"
    assert [user["login"] for user in shown["requested_reviewers"]] == ["alice"]
    fake_github.add_review(REPO, 1, "alice", "COMMENTED")
    assert fake_github.pull(REPO, 1).requested_reviewers == []  # a review answers the request


async def test_labels_are_made_once_added_and_removed_as_github_does(
    fake_github: FakeGitHub, github_repo: RepoState, repo: Repo, http: aiohttp.ClientSession
) -> None:
    two_pulls(fake_github, repo)
    labels = f"/repos/{REPO}/labels"
    label = {"name": "ai-risk: high", "color": "d93f0b", "description": "risk"}

    missing, _, _ = await call(http, fake_github, "GET", f"{labels}/ai-risk%3A%20high")
    made, _, _ = await call(http, fake_github, "POST", labels, json=label)
    again, body, _ = await call(http, fake_github, "POST", labels, json=label)
    bad, _, _ = await call(http, fake_github, "POST", labels, json={**label, "color": "red"})
    _, on, _ = await call(
        http, fake_github, "POST", f"/repos/{REPO}/issues/1/labels", json={"labels": ["new"]}
    )
    gone, _, _ = await call(http, fake_github, "DELETE", f"/repos/{REPO}/issues/1/labels/nope")
    removed, left, _ = await call(http, fake_github, "DELETE", f"/repos/{REPO}/issues/1/labels/NEW")

    assert (missing, made, again, bad, gone, removed) == (404, 201, 422, 422, 404, 200)
    assert body["errors"][0]["code"] == "already_exists"
    assert [found["name"] for found in on] == ["new"]
    assert "new" in fake_github.repo(REPO).labels  # adding a missing label makes it
    assert left == []


async def test_what_a_branch_requires_is_shown_by_get_a_branch_and_its_rules_pages(
    fake_github: FakeGitHub, github_repo: RepoState, repo: Repo, http: aiohttp.ClientSession
) -> None:
    fake_github.repo(REPO).protections.clear()
    fake_github.require_check(REPO, "ai-review", app_id=fake_github.app_id)
    fake_github.require_check(REPO, "ci", ruleset=True)
    fake_github.use_merge_queue(REPO, "ai-review")
    fake_github.add_ruleset(REPO, "off", ["refs/heads/main"], enforcement="disabled")

    found, branch, _ = await call(http, fake_github, "GET", f"/repos/{REPO}/branches/main")
    missing, _, _ = await call(http, fake_github, "GET", f"/repos/{REPO}/branches/nope")
    _, page, headers = await call(
        http, fake_github, "GET", f"/repos/{REPO}/rules/branches/main?per_page=2"
    )
    _, all_rules, _ = await call(http, fake_github, "GET", f"/repos/{REPO}/rules/branches/main")

    assert (found, missing) == (200, 404)
    assert branch["protection"]["required_status_checks"]["checks"] == [
        {"context": "ai-review", "app_id": fake_github.app_id}
    ]
    assert len(page) == 2
    assert 'rel="next"' in headers["Link"]
    assert [rule["type"] for rule in all_rules] == [
        "required_status_checks",
        "required_status_checks",
        "merge_queue",
    ]


async def test_the_merge_queue_merges_passed_groups_and_rebuilds_behind_a_failed_one(
    fake_github: FakeGitHub, github_repo: RepoState, repo: Repo, http: aiohttp.ClientSession
) -> None:
    two_pulls(fake_github, repo)
    fake_github.use_merge_queue(REPO, "ai-review")
    with pytest.raises(ValueError, match="required check 'ai-review' has not passed"):
        fake_github.enqueue(REPO, 1)
    for number in (1, 2):
        passed(fake_github, branch_tip(repo.path, fake_github.pull(REPO, number).head_ref) or "")
    fake_github.enqueue(REPO, 1)
    fake_github.enqueue(REPO, 2)
    variables = {"owner": "acme", "name": "widgets"}
    _, first, _ = await call(
        http, fake_github, "POST", "/graphql", json={"query": QUEUE_QUERY, "variables": variables}
    )
    entries = first["data"]["repository"]["mergeQueue"]["entries"]
    assert entries["pageInfo"]["hasNextPage"]
    assert entries["nodes"][0]["pullRequest"]["number"] == 1

    assert fake_github.advance_merge_queue(REPO) == [Outcome(1, "waiting")]
    one, two = fake_github.queue_of(REPO)
    state = fake_github.repo(REPO)
    suite = fake_github.check_suite(state, one.head_sha)
    failed = CheckRun(fake_github.next_id(), "ai-review", one.head_sha, suite.id)
    failed.status, failed.conclusion = "completed", "failure"
    state.check_runs[failed.id] = failed
    assert fake_github.advance_merge_queue(REPO) == [Outcome(1, "removed")]
    [rebuilt] = fake_github.queue_of(REPO)
    assert (rebuilt.number, rebuilt.head_sha != two.head_sha) == (2, True)

    passed(fake_github, rebuilt.head_sha)
    assert fake_github.advance_merge_queue(REPO) == [Outcome(2, "merged")]
    assert branch_tip(repo.path, "main") == rebuilt.head_sha
    assert (fake_github.pull(REPO, 1).merged, fake_github.pull(REPO, 2).merged) == (False, True)
