"""The App's driver: the gathering steps answered through the gidgethub client.

Only how a request is sent lives here; what is asked and what the answers mean is in
bot/github/gather.py, questions.py and meaning.py, shared with `preview`
(bot/github/pygithub_adapter.py). `run` answers any step; the functions below name the
pull request gather's steps the App runs on every review.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from gidgethub import BadRequest

from bot.engine.snapshot import ChangedFile, Commit, Snapshot
from bot.github import gather, meaning, questions
from bot.github.client import GitHubClient
from bot.github.context import PullRequestContext, RepoRef
from bot.github.steps import (
    DIFF_MEDIA_TYPE,
    Answer,
    DiffRequest,
    GraphQLQuery,
    ItemRequest,
    ListRequest,
    Request,
    Steps,
)

T = TypeVar("T")
PER_PAGE = 100


async def _answer(client: GitHubClient, request: Request) -> Answer:
    match request:
        case GraphQLQuery(query, variables):
            return await client.query(query, **variables)
        case DiffRequest(path):
            return await client.get_diff(path, DIFF_MEDIA_TYPE)
        case ListRequest(path, limit):
            items = []
            separator = "&" if "?" in path else "?"
            async for item in client.getiter(f"{path}{separator}per_page={PER_PAGE}"):
                items.append(item)
                if limit is not None and len(items) >= limit:
                    break
            return items
        case ItemRequest(path):
            try:
                found: dict[str, object] = await client.getitem(path)
            except BadRequest as exc:
                if exc.status_code == meaning.ABSENT:
                    return None
                raise
            return dict(found)


async def run(client: GitHubClient, steps: Steps[T]) -> T:
    """Drive a gathering step to its end, answering each request it yields."""
    answer: Answer = None
    while True:
        try:
            request = steps.send(answer)
        except StopIteration as done:
            result: T = done.value
            return result
        answer = await _answer(client, request)


async def fetch_pull_request(
    client: GitHubClient,
    repo: RepoRef,
    number: int,
    *,
    base_ref: str,
    bot_login: str,
    marker: str,
    comment_id: int | None = None,
) -> PullRequestContext:
    """Everything but the diff: PR, commits, reviews (with dismissals), our comment (the one
    with `comment_id` when it still exists), configs at the base branch."""
    return await run(
        client,
        gather.pull_request(
            repo,
            number,
            base_ref=base_ref,
            bot_login=bot_login,
            marker=marker,
            comment_id=comment_id,
        ),
    )


async def fetch_changes(
    client: GitHubClient, context: PullRequestContext, needs_text: Callable[[ChangedFile], bool]
) -> Snapshot:
    """The snapshot completed with the changed files and the texts the engine reads."""
    return await run(client, gather.changes(context, needs_text))


async def clean_update_merges(
    client: GitHubClient,
    repo: RepoRef,
    commits: Sequence[Commit],
    base_sha: str,
    since_sha: str | None,
) -> frozenset[str]:
    """The "Update branch" merges after `since_sha` proven to bring only the base's changes
    (questions.clean_update_merges says how)."""
    return await run(client, questions.clean_update_merges(repo, commits, base_sha, since_sha))


async def files_changed_since(
    client: GitHubClient, repo: RepoRef, since: Iterable[str], head: str
) -> dict[str, list[str] | None]:
    """Files changed from each older head to `head`; None for one GitHub cannot compare."""
    return await run(client, questions.files_changed_since(repo, since, head))
