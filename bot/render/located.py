"""The findings a CI tool can pin to a line (SARIF results, workflow annotations): every
location with a rule id and a line, with the level it is reported at."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.config.levels import Severity
from bot.engine.result import Analysis, Location

# What a finding's severity is reported as; uncounted findings (in tests, or from rules too
# imprecise to gate on) are notes whatever their severity.
_SEVERITY_LEVEL = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}
# Findings without a severity are measurements (complexity) unless their signal says otherwise.
_UNRATED_LEVEL = {"dependencies": "warning"}


class Level(StrEnum):
    """SARIF's result levels; workflow commands say `notice` for a note."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Located:
    signal: str
    location: Location
    rule: str
    line: int
    level: Level


def located_findings(analysis: Analysis) -> list[Located]:
    """Findings on a line, most severe first, then by path and line."""
    found: list[Located] = []
    for signal in analysis.risk.signals:
        for location in signal.locations:
            if location.rule is None or location.line is None:
                continue
            found.append(
                Located(
                    signal.id, location, location.rule, location.line, _level(signal.id, location)
                )
            )
    order = list(Level)
    found.sort(key=lambda f: (order.index(f.level), f.location.path, f.line, f.rule))
    return found


def counted_first(locations: Iterable[Location]) -> list[Location]:
    """Counted findings before the ones shown only, each group in its own order: a report's cap
    on locations never hides a finding that moved the score behind notes that did not."""
    ordered = list(locations)
    return [loc for loc in ordered if loc.counted] + [loc for loc in ordered if not loc.counted]


NOT_COUNTED = "not counted"


def _level(signal: str, location: Location) -> Level:
    if not location.counted:
        return Level.NOTE
    if location.severity is None:
        return Level(_UNRATED_LEVEL.get(signal, "note"))
    return Level(_SEVERITY_LEVEL[location.severity])


def described(location: Location) -> str:
    """The finding's message with where it came from: `… (bandit B608, CWE-89)`."""
    extra = [
        part for part in (location.source, f"CWE-{location.cwe}" if location.cwe else "") if part
    ]
    message = location.message or location.rule or "finding"
    return f"{message} ({', '.join(extra)})" if extra else message
