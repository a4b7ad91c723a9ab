"""Gathering one pull request from GitHub into the engine's Snapshot, in few requests.

Requests per pull request do not grow with its size where GitHub allows:
1. one GraphQL query: the PR, its first 100 commits (with line counts), the latest 100 reviews,
   the first 100 comments (to find ours), the repo config and checklists at the BASE branch,
   and the org-wide config from the org's `.github` repository;
2. the whole diff in one request (GitHub serves it up to 300 files), or the paginated file list
   (100 per page, GitHub's cap 3,000 files) when the diff is too large;
3. the base and head text of the files the engine reads, as aliased GraphQL `object` fields,
   many per query.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.adapters.diff import parse_diff, parse_file_patch, to_changed_file
from bot.config import CHECKLISTS_DIR, CONFIG_PATH
from bot.engine.policy import Review, ReviewState
from bot.engine.snapshot import ChangedFile, Commit, FileStatus, Person, Snapshot, Truncation
from bot.github.client import GitHubClient

MAX_COMMITS = 250  # GitHub lists at most 250 commits of a pull request
MAX_FILES = 3000  # and at most 3,000 files
TEXTS_PER_QUERY = 300
MAX_TEXT_BYTES = 1024 * 1024
DIFF_MEDIA_TYPE = "application/vnd.github.diff"

_COMMIT_FIELDS = """
  totalCount
  pageInfo { hasNextPage endCursor }
  nodes {
    commit {
      oid message additions deletions
      parents(first: 2) { totalCount nodes { oid } }
      author { name email user { login } }
      committer { name email user { login } }
      signature { isValid signer { login } }
    }
  }
"""

PULL_REQUEST_QUERY = (
    """
query PullRequest($owner: String!, $name: String!, $number: Int!, $config: String!,
                  $checklists: String!, $orgConfig: String!) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      number title body headRefName baseRefName headRefOid baseRefOid changedFiles
      author { login }
      labels(first: 100) { nodes { name } }
      commits(first: 100) {"""
    + _COMMIT_FIELDS
    + """}
      reviews(last: 100) {
        nodes { databaseId author { login } state commit { oid } }
      }
      comments(first: 100) {
        nodes { databaseId body author { login } }
      }
    }
    config: object(expression: $config) { ... on Blob { text } }
    checklists: object(expression: $checklists) {
      ... on Tree { entries { name type object { ... on Blob { text } } } }
    }
  }
  org: repository(owner: $owner, name: ".github") {
    config: object(expression: $orgConfig) { ... on Blob { text } }
  }
}
"""
)

COMMITS_PAGE_QUERY = (
    """
query Commits($owner: String!, $name: String!, $number: Int!, $after: String!) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      commits(first: 100, after: $after) {"""
    + _COMMIT_FIELDS
    + """}
    }
  }
}
"""
)


@dataclass(frozen=True, slots=True)
class RepoRef:
    owner: str
    name: str
    installation_id: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True, slots=True)
class BotComment:
    id: int
    body: str


@dataclass(frozen=True, slots=True)
class PullRequestContext:
    """Everything gathered for one pull request at one head."""

    repo: RepoRef
    number: int
    snapshot: Snapshot
    reviews: tuple[Review, ...]
    config_text: str | None
    org_config_text: str | None
    checklist_texts: tuple[tuple[str, str], ...]
    bot_comment: BotComment | None


def _person(raw: dict[str, Any] | None) -> Person:
    raw = raw or {}
    user = raw.get("user") or {}
    return Person(raw.get("name") or "", raw.get("email") or "", user.get("login"))


def _commit(node: dict[str, Any]) -> Commit:
    raw = node["commit"]
    signature = raw.get("signature") or {}
    signer = (signature.get("signer") or {}).get("login")
    return Commit(
        sha=raw["oid"],
        message=raw.get("message") or "",
        author=_person(raw.get("author")),
        committer=_person(raw.get("committer")),
        parents=tuple(p["oid"] for p in (raw.get("parents") or {}).get("nodes") or []),
        additions=int(raw.get("additions") or 0),
        deletions=int(raw.get("deletions") or 0),
        made_by_github=bool(signature.get("isValid")) and signer == "web-flow",
    )


def _reviews(raw: dict[str, Any]) -> tuple[Review, ...]:
    reviews = []
    for node in raw.get("nodes") or []:
        author = (node.get("author") or {}).get("login")
        state = node.get("state")
        if not author or state not in ReviewState.__members__:
            continue
        reviews.append(Review(author, ReviewState(state), (node.get("commit") or {}).get("oid")))
    return tuple(reviews)


def _bot_comment(raw: dict[str, Any], bot_login: str, marker: str) -> BotComment | None:
    for node in raw.get("nodes") or []:
        login = (node.get("author") or {}).get("login") or ""
        body = node.get("body") or ""
        # GraphQL names an App's account without the "[bot]" suffix REST uses.
        if login.removesuffix("[bot]") == bot_login.removesuffix("[bot]") and body.startswith(
            marker
        ):
            return BotComment(int(node["databaseId"]), body)
    return None


def _checklists(raw: dict[str, Any] | None) -> tuple[tuple[str, str], ...]:
    entries = (raw or {}).get("entries") or []
    found = []
    for entry in entries:
        text = (entry.get("object") or {}).get("text")
        if entry.get("type") == "blob" and entry["name"].endswith(".yml") and text is not None:
            found.append((f"{CHECKLISTS_DIR}/{entry['name']}", text))
    return tuple(sorted(found))


async def _all_commits(
    client: GitHubClient, repo: RepoRef, number: int, first: dict[str, Any]
) -> tuple[tuple[Commit, ...], int]:
    nodes = list(first.get("nodes") or [])
    page = first
    while page["pageInfo"]["hasNextPage"] and len(nodes) < MAX_COMMITS:
        data = await client.query(
            COMMITS_PAGE_QUERY,
            owner=repo.owner,
            name=repo.name,
            number=number,
            after=page["pageInfo"]["endCursor"],
        )
        page = data["repository"]["pullRequest"]["commits"]
        nodes.extend(page.get("nodes") or [])
    return tuple(_commit(node) for node in nodes[:MAX_COMMITS]), int(first.get("totalCount") or 0)


_STATUS = {
    "added": FileStatus.ADDED,
    "removed": FileStatus.REMOVED,
    "modified": FileStatus.MODIFIED,
    "changed": FileStatus.MODIFIED,
    "renamed": FileStatus.RENAMED,
    "copied": FileStatus.COPIED,
}


async def _changed_files(client: GitHubClient, repo: RepoRef, number: int) -> list[ChangedFile]:
    url = f"/repos/{repo.full_name}/pulls/{number}"
    diff = await client.get_diff(url, DIFF_MEDIA_TYPE)
    if diff is None:
        # Too large for one diff (over 300 files): GitHub's paginated list, 3,000 files at most.
        files = []
        async for item in client.getiter(f"{url}/files?per_page=100"):
            if item.get("status") == "unchanged":
                continue
            files.append(
                parse_file_patch(
                    item["filename"],
                    item.get("patch"),
                    _STATUS.get(item.get("status", ""), FileStatus.MODIFIED),
                    item.get("previous_filename"),
                )
            )
            if len(files) >= MAX_FILES:
                break
        return files
    return [to_changed_file(patched) for patched in parse_diff(diff)]


def _expression_alias(index: int) -> str:
    return f"f{index}"


async def read_texts(
    client: GitHubClient, repo: RepoRef, wanted: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """Texts of (rev, path) pairs through aliased `object(expression:)` fields, in batches."""
    texts: dict[tuple[str, str], str] = {}
    for start in range(0, len(wanted), TEXTS_PER_QUERY):
        batch = wanted[start : start + TEXTS_PER_QUERY]
        fields = "\n".join(
            f"    {_expression_alias(i)}: object(expression: {json.dumps(f'{rev}:{path}')}) "
            "{ ... on Blob { text byteSize isBinary isTruncated } }"
            for i, (rev, path) in enumerate(batch)
        )
        query = (
            "query Texts($owner: String!, $name: String!) {\n"
            f"  repository(owner: $owner, name: $name) {{\n{fields}\n  }}\n}}"
        )
        data = await client.query(query, owner=repo.owner, name=repo.name)
        found = data.get("repository") or {}
        for i, key in enumerate(batch):
            blob = found.get(_expression_alias(i)) or {}
            # GitHub truncates large blobs: half a file would be analyzed as if it were whole.
            if (
                blob.get("text") is not None
                and not blob.get("isBinary")
                and not blob.get("isTruncated")
            ):
                texts[key] = blob["text"]
    return texts


async def fetch_pull_request(
    client: GitHubClient, repo: RepoRef, number: int, *, base_ref: str, bot_login: str, marker: str
) -> PullRequestContext:
    """Everything but the diff: PR, commits, reviews, our comment, configs at the base branch."""
    data = await client.query(
        PULL_REQUEST_QUERY,
        owner=repo.owner,
        name=repo.name,
        number=number,
        config=f"{base_ref}:{CONFIG_PATH}",
        checklists=f"{base_ref}:{CHECKLISTS_DIR}",
        orgConfig=f"HEAD:{CONFIG_PATH}",
    )
    repository = data.get("repository") or {}
    pull = repository.get("pullRequest")
    if pull is None:
        raise LookupError(f"{repo.full_name}#{number} was not found")
    commits, commits_total = await _all_commits(client, repo, number, pull["commits"])
    snapshot = Snapshot(
        base_sha=pull["baseRefOid"],
        head_sha=pull["headRefOid"],
        title=pull.get("title") or "",
        body=pull.get("body") or "",
        labels=tuple(n["name"] for n in (pull.get("labels") or {}).get("nodes") or []),
        author=(pull.get("author") or {}).get("login"),
        head_branch=pull.get("headRefName") or "",
        base_branch=pull.get("baseRefName") or base_ref,
        commits=commits,
        truncation=Truncation(
            commits_total=commits_total or None, files_total=pull.get("changedFiles")
        ),
    )
    org = (data.get("org") or {}).get("config") or {}
    return PullRequestContext(
        repo=repo,
        number=number,
        snapshot=snapshot,
        reviews=_reviews(pull.get("reviews") or {}),
        config_text=(repository.get("config") or {}).get("text"),
        org_config_text=org.get("text"),
        checklist_texts=_checklists(repository.get("checklists")),
        bot_comment=_bot_comment(pull.get("comments") or {}, bot_login, marker),
    )


async def fetch_changes(
    client: GitHubClient, context: PullRequestContext, needs_text: Callable[[ChangedFile], bool]
) -> Snapshot:
    """The snapshot completed with the changed files and the texts the engine reads."""
    snapshot = context.snapshot
    files = await _changed_files(client, context.repo, context.number)
    wanted = [f for f in files if needs_text(f)]
    head, base = snapshot.head_sha, snapshot.base_sha
    keys = [(head, f.path) for f in wanted if f.status is not FileStatus.REMOVED]
    keys += [(base, p) for f in wanted if (p := f.base_path) is not None]
    texts = await read_texts(client, context.repo, keys)
    return replace(
        snapshot,
        files=tuple(files),
        head_texts={path: text for (rev, path), text in texts.items() if rev == head},
        base_texts={path: text for (rev, path), text in texts.items() if rev == base},
    )
