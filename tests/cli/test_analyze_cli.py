"""`ai-review-bot analyze` end to end on real git repositories."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.local.pull_range import BASE_BRANCH_VARIABLES, HEAD_BRANCH_VARIABLES
from tests.conftest import CLAUDE, CliResult, Repo

LOGIN_WITH_SQL = """\
import sqlite3


def login(db: sqlite3.Connection, username: str, password: str) -> bool:
    query = f"SELECT id FROM users WHERE name = '{username}' AND password = '{password}'"
    row = db.execute(query).fetchone()
    return row is not None
"""

Cli = Callable[..., CliResult]


@pytest.fixture(autouse=True)
def _outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """These runs are a developer's: no CI variable names the branches (tests/cli has those)."""
    for variable in (*HEAD_BRANCH_VARIABLES, *BASE_BRANCH_VARIABLES):
        monkeypatch.delenv(variable, raising=False)


def _signal(result: dict[str, Any], signal_id: str) -> dict[str, Any]:
    signals = {s["id"]: s for s in result["risk"]["signals"]}
    return signals[signal_id]


def test_claude_commit_adding_sql_login_is_high_risk(repo: Repo, cli: Cli) -> None:
    repo.branch("feature/login")
    sha = repo.commit("Add login", {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,))

    result = cli("analyze", "--repo", str(repo.path), "--format", "json")

    assert result.code == 0, result.err
    report = result.json()
    ai = report["ai"]
    assert ai["assisted"] is True
    assert ai["share"] == 1.0
    assert ai["evidence"] == [
        {"sha": sha, "signal": "trailer", "tool": "claude-code", "detail": CLAUDE}
    ]
    assert report["risk"]["level"] in ("high", "critical")
    for signal_id in ("critical_paths", "missing_tests", "patterns"):
        assert _signal(report, signal_id)["score"] > 0, signal_id
    rules = {loc.get("rule") for loc in _signal(report, "patterns")["locations"]}
    assert "sql-string" in rules
    assert [s["id"] for s in report["risk"]["signals"]] == [
        "ai_share",
        "size",
        "complexity",
        "critical_paths",
        "missing_tests",
        "dependencies",
        "patterns",
    ]


def test_human_only_branch_is_not_ai_assisted(repo: Repo, cli: Cli) -> None:
    repo.branch("feature/docs")
    repo.commit(
        "Document setup",
        {"docs/setup.md": "Run make.\n"},
        trailers=(
            "Co-authored-by: Claude Monet <claude@example.com>",
            "Signed-off-by: Dana Developer <dana@example.com>",
        ),
    )

    report = cli("analyze", "--repo", str(repo.path), "--format", "json").json()

    assert report["ai"] == {"assisted": False, "share": 0.0, "evidence": []}
    assert report["approvals"]["required"] == 0


def test_empty_range_reports_nothing_to_review_when_allowed(repo: Repo, cli: Cli) -> None:
    result = cli("analyze", "--repo", str(repo.path), "--format", "json", "--allow-empty")

    assert result.code == 0, result.err
    report = result.json()
    assert report["ai"]["assisted"] is False
    assert report["risk"]["score"] == 0
    assert report["risk"]["level"] == "low"
    assert all(s["score"] == 0 for s in report["risk"]["signals"])


def test_renames_deletions_binary_and_non_utf8_files_are_analyzed(repo: Repo, cli: Cli) -> None:
    repo.commit(
        "Base files", {"src/old_name.py": "def f():\n    return 1\n", "src/gone.py": "x = 1\n"}
    )
    repo.branch("feature/mixed")
    repo.commit(
        "Mixed change",
        {
            "assets/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00binary",
            "notes/latin1.txt": "caf\xe9 cr\xe8me\n".encode("latin-1"),
        },
        delete=("src/gone.py",),
        rename={"src/old_name.py": "src/new_name.py"},
    )

    result = cli("analyze", "--repo", str(repo.path), "--format", "json")

    assert result.code == 0, result.err
    report = result.json()
    size = _signal(report, "size")
    assert "file" in size["detail"]
    skipped = {s["path"]: s["reason"] for s in size.get("skipped", [])}
    assert skipped == {"assets/logo.png": "binary file"}


def test_merge_commits_do_not_count_towards_share(repo: Repo, cli: Cli) -> None:
    repo.branch("feature/merge")
    repo.commit("Human change", {"app/a.py": "A = 1\n" * 30})
    repo.checkout("main")
    repo.commit("Main moves on", {"app/other.py": "B = 2\n"})
    repo.checkout("feature/merge")
    repo.merge("main", "Merge main into feature")
    repo.commit("AI change", {"app/b.py": "C = 3\n" * 10}, trailers=(CLAUDE,))

    report = cli("analyze", "--repo", str(repo.path), "--base", "main", "--format", "json").json()

    # 10 AI lines of 40 authored in this branch; the merge brings main's line, not ours.
    assert report["ai"]["assisted"] is True
    assert report["ai"]["share"] == 0.25


def test_syntax_error_file_is_reported_as_not_measured(repo: Repo, cli: Cli) -> None:
    repo.branch("feature/broken")
    repo.commit("Broken", {"app/broken.py": "def broken(:\n    pass\n"}, trailers=(CLAUDE,))

    report = cli("analyze", "--repo", str(repo.path), "--format", "json").json()

    skipped = _signal(report, "complexity").get("skipped", [])
    assert [s["path"] for s in skipped] == ["app/broken.py"]
    assert "syntax error" in skipped[0]["reason"]


def test_fail_on_exits_1_at_or_above_the_level(repo: Repo, cli: Cli) -> None:
    repo.branch("feature/login")
    repo.commit("Add login", {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,))

    assert cli("analyze", "--repo", str(repo.path), "--fail-on", "high").code == 1
    assert cli("analyze", "--repo", str(repo.path), "--fail-on", "critical").code in (0, 1)


def test_not_a_repository_is_a_one_line_usage_error(tmp_path: Any, cli: Cli) -> None:
    result = cli("analyze", "--repo", str(tmp_path))

    assert result.code == 2
    assert result.err.count("\n") == 1
    assert "Traceback" not in result.err


def test_unknown_ref_is_a_one_line_usage_error(repo: Repo, cli: Cli) -> None:
    result = cli("analyze", "--repo", str(repo.path), "--base", "no-such-branch")

    assert result.code == 2
    assert result.err == (
        f"ai-review-bot: error: 'no-such-branch' (--base) is not a commit in {repo.path}: "
        "check the name (git branch -a lists the branches this clone has)\n"
    )


def test_text_output_is_plain_when_not_a_tty(repo: Repo, cli: Cli) -> None:
    repo.branch("feature/login")
    repo.commit("Add login", {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,))

    result = cli("analyze", "--repo", str(repo.path))

    assert result.code == 0
    assert "\x1b[" not in result.out
    assert result.out.startswith("Risk: ")
    assert "AI-assisted: yes (Claude Code)" in result.out


def test_markdown_output_is_the_comment(repo: Repo, cli: Cli) -> None:
    repo.branch("feature/login")
    repo.commit("Add login", {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,))

    result = cli("analyze", "--repo", str(repo.path), "--format", "markdown")

    assert result.out.startswith("<!-- ai-review -->\n")
    assert "- [ ] " in result.out


def _item_ids(report: dict[str, Any]) -> list[str]:
    return [item["id"] for group in report["checklist"] for item in group["items"]]


def test_auth_sql_change_gets_injection_and_authz_items_not_money_or_migrations(
    repo: Repo, cli: Cli
) -> None:
    repo.branch("feature/login")
    repo.commit("Add login", {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,))

    report = cli("analyze", "--repo", str(repo.path), "--format", "json").json()
    items = _item_ids(report)

    assert {"sql-params", "authz-every-path"} <= set(items)
    assert not any(item.startswith(("money-", "migration-", "payment-")) for item in items)
    assert 5 <= len(items) <= 15
    assert {group["id"] for group in report["checklist"]}.isdisjoint({"business"})


def test_config_at_base_selects_disables_and_adds_items(repo: Repo, cli: Cli) -> None:
    repo.commit(
        "Configure review",
        {
            ".github/ai-review.yml": (
                "approvals:\n  seniors: ['@acme/architects', alice]\n"
                "checklists:\n  builtin: [security, tests]\n  disable: [author-can-explain]\n"
                "  items:\n    - checklist: security\n      id: audit-login\n"
                "      text: Is every login attempt written to the audit log?\n"
                "      when: {paths: ['auth/**']}\n"
            ),
            ".github/ai-review/checklists/house.yml": (
                "id: house\ntitle: House rules\nitems:\n"
                "  - id: feature-flag\n    text: Is the change behind a flag?\n"
                "    when: {ai: true}\n"
            ),
        },
    )
    repo.branch("feature/login")
    repo.commit("Add login", {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,))

    report = cli("analyze", "--repo", str(repo.path), "--format", "json").json()
    groups = {group["id"] for group in report["checklist"]}
    items = _item_ids(report)

    assert groups <= {"security", "tests", "house"}
    assert {"audit-login", "feature-flag", "sql-params"} <= set(items)
    assert "author-can-explain" not in items
    assert report["approvals"]["from"] == ["@acme/architects", "alice"]


def test_config_edited_on_the_branch_does_not_change_its_own_gate(repo: Repo, cli: Cli) -> None:
    repo.commit(".github config", {".github/ai-review.yml": "approvals:\n  seniors: [alice]\n"})
    repo.branch("feature/loosen")
    repo.commit(
        "Loosen the gate",
        {
            ".github/ai-review.yml": "approvals:\n  required: {high: 0, critical: 0}\n",
            "auth/login.py": LOGIN_WITH_SQL,
        },
        trailers=(CLAUDE,),
    )

    report = cli("analyze", "--repo", str(repo.path), "--format", "json").json()

    assert report["approvals"] == {"required": 1, "from": ["alice"]}


def test_invalid_config_at_base_exits_1_and_analyzes_nothing(repo: Repo, cli: Cli) -> None:
    repo.commit("Bad config", {".github/ai-review.yml": "risk:\n  weights: {sizee: 3}\n"})
    repo.branch("feature/x")
    repo.commit("Change", {"app.py": "x = 1\n"})

    result = cli("analyze", "--repo", str(repo.path), "--format", "json")

    assert result.code == 1
    assert result.out == ""
    assert "risk.weights.sizee: unknown key 'sizee'; did you mean 'size'?" in result.err


def test_new_unpinned_dependency_is_flagged_at_its_line(repo: Repo, cli: Cli) -> None:
    repo.commit("Pin deps", {"requirements.txt": "flask==3.0.0\n"})
    repo.branch("feature/http")
    repo.commit("Add client", {"requirements.txt": "flask==3.0.0\nrequests>=2\n"})

    report = cli("analyze", "--repo", str(repo.path), "--format", "json").json()
    deps = _signal(report, "dependencies")

    assert deps["score"] > 0
    assert deps["detail"] == "1 added, 0 changed, 0 removed; 1 not pinned"
    assert deps["locations"] == [
        {
            "path": "requirements.txt",
            "line": 2,
            "rule": "dependency",
            "message": "pypi: added requests >=2 (not pinned)",
        }
    ]


def test_analysis_budget_reads_critical_and_most_changed_files_first(repo: Repo, cli: Cli) -> None:
    filler = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(1200))  # ~36 KiB
    repo.branch("feature/big")
    repo.commit(
        "Big change",
        {
            "auth/login.py": LOGIN_WITH_SQL,
            "app/big_a.py": filler,
            "app/big_b.py": filler + "X = 1\n",
        },
    )
    config = repo.path / "budget.yml"
    config.write_text("risk:\n  limits:\n    analysis_bytes: 65536\n")

    report = cli(
        "analyze", "--repo", str(repo.path), "--config", str(config), "--format", "json"
    ).json()

    unmeasured = {s["path"]: s["reason"] for s in _signal(report, "complexity").get("skipped", [])}
    assert unmeasured == {"app/big_a.py": "over the change's analysis budget (64 KiB of source)"}
    assert "sql-string" in {loc.get("rule") for loc in _signal(report, "patterns")["locations"]}


# --- the head branch counts for detection, as a pull request's headRefName does ------------------

BRANCH_EVIDENCE = {"sha": None, "signal": "branch", "tool": "claude-code"}


def _ai(result: CliResult) -> dict[str, Any]:
    assert result.code == 0, result.err
    ai: dict[str, Any] = result.json()["ai"]
    return ai


def test_checked_out_agent_branch_marks_the_change_ai_assisted(repo: Repo, cli: Cli) -> None:
    repo.branch("claude/fix-login")
    repo.commit("Fix login", {"auth/login.py": "def login():\n    return True\n"})

    ai = _ai(cli("analyze", "--repo", str(repo.path), "--format", "json"))

    assert ai["assisted"] is True
    assert ai["share"] == 1.0
    assert ai["evidence"] == [{**BRANCH_EVIDENCE, "detail": "head branch claude/fix-login"}]


def test_agent_branch_named_as_head_counts_from_another_checkout(repo: Repo, cli: Cli) -> None:
    repo.branch("claude/fix-login")
    repo.commit("Fix login", {"auth/login.py": "def login():\n    return True\n"})
    repo.checkout("main")

    ai = _ai(
        cli("analyze", "--repo", str(repo.path), "--head", "claude/fix-login", "--format", "json")
    )

    assert ai["evidence"] == [{**BRANCH_EVIDENCE, "detail": "head branch claude/fix-login"}]


def test_remote_tracking_agent_branch_counts_without_its_remote(repo: Repo, cli: Cli) -> None:
    repo.branch("work")
    repo.commit("Add retry", {"net.py": "RETRIES = 3\n"})
    repo.git("update-ref", "refs/remotes/origin/codex/add-retry", "HEAD")
    repo.checkout("main")

    ai = _ai(
        cli(
            "analyze",
            "--repo",
            str(repo.path),
            "--head",
            "origin/codex/add-retry",
            "--format",
            "json",
        )
    )

    assert [(e["signal"], e["tool"], e["detail"]) for e in ai["evidence"]] == [
        ("branch", "codex", "head branch codex/add-retry")
    ]


def test_head_given_as_a_commit_or_a_look_alike_branch_is_not_evidence(
    repo: Repo, cli: Cli
) -> None:
    repo.branch("claude/fix-login")
    sha = repo.commit("Fix login", {"auth/login.py": "def login():\n    return True\n"})
    repo.git("branch", "feature/claude-fix", sha)
    repo.checkout("main")

    by_sha = _ai(cli("analyze", "--repo", str(repo.path), "--head", sha, "--format", "json"))
    look_alike = _ai(
        cli("analyze", "--repo", str(repo.path), "--head", "feature/claude-fix", "--format", "json")
    )

    assert by_sha == {"assisted": False, "share": 0.0, "evidence": []}
    assert look_alike == {"assisted": False, "share": 0.0, "evidence": []}
