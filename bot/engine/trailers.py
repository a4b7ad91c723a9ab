"""Commit message trailers, read the way git reads a commit's trailers.

`parse_trailers` is `git log --format=%(trailers)`, which is `git interpret-trailers --parse
--no-divider`:
- Only the last paragraph counts, and never the first (the subject) paragraph.
- A `---` line is text like any other: git stops there only when it reads a patch e-mail, not a
  commit (agents' messages use `---` as a Markdown rule above their trailers).
- `#` comment lines are ignored.
- A paragraph is a trailer block when all its lines are trailers, or when at least a quarter are
  and one of them is a trailer git itself writes (`Signed-off-by`, `(cherry picked from commit`).
- Keys are compared case-insensitively; a line starting with whitespace continues (folds into)
  the trailer above it.

`message_trailers` adds every other trailer-shaped line of the body: a squash merge lists each
commit's trailers in the middle, Copilot's CLI puts its `Copilot-Session:` paragraph after the
co-authors, and Claude Code's `Claude-Plan:` trailer is followed by the plan's text, so git's
block misses lines that still say who wrote the change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TRAILER = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$")
_GIT_GENERATED = ("signed-off-by", "(cherry picked from commit ")


@dataclass(frozen=True, slots=True)
class Trailer:
    key: str  # as written
    value: str  # folded continuation lines joined by single spaces

    @property
    def normalized_key(self) -> str:
        return self.key.lower()

    def __str__(self) -> str:
        return f"{self.key}: {self.value}"


def _body_lines(message: str) -> list[str]:
    lines: list[str] = []
    for line in message.replace("\r\n", "\n").split("\n"):
        if line.startswith("#"):
            continue
        lines.append(line.rstrip())
    return lines


def _paragraphs(lines: list[str]) -> list[list[str]]:
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return [p for p in paragraphs if p]


def parse_trailers(message: str) -> tuple[Trailer, ...]:
    """The trailers of a commit message; empty when its last paragraph is not a trailer block."""
    paragraphs = _paragraphs(_body_lines(message))
    if len(paragraphs) < 2:
        return ()
    block = paragraphs[-1]
    trailers: list[Trailer] = []
    trailer_lines = 0
    other_lines = 0
    has_git_generated = False
    for line in block:
        if line[0] in " \t" and trailers:
            last = trailers[-1]
            trailers[-1] = Trailer(last.key, f"{last.value} {line.strip()}".strip())
            continue
        found = _TRAILER.match(line)
        if found is None:
            other_lines += 1
            if line.lower().startswith(_GIT_GENERATED[1]):
                has_git_generated = True
            continue
        trailer_lines += 1
        key, value = found.group(1), found.group(2).strip()
        if key.lower() == _GIT_GENERATED[0]:
            has_git_generated = True
        trailers.append(Trailer(key, value))
    if trailer_lines == 0:
        return ()
    if other_lines and not (has_git_generated and trailer_lines * 3 >= other_lines):
        return ()
    return tuple(trailers)


def message_trailers(message: str) -> tuple[Trailer, ...]:
    """The trailers git reads, then every other `Key: value` line after the subject line."""
    found = parse_trailers(message)
    paragraphs = _paragraphs(_body_lines(message))
    in_block = set(paragraphs[-1]) if found else set()
    extra: list[Trailer] = []
    for line in _body_lines(message)[1:]:
        matched = _TRAILER.match(line.strip())
        if matched is not None and line not in in_block:
            extra.append(Trailer(matched.group(1), matched.group(2).strip()))
    return found + tuple(extra)
