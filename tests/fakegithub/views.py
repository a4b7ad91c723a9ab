"""A pull request read from git at this moment: its SHAs, its diff and its commits.

These run in a worker thread (they call git), and read only immutable git data plus the
pull request's ref names.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.fakegithub.diff import PullDiff, pull_diff
from tests.fakegithub.gitdata import CommitInfo, GitCommandError, commits_between, run_git
from tests.fakegithub.models import PullRequest, RepoState

MAX_LISTED_COMMITS = 250


class BranchMissing(LookupError):
    """A pull request's branch no longer exists in the test's repository."""


@dataclass(frozen=True, slots=True)
class PullRefs:
    head_sha: str
    base_sha: str
    merge_base: str


@dataclass(frozen=True, slots=True)
class PullView:
    refs: PullRefs
    diff: PullDiff
    commits: tuple[CommitInfo, ...]
    """Every commit of the pull request, oldest first (listings cap them at 250)."""


def pull_refs(repo: RepoState, pull: PullRequest) -> PullRefs:
    """Head = tip of the head branch, base = tip of the base branch, as GitHub resolves them."""
    try:
        out = run_git(
            repo.path, "rev-parse", f"refs/heads/{pull.head_ref}", f"refs/heads/{pull.base_ref}"
        )
        head_sha, base_sha = out.decode().split()
        base = run_git(repo.path, "merge-base", base_sha, head_sha).decode().strip()
    except GitCommandError as exc:
        raise BranchMissing(f"{repo.full_name}#{pull.number}: {exc}") from None
    return PullRefs(head_sha, base_sha, base)


def pull_view(repo: RepoState, pull: PullRequest) -> PullView:
    refs = pull_refs(repo, pull)
    return PullView(
        refs=refs,
        diff=pull_diff(repo.path, refs.merge_base, refs.head_sha),
        commits=commits_between(repo.path, refs.merge_base, refs.head_sha),
    )


def open_pulls_at(repo: RepoState, head_sha: str) -> list[tuple[PullRequest, PullRefs]]:
    """Open pull requests whose head is `head_sha` (a check run's `pull_requests`)."""
    # One look at every branch tip, then git only for the pulls whose head is there: a check
    # run's answer costs the same with 3 open pulls as with 300.
    tips = dict(
        line.split(" ", 1)[::-1]
        for line in run_git(
            repo.path, "for-each-ref", "--format=%(objectname) %(refname:short)", "refs/heads"
        )
        .decode()
        .splitlines()
    )
    found = []
    for pull in repo.pulls.values():
        if pull.state != "open" or tips.get(pull.head_ref) != head_sha:
            continue
        try:
            refs = pull_refs(repo, pull)
        except BranchMissing:
            continue
        if refs.head_sha == head_sha:
            found.append((pull, refs))
    return found
