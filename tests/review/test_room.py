"""The review of one head, driven without a server: the questions come in the App's order, each
only when something needs its answer, and the answers decide the posting as the gate would."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from bot.config.levels import Level
from bot.config.model import RepoConfig
from bot.engine.builtins import load_builtins
from bot.engine.policy import Conclusion, GateRule
from bot.engine.pull_state import AISighting, PullState
from bot.engine.resolve import build_ruleset
from bot.engine.result import (
    AIDetection,
    Analysis,
    ApprovalRequirement,
    ChecklistItem,
    Risk,
    SelectedChecklist,
    Signal,
)
from bot.engine.reviews import Review, ReviewState
from bot.engine.snapshot import Commit, Person, Snapshot
from bot.github.context import PullRequestContext, RepoRef
from bot.review import room

TEAM = "@acme/architects"
BASE = "b" * 40
OLD, HEAD = "1" * 40, "2" * 40
CONFIG = RepoConfig.model_validate({"approvals": {"seniors": [TEAM]}})
RULESET = build_ruleset(CONFIG, load_builtins(), [])


def commit(sha: str, parent: str) -> Commit:
    dev = Person("Dev", "dev@example.com", "dev")
    return Commit(sha, "change", dev, dev, (parent,))


def context(*reviews: Review) -> PullRequestContext:
    snapshot = Snapshot(
        base_sha=BASE,
        head_sha=HEAD,
        author="dev",
        commits=(commit(OLD, BASE), commit(HEAD, OLD)),
    )
    return PullRequestContext(
        RepoRef("acme", "widgets", "1"), 7, snapshot, reviews, None, None, (), None
    )


def analysis(assisted: bool = True) -> Analysis:
    item = ChecklistItem("sql-params", "Queries take parameters.", required=False)
    return Analysis(
        base_sha=BASE,
        head_sha=HEAD,
        ai=AIDetection(assisted, 1.0 if assisted else 0.0),
        risk=Risk(64, Level.HIGH, (Signal("critical_paths", 0, 20, "auth"),)),
        checklist=(SelectedChecklist("security", "Security", (item,)),),
        approvals=ApprovalRequirement(1, (TEAM,)),
        gated=assisted,
    )


Answerer = Callable[[Any], Any]


def drive(
    ctx: PullRequestContext, state: PullState, answers: Mapping[type, Answerer]
) -> tuple[room.Reviewed, list[Any]]:
    """Run the review as a driver does, answering each question with `answers[type]`."""
    asked: list[Any] = []
    review = room.review_head(ctx, CONFIG, RULESET, state)
    answer: Any = None
    while True:
        try:
            question = review.send(answer)
        except StopIteration as done:
            return done.value, asked
        asked.append(question)
        answer = answers[type(question)](question)


def answers(
    *,
    analyzed: Callable[[room.Analyze], Analysis] = lambda _: analysis(),
    member: bool | None = True,
    permissions: dict[str, str] | None = None,
) -> dict[type, Answerer]:
    return {
        room.CleanMerges: lambda _: frozenset(),
        room.Analyze: analyzed,
        room.ChangedSince: lambda q: {sha: ["auth/login.py"] for sha in q.shas},
        room.Memberships: lambda q: dict.fromkeys(q.questions, member),
        room.Permissions: lambda q: (
            dict.fromkeys(q.logins, "write") if permissions is None else permissions
        ),
        room.StateLine: lambda q: f"<!-- state {len(q.state.ticks)} -->",
    }


def test_a_senior_approval_of_the_head_passes_and_questions_come_in_the_apps_order() -> None:
    ctx = context(Review("alice", ReviewState.APPROVED, HEAD))
    ticked = PullState().tick("sql-params", "alice", OLD)

    reviewed, asked = drive(ctx, ticked, answers())

    assert [type(q) for q in asked] == [
        room.CleanMerges,
        room.Analyze,
        room.ChangedSince,
        room.Memberships,
        room.Permissions,
        room.StateLine,
    ]
    assert asked[2] == room.ChangedSince((OLD,))
    assert asked[3] == room.Memberships(((TEAM, "alice"),))
    assert reviewed.posting.conclusion is Conclusion.SUCCESS
    # The push touched the file the item is about: the tick made at the older head is gone,
    # both in the state to record and in the comment's state line.
    assert reviewed.state.ticks == {}
    assert reviewed.posting.comment is not None
    assert reviewed.posting.comment.rstrip().endswith("<!-- state 0 -->")


def test_nobody_to_ask_about_asks_nothing_and_the_gate_holds() -> None:
    reviewed, asked = drive(context(), PullState(), answers())

    assert [type(q) for q in asked] == [room.CleanMerges, room.Analyze, room.StateLine]
    assert reviewed.posting.conclusion is Conclusion.ACTION_REQUIRED
    assert reviewed.posting.decision is not None
    assert reviewed.posting.decision.rule is GateRule.MISSING


def test_a_team_the_asker_cannot_see_counts_no_senior_and_is_named() -> None:
    ctx = context(Review("alice", ReviewState.APPROVED, HEAD))

    reviewed, _ = drive(ctx, PullState(), answers(member=None))

    assert reviewed.hidden_teams == (TEAM,)
    assert reviewed.posting.conclusion is Conclusion.ACTION_REQUIRED
    assert reviewed.posting.decision is not None
    assert reviewed.posting.decision.reasons == (
        "@alice's approval does not count: not in @acme/architects",
    )


def test_unreadable_permissions_are_said_and_count_as_no_write_access() -> None:
    ctx = context(Review("alice", ReviewState.APPROVED, HEAD))

    reviewed, _ = drive(ctx, PullState(), answers(permissions={}))
    unread, _ = drive(ctx, PullState(), {**answers(), room.Permissions: lambda _: None})

    assert not reviewed.permissions_unread
    assert unread.permissions_unread


def test_a_pull_request_once_seen_ai_assisted_is_analyzed_again_with_that_sighting() -> None:
    seen = replace(PullState(), ai_seen=AISighting(OLD, "claude", "trailer: Co-authored-by"))
    declared: list[room.Analyze] = []

    def analyzed(question: room.Analyze) -> Analysis:
        declared.append(question)
        return analysis(assisted=bool(question.declared))

    reviewed, _ = drive(context(), seen, answers(analyzed=analyzed))

    assert [q.again for q in declared] == [False, True]
    assert declared[0].declared == ()
    assert declared[1].declared  # the sighting, as evidence
    assert reviewed.analysis.ai.assisted
    assert reviewed.posting.conclusion is Conclusion.ACTION_REQUIRED
