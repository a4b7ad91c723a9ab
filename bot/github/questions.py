"""What the gate asks GitHub after gathering the pull request: people's permissions, the
files changed since an older head, and whether "Update branch" merges brought only the base.

Sans-I/O gathering steps, as in bot/github/gather.py: sent by either driver.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.engine.snapshot import Commit
from bot.github import meaning
from bot.github.context import RepoRef
from bot.github.steps import Steps, item

MAX_UPDATE_MERGES = 5  # more "Update branch" merges since an approval: none is proven clean
MAX_COMPARE_FILES = 300  # GitHub's compare lists at most 300 files


def permissions(repo: RepoRef, logins: Iterable[str]) -> Steps[dict[str, str]]:
    """Each person's permission on the repository (`admin`, `maintain`, `write`, `triage`,
    `read`, or `none` for an account GitHub knows nothing about there)."""
    found: dict[str, str] = {}
    for login in sorted(set(logins)):
        answer = yield from item(f"/repos/{repo.full_name}/collaborators/{login}/permission")
        found[login] = meaning.permission(answer)
    return found


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
