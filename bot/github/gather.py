"""Gathering one pull request from GitHub into the engine's Snapshot, in few requests.

Requests per pull request do not grow with its size where GitHub allows:
1. one GraphQL query: the PR, its first 100 commits (with line counts), the latest 100 reviews,
   the first 100 comments (to find ours), the repo config and checklists at the BASE branch,
   and the org-wide config from the org's `.github` repository;
2. the whole diff in one request (GitHub serves it up to 300 files), or the paginated file list
   (100 per page, GitHub's cap 3,000 files) when the diff is too large;
3. the base and head text of the files the engine reads, as aliased GraphQL `object` fields,
   many per query.

This module is sans-I/O: each gathering step is a generator that yields the requests it needs
(`GraphQLQuery`, `DiffRequest`, `FilesRequest`, `ItemRequest`) and is sent their answers, so
the App (gidgethub, async: bot/github/fetch.py) and `preview` (PyGithub, sync:
bot/github/pygithub_adapter.py) run the very same queries and mappings and differ only in how
they send a request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from bot.adapters.diff import parse_diff, parse_file_patch, to_changed_file
from bot.config import CHECKLISTS_DIR, CONFIG_PATH
from bot.engine.policy import Review, ReviewState
from bot.engine.snapshot import ChangedFile, Commit, FileStatus, Person, Snapshot, Truncation

MAX_COMMITS = 250  # GitHub lists at most 250 commits of a pull request
MAX_FILES = 3000  # and at most 3,000 files
TEXTS_PER_QUERY = 300
MAX_TEXT_BYTES = 1024 * 1024
DIFF_MEDIA_TYPE = "application/vnd.github.diff"

T = TypeVar("T")

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
        nodes { databaseId body author { __typename login } }
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
class GraphQLQuery:
    """Answer: the response's `data`; parts GitHub reports NOT_FOUND come back as null."""

    query: str
    variables: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class DiffRequest:
    """Answer: the REST resource at `path` as a diff, or None when GitHub says it is too
    large (406)."""

    path: str


@dataclass(frozen=True, slots=True)
class FilesRequest:
    """Answer: the raw items of a pull request's paginated file list, at most `limit`."""

    path: str
    limit: int


@dataclass(frozen=True, slots=True)
class ItemRequest:
    """Answer: the REST object at `path`, or None when GitHub answers 404."""

    path: str


Request = GraphQLQuery | DiffRequest | FilesRequest | ItemRequest
Answer = dict[str, Any] | list[dict[str, Any]] | str | None
# A gathering step: yields requests, is sent each one's answer, returns what it gathered.
Steps = Generator[Request, Answer, T]


class AnswerTypeError(TypeError):
    """An adapter answered a request with the wrong kind of value (a bug in the adapter)."""


def _graphql(query: str, **variables: Any) -> Steps[dict[str, Any]]:
    answer = yield GraphQLQuery(query, variables)
    if not isinstance(answer, dict):
        raise AnswerTypeError(f"a GraphQL query was answered with {type(answer).__name__}")
    return answer


def _diff(path: str) -> Steps[str | None]:
    answer = yield DiffRequest(path)
    if answer is not None and not isinstance(answer, str):
        raise AnswerTypeError(f"a diff was answered with {type(answer).__name__}")
    return answer


def _files(path: str, limit: int) -> Steps[list[dict[str, Any]]]:
    answer = yield FilesRequest(path, limit)
    if not isinstance(answer, list):
        raise AnswerTypeError(f"a file list was answered with {type(answer).__name__}")
    return answer


def _item(path: str) -> Steps[dict[str, Any] | None]:
    answer = yield ItemRequest(path)
    if answer is not None and not isinstance(answer, dict):
        raise AnswerTypeError(f"a REST object was answered with {type(answer).__name__}")
    return answer


@dataclass(frozen=True, slots=True)
class RepoRef:
    owner: str
    name: str
    installation_id: str = ""

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
        signed_by=signer if signature.get("isValid") and signer else None,
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


def _is_ours(author: dict[str, Any], bot_login: str | None) -> bool:
    """The App's own account; with no login known, any App (GraphQL type Bot)."""
    if bot_login is None:
        return author.get("__typename") == "Bot"
    # GraphQL names an App's account without the "[bot]" suffix REST uses.
    login = author.get("login") or ""
    return bool(login.removesuffix("[bot]") == bot_login.removesuffix("[bot]"))


def _bot_comment(raw: dict[str, Any], bot_login: str | None, marker: str) -> BotComment | None:
    for node in raw.get("nodes") or []:
        body = node.get("body") or ""
        if _is_ours(node.get("author") or {}, bot_login) and body.startswith(marker):
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


def _all_commits(
    repo: RepoRef, number: int, first: dict[str, Any]
) -> Steps[tuple[tuple[Commit, ...], int]]:
    nodes = list(first.get("nodes") or [])
    page = first
    while page["pageInfo"]["hasNextPage"] and len(nodes) < MAX_COMMITS:
        data = yield from _graphql(
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


def _changed_files(repo: RepoRef, number: int) -> Steps[list[ChangedFile]]:
    url = f"/repos/{repo.full_name}/pulls/{number}"
    diff = yield from _diff(url)
    if diff is not None:
        return [to_changed_file(patched) for patched in parse_diff(diff)]
    # Too large for one diff (over 300 files): GitHub's paginated list, 3,000 files at most.
    items = yield from _files(f"{url}/files", MAX_FILES)
    return [
        parse_file_patch(
            item["filename"],
            item.get("patch"),
            _STATUS.get(item.get("status", ""), FileStatus.MODIFIED),
            item.get("previous_filename"),
        )
        for item in items
        if item.get("status") != "unchanged"
    ]


def _expression_alias(index: int) -> str:
    return f"f{index}"


def read_texts(
    repo: RepoRef, wanted: Sequence[tuple[str, str]]
) -> Steps[dict[tuple[str, str], str]]:
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
        data = yield from _graphql(query, owner=repo.owner, name=repo.name)
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


def pull_request(
    repo: RepoRef, number: int, *, base_ref: str, bot_login: str | None, marker: str
) -> Steps[PullRequestContext]:
    """Everything but the diff: PR, commits, reviews, our comment, configs at the base branch.

    Our comment is the first that starts with `marker` written by `bot_login` (None: by any
    App). Raises LookupError when the pull request does not exist.
    """
    data = yield from _graphql(
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
    commits, commits_total = yield from _all_commits(repo, number, pull["commits"])
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


def text_keys(
    files: Iterable[ChangedFile], needs_text: Callable[[ChangedFile], bool], head: str, base: str
) -> list[tuple[str, str]]:
    """The (rev, path) texts the engine reads: each wanted file at head, and where it was at
    base."""
    wanted = [f for f in files if needs_text(f)]
    keys = [(head, f.path) for f in wanted if f.status is not FileStatus.REMOVED]
    keys += [(base, p) for f in wanted if (p := f.base_path) is not None]
    return keys


def with_texts(snapshot: Snapshot, texts: Mapping[tuple[str, str], str]) -> Snapshot:
    """The snapshot with texts keyed (rev, path) split into its head and base texts."""
    head, base = snapshot.head_sha, snapshot.base_sha
    return replace(
        snapshot,
        head_texts={path: text for (rev, path), text in texts.items() if rev == head},
        base_texts={path: text for (rev, path), text in texts.items() if rev == base},
    )


def changes(
    context: PullRequestContext, needs_text: Callable[[ChangedFile], bool]
) -> Steps[Snapshot]:
    """The snapshot completed with the changed files and the texts the engine reads."""
    snapshot = context.snapshot
    files = yield from _changed_files(context.repo, context.number)
    keys = text_keys(files, needs_text, snapshot.head_sha, snapshot.base_sha)
    texts = yield from read_texts(context.repo, keys)
    return with_texts(replace(snapshot, files=tuple(files)), texts)


def files_changed_since(
    repo: RepoRef, since: Iterable[str], head: str
) -> Steps[dict[str, list[str] | None]]:
    """For each older head, the files changed from it to `head`; None when GitHub cannot say
    (a force-push left it out of the history)."""
    changed: dict[str, list[str] | None] = {}
    for sha in since:
        answer = yield from _item(f"/repos/{repo.full_name}/compare/{sha}...{head}")
        changed[sha] = (
            None if answer is None else [str(f["filename"]) for f in answer.get("files") or []]
        )
    return changed
