"""Gathering one pull request from GitHub into the engine's Snapshot, in few requests.

Requests per pull request do not grow with its size where GitHub allows:
1. one GraphQL query: the PR, its first 100 commits (with line counts and signers), the latest
   100 reviews, the first 100 review dismissals, the first 100 comments (to find ours), the
   repo config and checklists at the BASE branch (`refs/heads/<base>`, which no tag can
   shadow), and the org-wide config from the org's `.github` repository; then, only for long
   pull requests, further pages of each list, up to a cap (past it the context says what the
   bot could not see, and the gate fails closed);
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
from bot.engine.policy import Review, ReviewState, is_bot_login
from bot.engine.snapshot import ChangedFile, Commit, FileStatus, Person, Snapshot, Truncation

MAX_COMMITS = 250  # GitHub lists at most 250 commits of a pull request
MAX_FILES = 3000  # and at most 3,000 files
MAX_REVIEWS = 1000  # the bot reads the latest 1,000 reviews
MAX_DISMISSALS = 1000  # and the first 1,000 review dismissals
MAX_COMMENTS = 2000  # looking for its own comment
MAX_UPDATE_MERGES = 5  # more "Update branch" merges since an approval: none is proven clean
MAX_COMPARE_FILES = 300  # GitHub's compare lists at most 300 files
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
                  $checklists: String!, $orgConfig: String!) {
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
    """Everything gathered for one pull request at one head.

    `incomplete` says, each in a short phrase, what the bot could not see (lists past GitHub's
    or the bot's caps): the gate fails closed on it. `comments_capped`: the bot's comment was
    looked for through `MAX_COMMENTS` comments and not found (worth a log line; a new one is
    posted).
    """

    repo: RepoRef
    number: int
    snapshot: Snapshot
    reviews: tuple[Review, ...]
    config_text: str | None
    org_config_text: str | None
    checklist_texts: tuple[tuple[str, str], ...]
    bot_comment: BotComment | None
    incomplete: tuple[str, ...] = ()
    comments_capped: bool = False


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


def _actor(raw: dict[str, Any] | None) -> tuple[str, bool] | None:
    """(login, is an App) of a GraphQL actor, an App's login as REST spells it ("name[bot]");
    None for a deleted account."""
    login = (raw or {}).get("login")
    if not login:
        return None
    is_bot = (raw or {}).get("__typename") == "Bot" or is_bot_login(login)
    if is_bot and not is_bot_login(login):
        login = f"{login}[bot]"
    return str(login), is_bot


def _review_state(raw: Any) -> ReviewState | None:
    return ReviewState(raw) if raw in ReviewState.__members__ else None


def _review(node: dict[str, Any], dismissals: Mapping[int, tuple[str, str]]) -> Review | None:
    author = _actor(node.get("author"))
    state = _review_state(node.get("state"))
    if author is None or state is None:
        return None
    login, is_bot = author
    review = Review(login, state, (node.get("commit") or {}).get("oid"), is_bot)
    dismissal = dismissals.get(int(node.get("databaseId") or 0))
    if state is ReviewState.DISMISSED and dismissal is not None:
        by, previous = dismissal
        review = replace(review, dismissed_by=by, previous_state=_review_state(previous))
    return review


def _dismissal(node: dict[str, Any]) -> tuple[int, tuple[str, str]] | None:
    """review databaseId -> (who dismissed it, what it was), from a ReviewDismissedEvent; None
    when GitHub no longer says which review or who."""
    review_id = (node.get("review") or {}).get("databaseId")
    actor = _actor(node.get("actor"))
    if review_id is None or actor is None:
        return None
    return int(review_id), (actor[0], str(node.get("previousReviewState") or ""))


def _is_ours(author: dict[str, Any], bot_login: str | None) -> bool:
    """The App's own account (an App, GraphQL type Bot; a user named like the App is not);
    with no login known, any App."""
    if author.get("__typename") != "Bot":
        return False
    if bot_login is None:
        return True
    # GraphQL names an App's account without the "[bot]" suffix REST uses.
    login = author.get("login") or ""
    return bool(login.removesuffix("[bot]") == bot_login.removesuffix("[bot]"))


def _checklists(raw: dict[str, Any] | None) -> tuple[tuple[str, str], ...]:
    entries = (raw or {}).get("entries") or []
    found = []
    for entry in entries:
        text = (entry.get("object") or {}).get("text")
        if entry.get("type") == "blob" and entry["name"].endswith(".yml") and text is not None:
            found.append((f"{CHECKLISTS_DIR}/{entry['name']}", text))
    return tuple(sorted(found))


def _page(data: dict[str, Any], connection: str) -> dict[str, Any]:
    page: dict[str, Any] = data["repository"]["pullRequest"][connection]
    return page


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
        page = _page(data, "commits")
        nodes.extend(page.get("nodes") or [])
    return tuple(_commit(node) for node in nodes[:MAX_COMMITS]), int(first.get("totalCount") or 0)


def _all_reviews(
    repo: RepoRef, number: int, last: dict[str, Any]
) -> Steps[tuple[list[dict[str, Any]], bool]]:
    """Review nodes, oldest first, read backwards from the newest; and whether older ones
    were left (past `MAX_REVIEWS`)."""
    pages = [list(last.get("nodes") or [])]
    page = last
    while page["pageInfo"]["hasPreviousPage"] and sum(map(len, pages)) < MAX_REVIEWS:
        data = yield from _graphql(
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
        data = yield from _graphql(
            DISMISSALS_PAGE_QUERY,
            owner=repo.owner,
            name=repo.name,
            number=number,
            after=page["pageInfo"]["endCursor"],
        )
        page = _page(data, "timelineItems")
        nodes.extend(page.get("nodes") or [])
    found = dict(event for node in nodes if (event := _dismissal(node)) is not None)
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
            if not _is_ours(node.get("author") or {}, bot_login):
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
        data = yield from _graphql(
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
    data = yield from _graphql(
        PULL_REQUEST_QUERY,
        owner=repo.owner,
        name=repo.name,
        number=number,
        config=f"{base}:{CONFIG_PATH}",
        checklists=f"{base}:{CHECKLISTS_DIR}",
        orgConfig=f"HEAD:{CONFIG_PATH}",
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
            review for node in review_nodes if (review := _review(node, dismissals)) is not None
        ),
        config_text=(repository.get("config") or {}).get("text"),
        org_config_text=org.get("text"),
        checklist_texts=_checklists(repository.get("checklists")),
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


WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})


def permissions(repo: RepoRef, logins: Iterable[str]) -> Steps[dict[str, str]]:
    """Each person's permission on the repository (`admin`, `maintain`, `write`, `triage`,
    `read`, or `none` for an account GitHub knows nothing about there)."""
    found: dict[str, str] = {}
    for login in sorted(set(logins)):
        answer = yield from _item(f"/repos/{repo.full_name}/collaborators/{login}/permission")
        found[login] = "none" if answer is None else str(answer.get("permission") or "none")
    return found


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


def _compare(repo: RepoRef, base: str, head: str) -> Steps[dict[str, Any] | None]:
    return (yield from _item(f"/repos/{repo.full_name}/compare/{base}...{head}"))


def _changed(compare: dict[str, Any]) -> frozenset[tuple[str, str, str, str]] | None:
    """What a compare changes, file by file (name, status, blob, former name); None when
    GitHub may have left files out (it lists at most 300)."""
    files = compare.get("files") or []
    if len(files) >= MAX_COMPARE_FILES:
        return None
    return frozenset(
        (
            str(f.get("filename")),
            str(f.get("status")),
            str(f.get("sha")),
            str(f.get("previous_filename") or ""),
        )
        for f in files
    )


def _is_clean_update(repo: RepoRef, before: Commit, merge: Commit, base_sha: str) -> Steps[bool]:
    first, second = merge.parents
    if first != before.sha:
        return False
    on_base = yield from _compare(repo, base_sha, second)
    if on_base is None or on_base.get("status") not in ("behind", "identical"):
        return False
    merged = yield from _compare(repo, first, merge.sha)
    brought = yield from _compare(repo, first, second)
    if merged is None or brought is None:
        return False
    merged_files, brought_files = _changed(merged), _changed(brought)
    return merged_files is not None and merged_files == brought_files


def clean_update_merges(
    repo: RepoRef, commits: Sequence[Commit], base_sha: str, since_sha: str | None
) -> Steps[frozenset[str]]:
    """The "Update branch" merges pushed after `since_sha` (the oldest approved head still in
    the list; None: none) that are proven to bring the base branch's changes and nothing else,
    so they keep approvals:

    - GitHub made and signed it (web-flow), with exactly two parents;
    - its first parent is the commit listed just before it (the chain goes back to the
      approved head);
    - its second parent is on the base branch (an ancestor of `base_sha`, its tip now);
    - it changes, against its first parent, exactly the files the base brought (same blob,
      same status): no edit in a conflict resolution, no base change dropped. A compare
      GitHub lists 300 or more files of cannot be checked whole, so it is not clean.

    More than `MAX_UPDATE_MERGES` such merges since the approval: none is clean (each costs
    three compares).
    """
    shas = [commit.sha for commit in commits]
    if since_sha is None or since_sha not in shas:
        return frozenset()
    start = shas.index(since_sha) + 1
    candidates = [
        (commits[index - 1], commits[index])
        for index in range(start, len(commits))
        if len(commits[index].parents) == 2 and commits[index].made_by_github
    ]
    if len(candidates) > MAX_UPDATE_MERGES:
        return frozenset()
    clean: set[str] = set()
    for before, merge in candidates:
        if (yield from _is_clean_update(repo, before, merge, base_sha)):
            clean.add(merge.sha)
    return frozenset(clean)
