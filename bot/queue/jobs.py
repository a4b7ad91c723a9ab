"""Jobs: what a webhook asks the bot to do, small enough to store and queue; and the Queue
they wait in, whichever backend holds it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Protocol

JOB_TRIES = 6
# A config check's job `args` when someone re-ran the check: it is posted again.
RERUN = "rerun"
RETRY_SECONDS = (2.0, 10.0, 30.0, 120.0, 300.0)  # waits between tries: about 8 minutes


class JobKind(StrEnum):
    # Analyze the head again: a push, an edit, a label, a re-run.
    ANALYZE = "analyze"
    # Only the gate may have changed (a review): reuse the head's analysis when it is known.
    GATE = "gate"
    # A `/ai-review` command from a comment: never merged with another job.
    COMMAND = "command"
    # Someone edited the bot's comment (ticked or unticked checklist items).
    TICKS = "ticks"
    # The installation changed (suspended, deleted, new permissions): drop its cached token.
    INSTALLATION = "installation"
    # A merge queue asks for the check of a merge group (`head_sha`) into `base_ref`.
    MERGE_GROUP = "merge_group"
    # A push to a pull request that may change the review config: validate the config its head
    # proposes and try it on other open pull requests (`args` RERUN: post again).
    CONFIG_CHANGE = "config_change"

    def merge(self, other: JobKind) -> JobKind:
        """Two coalesced reviews of one PR need the stronger of the two."""
        return JobKind.ANALYZE if JobKind.ANALYZE in (self, other) else JobKind.GATE


@dataclass(frozen=True, slots=True)
class Job:
    kind: JobKind
    installation_id: str
    owner: str
    repo: str
    number: int
    base_ref: str
    head_sha: str
    delivery_id: str
    # Commands and tick edits only: what was asked (or the comment before the edit), in which
    # comment, by whom.
    command: str = ""
    args: str = ""
    comment_id: int = 0
    sender: str = ""
    # Tries of this job so far: GitHub being down makes a job wait and run again, up to
    # JOB_TRIES times, before its check run says it failed.
    attempt: int = 0

    @property
    def last_try(self) -> bool:
        return self.attempt >= JOB_TRIES - 1

    @property
    def pr_key(self) -> str:
        """Jobs with one key never run at the same time, and a newer one replaces a queued one."""
        return f"{self.owner}/{self.repo}#{self.number}".lower()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Job:
        return cls(**{**raw, "kind": JobKind(raw["kind"]), "number": int(raw["number"])})

    @property
    def is_review(self) -> bool:
        """Reviews of one PR coalesce in the queue; commands and tick edits never do."""
        return self.kind in (JobKind.ANALYZE, JobKind.GATE)


class Queue(Protocol):
    """Where accepted deliveries wait: embedded (SQLite, in-process workers) or Redis."""

    async def accept(self, delivery_id: str, jobs: Sequence[Job]) -> bool:
        """Record the delivery and queue its jobs atomically; False when seen before."""

    async def depth(self) -> int:
        """Jobs queued or running."""

    async def oldest_age(self) -> float:
        """Seconds the oldest waiting job has waited (0 when none waits)."""

    async def healthy(self) -> bool: ...

    @property
    def is_draining(self) -> bool: ...

    def draining(self) -> None:
        """Take no new work; readiness answers 503 from now on."""

    def start(self) -> None: ...

    async def stop(self, deadline: float = 25.0) -> None: ...

    async def join(self) -> None:
        """Wait until nothing is queued or running (tests, benchmarks)."""
