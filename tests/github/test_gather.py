"""Gathering what the gate needs from GitHub: the App's steps (bot/github/gather.py and
questions.py, sent by bot/github/fetch.py) against the fake GitHub over real git repositories.

The bot's requests go out with its User-Agent, so the fake checks every query and compare
against GitHub's published descriptions too.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import pytest

from bot.engine.reviews import ReviewState
from bot.engine.snapshot import ChangedFile, FileStatus, Snapshot, Truncation
from bot.github import gather, questions
from bot.github.client import GitHubClient
from bot.github.context import PullRequestContext, RepoRef
from bot.github.fetch import clean_update_merges, fetch_pull_request
from bot.github.pygithub_adapter import PyGithubAdapter, connect
from tests.conftest import HUMAN, Repo
from tests.fakegithub.fixtures import (  # noqa: F401  (registers the fixtures)
    fake_github_fixture,
    github_repo_fixture,
)
from tests.fakegithub.models import RepoState
from tests.fakegithub.state import FakeGitHub

REPO = "acme/widgets"
REF = RepoRef("acme", "widgets")
MARKER = "<!-- ai-review -->"
COMPARES = re.compile(r"/compare/")


@pytest.fixture
async def client(fake_github: FakeGitHub, github_repo: RepoState) -> AsyncIterator[GitHubClient]:
    installation = fake_github.installation_for("acme")
    assert installation is not None
    token = fake_github.issue_token(installation.id).value
    async with aiohttp.ClientSession() as http:
        yield GitHubClient(
            http, oauth_token=token, base_url=fake_github.url, graphql_url=fake_github.graphql_url
        )


async def context_of(
    client: GitHubClient, number: int = 1, comment_id: int | None = None
) -> PullRequestContext:
    return await fetch_pull_request(
        client,
        REF,
        number,
        base_ref="main",
        bot_login="ai-review[bot]",
        marker=MARKER,
        comment_id=comment_id,
    )


def feature(repo: Repo, github: FakeGitHub, files: dict[str, str] | None = None) -> str:
    """Branch `feature` off main with one commit, and pull request #1 from it."""
    repo.branch("feature")
    head = repo.commit("Feature", files or {"app.py": "x = 1\n"})
    repo.checkout("main")
    github.add_pull(REPO, "feature")
    return head


# -- config ------------------------------------------------------------------------------------


async def test_the_config_comes_from_the_base_branch_even_when_a_tag_has_its_name(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient
) -> None:
    # Vector: a tag named `main` made `main:.github/ai-review.yml` read the tag's lax config.
    repo.commit("Config", {".github/ai-review.yml": "approvals:\n  seniors: [alice]\n"})
    repo.git("checkout", "-q", "-b", "lax")
    repo.commit("Lax", {".github/ai-review.yml": "approvals:\n  required: {high: 0}\n"})
    repo.git("tag", "main")
    repo.checkout("main")
    feature(repo, fake_github)

    context = await context_of(client)

    assert context.config_text == "approvals:\n  seniors: [alice]\n"


# -- reviews -----------------------------------------------------------------------------------


async def test_a_change_request_behind_many_comment_reviews_is_still_read(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient
) -> None:
    # Vector: 99 COMMENT reviews pushed a senior's change request out of the 100 read.
    feature(repo, fake_github)
    fake_github.add_review(REPO, 1, "carol", "CHANGES_REQUESTED")
    for i in range(150):
        fake_github.add_review(REPO, 1, "mallory", "COMMENTED", body=f"nit {i}")

    context = await context_of(client)

    assert len(context.reviews) == 151
    assert context.reviews[0].login == "carol"
    assert context.reviews[0].state is ReviewState.CHANGES_REQUESTED
    assert context.incomplete == ()


async def test_reviews_past_the_cap_make_the_context_incomplete(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gather, "MAX_REVIEWS", 200)
    feature(repo, fake_github)
    for i in range(250):
        fake_github.add_review(REPO, 1, f"user{i}", "COMMENTED")

    context = await context_of(client)

    assert [r.login for r in context.reviews] == [f"user{i}" for i in range(50, 250)]
    assert context.incomplete == ("more than 200 reviews (the bot reads the latest)",)


async def test_a_dismissed_review_says_who_dismissed_it_and_what_it_was(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient
) -> None:
    feature(repo, fake_github)
    changes = fake_github.add_review(REPO, 1, "carol", "CHANGES_REQUESTED")
    approval = fake_github.add_review(REPO, 1, "alice")
    fake_github.dismiss_review(REPO, 1, changes.id, "dana")
    fake_github.dismiss_review(REPO, 1, approval.id, "release-bot[bot]")

    context = await context_of(client)

    assert [(r.login, r.state, r.dismissed_by, r.previous_state) for r in context.reviews] == [
        ("carol", ReviewState.DISMISSED, "dana", ReviewState.CHANGES_REQUESTED),
        ("alice", ReviewState.DISMISSED, "release-bot[bot]", ReviewState.APPROVED),
    ]


async def test_dismissals_are_read_page_after_page(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient
) -> None:
    feature(repo, fake_github)
    reviews = [fake_github.add_review(REPO, 1, f"user{i}") for i in range(130)]
    for review in reviews:
        fake_github.dismiss_review(REPO, 1, review.id, "dana")

    context = await context_of(client)

    assert {r.dismissed_by for r in context.reviews} == {"dana"}
    assert context.incomplete == ()


async def test_a_review_by_an_app_is_marked_as_a_bots(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient
) -> None:
    feature(repo, fake_github)
    fake_github.add_review(REPO, 1, "github-actions[bot]")
    fake_github.add_review(REPO, 1, "alice")

    context = await context_of(client)

    assert [(r.login, r.is_bot) for r in context.reviews] == [
        ("github-actions[bot]", True),
        ("alice", False),
    ]


# -- the bot's comment -------------------------------------------------------------------------


async def test_our_comment_is_found_behind_a_hundred_others(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient
) -> None:
    # Vector: 100 comments before the bot's hid it from the query that read the first 100.
    feature(repo, fake_github)
    for i in range(120):
        fake_github.add_comment(REPO, 1, "mallory", f"spam {i}")
    ours = fake_github.add_comment(REPO, 1, fake_github.bot_login, f"{MARKER}\nreview")

    context = await context_of(client)

    assert context.bot_comment is not None
    assert context.bot_comment.id == ours.id
    assert not context.comments_capped


async def test_the_comment_the_store_names_is_ours_whatever_comes_before_it(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient
) -> None:
    feature(repo, fake_github)
    older = fake_github.add_comment(REPO, 1, fake_github.bot_login, f"{MARKER}\nold")
    kept = fake_github.add_comment(REPO, 1, fake_github.bot_login, f"{MARKER}\nkept")

    named = await context_of(client, comment_id=kept.id)
    deleted = await context_of(client, comment_id=999_999)

    assert named.bot_comment is not None
    assert named.bot_comment.id == kept.id
    assert deleted.bot_comment is not None
    assert deleted.bot_comment.id == older.id


async def test_a_person_named_like_the_app_does_not_write_our_comment(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient
) -> None:
    feature(repo, fake_github)
    impostor = fake_github.add_comment(REPO, 1, fake_github.app_slug, f"{MARKER}\nforged")

    context = await context_of(client, comment_id=impostor.id)

    assert context.bot_comment is None


async def test_past_the_comment_cap_our_comment_is_not_found_and_the_context_says_so(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gather, "MAX_COMMENTS", 100)
    feature(repo, fake_github)
    for i in range(150):
        fake_github.add_comment(REPO, 1, "mallory", f"spam {i}")
    fake_github.add_comment(REPO, 1, fake_github.bot_login, f"{MARKER}\nreview")

    context = await context_of(client)

    assert context.bot_comment is None
    assert context.comments_capped
    assert context.incomplete == ()


# -- commits -----------------------------------------------------------------------------------


def empty_commits(repo: Repo, branch: str, count: int) -> None:
    """`count` commits on a new `branch` off main, in one git process."""
    lines = [f"reset refs/heads/{branch}", "from refs/heads/main"]
    for i in range(count):
        message = f"Commit {i}"
        lines += [
            f"commit refs/heads/{branch}",
            f"committer {HUMAN[0]} <{HUMAN[1]}> {1_700_000_000 + i} +0000",
            f"data {len(message)}",
            message,
        ]
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=repo.path,
        input="\n".join(lines).encode() + b"\n",
        check=True,
        capture_output=True,
    )


async def test_more_commits_than_github_lists_make_the_context_incomplete(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient
) -> None:
    # Vector: past GitHub's 250-commit list the bot is blind.
    empty_commits(repo, "long", 251)
    fake_github.add_pull(REPO, "long")

    context = await context_of(client)

    assert len(context.snapshot.commits) == 250
    assert context.incomplete == ("more than 250 commits (GitHub lists 250)",)


async def test_a_signed_commit_names_its_signer(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient
) -> None:
    head = feature(repo, fake_github)
    # A machine user with a signing key (GitHub's signer is a User: Apps sign as web-flow).
    fake_github.sign_commit(head, "release-robot")

    context = await context_of(client)

    assert [c.signed_by for c in context.snapshot.commits] == ["release-robot"]


# -- "Update branch" merges --------------------------------------------------------------------


def diverged(repo: Repo, github: FakeGitHub) -> str:
    """feature changes app.py, main then changes lib.py; pull request #1; returns the head."""
    repo.commit("Shared", {"app.py": "x = 1\n", "lib.py": "y = 1\n"})
    head = feature(repo, github, {"app.py": "x = 2\n"})
    repo.commit("Base moves on", {"lib.py": "y = 2\n", "new.py": "z = 1\n"})
    return head


async def merges_kept(client: GitHubClient, approved: str | None) -> frozenset[str]:
    context = await context_of(client)
    snapshot = context.snapshot
    return await clean_update_merges(client, REF, snapshot.commits, snapshot.base_sha, approved)


async def test_a_clean_update_branch_merge_is_proven_clean(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient
) -> None:
    approved = diverged(repo, fake_github)
    merge = fake_github.update_branch(REPO, 1)
    fake_github.clear_log()

    kept = await merges_kept(client, approved)

    assert kept == {merge}
    assert fake_github.count("GET", COMPARES) == 3


async def test_an_update_merge_with_an_extra_edit_is_not_clean(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient
) -> None:
    approved = diverged(repo, fake_github)
    fake_github.update_branch(REPO, 1, files={"backdoor.py": "import os\n"})

    assert await merges_kept(client, approved) == frozenset()


async def test_an_edited_conflict_resolution_is_not_clean(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient
) -> None:
    approved = diverged(repo, fake_github)
    repo.commit("Base edits app.py too", {"app.py": "x = 3\n"})
    fake_github.update_branch(REPO, 1, files={"app.py": "x = 2\nimport os\n"})

    assert await merges_kept(client, approved) == frozenset()


async def test_a_file_changed_on_both_sides_is_not_clean(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient
) -> None:
    repo.commit("Shared", {"app.py": "".join(f"line {i}\n" for i in range(20))})
    text = repo.path.joinpath("app.py").read_text()
    approved = feature(repo, fake_github, {"app.py": text.replace("line 2\n", "mine\n")})
    repo.commit("Base", {"app.py": text.replace("line 18\n", "theirs\n")})
    fake_github.update_branch(REPO, 1)

    assert await merges_kept(client, approved) == frozenset()


async def test_a_web_merge_of_a_branch_other_than_the_base_is_not_clean(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient
) -> None:
    approved = diverged(repo, fake_github)
    repo.git("checkout", "-q", "-b", "other")
    repo.commit("Unreviewed", {"other.py": "evil = True\n"})
    repo.checkout("main")
    fake_github.web_merge(REPO, "feature", "other", message="Merge branch 'main' into feature")

    assert await merges_kept(client, approved) == frozenset()


async def test_a_merge_github_did_not_sign_is_not_clean(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient
) -> None:
    approved = diverged(repo, fake_github)
    repo.checkout("feature")
    repo.merge("main", "Merge branch 'main' into feature")
    repo.checkout("main")
    fake_github.clear_log()

    assert await merges_kept(client, approved) == frozenset()
    assert fake_github.count("GET", COMPARES) == 0


async def test_only_merges_after_the_approved_head_are_looked_at(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient
) -> None:
    diverged(repo, fake_github)
    merge = fake_github.update_branch(REPO, 1)
    repo.checkout("feature")
    approved = repo.commit("After the merge", {"app.py": "x = 5\n"})
    repo.checkout("main")
    fake_github.clear_log()

    nothing_after = await merges_kept(client, approved)
    no_approval = await merges_kept(client, None)

    assert merge not in nothing_after
    assert no_approval == frozenset()
    assert fake_github.count("GET", COMPARES) == 0


async def test_more_update_merges_than_the_bot_checks_are_none_of_them_clean(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(questions, "MAX_UPDATE_MERGES", 1)
    approved = diverged(repo, fake_github)
    fake_github.update_branch(REPO, 1)
    repo.commit("Base again", {"lib.py": "y = 3\n"})
    fake_github.update_branch(REPO, 1)

    assert await merges_kept(client, approved) == frozenset()


# -- preview's driver runs the same steps ------------------------------------------------------


async def test_previews_pygithub_driver_gathers_the_same_facts(
    fake_github: FakeGitHub, repo: Repo, client: GitHubClient
) -> None:
    approved = diverged(repo, fake_github)
    changes = fake_github.add_review(REPO, 1, "carol", "CHANGES_REQUESTED", commit_id=approved)
    fake_github.dismiss_review(REPO, 1, changes.id, "dana")
    for i in range(120):
        fake_github.add_review(REPO, 1, "mallory", "COMMENTED", body=f"nit {i}")
    merge = fake_github.update_branch(REPO, 1)
    installation = fake_github.installation_for("acme")
    assert installation is not None
    adapter = PyGithubAdapter(
        connect(fake_github.url, fake_github.issue_token(installation.id).value)
    )

    def gather_with_pygithub() -> tuple[PullRequestContext, frozenset[str]]:
        context = adapter.run(
            gather.pull_request(REF, 1, base_ref="main", bot_login=None, marker=MARKER)
        )
        snapshot = context.snapshot
        kept = adapter.run(
            questions.clean_update_merges(REF, snapshot.commits, snapshot.base_sha, approved)
        )
        return context, kept

    try:
        context, kept = await asyncio.to_thread(gather_with_pygithub)
    finally:
        adapter.close()

    assert context == await context_of(client)
    assert context.reviews[0].dismissed_by == "dana"
    assert kept == {merge}


def test_files_past_githubs_list_are_named_as_unseen() -> None:
    listed = tuple(ChangedFile(f"f{i}.py", FileStatus.ADDED) for i in range(3000))
    huge = Snapshot("b" * 40, "h" * 40, files=listed, truncation=Truncation(files_total=3010))
    whole = replace(huge, truncation=Truncation(files_total=3000))

    assert gather.unseen_changes(huge) == ("more than 3,000 changed files (GitHub lists 3,000)",)
    assert gather.unseen_changes(whole) == ()
