"""Every question the bot asks GitHub besides the pull request gather (bot/github/gather.py):
the pull request's base branch, who may do what (permissions, team memberships), what its
check run and comment already are, which pull requests share a head, the files changed since
an older head, whether "Update branch" merges brought only the base, whether the base branch
requires the check, and which pull requests a merge group holds.

Sans-I/O gathering steps, as in gather.py: sent by either driver, read through meaning.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from bot.engine.snapshot import Commit
from bot.github import meaning
from bot.github.context import RepoRef
from bot.github.meaning import Membership
from bot.github.steps import Steps, graphql, item, listing

MAX_UPDATE_MERGES = 5  # more "Update branch" merges since an approval: none is proven clean
MAX_COMPARE_FILES = 300  # GitHub's compare lists at most 300 files
MAX_PULLS_PER_HEAD = 100
MAX_RULES = 300  # rules that apply to one branch: far more than any repository sets
MAX_QUEUE_PAGES = 10  # a merge queue's first 1,000 entries


def pull_path(repo: RepoRef, number: int) -> str:
    """The REST path of a pull request."""
    return f"/repos/{repo.full_name}/pulls/{number}"


def base_ref(repo: RepoRef, number: int) -> Steps[str]:
    """The branch the pull request merges into; raises LookupError when there is no such
    pull request (as gather.pull_request does)."""
    pull = yield from item(pull_path(repo, number))
    if pull is None:
        raise LookupError(f"{repo.full_name}#{number} was not found")
    return meaning.base_ref(pull)


def repository_visible(repo: RepoRef) -> Steps[bool]:
    """Whether the repository can be read at all (GitHub answers 404 for one a token may not
    see, as for one that does not exist)."""
    return (yield from item(f"/repos/{repo.full_name}")) is not None


def permission(repo: RepoRef, login: str) -> Steps[str]:
    """The person's permission on the repository (meaning.permission says which)."""
    person = quote(login, safe="")
    answer = yield from item(f"/repos/{repo.full_name}/collaborators/{person}/permission")
    return meaning.permission(answer)


def permissions(repo: RepoRef, logins: Iterable[str]) -> Steps[dict[str, str]]:
    """Each person's permission on the repository (`admin`, `maintain`, `write`, `triage`,
    `read`, or `none` for an account GitHub knows nothing about there)."""
    found: dict[str, str] = {}
    for login in sorted(set(logins)):
        found[login] = yield from permission(repo, login)
    return found


def _team_path(team: str) -> str:
    org, slug = meaning.team_parts(team)
    return f"/orgs/{quote(org, safe='')}/teams/{quote(slug, safe='')}"


def membership(team: str, login: str) -> Steps[Membership]:
    """The person's membership of the team `@org/slug` (a 404, NONE, is also what a team
    that does not exist, or that the asker may not see, answers)."""
    answer = yield from item(f"{_team_path(team)}/memberships/{quote(login, safe='')}")
    return meaning.membership(answer)


def team_visible(team: str) -> Steps[bool]:
    """Whether the team `@org/slug` exists for the asker (GitHub answers 404 otherwise)."""
    return (yield from item(_team_path(team))) is not None


def latest_check_run(repo: RepoRef, head_sha: str, name: str) -> Steps[tuple[int, bool] | None]:
    """The newest check run named `name` on `head_sha` (only this App can create it there):
    its id, and whether it is completed."""
    query = urlencode({"check_name": name, "filter": "latest", "per_page": "1"}, quote_via=quote)
    found = yield from item(f"/repos/{repo.full_name}/commits/{head_sha}/check-runs?{query}")
    runs = (found or {}).get("check_runs") or []
    return (int(runs[0]["id"]), runs[0].get("status") == "completed") if runs else None


def check_run_id(repo: RepoRef, head_sha: str, name: str) -> Steps[int | None]:
    """The newest check run named `name` on `head_sha`."""
    found = yield from latest_check_run(repo, head_sha, name)
    return None if found is None else found[0]


def comment_id(repo: RepoRef, number: int, author: str, marker: str) -> Steps[int | None]:
    """The first comment on the pull request by `author` that starts with `marker`, looked
    for in all of its comments (REST, oldest first)."""
    comments = yield from listing(f"/repos/{repo.full_name}/issues/{number}/comments")
    for comment in comments:
        login = (comment.get("user") or {}).get("login") or ""
        if login == author and str(comment.get("body") or "").startswith(marker):
            return int(comment["id"])
    return None


def open_pulls_at_head(repo: RepoRef, head_sha: str) -> Steps[list[int]]:
    """Numbers of the open pull requests whose head is `head_sha`, at most
    MAX_PULLS_PER_HEAD: a check run belongs to the commit, so each of them has a say in it.
    (GitHub's list of pull requests associated with a commit: those it heads, and merged
    ones that contain it.)"""
    pulls = yield from listing(f"/repos/{repo.full_name}/commits/{head_sha}/pulls")
    numbers = [
        int(pull["number"])
        for pull in pulls
        if pull.get("state") == "open" and (pull.get("head") or {}).get("sha") == head_sha
    ]
    return sorted(numbers[:MAX_PULLS_PER_HEAD])


def files_changed_since(
    repo: RepoRef, since: Iterable[str], head: str
) -> Steps[dict[str, list[str] | None]]:
    """For each older head, the files changed from it to `head`; None when GitHub cannot say
    (a force-push left it out of the history)."""
    changed: dict[str, list[str] | None] = {}
    for sha in since:
        answer = yield from item(f"/repos/{repo.full_name}/compare/{sha}...{head}")
        changed[sha] = (
            None if answer is None else [str(f["filename"]) for f in answer.get("files") or []]
        )
    return changed


def _compare(repo: RepoRef, base: str, head: str) -> Steps[dict[str, Any] | None]:
    return (yield from item(f"/repos/{repo.full_name}/compare/{base}...{head}"))


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


def check_requirement(
    repo: RepoRef, branch: str, name: str, app_id: int
) -> Steps[meaning.CheckRequirement]:
    """Whether `branch` requires the check `name` from this App, by branch protection or by a
    ruleset, asked with the permissions the App has (contents, metadata): "Get a branch" shows
    the protection's required checks, "Get rules for a branch" the active rulesets' rules.
    (Reading the protection itself would need the administration permission.)"""
    ref = quote(branch, safe="/")
    found = yield from item(f"/repos/{repo.full_name}/branches/{ref}")
    rules = yield from listing(f"/repos/{repo.full_name}/rules/branches/{ref}", MAX_RULES)
    return meaning.check_requirement(found, rules, name, app_id)


MERGE_QUEUE_QUERY = """
query MergeQueue($owner: String!, $name: String!, $branch: String!, $after: String) {
  repository(owner: $owner, name: $name) {
    mergeQueue(branch: $branch) {
      entries(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { position headCommit { oid } pullRequest { number headRefOid } }
      }
    }
  }
}
"""


def merge_group(
    repo: RepoRef, branch: str, head_sha: str
) -> Steps[tuple[meaning.QueuedPull, ...] | None]:
    """The pull requests the merge group at `head_sha` holds, from the merge queue of
    `branch` as GitHub lists it (not from commit messages, which anyone can write); None when
    the branch has no merge queue or its queue has no group at that commit."""
    entries: list[dict[str, Any]] = []
    after: str | None = None
    for _ in range(MAX_QUEUE_PAGES):
        data = yield from graphql(
            MERGE_QUEUE_QUERY, owner=repo.owner, name=repo.name, branch=branch, after=after
        )
        queue = (data.get("repository") or {}).get("mergeQueue")
        if queue is None:
            return None
        page = queue.get("entries") or {}
        entries.extend(node for node in page.get("nodes") or [] if node)
        info = page.get("pageInfo") or {}
        if not info.get("hasNextPage"):
            break
        after = info.get("endCursor")
    return meaning.merge_group(entries, head_sha)
