"""The labels a review keeps on a pull request: true of the head, moved as the risk and the gate
move, only the App's own ever removed, and one a person took off never put back for that head."""

from __future__ import annotations

from types import MappingProxyType

from bot.config.labels import LabelsConfig
from bot.config.levels import Level
from bot.engine.policy import Conclusion, Decision, GateRule
from bot.engine.pull_state import PullState
from bot.engine.result import AIDetection, Analysis, ApprovalRequirement, Evidence, Risk
from bot.review.labels import label_changes, recorded, wanted_labels

BASE, HEAD, NEXT = "b" * 40, "1" * 40, "2" * 40
WAITING = Decision(Conclusion.ACTION_REQUIRED, "Needs 1 more approval", GateRule.MISSING)
APPROVED = Decision(Conclusion.SUCCESS, "Approved by @alice", GateRule.APPROVED)
NOT_GATED = Decision(Conclusion.SUCCESS, "Not AI-assisted", GateRule.NOT_GATED)
DECLARED = Decision(Conclusion.SUCCESS, "Declared not AI-assisted", GateRule.DECLARED_HUMAN)
CONFIG = LabelsConfig()


def analysis(level: Level = Level.HIGH, *, assisted: bool = True) -> Analysis:
    evidence = (Evidence("trailer", "claude-code", "Co-Authored-By: Claude", "c" * 40),)
    return Analysis(
        base_sha=BASE,
        head_sha=HEAD,
        ai=AIDetection(assisted, 1.0 if assisted else 0.0, evidence if assisted else ()),
        risk=Risk(64, level, ()),
        checklist=(),
        approvals=ApprovalRequirement(1, ()),
        gated=assisted,
    )


def names(specs: object) -> list[str]:
    return [spec.name for spec in specs]  # type: ignore[attr-defined]


def state(own: tuple[str, ...] = (), held: dict[str, str] | None = None) -> PullState:
    return PullState(labels_own=own, labels_held=MappingProxyType(held or {}))


def test_a_gated_ai_pull_request_gets_ai_tool_risk_and_gate_labels() -> None:
    changes = label_changes(CONFIG, analysis(), WAITING, PullState(), ("bug",), HEAD)

    assert changes is not None
    assert names(changes.add) == [
        "ai-review: assisted",
        "ai-tool: claude-code",
        "ai-risk: high",
        "ai-review: waiting",
    ]
    assert changes.remove == ()
    assert {spec.color for spec in changes.add} == {"8250df", "c5def5", "d93f0b", "fbca04"}


def test_the_risk_and_gate_labels_move_and_the_old_ones_the_app_set_come_off() -> None:
    own = ("ai-review: assisted", "ai-risk: high", "ai-review: waiting")
    before = state(own, dict.fromkeys(own, HEAD))

    changes = label_changes(
        CONFIG, analysis(Level.MEDIUM), APPROVED, before, (*own, "ai-tool: claude-code"), NEXT
    )

    assert changes is not None
    assert names(changes.add) == ["ai-risk: medium", "ai-review: passed"]
    assert changes.remove == ("ai-review: waiting", "ai-risk: high")


def test_a_label_a_person_put_on_is_never_removed() -> None:
    changes = label_changes(CONFIG, analysis(), NOT_GATED, PullState(), ("ai-risk: high",), HEAD)

    assert changes is not None
    assert changes.remove == ()
    assert changes.add == ()


def test_a_label_a_person_took_off_is_not_put_back_for_that_head_but_is_for_the_next() -> None:
    own = ("ai-review: assisted", "ai-review: waiting", "ai-risk: high", "ai-tool: claude-code")
    before = state(own, dict.fromkeys(own, HEAD))
    present = own[:1] + own[2:]  # someone took the gate label off

    changes = label_changes(CONFIG, analysis(), WAITING, before, present, HEAD)
    assert changes is not None
    assert (changes.add, changes.remove) == ((), ())
    assert changes.taken_off == ("ai-review: waiting",)
    after = recorded(before, changes, HEAD, (), ())
    assert "ai-review: waiting" not in after.labels_own  # no longer the App's own
    assert after.labels_held["ai-review: waiting"] == HEAD

    again = label_changes(CONFIG, analysis(), WAITING, after, present, HEAD)
    assert again is not None
    assert "ai-review: waiting" not in names(again.add)

    pushed = label_changes(CONFIG, analysis(), WAITING, after, present, NEXT)
    assert pushed is not None
    assert "ai-review: waiting" in names(pushed.add)


def test_a_change_no_longer_gated_loses_the_apps_labels_only() -> None:
    own = ("ai-review: assisted", "ai-review: waiting")
    before = state(own, dict.fromkeys(own, HEAD))

    for decision in (NOT_GATED, DECLARED):
        changes = label_changes(
            CONFIG, analysis(assisted=False), decision, before, (*own, "bug"), NEXT
        )
        assert changes is not None
        assert (changes.add, changes.remove) == ((), ("ai-review: assisted", "ai-review: waiting"))


def test_labels_turned_off_take_the_apps_own_off_and_then_cost_nothing() -> None:
    off = LabelsConfig(enabled=False)
    before = state(("ai-review: assisted",), {"ai-review: assisted": HEAD})

    changes = label_changes(off, analysis(), WAITING, before, ("ai-review: assisted",), HEAD)
    assert changes is not None
    assert changes.remove == ("ai-review: assisted",)
    after = recorded(before, changes, HEAD, (), changes.remove)
    assert after.labels_own == ()
    assert label_changes(off, analysis(), WAITING, after, (), HEAD) is None


def test_names_come_from_the_config_and_an_empty_name_turns_a_label_off() -> None:
    config = LabelsConfig.model_validate(
        {"ai_assisted": "", "tool": "tool/{tool}", "risk": "risk:{level}", "gate": {"waiting": ""}}
    )

    assert names(wanted_labels(config, analysis(Level.CRITICAL), WAITING)) == [
        "tool/claude-code",
        "risk:critical",
    ]


def test_label_names_are_compared_as_github_does_without_case() -> None:
    own = ("AI-Review: Assisted",)
    before = state(own, {"AI-Review: Assisted": HEAD})

    changes = label_changes(CONFIG, analysis(), WAITING, before, ("ai-review: ASSISTED",), HEAD)

    assert changes is not None
    assert "ai-review: assisted" not in [n.lower() for n in names(changes.add)]
    assert changes.remove == ()
