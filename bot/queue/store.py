"""State the App keeps besides GitHub itself, behind a small interface.

GitHub is the source of truth for commits, reviews and permissions. The store holds what only
the bot knows: each pull request's state (declarations, overrides, ticks, whether it was ever
AI-assisted, its comment, the commands acted on), authoritative and never read back from what
the bot posted; the check run made for each head; analyses per head (so a review does not
re-read the diff); and the audit log. Deliveries seen live with the queue (`jobs.Queue`), which
records them and their jobs in one transaction.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from bot.engine.pull_state import PullState
from bot.engine.result import Analysis
from bot.queue.jobs import Job

DELIVERY_TTL_SECONDS = 8 * 24 * 3600  # GitHub redelivers for days; remember for over a week
MAX_SWEEPS = 5  # a check run that five reviews could not complete is given up on (logged)
# Recorded as a head's check run id just before it is created on GitHub: if the process dies
# before the real id is written down, the next one asks GitHub instead of creating another.
CREATING = 0


def pull_key(installation_id: str, owner: str, repo: str, number: int) -> str:
    """Whose state: one pull request of one repository, as one installation sees it."""
    return f"{installation_id}:{owner}/{repo}#{number}".lower()


class StoredStateError(Exception):
    """The store holds a pull request state the bot cannot read (a bug or tampering)."""


@dataclass(frozen=True, slots=True)
class OpenCheck:
    """A check run the App marked in progress and has not yet seen completed, with the review
    that completes it (queued again by the sweep when the process that started it died, or
    GitHub kept refusing the update)."""

    repo: str
    head_sha: str
    job: Job
    since: float
    sweeps: int = 0


class Store(Protocol):
    async def pull_state(self, key: str) -> PullState:
        """The pull request's recorded state; an empty one when nothing was recorded.
        Raises StoredStateError when what is stored cannot be read (never guessed)."""

    async def save_pull_state(self, key: str, state: PullState) -> None: ...

    async def check_run(self, repo: str, head_sha: str) -> int | None: ...

    async def note_open_check(self, check: OpenCheck) -> None:
        """Remember a check run marked in progress (a later note of the same head replaces)."""

    async def close_open_check(self, repo: str, head_sha: str) -> None:
        """The head's check run was completed."""

    async def stale_open_checks(self, before: float) -> list[OpenCheck]:
        """Open checks noted before `before`, each counted as swept once more; those swept
        MAX_SWEEPS times already are dropped (and logged) instead of returned."""

    async def remember_check_run(self, repo: str, head_sha: str, check_id: int) -> None: ...

    async def analysis(self, key: str) -> Analysis | None: ...

    async def remember_analysis(self, key: str, analysis: Analysis) -> None: ...

    async def audit(self, entry: dict[str, str]) -> None:
        """Record who overrode or declared what (operators read it back with `audit_log`)."""

    async def audit_log(self) -> list[dict[str, str]]: ...

    async def healthy(self) -> bool: ...


def decode_pull_state(key: str, text: str | bytes | None) -> PullState:
    """A stored state's JSON, checked; None or empty is the empty state."""
    if not text:
        return PullState()
    try:
        return PullState.from_json(json.loads(text))
    except (ValueError, TypeError, AttributeError) as exc:
        raise StoredStateError(f"the stored state of {key} cannot be read: {exc}") from None


def encode_pull_state(state: PullState) -> str:
    return json.dumps(state.to_json(), sort_keys=True, separators=(",", ":"))


class AnalysisCache:
    """Analyses per head, recomputable, kept in this process's memory (LRU)."""

    def __init__(self, max_entries: int = 1000) -> None:
        self._max = max_entries
        self._entries: OrderedDict[str, Analysis] = OrderedDict()

    def get(self, key: str) -> Analysis | None:
        return self._entries.get(key)

    def put(self, key: str, analysis: Analysis) -> None:
        self._entries[key] = analysis
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)


def encode_open_check(check: OpenCheck) -> str:
    return json.dumps(
        {"job": check.job.to_json(), "since": check.since, "sweeps": check.sweeps},
        sort_keys=True,
    )


def decode_open_check(repo: str, head_sha: str, text: str | bytes) -> OpenCheck:
    raw = json.loads(text)
    return OpenCheck(
        repo, head_sha, Job.from_json(raw["job"]), float(raw["since"]), int(raw["sweeps"])
    )
