"""The merge queue's check: a merge group's `ai-review` check run on the group's commit.

GitHub's merge queue builds a merge group and asks for the required checks on its commit
(`merge_group.checks_requested`). The pull requests the group holds come from GitHub's merge
queue itself (GraphQL `mergeQueue(branch:).entries`), never from commit messages. Each one is
decided again by the App's own gate, from its base branch's config, the App's store and GitHub,
at the head that was queued, without touching its own check run; the verdict is pure
(bot/review/merge_group.py). Whatever goes wrong, the check fails closed: the queue then takes
the group out rather than merging what nobody checked.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace

from gidgethub import BadRequest

from bot.app.retries import retry_if_refused_or_transient
from bot.app.service import ReviewService
from bot.github import meaning, questions
from bot.github.client import GitHubClient
from bot.github.context import RepoRef
from bot.github.fetch import run as run_steps
from bot.queue.jobs import Job, JobKind
from bot.render.posting import Posting
from bot.review import merge_group

log = logging.getLogger(__name__)


class MergeQueue:
    def __init__(self, service: ReviewService) -> None:
        self._service = service

    async def run(self, job: Job) -> None:
        """Post the check of the merge group `job.head_sha` into `job.base_ref`."""
        client = await self._service.client_for(job.installation_id)
        repo = RepoRef(job.owner, job.repo, job.installation_id)
        try:
            posting = await self._decide(client, repo, job)
        except Exception as exc:  # the group's check must say something went wrong
            retry_if_refused_or_transient(job, exc)
            error_id = uuid.uuid4().hex[:12]
            log.exception(
                "merge group check failed",
                extra={"error_id": error_id, "repo": repo.full_name, "head_sha": job.head_sha},
            )
            posting = merge_group.undecided(error_id)
        try:
            await self._service.checks.finish(
                client, repo, job.head_sha, posting.check_name, posting.conclusion, posting.output
            )
        except BadRequest as exc:
            if exc.status_code != meaning.UNPROCESSABLE:
                raise
            # GitHub knows no such commit: the group is gone, and nothing waits for its check.
            log.warning(
                "the merge group's commit is not on GitHub; nothing to check",
                extra={"repo": repo.full_name, "head_sha": job.head_sha, "error": str(exc)},
            )
            return
        log.info(
            "merge group checked",
            extra={
                "repo": repo.full_name,
                "head_sha": job.head_sha,
                "conclusion": posting.conclusion.value,
                "title": posting.title,
            },
        )

    async def _decide(self, client: GitHubClient, repo: RepoRef, job: Job) -> Posting:
        group = await run_steps(client, questions.merge_group(repo, job.base_ref, job.head_sha))
        if not group:
            return merge_group.not_in_queue(job.base_ref, job.head_sha)
        decided: dict[int, merge_group.Decided] = {}
        for queued in group:
            pull_job = replace(
                job,
                kind=JobKind.GATE,
                number=queued.number,
                base_ref=job.base_ref,
                head_sha=queued.head_sha,
            )
            context = await self._service.context(client, repo, pull_job)
            if context.snapshot.head_sha != queued.head_sha:
                decided[queued.number] = merge_group.Moved(
                    queued.head_sha, context.snapshot.head_sha
                )
                continue
            decided[queued.number] = await self._service.posting_of(
                client, pull_job, context, progress=False
            )
        return merge_group.group_posting(job.base_ref, group, decided)
