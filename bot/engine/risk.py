"""Weighing signal findings into the 0..100 score and its level."""

from __future__ import annotations

from collections.abc import Sequence

from bot.engine.result import SIGNAL_IDS, Level, Risk, Signal, SignalFinding
from bot.engine.ruleset import Ruleset


def score_risk(
    findings: Sequence[SignalFinding], ruleset: Ruleset, notes: Sequence[str] = ()
) -> Risk:
    """Each signal scores `weight * intensity` points; the total is capped at 100.

    The level comes from the score's thresholds, raised to any signal's floor (a hard-coded
    secret is at least high, whatever else the change looks like).
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
    return Risk(score=score, level=level, signals=tuple(signals), notes=tuple(notes))
