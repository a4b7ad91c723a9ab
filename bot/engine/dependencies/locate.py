"""Line numbers of dependencies whose parser could not tell them (JSON, TOML, XML documents)."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate


@dataclass(frozen=True, slots=True)
class Find:
    """Where a dependency's line is, when its parser could not tell: the first match of `token`
    (NAME standing for the escaped `literal`) after the first match of `anchor`, else anywhere.

    Kept unescaped until needed: a lockfile has thousands of entries and few change.
    """

    token: str
    literal: str
    anchor: str | None = None

    def token_pattern(self) -> re.Pattern[str]:
        return re.compile(self.token.replace("NAME", re.escape(self.literal)), re.MULTILINE)


class LineIndex:
    """Line numbers of offsets in one text, built on first use."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts: list[int] | None = None

    def locate(self, line: int | None, find: Find | None) -> int | None:
        """`line` when the parser knew it, else the line `find` points at (None if nowhere)."""
        if line is not None or find is None:
            return line
        start = 0
        if find.anchor is not None:
            anchor_match = re.search(find.anchor, self._text, re.MULTILINE)
            start = anchor_match.end() if anchor_match else 0
        token_re = find.token_pattern()
        found = token_re.search(self._text, start) or (
            token_re.search(self._text) if start else None
        )
        return self._number(found.start()) if found else None

    def _number(self, offset: int) -> int:
        if self._starts is None:
            self._starts = [0, *accumulate(map(len, self._text.splitlines(keepends=True)))]
        return bisect_right(self._starts, offset)


def key_find(anchor: str | None, key: str) -> Find:
    """Find a `key = ...` line or a `[section.key]` header (TOML) after `anchor`."""
    return Find(
        r"^[ \t]*[\"']?NAME[\"']?[ \t]*=|^[ \t]*\[[^\]\n]*\.[\"']?NAME[\"']?[ \t]*\]", key, anchor
    )


def toml_header(*parts: str) -> str:
    """A pattern for the TOML table header `[part.part...]`, quoted keys and spacing allowed."""
    dotted = r"[ \t]*\.[ \t]*".join(rf"[\"']?{re.escape(part)}[\"']?" for part in parts)
    return rf"^[ \t]*\[[ \t]*{dotted}[ \t]*\]"


def json_find(section: str, name: str) -> Find:
    """Find the key `name` after the key `section` of a JSON document."""
    return Find(r"\"NAME\"\s*:", name, rf"\"{re.escape(section)}\"\s*:")
