"""A branch's merge queue as GitHub runs it, over the test's real git repository.

Queueing a pull request builds its merge group: a commit on a temporary branch
`gh-readonly-queue/<base>/pr-<number>-<base sha>` that merges the pull request into the group
ahead of it (or into the base branch), so each group holds every pull request ahead of it. The
App is asked for its check on that commit (`merge_group.checks_requested`, see webhooks.py).
`advance` then does what the queue does once checks report: a group whose required checks all
passed is merged (the base branch moves to its commit, its pull requests are merged); a group
with a required check that did not pass leaves the queue, and the groups behind it are built
again without it; a group still waiting holds the queue.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from tests.fakegithub.gitdata import branch_tip, run_git
from tests.fakegithub.gitwrite import GITHUB_COMMITTER, web_merge
from tests.fakegithub.models import CheckRun, PullRequest, QueueEntry, RepoState, RequiredCheck

QUEUE_PREFIX = "gh-readonly-queue"


@dataclass(frozen=True, slots=True)
class Outcome:
    number: int
    result: Literal["merged", "removed", "waiting"]


def rulesets_for(repo: RepoState, branch: str) -> list[int]:
    """Indexes of the active rulesets that target `branch`."""
    ref = f"refs/heads/{branch}"
    found = []
    for index, ruleset in enumerate(repo.rulesets):
        if ruleset.enforcement != "active":
            continue
        for pattern in ruleset.include:
            target = (
                f"refs/heads/{repo.default_branch}" if pattern == "~DEFAULT_BRANCH" else pattern
            )
            if fnmatch.fnmatchcase(ref, target):
                found.append(index)
                break
    return found


def required_checks(repo: RepoState, branch: str) -> list[RequiredCheck]:
    """What branch protection and the active rulesets require of `branch`."""
    required = list(repo.protections.get(branch, []))
    for index in rulesets_for(repo, branch):
        required.extend(repo.rulesets[index].checks)
    return required


def has_queue(repo: RepoState, branch: str) -> bool:
    return any(repo.rulesets[index].merge_queue for index in rulesets_for(repo, branch))


def _group_ref(branch: str, number: int, base_sha: str) -> str:
    return f"{QUEUE_PREFIX}/{branch}/pr-{number}-{base_sha}"


def _build(
    repo: RepoState,
    pull: PullRequest,
    on_top_of: str,
    base_sha: str,
    new_id: Callable[[], int],
    now: datetime,
) -> QueueEntry:
    ref = _group_ref(pull.base_ref, pull.number, base_sha)
    head = branch_tip(repo.path, pull.head_ref)
    if head is None:
        raise ValueError(f"{repo.full_name}#{pull.number}: head branch {pull.head_ref!r} is gone")
    run_git(repo.path, "branch", "--force", ref, on_top_of)
    message = f"Merge pull request #{pull.number} from {repo.owner}/{pull.head_ref}"
    sha = web_merge(
        repo.path, ref, head, message=f"{message}\n\n{pull.title}", author=GITHUB_COMMITTER
    )
    return QueueEntry(new_id(), pull.number, sha, f"refs/heads/{ref}", base_sha, now)


def enqueue(
    repo: RepoState, pull: PullRequest, new_id: Callable[[], int], now: datetime
) -> QueueEntry:
    """Put the pull request at the end of its base branch's queue and build its group."""
    if not has_queue(repo, pull.base_ref):
        raise ValueError(f"{repo.full_name}: no merge queue on {pull.base_ref!r}")
    queue = repo.merge_queues.setdefault(pull.base_ref, [])
    if any(entry.number == pull.number for entry in queue):
        raise ValueError(f"{repo.full_name}#{pull.number} is already queued")
    base_sha = branch_tip(repo.path, pull.base_ref) or ""
    on_top_of = queue[-1].head_sha if queue else base_sha
    entry = _build(repo, pull, on_top_of, base_sha, new_id, now)
    queue.append(entry)
    return entry


def _verdict(runs: list[CheckRun], required: list[RequiredCheck], app_id: int) -> str:
    """ "passed", "failed" or "pending" for one group's required checks (every check run on
    the fake is the App's)."""
    verdicts = []
    for check in required:
        matching = [
            run for run in runs if run.name == check.context and check.app_id in (None, app_id)
        ]
        latest = max(matching, key=lambda run: run.id, default=None)
        if latest is None or latest.status != "completed":
            verdicts.append("pending")
        elif latest.conclusion in ("success", "neutral", "skipped"):
            verdicts.append("passed")
        else:
            verdicts.append("failed")
    if "failed" in verdicts:
        return "failed"
    return "pending" if "pending" in verdicts else "passed"


def advance(
    repo: RepoState, branch: str, app_id: int, now: datetime, new_id: Callable[[], int]
) -> list[Outcome]:
    """Run the queue of `branch` as far as the checks reported allow."""
    queue = repo.merge_queues.get(branch, [])
    required = required_checks(repo, branch)
    outcomes: list[Outcome] = []
    while queue:
        entry = queue[0]
        runs = [run for run in repo.check_runs.values() if run.head_sha == entry.head_sha]
        verdict = _verdict(runs, required, app_id)
        if verdict == "pending":
            outcomes.append(Outcome(entry.number, "waiting"))
            break
        queue.pop(0)
        run_git(repo.path, "branch", "-D", entry.head_ref.removeprefix("refs/heads/"))
        pull = repo.pulls[entry.number]
        if verdict == "passed":
            run_git(repo.path, "update-ref", f"refs/heads/{branch}", entry.head_sha)
            pull.state, pull.merged, pull.updated_at = "closed", True, now
            outcomes.append(Outcome(entry.number, "merged"))
            continue
        entry.state = "UNMERGEABLE"
        outcomes.append(Outcome(entry.number, "removed"))
        _rebuild(repo, branch, queue, now, new_id)
        break
    return outcomes


def _rebuild(
    repo: RepoState, branch: str, queue: list[QueueEntry], now: datetime, new_id: Callable[[], int]
) -> None:
    """The groups behind a removed one, built again without it (new commits, new checks)."""
    base_sha = branch_tip(repo.path, branch) or ""
    on_top_of = base_sha
    for index, old in enumerate(queue):
        run_git(repo.path, "branch", "-D", old.head_ref.removeprefix("refs/heads/"))
        pull = repo.pulls[old.number]
        queue[index] = _build(repo, pull, on_top_of, base_sha, new_id, now)
        on_top_of = queue[index].head_sha
