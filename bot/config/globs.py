"""Path globs as maintainers write them in config and checklist files.

Semantics follow .gitignore and CODEOWNERS, which maintainers already know:
- `*` matches within one path segment, `?` one character, `[abc]` a class;
- `**` matches any number of segments (`auth/**`, `**/payments/**`);
- a pattern without a `/` matches at any depth (`Dockerfile`, `*.tf`);
- a pattern ending in `/` matches everything below that folder (`migrations/` at any depth,
  `db/migrations/` only there).

A path is matched exactly as git names it: `*` and `**` match every character but `/`, a
newline, a tab or a quote included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


class GlobError(ValueError):
    """A glob pattern that cannot be understood."""


def _translate_segment(segment: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = segment.find("]", i + 2 if segment[i + 1 : i + 2] in ("!", "^") else i + 1)
            if end == -1:
                raise GlobError(f"unclosed '[' in {segment!r}")
            body = segment[i + 1 : end]
            if body.startswith(("!", "^")):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\").replace("[", "\\[") + "]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


@lru_cache(maxsize=2048)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """Compile one glob into an anchored regex over '/'-separated relative paths."""
    if not pattern or pattern.strip() != pattern:
        raise GlobError("a glob must be a non-empty path pattern without surrounding spaces")
    glob = pattern.lstrip("/") if pattern.startswith("/") else pattern
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
    if glob.endswith("/"):
        glob += "**"
    if not anchored:
        glob = "**/" + glob
    parts = glob.split("/")
    regex: list[str] = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            regex.append(".*" if last else "(?:[^/]+/)*")
        else:
            regex.append(_translate_segment(part) + ("" if last else "/"))
    return re.compile("".join(regex) + r"\Z", re.DOTALL)


@lru_cache(maxsize=1024)
def _compile_any(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a whole glob list: a path is matched once, not once per glob."""
    if not patterns:
        return re.compile(r"(?!)")
    return re.compile("|".join(f"(?:{compile_glob(p).pattern})" for p in patterns), re.DOTALL)


def match(path: str, pattern: str) -> bool:
    return compile_glob(pattern).match(path) is not None


def match_any(path: str, patterns: Iterable[str]) -> bool:
    return _compile_any(tuple(patterns)).match(path) is not None


def first_match(path: str, patterns: Iterable[str]) -> str | None:
    """The first pattern that matches `path`, to say why a path was flagged."""
    for pattern in patterns:
        if compile_glob(pattern).match(path) is not None:
            return pattern
    return None
