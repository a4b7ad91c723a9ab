"""Replies to comment commands that are pure functions of an analysis."""

from __future__ import annotations

from bot.engine.result import Analysis
from bot.render.escape import md_code, md_text
from bot.render.markdown import SIGNAL_TITLES

MAX_EXPLAINED_LOCATIONS = 10


def explain(analysis: Analysis) -> str:
    """The score per signal: weight times intensity, and the lines behind each."""
    risk = analysis.risk
    lines = [
        f"**Risk {risk.level}: {risk.score}/100**, the sum of each signal's points "
        "(its weight times how strongly it fired), capped at 100.",
        "",
        "| Signal | Points | Weight | Why |",
        "| --- | ---: | ---: | --- |",
    ]
    for signal in risk.signals:
        lines.append(
            f"| {SIGNAL_TITLES.get(signal.id, signal.id)} | {signal.score} | {signal.weight} "
            f"| {md_text(signal.detail)} |"
        )
    for signal in risk.signals:
        if not signal.locations:
            continue
        lines += ["", f"**{SIGNAL_TITLES.get(signal.id, signal.id)}**"]
        for location in signal.locations[:MAX_EXPLAINED_LOCATIONS]:
            place = location.path + (f":{location.line}" if location.line else "")
            lines.append(f"- {md_code(place)} {md_text(location.message)}")
        if len(signal.locations) > MAX_EXPLAINED_LOCATIONS:
            lines.append(f"- … and {len(signal.locations) - MAX_EXPLAINED_LOCATIONS} more")
    return "\n".join(lines)
