"""The field's command-line tools, run on a change's files behind the engine's `ChangeTool`
protocol (bot/engine/tooling.py): zizmor for GitHub Actions, squawk for Postgres migrations,
hadolint for Dockerfiles, ruff for blocking calls in Python's async code.

This is the only package that starts tool processes; the App, `preview` and `analyze` pass
`default_tools()` to `pipeline.analyze`. Which files each reads and which findings are kept
is data: bot/data/tools.yml.
"""

from __future__ import annotations

from bot.engine.tooling import ChangeTool
from bot.tools.hadolint import Hadolint
from bot.tools.ruff import Ruff
from bot.tools.squawk import Squawk
from bot.tools.zizmor import Zizmor

__all__ = ["default_tools"]


def default_tools() -> tuple[ChangeTool, ...]:
    """Every tool the analysis runs, in the order their notes appear."""
    return (Zizmor(), Squawk(), Hadolint(), Ruff())
