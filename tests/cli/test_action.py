"""action.yml's steps, run as the runner runs a composite action, on a pull request whose
checkout is CI's: a one-commit shallow clone with a file:// origin. No network: the install step
takes the lock's wheels from the wheelhouse (tests/wheelhouse.py), the `uses:` steps are played
by the test (setup-python names this Python; the SARIF upload is recorded), and each `run:`
step is its bash script with the runner's environment, `${{ }}` expressions filled in from the
contexts the runner would give it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.local.pull_range import BASE_BRANCH_VARIABLES, HEAD_BRANCH_VARIABLES
from tests.conftest import CLAUDE, Repo
from tests.wheelhouse import ROOT, offline_env

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
LOGIN = (
    "import sqlite3\n\n\ndef login(db: sqlite3.Connection, name: str) -> bool:\n"
    "    row = db.execute(f\"SELECT id FROM users WHERE name = '{name}'\").fetchone()\n"
    "    return row is not None\n"
)
# What the action needs of this checkout: what pip builds the package from.
PACKAGE_FILES = ("pyproject.toml", "README.md", "LICENSE", "bot", "checklists", "requirements")


@dataclass
class Runner:
    """The contexts of one composite action run, and what its steps left behind."""

    workspace: Path
    temp: Path
    action_path: Path
    env: dict[str, str]
    inputs: dict[str, str]
    event: dict[str, Any]
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    uploads: list[dict[str, str]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    def lookup(self, path: str) -> str:
        head, _, rest = path.partition(".")
        if head == "inputs":
            return self.inputs.get(rest, "")
        if head == "steps":
            step, _, output = rest.partition(".outputs.")
            return self.outputs.get(step, {}).get(output, "")
        if head == "github" and rest.startswith("event."):
            value: Any = self.event
            for key in rest.removeprefix("event.").split("."):
                value = value.get(key, {}) if isinstance(value, dict) else {}
            return value if isinstance(value, str) else ""
        raise AssertionError(f"the test's runner does not know {path!r}")

    def expand(self, text: str) -> str:
        return re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: self.lookup(m.group(1)), text)

    def condition(self, expression: str) -> bool:
        """The `if:` forms action.yml uses: comparisons of context values joined by &&."""
        parts = [part.strip() for part in expression.split("&&")]
        for part in parts:
            left, op, right = re.fullmatch(r"([\w.-]+) (==|!=) '([^']*)'", part).groups()  # type: ignore[union-attr]
            if (self.lookup(left) == right) != (op == "=="):
                return False
        return True

    def run_step(self, step: dict[str, Any]) -> int:
        if "if" in step and not self.condition(step["if"]):
            return 0
        if "uses" in step:
            return self._uses(step)
        output = self.temp / f"output-{step.get('id', len(self.log))}"
        output.write_text("")
        env = {
            **self.env,
            **{key: self.expand(str(value)) for key, value in step.get("env", {}).items()},
            "GITHUB_OUTPUT": str(output),
        }
        assert "${{" not in step["run"], "event values must reach scripts through env"
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        self.log.append(done.stdout + done.stderr)
        if "id" in step:
            self.outputs[step["id"]] = dict(
                line.split("=", 1) for line in output.read_text().splitlines() if "=" in line
            )
        return done.returncode

    def _uses(self, step: dict[str, Any]) -> int:
        with_ = {key: self.expand(str(value)) for key, value in step.get("with", {}).items()}
        if step["uses"].startswith("actions/setup-python@"):
            self.outputs[step["id"]] = {"python-path": sys.executable}
        elif step["uses"].startswith("github/codeql-action/upload-sarif@"):
            self.uploads.append(with_)
        else:
            raise AssertionError(f"the test's runner does not play {step['uses']}")
        return 0

    def run(self, steps: list[dict[str, Any]]) -> int:
        """The steps in order; the first failing one ends the run, as in a composite action."""
        for step in steps:
            status = self.run_step(step)
            if status:
                return status
        return 0


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The action's checkout (this package's files) and its install step, run once."""
    env = offline_env()
    action_path = tmp_path_factory.mktemp("action")
    for name in PACKAGE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, action_path / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(source, action_path / name)
    shutil.copy2(ROOT / "action.yml", action_path / "action.yml")
    temp = tmp_path_factory.mktemp("runner-temp")
    runner = Runner(
        workspace=action_path,
        temp=temp,
        action_path=action_path,
        env={**env, "GITHUB_ACTION_PATH": str(action_path), "RUNNER_TEMP": str(temp)},
        inputs={},
        event={},
    )
    steps = ACTION["runs"]["steps"]
    assert runner.run(steps[:2]) == 0, "\n".join(runner.log)
    return action_path, runner.outputs["install"]


def _pull_request(repo: Repo, tmp_path: Path, main_ahead: int = 0) -> tuple[dict[str, Any], Path]:
    """An origin with a pull request from claude/login into main (main moved on since, by
    `main_ahead` more commits), and a workspace checked out as actions/checkout does by
    default: one commit, shallow."""
    for number in range(3):
        repo.commit(f"History {number}", {"app/core.py": f"CORE = {number}\n"})
    repo.branch("claude/login")
    repo.commit("Add login", {"auth/login.py": LOGIN}, trailers=(CLAUDE,))
    repo.commit("Tidy", {"auth/__init__.py": ""}, trailers=(CLAUDE,))
    repo.checkout("main")
    repo.commit("Main moves on", {"app/other.py": "import os\nos.system('ls ' + x)\n"})
    for number in range(main_ahead):
        repo.commit(f"Main {number}", allow_empty=True)
    repo.git("config", "uploadpack.allowAnySHA1InWant", "true")
    base, head = repo.sha("main"), repo.sha("claude/login")
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    checkout = Repo(workspace)
    checkout.git("init", "-q")
    checkout.git("remote", "add", "origin", f"file://{repo.path}")
    checkout.git("fetch", "-q", "--no-tags", "--depth=1", "origin", head)
    checkout.git("checkout", "-q", "--detach", "FETCH_HEAD")
    event = {"pull_request": {"base": {"sha": base}, "head": {"sha": head}}}
    return event, workspace


def _runner(
    installed: tuple[Path, dict[str, str]],
    workspace: Path,
    tmp_path: Path,
    event: dict[str, Any],
    **inputs: str,
) -> Runner:
    action_path, install_outputs = installed
    temp = tmp_path / "runner-temp"
    temp.mkdir(exist_ok=True)
    summary = temp / "step-summary.md"
    summary.write_text("")
    env = {
        key: value
        for key, value in offline_env().items()
        if key not in (*HEAD_BRANCH_VARIABLES, *BASE_BRANCH_VARIABLES, "NO_COLOR", "FORCE_COLOR")
    }
    env.update(
        GITHUB_ACTION_PATH=str(action_path),
        RUNNER_TEMP=str(temp),
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_WORKSPACE=str(workspace),
        GITHUB_HEAD_REF="claude/login",
        GITHUB_BASE_REF="main",
        GIT_TERMINAL_PROMPT="0",
    )
    defaults = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    runner = Runner(workspace, temp, action_path, env, {**defaults, **inputs}, event)
    runner.outputs["install"] = install_outputs
    return runner


def _after_install() -> list[dict[str, Any]]:
    return [step for step in ACTION["runs"]["steps"] if step.get("id") not in ("python", "install")]


def test_every_action_it_uses_is_pinned_to_a_commit() -> None:
    used = [step["uses"] for step in ACTION["runs"]["steps"] if "uses" in step]

    assert used
    assert all(re.fullmatch(r"[\w./-]+@[0-9a-f]{40}", ref) for ref in used), used


def test_install_step_installs_the_locked_package(installed: tuple[Path, dict[str, str]]) -> None:
    _, outputs = installed
    bin_dir = Path(outputs["bin"])

    version = subprocess.run(
        [str(bin_dir / "ai-review-bot"), "--version"], capture_output=True, text=True, check=True
    )
    frozen = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "freeze", "--all"],
        capture_output=True,
        text=True,
        check=True,
    )

    assert version.stdout.startswith("ai-review-bot ")
    locked = set(
        re.findall(
            r"^([A-Za-z0-9_.-]+==[^ ;\\]+)",
            (ROOT / "requirements" / "analyze.txt").read_text(),
            re.M,
        )
    )
    have = {line.strip() for line in frozen.stdout.splitlines() if "==" in line}
    normalise = lambda pin: re.sub(r"[-_.]+", "-", pin.lower())  # noqa: E731
    assert {normalise(p) for p in locked} <= {normalise(p) for p in have}


def test_pull_request_on_a_shallow_checkout_fails_on_high_with_sarif_and_summary(
    installed: tuple[Path, dict[str, str]], repo: Repo, tmp_path: Path
) -> None:
    event, workspace = _pull_request(repo, tmp_path)
    runner = _runner(installed, workspace, tmp_path, event, sarif="true")

    status = runner.run(_after_install())

    log = "\n".join(runner.log)
    assert status == 1, log
    assert runner.outputs["range"] == {
        "base": event["pull_request"]["base"]["sha"],
        "head": event["pull_request"]["head"]["sha"],
    }
    analyzed = runner.outputs["analyze"]
    assert analyzed["exit-code"] == "1"
    assert analyzed["risk-level"] in ("high", "critical")
    assert analyzed["ai-assisted"] == "true"
    assert "::error file=auth/login.py,line=5,title=ai-review-bot%3A sql-string::" in log
    assert "app/other.py" not in log  # main's own change is not the pull request's
    assert "Fails: the risk level is at or above --fail-on high." in log
    summary = (runner.temp / "step-summary.md").read_text()
    assert summary.startswith("<!-- ai-review -->\n## AI review: ")
    assert "on branch claude/login \\(from GITHUB\\_HEAD\\_REF\\)" in summary
    [upload] = runner.uploads
    assert upload["category"] == "ai-review-bot"
    sarif = json.loads(Path(upload["sarif_file"]).read_text())
    assert "sql-string" in {r["ruleId"] for r in sarif["runs"][0]["results"]}


def test_fail_on_left_empty_never_fails_and_nothing_is_uploaded(
    installed: tuple[Path, dict[str, str]], repo: Repo, tmp_path: Path
) -> None:
    event, workspace = _pull_request(repo, tmp_path)
    runner = _runner(installed, workspace, tmp_path, event, **{"fail-on": ""})

    status = runner.run(_after_install())

    assert status == 0, "\n".join(runner.log)
    assert runner.outputs["analyze"]["exit-code"] == "0"
    assert runner.uploads == []


def test_outside_a_pull_request_without_a_base_the_step_says_what_to_set(
    installed: tuple[Path, dict[str, str]], repo: Repo, tmp_path: Path
) -> None:
    _, workspace = _pull_request(repo, tmp_path)
    runner = _runner(installed, workspace, tmp_path, event={})

    status = runner.run(_after_install())

    assert status == 2
    assert runner.log[-1].strip() == (
        "::error title=ai-review-bot::no base to compare with: run on pull_request events, "
        "or set the base input"
    )


def test_base_further_ahead_than_the_first_fetch_is_deepened_until_they_meet(
    installed: tuple[Path, dict[str, str]], repo: Repo, tmp_path: Path
) -> None:
    event, workspace = _pull_request(repo, tmp_path, main_ahead=60)
    runner = _runner(installed, workspace, tmp_path, event, **{"fail-on": ""})

    status = runner.run(_after_install())

    assert status == 0, "\n".join(runner.log)
    summary = (runner.temp / "step-summary.md").read_text()
    assert r"\(2 commits\)" in summary


def test_base_named_by_a_branch_the_clone_lacks_says_to_fetch_it(
    installed: tuple[Path, dict[str, str]], repo: Repo, tmp_path: Path
) -> None:
    event, workspace = _pull_request(repo, tmp_path)
    runner = _runner(installed, workspace, tmp_path, event, base="release")

    status = runner.run(_after_install())

    assert status == 2
    assert runner.log[-1].strip() == (
        "::error title=ai-review-bot::the base commit is not in this clone: fetch it, or check "
        "out with fetch-depth: 0"
    )
