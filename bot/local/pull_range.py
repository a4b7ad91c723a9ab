"""The change `analyze` reviews: the range a pull request from head into base would show.

A pull request's diff is three-dot: from the merge-base of its base branch and its head, to
the head. So a base branch that moved on after the branch was cut adds nothing to the change.
The config, as on GitHub, is the one at the base branch's tip. CI checkouts add their own
traps, each turned into one line that says what to do: a shallow clone cut above the
merge-base, a base branch that was never fetched, a range that is empty.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from bot.local.git import GitError, GitRepo
from bot.render.provenance import RangeUsed

# Where CI systems name a pull request's branches, read when the command line does not.
HEAD_BRANCH_VARIABLES = ("GITHUB_HEAD_REF", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
BASE_BRANCH_VARIABLES = ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")


class EmptyRange(GitError):
    """The range holds no commit: nothing a pull request would show."""


@dataclass(frozen=True, slots=True)
class RangeRequest:
    """What the command line asked for; None where it left the choice to the defaults."""

    base: str | None = None
    head: str | None = None
    staged: bool = False
    allow_empty: bool = False


def resolve_range(
    repo: GitRepo, request: RangeRequest, env: Mapping[str, str] | None = None
) -> RangeUsed:
    """The pull request's range for `request`, or GitError with the fix in its message."""
    env = os.environ if env is None else env
    head_ref = request.head or "HEAD"
    if request.staged and request.head:
        raise GitError("--staged analyzes the index on top of HEAD: leave out --head")
    head_sha = _resolve(repo, head_ref, "--head")
    if request.staged:
        return _staged_range(repo, head_sha, request.allow_empty)
    base_ref, base_from = _base_ref(repo, request.base, env)
    base_tip = _resolve(repo, base_ref, base_from)
    merge_base = repo.merge_base(base_tip, head_sha)
    if merge_base is None:
        raise GitError(_no_merge_base(repo, base_ref, head_ref))
    branch, branch_from = _head_branch(repo, head_ref, explicit=request.head is not None, env=env)
    commits = repo.count_commits(merge_base, head_sha)
    if commits == 0 and not request.allow_empty:
        raise EmptyRange(_empty(base_ref, head_ref, head_sha, same=head_sha == base_tip))
    return RangeUsed(
        base_ref=base_ref,
        base_from=base_from,
        base_sha=base_tip,
        merge_base=merge_base,
        head_ref=head_ref,
        head_sha=head_sha,
        head_branch=branch,
        head_branch_from=branch_from,
        commits=commits,
    )


def _resolve(repo: GitRepo, ref: str, named_by: str) -> str:
    try:
        return repo.resolve(ref)
    except GitError:
        pass
    remote, _, branch = ref.partition("/")
    if branch and remote in repo.remotes():
        fetch = f"git fetch --no-tags {remote} {branch}"
        hint = f"fetch it first ({fetch}; in GitHub Actions, actions/checkout with fetch-depth: 0)"
    elif ref == "HEAD":
        hint = "the repository has no commit yet"
    else:
        hint = "check the name (git branch -a lists the branches this clone has)"
    raise GitError(f"{ref!r} ({named_by}) is not a commit in {repo.path}: {hint}")


def _base_ref(repo: GitRepo, base: str | None, env: Mapping[str, str]) -> tuple[str, str]:
    """The base as named, and who named it: --base, a CI variable, or the default branch."""
    if base:
        return base, "--base"
    for variable in BASE_BRANCH_VARIABLES:
        branch = env.get(variable, "").strip()
        if not branch:
            continue
        for candidate in (f"origin/{branch}", branch):
            if _exists(repo, candidate):
                return candidate, variable
        raise GitError(
            f"{variable} names the base branch {branch!r}, but this clone has neither "
            f"origin/{branch} nor {branch}: fetch it first (git fetch --no-tags origin "
            f"{branch}; in GitHub Actions, actions/checkout with fetch-depth: 0), or pass --base"
        )
    return repo.default_branch(), "default branch"


def _exists(repo: GitRepo, ref: str) -> bool:
    try:
        repo.resolve(ref)
    except GitError:
        return False
    return True


def _head_branch(
    repo: GitRepo, head_ref: str, explicit: bool, env: Mapping[str, str]
) -> tuple[str, str | None]:
    """The pull request's branch name, which counts for detection as GitHub's headRefName does:
    the branch --head (or the checkout) names, else the one the CI system names."""
    branch = repo.branch_of(head_ref)
    if branch:
        return branch, "--head" if explicit else "checked out"
    for variable in HEAD_BRANCH_VARIABLES:
        named = env.get(variable, "").strip()
        if named:
            return named, variable
    return "", None


def _no_merge_base(repo: GitRepo, base_ref: str, head_ref: str) -> str:
    if repo.is_shallow():
        return (
            f"{base_ref} and {head_ref} meet below the history this shallow clone has, so the "
            f"change cannot be told apart: fetch more of it (git fetch --deepen=200 origin, or "
            f"git fetch --unshallow; in GitHub Actions, actions/checkout with fetch-depth: 0)"
        )
    return (
        f"{base_ref} and {head_ref} have no common ancestor: pass --base with the branch the "
        "change was made from"
    )


def _empty(base_ref: str, head_ref: str, head_sha: str, same: bool) -> str:
    where = f"{head_ref} ({head_sha[:10]})"
    cause = f"is {base_ref} itself" if same else f"is already part of {base_ref}"
    return (
        f"nothing to analyze: {where} {cause}, so the change is empty; check out the change's "
        "branch or pass --head BRANCH (--allow-empty reports an empty change instead)"
    )


def _staged_range(repo: GitRepo, head_sha: str, allow_empty: bool) -> RangeUsed:
    try:
        staged = repo.staged_commit(head_sha)
    except GitError as exc:
        raise GitError(f"cannot read the staged change (resolve conflicts first): {exc}") from None
    if repo.tree_of(staged) == repo.tree_of(head_sha) and not allow_empty:
        raise EmptyRange(
            "nothing to analyze: nothing is staged (git add the change first; "
            "--allow-empty reports an empty change instead)"
        )
    branch = repo.branch_of("HEAD")
    return RangeUsed(
        base_ref="HEAD",
        base_from="--staged",
        base_sha=head_sha,
        merge_base=head_sha,
        head_ref="the index",
        head_sha=staged,
        head_branch=branch,
        head_branch_from="checked out" if branch else None,
        commits=1,
    )
