"""The `ai-review` check of a merge group: pure.

A merge queue asks for the check on each merge group's commit. The group passes only when every
pull request it holds passes the gate at the head that was queued, each decided by the App's own
gate from its store and GitHub (bot/app/merge_queue.py), never read back from a check run.
Otherwise the check fails and names the pull request that did not pass, so the queue takes it
out and merges the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.engine.policy import Conclusion
from bot.github.meaning import QueuedPull
from bot.render.checkrun import MAX_TITLE, CheckOutput, error_output
from bot.render.escape import md_text
from bot.render.posting import Posting

DEFAULT_CHECK = "ai-review"


@dataclass(frozen=True, slots=True)
class Moved:
    """The pull request's head is no longer the one that was queued."""

    queued: str
    now: str


Decided = Posting | Moved


def _line(queued: QueuedPull, decided: Decided) -> str:
    at = f"#{queued.number} at `{queued.head_sha[:10]}`"
    if isinstance(decided, Moved):
        return (
            f"- {at}: **not decided**, its head moved to `{decided.now[:10]}` after it was queued"
        )
    verdict = "passed" if decided.conclusion is Conclusion.SUCCESS else decided.conclusion.value
    return f"- {at}: **{verdict}**, {md_text(decided.title)}"


def _passed(decided: Decided) -> bool:
    return isinstance(decided, Posting) and decided.conclusion is Conclusion.SUCCESS


def _why_not(number: int, decided: Decided) -> str:
    if isinstance(decided, Moved):
        return f"#{number} has not passed the gate: its head moved after it was queued"
    return f"#{number} has not passed the gate: {decided.title}"


def group_posting(
    base_branch: str, group: Sequence[QueuedPull], decided: Mapping[int, Decided]
) -> Posting:
    """The merge group's check: success when every pull request in `group` passed the gate at
    its queued head (`decided` holds each one's posting, or Moved), else failure naming the
    first that did not."""
    postings = [d for d in decided.values() if isinstance(d, Posting)]
    check_name = postings[0].check_name if postings else DEFAULT_CHECK
    failing = [queued.number for queued in group if not _passed(decided[queued.number])]
    listing = "\n".join(_line(queued, decided[queued.number]) for queued in group)
    plural = "s" if len(group) > 1 else ""
    if failing:
        first = failing[0]
        title = _why_not(first, decided[first])
        summary = (
            f"This merge group into `{md_text(base_branch)}` holds {len(group)} pull "
            f"request{plural}; each must pass the gate at the head that was queued, and "
            f"{len(failing)} did not:\n\n{listing}"
        )
        conclusion = Conclusion.FAILURE
    else:
        title = (
            f"All {len(group)} pull requests in this merge group passed the gate"
            if len(group) > 1
            else f"#{group[0].number} passed the gate"
        )
        summary = (
            f"This merge group into `{md_text(base_branch)}` holds {len(group)} pull "
            f"request{plural}, decided again at the head that was queued:\n\n{listing}"
        )
        conclusion = Conclusion.SUCCESS
    output = CheckOutput(title=title[:MAX_TITLE], summary=summary, annotations=())
    return Posting(check_name, conclusion, title, output, None)


def not_in_queue(base_branch: str, head_sha: str) -> Posting:
    """A group GitHub's merge queue does not list (it left the queue, or the branch has no
    queue): the App cannot tell which pull requests it holds, so it fails closed."""
    output = error_output(
        "This merge group is not in the merge queue",
        f"GitHub's merge queue for `{md_text(base_branch)}` lists no group at commit "
        f"`{head_sha[:10]}`, so the pull requests it holds cannot be checked. If they are still "
        "queued, take them out and queue them again.",
    )
    return Posting(DEFAULT_CHECK, Conclusion.FAILURE, output.title, output, None)


def undecided(error_id: str) -> Posting:
    """An internal error while deciding the group: fail closed, with the id in the logs."""
    output = error_output(
        f"ai-review could not decide this merge group (error {error_id})",
        f"An internal error stopped the check. Error id `{error_id}` is in the App's logs. "
        "Queue the pull requests again to retry.",
    )
    return Posting(DEFAULT_CHECK, Conclusion.FAILURE, output.title, output, None)
