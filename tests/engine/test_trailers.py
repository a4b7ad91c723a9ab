"""Trailers are read exactly as git reads a commit's trailers (`git log --format=%(trailers)`,
which is `git interpret-trailers --parse --no-divider`), plus the trailer lines above them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.engine.trailers import message_trailers, parse_trailers

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
    "markdown rule above the trailers": (
        "Fix\n\n## Summary\n---\n- thing\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n"
    ),
    "rule inside the last paragraph": "Fix\n\nbody\n---\nMade-with: Cursor\n",
    "comment lines": "Fix\n\n# comment\nAI-assisted: yes\n",
    "spaces before colon": "Fix\n\nAssisted-by : Gemini\n",
    "crlf": "Fix\r\n\r\nMade-with: Cursor\r\n",
}


def git_parse(message: str) -> list[tuple[str, str]]:
    done = subprocess.run(
        ["git", "interpret-trailers", "--parse", "--no-divider"],
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


def test_a_commit_trailer_below_a_rule_is_read_as_git_log_reads_it(tmp_path: Path) -> None:
    message = MESSAGES["markdown rule above the trailers"]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=A",
            "-c",
            "user.email=a@b.c",
            "commit",
            "-q",
            "--allow-empty",
            "--cleanup=verbatim",
            "-m",
            message,
        ],
        cwd=tmp_path,
        check=True,
    )
    logged = subprocess.run(
        ["git", "log", "-1", "--format=%(trailers:only,unfold)"],
        cwd=tmp_path,
        capture_output=True,
        check=True,
        text=True,
    ).stdout.strip()

    assert [str(t) for t in parse_trailers(message)] == [logged]
    assert logged == "Co-Authored-By: Claude <noreply@anthropic.com>"


def test_message_trailers_add_the_lines_above_the_last_paragraph() -> None:
    message = (
        "Fix: subject is not a trailer\n\n"
        "* Add x\n\nCo-authored-by: Copilot App <1+Copilot@users.noreply.github.com>\n\n"
        "Copilot-Session: 9cdeefb9\n"
    )

    assert [(t.key, t.value) for t in message_trailers(message)] == [
        ("Copilot-Session", "9cdeefb9"),
        ("Co-authored-by", "Copilot App <1+Copilot@users.noreply.github.com>"),
    ]


def test_message_trailers_read_a_folded_trailer_once() -> None:
    trailers = message_trailers(MESSAGES["folded value"])

    assert [t.value for t in trailers] == ["Claude Sonnet 4 via Claude Code", "A <a@b.c>"]
