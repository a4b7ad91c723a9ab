"""The pull request's state as the last line of the bot's comment, signed, for `preview`.

The App never reads this back: its store holds the truth (bot/engine/pull_state.py). The line
lets `ai-review-bot preview`, which has no access to the store, show the gate as the App sees
it. It is signed with a key derived from the App's private key and bound to the repository,
pull request and head it was written for, so a preview that has the key can tell the bot's own
line from a copy; only the comment's last line is read, and echoed text can never form one
(bot/render/escape.py keeps `<` out of everything echoed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, replace

from bot.engine.pull_state import PullState

_PREFIX = "<!-- ai-review-state v1 "
_LINE = re.compile(r"<!-- ai-review-state v1 (?P<payload>[A-Za-z0-9_-]+) (?P<mac>[0-9a-f]{64}) -->")
_KEY_CONTEXT = b"ai-review-bot comment state v1"


def state_key(private_key: str) -> bytes:
    """The signing key: derived from the App's private key, which every App process has."""
    return hmac.new(private_key.encode(), _KEY_CONTEXT, hashlib.sha256).digest()


def _bound_to(repo: str, number: int, head_sha: str) -> str:
    return f"{repo.lower()}#{number}@{head_sha}"


def _shown(state: PullState) -> PullState:
    """What the comment carries: the decisions, not the bookkeeping."""
    return replace(state, comment_id=None, commands_done=(), edited_until="", outsider_replies={})


def state_line(state: PullState, repo: str, number: int, head_sha: str, key: bytes) -> str:
    """The signed last line of the comment."""
    document = {"for": _bound_to(repo, number, head_sha), "state": _shown(state).to_json()}
    raw = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    payload = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    mac = hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
    return f"{_PREFIX}{payload} {mac} -->"


@dataclass(frozen=True, slots=True)
class ShownState:
    """The state a comment's last line carries. `verified`: None when no key was at hand to
    check the signature (the state is then only what the comment claims)."""

    state: PullState
    head_sha: str
    verified: bool | None
    line: str  # as it stands in the comment


def read_state_line(
    body: str | None, repo: str, number: int, key: bytes | None
) -> ShownState | None:
    """The state on the comment's last line, if that line is one for this pull request and,
    with a key, signed by the App; None otherwise."""
    lines = [line for line in (body or "").splitlines() if line.strip()]
    found = _LINE.fullmatch(lines[-1].strip()) if lines else None
    if found is None:
        return None
    payload = found.group("payload")
    verified = None
    if key is not None:
        expected = hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, found.group("mac")):
            return None
        verified = True
    try:
        document = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        bound, head_sha = str(document["for"]), str(document["for"]).rpartition("@")[2]
        state = PullState.from_json(document["state"])
    except (ValueError, TypeError, KeyError):
        return None
    if bound != _bound_to(repo, number, head_sha):
        return None
    return ShownState(state, head_sha, verified, lines[-1].strip())
