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
    # item id -> the head SHA it was ticked at (a later push may untick it)
    ticked_at: dict[str, str] = field(default_factory=dict)

    def tick(self, item: str, login: str, head_sha: str) -> CommentState:
        return replace(
            self,
            ticks={**self.ticks, item: login},
            ticked_at={**self.ticked_at, item: head_sha},
        )

    def untick(self, *items: str) -> CommentState:
        return replace(
            self,
            ticks={k: v for k, v in self.ticks.items() if k not in items},
            ticked_at={k: v for k, v in self.ticked_at.items() if k not in items},
        )

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
    return CommentState(
        declaration=_declaration(raw.get("declaration")),
        override=_override(raw.get("override")),
        ticks=_strings(raw.get("ticks")),
        ticked_at=_strings(raw.get("ticked_at")),
    )


def _strings(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)}
