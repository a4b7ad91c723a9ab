"""Property tests of the pure gate: whatever non-seniors do, a head that needs approval passes
only when a senior approved it.

A scenario is a random history of one pull request: pushes (ordinary commits, web-UI edits,
forged and proven-clean "Update branch" merges, commits signed by an ignored bot or only
carrying its e-mail, force-pushes), reviews by anyone (the author, seniors, a contributor,
people with and without write access, bots) on the head or on any commit ever pushed, and
dismissals of anyone's latest review by anyone. The oracle below restates the rules from the
scenario's own history (the true push order, not the order GitHub lists commits in) and the
gate must agree with it exactly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

from hypothesis import event, given, settings
from hypothesis import strategies as st

from bot.config.approvals import ApprovalsConfig
from bot.config.levels import Level
from bot.engine.policy import Conclusion, PullRequestFacts, decide
from bot.engine.result import AIDetection, Analysis, ApprovalRequirement, Risk
from bot.engine.reviews import Review, ReviewState
from bot.engine.snapshot import Commit, Person

AUTHOR = "dev"
SENIOR_TEAM = "@acme/architects"
HUMANS = ("dev", "alice", "carol", "bob", "stranger")
BOTS = ("ci", "renovate[bot]")  # "ci" as GraphQL names an App: no suffix, type Bot
PEOPLE = HUMANS + BOTS
# The config lists a team; the author and both bots are in it too (bots must still not count).
IN_TEAM = frozenset({"dev", "alice", "carol", "ci", "renovate[bot]"})
WRITE_ACCESS = frozenset({"dev", "alice", "carol", "bob", "ci", "renovate[bot]"})
IGNORED = "renovate[bot]"
BASE = "b" * 40
APPROVED, CHANGES = ReviewState.APPROVED, ReviewState.CHANGES_REQUESTED
COMMENTED, DISMISSED = ReviewState.COMMENTED, ReviewState.DISMISSED

PROPERTY_SETTINGS = settings(
    max_examples=500,
    deadline=None,
    database=None,
    derandomize=bool(os.environ.get("CI")),
)


@dataclass
class History:
    """One pull request's history as it happened."""

    chain: list[Commit] = field(default_factory=list)
    ever_pushed: list[str] = field(default_factory=list)
    clean_merges: set[str] = field(default_factory=set)
    reviews: list[Review] = field(default_factory=list)
    next_sha: int = 1

    def sha(self) -> str:
        self.next_sha += 1
        return f"{self.next_sha:040x}"

    def push(self, kind: str, author: str, force: bool) -> None:
        if force:
            self.chain = []
        parent = self.chain[-1].sha if self.chain else BASE
        sha = self.sha()
        person = Person(author, f"{author}@example.com", author)
        merge_parents = (parent, f"{self.next_sha:039x}f")
        built = {
            "plain": Commit(sha, "Change", person, person, (parent,)),
            "web_edit": Commit(sha, "Edit", person, person, (parent,), signed_by="web-flow"),
            "forged_merge": Commit(
                sha, "Merge branch 'main' into feature", person, person, merge_parents
            ),
            "signed_merge": Commit(
                sha,
                "Merge branch 'main' into feature",
                person,
                Person("GitHub", "noreply@github.com"),
                merge_parents,
                signed_by="web-flow",
            ),
            "clean_merge": Commit(
                sha,
                "Merge branch 'main' into feature",
                person,
                Person("GitHub", "noreply@github.com"),
                merge_parents,
                signed_by="web-flow",
            ),
            "ignored_signed": Commit(
                sha, "Bump", Person(IGNORED, "r@x", IGNORED), person, (parent,), signed_by=IGNORED
            ),
            "ignored_email": Commit(
                sha, "Bump", Person(IGNORED, "r@x", IGNORED), person, (parent,)
            ),
        }[kind]
        if kind == "clean_merge":
            self.clean_merges.add(sha)
        self.chain.append(built)
        self.ever_pushed.append(sha)

    def review(self, login: str, state: ReviewState, on_commit: int | None) -> None:
        if not self.chain:
            return
        commit_id = self.chain[-1].sha if on_commit is None else self.ever_pushed[on_commit]
        self.reviews.append(Review(login, state, commit_id, is_bot=login == "ci"))

    def dismiss(self, login: str, by: str | None) -> None:
        # What gather hands the gate: an App's login as REST spells it, "[bot]" and all.
        by = f"{by}[bot]" if by == "ci" else by
        for index in range(len(self.reviews) - 1, -1, -1):
            found = self.reviews[index]
            if found.login == login and found.state in (APPROVED, CHANGES):
                self.reviews[index] = replace(
                    found, state=DISMISSED, dismissed_by=by, previous_state=found.state
                )
                return


push_kinds = st.sampled_from(
    [
        "plain",
        "web_edit",
        "forged_merge",
        "signed_merge",
        "clean_merge",
        "ignored_signed",
        "ignored_email",
    ]
)
# Weighted towards what makes a head pass, so that passing heads are common enough to test.
pushers = st.sampled_from([AUTHOR, AUTHOR, AUTHOR, "alice", "bob", "stranger"])
reviewers = st.sampled_from([*PEOPLE, "alice", "carol", "carol"])
dismissers = st.sampled_from([AUTHOR, AUTHOR, None, *PEOPLE])
seldom = st.sampled_from([False, False, False, True])
events = st.one_of(
    st.tuples(st.just("push"), push_kinds, pushers, seldom),
    st.tuples(
        st.just("review"),
        reviewers,
        st.sampled_from([APPROVED, APPROVED, APPROVED, CHANGES, COMMENTED]),
        st.one_of(st.none(), st.none(), st.integers(min_value=0, max_value=40)),
    ),
    st.tuples(st.just("dismiss"), reviewers, dismissers),
)
# What may follow the last approvals: pushes that keep them, and look-alikes that must not.
tail_kinds = st.sampled_from(
    ["clean_merge", "ignored_signed", "ignored_email", "signed_merge", "web_edit"]
)


@dataclass(frozen=True)
class Scenario:
    history: History
    config: ApprovalsConfig
    analysis: Analysis
    facts: PullRequestFacts
    shown: tuple[Commit, ...]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    history = History()
    history.push("plain", AUTHOR, force=False)
    # A senior's change request that someone dismisses: does it still block?
    for login, by in draw(st.lists(st.tuples(reviewers, dismissers), max_size=1)):
        history.review(login, CHANGES, None)
        history.dismiss(login, by)
    for happened in draw(st.lists(events, max_size=20)):
        match happened:
            case ("push", kind, author, force):
                history.push(kind, author, force)
            case ("review", login, state, on_commit):
                if on_commit is not None:
                    on_commit %= len(history.ever_pushed)
                history.review(login, state, on_commit)
            case ("dismiss", login, by):
                history.dismiss(login, by)
    for login in draw(st.lists(reviewers, max_size=2)):
        history.review(login, APPROVED, None)
    for kind in draw(st.lists(tail_kinds, max_size=2)):
        history.push(kind, AUTHOR, force=False)
    with_seniors = draw(st.booleans())
    config = ApprovalsConfig(
        seniors=[SENIOR_TEAM] if with_seniors else [],
        ignored_authors=[IGNORED, "web-flow"] if draw(st.booleans()) else [IGNORED],
    )
    gated = not draw(seldom)
    required = draw(st.sampled_from([1, 1, 2, 0]))
    analysis = Analysis(
        base_sha=BASE,
        head_sha=history.chain[-1].sha,
        ai=AIDetection(gated, 1.0 if gated else 0.0),
        risk=Risk(64, Level.HIGH, ()),
        checklist=(),
        approvals=ApprovalRequirement(required, (SENIOR_TEAM,)),
        gated=gated,
    )
    # GitHub lists commits by date, which the pusher writes; and lists at most 250 of them.
    shown = list(history.chain)
    cut = draw(seldom) and len(shown) > 1
    if cut:
        shown = shown[: draw(st.integers(min_value=1, max_value=len(shown) - 1))]
    shown = draw(st.permutations(shown))
    facts = PullRequestFacts(
        author=AUTHOR,
        head_sha=history.chain[-1].sha,
        base_branch="main",
        commits=tuple(shown),
        reviews=tuple(history.reviews),
        memberships={login: frozenset({SENIOR_TEAM}) for login in IN_TEAM},
        write_access=WRITE_ACCESS,
        clean_merges=frozenset(history.clean_merges),
        incomplete=("more than 1,000 reviews (the bot reads 1,000)",) if draw(seldom) else (),
        commits_total=len(history.chain) if cut else None,
    )
    return Scenario(history, config, analysis, facts, tuple(shown))


# -- the oracle: the rules, restated over the scenario's true history ---------------------------


def is_bot(login: str) -> bool:
    return login in BOTS or login.endswith("[bot]")


def is_senior(login: str, config: ApprovalsConfig) -> bool:
    if is_bot(login):
        return False
    return login in (IN_TEAM if config.seniors else WRITE_ACCESS)


def keeps_approvals(commit: Commit, scenario: Scenario) -> bool:
    ignored = {login for login in scenario.config.ignored_authors if login != "web-flow"}
    return commit.sha in scenario.history.clean_merges or commit.signed_by in ignored


def approval_holds(review: Review, scenario: Scenario) -> bool:
    """The approved commit is the head, or only clean merges and ignored signed commits were
    pushed on top of it (and the bot can see all of that)."""
    facts, chain = scenario.facts, scenario.history.chain
    if review.commit_id == facts.head_sha:
        return True
    if facts.incomplete or facts.commits_total is not None:
        return False
    shas = [c.sha for c in chain]
    if review.commit_id not in shas:
        return False
    return all(keeps_approvals(c, scenario) for c in chain[shas.index(review.commit_id) + 1 :])


def latest_verdicts(reviews: tuple[Review, ...]) -> dict[str, Review]:
    latest = {}
    for review in reviews:
        if review.state is not COMMENTED:
            latest[review.login] = review
    return latest


def qualifying_approvers(scenario: Scenario) -> set[str]:
    contributors = {c.author.login for c in scenario.shown if not c.is_merge}
    return {
        login
        for login, review in latest_verdicts(scenario.facts.reviews).items()
        if review.state is APPROVED
        and not is_bot(login)
        and login != AUTHOR
        and login not in contributors
        and is_senior(login, scenario.config)
        and approval_holds(review, scenario)
    }


def standing_change_request(scenario: Scenario) -> bool:
    config = scenario.config
    for login, review in latest_verdicts(scenario.facts.reviews).items():
        if not is_senior(login, config):
            continue
        if review.state is CHANGES:
            return True
        by = review.dismissed_by
        undone_by_a_senior = by is not None and by != AUTHOR and is_senior(by, config)
        if (
            review.state is DISMISSED
            and review.previous_state is CHANGES
            and not undone_by_a_senior
        ):
            return True
    return False


def approvals_needed(scenario: Scenario) -> int:
    required = scenario.analysis.approvals.required
    if scenario.facts.incomplete:
        return max(1, required)
    return required if scenario.analysis.gated else 0


# -- the properties -----------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(scenarios())
def test_a_head_that_needs_approval_passes_only_with_enough_senior_approvals(
    scenario: Scenario,
) -> None:
    decision = decide(scenario.analysis, scenario.config, scenario.facts)
    needed = approvals_needed(scenario)

    if decision.passed and needed >= 1:
        assert len(qualifying_approvers(scenario)) >= needed
        assert not standing_change_request(scenario)


@PROPERTY_SETTINGS
@given(scenarios())
def test_the_gate_passes_exactly_when_the_rules_say_so(scenario: Scenario) -> None:
    decision = decide(scenario.analysis, scenario.config, scenario.facts)
    needed = approvals_needed(scenario)
    expected = needed == 0 or (
        len(qualifying_approvers(scenario)) >= needed and not standing_change_request(scenario)
    )

    event(f"needs {needed}, {'passes' if expected else 'waits'}")
    assert decision.passed is expected, decision
    if not expected:
        assert decision.conclusion is Conclusion.ACTION_REQUIRED
        assert decision.title.startswith(("Needs ", "Changes requested by "))
