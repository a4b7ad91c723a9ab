"""A mistake in a config file, where it is, and the words that say it.

Every message the config layer reports is a ConfigIssue; a file that cannot be used raises one
ConfigError listing them all, each with its line, column and key path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One mistake in a config file. `line` and `column` are 1-based; `path` is the key path
    (`risk.weights.ai_share`, `approvals.seniors[1]`), "" for the document as a whole."""

    line: int | None
    column: int | None
    path: str
    message: str

    def __str__(self) -> str:
        parts: list[str] = []
        if self.line is not None:
            column = f":{self.column}" if self.column is not None else ""
            parts.append(f"{self.line}{column}")
        if self.path:
            parts.append(self.path)
        parts.append(self.message)
        return ": ".join(parts)


def issue_order(issue: ConfigIssue) -> tuple[bool, int, int]:
    return (issue.line is None, issue.line or 0, issue.column or 0)


class ConfigError(Exception):
    """A config file that cannot be used, with every issue found in it, sorted by line."""

    source: str
    issues: tuple[ConfigIssue, ...]

    def __init__(self, source: str, issues: Iterable[ConfigIssue]) -> None:
        self.source = source
        self.issues = tuple(sorted(issues, key=issue_order))
        super().__init__(self.render())

    def __reduce__(self) -> tuple[type[ConfigError], tuple[str, tuple[ConfigIssue, ...]]]:
        # Rebuilt from its fields, not from the rendered text, when it crosses processes.
        return (ConfigError, (self.source, self.issues))

    def render(self) -> str:
        """One line per issue: `<source>:<line>:<col>: <path>: <message>`."""
        return "\n".join(
            f"{self.source}:{issue}" if issue.line is not None else f"{self.source}: {issue}"
            for issue in self.issues
        )


def format_path(path: KeyPath) -> str:
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif re.fullmatch(r"[A-Za-z0-9_-]+", step):
            text += f".{step}" if text else step
        else:
            text += f"[{quote(step)}]"
    return text


_STEP = re.compile(r"\[(\d+)\]|\.?([A-Za-z0-9_-]+)")


def parse_path(text: str) -> KeyPath | None:
    """The key path `format_path` wrote as `text`; None for one it quoted (not read back)."""
    path: list[str | int] = []
    position = 0
    while position < len(text):
        step = _STEP.match(text, position)
        if step is None:
            return None
        path.append(int(step.group(1)) if step.group(1) is not None else step.group(2))
        position = step.end()
    return tuple(path)


def quote(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


# A tuple rather than a dataclass: one is made per value in the file.
class Position(NamedTuple):
    line: int  # 1-based
    column: int  # 1-based


def refuse(source: str, message: str, position: Position | None = None) -> ConfigError:
    """A file refused as a whole: one issue about the document."""
    line, column = (position.line, position.column) if position else (None, None)
    return ConfigError(source, (ConfigIssue(line, column, "", message),))


_KINDS: tuple[tuple[type, str], ...] = (
    (bool, "true or false"),
    (int, "a number"),
    (float, "a number"),
    (str, "a string"),
    (list, "a list"),
    (dict, "a mapping"),
)


def describe_value(value: object) -> str:
    """A value's kind, as a maintainer would name it."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    return next((name for kind, name in _KINDS if isinstance(value, kind)), type(value).__name__)
