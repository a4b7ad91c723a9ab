"""What people decided on one pull request, as the bot recorded it: the bot's own state.

Declarations, overrides, checklist ticks, whether the change was ever seen AI-assisted, which
comment is the bot's and which command comments were acted on, which labels the bot set and
which head its review requests were made at. The App keeps this in its store
(SQLite embedded, Redis scaled out), written only by the bot after it checked with GitHub who
asked. The comment on the pull request shows it and is never read back as truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from bot.engine.policy import Override

# Command comments remembered per pull request (each acted on once). Past this, the oldest are
# forgotten and any comment older than the oldest remembered is refused (comment ids grow).
MAX_COMMANDS_REMEMBERED = 2000


@dataclass(frozen=True, slots=True)
class Declaration:
    """`tool` set: declared AI-assisted; `tool` None: declared not AI-assisted (by a senior).

    `head_sha` is the head it was made at: a "not AI-assisted" declaration covers that head
    and ends with the next push that adds code."""

    by: str
    tool: str | None
    reason: str = ""
    head_sha: str = ""


@dataclass(frozen=True, slots=True)
class AISighting:
    """The first head at which the change was seen AI-assisted, and what showed it. Once seen,
    the pull request stays gated until a senior declares it is not AI-assisted."""

    head_sha: str
    tool: str
    detail: str


def _frozen(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class PullState:
    declaration: Declaration | None = None
    override: Override | None = None
    # item id -> login of the senior who ticked it, and the head it was ticked at
    ticks: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    ticked_at: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    ai_seen: AISighting | None = None
    comment_id: int | None = None
    commands_done: tuple[int, ...] = ()  # ascending
    # GitHub's time of the newest edit of the bot's comment acted on: an older one (a replayed
    # delivery) changes nothing.
    edited_until: str = ""
    # login -> replies the bot gave them here, for people without write access (bounded, so
    # a stranger's flood of commands cannot make the bot flood the pull request)
    outsider_replies: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    # Labels the bot put on the pull request and has not seen taken off: only these it may
    # remove, and none of them counts as evidence of AI use.
    labels_own: tuple[str, ...] = ()  # sorted
    # label -> the last head the bot saw it on the pull request while wanting it: a wanted
    # label missing at that same head was taken off by a person, and is not added again.
    labels_held: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    # The head whose review requests were made (at most once per head), and whom GitHub took
    # (`@org/team` or login).
    reviews_requested_at: str = ""
    reviews_requested: tuple[str, ...] = ()

    def tick(self, item: str, login: str, head_sha: str) -> PullState:
        return replace(
            self,
            ticks=_frozen({**self.ticks, item: login}),
            ticked_at=_frozen({**self.ticked_at, item: head_sha}),
        )

    def untick(self, *items: str) -> PullState:
        return replace(
            self,
            ticks=_frozen({k: v for k, v in self.ticks.items() if k not in items}),
            ticked_at=_frozen({k: v for k, v in self.ticked_at.items() if k not in items}),
        )

    def command_seen(self, comment_id: int) -> bool:
        """Whether a command comment was acted on, or is too old to be told apart from one."""
        if comment_id in self.commands_done:
            return True
        full = len(self.commands_done) >= MAX_COMMANDS_REMEMBERED
        return full and comment_id < self.commands_done[0]

    def with_command(self, comment_id: int) -> PullState:
        done = sorted({*self.commands_done, comment_id})[-MAX_COMMANDS_REMEMBERED:]
        return replace(self, commands_done=tuple(done))

    def replied_to_outsider(self, login: str) -> PullState:
        counts = {**self.outsider_replies, login.lower(): self.replies_to(login) + 1}
        return replace(self, outsider_replies=MappingProxyType(counts))

    def replies_to(self, login: str) -> int:
        return self.outsider_replies.get(login.lower(), 0)

    def to_json(self) -> dict[str, Any]:
        declaration = self.declaration
        override = self.override
        sighting = self.ai_seen
        return {
            "declaration": None
            if declaration is None
            else {
                "by": declaration.by,
                "tool": declaration.tool,
                "reason": declaration.reason,
                "head_sha": declaration.head_sha,
            },
            "override": None
            if override is None
            else {"by": override.by, "reason": override.reason, "head_sha": override.head_sha},
            "ticks": dict(sorted(self.ticks.items())),
            "ticked_at": dict(sorted(self.ticked_at.items())),
            "ai_seen": None
            if sighting is None
            else {"head_sha": sighting.head_sha, "tool": sighting.tool, "detail": sighting.detail},
            "comment_id": self.comment_id,
            "commands_done": list(self.commands_done),
            "edited_until": self.edited_until,
            "outsider_replies": dict(sorted(self.outsider_replies.items())),
            "labels_own": list(self.labels_own),
            "labels_held": dict(sorted(self.labels_held.items())),
            "reviews_requested_at": self.reviews_requested_at,
            "reviews_requested": list(self.reviews_requested),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> PullState:
        """The state as the store holds it; raises TypeError for anything malformed."""
        declaration = raw.get("declaration")
        override = raw.get("override")
        sighting = raw.get("ai_seen")
        comment_id = raw.get("comment_id")
        commands = raw.get("commands_done") or []
        if comment_id is not None and type(comment_id) is not int:
            raise TypeError("comment_id is not a number")
        if not isinstance(commands, list) or not all(type(c) is int for c in commands):
            raise TypeError("commands_done is not a list of numbers")
        own = raw.get("labels_own") or []
        asked = raw.get("reviews_requested") or []
        for name, listed in (("labels_own", own), ("reviews_requested", asked)):
            if not isinstance(listed, list) or not all(isinstance(text, str) for text in listed):
                raise TypeError(f"{name} is not a list of text")
        return cls(
            declaration=None
            if declaration is None
            else Declaration(
                _text(declaration, "by"),
                None if declaration.get("tool") is None else _text(declaration, "tool"),
                _text(declaration, "reason"),
                _text(declaration, "head_sha"),
            ),
            override=None
            if override is None
            else Override(
                _text(override, "by"), _text(override, "reason"), _text(override, "head_sha")
            ),
            ticks=_frozen(_strings(raw.get("ticks"))),
            ticked_at=_frozen(_strings(raw.get("ticked_at"))),
            ai_seen=None
            if sighting is None
            else AISighting(
                _text(sighting, "head_sha"), _text(sighting, "tool"), _text(sighting, "detail")
            ),
            comment_id=comment_id,
            commands_done=tuple(sorted(commands)),
            edited_until=_text(raw, "edited_until"),
            outsider_replies=MappingProxyType(_counts(raw.get("outsider_replies"))),
            labels_own=tuple(sorted(set(own))),
            labels_held=_frozen(_strings(raw.get("labels_held"))),
            reviews_requested_at=_text(raw, "reviews_requested_at"),
            reviews_requested=tuple(asked),
        )


def _text(raw: Any, key: str) -> str:
    if not isinstance(raw, Mapping) or not isinstance(raw.get(key, ""), str):
        raise TypeError(f"{key} is not text")
    return str(raw.get(key, ""))


def _counts(raw: Any) -> dict[str, int]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not all(
        isinstance(k, str) and type(v) is int for k, v in raw.items()
    ):
        raise TypeError("expected a mapping of text to numbers")
    return dict(raw)


def _strings(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise TypeError("expected a mapping of text to text")
    return dict(raw)
