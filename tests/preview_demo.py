"""Print what README's "Tuning the checklists" shows: `preview` against the fake GitHub.

    .venv/bin/python -m tests.preview_demo

Builds a repository with an AI-assisted pull request (acme/widgets#1), serves it from the test
suite's fake GitHub on 127.0.0.1, and runs the real `ai-review-bot preview` commands against
it with an installation token as GITHUB_TOKEN. SHAs and the port differ on every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from bot.cli import main
from tests.appkit import LOGIN_WITH_SQL, REPO, SENIORS, configure, open_pull
from tests.conftest import CLAUDE, HUMAN, Repo
from tests.fakegithub.server import serve
from tests.fakegithub.state import FakeGitHub

STRICT = """\
approvals:
  seniors: ['@acme/architects']
  required: {low: 0, medium: 1, high: 2, critical: 2}
checklists:
  items:
    - checklist: security
      id: login-rate-limit
      text: Are failed logins rate limited per account and per address?
      when: {paths: ['auth/**']}
"""


@contextlib.contextmanager
def served(github: FakeGitHub) -> Iterator[None]:
    """Serve the fake from a background thread, so the CLI can run in this one."""
    loop = asyncio.new_event_loop()
    started, stop = threading.Event(), asyncio.Event()

    async def run() -> None:
        async with serve(github):
            started.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)


def command(*args: str) -> None:
    print(f"$ ai-review-bot {' '.join(args)}")
    sys.stdout.flush()
    code = main(list(args))
    sys.stderr.flush()
    print(f"(exit {code})\n")


def demo(workdir: Path) -> None:
    os.environ.update({"GIT_CONFIG_GLOBAL": str(workdir / "gitconfig"), "GIT_CONFIG_NOSYSTEM": "1"})
    (workdir / "gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    repo = Repo(workdir / "widgets")
    repo.path.mkdir()
    repo.git("init", "-q", "-b", "main")
    repo.git("config", "user.name", HUMAN[0])
    repo.git("config", "user.email", HUMAN[1])
    repo.commit("Initial commit", {"README.md": "# Widgets\n"})
    configure(repo, SENIORS)

    github = FakeGitHub()
    installation = github.install("acme")
    github.add_repo(REPO, repo)
    github.add_team_member("@acme/architects", "alice")
    number, _ = open_pull(github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,))
    github.add_review(REPO, number, "bob")
    (workdir / "strict.yml").write_text(STRICT, encoding="utf-8")

    with served(github):
        os.environ["GITHUB_API_URL"] = github.url
        os.environ["GITHUB_TOKEN"] = github.issue_token(installation.id).value
        os.chdir(workdir)
        command("preview", f"https://github.com/{REPO}/pull/{number}")
        command("preview", f"{REPO}#{number}", "--diff-config", "strict.yml")
        command("preview", f"{REPO}#{number}", "--diff-config", "strict.yml", "--format", "json")
        command("preview", f"{REPO}#99")
        del os.environ["GITHUB_TOKEN"]
        os.environ["PATH"] = str(workdir)  # no `gh` either
        command("preview", f"{REPO}#{number}")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        demo(Path(folder))
