"""Pull requests that share a commit: a check run belongs to the commit, so every open pull
request whose head it is has a say in it."""

from __future__ import annotations

from bot.github.client import GitHubClient
from bot.github.context import RepoRef

MAX_PULLS_PER_HEAD = 100


async def open_pulls_at_head(client: GitHubClient, repo: RepoRef, head_sha: str) -> list[int]:
    """Numbers of the open pull requests whose head is `head_sha` (GitHub's list of pull
    requests associated with a commit: those it heads, and merged ones that contain it)."""
    numbers: list[int] = []
    async for pull in client.getiter(f"/repos/{repo.full_name}/commits/{head_sha}/pulls"):
        if pull.get("state") == "open" and (pull.get("head") or {}).get("sha") == head_sha:
            numbers.append(int(pull["number"]))
        if len(numbers) >= MAX_PULLS_PER_HEAD:
            break
    return sorted(numbers)
