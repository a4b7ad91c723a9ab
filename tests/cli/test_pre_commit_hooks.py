""".pre-commit-hooks.yaml: each hook's command, run as pre-commit would run it.

pre-commit itself is not in the lock (and would build the hook's environment from the
package index), so these tests run each hook's `entry` with its `args` and the file names
pre-commit passes, through the installed console script, in repositories in the state
pre-commit leaves them in (the change staged).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.local.pull_range import BASE_BRANCH_VARIABLES, HEAD_BRANCH_VARIABLES
from tests.conftest import Repo
from tests.wheelhouse import ROOT

HOOKS = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
SCRIPT = Path(sys.executable).parent / "ai-review-bot"
RISKY = {"app/run.py": "import os\n\n\ndef run(name):\n    os.system('ls ' + name)\n"}
STAGES = {
    "pre-commit",
    "pre-merge-commit",
    "pre-push",
    "prepare-commit-msg",
    "commit-msg",
    "post-checkout",
    "post-commit",
    "post-merge",
    "post-rewrite",
    "manual",
}


@pytest.fixture(autouse=True)
def _outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (*HEAD_BRANCH_VARIABLES, *BASE_BRANCH_VARIABLES):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


def _run_hook(
    hook_id: str, repo: Repo, staged: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The hook as pre-commit runs it: entry split as a shell would, then args, then the
    staged files its `files` pattern matches when it takes file names."""
    hook: dict[str, Any] = HOOKS[hook_id]
    argv = shlex.split(hook["entry"]) + list(hook.get("args", []))
    assert argv[0] == "ai-review-bot"
    if hook.get("pass_filenames", True):
        pattern = re.compile(hook.get("files", ""))
        argv += [name for name in staged or [] if pattern.search(name)]
    return subprocess.run(
        [str(SCRIPT), *argv[1:]],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_every_hook_is_a_valid_manifest_entry() -> None:
    assert SCRIPT.is_file(), f"{SCRIPT}: the console script pre-commit would run"
    for hook in HOOKS.values():
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["language"] == "python"
        assert set(hook.get("stages", [])) <= STAGES
    assert set(HOOKS) == {"ai-review-bot", "ai-review-bot-branch", "ai-review-bot-check-config"}


def test_staged_hook_fails_a_risky_commit_and_says_why(repo: Repo) -> None:
    repo.write(RISKY)
    repo.git("add", "app/run.py")

    done = _run_hook("ai-review-bot", repo, ["app/run.py"])

    assert done.returncode == 1, done.stderr
    assert "[shell-injection]" in done.stdout
    assert "Range: the staged change on top of HEAD" in done.stdout


def test_staged_hook_passes_a_harmless_commit(repo: Repo) -> None:
    repo.write({"docs/setup.md": "Run make.\n"})
    repo.git("add", "docs/setup.md")

    done = _run_hook("ai-review-bot", repo, ["docs/setup.md"])

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("Risk: LOW")


def test_staged_hook_looks_only_at_what_is_staged(repo: Repo) -> None:
    repo.write({"docs/setup.md": "Run make.\n", **RISKY})
    repo.git("add", "docs/setup.md")

    done = _run_hook("ai-review-bot", repo, ["docs/setup.md"])

    assert done.returncode == 0, done.stdout
    assert "shell-injection" not in done.stdout


def test_branch_hook_analyzes_the_branch_against_the_default_branch(repo: Repo) -> None:
    repo.branch("feature/run")
    repo.commit("Run things", RISKY)

    done = _run_hook("ai-review-bot-branch", repo)

    assert done.returncode == 1, done.stderr
    assert "from its merge-base with main, the default branch" in done.stdout


def test_branch_hook_passes_a_push_of_the_default_branch_itself(repo: Repo) -> None:
    done = _run_hook("ai-review-bot-branch", repo)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Risk: LOW (0/100)")


def test_check_config_hook_takes_only_the_config_and_reports_its_errors(repo: Repo) -> None:
    repo.write({".github/ai-review.yml": "approvals:\n  required: {high: lots}\n"})

    done = _run_hook(
        "ai-review-bot-check-config", repo, ["app/x.py", ".github/ai-review.yml", "ai-review.yml"]
    )

    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        ".github/ai-review.yml:2:20: approvals.required.high: expected a whole number, got a "
        "string",
        ".github/ai-review.yml: 1 error(s); the config is rejected whole.",
    ]


def test_check_config_hook_passes_a_valid_config(repo: Repo) -> None:
    repo.write({".github/ai-review.yml": "approvals:\n  seniors: [alice]\n"})

    done = _run_hook("ai-review-bot-check-config", repo, [".github/ai-review.yml"])

    assert done.returncode == 0
    assert done.stdout == ".github/ai-review.yml: valid\n"
