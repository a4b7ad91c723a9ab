"""The fake GitHub behaves like GitHub for the calls the bot makes."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from gidgethub import sansio
from pytest_aiohttp import AiohttpClient

from bot.github.client import GitHubClient
from bot.github.gather import PULL_REQUEST_QUERY
from bot.settings import load_settings
from tests.conftest import HUMAN, Repo
from tests.fakegithub import webhooks
from tests.fakegithub.auth import session_key
from tests.fakegithub.fixtures import (  # noqa: F401  (registers the fixtures)
    fake_github_fixture,
    github_repo_fixture,
)
from tests.fakegithub.models import RepoState
from tests.fakegithub.server import serve
from tests.fakegithub.state import FakeGitHub

REPO = "acme/widgets"
DIFF = "application/vnd.github.diff"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    auth: str | None = None,
    body: Any = None,
    accept: str | None = None,
) -> Answer:
    headers = {}
    if auth is not None:
        headers["Authorization"] = auth
    if accept is not None:
        headers["Accept"] = accept
    async with http.request(method, url, headers=headers, json=body) as response:
        return Answer(response.status, response.headers, await response.read())


@pytest.fixture
def token(fake_github: FakeGitHub, github_repo: RepoState) -> str:
    """An Authorization header value with a live installation token for acme."""
    installation = fake_github.installation_for("acme")
    assert installation is not None
    return f"token {fake_github.issue_token(installation.id).value}"


async def graphql(
    http: aiohttp.ClientSession, url: str, auth: str, query: str, **variables: Any
) -> Answer:
    return await call(http, "POST", url, auth=auth, body={"query": query, "variables": variables})


def feature_pull(fake_github: FakeGitHub, repo: Repo) -> None:
    """main: app.py, old.txt; feature: edits app.py, renames old.txt, adds a binary file;
    then main moves on with a file the pull request must not show."""
    lines = "".join(f"line {i}\n" for i in range(1, 21))
    repo.commit("Base", {"app.py": lines, "old.txt": "keep\n" * 10})
    repo.branch("feature")
    repo.commit(
        "Feature",
        {"app.py": lines.replace("line 10\n", "line ten\n"), "bin.dat": b"\0\1\2\3"},
        rename={"old.txt": "new.txt"},
    )
    repo.checkout("main")
    repo.commit("Main moves on", {"main_only.txt": "later\n"})
    fake_github.add_pull(REPO, "feature", title="Add the feature", labels=["ai-assisted"])


# -- a repository with hundreds and thousands of changed files, built once per module --------


def _fast_import(path: Path, stream: bytes) -> None:
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=path, input=stream, check=True, capture_output=True
    )


def _branch_stream(branch: str, files: Mapping[str, bytes]) -> bytes:
    """A fast-import stream: one commit on `branch`, from main, adding `files`."""
    message = f"Add {len(files)} files".encode()
    parts = [
        f"commit refs/heads/{branch}\n".encode(),
        f"committer {HUMAN[0]} <{HUMAN[1]}> 1700000000 +0000\n".encode(),
        f"data {len(message)}\n".encode() + message + b"\n",
        b"from refs/heads/main\n",
    ]
    for name, content in files.items():
        parts.append(f"M 100644 inline {name}\ndata {len(content)}\n".encode() + content + b"\n")
    return b"".join(parts)


@pytest.fixture(scope="module")
def wide_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repo]:
    """main plus branches `wide` (250 files), `huge` (3,010 files), `long` (20,001 lines)."""
    with pytest.MonkeyPatch.context() as patch:
        home = tmp_path_factory.mktemp("wide-home")
        (home / "gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
        patch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        started = time.monotonic()
        repo = Repo(tmp_path_factory.mktemp("wide"))
        repo.git("init", "-q", "-b", "main")
        repo.commit("Initial commit", {"README.md": "# Wide\n"})
        _fast_import(
            repo.path, _branch_stream("wide", {f"w/{i:03}.txt": b"%d\n" % i for i in range(250)})
        )
        _fast_import(
            repo.path, _branch_stream("huge", {f"h/{i:04}.txt": b"%d\n" % i for i in range(3010)})
        )
        _fast_import(repo.path, _branch_stream("long", {"long.txt": b"x\n" * 20_001}))
        assert time.monotonic() - started < 3
        yield repo


@pytest.fixture
def wide(fake_github: FakeGitHub, wide_repo: Repo, token: str) -> str:
    """acme/big with pull requests 1 (wide), 2 (huge) and 3 (long)."""
    fake_github.add_repo("acme/big", wide_repo)
    for branch in ("wide", "huge", "long"):
        fake_github.add_pull("acme/big", branch)
    return f"{fake_github.url}/repos/acme/big/pulls"


# -- App authentication ------------------------------------------------------------------------


async def test_valid_app_jwt_gets_an_installation_token(
    fake_github: FakeGitHub, http: aiohttp.ClientSession
) -> None:
    installation = fake_github.install("acme")
    url = f"{fake_github.url}/app/installations/{installation.id}/access_tokens"

    answer = await call(http, "POST", url, auth=f"Bearer {fake_github.app_jwt()}")

    assert answer.status == 201
    created = answer.json()
    assert re.fullmatch(r"ghs_[A-Za-z0-9]{36}", created["token"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", created["expires_at"])
    assert created["permissions"]["checks"] == "write"
    assert created["repository_selection"] == "all"


async def test_expired_app_jwt_is_refused_with_githubs_message(
    fake_github: FakeGitHub, http: aiohttp.ClientSession
) -> None:
    installation = fake_github.install("acme")
    expired = fake_github.app_jwt(issued_at=time.time() - 700, lifetime=600)

    answer = await call(
        http,
        "POST",
        f"{fake_github.url}/app/installations/{installation.id}/access_tokens",
        auth=f"Bearer {expired}",
    )

    assert answer.status == 401
    assert answer.json()["message"].startswith("'Expiration time' claim ('exp') must be")


async def test_app_jwt_signed_with_another_key_cannot_be_decoded(
    fake_github: FakeGitHub, http: aiohttp.ClientSession
) -> None:
    installation = fake_github.install("acme")
    forged = fake_github.app_jwt(key=session_key("intruder"))

    answer = await call(
        http,
        "POST",
        f"{fake_github.url}/app/installations/{installation.id}/access_tokens",
        auth=f"Bearer {forged}",
    )

    assert answer.status == 401
    assert answer.json()["message"] == "A JSON web token could not be decoded"


async def test_app_jwt_living_over_ten_minutes_is_too_far_in_the_future(
    fake_github: FakeGitHub, http: aiohttp.ClientSession
) -> None:
    installation = fake_github.install("acme")

    answer = await call(
        http,
        "POST",
        f"{fake_github.url}/app/installations/{installation.id}/access_tokens",
        auth=f"Bearer {fake_github.app_jwt(lifetime=11 * 60)}",
    )

    assert answer.status == 401
    assert answer.json()["message"] == "'Expiration time' claim ('exp') is too far in the future"


async def test_rest_call_without_a_token_requires_authentication(
    fake_github: FakeGitHub, github_repo: RepoState, http: aiohttp.ClientSession
) -> None:
    answer = await call(http, "GET", f"{fake_github.url}/repos/{REPO}")

    assert answer.status == 401
    assert answer.json()["message"] == "Requires authentication"


async def test_expired_installation_token_is_bad_credentials(
    fake_github: FakeGitHub, token: str, http: aiohttp.ClientSession
) -> None:
    fake_github.advance(3601)

    answer = await call(http, "GET", f"{fake_github.url}/repos/{REPO}", auth=token)

    assert answer.status == 401
    assert answer.json()["message"] == "Bad credentials"


async def test_app_jwt_is_not_an_installation_token(
    fake_github: FakeGitHub, github_repo: RepoState, http: aiohttp.ClientSession
) -> None:
    answer = await call(
        http, "GET", f"{fake_github.url}/repos/{REPO}", auth=f"Bearer {fake_github.app_jwt()}"
    )

    assert answer.status == 401


async def test_repository_of_another_account_is_not_found(
    fake_github: FakeGitHub, token: str, repo: Repo, http: aiohttp.ClientSession
) -> None:
    fake_github.add_repo("other/secret", repo)

    answer = await call(http, "GET", f"{fake_github.url}/repos/other/secret", auth=token)

    assert answer.status == 404
    assert answer.json()["message"] == "Not Found"


async def test_endpoint_needing_a_permission_the_app_lacks_is_forbidden(
    fake_github: FakeGitHub, http: aiohttp.ClientSession
) -> None:
    installation = fake_github.install("acme", permissions={"metadata": "read"})
    fake_github.add_team_member("acme/architects", "alice")
    auth = f"token {fake_github.issue_token(installation.id).value}"

    answer = await call(
        http,
        "GET",
        f"{fake_github.url}/orgs/acme/teams/architects/memberships/alice",
        auth=auth,
    )

    assert answer.status == 403
    assert answer.json()["message"] == "Resource not accessible by integration"


# -- pull requests -----------------------------------------------------------------------------


async def test_pull_request_head_follows_its_branch(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    feature_pull(fake_github, repo)
    url = f"{fake_github.url}/repos/{REPO}/pulls/1"
    first = (await call(http, "GET", url, auth=token)).json()
    repo.checkout("feature")
    pushed = repo.commit("More", {"more.txt": "more\n"})

    second = (await call(http, "GET", url, auth=token)).json()

    assert first["head"]["sha"] == repo.sha("feature~1")
    assert second["head"]["sha"] == pushed
    assert second["base"]["sha"] == repo.sha("main")
    assert (second["number"], second["title"], second["state"]) == (1, "Add the feature", "open")
    assert [label["name"] for label in second["labels"]] == ["ai-assisted"]
    assert second["head"]["repo"]["full_name"] == REPO
    assert (second["commits"], second["changed_files"]) == (2, 4)


async def test_pull_request_diff_is_taken_from_the_merge_base(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    feature_pull(fake_github, repo)

    answer = await call(
        http, "GET", f"{fake_github.url}/repos/{REPO}/pulls/1", auth=token, accept=DIFF
    )

    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith(DIFF)
    expected = repo.git("diff", "--full-index", "-M", "main...feature")
    assert answer.body.decode().strip() == expected
    assert "main_only.txt" not in answer.body.decode()


async def test_diff_of_more_than_300_files_is_refused_as_too_large(
    fake_github: FakeGitHub, wide: str, http: aiohttp.ClientSession, token: str
) -> None:
    answer = await call(
        http, "GET", f"{wide}/2", auth=token, accept="application/vnd.github.v3.diff"
    )

    assert answer.status == 406
    assert answer.json() == {
        "message": "Sorry, the diff exceeded the maximum number of files (300). Consider using "
        "'List pull requests files' API or locally cloning the repository instead.",
        "errors": [{"resource": "PullRequest", "field": "diff", "code": "too_large"}],
        "documentation_url": "https://docs.github.com/rest/pulls/pulls#list-pull-requests-files",
        "status": "406",
    }


async def test_diff_of_more_than_20000_lines_is_refused_as_too_large(
    fake_github: FakeGitHub, wide: str, http: aiohttp.ClientSession, token: str
) -> None:
    answer = await call(http, "GET", f"{wide}/3", auth=token, accept=DIFF)

    assert answer.status == 406
    assert "maximum number of lines (20000)" in answer.json()["message"]


async def test_file_list_pages_carry_githubs_link_header(
    fake_github: FakeGitHub, wide: str, http: aiohttp.ClientSession, token: str
) -> None:
    url = f"{wide}/1/files?per_page=100"
    pages = [await call(http, "GET", f"{url}&page={n}", auth=token) for n in (1, 2, 3)]

    names = [f["filename"] for page in pages for f in page.json()]
    assert names == [f"w/{i:03}.txt" for i in range(250)]
    assert [len(page.json()) for page in pages] == [100, 100, 50]
    assert pages[0].headers["Link"] == (
        f'<{wide}/1/files?per_page=100&page=2>; rel="next", '
        f'<{wide}/1/files?per_page=100&page=3>; rel="last"'
    )
    assert pages[2].headers["Link"] == (
        f'<{wide}/1/files?per_page=100&page=2>; rel="prev", '
        f'<{wide}/1/files?per_page=100&page=1>; rel="first"'
    )


async def test_file_list_page_size_is_clamped_to_100(
    fake_github: FakeGitHub, wide: str, http: aiohttp.ClientSession, token: str
) -> None:
    answer = await call(http, "GET", f"{wide}/1/files?per_page=500", auth=token)

    assert len(answer.json()) == 100
    assert 'per_page=100&page=3>; rel="last"' in answer.headers["Link"]


async def test_file_list_stops_at_3000_files(
    fake_github: FakeGitHub, wide: str, http: aiohttp.ClientSession, token: str
) -> None:
    last = await call(http, "GET", f"{wide}/2/files?per_page=100&page=30", auth=token)
    beyond = await call(http, "GET", f"{wide}/2/files?per_page=100&page=31", auth=token)
    pull = await call(http, "GET", f"{wide}/2", auth=token)

    assert last.json()[-1]["filename"] == "h/2999.txt"
    assert 'rel="next"' not in last.headers["Link"]
    assert beyond.json() == []
    assert pull.json()["changed_files"] == 3010


async def test_file_patch_is_gits_hunks(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    feature_pull(fake_github, repo)

    answer = await call(http, "GET", f"{fake_github.url}/repos/{REPO}/pulls/1/files", auth=token)

    files = {f["filename"]: f for f in answer.json()}
    git_diff = repo.git("diff", "-M", "main...feature", "--", "app.py")
    assert files["app.py"]["patch"] == git_diff[git_diff.index("@@") :]
    assert (files["app.py"]["status"], files["app.py"]["changes"]) == ("modified", 2)
    assert files["app.py"]["sha"] == repo.git("rev-parse", "feature:app.py")
    assert files["new.txt"]["status"] == "renamed"
    assert files["new.txt"]["previous_filename"] == "old.txt"
    assert files["bin.dat"]["status"] == "added"
    assert "patch" not in files["bin.dat"]


async def test_pull_request_commits_list_oldest_first(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    repo.branch("feature")
    first = repo.commit("One", {"a.txt": "1\n"})
    second = repo.commit("Two", {"a.txt": "2\n"}, author=("Ann", "ann@example.com"))
    fake_github.add_pull(REPO, "feature")
    fake_github.link_email("ann@example.com", "ann")

    answer = await call(http, "GET", f"{fake_github.url}/repos/{REPO}/pulls/1/commits", auth=token)

    commits = answer.json()
    assert [c["sha"] for c in commits] == [first, second]
    assert commits[1]["commit"]["message"] == "Two"
    assert commits[1]["author"]["login"] == "ann"
    assert commits[0]["author"] is None
    assert commits[1]["parents"][0]["sha"] == first


async def test_reviews_list_oldest_first_with_their_commit(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    feature_pull(fake_github, repo)
    fake_github.add_review(REPO, 1, "bob", "CHANGES_REQUESTED", body="Not yet")
    approval = fake_github.add_review(REPO, 1, "alice")

    answer = await call(http, "GET", f"{fake_github.url}/repos/{REPO}/pulls/1/reviews", auth=token)

    reviews = answer.json()
    assert [(r["user"]["login"], r["state"]) for r in reviews] == [
        ("bob", "CHANGES_REQUESTED"),
        ("alice", "APPROVED"),
    ]
    assert reviews[1]["id"] == approval.id
    assert reviews[1]["commit_id"] == repo.sha("feature")


# -- contents ----------------------------------------------------------------------------------


async def test_contents_are_base64_at_the_ref(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    repo.branch("config")
    repo.commit("Config", {".github/ai-review.yml": "detect:\n  labels: [ai]\n"})
    url = f"{fake_github.url}/repos/{REPO}/contents/.github/ai-review.yml"

    found = await call(http, "GET", f"{url}?ref=config", auth=token)
    missing = await call(http, "GET", url, auth=token)

    assert found.json()["encoding"] == "base64"
    assert base64.b64decode(found.json()["content"]) == b"detect:\n  labels: [ai]\n"
    assert missing.status == 404
    assert missing.json()["message"] == "Not Found"


# -- check runs --------------------------------------------------------------------------------


async def test_check_run_annotations_accumulate_across_updates(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    feature_pull(fake_github, repo)
    head = repo.sha("feature")
    runs = f"{fake_github.url}/repos/{REPO}/check-runs"
    note = {"path": "app.py", "start_line": 10, "end_line": 10, "annotation_level": "warning"}

    created = await call(
        http, "POST", runs, auth=token, body={"name": "ai-review", "head_sha": head}
    )
    run_url = f"{runs}/{created.json()['id']}"
    output = {"title": "t", "summary": "s", "annotations": [{**note, "message": "one"}]}
    await call(http, "PATCH", run_url, auth=token, body={"output": output})
    done = await call(
        http,
        "PATCH",
        run_url,
        auth=token,
        body={
            "conclusion": "action_required",
            "output": {**output, "annotations": [{**note, "message": "two"}]},
        },
    )

    assert created.status == 201
    assert created.json()["status"] == "queued"
    assert created.json()["pull_requests"][0]["number"] == 1
    assert done.json()["status"] == "completed"
    assert done.json()["conclusion"] == "action_required"
    assert done.json()["completed_at"] is not None
    assert done.json()["output"]["annotations_count"] == 2
    [run] = fake_github.check_runs(REPO, head_sha=head)
    assert [a.message for a in run.annotations] == ["one", "two"]


async def test_check_run_without_name_is_invalid(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    answer = await call(
        http,
        "POST",
        f"{fake_github.url}/repos/{REPO}/check-runs",
        auth=token,
        body={"head_sha": repo.sha("main")},
    )

    assert answer.status == 422
    assert answer.json()["message"] == 'Invalid request.\n\n"name" wasn\'t supplied.'


async def test_completed_check_run_needs_a_conclusion(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    answer = await call(
        http,
        "POST",
        f"{fake_github.url}/repos/{REPO}/check-runs",
        auth=token,
        body={"name": "ai-review", "head_sha": repo.sha("main"), "status": "completed"},
    )

    assert answer.status == 422
    assert "conclusion" in answer.json()["message"]
    assert fake_github.check_runs(REPO) == []


async def test_check_run_with_51_annotations_is_invalid(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    note = {
        "path": "README.md",
        "start_line": 1,
        "end_line": 1,
        "annotation_level": "notice",
        "message": "m",
    }
    output = {"title": "t", "summary": "s", "annotations": [note] * 51}

    answer = await call(
        http,
        "POST",
        f"{fake_github.url}/repos/{REPO}/check-runs",
        auth=token,
        body={"name": "ai-review", "head_sha": repo.sha("main"), "output": output},
    )

    assert answer.status == 422


async def test_check_run_summary_over_65535_bytes_fails_validation(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    output = {"title": "t", "summary": "é" * 40_000}

    answer = await call(
        http,
        "POST",
        f"{fake_github.url}/repos/{REPO}/check-runs",
        auth=token,
        body={"name": "ai-review", "head_sha": repo.sha("main"), "output": output},
    )

    assert answer.status == 422
    assert answer.json()["message"] == "Validation Failed"
    assert answer.json()["errors"][0]["field"] == "summary"


async def test_check_run_on_an_unknown_commit_is_refused(
    fake_github: FakeGitHub, token: str, github_repo: RepoState, http: aiohttp.ClientSession
) -> None:
    answer = await call(
        http,
        "POST",
        f"{fake_github.url}/repos/{REPO}/check-runs",
        auth=token,
        body={"name": "ai-review", "head_sha": "0" * 40},
    )

    assert answer.status == 422
    assert answer.json()["message"] == f"No commit found for SHA: {'0' * 40}"


async def test_check_runs_are_listed_by_ref_latest_per_name(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    runs = f"{fake_github.url}/repos/{REPO}/check-runs"
    head = repo.sha("main")
    for name in ("ai-review", "ai-review", "lint"):
        await call(http, "POST", runs, auth=token, body={"name": name, "head_sha": head})

    answer = await call(
        http,
        "GET",
        f"{fake_github.url}/repos/{REPO}/commits/main/check-runs?check_name=ai-review",
        auth=token,
    )

    listed = answer.json()
    assert listed["total_count"] == 1
    assert listed["check_runs"][0]["id"] == fake_github.check_runs(REPO, name="ai-review")[1].id


# -- comments ----------------------------------------------------------------------------------


async def test_comment_written_with_an_installation_token_is_the_bots(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    feature_pull(fake_github, repo)
    comments = f"{fake_github.url}/repos/{REPO}/issues/1/comments"

    created = await call(http, "POST", comments, auth=token, body={"body": "<!-- ai-review -->"})
    edited = await call(
        http,
        "PATCH",
        f"{fake_github.url}/repos/{REPO}/issues/comments/{created.json()['id']}",
        auth=token,
        body={"body": "<!-- ai-review --> v2"},
    )

    assert created.status == 201
    assert created.json()["user"]["login"] == "ai-review[bot]"
    assert created.json()["user"]["type"] == "Bot"
    assert edited.status == 200
    assert [c.body for c in fake_github.comments(REPO, 1)] == ["<!-- ai-review --> v2"]


async def test_comment_longer_than_65536_characters_fails_validation(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    feature_pull(fake_github, repo)

    answer = await call(
        http,
        "POST",
        f"{fake_github.url}/repos/{REPO}/issues/1/comments",
        auth=token,
        body={"body": "x" * 65_537},
    )

    assert answer.status == 422
    assert answer.json()["errors"] == [
        {
            "resource": "IssueComment",
            "code": "custom",
            "field": "body",
            "message": "body is too long (maximum is 65536 characters)",
        }
    ]


async def test_reaction_is_created_once(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    feature_pull(fake_github, repo)
    command = fake_github.add_comment(REPO, 1, "alice", "/ai-review recheck")
    url = f"{fake_github.url}/repos/{REPO}/issues/comments/{command.id}/reactions"

    first = await call(http, "POST", url, auth=token, body={"content": "+1"})
    again = await call(http, "POST", url, auth=token, body={"content": "+1"})

    assert (first.status, again.status) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert list(command.reactions) == [("ai-review[bot]", "+1")]


# -- organizations -----------------------------------------------------------------------------


async def test_team_membership_is_active_or_not_found(
    fake_github: FakeGitHub, token: str, http: aiohttp.ClientSession
) -> None:
    fake_github.add_team_member("@acme/architects", "alice", role="maintainer")
    url = f"{fake_github.url}/orgs/acme/teams/architects/memberships"

    member = await call(http, "GET", f"{url}/alice", auth=token)
    stranger = await call(http, "GET", f"{url}/mallory", auth=token)

    assert member.status == 200
    assert (member.json()["state"], member.json()["role"]) == ("active", "maintainer")
    assert stranger.status == 404


async def test_collaborator_permission_names_the_role(
    fake_github: FakeGitHub, token: str, http: aiohttp.ClientSession
) -> None:
    fake_github.set_permission(REPO, "carol", "maintain")
    url = f"{fake_github.url}/repos/{REPO}/collaborators"

    carol = (await call(http, "GET", f"{url}/carol/permission", auth=token)).json()
    nobody = (await call(http, "GET", f"{url}/nobody/permission", auth=token)).json()

    assert (carol["permission"], carol["role_name"]) == ("write", "maintain")
    assert carol["user"]["permissions"]["maintain"] is True
    assert carol["user"]["permissions"]["admin"] is False
    assert nobody["permission"] == "none"


# -- rate limits and faults --------------------------------------------------------------------


async def test_rate_limit_headers_count_down_per_installation(
    fake_github: FakeGitHub, token: str, http: aiohttp.ClientSession
) -> None:
    url = f"{fake_github.url}/repos/{REPO}"

    first = await call(http, "GET", url, auth=token)
    second = await call(http, "GET", url, auth=token)

    assert first.headers["x-ratelimit-limit"] == "5000"
    assert first.headers["x-ratelimit-remaining"] == "4999"
    assert second.headers["x-ratelimit-remaining"] == "4998"
    assert second.headers["x-ratelimit-used"] == "2"
    assert second.headers["x-ratelimit-resource"] == "core"
    assert int(second.headers["x-ratelimit-reset"]) > time.time()
    assert re.fullmatch(r"[0-9A-F:]+", second.headers["x-github-request-id"])


async def test_exhausted_budget_answers_the_primary_rate_limit(
    fake_github: FakeGitHub, token: str, http: aiohttp.ClientSession
) -> None:
    installation = fake_github.installation_for("acme")
    assert installation is not None
    fake_github.set_rate_limit_remaining(1, installation_id=installation.id)
    url = f"{fake_github.url}/repos/{REPO}"

    last = await call(http, "GET", url, auth=token)
    refused = await call(http, "GET", url, auth=token)

    assert (last.status, last.headers["x-ratelimit-remaining"]) == (200, "0")
    assert refused.status == 403
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.json()["message"] == (
        f"API rate limit exceeded for installation ID {installation.id}."
    )


async def test_asking_for_the_rate_limit_costs_nothing(
    fake_github: FakeGitHub, token: str, http: aiohttp.ClientSession
) -> None:
    answer = await call(http, "GET", f"{fake_github.url}/rate_limit", auth=token)
    again = await call(http, "GET", f"{fake_github.url}/rate_limit", auth=token)

    assert again.json()["resources"]["core"]["remaining"] == 5000
    assert answer.json()["resources"]["graphql"]["limit"] == 5000


async def test_injected_502_answers_then_the_endpoint_recovers(
    fake_github: FakeGitHub, token: str, http: aiohttp.ClientSession
) -> None:
    fake_github.fail("GET", r"^/repos/acme/widgets$", 502, times=2)
    url = f"{fake_github.url}/repos/{REPO}"

    statuses = [(await call(http, "GET", url, auth=token)).status for _ in range(3)]

    assert statuses == [502, 502, 200]


async def test_secondary_rate_limit_says_when_to_retry(
    fake_github: FakeGitHub, token: str, repo: Repo, http: aiohttp.ClientSession
) -> None:
    fake_github.secondary_rate_limit("POST", r"/check-runs$", retry_after=7)

    answer = await call(
        http,
        "POST",
        f"{fake_github.url}/repos/{REPO}/check-runs",
        auth=token,
        body={"name": "ai-review", "head_sha": repo.sha("main")},
    )

    assert answer.status == 403
    assert answer.headers["retry-after"] == "7"
    assert answer.json()["message"].startswith("You have exceeded a secondary rate limit.")
    assert fake_github.check_runs(REPO) == []


async def test_slow_rule_delays_the_answer(
    fake_github: FakeGitHub, token: str, http: aiohttp.ClientSession
) -> None:
    fake_github.slow("GET", r"^/repos/", 0.2, times=1)
    url = f"{fake_github.url}/repos/{REPO}"

    started = time.monotonic()
    slow = await call(http, "GET", url, auth=token)
    middle = time.monotonic()
    await call(http, "GET", url, auth=token)

    assert slow.status == 200
    assert middle - started >= 0.2
    assert time.monotonic() - middle < 0.2


# -- the request log ---------------------------------------------------------------------------


async def test_request_log_records_bodies_without_showing_tokens(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    feature_pull(fake_github, repo)
    await call(
        http,
        "POST",
        f"{fake_github.url}/api/v3/repos/{REPO}/issues/1/comments",
        auth=token,
        body={"body": "hi"},
    )

    [posted] = fake_github.requests("POST", f"/repos/{REPO}/issues/1/comments")
    assert posted.json == {"body": "hi"}
    assert posted.status == 201
    assert posted.auth_scheme == "token"
    assert token.split()[1] not in repr(posted)
    assert fake_github.count("POST") == 1
    fake_github.clear_log()
    assert fake_github.count() == 0


# -- GraphQL -----------------------------------------------------------------------------------

COMMITS_QUERY = """
query($owner: String!, $name: String!, $number: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      headRefOid
      commits(first: 2, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { commit { oid message additions deletions
                         parents(first: 2) { totalCount nodes { oid } }
                         author { name email user { login } } } }
      }
    }
  }
}
"""


async def test_graphql_pages_through_pull_request_commits(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    repo.branch("feature")
    shas = [repo.commit(f"Commit {i}", {"f.txt": f"{i}\n"}) for i in range(3)]
    fake_github.add_pull(REPO, "feature")
    fake_github.link_email(HUMAN[1], "dana")
    variables = {"owner": "acme", "name": "widgets", "number": 1}

    first = await graphql(http, fake_github.graphql_url, token, COMMITS_QUERY, **variables)
    cursor = first.json()["data"]["repository"]["pullRequest"]["commits"]["pageInfo"]["endCursor"]
    second = await graphql(
        http, fake_github.graphql_url, token, COMMITS_QUERY, **variables, after=cursor
    )

    pages = [a.json()["data"]["repository"]["pullRequest"]["commits"] for a in (first, second)]
    assert [n["commit"]["oid"] for p in pages for n in p["nodes"]] == shas
    assert pages[0]["totalCount"] == 3
    assert [p["pageInfo"]["hasNextPage"] for p in pages] == [True, False]
    newest = pages[1]["nodes"][0]["commit"]
    assert newest["message"] == "Commit 2"
    assert (newest["additions"], newest["deletions"]) == (1, 1)
    assert newest["parents"]["nodes"] == [{"oid": shas[1]}]
    assert newest["author"]["user"] == {"login": "dana"}


async def test_graphql_reads_many_aliased_blobs_in_one_query(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    repo.commit(
        "Files", {f"src/{i}.py": f"x = {i}\n" for i in range(150)} | {"logo.png": b"\x89PNG\0"}
    )
    fields = "\n".join(
        f'f{i}: object(expression: "HEAD:src/{i}.py") {{ ... on Blob {{ text }} }}'
        for i in range(150)
    )
    query = (
        f'{{ repository(owner: "acme", name: "widgets") {{ {fields}\n'
        'png: object(expression: "HEAD:logo.png") { ... on Blob { text isBinary byteSize } }\n'
        'gone: object(expression: "HEAD:missing.py") { ... on Blob { text } } } }'
    )

    answer = await graphql(http, fake_github.graphql_url, token, query)

    found = answer.json()["data"]["repository"]
    assert "errors" not in answer.json()
    assert [found[f"f{i}"]["text"] for i in range(150)] == [f"x = {i}\n" for i in range(150)]
    assert found["png"] == {"text": None, "isBinary": True, "byteSize": 5}
    assert found["gone"] is None


async def test_graphql_shows_githubs_signature_on_commits_it_made(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    repo.branch("feature")
    mine = repo.commit("Mine", {"a.txt": "1\n"})
    update = repo.commit("Update branch", {"b.txt": "2\n"})
    fake_github.add_pull(REPO, "feature")
    fake_github.sign_by_github(update)
    query = (
        '{ repository(owner: "acme", name: "widgets") { pullRequest(number: 1) '
        "{ commits(first: 5) { nodes { commit "
        "{ oid signature { isValid wasSignedByGitHub signer { login } } } } } } } }"
    )

    answer = await graphql(http, fake_github.graphql_url, token, query)

    nodes = answer.json()["data"]["repository"]["pullRequest"]["commits"]["nodes"]
    assert [n["commit"] for n in nodes] == [
        {"oid": mine, "signature": None},
        {
            "oid": update,
            "signature": {
                "isValid": True,
                "wasSignedByGitHub": True,
                "signer": {"login": "web-flow"},
            },
        },
    ]


async def test_graphql_missing_repository_is_a_not_found_error(
    fake_github: FakeGitHub, token: str, http: aiohttp.ClientSession
) -> None:
    query = '{ org: repository(owner: "acme", name: ".github") { id } rateLimit { remaining } }'

    answer = await graphql(http, fake_github.graphql_url, token, query)

    assert answer.status == 200
    assert answer.json() == {
        "data": {"org": None, "rateLimit": {"remaining": 4999}},
        "errors": [
            {
                "type": "NOT_FOUND",
                "path": ["org"],
                "locations": [{"line": 1, "column": 3}],
                "message": "Could not resolve to a Repository with the name 'acme/.github'.",
            }
        ],
    }


async def test_graphql_refuses_pages_over_100(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    feature_pull(fake_github, repo)
    query = (
        '{ repository(owner: "acme", name: "widgets") '
        "{ pullRequest(number: 1) { commits(first: 101) { totalCount } } } }"
    )

    answer = await graphql(http, fake_github.graphql_url, token, query)

    [error] = answer.json()["errors"]
    assert error["type"] == "EXCESSIVE_PAGINATION"


async def test_graphql_names_the_apps_account_without_bot_suffix(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    feature_pull(fake_github, repo)
    fake_github.add_comment(REPO, 1, fake_github.bot_login, "<!-- ai-review -->")
    query = (
        '{ repository(owner: "acme", name: "widgets") { pullRequest(number: 1) '
        "{ comments(first: 10) { nodes { databaseId author { __typename login } } } } } }"
    )

    answer = await graphql(http, fake_github.graphql_url, token, query)

    [node] = answer.json()["data"]["repository"]["pullRequest"]["comments"]["nodes"]
    assert node["author"] == {"__typename": "Bot", "login": "ai-review"}


async def test_graphql_requires_a_token(
    fake_github: FakeGitHub, http: aiohttp.ClientSession
) -> None:
    answer = await call(
        http, "POST", fake_github.graphql_url, body={"query": "{ rateLimit { limit } }"}
    )

    assert answer.status == 401


async def test_graphql_exhausted_budget_is_a_rate_limited_error(
    fake_github: FakeGitHub, token: str, http: aiohttp.ClientSession
) -> None:
    installation = fake_github.installation_for("acme")
    assert installation is not None
    fake_github.set_rate_limit_remaining(0, installation_id=installation.id, resource="graphql")

    answer = await graphql(http, fake_github.graphql_url, token, "{ rateLimit { limit } }")

    assert answer.status == 200
    assert answer.headers["x-ratelimit-resource"] == "graphql"
    assert answer.headers["x-ratelimit-remaining"] == "0"
    assert [e["type"] for e in answer.json()["errors"]] == ["RATE_LIMITED"]


async def test_the_bots_pull_request_query_runs_unchanged(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    repo.commit(
        "Config",
        {".github/ai-review/checklists/extra.yml": "id: extra\n", "CODEOWNERS": "* @alice\n"},
    )
    feature_pull(fake_github, repo)
    fake_github.add_review(REPO, 1, "alice")
    client = GitHubClient(
        http,
        oauth_token=token.split()[1],
        base_url=fake_github.url,
        graphql_url=fake_github.graphql_url,
    )

    data = await client.query(
        PULL_REQUEST_QUERY,
        owner="acme",
        name="widgets",
        number=1,
        config="refs/heads/main:.github/ai-review.yml",
        checklists="refs/heads/main:.github/ai-review/checklists",
        orgConfig="HEAD:.github/ai-review.yml",
        codeowners1="refs/heads/main:.github/CODEOWNERS",
        codeowners2="refs/heads/main:CODEOWNERS",
        codeowners3="refs/heads/main:docs",
    )

    pull = data["repository"]["pullRequest"]
    assert pull["headRefOid"] == repo.sha("feature")
    assert data["repository"]["codeowners1"] is None
    assert data["repository"]["codeowners2"] == {
        "__typename": "Blob",
        "text": "* @alice\n",
        "byteSize": 9,
        "isBinary": False,
        "isTruncated": False,
    }
    assert pull["changedFiles"] == 3
    assert data["repository"]["config"] is None
    assert data["repository"]["checklists"]["entries"] == [
        {"name": "extra.yml", "type": "blob", "object": {"text": "id: extra\n"}}
    ]
    assert pull["reviews"]["nodes"][0]["author"] == {"__typename": "User", "login": "alice"}
    assert pull["reviews"]["nodes"][0]["commit"] == {"oid": repo.sha("feature")}
    assert data["org"] is None


async def test_org_github_repository_serves_the_org_config(
    fake_github: FakeGitHub, token: str, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    org_repo = Repo(tmp_path / "dot-github")
    org_repo.path.mkdir()
    org_repo.git("init", "-q", "-b", "main")
    org_repo.commit("Org config", {".github/ai-review.yml": "approvals: {}\n"})
    fake_github.add_repo("acme/.github", org_repo)
    query = (
        'query { org: repository(owner: "acme", name: ".github") '
        '{ config: object(expression: "HEAD:.github/ai-review.yml") { ... on Blob { text } } } }'
    )

    answer = await graphql(http, fake_github.graphql_url, token, query)

    assert answer.json() == {"data": {"org": {"config": {"text": "approvals: {}\n"}}}}


# -- GitHub Enterprise layout ------------------------------------------------------------------


async def test_enterprise_prefix_serves_rest_and_graphql(
    fake_github: FakeGitHub, wide: str, token: str, http: aiohttp.ClientSession
) -> None:
    files = await call(
        http, "GET", f"{fake_github.enterprise_url}/repos/acme/big/pulls/1/files", auth=token
    )
    answer = await graphql(http, f"{fake_github.url}/api/graphql", token, "{ rateLimit { limit } }")

    assert files.status == 200
    assert f"<{fake_github.enterprise_url}/repos/acme/big/pulls/1/files?" in files.headers["Link"]
    assert answer.json() == {"data": {"rateLimit": {"limit": 5000}}}


# -- webhooks ----------------------------------------------------------------------------------


def test_webhook_is_signed_like_githubs(fake_github_offline: FakeGitHub, repo: Repo) -> None:
    feature_pull(fake_github_offline, repo)
    hook = webhooks.pull_request(fake_github_offline, REPO, 1, "synchronize")

    body, headers = hook.signed("s3cret", delivery_id="d-1")

    event = sansio.Event.from_http(
        {k.lower(): v for k, v in headers.items()}, body, secret="s3cret"
    )
    assert (event.event, event.delivery_id) == ("pull_request", "d-1")
    assert headers["X-Hub-Signature-256"] == webhooks.sign(body, "s3cret")
    assert event.data["action"] == "synchronize"
    assert event.data["after"] == repo.sha("feature")
    installation = fake_github_offline.installation_for("acme")
    assert installation is not None
    assert event.data["installation"]["id"] == installation.id


async def test_pull_request_webhook_carries_the_rest_pull_request(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    feature_pull(fake_github, repo)

    hook = webhooks.pull_request(fake_github, REPO, 1, "labeled", label="ai-assisted")
    rest = await call(http, "GET", f"{fake_github.url}/repos/{REPO}/pulls/1", auth=token)

    assert hook.payload["pull_request"] == rest.json()
    assert hook.payload["number"] == 1
    assert hook.payload["label"]["name"] == "ai-assisted"
    assert hook.payload["repository"]["full_name"] == REPO
    assert hook.payload["sender"]["login"] == "dana"


def test_review_webhook_state_is_lower_case(fake_github_offline: FakeGitHub, repo: Repo) -> None:
    feature_pull(fake_github_offline, repo)
    review = fake_github_offline.add_review(REPO, 1, "alice")

    hook = webhooks.pull_request_review(fake_github_offline, REPO, 1, review.id)

    assert hook.payload["review"]["state"] == "approved"
    assert hook.payload["review"]["commit_id"] == repo.sha("feature")
    assert hook.payload["sender"]["login"] == "alice"


@pytest.fixture
def fake_github_offline(repo: Repo) -> FakeGitHub:
    """State only, for payload tests that need no server (URLs point at a placeholder)."""
    github = FakeGitHub()
    github.url = "http://127.0.0.1:9"
    github.install("acme")
    github.add_repo(REPO, repo)
    return github


def test_settings_env_points_the_bots_settings_at_the_fake(
    fake_github_offline: FakeGitHub,
) -> None:
    settings = load_settings(fake_github_offline.settings_env("s3cret", enterprise=True))

    assert settings.app_id == str(fake_github_offline.app_id)
    assert settings.private_key == session_key().private_pem
    assert settings.api_url == "http://127.0.0.1:9/api/v3"
    assert settings.graphql_url == "http://127.0.0.1:9/api/graphql"


def test_issue_comment_webhook_points_at_the_pull_request(
    fake_github_offline: FakeGitHub, repo: Repo
) -> None:
    feature_pull(fake_github_offline, repo)
    command = fake_github_offline.add_comment(REPO, 1, "alice", "/ai-review recheck")

    hook = webhooks.issue_comment(fake_github_offline, REPO, command.id)

    assert hook.event == "issue_comment"
    assert hook.payload["action"] == "created"
    assert hook.payload["issue"]["number"] == 1
    assert hook.payload["issue"]["pull_request"]["url"].endswith(f"/repos/{REPO}/pulls/1")
    assert hook.payload["comment"]["body"] == "/ai-review recheck"
    assert hook.payload["comment"]["user"]["login"] == "alice"


async def test_check_run_webhook_names_its_pull_requests(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    feature_pull(fake_github, repo)
    created = await call(
        http,
        "POST",
        f"{fake_github.url}/repos/{REPO}/check-runs",
        auth=token,
        body={"name": "ai-review", "head_sha": repo.sha("feature")},
    )

    hook = webhooks.check_run(fake_github, REPO, created.json()["id"], "rerequested")

    check_run = hook.payload["check_run"]
    assert check_run["head_sha"] == repo.sha("feature")
    assert check_run["check_suite"]["head_branch"] == "feature"
    assert [(p["number"], p["head"]["sha"]) for p in check_run["pull_requests"]] == [
        (1, repo.sha("feature"))
    ]


def test_check_suite_webhook_is_the_apps_suite_on_the_head(
    fake_github_offline: FakeGitHub, repo: Repo
) -> None:
    feature_pull(fake_github_offline, repo)

    hook = webhooks.check_suite(fake_github_offline, REPO, repo.sha("feature"))

    suite = hook.payload["check_suite"]
    assert (hook.event, hook.payload["action"]) == ("check_suite", "rerequested")
    assert (suite["head_sha"], suite["head_branch"]) == (repo.sha("feature"), "feature")
    assert suite["app"]["id"] == fake_github_offline.app_id
    assert [p["number"] for p in suite["pull_requests"]] == [1]


def test_installation_webhook_lists_the_accounts_repositories(
    fake_github_offline: FakeGitHub,
) -> None:
    installation = fake_github_offline.installation_for("acme")
    assert installation is not None

    hook = webhooks.installation(fake_github_offline, installation.id, "created")

    assert hook.payload["installation"]["account"]["login"] == "acme"
    assert hook.payload["installation"]["app_id"] == fake_github_offline.app_id
    assert [r["full_name"] for r in hook.payload["repositories"]] == [REPO]


async def test_deliver_posts_a_delivery_the_receiver_can_verify(
    fake_github_offline: FakeGitHub, aiohttp_client: AiohttpClient
) -> None:
    received: list[sansio.Event] = []

    async def receive(request: web.Request) -> web.Response:
        received.append(
            sansio.Event.from_http(request.headers, await request.read(), secret="s3cret")
        )
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/webhook", receive)
    client = await aiohttp_client(app)

    response = await webhooks.deliver(client, webhooks.ping(fake_github_offline), "s3cret")

    assert response.status == 202
    assert received[0].event == "ping"
    assert received[0].data["hook"]["app_id"] == fake_github_offline.app_id


async def test_crash_inside_the_fake_answers_500_and_is_kept(
    repo: Repo, http: aiohttp.ClientSession
) -> None:
    github = FakeGitHub()
    installation = github.install("acme")
    github.add_repo(REPO, repo)
    repo.branch("gone")
    github.add_pull(REPO, "gone")
    repo.checkout("main")
    repo.git("branch", "-D", "gone")
    auth = f"token {github.issue_token(installation.id).value}"

    async with serve(github):
        answer = await call(http, "GET", f"{github.url}/repos/{REPO}/pulls/1", auth=auth)

    assert answer.status == 500
    assert "BranchMissing" in github.server_errors[0]


# -- what the gate needs: dismissals, long lists, signatures, GitHub's merges, refs -------------


async def test_graphql_lists_review_dismissals_on_the_timeline(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    feature_pull(fake_github, repo)
    review = fake_github.add_review(REPO, 1, "carol", "CHANGES_REQUESTED")
    fake_github.add_review(REPO, 1, "alice")
    fake_github.dismiss_review(REPO, 1, review.id, "dana", message="Fixed")
    query = """
      query($after: String) { repository(owner: "acme", name: "widgets") { pullRequest(number: 1) {
        reviews(last: 10) { nodes { databaseId state author { __typename login } } }
        timelineItems(first: 1, after: $after, itemTypes: [REVIEW_DISMISSED_EVENT]) {
          totalCount pageInfo { hasNextPage endCursor }
          nodes { __typename ... on ReviewDismissedEvent {
            actor { __typename login } previousReviewState dismissalMessage
            review { databaseId state }
          } }
        } } } }
    """

    answer = await graphql(http, fake_github.graphql_url, token, query)

    pull = answer.json()["data"]["repository"]["pullRequest"]
    assert [n["state"] for n in pull["reviews"]["nodes"]] == ["DISMISSED", "APPROVED"]
    assert pull["reviews"]["nodes"][0]["author"] == {"__typename": "User", "login": "carol"}
    assert pull["timelineItems"]["totalCount"] == 1
    assert pull["timelineItems"]["pageInfo"]["hasNextPage"] is False
    assert pull["timelineItems"]["nodes"] == [
        {
            "__typename": "ReviewDismissedEvent",
            "actor": {"__typename": "User", "login": "dana"},
            "previousReviewState": "CHANGES_REQUESTED",
            "dismissalMessage": "Fixed",
            "review": {"databaseId": review.id, "state": "DISMISSED"},
        }
    ]


async def test_graphql_pages_reviews_backwards_from_the_newest(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    feature_pull(fake_github, repo)
    ids = [fake_github.add_review(REPO, 1, f"user{i}", "COMMENTED").id for i in range(150)]
    query = """
      query($before: String) { repository(owner: "acme", name: "widgets") {
        pullRequest(number: 1) { reviews(last: 100, before: $before) {
          totalCount pageInfo { hasPreviousPage startCursor } nodes { databaseId } } } } }
    """

    newest = await graphql(http, fake_github.graphql_url, token, query)
    page = newest.json()["data"]["repository"]["pullRequest"]["reviews"]
    older = await graphql(
        http, fake_github.graphql_url, token, query, before=page["pageInfo"]["startCursor"]
    )
    rest = older.json()["data"]["repository"]["pullRequest"]["reviews"]

    assert [n["databaseId"] for n in page["nodes"]] == ids[50:]
    assert page["pageInfo"]["hasPreviousPage"] is True
    assert [n["databaseId"] for n in rest["nodes"]] == ids[:50]
    assert rest["pageInfo"]["hasPreviousPage"] is False
    assert page["totalCount"] == 150


async def test_graphql_pages_comments_past_the_first_hundred(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    feature_pull(fake_github, repo)
    for i in range(120):
        fake_github.add_comment(REPO, 1, "mallory", f"comment {i}")
    ours = fake_github.add_comment(REPO, 1, fake_github.bot_login, "<!-- ai-review -->\nmine")
    query = """
      query($after: String) { repository(owner: "acme", name: "widgets") {
        pullRequest(number: 1) { comments(first: 100, after: $after) {
          pageInfo { hasNextPage endCursor }
          nodes { databaseId author { __typename login } } } } } }
    """

    first = await graphql(http, fake_github.graphql_url, token, query)
    page = first.json()["data"]["repository"]["pullRequest"]["comments"]
    second = await graphql(
        http, fake_github.graphql_url, token, query, after=page["pageInfo"]["endCursor"]
    )
    last = second.json()["data"]["repository"]["pullRequest"]["comments"]

    assert page["pageInfo"]["hasNextPage"] is True
    assert len(last["nodes"]) == 21
    assert last["nodes"][-1] == {
        "databaseId": ours.id,
        "author": {"__typename": "Bot", "login": fake_github.app_slug},
    }


async def test_graphql_shows_who_signed_a_commit(
    fake_github: FakeGitHub, repo: Repo, token: str, http: aiohttp.ClientSession
) -> None:
    repo.branch("feature")
    bump = repo.commit("Bump", {"a.txt": "1\n"})
    fake_github.add_pull(REPO, "feature")
    fake_github.sign_commit(bump, "renovate")
    query = (
        '{ repository(owner: "acme", name: "widgets") { pullRequest(number: 1) '
        "{ commits(first: 5) { nodes { commit "
        "{ signature { isValid wasSignedByGitHub signer { login } } } } } } } }"
    )

    answer = await graphql(http, fake_github.graphql_url, token, query)

    [node] = answer.json()["data"]["repository"]["pullRequest"]["commits"]["nodes"]
    assert node["commit"]["signature"] == {
        "isValid": True,
        "wasSignedByGitHub": False,
        "signer": {"login": "renovate"},
    }


async def test_update_branch_merges_the_base_into_the_head_as_github_signed(
    fake_github: FakeGitHub,
    github_repo: RepoState,
    repo: Repo,
    token: str,
    http: aiohttp.ClientSession,
) -> None:
    repo.branch("feature")
    mine = repo.commit("Mine", {"a.txt": "1\n"})
    repo.checkout("main")
    base = repo.commit("Base moves on", {"b.txt": "2\n"})
    fake_github.add_pull(REPO, "feature")
    repo.checkout("feature")

    merge = fake_github.update_branch(REPO, 1)

    answer = await call(
        http, "GET", f"{fake_github.url}/repos/{REPO}/commits/{merge}/pulls", auth=token
    )
    assert repo.sha("feature") == merge
    assert (repo.path / "b.txt").read_text() == "2\n"  # the checked-out branch moved with it
    assert repo.git("log", "-1", "--format=%P%n%s%n%cn <%ce>", merge).splitlines() == [
        f"{mine} {base}",
        "Merge branch 'main' into feature",
        "GitHub <noreply@github.com>",
    ]
    assert fake_github.signer_of(merge) == "web-flow"
    assert [p["number"] for p in answer.json()] == [1]


async def test_a_merge_saved_in_the_web_editor_carries_what_was_typed(
    fake_github: FakeGitHub, github_repo: RepoState, repo: Repo
) -> None:
    repo.commit("Shared", {"app.py": "x = 1\n"})
    repo.branch("feature")
    repo.commit("Mine", {"app.py": "x = 2\n"})
    repo.checkout("main")
    repo.commit("Theirs", {"app.py": "x = 3\n"})
    fake_github.add_pull(REPO, "feature")

    merge = fake_github.update_branch(REPO, 1, files={"app.py": "x = 4\nimport os\n"})

    assert repo.git("show", f"{merge}:app.py") == "x = 4\nimport os"
    assert fake_github.signer_of(merge) == "web-flow"


async def test_commit_pulls_lists_open_pulls_containing_it_and_merged_ones_on_main(
    fake_github: FakeGitHub,
    github_repo: RepoState,
    repo: Repo,
    token: str,
    http: aiohttp.ClientSession,
) -> None:
    repo.branch("feature")
    first = repo.commit("First", {"a.txt": "1\n"})
    head = repo.commit("Second", {"a.txt": "2\n"})
    repo.checkout("main")
    fake_github.add_pull(REPO, "feature")
    fake_github.add_pull(REPO, "feature", title="Same head")
    url = f"{fake_github.url}/repos/{REPO}/commits/{{}}/pulls"

    by_head = await call(http, "GET", url.format(head), auth=token)
    by_first = await call(http, "GET", url.format(first), auth=token)
    repo.merge("feature")
    fake_github.pull(REPO, 1).state, fake_github.pull(REPO, 1).merged = "closed", True
    fake_github.pull(REPO, 2).state = "closed"
    merged = await call(http, "GET", url.format(first), auth=token)

    assert [p["number"] for p in by_head.json()] == [2, 1]
    assert [(p["number"], p["head"]["sha"]) for p in by_first.json()] == [(2, head), (1, head)]
    assert [p["number"] for p in merged.json()] == [1]


async def test_a_tag_named_like_the_base_branch_shadows_it_unless_the_ref_is_spelled_out(
    fake_github: FakeGitHub,
    github_repo: RepoState,
    repo: Repo,
    token: str,
    http: aiohttp.ClientSession,
) -> None:
    repo.commit("Config", {".github/ai-review.yml": "branch\n"})
    repo.git("checkout", "-q", "-b", "elsewhere")
    repo.commit("Lax config", {".github/ai-review.yml": "tag\n"})
    repo.git("tag", "main")
    repo.checkout("main")
    query = """
      { repository(owner: "acme", name: "widgets") {
        bare: object(expression: "main:.github/ai-review.yml") { ... on Blob { text } }
        spelled: object(expression: "refs/heads/main:.github/ai-review.yml") {
          ... on Blob { text } } } }
    """

    answer = await graphql(http, fake_github.graphql_url, token, query)

    found = answer.json()["data"]["repository"]
    assert found == {"bare": {"text": "tag\n"}, "spelled": {"text": "branch\n"}}
