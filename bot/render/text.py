"""Terminal output for `analyze --format text`: aligned, coloured only on a tty."""

from __future__ import annotations

from collections.abc import Callable

from bot.engine.result import Analysis, Level
from bot.render.markdown import SIGNAL_TITLES

_LEVEL_COLOUR = {Level.LOW: "32", Level.MEDIUM: "33", Level.HIGH: "31", Level.CRITICAL: "1;31"}
MAX_LOCATIONS = 8


def _clean(text: str) -> str:
    """Untrusted text on one line with no control characters (no terminal escapes)."""
    return "".join(ch if ch.isprintable() else " " for ch in " ".join(text.split()))


def render_text(analysis: Analysis, colour: bool, tool_name: Callable[[str], str] = str) -> str:
    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if colour else text

    risk = analysis.risk
    ai = analysis.ai
    out: list[str] = []
    level = paint(f"{risk.level.value.upper()}", _LEVEL_COLOUR[risk.level])
    out.append(f"Risk: {level} ({risk.score}/100)   {analysis.base_sha[:10]}..{analysis.head_sha[:10]}")
    if ai.assisted:
        tools = ", ".join(tool_name(t) for t in ai.tools)
        out.append(f"AI-assisted: yes ({tools}), {round(ai.share * 100)}% of changed lines")
        for item in ai.evidence[:10]:
            where = item.sha[:10] if item.sha else "PR"
            out.append(f"  {where:<10}  {item.signal:<8}  {_clean(item.detail)}")
        if len(ai.evidence) > 10:
            out.append(f"  … and {len(ai.evidence) - 10} more")
    else:
        out.append("AI-assisted: no")
    out.append("")
    width = max(len(title) for title in SIGNAL_TITLES.values())
    for signal in risk.signals:
        title = SIGNAL_TITLES.get(signal.id, signal.id)
        points = f"{signal.score:>3}/{signal.weight:<3}"
        line = f"  {title:<{width}}  {points}  {_clean(signal.detail)}"
        out.append(paint(line, "1") if signal.score and colour else line)
        for location in signal.locations[:MAX_LOCATIONS] if signal.score else ():
            place = location.path + (f":{location.line}" if location.line else "")
            rule = f"[{location.rule}] " if location.rule else ""
            out.append(f"      {_clean(place)}  {rule}{_clean(location.message)}")
        if signal.score and len(signal.locations) > MAX_LOCATIONS:
            out.append(f"      … and {len(signal.locations) - MAX_LOCATIONS} more")
        for skipped in signal.skipped[:MAX_LOCATIONS]:
            out.append(f"      not measured: {_clean(skipped.path)} ({skipped.reason})")
        if len(signal.skipped) > MAX_LOCATIONS:
            out.append(f"      … and {len(signal.skipped) - MAX_LOCATIONS} more not measured")
    for note in risk.notes:
        out.append(f"  note: {_clean(note)}")
    if analysis.checklist:
        out.append("")
        out.append("Checklist:")
        for checklist in analysis.checklist:
            out.append(f"  {checklist.title}")
            for item in checklist.items:
                required = " (required)" if item.required else ""
                out.append(f"    [ ] {item.text}{required}  ({item.id})")
    out.append("")
    if analysis.approvals.required:
        seniors = ", ".join(analysis.approvals.seniors) or "a senior reviewer"
        out.append(f"Approvals: {analysis.approvals.required} needed from {seniors}")
    else:
        out.append("Approvals: none required")
    return "\n".join(out) + "\n"
