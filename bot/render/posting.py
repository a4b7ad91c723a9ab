"""What the bot posts for one head, whoever computed it: the App writes it to GitHub, `preview`
prints it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.policy import Conclusion, Decision
from bot.render.checkrun import CheckOutput


@dataclass(frozen=True, slots=True)
class Posting:
    """What the App writes for one head: the check run's conclusion and output, and the body
    of its one comment (None: no comment is posted or updated)."""

    check_name: str
    conclusion: Conclusion
    title: str  # whole, before the output's cut to GitHub's 255 characters
    output: CheckOutput
    comment: str | None
    decision: Decision | None = None  # None when the config is invalid
