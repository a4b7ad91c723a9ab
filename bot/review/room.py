"""The review of one head, in order, without I/O: what the App posts and `preview` shows.

`review_head` is a generator in the manner of the gather steps (bot/github/steps.py): it yields
each question it needs answered (merges proven clean, the analysis, the files changed since
older heads, team memberships, permissions, whether the base branch requires the check, the
comment's state line) and is sent the answer.
It returns the posting and the state the head leaves behind. The App answers from GitHub and its
store (bot/app/service.py), `preview` from a token's view of GitHub (bot/preview.py), so the
order of a review is written, and tested, once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.config.model import RepoConfig
from bot.engine.pull_state import PullState
from bot.engine.result import Analysis, Evidence
from bot.engine.reviews import deciding_people
from bot.engine.ruleset import Ruleset
from bot.github.context import PullRequestContext
from bot.render.posting import Posting
from bot.review import compose, labels


@dataclass(frozen=True, slots=True)
class CleanMerges:
    """Which "Update branch" merges pushed after `since` bring only the base's changes.
    Answer: frozenset of their SHAs."""

    since: str | None


@dataclass(frozen=True, slots=True)
class Analyze:
    """The head's analysis with this declared evidence. `again` is the second analysis of a
    pull request once seen AI-assisted whose commits no longer say so: it shows no progress.
    `own_labels` are labels the App put on itself, which are no evidence of AI use (the
    answerer leaves them out of the snapshot it analyzes). Answer: Analysis."""

    declared: tuple[Evidence, ...]
    again: bool = False
    own_labels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChangedSince:
    """The files changed from each older head to the head. Answer: Mapping sha -> list of
    paths, or None when that is unknown."""

    shas: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Memberships:
    """Whether each login is an active member of each team. Answer: Mapping (team, login) ->
    bool, or None for a team the asker cannot see."""

    questions: tuple[compose.Membership, ...]


@dataclass(frozen=True, slots=True)
class Permissions:
    """Each login's permission on the repository. Answer: Mapping login -> permission, or
    None when the asker may not read them."""

    logins: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StateLine:
    """The comment's last line for this state (signed by whoever holds the App's key).
    Answer: str."""

    state: PullState


@dataclass(frozen=True, slots=True)
class RequiredCheck:
    """Whether the base branch requires the check `name` from this App (branch protection or
    a ruleset). Answer: meaning.CheckRequirement, or None when the asker cannot tell."""

    branch: str
    name: str


Question = (
    CleanMerges | Analyze | ChangedSince | Memberships | Permissions | RequiredCheck | StateLine
)


@dataclass(frozen=True, slots=True)
class Reviewed:
    posting: Posting
    state: PullState  # after what the head itself changed, to be recorded before posting
    analysis: Analysis
    hidden_teams: tuple[str, ...] = ()  # teams whose members could not be seen
    permissions_unread: bool = False  # nobody counted as having write access: unreadable


Q = TypeVar("Q")
R = TypeVar("R")
Review = Generator[Question, Any, Reviewed]


def answer_sync(steps: Generator[Q, Any, R], answer: Callable[[Q], Any]) -> R:
    """Run `steps` to the end, answering each question with `answer` (preview's driver)."""
    reply: Any = None
    while True:
        try:
            question = steps.send(reply)
        except StopIteration as done:
            result: R = done.value
            return result
        reply = answer(question)


async def answer_async(steps: Generator[Q, Any, R], answer: Callable[[Q], Awaitable[Any]]) -> R:
    """Run `steps` to the end, awaiting each answer (the App's driver)."""
    reply: Any = None
    while True:
        try:
            question = steps.send(reply)
        except StopIteration as done:
            result: R = done.value
            return result
        reply = await answer(question)


def analysis_of(state: PullState) -> Generator[Analyze, Analysis, Analysis]:
    """The head's analysis with what the bot recorded as evidence. A pull request once seen
    AI-assisted stays so: when its commits no longer say so (a force-push without the
    trailers), it is analyzed again with that sighting as evidence."""
    declared = compose.declared_evidence(state)
    own = labels.own_labels(state)
    analysis = yield Analyze(declared, own_labels=own)
    sighting = compose.sighting_evidence(state)
    if not analysis.ai.assisted and sighting:
        analysis = yield Analyze(declared + sighting, again=True, own_labels=own)
    return analysis


def review_head(
    context: PullRequestContext, config: RepoConfig, ruleset: Ruleset, state: PullState
) -> Review:
    """The posting for the pull request's head and the state after it: decisions a push
    ended, the first sighting of AI use, ticks a push touched, then the gate."""
    head_sha = context.snapshot.head_sha
    clean_merges: frozenset[str] = yield CleanMerges(compose.merges_checked_since(context, state))
    state = compose.end_on_push(state, context, clean_merges)

    analysis = yield from analysis_of(state)
    state = compose.record_sighting(state, analysis, head_sha)

    stale = tuple(compose.stale_tick_heads(state, head_sha))
    changed: Mapping[str, Sequence[str] | None] = (yield ChangedSince(stale)) if stale else {}
    state = compose.untick_after_push(state, ruleset, head_sha, changed)

    logins = deciding_people(context.reviews)
    refs = compose.approval_refs(ruleset, analysis)
    questions = tuple(compose.membership_questions(logins, refs))
    answers: Mapping[compose.Membership, bool | None] = (
        (yield Memberships(questions)) if questions else {}
    )
    permissions: Mapping[str, str] | None = (
        (yield Permissions(tuple(sorted(logins)))) if logins else {}
    )
    base = context.snapshot.base_branch
    requirement = (yield RequiredCheck(base, config.check.name)) if base else None
    found = compose.GitHubFacts(
        member_of=compose.memberships(logins, refs, {q: bool(a) for q, a in answers.items()}),
        write_access=compose.writers(permissions or {}),
        clean_merges=clean_merges,
        requirement=requirement,
    )
    line: str = yield StateLine(state)
    posting = compose.compose(context, config, ruleset, analysis, state, found, line)
    hidden = tuple(sorted({team for (team, _), answer in answers.items() if answer is None}))
    return Reviewed(posting, state, analysis, hidden, permissions is None)
