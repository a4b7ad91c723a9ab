"""Whether a job that failed runs again: GitHub down or busy, or a token GitHub refused."""

from __future__ import annotations

from bot.github.client import GitHubUnavailable, token_refused, transient
from bot.queue.jobs import Job


class RetryLater(GitHubUnavailable):
    """GitHub is down or busy and the job has tries left: run it again later, post nothing."""


def retry_if_transient(job: Job, exc: BaseException | None) -> None:
    if not job.last_try and transient(exc):
        raise RetryLater(f"{type(exc).__name__}: {exc}") from exc


def retry_if_refused_or_transient(job: Job, exc: BaseException | None) -> None:
    """A refused token goes up to the runner, which fetches a new one and runs the job again
    (nothing could be written with this one, the failure included)."""
    if token_refused(exc):
        assert exc is not None
        raise exc
    retry_if_transient(job, exc)
