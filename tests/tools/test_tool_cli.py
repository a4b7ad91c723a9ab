"""The tool rules end to end: `ai-review-bot analyze` on a real git repository, a branch that
writes each failure mode beside a look-alike, and what a user reads in the JSON."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult, Repo
from tests.tools.kit import code

Cli = Callable[..., CliResult]

WORKFLOW = code(
    """
    name: triage
    on: issues
    permissions:
      issues: write
    jobs:
      label:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - uses: some-org/triage-action@v3
          - uses: other-org/notify@0b93645e9fea7318ecaed2b359559ac225c90a2b
          - run: echo "${{ github.event.issue.title }}"
          - env:
              BODY: ${{ github.event.issue.body }}
            run: echo "$BODY"
    """
)
MIGRATION = code(
    """
    CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint);
    CREATE INDEX invoices_user_idx ON invoices (user_id);
    ALTER TABLE users ADD COLUMN plan text NOT NULL;
    ALTER TABLE users ADD COLUMN nickname text;
    """
)
DOCKERFILE = "FROM node:latest AS build\nRUN npm ci\nFROM node:22-slim\nUSER node\n"
SERVICE = code(
    """
    import asyncio
    import time


    async def poll():
        time.sleep(5)


    async def poll_politely():
        await asyncio.sleep(5)
    """
)
FILES = {
    ".github/workflows/triage.yml": WORKFLOW,
    "db/migrations/0042_plans.sql": MIGRATION,
    "Dockerfile": DOCKERFILE,
    "app/poller.py": SERVICE,
}


def analyze(repo: Repo, cli: Cli) -> dict[str, Any]:
    repo.branch("feature/tools")
    repo.commit("Add triage, plans, image and poller", FILES)
    result = cli("analyze", "--repo", str(repo.path), "--base", "main", "--format", "json")
    assert result.code == 0, result.err
    report: dict[str, Any] = result.json()
    return report


def patterns(report: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in report["risk"]["signals"] if s["id"] == "patterns")
    return found


def test_each_failure_mode_is_found_and_no_look_alike_is(repo: Repo, cli: Cli) -> None:
    report = analyze(repo, cli)

    located = [
        (loc["path"], loc["line"], loc["rule"], loc["source"])
        for loc in patterns(report)["locations"]
    ]
    assert located == [
        (".github/workflows/triage.yml", 10, "actions-unpinned-uses", "zizmor unpinned-uses"),
        (
            ".github/workflows/triage.yml",
            12,
            "actions-template-injection",
            "zizmor template-injection",
        ),
        ("Dockerfile", 1, "dockerfile-unpinned-base", "hadolint DL3007"),
        ("app/poller.py", 6, "blocking-in-async", "ruff ASYNC251"),
        (
            "db/migrations/0042_plans.sql",
            3,
            "migration-not-null-without-default",
            "squawk adding-required-field",
        ),
    ]
    assert "skipped" not in patterns(report)


def test_the_counted_findings_select_their_checklist_items(repo: Repo, cli: Cli) -> None:
    report = analyze(repo, cli)

    items = {item["id"] for checklist in report["checklist"] for item in checklist["items"]}
    assert {
        "ci-pinned-actions",
        "ci-permissions",
        "migration-existing-data",
        "async-not-blocked",
    } <= items


def test_a_tool_that_is_not_installed_is_said_in_the_output(
    repo: Repo, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No tool beside this Python, none on PATH: as on a platform where one could not be installed.
    only_git = tmp_path / "only-git"
    only_git.mkdir()
    (only_git / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-venv" / "python"))
    monkeypatch.setenv("PATH", str(only_git))

    report = analyze(repo, cli)

    skipped = {(s["path"], s["reason"]) for s in patterns(report)["skipped"]}
    assert (
        "Dockerfile",
        "not checked by hadolint (Dockerfile checks): "
        "hadolint is not installed (it comes with ai-review-bot)",
    ) in skipped
    assert {path for path, _ in skipped} == set(FILES)
    assert [loc["rule"] for loc in patterns(report)["locations"]] == []
