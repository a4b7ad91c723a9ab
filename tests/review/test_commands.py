"""Parsing `/ai-review` commands and the table of who may run them."""

from __future__ import annotations

import pytest

from bot.review.commands import COMMANDS, Command, Role, help_text, may_run, parse_command


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/ai-review recheck", Command("recheck", "")),
        (
            "/AI-Review Override prod is down, see INC-42\nmore text",
            Command("override", "prod is down, see INC-42"),
        ),
        ("  /ai-review ai-assisted  Claude   Code", Command("ai-assisted", "Claude Code")),
        ("/ai-review", Command("help", "")),
        ("/ai-review frobnicate now", Command("frobnicate", "now")),
    ],
)
def test_first_line_commands_are_parsed(body: str, expected: Command) -> None:
    assert parse_command(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "> /ai-review override quoted",
        "    /ai-review override in a code block",
        "```\n/ai-review override fenced\n```",
        "Please run /ai-review recheck",
        "/ai-reviewer recheck",
        "thanks!\n/ai-review recheck",
    ],
)
def test_quotes_code_and_later_lines_are_not_commands(body: str) -> None:
    assert parse_command(body) is None


def test_admins_may_run_everything_and_others_only_their_commands() -> None:
    override = COMMANDS["override"]
    assert may_run(override, frozenset({Role.ANYONE, Role.ADMIN, Role.WRITE}))
    assert not may_run(override, frozenset({Role.ANYONE, Role.WRITE, Role.SENIOR}))
    assert may_run(COMMANDS["recheck"], frozenset({Role.ANYONE, Role.AUTHOR}))
    assert not may_run(COMMANDS["recheck"], frozenset({Role.ANYONE}))
    assert may_run(COMMANDS["explain"], frozenset({Role.ANYONE}))


def test_help_lists_every_command_with_who_may_use_it() -> None:
    text = help_text()

    for spec in COMMANDS.values():
        assert f"`{spec.usage}`" in text
    assert "repository admins" in text


def test_every_command_has_exactly_one_runner() -> None:
    from bot.app.command_runner import RUNNERS

    assert RUNNERS.keys() == COMMANDS.keys()
    assert len(set(RUNNERS.values())) == len(RUNNERS)
