"""A fake GitHub for the test suite: GitHub's HTTP API over real git repositories.

Start one with the `fake_github` fixture (tests/fakegithub/fixtures.py), describe the scenario
with its helpers, point the bot's GITHUB_API_URL at `fake_github.url`, and assert on its state
or its request log. Webhook payloads for the same scenario come from `webhooks`.
"""

from tests.fakegithub.server import create_app, serve
from tests.fakegithub.state import FakeGitHub

__all__ = ["FakeGitHub", "create_app", "serve"]
