"""Every write to GitHub: the check run on the head SHA, the one comment per pull request, the
answers to commands (a reply, a reaction), review requests, and labels.

A write that creates something is sent once and, when its answer is lost, looked for before it
is tried again (`create_once`), so no head gets two check runs and no pull request two comments.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from gidgethub import BadRequest, GitHubBroken

from bot.engine.policy import Conclusion
from bot.github import meaning, questions
from bot.github.client import GitHubClient, GitHubUnavailable, backoff
from bot.github.context import BotComment, RepoRef
from bot.github.fetch import run
from bot.render.checkrun import CheckOutput
from bot.render.posting import LabelSpec


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


CREATE_TRIES = 4
CreatedId = Callable[[], Awaitable[int]]
FoundId = Callable[[], Awaitable[int | None]]


async def create_once(client: GitHubClient, create: CreatedId, find: FoundId) -> int:
    """Create something on GitHub exactly once. The request is sent without GitHub's usual
    retries; when its answer is lost (a 5xx, no answer) GitHub may have done it anyway, so
    `find` looks for it before the next try."""
    for attempt in range(1, CREATE_TRIES + 1):
        try:
            with client.single_attempt():
                return await create()
        except (GitHubBroken, GitHubUnavailable):
            found = await find()
            if found is not None:
                return found
            if attempt == CREATE_TRIES:
                raise
            await asyncio.sleep(backoff(attempt))
    raise AssertionError("unreachable")  # pragma: no cover


ANALYZING = ("Analyzing the change", "The review is being computed.")


async def start_check(
    client: GitHubClient,
    repo: RepoRef,
    head_sha: str,
    name: str,
    check_id: int | None,
    shown: tuple[str, str] = ANALYZING,
) -> int:
    """Mark the check in progress on `head_sha`, creating it unless `check_id` already exists;
    `shown` is its title and summary meanwhile."""
    body: dict[str, Any] = {
        "status": "in_progress",
        "started_at": _now(),
        "output": {"title": shown[0], "summary": shown[1]},
    }
    if check_id is not None:
        await client.patch(f"/repos/{repo.full_name}/check-runs/{check_id}", data=body)
        return check_id

    async def create() -> int:
        created = await client.post(
            f"/repos/{repo.full_name}/check-runs",
            data={"name": name, "head_sha": head_sha, **body},
        )
        return int(created["id"])

    return await create_once(
        client, create, lambda: run(client, questions.check_run_id(repo, head_sha, name))
    )


async def finish_check(
    client: GitHubClient,
    repo: RepoRef,
    check_id: int,
    conclusion: Conclusion,
    output: CheckOutput,
) -> None:
    """Complete the check; annotations beyond GitHub's 50 per request go in further updates."""
    url = f"/repos/{repo.full_name}/check-runs/{check_id}"
    shown: dict[str, Any] = {"title": output.title, "summary": output.summary}
    if output.text:
        shown["text"] = output.text
    batches = output.batches()
    for batch in batches[1:]:
        # Each update appends its annotations; the conclusion goes in the last one.
        await client.patch(url, data={"output": {**shown, "annotations": batch}})
    await client.patch(
        url,
        data={
            "status": "completed",
            "conclusion": conclusion.value,
            "completed_at": _now(),
            "output": {**shown, "annotations": batches[0]},
        },
    )


async def upsert_comment(
    client: GitHubClient,
    repo: RepoRef,
    number: int,
    body: str,
    existing: BotComment | None,
    known_id: int | None,
    *,
    author: str,
    marker: str,
) -> int:
    """Create the bot's comment, or edit it in place, and return its id.

    `existing` is the comment as found on the pull request (an unchanged body costs no
    request); `known_id` the one the store recorded, edited even where the search did not
    find it (past the pages read, or with its marker edited away). Only when neither exists
    (or the recorded one was deleted) is a new comment posted, once: when the answer to the
    POST is lost, the first comment by `author` (the App's login) starting with `marker` is
    looked for.
    """
    if existing is not None:
        if existing.body != body:
            await client.patch(
                f"/repos/{repo.full_name}/issues/comments/{existing.id}", data={"body": body}
            )
        return existing.id
    if known_id is not None:
        try:
            await client.patch(
                f"/repos/{repo.full_name}/issues/comments/{known_id}", data={"body": body}
            )
        except BadRequest as exc:
            if exc.status_code != meaning.ABSENT:
                raise
        else:
            return known_id

    async def create() -> int:
        created = await client.post(
            f"/repos/{repo.full_name}/issues/{number}/comments", data={"body": body}
        )
        return int(created["id"])

    return await create_once(
        client, create, lambda: run(client, questions.comment_id(repo, number, author, marker))
    )


async def reply(client: GitHubClient, repo: RepoRef, number: int, text: str) -> None:
    """A comment on the pull request: the answer to a command."""
    await client.post(f"/repos/{repo.full_name}/issues/{number}/comments", data={"body": text})


async def react(client: GitHubClient, repo: RepoRef, comment_id: int, content: str) -> None:
    """A reaction (`+1`, `eyes`…) to a comment on the pull request: a command accepted."""
    await client.post(
        f"/repos/{repo.full_name}/issues/comments/{comment_id}/reactions",
        data={"content": content},
    )


def refused_by_github(exc: BadRequest) -> bool:
    """GitHub will not do this (422: not a collaborator, the author; 403 without the
    permission), as opposed to being busy (a secondary rate limit, retried by the job)."""
    if exc.status_code == meaning.UNPROCESSABLE:
        return True
    return exc.status_code == 403 and not meaning.is_secondary_limit(
        exc.status_code, str(exc), exc.headers
    )


async def request_reviews(
    client: GitHubClient,
    repo: RepoRef,
    number: int,
    users: Sequence[str],
    teams: Sequence[str],
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Request a review from `users` and `teams` (`@org/slug`, of the repository's org).
    Returns who was asked and, for each one GitHub refused, what it said. GitHub refuses the
    whole request for one reviewer it will not take, so after a refusal each is asked alone."""
    path = f"/repos/{repo.full_name}/pulls/{number}/requested_reviewers"
    slugs = {team: meaning.team_parts(team)[1] for team in teams}
    everyone = (*teams, *users)
    try:
        await client.post(
            path, data={"reviewers": list(users), "team_reviewers": list(slugs.values())}
        )
    except BadRequest as exc:
        if not refused_by_github(exc):
            raise
        if len(everyone) == 1:
            return (), ((everyone[0], meaning.message_line(str(exc))),)
    else:
        return everyone, ()
    asked: list[str] = []
    refused: list[tuple[str, str]] = []
    for ref, body in (
        *((team, {"team_reviewers": [slug]}) for team, slug in slugs.items()),
        *((user, {"reviewers": [user]}) for user in users),
    ):
        try:
            await client.post(path, data=body)
        except BadRequest as exc:
            if not refused_by_github(exc):
                raise
            refused.append((ref, meaning.message_line(str(exc))))
        else:
            asked.append(ref)
    return tuple(asked), tuple(refused)


async def create_label(client: GitHubClient, repo: RepoRef, spec: LabelSpec) -> None:
    """Create the repository's label; GitHub's 422 says it exists already: fine."""
    try:
        await client.post(
            f"/repos/{repo.full_name}/labels",
            data={"name": spec.name, "color": spec.color, "description": spec.description},
        )
    except BadRequest as exc:
        if exc.status_code != meaning.UNPROCESSABLE:
            raise


async def add_labels(
    client: GitHubClient, repo: RepoRef, number: int, names: Sequence[str]
) -> None:
    """Add labels to the pull request (its other labels stay)."""
    await client.post(
        f"/repos/{repo.full_name}/issues/{number}/labels", data={"labels": list(names)}
    )


async def remove_label(client: GitHubClient, repo: RepoRef, number: int, name: str) -> None:
    """Take a label off the pull request (already gone: nothing to do)."""
    try:
        await client.delete(
            f"/repos/{repo.full_name}/issues/{number}/labels/{quote(name, safe='')}"
        )
    except BadRequest as exc:
        if exc.status_code != meaning.ABSENT:
            raise
