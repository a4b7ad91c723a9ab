"""`ai-review-bot preview` against the fake GitHub, read with PyGithub and a person's token.

The fake serves in this test's event loop; PyGithub is synchronous, so each command runs in a
worker thread (`run_preview`) while the loop answers it.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.github import pygithub_adapter
from tests.appkit import (  # noqa: F401  (bot_fixture registers the fixture)
    LOGIN_WITH_SQL,
    REPO,
    SENIORS,
    Bot,
    bot_fixture,
    configure,
    open_pull,
)
from tests.conftest import CLAUDE, CliResult, Repo
from tests.fakegithub import webhooks
from tests.fakegithub.fixtures import (  # noqa: F401  (registers the fixtures)
    fake_github_fixture,
    github_repo_fixture,
)
from tests.fakegithub.models import CheckRun, RepoState
from tests.fakegithub.state import FakeGitHub
from tests.preview_demo import STRICT

Cli = Callable[..., CliResult]
STRICTER = SENIORS + "  required: {low: 0, medium: 1, high: 2, critical: 2}\n"
EXTRA_ITEM = (
    "checklists:\n"
    "  items:\n"
    "    - checklist: security\n"
    "      id: login-rate-limit\n"
    "      text: Login attempts are rate limited.\n"
    "      when: {paths: ['auth/**']}\n"
)


def token_for(github: FakeGitHub, owner: str = "acme", **permissions: str) -> str:
    installation = github.installation_for(owner) or github.install(owner)
    return github.issue_token(installation.id, dict(permissions) if permissions else None).value


@pytest.fixture(name="env")
def env_fixture(
    monkeypatch: pytest.MonkeyPatch, fake_github: FakeGitHub, github_repo: RepoState
) -> None:
    """A person's shell: a token that reads acme/widgets, the API pointed at the fake."""
    monkeypatch.setenv("GITHUB_API_URL", fake_github.url)
    monkeypatch.setenv("GITHUB_TOKEN", token_for(fake_github))


async def run_preview(cli: Cli, *args: str) -> CliResult:
    return await asyncio.to_thread(cli, "preview", *args)


def ai_pull(github: FakeGitHub, repo: Repo) -> tuple[int, str]:
    return open_pull(github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,))


def posted(run: CheckRun) -> dict[str, Any]:
    """The check run as the App left it, in preview's JSON shape."""
    return {
        "name": run.name,
        "conclusion": run.conclusion,
        "title": run.title,
        "summary": run.summary,
        "annotations": [
            {
                "path": a.path,
                "start_line": a.start_line,
                "end_line": a.end_line,
                "annotation_level": a.annotation_level,
                "title": a.title,
                "message": a.message,
            }
            for a in run.annotations
        ],
    }


def writes(github: FakeGitHub) -> list[str]:
    return [
        f"{r.method} {r.path}"
        for r in github.requests()
        if r.method != "GET" and r.path not in ("/graphql", "/api/graphql")
    ]


def write_file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- what the App would post ----------------------------------------------------------------


@pytest.mark.usefixtures("env")
async def test_preview_equals_what_the_app_then_posts(
    bot: Bot, repo: Repo, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With the App's key, the preview signs the comment's state line as the App does.
    monkeypatch.setenv("GITHUB_PRIVATE_KEY", bot.github.key.private_pem)
    configure(repo, SENIORS)
    bot.github.add_team_member("@acme/architects", "alice")
    number, head = ai_pull(bot.github, repo)
    bot.github.add_review(REPO, number, "bob")

    shown = (await run_preview(cli, f"{REPO}#{number}", "--format", "json")).json()
    assert writes(bot.github) == []
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    assert shown["check_run"] == posted(bot.check(head))
    assert shown["comment"] == {"action": "create", "body": bot.bot_comments(number)[0]}


@pytest.mark.usefixtures("env")
async def test_preview_after_the_app_posted_finds_its_comment_unchanged(
    bot: Bot, repo: Repo, cli: Cli
) -> None:
    configure(repo, SENIORS)
    number, head = ai_pull(bot.github, repo)
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    shown = (await run_preview(cli, f"{REPO}#{number}", "--format", "json")).json()

    assert shown["check_run"] == posted(bot.check(head))
    assert shown["comment"]["action"] == "unchanged"


@pytest.mark.usefixtures("env")
async def test_local_config_previews_what_the_app_posts_once_it_is_on_the_base_branch(
    bot: Bot, repo: Repo, cli: Cli, tmp_path: Path
) -> None:
    configure(repo, SENIORS)
    number, head = ai_pull(bot.github, repo)
    local = write_file(tmp_path, "ai-review.yml", STRICTER + EXTRA_ITEM)

    shown = await run_preview(cli, f"{REPO}#{number}", "--config", local, "--format", "json")
    configure(repo, STRICTER + EXTRA_ITEM)
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    assert shown.json()["config"] == local
    assert shown.json()["check_run"] == posted(bot.check(head))
    assert (bot.check(head).title or "").startswith("Needs 2 more approvals from @acme/architects")


@pytest.mark.usefixtures("env")
async def test_text_output_shows_the_check_run_its_annotations_and_the_comment(
    fake_github: FakeGitHub, repo: Repo, cli: Cli
) -> None:
    configure(repo, SENIORS)
    number, head = ai_pull(fake_github, repo)

    result = await run_preview(cli, f"https://github.com/{REPO}/pull/{number}")

    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == f"{REPO}#{number} at {head[:10]} (feature/change into main)"
    assert lines[1] == "config: .github/ai-review.yml at main"
    assert "== Check run ai-review: action_required ==" in lines
    assert any(line.startswith("auth/login.py:2  failure  sql-string:") for line in lines)
    assert "== Comment: the App would post this new comment ==" in lines
    assert "<!-- ai-review -->" in lines


@pytest.mark.usefixtures("env")
async def test_markdown_output_holds_the_comment_as_posted(
    fake_github: FakeGitHub, repo: Repo, cli: Cli
) -> None:
    number, _ = ai_pull(fake_github, repo)

    markdown = (await run_preview(cli, f"{REPO}#{number}", "--format", "markdown")).out
    body = (await run_preview(cli, f"{REPO}#{number}", "--format", "json")).json()["comment"]

    assert markdown.startswith(f"# Preview of acme/widgets#{number} at `")
    assert body["body"] in markdown


@pytest.mark.usefixtures("env")
async def test_not_ai_assisted_pull_request_gets_no_comment(
    fake_github: FakeGitHub, repo: Repo, cli: Cli
) -> None:
    number, _ = open_pull(fake_github, repo, {"docs/usage.md": "Run it.\n"})

    shown = (await run_preview(cli, f"{REPO}#{number}", "--format", "json")).json()

    assert shown["check_run"]["title"] == "Not AI-assisted: no senior review required"
    assert shown["comment"] == {"action": "none", "body": None}


async def test_enterprise_url_reads_the_api_under_api_v3(
    fake_github: FakeGitHub,
    github_repo: RepoState,
    repo: Repo,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", token_for(fake_github))
    number, _ = ai_pull(fake_github, repo)

    result = await run_preview(cli, f"{fake_github.url}/{REPO}/pull/{number}")

    assert result.code == 0, result.err
    paths = {r.raw_path for r in fake_github.requests()}
    assert f"/api/v3/repos/{REPO}/pulls/{number}" in paths
    assert "/api/graphql" in paths


@pytest.mark.usefixtures("env")
async def test_team_the_token_cannot_see_is_noted_not_fatal(
    fake_github: FakeGitHub, repo: Repo, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(repo, SENIORS)
    fake_github.add_team_member("@acme/architects", "alice")
    number, _ = ai_pull(fake_github, repo)
    fake_github.add_review(REPO, number, "alice")
    no_members = token_for(fake_github, contents="read", pull_requests="read", metadata="read")
    monkeypatch.setenv("GITHUB_TOKEN", no_members)

    shown = (await run_preview(cli, f"{REPO}#{number}", "--format", "json")).json()

    assert shown["notes"] == [
        "your token cannot see team @acme/architects: approvals by its members count here as "
        "not from a senior (the App, with its members permission, may count them)"
    ]
    assert shown["check_run"]["conclusion"] == "action_required"


@pytest.mark.usefixtures("env")
async def test_senior_approval_counts_when_the_token_sees_the_team(
    fake_github: FakeGitHub, repo: Repo, cli: Cli
) -> None:
    configure(repo, SENIORS)
    fake_github.add_team_member("@acme/architects", "alice")
    number, _ = ai_pull(fake_github, repo)
    fake_github.add_review(REPO, number, "alice")
    fake_github.add_review(REPO, number, "bob")

    shown = (await run_preview(cli, f"{REPO}#{number}", "--format", "json")).json()

    assert shown["check_run"]["title"].startswith("Approved by @alice (risk ")
    assert shown["notes"] == []


@pytest.mark.usefixtures("env")
async def test_invalid_local_config_shows_the_failing_check_and_exits_1(
    fake_github: FakeGitHub, repo: Repo, cli: Cli, tmp_path: Path
) -> None:
    number, _ = ai_pull(fake_github, repo)
    local = write_file(tmp_path, "bad.yml", "risk:\n  weights: {sizee: 3}\n")

    result = await run_preview(cli, f"{REPO}#{number}", "--config", local, "--format", "json")

    assert result.code == 1
    check = result.json()["check_run"]
    assert (check["conclusion"], check["title"]) == (
        "failure",
        "Invalid .github/ai-review.yml: 1 error(s)",
    )
    assert f"{local}:2:13: risk.weights.sizee: unknown key 'sizee'" in check["summary"]


# -- two configs ------------------------------------------------------------------------------


@pytest.mark.usefixtures("env")
async def test_diff_config_lists_what_changes_for_the_pull_request(
    fake_github: FakeGitHub, repo: Repo, cli: Cli, tmp_path: Path
) -> None:
    configure(repo, SENIORS)
    number, _ = ai_pull(fake_github, repo)
    same = write_file(tmp_path, "same.yml", SENIORS)
    applied = (
        await run_preview(cli, f"{REPO}#{number}", "--diff-config", same, "--format", "json")
    ).json()["before"]["checklist"]
    # The cap is what applies today, so the one item more must push the least specific one out.
    capped = EXTRA_ITEM.replace("checklists:\n", f"checklists:\n  max_items: {len(applied)}\n")
    other = write_file(tmp_path, "other.yml", STRICTER + capped)

    diff = (
        await run_preview(cli, f"{REPO}#{number}", "--diff-config", other, "--format", "json")
    ).json()

    assert diff["changed"] == ["title", "approvals"]
    assert diff["before"]["approvals"] == {"required": 1, "from": ["@acme/architects"]}
    assert diff["after"]["approvals"] == {"required": 2, "from": ["@acme/architects"]}
    assert diff["checklist"]["added"] == [
        {
            "checklist": "security",
            "id": "login-rate-limit",
            "text": "Login attempts are rate limited.",
        }
    ]
    [removed] = diff["checklist"]["removed"]
    assert f"{removed['checklist']}/{removed['id']}" == applied[-1]
    assert len(diff["after"]["checklist"]) == len(applied)
    assert (diff["before"]["config"], diff["after"]["config"]) == (
        ".github/ai-review.yml at main",
        other,
    )


@pytest.mark.usefixtures("env")
async def test_diff_config_gathers_the_pull_request_once(
    fake_github: FakeGitHub, repo: Repo, cli: Cli, tmp_path: Path
) -> None:
    number, _ = ai_pull(fake_github, repo)
    other = write_file(tmp_path, "other.yml", STRICTER)

    await run_preview(cli, f"{REPO}#{number}", "--diff-config", other)

    assert fake_github.count("GET", f"/repos/{REPO}/pulls/{number}") == 2  # base ref, diff
    assert fake_github.count("POST", "/graphql") == 2  # the pull request, the texts


@pytest.mark.usefixtures("env")
async def test_diff_config_text_puts_the_two_configs_side_by_side(
    fake_github: FakeGitHub, repo: Repo, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(repo, SENIORS)
    number, _ = ai_pull(fake_github, repo)
    write_file(tmp_path, "other.yml", "approvals:\n  required: {high: 0}\n")
    monkeypatch.chdir(tmp_path)

    result = await run_preview(cli, f"{REPO}#{number}", "--diff-config", "other.yml")

    lines = result.out.splitlines()
    header = next(line for line in lines if ".github/ai-review.yml at main" in line)
    assert header.rstrip().endswith("  other.yml")
    conclusion = next(line for line in lines if line.startswith("* conclusion"))
    assert conclusion.split() == ["*", "conclusion", "action_required", "success"]
    assert "  risk level" in "\n".join(lines)
    assert "Checklist items:" in lines


@pytest.mark.usefixtures("env")
async def test_diff_config_with_the_same_effect_says_so(
    fake_github: FakeGitHub, repo: Repo, cli: Cli, tmp_path: Path
) -> None:
    configure(repo, SENIORS)
    number, _ = ai_pull(fake_github, repo)
    other = write_file(tmp_path, "other.yml", SENIORS + "# reworded\n")

    result = await run_preview(cli, f"{REPO}#{number}", "--diff-config", other)

    assert result.out.rstrip().endswith("No difference for this pull request.")
    assert not any(line.startswith("*") for line in result.out.splitlines())


@pytest.mark.usefixtures("env")
async def test_diff_config_markdown_is_a_table_with_changed_rows_in_bold(
    fake_github: FakeGitHub, repo: Repo, cli: Cli, tmp_path: Path
) -> None:
    configure(repo, SENIORS)
    number, _ = ai_pull(fake_github, repo)
    other = write_file(tmp_path, "other.yml", STRICTER)

    markdown = (
        await run_preview(cli, f"{REPO}#{number}", "--diff-config", other, "--format", "markdown")
    ).out

    assert "| **approvals** | 1 from @\u200bacme/architects | 2 from @\u200bacme/architects |" in (
        markdown
    )
    assert "| risk level | high | high |" in markdown


@pytest.mark.usefixtures("env")
async def test_diff_config_with_an_invalid_config_shows_its_failure_and_exits_1(
    fake_github: FakeGitHub, repo: Repo, cli: Cli, tmp_path: Path
) -> None:
    number, _ = ai_pull(fake_github, repo)
    other = write_file(tmp_path, "other.yml", "approvals:\n  seniors: ['not valid!']\n")

    result = await run_preview(cli, f"{REPO}#{number}", "--diff-config", other, "--format", "json")

    assert result.code == 1
    after = result.json()["after"]
    assert (after["conclusion"], after["risk"]) == ("failure", None)
    assert result.json()["before"]["conclusion"] == "action_required"


# -- errors a person understands --------------------------------------------------------------


def one_line(result: CliResult) -> str:
    assert result.code == 2
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    return lines[0]


async def test_no_token_says_how_to_get_one(
    fake_github: FakeGitHub,
    github_repo: RepoState,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("GITHUB_API_URL", fake_github.url)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no `gh` here

    error = one_line(await run_preview(cli, f"{REPO}#1"))

    assert error == (
        "ai-review-bot: error: no GitHub token for 127.0.0.1: set GITHUB_TOKEN to a token that "
        "can read the repository, or run `gh auth login`"
    )


async def test_token_comes_from_gh_when_github_token_is_unset(
    fake_github: FakeGitHub,
    github_repo: RepoState,
    repo: Repo,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    number, _ = ai_pull(fake_github, repo)
    gh = tmp_path / "bin" / "gh"
    gh.parent.mkdir()
    token = token_for(fake_github)
    gh.write_text(f'#!/bin/sh\n[ "$*" = "auth token --hostname 127.0.0.1" ] && echo {token}\n')
    gh.chmod(gh.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("GITHUB_API_URL", fake_github.url)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("PATH", f"{gh.parent}{os.pathsep}{os.environ['PATH']}")

    result = await run_preview(cli, f"{REPO}#{number}")

    assert result.code == 0, result.err


@pytest.mark.usefixtures("env")
async def test_refused_token_is_named_without_printing_it(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_not-a-token-github-knows")

    result = await run_preview(cli, f"{REPO}#1")

    assert one_line(result).endswith(
        "refused the token (Bad credentials): set GITHUB_TOKEN to a valid token, or run "
        "`gh auth login`"
    )
    assert "ghs_not-a-token" not in result.err


@pytest.mark.usefixtures("env")
async def test_token_without_access_to_the_repository(
    fake_github: FakeGitHub, repo: Repo, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    number, _ = ai_pull(fake_github, repo)
    monkeypatch.setenv("GITHUB_TOKEN", token_for(fake_github, "globex"))

    error = one_line(await run_preview(cli, f"{REPO}#{number}"))

    assert error == (
        "ai-review-bot: error: acme/widgets was not found, or your token cannot read it (GitHub "
        "answers 404 for private repositories a token has no access to)"
    )


@pytest.mark.usefixtures("env")
async def test_token_without_pull_request_permission(
    fake_github: FakeGitHub, repo: Repo, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    number, _ = ai_pull(fake_github, repo)
    monkeypatch.setenv("GITHUB_TOKEN", token_for(fake_github, contents="read", metadata="read"))

    error = one_line(await run_preview(cli, f"{REPO}#{number}"))

    assert error == (
        "ai-review-bot: error: your token may not read this pull request (GitHub: Resource not "
        "accessible by integration); it needs read access to the repository's contents and "
        "pull requests"
    )


@pytest.mark.usefixtures("env")
async def test_pull_request_that_does_not_exist(cli: Cli) -> None:
    error = one_line(await run_preview(cli, f"{REPO}#99"))

    assert error == "ai-review-bot: error: acme/widgets has no pull request #99"


@pytest.mark.usefixtures("env")
async def test_used_up_rate_limit_says_when_it_resets(
    fake_github: FakeGitHub, repo: Repo, cli: Cli
) -> None:
    number, _ = ai_pull(fake_github, repo)
    installation = fake_github.installation_for("acme")
    assert installation is not None
    fake_github.set_rate_limit_remaining(0, installation_id=installation.id)
    reset = fake_github.limits.bucket(f"installation:{installation.id}", "core").reset

    error = one_line(await run_preview(cli, f"{REPO}#{number}"))

    at = datetime.fromtimestamp(reset, UTC).strftime("%H:%M:%S UTC")
    assert error == (
        "ai-review-bot: error: GitHub's API rate limit for this token is used up; it resets at "
        f"{at} (in 60 min)"
    )


@pytest.mark.usefixtures("env")
async def test_used_up_graphql_rate_limit_says_when_it_resets(
    fake_github: FakeGitHub, repo: Repo, cli: Cli
) -> None:
    number, _ = ai_pull(fake_github, repo)
    installation = fake_github.installation_for("acme")
    assert installation is not None
    fake_github.set_rate_limit_remaining(0, installation_id=installation.id, resource="graphql")
    reset = fake_github.limits.bucket(f"installation:{installation.id}", "graphql").reset

    error = one_line(await run_preview(cli, f"{REPO}#{number}"))

    at = datetime.fromtimestamp(reset, UTC).strftime("%H:%M:%S UTC")
    assert error.endswith(
        f"GraphQL rate limit for this token is used up; it resets at {at} (in 60 min)"
    )


@pytest.mark.usefixtures("env")
async def test_secondary_rate_limit_says_how_long_to_wait(
    fake_github: FakeGitHub, repo: Repo, cli: Cli
) -> None:
    number, _ = ai_pull(fake_github, repo)
    fake_github.secondary_rate_limit("GET", f"/pulls/{number}$", retry_after=30)

    error = one_line(await run_preview(cli, f"{REPO}#{number}"))

    assert error == (
        "ai-review-bot: error: GitHub's secondary rate limit stopped the preview: wait 30 s and "
        "run it again"
    )


@pytest.mark.usefixtures("env")
async def test_server_errors_are_retried_then_reported(
    fake_github: FakeGitHub, repo: Repo, cli: Cli
) -> None:
    number, _ = ai_pull(fake_github, repo)
    fake_github.fail("GET", f"/pulls/{number}$", 502, times=None)

    error = one_line(await run_preview(cli, f"{REPO}#{number}"))

    assert error == (
        f"ai-review-bot: error: GitHub at {fake_github.url} answered 502 (Bad Gateway); try "
        "again later"
    )
    assert fake_github.count("GET", f"/repos/{REPO}/pulls/{number}") == 1 + pygithub_adapter.RETRIES


async def test_unreachable_github(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_whatever")

    error = one_line(await run_preview(cli, f"{REPO}#1"))

    assert error == (
        "ai-review-bot: error: cannot reach GitHub at http://127.0.0.1:9 (Connection refused); "
        "check your network, or GITHUB_API_URL for GitHub Enterprise Server"
    )


@pytest.mark.usefixtures("env")
async def test_github_that_does_not_answer_in_time(
    fake_github: FakeGitHub, repo: Repo, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    number, _ = ai_pull(fake_github, repo)
    monkeypatch.setattr(pygithub_adapter, "TIMEOUT_SECONDS", 1)
    monkeypatch.setattr(pygithub_adapter, "RETRIES", 0)
    fake_github.slow("GET", f"/pulls/{number}$", 2.0)

    error = one_line(await run_preview(cli, f"{REPO}#{number}"))

    assert error == (
        f"ai-review-bot: error: GitHub at {fake_github.url} did not answer within 1 s; check "
        "your network and try again"
    )


async def test_argument_that_is_not_a_pull_request(cli: Cli) -> None:
    error = one_line(await run_preview(cli, "acme/widgets"))

    assert error == (
        "ai-review-bot: error: 'acme/widgets' is not a pull request: give its URL "
        "(https://github.com/OWNER/REPO/pull/N) or OWNER/REPO#N"
    )


def test_readme_shows_the_config_the_demo_runs() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    tuning = readme[readme.index("## Tuning the checklists") :]

    assert f"```yaml\n{STRICT}```" in tuning


@pytest.mark.usefixtures("env")
async def test_with_the_apps_id_preview_warns_as_the_app_does_when_the_check_is_not_required(
    fake_github: FakeGitHub,
    github_repo: RepoState,
    repo: Repo,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    github_repo.protections.clear()
    number, _ = ai_pull(fake_github, repo)

    unknown = (await run_preview(cli, f"{REPO}#{number}", "--format", "json")).json()
    monkeypatch.setenv("GITHUB_APP_ID", str(fake_github.app_id))
    known = (await run_preview(cli, f"{REPO}#{number}", "--format", "json")).json()

    warning = "`ai-review` is not a required check on `main`"
    assert warning not in unknown["check_run"]["summary"]
    assert warning in known["check_run"]["summary"]


@pytest.mark.usefixtures("env")
async def test_preview_reads_the_base_branchs_codeowners_as_the_app_does(
    bot: Bot, repo: Repo, cli: Cli
) -> None:
    config = (
        SENIORS + "risk:\n  critical_paths:\n    - name: login\n      paths: ['auth/**']\n"
        "      owners: codeowners\n"
    )
    repo.commit(
        "Review config",
        {".github/ai-review.yml": config, ".github/CODEOWNERS": "/auth/ @acme/identity\n"},
    )
    number, head = open_pull(
        bot.github,
        repo,
        {"auth/login.py": LOGIN_WITH_SQL, ".github/CODEOWNERS": "* @mallory\n"},
        trailers=(CLAUDE,),
    )

    shown = (await run_preview(cli, f"{REPO}#{number}", "--format", "json")).json()
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    assert "an approval from @acme/identity (login: auth/login.py)" in shown["check_run"]["title"]
    assert shown["check_run"] == posted(bot.check(head))
