"""pytest fixtures for the fake GitHub.

Load them for the whole suite with `pytest_plugins = ["tests.fakegithub.fixtures"]` in
tests/conftest.py (or import the fixture functions into a test module).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import Repo
from tests.fakegithub.models import RepoState
from tests.fakegithub.server import serve
from tests.fakegithub.state import FakeGitHub

OWNER = "acme"
REPO_NAME = "widgets"


@pytest.fixture(name="fake_github")
async def fake_github_fixture() -> AsyncIterator[FakeGitHub]:
    """A fake GitHub serving on 127.0.0.1 for one test; nothing installed yet.

    The test fails if the fake itself crashed while serving (a broken scenario), or if the bot
    sent, or the fake answered, what GitHub's published descriptions do not allow.
    """
    github = FakeGitHub()
    async with serve(github):
        yield github
    if github.server_errors:
        pytest.fail("the fake GitHub crashed:\n" + "\n".join(github.server_errors))
    if github.spec_checks.violations:
        pytest.fail(
            "not as GitHub describes it (docs/conformance.md):\n"
            + "\n".join(github.spec_checks.violations)
        )


@pytest.fixture(name="github_repo")
def github_repo_fixture(fake_github: FakeGitHub, repo: Repo) -> RepoState:
    """The `repo` fixture's git repository served as acme/widgets, with the App installed and,
    as the README's setup has it, `ai-review` a required check on main (branch protection)."""
    fake_github.install(OWNER)
    served = fake_github.add_repo(f"{OWNER}/{REPO_NAME}", repo)
    fake_github.require_check(served.full_name, "ai-review")
    return served
