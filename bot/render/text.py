"""Terminal output for `analyze --format text`: aligned, coloured only on a tty."""

from __future__ import annotations

from collections.abc import Callable

from bot.config.levels import Level
from bot.engine.result import Analysis, Signal
from bot.render.located import NOT_COUNTED, counted_first
from bot.render.markdown import SIGNAL_TITLES

_LEVEL_COLOUR = {Level.LOW: "32", Level.MEDIUM: "33", Level.HIGH: "31", Level.CRITICAL: "1;31"}
MAX_LOCATIONS = 8


def _clean(text: str) -> str:
    """Untrusted text on one line with no control characters (no terminal escapes)."""
    return "".join(ch if ch.isprintable() else " " for ch in " ".join(text.split()))


def _ai_lines(analysis: Analysis, tool_name: Callable[[str], str]) -> list[str]:
    ai = analysis.ai
    if not ai.assisted:
        return ["AI-assisted: no"]
    tools = ", ".join(tool_name(t) for t in ai.tools)
    out = [f"AI-assisted: yes ({tools}), {round(ai.share * 100)}% of changed lines"]
    for item in ai.evidence[:MAX_LOCATIONS]:
        where = item.sha[:10] if item.sha else "PR"
        out.append(f"  {where:<10}  {item.signal:<8}  {_clean(item.detail)}")
    if len(ai.evidence) > MAX_LOCATIONS:
        out.append(f"  … and {len(ai.evidence) - MAX_LOCATIONS} more")
    return out


def _signal_lines(signal: Signal, width: int, bold: Callable[[str], str]) -> list[str]:
    title = SIGNAL_TITLES.get(signal.id, signal.id)
    line = f"  {title:<{width}}  {signal.score:>3}/{signal.weight:<3}  {_clean(signal.detail)}"
    out = [bold(line) if signal.score else line]
    if signal.score:
        for location in counted_first(signal.locations)[:MAX_LOCATIONS]:
            place = location.path + (f":{location.line}" if location.line else "")
            rule = f"[{location.rule}] " if location.rule else ""
            aside = "" if location.counted else f"({NOT_COUNTED}) "
            out.append(f"      {_clean(place)}  {rule}{aside}{_clean(location.message)}")
        if len(signal.locations) > MAX_LOCATIONS:
            out.append(f"      … and {len(signal.locations) - MAX_LOCATIONS} more")
    for skipped in signal.skipped[:MAX_LOCATIONS]:
        out.append(f"      not measured: {_clean(skipped.path)} ({skipped.reason})")
    if len(signal.skipped) > MAX_LOCATIONS:
        out.append(f"      … and {len(signal.skipped) - MAX_LOCATIONS} more not measured")
    return out


def _checklist_lines(analysis: Analysis) -> list[str]:
    if not analysis.checklist:
        return []
    out = ["", "Checklist:"]
    for checklist in analysis.checklist:
        out.append(f"  {checklist.title}")
        for item in checklist.items:
            required = " (required)" if item.required else ""
            out.append(f"    [ ] {item.text}{required}  ({item.id})")
    if analysis.checklist_omitted:
        omitted = analysis.checklist_omitted
        out.append(
            f"  {len(omitted)} more applicable item(s) left out by checklists.max_items: "
            + ", ".join(omitted)
        )
    return out


def render_text(analysis: Analysis, colour: bool, tool_name: Callable[[str], str] = str) -> str:
    def paint(code: str) -> Callable[[str], str]:
        return lambda text: f"\x1b[{code}m{text}\x1b[0m" if colour else text

    risk = analysis.risk
    level = paint(_LEVEL_COLOUR[risk.level])(risk.level.value.upper())
    span = f"{analysis.base_sha[:10]}..{analysis.head_sha[:10]}"
    out = [f"Risk: {level} ({risk.score}/100)   {span}", *_ai_lines(analysis, tool_name), ""]
    width = max(len(title) for title in SIGNAL_TITLES.values())
    for signal in risk.signals:
        out.extend(_signal_lines(signal, width, paint("1")))
    out.extend(f"  note: {_clean(note)}" for note in risk.notes)
    out.extend(_checklist_lines(analysis))
    out.append("")
    if analysis.approvals.required:
        seniors = ", ".join(analysis.approvals.seniors) or "a senior reviewer"
        out.append(f"Approvals: {analysis.approvals.required} needed from {seniors}")
    else:
        out.append("Approvals: none required")
    return "\n".join(out) + "\n"
