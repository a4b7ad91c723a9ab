"""The bot's questions to GitHub (bot/github/questions.py) asked through both drivers, the
App's gidgethub client and preview's PyGithub, against the fake GitHub: each is asked and read
once, so both get the same answers; and the writes that must not happen twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

import aiohttp
import pytest

from bot.github import gather, questions, writer
from bot.github.client import GitHubClient
from bot.github.context import RepoRef
from bot.github.fetch import fetch_pull_request, run
from bot.github.meaning import CheckRequirement, Membership, QueuedPull
from bot.github.pygithub_adapter import PyGithubAdapter, connect
from bot.github.steps import Steps
from bot.render.posting import LabelSpec
from tests.conftest import Repo
from tests.fakegithub.fixtures import (  # noqa: F401  (registers the fixtures)
    fake_github_fixture,
    github_repo_fixture,
)
from tests.fakegithub.models import RepoState
from tests.fakegithub.state import FakeGitHub

REPO = "acme/widgets"
REF = RepoRef("acme", "widgets")
MARKER = "<!-- ai-review -->"
T = TypeVar("T")


def _token(github: FakeGitHub) -> str:
    installation = github.installation_for("acme")
    assert installation is not None
    return github.issue_token(installation.id).value


@pytest.fixture
async def client(fake_github: FakeGitHub, github_repo: RepoState) -> AsyncIterator[GitHubClient]:
    async with aiohttp.ClientSession() as http:
        yield GitHubClient(
            http,
            oauth_token=_token(fake_github),
            base_url=fake_github.url,
            graphql_url=fake_github.graphql_url,
        )


@pytest.fixture
def adapter(fake_github: FakeGitHub, github_repo: RepoState) -> Iterator[PyGithubAdapter]:
    found = PyGithubAdapter(connect(fake_github.url, _token(fake_github)))
    yield found
    found.close()


async def both(
    client: GitHubClient, adapter: PyGithubAdapter, steps: Callable[[], Steps[T]]
) -> tuple[T, T]:
    """One question's answer from each driver (`steps` makes the step afresh for each)."""
    return await run(client, steps()), await asyncio.to_thread(adapter.run, steps())


def feature(repo: Repo, github: FakeGitHub, files: dict[str, str]) -> str:
    """Branch `feature` off main with one commit, and pull request #1 from it."""
    repo.branch("feature")
    head = repo.commit("Feature", files)
    repo.checkout("main")
    github.add_pull(REPO, "feature")
    return head


async def test_both_drivers_read_who_may_do_what_alike(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient, adapter: PyGithubAdapter
) -> None:
    feature(repo, fake_github, {"app.py": "x = 1\n"})
    fake_github.add_team_member("@acme/architects", "alice")
    fake_github.add_team_member("@acme/architects", "paul", state="pending")
    fake_github.set_permission(REPO, "wendy", "write")
    fake_github.set_permission(REPO, "rita", "read")
    asked = {
        "alice": lambda: questions.membership("@acme/architects", "alice"),
        "paul": lambda: questions.membership("@acme/architects", "paul"),
        "carol": lambda: questions.membership("@acme/architects", "carol"),
        "no team": lambda: questions.membership("@acme/ghosts", "alice"),
        "team": lambda: questions.team_visible("@acme/architects"),
        "ghosts": lambda: questions.team_visible("@acme/ghosts"),
        "permissions": lambda: questions.permissions(REF, ["wendy", "rita", "nobody"]),
        "base": lambda: questions.base_ref(REF, 1),
        "repo": lambda: questions.repository_visible(REF),
        "hidden": lambda: questions.repository_visible(RepoRef("acme", "secret")),
    }

    answers = {name: await both(client, adapter, steps) for name, steps in asked.items()}

    assert answers == {
        "alice": (Membership.ACTIVE, Membership.ACTIVE),
        "paul": (Membership.PENDING, Membership.PENDING),
        "carol": (Membership.NONE, Membership.NONE),
        "no team": (Membership.NONE, Membership.NONE),
        "team": (True, True),
        "ghosts": (False, False),
        "permissions": ({"wendy": "write", "rita": "read", "nobody": "none"},) * 2,
        "base": ("main", "main"),
        "repo": (True, True),
        "hidden": (False, False),
    }


async def test_preview_tells_a_team_it_cannot_see_from_a_person_outside_it(
    fake_github: FakeGitHub, github_repo: RepoState, adapter: PyGithubAdapter
) -> None:
    fake_github.add_team_member("@acme/architects", "alice")
    fake_github.add_team_member("@acme/architects", "paul", state="pending")

    def ask() -> list[bool | None]:
        return [
            adapter.is_member("@acme/architects", login) for login in ("alice", "paul", "carol")
        ] + [adapter.is_member("@acme/ghosts", "alice")]

    assert await asyncio.to_thread(ask) == [True, False, False, None]


async def test_a_pull_request_that_does_not_exist_has_no_base(client: GitHubClient) -> None:
    with pytest.raises(LookupError, match="acme/widgets#9 was not found"):
        await run(client, questions.base_ref(REF, 9))


async def test_both_drivers_find_the_apps_check_run_comment_and_pull_requests_alike(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient, adapter: PyGithubAdapter
) -> None:
    head = feature(repo, fake_github, {"app.py": "x = 1\n"})
    fake_github.add_pull(REPO, "feature")
    check_id = await writer.start_check(client, REF, head, "ai review", None)
    fake_github.add_comment(REPO, 1, "mallory", f"{MARKER} not the App's")
    ours = fake_github.add_comment(REPO, 1, fake_github.bot_login, f"{MARKER}\nthe review")
    asked = {
        "check run": lambda: questions.check_run_id(REF, head, "ai review"),
        "no check run": lambda: questions.check_run_id(REF, head, "other"),
        "comment": lambda: questions.comment_id(REF, 1, fake_github.bot_login, MARKER),
        "pulls": lambda: questions.open_pulls_at_head(REF, head),
    }

    answers = {name: await both(client, adapter, steps) for name, steps in asked.items()}

    assert answers == {
        "check run": (check_id, check_id),
        "no check run": (None, None),
        "comment": (ours.id, ours.id),
        "pulls": ([1, 2], [1, 2]),
    }


async def test_both_drivers_read_a_diff_too_large_for_github_from_its_file_list(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient, adapter: PyGithubAdapter
) -> None:
    feature(repo, fake_github, {f"pkg/m{i}.py": f"X = {i}\n" for i in range(301)})
    context = await fetch_pull_request(
        client, REF, 1, base_ref="main", bot_login="ai-review[bot]", marker=MARKER
    )

    app, sync = await both(client, adapter, lambda: gather.changes(context, lambda _: False))

    assert len(app.files) == 301
    assert app == sync
    assert fake_github.count("GET", "/repos/acme/widgets/pulls/1/files") == 2 * 4  # 100 a page


async def test_a_reply_and_a_reaction_answer_a_command(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient
) -> None:
    feature(repo, fake_github, {"app.py": "x = 1\n"})
    command = fake_github.add_comment(REPO, 1, "wendy", "/ai-review help")

    await writer.react(client, REF, command.id, "+1")
    await writer.reply(client, REF, 1, "ai-review commands: …")

    assert [c.body for c in fake_github.comments(REPO, 1)] == [
        "/ai-review help",
        "ai-review commands: …",
    ]
    assert fake_github.count("POST", f"/repos/{REPO}/issues/comments/{command.id}/reactions") == 1


async def test_both_drivers_read_what_the_base_branch_requires_alike(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient, adapter: PyGithubAdapter
) -> None:
    fake_github.repo(REPO).protections.clear()  # as installed, before an admin requires it
    app = fake_github.app_id
    asked = {
        "nothing": lambda: questions.check_requirement(REF, "main", "ai-review", app),
        "no branch": lambda: questions.check_requirement(REF, "gone", "ai-review", app),
    }
    before = {name: await both(client, adapter, steps) for name, steps in asked.items()}
    fake_github.require_check(REPO, "ai-review")
    protected = await both(client, adapter, asked["nothing"])
    fake_github.require_check(REPO, "ai-review", app_id=app + 1, ruleset=True)
    fake_github.repo(REPO).protections.clear()
    other_app = await both(client, adapter, asked["nothing"])
    fake_github.require_check(REPO, "ai-review", ruleset=True)
    by_ruleset = await both(client, adapter, asked["nothing"])

    assert before["nothing"] == (CheckRequirement(), CheckRequirement())
    assert before["no branch"] == (CheckRequirement(known=False),) * 2
    assert protected == (CheckRequirement(by_protection=True),) * 2
    assert other_app == (CheckRequirement(other_app=True),) * 2
    assert by_ruleset == (CheckRequirement(by_ruleset=True),) * 2
    assert fake_github.count("GET", f"/repos/{REPO}/branches/protection") == 0


async def test_both_drivers_read_a_merge_groups_pull_requests_from_the_merge_queue(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient, adapter: PyGithubAdapter
) -> None:
    fake_github.repo(REPO).protections.clear()  # the queue needs no check here
    first = feature(repo, fake_github, {"app.py": "x = 1\n"})
    repo.branch("second")
    second = repo.commit("Second", {"lib.py": "y = 2\n"})
    repo.checkout("main")
    fake_github.add_pull(REPO, "second")
    assert await both(client, adapter, lambda: questions.merge_group(REF, "main", first)) == (
        None,
        None,
    )  # no merge queue on main
    fake_github.use_merge_queue(REPO)
    one, two = fake_github.enqueue(REPO, 1), fake_github.enqueue(REPO, 2)

    groups = {
        entry.number: await both(
            client, adapter, lambda sha=entry.head_sha: questions.merge_group(REF, "main", sha)
        )
        for entry in (one, two)
    }
    unknown = await both(client, adapter, lambda: questions.merge_group(REF, "main", first))

    assert groups[1] == ((QueuedPull(1, first, 1),),) * 2
    assert groups[2] == ((QueuedPull(1, first, 1), QueuedPull(2, second, 2)),) * 2
    assert unknown == (None, None)


async def test_review_requests_asked_alone_after_github_refuses_one(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient
) -> None:
    feature(repo, fake_github, {"app.py": "x = 1\n"})
    fake_github.set_permission(REPO, "alice", "write")
    fake_github.add_team_member("@acme/architects", "alice")

    asked, refused = await writer.request_reviews(
        client, REF, 1, ["alice", "stranger", "dana"], ["@acme/architects"]
    )

    assert asked == ("@acme/architects", "alice")
    assert [who for who, _ in refused] == ["stranger", "dana"]
    assert "not a collaborator" in refused[0][1]
    assert "Review cannot be requested from pull request author." in refused[1][1]
    pull = fake_github.pull(REPO, 1)
    assert (pull.requested_reviewers, pull.requested_teams) == (["alice"], ["architects"])


async def test_labels_are_made_once_put_on_and_taken_off(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient
) -> None:
    feature(repo, fake_github, {"app.py": "x = 1\n"})
    spec = LabelSpec("ai-risk: high", "d93f0b", "ai-review: risk high")

    await writer.create_label(client, REF, spec)
    await writer.create_label(client, REF, spec)  # made already: GitHub's 422 is fine
    await writer.add_labels(client, REF, 1, ["ai-risk: high", "bug"])
    await writer.remove_label(client, REF, 1, "bug")
    await writer.remove_label(client, REF, 1, "bug")  # gone already: fine

    made = fake_github.repo(REPO).labels["ai-risk: high"]
    assert (made.color, made.description) == ("d93f0b", "ai-review: risk high")
    assert fake_github.pull(REPO, 1).labels == ["ai-risk: high"]
