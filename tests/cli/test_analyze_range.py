"""`analyze` reviews the range a pull request would show, in a developer's clone and in CI's.

Each case is a real repository: a base that moved on, a head already in its base, shallow
clones made with `git clone --depth` over file://, and the branch names CI systems give.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.local.pull_range import BASE_BRANCH_VARIABLES, HEAD_BRANCH_VARIABLES
from tests.conftest import CLAUDE, CliResult, Repo

Cli = Callable[..., CliResult]
SHELL_CALL = "import os\n\n\ndef run(name):\n    os.system('ls ' + name)\n"


@pytest.fixture(autouse=True)
def _outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (*HEAD_BRANCH_VARIABLES, *BASE_BRANCH_VARIABLES):
        monkeypatch.delenv(variable, raising=False)


def _report(result: CliResult) -> dict[str, Any]:
    assert result.code == 0, result.err
    return result.json()


def _signal(report: dict[str, Any], signal_id: str) -> dict[str, Any]:
    return next(s for s in report["risk"]["signals"] if s["id"] == signal_id)


def _moved_on(repo: Repo) -> None:
    """feature adds one file; main then moves on with two files of its own, one risky."""
    repo.branch("feature")
    repo.commit("Add greeting", {"app/greet.py": "def greet(name):\n    return 'hi ' + name\n"})
    repo.checkout("main")
    repo.commit("Main moves on", {"app/shell.py": SHELL_CALL, "docs/notes.md": "Notes\n"})
    repo.checkout("feature")


def test_base_that_moved_on_adds_nothing_to_the_change(repo: Repo, cli: Cli) -> None:
    _moved_on(repo)

    report = _report(cli("analyze", "--repo", str(repo.path), "--base", "main", "--format", "json"))

    shown = repo.git("diff", "--name-only", "main...feature").split()
    assert shown == ["app/greet.py"]
    assert _signal(report, "size")["detail"] == (
        "2 code lines written in 1 file (2 lines changed in 1 file)"
    )
    assert _signal(report, "patterns")["locations"] == []
    assert report["range"] == {
        "base": "main",
        "base_from": "--base",
        "base_sha": repo.sha("main"),
        "merge_base": repo.git("merge-base", "main", "feature"),
        "head": "HEAD",
        "head_sha": repo.sha("feature"),
        "head_branch": "feature",
        "head_branch_from": "checked out",
        "commits": 1,
    }


def test_range_line_says_the_change_starts_at_the_merge_base(repo: Repo, cli: Cli) -> None:
    _moved_on(repo)

    result = cli("analyze", "--repo", str(repo.path), "--base", "main")

    merge_base = repo.git("merge-base", "main", "feature")[:10]
    head = repo.sha("feature")[:10]
    assert result.code == 0, result.err
    assert (
        f"Range: {merge_base}..{head} (1 commit): HEAD on branch feature, from its merge-base "
        "with main" in result.out.splitlines()
    )


def test_head_equal_to_its_base_is_an_error_with_the_cause(repo: Repo, cli: Cli) -> None:
    result = cli("analyze", "--repo", str(repo.path), "--fail-on", "high")

    assert result.code == 2
    assert result.out == ""
    assert result.err == (
        f"ai-review-bot: error: nothing to analyze: HEAD ({repo.sha('HEAD')[:10]}) is main "
        "itself, so the change is empty; check out the change's branch or pass --head BRANCH "
        "(--allow-empty reports an empty change instead)\n"
    )


def test_head_already_merged_into_its_base_is_an_empty_change(repo: Repo, cli: Cli) -> None:
    repo.branch("done")
    repo.commit("Shipped", {"app/x.py": "X = 1\n"})
    repo.checkout("main")
    repo.merge("done")
    repo.commit("Later", {"app/y.py": "Y = 1\n"})

    result = cli("analyze", "--repo", str(repo.path), "--head", "done")

    assert result.code == 2
    assert "done (" in result.err
    assert "is already part of main, so the change is empty" in result.err
    assert result.err.count("\n") == 1


def test_unrelated_histories_say_to_pass_the_base(repo: Repo, cli: Cli) -> None:
    repo.git("checkout", "-q", "--orphan", "other")
    repo.commit("Unrelated", {"other.txt": "1\n"})

    result = cli("analyze", "--repo", str(repo.path), "--base", "main")

    assert result.code == 2
    assert result.err == (
        "ai-review-bot: error: main and HEAD have no common ancestor: pass --base with the "
        "branch the change was made from\n"
    )


# --- shallow clones, as CI checks out -------------------------------------------------------


def _origin(repo: Repo) -> str:
    """Some history, then main with 5 commits past the branch point and a 3-commit feature
    branch: a clone 6 deep holds the merge-base and is still cut below it."""
    for number in range(4):
        repo.commit(f"History {number}", {"app/core.py": f"CORE = {number}\n"})
    repo.commit("Base", {"app/core.py": "CORE = 1\n"})
    repo.branch("feature")
    for number in range(3):
        repo.commit(f"Feature {number}", {f"app/f{number}.py": f"F = {number}\n"})
    repo.checkout("main")
    for number in range(5):
        repo.commit(f"Main {number}", {f"app/m{number}.py": f"M = {number}\n"})
    return f"file://{repo.path}"


def _clone(url: str, target: Path, *args: str) -> Repo:
    subprocess.run(["git", "clone", "-q", *args, url, str(target)], check=True, capture_output=True)
    return Repo(target)


def test_shallow_clone_with_the_merge_base_analyzes_the_change(
    repo: Repo, cli: Cli, tmp_path: Path
) -> None:
    url = _origin(repo)
    clone = _clone(url, tmp_path / "deep-enough", "--depth", "6", "--no-single-branch")
    clone.git("checkout", "-q", "feature")

    report = _report(cli("analyze", "--repo", str(clone.path), "--format", "json"))

    assert clone.git("rev-parse", "--is-shallow-repository") == "true"
    assert report["range"]["base"] == "origin/HEAD"
    assert report["range"]["merge_base"] == repo.git("merge-base", "main", "feature")
    assert report["range"]["commits"] == 3
    assert _signal(report, "size")["detail"].endswith("in 3 files)")


def test_shallow_clone_without_the_merge_base_says_how_to_fetch_it(
    repo: Repo, cli: Cli, tmp_path: Path
) -> None:
    url = _origin(repo)
    clone = _clone(url, tmp_path / "shallow", "--depth", "1", "--no-single-branch")
    clone.git("checkout", "-q", "feature")

    result = cli("analyze", "--repo", str(clone.path), "--fail-on", "high")

    assert result.code == 2
    assert result.err == (
        "ai-review-bot: error: origin/HEAD and HEAD meet below the history this shallow clone "
        "has, so the change cannot be told apart: fetch more of it (git fetch --deepen=200 "
        "origin, or git fetch --unshallow; in GitHub Actions, actions/checkout with "
        "fetch-depth: 0)\n"
    )


def test_deepening_the_shallow_clone_as_told_makes_it_work(
    repo: Repo, cli: Cli, tmp_path: Path
) -> None:
    url = _origin(repo)
    clone = _clone(url, tmp_path / "shallow", "--depth", "1", "--no-single-branch")
    clone.git("checkout", "-q", "feature")
    clone.git("fetch", "-q", "--deepen=200", "origin")

    report = _report(cli("analyze", "--repo", str(clone.path), "--format", "json"))

    assert report["range"]["commits"] == 3


def test_single_branch_clone_without_its_base_says_to_fetch_the_base(
    repo: Repo, cli: Cli, tmp_path: Path
) -> None:
    url = _origin(repo)
    clone = _clone(url, tmp_path / "single", "--depth", "1", "--branch", "feature")

    result = cli("analyze", "--repo", str(clone.path), "--base", "origin/main")

    assert result.code == 2
    assert result.err == (
        f"ai-review-bot: error: 'origin/main' (--base) is not a commit in {clone.path}: fetch "
        "it first (git fetch --no-tags origin main; in GitHub Actions, actions/checkout with "
        "fetch-depth: 0)\n"
    )


# --- branch names and the base branch from CI -------------------------------------------------


def test_github_head_ref_names_the_branch_of_a_detached_checkout(
    repo: Repo, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.branch("claude/fix-login")
    sha = repo.commit("Fix login", {"auth/login.py": "def login():\n    return True\n"})
    repo.git("checkout", "-q", "--detach", sha)
    monkeypatch.setenv("GITHUB_HEAD_REF", "claude/fix-login")
    monkeypatch.setenv("GITHUB_BASE_REF", "main")

    report = _report(cli("analyze", "--repo", str(repo.path), "--format", "json"))

    assert report["ai"]["evidence"] == [
        {
            "sha": None,
            "signal": "branch",
            "tool": "claude-code",
            "detail": "head branch claude/fix-login",
        }
    ]
    assert (report["range"]["head_branch"], report["range"]["head_branch_from"]) == (
        "claude/fix-login",
        "GITHUB_HEAD_REF",
    )
    assert (report["range"]["base"], report["range"]["base_from"]) == ("main", "GITHUB_BASE_REF")


def test_gitlab_source_branch_names_the_branch(
    repo: Repo, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.branch("work")
    sha = repo.commit("Add retry", {"net.py": "RETRIES = 3\n"})
    repo.git("checkout", "-q", "--detach", sha)
    monkeypatch.setenv("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "codex/add-retry")
    monkeypatch.setenv("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main")

    result = cli("analyze", "--repo", str(repo.path))

    assert result.code == 0, result.err
    assert "AI-assisted: yes (OpenAI Codex)" in result.out
    assert "on branch codex/add-retry (from CI_MERGE_REQUEST_SOURCE_BRANCH_NAME)" in result.out


def test_branch_named_by_head_wins_over_the_ci_variable(
    repo: Repo, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.branch("feature/plain")
    repo.commit("Plain", {"app.py": "A = 1\n"})
    monkeypatch.setenv("GITHUB_HEAD_REF", "claude/elsewhere")

    report = _report(
        cli("analyze", "--repo", str(repo.path), "--head", "feature/plain", "--format", "json")
    )

    assert report["ai"]["assisted"] is False
    assert report["range"]["head_branch"] == "feature/plain"


def test_ci_base_branch_missing_from_the_clone_says_to_fetch_it(
    repo: Repo, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.branch("feature")
    repo.commit("Change", {"app.py": "A = 1\n"})
    monkeypatch.setenv("GITHUB_BASE_REF", "release")

    result = cli("analyze", "--repo", str(repo.path))

    assert result.code == 2
    assert result.err == (
        "ai-review-bot: error: GITHUB_BASE_REF names the base branch 'release', but this clone "
        "has neither origin/release nor release: fetch it first (git fetch --no-tags origin "
        "release; in GitHub Actions, actions/checkout with fetch-depth: 0), or pass --base\n"
    )


# --- the staged change (the pre-commit hook) ---------------------------------------------------


def test_staged_change_is_analyzed_without_touching_the_repository(repo: Repo, cli: Cli) -> None:
    repo.branch("feature")
    repo.write({"app/shell.py": SHELL_CALL, "app/unstaged.py": "import os\nos.system('x')\n"})
    repo.git("add", "app/shell.py")
    refs_before = repo.git("for-each-ref")
    status_before = repo.git("status", "--porcelain")

    report = _report(
        cli(
            "analyze",
            "--repo",
            str(repo.path),
            "--staged",
            "--format",
            "json",
            "--fail-on",
            "critical",
        )
    )

    paths = {loc["path"] for loc in _signal(report, "patterns")["locations"]}
    assert paths == {"app/shell.py"}
    assert report["range"]["base_from"] == "--staged"
    assert report["range"]["merge_base"] == repo.sha("HEAD")
    assert repo.git("for-each-ref") == refs_before
    assert repo.git("status", "--porcelain") == status_before


def test_nothing_staged_is_an_empty_change(repo: Repo, cli: Cli) -> None:
    result = cli("analyze", "--repo", str(repo.path), "--staged")

    assert result.code == 2
    assert result.err == (
        "ai-review-bot: error: nothing to analyze: nothing is staged (git add the change first; "
        "--allow-empty reports an empty change instead)\n"
    )


def test_staged_with_a_head_is_a_usage_error(repo: Repo, cli: Cli) -> None:
    result = cli("analyze", "--repo", str(repo.path), "--staged", "--head", "main")

    assert result.code == 2
    assert result.err == (
        "ai-review-bot: error: --staged analyzes the index on top of HEAD: leave out --head\n"
    )


def test_claude_trailer_on_a_moved_base_still_counts_only_the_branch(repo: Repo, cli: Cli) -> None:
    repo.branch("feature")
    repo.commit("Human work", {"app/a.py": "A = 1\n"})
    repo.checkout("main")
    repo.commit("AI work on main", {"app/b.py": "B = 1\n"}, trailers=(CLAUDE,))
    repo.checkout("feature")

    report = _report(cli("analyze", "--repo", str(repo.path), "--base", "main", "--format", "json"))

    assert report["ai"] == {"assisted": False, "share": 0.0, "evidence": []}
