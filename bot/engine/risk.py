"""Weighing signal findings into the 0..100 score and its level."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.config.levels import Level
from bot.config.signals import SIGNAL_IDS
from bot.engine.result import Risk, Signal, SignalFinding, Skipped
from bot.engine.ruleset import Ruleset

# How many unmeasured files the note names; the signals' `skipped` lists name them all.
MAX_NAMED = 10


@dataclass(frozen=True, slots=True)
class Unmeasured:
    """What the analysis could not read of a change: risk it cannot score, so never zero."""

    files: tuple[Skipped, ...] = ()
    files_unseen: bool = False  # the source listed only some of the changed files

    def __bool__(self) -> bool:
        return bool(self.files) or self.files_unseen


def score_risk(
    findings: Sequence[SignalFinding],
    ruleset: Ruleset,
    notes: Sequence[str] = (),
    *,
    unmeasured: Unmeasured = Unmeasured(),
) -> Risk:
    """Each signal scores `weight * intensity` points; the total is capped at 100.

    The level comes from the score's thresholds, raised to any signal's floor (a hard-coded
    secret is at least high, whatever else the change looks like), and to
    `risk.limits.unmeasured_floor` when part of the change could not be analysed.
    """
    by_id = {finding.id: finding for finding in findings}
    signals: list[Signal] = []
    level_floor = Level.LOW
    for signal_id in SIGNAL_IDS:
        finding = by_id.get(signal_id) or SignalFinding(signal_id, 0.0, "not measured")
        weight = ruleset.weights.of(signal_id)
        points = round(weight * max(0.0, min(1.0, finding.intensity)))
        if points and finding.min_level > level_floor:
            level_floor = finding.min_level
        signals.append(
            Signal(
                id=signal_id,
                score=points,
                weight=weight,
                detail=finding.detail,
                locations=finding.locations,
                skipped=finding.skipped,
                tags=finding.tags,
            )
        )
    score = min(100, sum(s.score for s in signals))
    level = max(ruleset.levels.level_of(score), level_floor)
    all_notes = list(notes)
    if unmeasured:
        floor = ruleset.config.risk.limits.unmeasured_floor
        level = max(level, floor)
        all_notes.append(unmeasured_note(unmeasured, floor))
    return Risk(score=score, level=level, signals=tuple(signals), notes=tuple(all_notes))


def unmeasured_note(unmeasured: Unmeasured, floor: Level) -> str:
    """Which files were not fully analysed and why, and the level that this holds up."""
    named = [f"{entry.path} ({entry.reason})" for entry in unmeasured.files[:MAX_NAMED]]
    if len(unmeasured.files) > MAX_NAMED:
        named.append(f"{len(unmeasured.files) - MAX_NAMED} more")
    if unmeasured.files_unseen:
        named.append("the changed files the source did not list")
    what = "not fully analysed"
    if floor > Level.LOW:
        what += f", so the level is at least {floor.value} (risk.limits.unmeasured_floor)"
    return f"{what}: {'; '.join(named)}"
