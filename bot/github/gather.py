"""Gathering one pull request from GitHub into the engine's Snapshot, in few requests.

Requests per pull request do not grow with its size where GitHub allows:
1. one GraphQL query: the PR, its first 100 commits (with line counts and signers), the latest
   100 reviews, the first 100 review dismissals, the first 100 comments (to find ours), the
   repo config, checklists and CODEOWNERS at the BASE branch (`refs/heads/<base>`, which no tag
   can shadow; never the head's, which the author writes), and the org-wide config from the
   org's `.github` repository; then, only for long pull requests, further pages of each list,
   up to a cap (past it the context says what the bot could not see, and the gate fails
   closed);
2. the whole diff in one request (GitHub serves it up to 300 files), or the paginated file list
   (100 per page, GitHub's cap 3,000 files) when the diff is too large;
3. the base and head text of the files the engine reads, as aliased GraphQL `object` fields,
   many per query.

This module is sans-I/O: each gathering step is a generator that yields the requests it needs
(bot/github/steps.py) and is sent their answers, so the App (gidgethub, async:
bot/github/fetch.py) and `preview` (PyGithub, sync: bot/github/pygithub_adapter.py) run the very
same queries and mappings and differ only in how they send a request. What the nodes mean is in
bot/github/context.py; the questions asked after this gather, in bot/github/questions.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from bot.config import CHECKLISTS_DIR, CONFIG_PATH
from bot.config.codeowners import CODEOWNERS_PATHS
from bot.engine.diff import parse_diff, parse_file_patch, to_changed_file
from bot.engine.snapshot import ChangedFile, Commit, FileStatus, Snapshot, Truncation
from bot.github import steps
from bot.github.context import (
    BotComment,
    PullRequestContext,
    RepoRef,
    checklist_texts,
    codeowners_file,
    commit_of,
    dismissal_of,
    is_ours,
    review_of,
)
from bot.github.steps import Steps

MAX_COMMITS = 250  # GitHub lists at most 250 commits of a pull request
MAX_FILES = 3000  # and at most 3,000 files
MAX_REVIEWS = 1000  # the bot reads the latest 1,000 reviews
MAX_DISMISSALS = 1000  # and the first 1,000 review dismissals
MAX_COMMENTS = 2000  # looking for its own comment
TEXTS_PER_QUERY = 300

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

_REVIEW_FIELDS = """
  pageInfo { hasPreviousPage startCursor }
  nodes { databaseId author { __typename login } state commit { oid } }
"""

_DISMISSAL_FIELDS = """
  pageInfo { hasNextPage endCursor }
  nodes {
    ... on ReviewDismissedEvent {
      actor { __typename login } previousReviewState review { databaseId }
    }
  }
"""

_COMMENT_FIELDS = """
  pageInfo { hasNextPage endCursor }
  nodes { databaseId body author { __typename login } }
"""

PULL_REQUEST_QUERY = (
    """
query PullRequest($owner: String!, $name: String!, $number: Int!, $config: String!,
                  $checklists: String!, $orgConfig: String!, $codeowners1: String!,
                  $codeowners2: String!, $codeowners3: String!) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      number title body headRefName baseRefName headRefOid baseRefOid changedFiles
      author { login }
      labels(first: 100) { nodes { name } }
      commits(first: 100) {"""
    + _COMMIT_FIELDS
    + """}
      reviews(last: 100) {"""
    + _REVIEW_FIELDS
    + """}
      timelineItems(first: 100, itemTypes: [REVIEW_DISMISSED_EVENT]) {"""
    + _DISMISSAL_FIELDS
    + """}
      comments(first: 100) {"""
    + _COMMENT_FIELDS
    + """}
    }
    config: object(expression: $config) { ... on Blob { text } }
    checklists: object(expression: $checklists) {
      ... on Tree { entries { name type object { ... on Blob { text } } } }
    }
    codeowners1: object(expression: $codeowners1) { ...CodeOwners }
    codeowners2: object(expression: $codeowners2) { ...CodeOwners }
    codeowners3: object(expression: $codeowners3) { ...CodeOwners }
  }
  org: repository(owner: $owner, name: ".github") {
    config: object(expression: $orgConfig) { ... on Blob { text } }
  }
}

fragment CodeOwners on GitObject { __typename ... on Blob { text byteSize isBinary isTruncated } }
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

REVIEWS_PAGE_QUERY = (
    """
query Reviews($owner: String!, $name: String!, $number: Int!, $before: String!) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviews(last: 100, before: $before) {"""
    + _REVIEW_FIELDS
    + """}
    }
  }
}
"""
)

DISMISSALS_PAGE_QUERY = (
    """
query Dismissals($owner: String!, $name: String!, $number: Int!, $after: String!) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      timelineItems(first: 100, after: $after, itemTypes: [REVIEW_DISMISSED_EVENT]) {"""
    + _DISMISSAL_FIELDS
    + """}
    }
  }
}
"""
)

COMMENTS_PAGE_QUERY = (
    """
query Comments($owner: String!, $name: String!, $number: Int!, $after: String!) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      comments(first: 100, after: $after) {"""
    + _COMMENT_FIELDS
    + """}
    }
  }
}
"""
)


def _page(data: dict[str, Any], connection: str) -> dict[str, Any]:
    page: dict[str, Any] = data["repository"]["pullRequest"][connection]
    return page


def _all_commits(
    repo: RepoRef, number: int, first: dict[str, Any]
) -> Steps[tuple[tuple[Commit, ...], int]]:
    nodes = list(first.get("nodes") or [])
    page = first
    while page["pageInfo"]["hasNextPage"] and len(nodes) < MAX_COMMITS:
        data = yield from steps.graphql(
            COMMITS_PAGE_QUERY,
            owner=repo.owner,
            name=repo.name,
            number=number,
            after=page["pageInfo"]["endCursor"],
        )
        page = _page(data, "commits")
        nodes.extend(page.get("nodes") or [])
    return tuple(commit_of(node) for node in nodes[:MAX_COMMITS]), int(first.get("totalCount") or 0)


def _all_reviews(
    repo: RepoRef, number: int, last: dict[str, Any]
) -> Steps[tuple[list[dict[str, Any]], bool]]:
    """Review nodes, oldest first, read backwards from the newest; and whether older ones
    were left (past `MAX_REVIEWS`)."""
    pages = [list(last.get("nodes") or [])]
    page = last
    while page["pageInfo"]["hasPreviousPage"] and sum(map(len, pages)) < MAX_REVIEWS:
        data = yield from steps.graphql(
            REVIEWS_PAGE_QUERY,
            owner=repo.owner,
            name=repo.name,
            number=number,
            before=page["pageInfo"]["startCursor"],
        )
        page = _page(data, "reviews")
        pages.append(list(page.get("nodes") or []))
    nodes = [node for older_first in reversed(pages) for node in older_first]
    return nodes, bool(page["pageInfo"]["hasPreviousPage"])


def _all_dismissals(
    repo: RepoRef, number: int, first: dict[str, Any]
) -> Steps[tuple[dict[int, tuple[str, str]], bool]]:
    """Review databaseId -> (who dismissed it, what it was); and whether more were left (past
    `MAX_DISMISSALS`)."""
    nodes = list(first.get("nodes") or [])
    page = first
    while page["pageInfo"]["hasNextPage"] and len(nodes) < MAX_DISMISSALS:
        data = yield from steps.graphql(
            DISMISSALS_PAGE_QUERY,
            owner=repo.owner,
            name=repo.name,
            number=number,
            after=page["pageInfo"]["endCursor"],
        )
        page = _page(data, "timelineItems")
        nodes.extend(page.get("nodes") or [])
    found = dict(event for node in nodes if (event := dismissal_of(node)) is not None)
    return found, bool(page["pageInfo"]["hasNextPage"])


def _find_bot_comment(
    repo: RepoRef,
    number: int,
    first: dict[str, Any],
    *,
    bot_login: str | None,
    marker: str,
    comment_id: int | None,
) -> Steps[tuple[BotComment | None, bool]]:
    """Our comment: the one with `comment_id` if it still exists and the App wrote it, else
    the first the App wrote that starts with `marker`; paging through every comment up to
    `MAX_COMMENTS`. Also: whether that cap was reached without finding the one looked for."""
    page, seen = first, 0
    by_marker: BotComment | None = None
    while True:
        for node in page.get("nodes") or []:
            seen += 1
            if not is_ours(node.get("author") or {}, bot_login):
                continue
            found = BotComment(int(node["databaseId"]), node.get("body") or "")
            if comment_id is not None and found.id == comment_id:
                return found, False
            if by_marker is None and found.body.startswith(marker):
                by_marker = found
                if comment_id is None:
                    return found, False
        if not page["pageInfo"]["hasNextPage"]:
            return by_marker, False
        if seen >= MAX_COMMENTS:
            return by_marker, True
        data = yield from steps.graphql(
            COMMENTS_PAGE_QUERY,
            owner=repo.owner,
            name=repo.name,
            number=number,
            after=page["pageInfo"]["endCursor"],
        )
        page = _page(data, "comments")


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
    diff = yield from steps.diff(url)
    if diff is not None:
        return [to_changed_file(patched) for patched in parse_diff(diff)]
    # Too large for one diff (over 300 files): GitHub's paginated list, 3,000 files at most.
    items = yield from steps.listing(f"{url}/files", MAX_FILES)
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
        data = yield from steps.graphql(query, owner=repo.owner, name=repo.name)
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


def base_branch_ref(base_ref: str) -> str:
    """The base branch spelled out (`refs/heads/<base>`): a bare name resolves a tag of that
    name first, as git does, and whoever can push a tag would then choose the config."""
    return f"refs/heads/{base_ref.removeprefix('refs/heads/')}"


def pull_request(
    repo: RepoRef,
    number: int,
    *,
    base_ref: str,
    bot_login: str | None,
    marker: str,
    comment_id: int | None = None,
) -> Steps[PullRequestContext]:
    """Everything but the diff: PR, commits, reviews (with who dismissed what), our comment,
    configs at the base branch.

    Our comment is the one with `comment_id` (the store's) if it still exists and the App
    wrote it, else the first that starts with `marker` written by `bot_login` (None: by any
    App). Raises LookupError when the pull request does not exist.
    """
    base = base_branch_ref(base_ref)
    data = yield from steps.graphql(
        PULL_REQUEST_QUERY,
        owner=repo.owner,
        name=repo.name,
        number=number,
        config=f"{base}:{CONFIG_PATH}",
        checklists=f"{base}:{CHECKLISTS_DIR}",
        orgConfig=f"HEAD:{CONFIG_PATH}",
        **{f"codeowners{n}": f"{base}:{path}" for n, path in enumerate(CODEOWNERS_PATHS, 1)},
    )
    repository = data.get("repository") or {}
    pull = repository.get("pullRequest")
    if pull is None:
        raise LookupError(f"{repo.full_name}#{number} was not found")
    commits, commits_total = yield from _all_commits(repo, number, pull["commits"])
    review_nodes, reviews_left = yield from _all_reviews(repo, number, pull["reviews"])
    dismissals, dismissals_left = yield from _all_dismissals(repo, number, pull["timelineItems"])
    bot_comment, comments_capped = yield from _find_bot_comment(
        repo, number, pull["comments"], bot_login=bot_login, marker=marker, comment_id=comment_id
    )
    incomplete = []
    if commits_total > len(commits):
        incomplete.append(f"more than {MAX_COMMITS} commits (GitHub lists {MAX_COMMITS})")
    if reviews_left:
        incomplete.append(f"more than {MAX_REVIEWS:,} reviews (the bot reads the latest)")
    if dismissals_left:
        incomplete.append(f"more than {MAX_DISMISSALS:,} dismissed reviews")
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
        reviews=tuple(
            review for node in review_nodes if (review := review_of(node, dismissals)) is not None
        ),
        config_text=(repository.get("config") or {}).get("text"),
        org_config_text=org.get("text"),
        checklist_texts=checklist_texts(repository.get("checklists")),
        codeowners=codeowners_file(
            [repository.get(f"codeowners{n}") for n in range(1, len(CODEOWNERS_PATHS) + 1)]
        ),
        bot_comment=bot_comment,
        incomplete=tuple(incomplete),
        comments_capped=comments_capped,
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


def only_texts(snapshot: Snapshot, needs_text: Callable[[ChangedFile], bool]) -> Snapshot:
    """The snapshot with only the texts a gather under `needs_text` would have fetched (one
    gather for two configs fetches what either reads; each is analyzed with its own)."""
    head, base = snapshot.head_sha, snapshot.base_sha
    wanted = set(text_keys(snapshot.files, needs_text, head, base))
    texts = {(head, path): text for path, text in snapshot.head_texts.items()}
    texts |= {(base, path): text for path, text in snapshot.base_texts.items()}
    return with_texts(snapshot, {key: text for key, text in texts.items() if key in wanted})


def changes(
    context: PullRequestContext, needs_text: Callable[[ChangedFile], bool]
) -> Steps[Snapshot]:
    """The snapshot completed with the changed files and the texts the engine reads."""
    snapshot = context.snapshot
    files = yield from _changed_files(context.repo, context.number)
    keys = text_keys(files, needs_text, snapshot.head_sha, snapshot.base_sha)
    texts = yield from read_texts(context.repo, keys)
    return with_texts(replace(snapshot, files=tuple(files)), texts)


def unseen_changes(snapshot: Snapshot) -> tuple[str, ...]:
    """What of the diff the completed snapshot lacks, in the words of `context.incomplete`:
    files past GitHub's list of 3,000."""
    total = snapshot.truncation.files_total
    if total is not None and total > len(snapshot.files) and total > MAX_FILES:
        return (f"more than {MAX_FILES:,} changed files (GitHub lists {MAX_FILES:,})",)
    return ()
