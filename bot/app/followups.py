"""What the App writes for a head besides its check run and comment: the review requests and
label changes the posting carries (bot/review/requests.py, labels.py decide them), each recorded
in the pull request's state, and what GitHub refused of them said in the check run's details.
Also whether the base branch requires the check (asked for the review room, bot/review/room.py,
whose composition words the setup warning), cached a while.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from gidgethub import BadRequest

from bot.engine.pull_state import PullState
from bot.github import meaning, questions, writer
from bot.github.client import GitHubClient
from bot.github.context import PullRequestContext, RepoRef
from bot.github.fetch import run as run_steps
from bot.github.meaning import CheckRequirement
from bot.render.checkrun import with_details
from bot.render.posting import LabelChanges, Posting
from bot.review import labels, requests, setup

log = logging.getLogger(__name__)

# What a branch requires changes rarely; a fix by an admin shows within this.
REQUIREMENT_TTL_SECONDS = 600.0


class Followups:
    def __init__(self, app_id: int) -> None:
        self._app_id = app_id
        self._labels_made: set[tuple[str, str]] = set()
        self._requirements: dict[tuple[str, str, str], tuple[CheckRequirement, float]] = {}

    async def requirement(
        self, client: GitHubClient, repo: RepoRef, branch: str, check_name: str
    ) -> CheckRequirement:
        """Whether `branch` requires the check from this App (asked at most every TTL)."""
        key = (repo.full_name.lower(), branch, check_name)
        cached = self._requirements.get(key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        try:
            found = await run_steps(
                client, questions.check_requirement(repo, branch, check_name, self._app_id)
            )
        except BadRequest as exc:
            # Not readable (no permission; a GitHub Enterprise Server without rulesets answers
            # 404): say nothing rather than guess.
            if not (writer.refused_by_github(exc) or exc.status_code == meaning.ABSENT):
                raise
            found = CheckRequirement(known=False)
        self._requirements[key] = (found, time.monotonic() + REQUIREMENT_TTL_SECONDS)
        return found

    async def setup_note(
        self, client: GitHubClient, context: PullRequestContext, check_name: str
    ) -> str | None:
        """The warning when the base branch does not require the check (what `/ai-review
        config` shows; a review puts it at the top of its check run's summary)."""
        base = context.snapshot.base_branch
        found = await self.requirement(client, context.repo, base, check_name)
        return setup.requirement_note(found, check_name, base)

    async def apply(
        self,
        client: GitHubClient,
        context: PullRequestContext,
        posting: Posting,
        state: PullState,
    ) -> tuple[Posting, PullState]:
        """Make the posting's review requests and label changes; the posting with what GitHub
        refused of them in its details, and the state that records them."""
        repo, head_sha = context.repo, context.snapshot.head_sha
        after: list[str] = []
        asked = posting.review_requests
        if asked:
            done, refused = await writer.request_reviews(
                client, repo, context.number, asked.users, asked.teams
            )
            state = requests.requested(state, head_sha, done)
            note = setup.refused_note(refused)
            after += [note] if note else []
            if refused:
                log.warning(
                    "GitHub refused review requests",
                    extra={"repo": repo.full_name, "pr": context.number, "refused": refused},
                )
        if posting.labels is not None:
            added, removed, not_set = await self._labels(client, context, posting.labels)
            state = labels.recorded(state, posting.labels, head_sha, added, removed)
            note = setup.labels_note(not_set)
            after += [note] if note else []
        output = with_details(posting.output, after)
        return replace(posting, output=output), state

    async def _labels(
        self, client: GitHubClient, context: PullRequestContext, changes: LabelChanges
    ) -> tuple[list[str], list[str], list[tuple[str, str]]]:
        """Remove and add labels; which were added, which removed, which GitHub refused."""
        repo, number = context.repo, context.number
        added: list[str] = []
        removed: list[str] = []
        refused: list[tuple[str, str]] = []
        # Removals first: if the add then fails, what was removed reads as taken off, which
        # is what it is; an add GitHub did whose answer was lost is retried (adding is idempotent).
        for name in changes.remove:
            try:
                await writer.remove_label(client, repo, number, name)
            except BadRequest as exc:
                if not writer.refused_by_github(exc):
                    raise
                refused.append((name, meaning.message_line(str(exc))))
            else:
                removed.append(name)
        if changes.add:
            names = [spec.name for spec in changes.add]
            try:
                for spec in changes.add:
                    key = (repo.full_name.lower(), spec.name.casefold())
                    if key not in self._labels_made:  # made, or found made, once per process
                        await writer.create_label(client, repo, spec)
                        self._labels_made.add(key)
                await writer.add_labels(client, repo, number, names)
            except BadRequest as exc:
                if not writer.refused_by_github(exc):
                    raise
                refused += [(name, meaning.message_line(str(exc))) for name in names]
            else:
                added += names
        if refused:
            log.warning(
                "GitHub refused label changes",
                extra={"repo": repo.full_name, "pr": number, "refused": refused},
            )
        return added, removed, refused
