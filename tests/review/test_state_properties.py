"""Property tests of the recorded state: whatever people below a senior do with comments,
commands and edits of the bot's comment, in any order and repeated, a head that needs a senior
never passes.

A scenario is a random sequence of actions on one gated pull request: edits of the bot's
comment ticking and unticking required items (by the author, people with write access, readers;
some edits replayed, some older than the last one applied), "not AI-assisted" declarations and
overrides asked for by the same people, and pushes. Each action goes through the same pure
rules the App's command runner applies (bot/review/commands.py), then the gate decides.
"""

from __future__ import annotations

import os
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config.approvals import ApprovalsConfig
from bot.config.levels import Level
from bot.config.model import RepoConfig
from bot.engine.builtins import load_builtins
from bot.engine.policy import Conclusion, Override, decide
from bot.engine.pull_state import Declaration, PullState
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
from bot.engine.snapshot import Commit, Person, Snapshot
from bot.github.context import PullRequestContext, RepoRef
from bot.review import compose
from bot.review.commands import COMMANDS, Role, TickEdit, apply_tick_edit, may_loosen, may_run

AUTHOR = "dev"
BASE = "b" * 40
ITEMS = ("sql-params", "authz-every-path", "rollback-plan")
# Everyone below a senior, as GitHub would describe them; the author may even be a senior.
PEOPLE = {
    "dev": frozenset({Role.ANYONE, Role.AUTHOR, Role.WRITE, Role.SENIOR}),
    "wendy": frozenset({Role.ANYONE, Role.WRITE}),
    "rita": frozenset({Role.ANYONE}),
    "fork-author": frozenset({Role.ANYONE, Role.AUTHOR}),
}

RULESET = build_ruleset(RepoConfig(), load_builtins(), [])
SETTINGS = settings(
    max_examples=400, deadline=None, database=None, derandomize=bool(os.environ.get("CI"))
)

ticks = st.lists(st.sampled_from(ITEMS), unique=True, max_size=3)
actions = st.lists(
    st.one_of(
        st.tuples(
            st.just("edit"),
            st.sampled_from(sorted(PEOPLE)),
            ticks,
            ticks,
            st.integers(min_value=0, max_value=30),  # GitHub's time of the edit, in seconds
        ),
        st.tuples(st.just("declare"), st.sampled_from(sorted(PEOPLE))),
        st.tuples(st.just("override"), st.sampled_from(sorted(PEOPLE))),
        st.tuples(st.just("push"), st.sampled_from(sorted(PEOPLE))),
    ),
    max_size=25,
)


def analysis(head: str) -> Analysis:
    required = tuple(ChecklistItem(item, item, required=True) for item in ITEMS)
    return Analysis(
        base_sha=BASE,
        head_sha=head,
        ai=AIDetection(True, 1.0),
        risk=Risk(64, Level.HIGH, (Signal("critical_paths", 0, 25, "none"),)),
        checklist=(SelectedChecklist("security", "Security", required),),
        approvals=ApprovalRequirement(0, ()),  # only the required ticks hold the gate
        gated=True,
    )


def context(commits: list[Commit]) -> PullRequestContext:
    snapshot = Snapshot(
        base_sha=BASE, head_sha=commits[-1].sha, author=AUTHOR, commits=tuple(commits)
    )
    return PullRequestContext(
        RepoRef("acme", "widgets", "1"), 1, snapshot, (), None, None, (), None
    )


def apply(state: PullState, commits: list[Commit], action: tuple[object, ...]) -> PullState:
    kind, login = action[0], str(action[1])
    roles = PEOPLE[login]
    head = commits[-1].sha
    if kind == "edit":
        ticked, unticked, second = action[2], action[3], action[4]
        edit = TickEdit(tuple(ticked), tuple(unticked), f"2026-12-04T10:00:{second:02d}Z")  # type: ignore[arg-type]
        state, _ = apply_tick_edit(state, edit, login, roles, head)
    elif kind == "declare" and may_loosen(roles):
        state = replace(state, declaration=Declaration(login, None, "why", head))
    elif kind == "override" and may_run(COMMANDS["override"], roles):
        state = replace(state, override=Override(login, "why", head))
    return state


@SETTINGS
@given(actions)
def test_no_sequence_of_comments_edits_and_commands_below_a_senior_passes(
    sequence: list[tuple[object, ...]],
) -> None:
    person = Person("Dev", "dev@example.com", AUTHOR)
    commits = [Commit("c" * 40, "Start", person, person, (BASE,))]
    state = PullState()
    for step, action in enumerate(sequence):
        if action[0] == "push":
            commits.append(Commit(f"{step + 1:040x}", "More", person, person, (commits[-1].sha,)))
        state = apply(state, commits, action)
        pull = context(commits)
        state = compose.end_on_push(state, pull, frozenset())
        found = compose.GitHubFacts(member_of={})
        facts = compose.pull_request_facts(pull, RULESET, analysis(commits[-1].sha), state, found)
        decision = decide(analysis(commits[-1].sha), ApprovalsConfig(), facts)

        assert decision.conclusion is not Conclusion.SUCCESS, (sequence[: step + 1], decision)
        assert state.declaration is None
        assert state.override is None
        assert not state.ticks
