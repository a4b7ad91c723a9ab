"""The setup warning: said when no rule makes the base branch require the check (so the gate
blocks nothing), in the check run's summary and at the top of the config command's reply."""

from __future__ import annotations

from dataclasses import replace

from bot.engine.pull_state import PullState
from bot.engine.snapshot import Snapshot
from bot.github.context import PullRequestContext, RepoRef
from bot.github.meaning import CheckRequirement
from bot.review import room, setup
from bot.review.commands import describe_config
from tests.review import test_room as room_test


def test_the_setup_warning_says_what_to_require_and_nothing_when_it_is_required() -> None:
    unrequired = setup.requirement_note(CheckRequirement(), "ai-review", "main")
    other_app = setup.requirement_note(CheckRequirement(other_app=True), "ai-review", "main")

    assert unrequired is not None
    assert unrequired.startswith("**Setup:** `ai-review` is not a required check on `main`")
    assert other_app is not None
    assert "from another App" in other_app
    assert setup.requirement_note(CheckRequirement(by_ruleset=True), "ai-review", "main") is None
    assert setup.requirement_note(CheckRequirement(known=False), "ai-review", "main") is None


def test_the_config_command_leads_with_the_setup_warning() -> None:
    snapshot = Snapshot(base_sha="b" * 40, head_sha="c" * 40, base_branch="main")
    context = PullRequestContext(RepoRef("acme", "widgets"), 1, snapshot, (), None, None, (), None)
    note = setup.requirement_note(CheckRequirement(), "ai-review", "main")

    assert describe_config(context, note).startswith(f"> {note}\n\nEffective review config")
    assert describe_config(context).startswith("Effective review config")


def test_the_room_asks_whether_the_base_requires_the_check_and_the_summary_says_it() -> None:
    ctx = room_test.context()
    ctx = replace(ctx, snapshot=replace(ctx.snapshot, base_branch="main"))

    def summary(answer: CheckRequirement | None) -> str:
        answers = {**room_test.answers(), room.RequiredCheck: lambda _: answer}
        reviewed, asked = room_test.drive(ctx, PullState(), answers)
        assert room.RequiredCheck("main", "ai-review") in asked
        return reviewed.posting.output.summary

    assert summary(CheckRequirement()).startswith("> **Setup:** `ai-review` is not a required")
    assert "**Setup:**" not in summary(CheckRequirement(by_protection=True))
    assert "**Setup:**" not in summary(None)  # the asker cannot tell (preview without a way)
