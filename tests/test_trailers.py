"""Trailers are read exactly as `git interpret-trailers --parse` reads them."""

from __future__ import annotations

import subprocess

import pytest

from bot.engine.trailers import parse_trailers

MESSAGES = {
    "claude": "Add login\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n",
    "subject only": "Co-Authored-By: Claude <noreply@anthropic.com>\n",
    "case-insensitive key": (
        "Fix\n\nco-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>\n"
    ),
    "folded value": (
        "Fix\n\nAssisted-by: Claude Sonnet 4\n  via Claude Code\nSigned-off-by: A <a@b.c>\n"
    ),
    "not last paragraph": (
        "Fix\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n\nMore words here.\n"
    ),
    "mixed with git trailer": (
        "Fix\n\nSome prose line\nSigned-off-by: A <a@b.c>\nMade-with: Cursor\n"
    ),
    "mixed without git trailer": "Fix\n\nSome prose line\nanother prose line\nMade-with: Cursor\n",
    "too little trailer": "Fix\n\nprose\nprose\nprose\nprose\nSigned-off-by: A <a@b.c>\n",
    "patch divider": "Fix\n\nGenerated-by: Aider\n---\n a.py | 2 +-\n",
    "comment lines": "Fix\n\n# comment\nAI-assisted: yes\n",
    "spaces before colon": "Fix\n\nAssisted-by : Gemini\n",
    "crlf": "Fix\r\n\r\nMade-with: Cursor\r\n",
}


def git_parse(message: str) -> list[tuple[str, str]]:
    done = subprocess.run(
        ["git", "interpret-trailers", "--parse"],
        input=message.encode(),
        capture_output=True,
        check=True,
    )
    pairs = []
    for line in done.stdout.decode().splitlines():
        key, _, value = line.partition(":")
        pairs.append((key.strip(), value.strip()))
    return pairs


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_trailers_match_git_interpret_trailers(name: str) -> None:
    message = MESSAGES[name]

    ours = [(t.key, t.value) for t in parse_trailers(message)]

    assert ours == git_parse(message)


def test_folded_lines_join_into_one_value() -> None:
    (first, _) = parse_trailers(MESSAGES["folded value"])

    assert first.value == "Claude Sonnet 4 via Claude Code"
    assert first.normalized_key == "assisted-by"
