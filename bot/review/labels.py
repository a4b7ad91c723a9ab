"""Which labels belong on a pull request after its review, and the bot's record of its own.

Pure: the App writes the changes (bot/github/writer.py) and records what it did with
`recorded`. The record lives in the store (PullState.labels_own, labels_held), never read back
from GitHub's label list: the App removes only labels it put on itself, a label it put on that
a person took off is no longer its own, and a wanted label a person took off is not put back
for the same head. The App's own labels are no evidence of AI use (`own_labels`), so a label
it set can never keep a pull request AI-assisted by itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from types import MappingProxyType

from bot.config.labels import MAX_LABEL_CHARS, LabelsConfig
from bot.config.levels import Level
from bot.engine.policy import Conclusion, Decision, GateRule
from bot.engine.pull_state import PullState
from bot.engine.result import Analysis
from bot.render.posting import LabelChanges, LabelSpec

MAX_TOOL_LABELS = 3
UNNAMED_TOOLS = frozenset({"unspecified", "declared"})
_AI_COLOR = "8250df"
_TOOL_COLOR = "c5def5"
_RISK_COLORS = {
    Level.LOW: "0e8a16",
    Level.MEDIUM: "fbca04",
    Level.HIGH: "d93f0b",
    Level.CRITICAL: "b60205",
}
_WAITING_COLOR = "fbca04"
_PASSED_COLOR = "0e8a16"


def _key(label: str) -> str:
    """GitHub's label names are case-insensitive."""
    return label.casefold()


def _named(template: str, **values: str) -> str:
    name = template
    for placeholder, value in values.items():
        name = name.replace(f"{{{placeholder}}}", value)
    return name[:MAX_LABEL_CHARS].strip()


def _gated(decision: Decision) -> bool:
    """Whether the gate reviewed the change as AI-assisted (a senior's "not AI-assisted"
    declaration and an ungated change get no labels)."""
    return decision.rule not in (GateRule.NOT_GATED, GateRule.DECLARED_HUMAN)


def _tools(analysis: Analysis) -> list[str]:
    named = [tool for tool in analysis.ai.tools if tool not in UNNAMED_TOOLS]
    return named[:MAX_TOOL_LABELS]


def wanted_labels(
    config: LabelsConfig, analysis: Analysis, decision: Decision
) -> tuple[LabelSpec, ...]:
    """The labels that are true of the head: AI-assisted and its tools, the risk level and the
    gate's state, for a change the gate reviewed as AI-assisted; none otherwise."""
    if not config.enabled or not _gated(decision):
        return ()
    wanted: list[LabelSpec] = []
    if analysis.ai.assisted and config.ai_assisted:
        wanted.append(
            LabelSpec(config.ai_assisted, _AI_COLOR, "ai-review: the change is AI-assisted")
        )
    if analysis.ai.assisted and config.tool:
        for tool in _tools(analysis):
            description = f"ai-review: written with {tool}"
            wanted.append(LabelSpec(_named(config.tool, tool=tool), _TOOL_COLOR, description))
    level = analysis.risk.level
    if config.risk:
        description = f"ai-review: risk {level.value}"
        name = _named(config.risk, level=level.value)
        wanted.append(LabelSpec(name, _RISK_COLORS[level], description))
    waiting = decision.conclusion is Conclusion.ACTION_REQUIRED
    gate = config.gate.waiting if waiting else config.gate.passed
    if gate:
        description = (
            "ai-review: waiting for senior approval" if waiting else "ai-review: the gate passed"
        )
        wanted.append(LabelSpec(gate, _WAITING_COLOR if waiting else _PASSED_COLOR, description))
    unique: dict[str, LabelSpec] = {}
    for spec in wanted:
        if spec.name:
            unique.setdefault(_key(spec.name), spec)
    return tuple(unique.values())


def label_changes(
    config: LabelsConfig,
    analysis: Analysis,
    decision: Decision,
    state: PullState,
    present: Iterable[str],
    head_sha: str,
) -> LabelChanges | None:
    """What to add and remove so the labels tell the truth about the head, given the labels
    `present` on the pull request as gathered. None when the config turns labels off and the
    App has none of its own left to take off."""
    present = tuple(present)
    on = {_key(label) for label in present}
    own = {_key(label): label for label in state.labels_own}
    if not config.enabled and not own:
        return None
    taken_off = tuple(sorted(label for key, label in own.items() if key not in on))
    held = {_key(label): sha for label, sha in state.labels_held.items()}
    wanted = wanted_labels(config, analysis, decision)
    wanted_keys = {_key(spec.name) for spec in wanted}
    add = tuple(
        spec
        for spec in wanted
        if _key(spec.name) not in on and held.get(_key(spec.name)) != head_sha
    )
    remove = tuple(
        sorted(label for key, label in own.items() if key in on and key not in wanted_keys)
    )
    return LabelChanges(wanted, add, remove, taken_off, present)


def recorded(
    state: PullState,
    changes: LabelChanges,
    head_sha: str,
    added: Iterable[str],
    removed: Iterable[str],
) -> PullState:
    """The bot's record after the writes: `added` are the labels GitHub took, `removed` those
    it took off. Labels a person took off are no longer the bot's; every wanted label on the
    pull request now is held at this head."""
    added_keys = {_key(label) for label in added}
    removed_keys = {_key(label) for label in removed}
    gone = {_key(label) for label in changes.taken_off} | removed_keys
    own = {_key(label): label for label in state.labels_own if _key(label) not in gone}
    own.update({_key(label): label for label in added})
    now_on = {_key(label) for label in changes.present} - removed_keys | added_keys
    wanted = {_key(spec.name): spec.name for spec in changes.wanted}
    held = {
        label: sha
        for label, sha in state.labels_held.items()
        if _key(label) in wanted and _key(label) not in now_on
    }
    held.update({name: head_sha for key, name in wanted.items() if key in now_on})
    return replace(
        state,
        labels_own=tuple(sorted(own.values())),
        labels_held=MappingProxyType(dict(sorted(held.items()))),
    )


def own_labels(state: PullState) -> tuple[str, ...]:
    """Labels the bot put on itself: not evidence of AI use, whatever detection's labels are."""
    return state.labels_own


def without_own(present: Iterable[str], own: Iterable[str]) -> tuple[str, ...]:
    """The labels on the pull request that people (or other Apps) put there."""
    mine = {_key(label) for label in own}
    return tuple(label for label in present if _key(label) not in mine)
