"""What people decided on a pull request, carried in the bot's own comment.

Declarations, overrides and checklist ticks live in a hidden marker of the comment, so GitHub
itself stays the source of truth: the state survives restarts and moves with the pull request.
Nothing here is trusted for identity: who did what was checked against GitHub before it was
written, and the marker is only ever written by the bot (edits by others are reverted).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from bot.engine.policy import Override

_ESCAPED_DASHES = "-\\u002d"
_MARKER = re.compile(r"<!-- ai-review-state (?P<json>\{.*?\}) -->", re.S)


@dataclass(frozen=True, slots=True)
class Declaration:
    """`tool` set: declared AI-assisted; `tool` None: declared not AI-assisted (by a senior)."""

    by: str
    tool: str | None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CommentState:
    declaration: Declaration | None = None
    override: Override | None = None
    # item id -> login of the senior who ticked it
    ticks: dict[str, str] = field(default_factory=dict)

    def with_ticks(self, ticks: dict[str, str]) -> CommentState:
        return replace(self, ticks=dict(ticks))

    def to_marker(self) -> str:
        data = json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))
        # "--" cannot appear inside an HTML comment; a \u escape keeps the JSON equal.
        safe = data.replace("--", _ESCAPED_DASHES)
        return f"<!-- ai-review-state {safe} -->"


def _declaration(raw: Any) -> Declaration | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("by"), str):
        return None
    tool = raw.get("tool")
    return Declaration(
        raw["by"], tool if isinstance(tool, str) else None, str(raw.get("reason", ""))
    )


def _override(raw: Any) -> Override | None:
    if not isinstance(raw, dict):
        return None
    by, reason, head_sha = raw.get("by"), raw.get("reason"), raw.get("head_sha")
    if isinstance(by, str) and isinstance(reason, str) and isinstance(head_sha, str):
        return Override(by, reason, head_sha)
    return None


def read_state(body: str | None) -> CommentState:
    """The state in a comment the bot wrote; an absent or damaged marker reads as empty."""
    found = _MARKER.search(body or "")
    if found is None:
        return CommentState()
    try:
        raw = json.loads(found.group("json"))
    except ValueError:
        return CommentState()
    if not isinstance(raw, dict):
        return CommentState()
    ticks = raw.get("ticks")
    return CommentState(
        declaration=_declaration(raw.get("declaration")),
        override=_override(raw.get("override")),
        ticks={k: v for k, v in ticks.items() if isinstance(k, str) and isinstance(v, str)}
        if isinstance(ticks, dict)
        else {},
    )
