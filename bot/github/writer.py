"""Writing results to GitHub: the check run on the head SHA and the one comment per PR."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gidgethub import BadRequest

from bot.engine.policy import Conclusion
from bot.github.client import GitHubClient
from bot.github.gather import BotComment, RepoRef
from bot.render.checkrun import CheckOutput


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
    created = await client.post(
        f"/repos/{repo.full_name}/check-runs", data={"name": name, "head_sha": head_sha, **body}
    )
    return int(created["id"])


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


async def upsert_comment(
    client: GitHubClient,
    repo: RepoRef,
    number: int,
    body: str,
    existing: BotComment | None,
    known_id: int | None = None,
) -> int:
    """Create the bot's comment, or edit it in place, and return its id.

    `existing` is the comment as found on the pull request (an unchanged body costs no
    request); `known_id` the one the store recorded, edited even where the search did not
    find it (past the pages read, or with its marker edited away). Only when neither exists
    (or the recorded one was deleted) is a new comment posted.
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
    created = await client.post(
        f"/repos/{repo.full_name}/issues/{number}/comments", data={"body": body}
    )
    return int(created["id"])
