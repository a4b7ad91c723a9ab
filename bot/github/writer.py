"""Writing results to GitHub: the check run on the head SHA and the one comment per PR."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from gidgethub import BadRequest, GitHubBroken

from bot.engine.policy import Conclusion
from bot.github.client import GitHubClient, GitHubUnavailable, backoff
from bot.github.context import BotComment, RepoRef
from bot.render.checkrun import CheckOutput


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


async def existing_check_run(
    client: GitHubClient, repo: RepoRef, head_sha: str, name: str
) -> int | None:
    """The newest check run named `name` on `head_sha` (only this App can create it there)."""
    found = await client.getitem(
        f"/repos/{repo.full_name}/commits/{head_sha}/check-runs{{?check_name,filter,per_page}}",
        {"check_name": name, "filter": "latest", "per_page": "1"},
    )
    runs = found.get("check_runs") or []
    return int(runs[0]["id"]) if runs else None


async def start_check(
    client: GitHubClient, repo: RepoRef, head_sha: str, name: str, check_id: int | None
) -> int:
    """Mark the check in progress on `head_sha`, creating it unless `check_id` already exists."""
    body: dict[str, Any] = {
        "status": "in_progress",
        "started_at": _now(),
        "output": {"title": "Analyzing the change", "summary": "The review is being computed."},
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
        client, create, lambda: existing_check_run(client, repo, head_sha, name)
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
    batches = output.batches()
    for batch in batches[1:]:
        # Each update appends its annotations; the conclusion goes in the last one.
        await client.patch(
            url,
            data={
                "output": {"title": output.title, "summary": output.summary, "annotations": batch}
            },
        )
    await client.patch(
        url,
        data={
            "status": "completed",
            "conclusion": conclusion.value,
            "completed_at": _now(),
            "output": {
                "title": output.title,
                "summary": output.summary,
                "annotations": batches[0],
            },
        },
    )


async def find_comment(
    client: GitHubClient, repo: RepoRef, number: int, bot_login: str, marker: str
) -> int | None:
    """The App's comment on the pull request, looked for in all of its comments: the first by
    `bot_login` that starts with `marker`."""
    async for comment in client.getiter(
        f"/repos/{repo.full_name}/issues/{number}/comments?per_page=100"
    ):
        author = (comment.get("user") or {}).get("login") or ""
        if author == bot_login and str(comment.get("body") or "").startswith(marker):
            return int(comment["id"])
    return None


async def upsert_comment(
    client: GitHubClient,
    repo: RepoRef,
    number: int,
    body: str,
    existing: BotComment | None,
    known_id: int | None = None,
    find: FoundId | None = None,
) -> int:
    """Create the bot's comment, or edit it in place, and return its id.

    `existing` is the comment as found on the pull request (an unchanged body costs no
    request); `known_id` the one the store recorded, edited even where the search did not
    find it (past the pages read, or with its marker edited away). Only when neither exists
    (or the recorded one was deleted) is a new comment posted, once: `find` looks for it when
    the answer to the POST is lost.
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
            if exc.status_code != 404:
                raise
        else:
            return known_id

    async def create() -> int:
        created = await client.post(
            f"/repos/{repo.full_name}/issues/{number}/comments", data={"body": body}
        )
        return int(created["id"])

    async def nothing() -> None:
        return None

    return await create_once(client, create, find or nothing)
