"""One check run per head, whatever dies when: the App's bookkeeping around GitHub's checks.

The store remembers the check run made for each head. Before one is created the store says
`CREATING`, so a process that dies before writing the real id down makes the next one ask
GitHub instead of creating a second. A check marked in progress is noted as open until a review
completes it; the sweep (bot/app/runtime.py) queues a review for any left open.
"""

from __future__ import annotations

import time
from dataclasses import replace

from bot.engine.policy import Conclusion
from bot.github import questions, writer
from bot.github.client import GitHubClient
from bot.github.context import RepoRef
from bot.github.fetch import run as run_steps
from bot.queue.jobs import Job, JobKind
from bot.queue.store import CREATING, OpenCheck, Store
from bot.render.checkrun import CheckOutput


class CheckRuns:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def start(
        self, client: GitHubClient, repo: RepoRef, head_sha: str, name: str, job: Job
    ) -> None:
        """Mark the head's check in progress while `job` analyzes it."""
        check_id = await self._known(client, repo, head_sha, name)
        # Noted first: if this process dies or GitHub refuses the update that completes the
        # check, the sweep queues this review again.
        review = replace(job, kind=JobKind.ANALYZE, head_sha=head_sha, attempt=0)
        await self._store.note_open_check(OpenCheck(repo.full_name, head_sha, review, time.time()))
        check_id = await writer.start_check(client, repo, head_sha, name, check_id)
        await self._store.remember_check_run(repo.full_name, head_sha, check_id)

    async def finish(
        self,
        client: GitHubClient,
        repo: RepoRef,
        head_sha: str,
        name: str,
        conclusion: Conclusion,
        output: CheckOutput,
    ) -> None:
        """Complete the head's check run (creating it if no review started one)."""
        check_id = await self._known(client, repo, head_sha, name)
        if check_id is None:
            check_id = await writer.start_check(client, repo, head_sha, name, None)
            await self._store.remember_check_run(repo.full_name, head_sha, check_id)
        await writer.finish_check(client, repo, check_id, conclusion, output)
        await self._store.close_open_check(repo.full_name, head_sha)

    async def _known(
        self, client: GitHubClient, repo: RepoRef, head_sha: str, name: str
    ) -> int | None:
        """The head's check run, if one was made; None means the caller creates it."""
        known = await self._store.check_run(repo.full_name, head_sha)
        if known == CREATING:
            known = await run_steps(client, questions.check_run_id(repo, head_sha, name))
        if known is None:
            await self._store.remember_check_run(repo.full_name, head_sha, CREATING)
        return known
