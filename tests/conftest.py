"""Shared fixtures: real git repositories built in temporary folders."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import main

CLAUDE = "Co-Authored-By: Claude <noreply@anthropic.com>"
HUMAN = ("Dana Developer", "dana@example.com")


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No user or system git config leaks into a test (signing, hooks, default branch)."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    (tmp_path / "gitconfig").write_text("[init]\n\tdefaultBranch = main\n")


@pytest.fixture(autouse=True)
def _quick_job_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Waiting out GitHub trouble takes milliseconds in tests, not minutes: a job's waits
    between tries, and the backoff between one request's retries (Retry-After still counts)."""
    monkeypatch.setattr("bot.app.runtime.RETRY_SECONDS", (0.01,) * 5)
    monkeypatch.setattr("bot.github.client.BASE_DELAY", 0.002)


@dataclass
class Repo:
    path: Path

    def git(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=self.path,
            capture_output=True,
            check=True,
            env={**os.environ, **(env or {})},
        )
        return done.stdout.decode("utf-8", "replace").strip()

    def write(self, files: Mapping[str, str | bytes]) -> None:
        for name, content in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")

    def commit(
        self,
        message: str = "Change things",
        files: Mapping[str, str | bytes] | None = None,
        *,
        delete: tuple[str, ...] = (),
        rename: Mapping[str, str] | None = None,
        trailers: tuple[str, ...] = (),
        author: tuple[str, str] = HUMAN,
        committer: tuple[str, str] | None = None,
        allow_empty: bool = False,
    ) -> str:
        """Commit the changes; trailers form the message's last paragraph, as git writes them."""
        for old, new in (rename or {}).items():
            (self.path / new).parent.mkdir(parents=True, exist_ok=True)
            self.git("mv", old, new)
        for name in delete:
            self.git("rm", "-q", name)
        self.write(files or {})
        self.git("add", "-A")
        full = message + ("\n\n" + "\n".join(trailers) if trailers else "")
        committer = committer or author
        env = {
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_COMMITTER_NAME": committer[0],
            "GIT_COMMITTER_EMAIL": committer[1],
        }
        args = ["commit", "-q", "--no-verify", "-m", full]
        if allow_empty:
            args.append("--allow-empty")
        self.git(*args, env=env)
        return self.sha("HEAD")

    def branch(self, name: str) -> None:
        self.git("checkout", "-q", "-b", name)

    def checkout(self, name: str) -> None:
        self.git("checkout", "-q", name)

    def merge(self, branch: str, message: str = "Merge") -> str:
        self.git("merge", "-q", "--no-ff", "--no-edit", "-m", message, branch)
        return self.sha("HEAD")

    def sha(self, ref: str) -> str:
        return self.git("rev-parse", ref)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """An empty repository on `main` with one initial commit."""
    path = tmp_path / "repo"
    path.mkdir()
    built = Repo(path)
    built.git("init", "-q", "-b", "main")
    built.git("config", "user.name", HUMAN[0])
    built.git("config", "user.email", HUMAN[1])
    built.commit("Initial commit", {"README.md": "# Demo\n"})
    return built


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> dict[str, object]:
        parsed: dict[str, object] = json.loads(self.out)
        return parsed


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run the real command line in-process and capture what a user would see."""

    def run(*args: str) -> CliResult:
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
