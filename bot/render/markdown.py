"""Markdown: the pull request comment the App posts, and `analyze --format markdown`.

Checklist items are task-list items carrying their ids in an HTML comment, so the App can read
back which items a senior ticked (`parse_ticks`) from the comment as it stands on GitHub.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from bot.config import signals as signal_declarations
from bot.engine.result import Analysis, Evidence, Location, Signal
from bot.render.escape import md_code, md_text, mention
from bot.render.located import NOT_COUNTED, counted_first

MARKER = "<!-- ai-review -->"
# GitHub refuses comment bodies over 65,536 characters; keep a margin for the truncation note.
MAX_COMMENT = 65_000
MAX_EVIDENCE_ROWS = 10
MAX_LOCATIONS_PER_SIGNAL = 5

_ITEM = re.compile(
    r"^\s*[-*] \[(?P<mark>[ xX])\] .*<!-- ai-review-item:(?P<id>[a-z0-9][a-z0-9._-]*) -->"
)

# Every report (this one, text, command replies) prints the titles declared with the signals.
SIGNAL_TITLES = signal_declarations.SIGNAL_TITLES


def _where(location: Location) -> str:
    place = location.path if location.line is None else f"{location.path}:{location.line}"
    return md_code(place)


def risk_table(analysis: Analysis) -> str:
    """The per-signal table: the check run's summary and the comment share it."""
    rows = [
        "| Signal | Points | Max | What was found |",
        "| --- | ---: | ---: | --- |",
    ]
    for signal in analysis.risk.signals:
        rows.append(
            f"| {SIGNAL_TITLES.get(signal.id, signal.id)} | {signal.score} | {signal.weight} "
            f"| {md_text(signal.detail, 200)} |"
        )
    rows.append(
        f"| **Total** | **{analysis.risk.score}** | 100 | level **{analysis.risk.level}** |"
    )
    return "\n".join(rows)


def _evidence_lines(evidence: Iterable[Evidence], tool_name: Callable[[str], str]) -> list[str]:
    shown = list(evidence)
    lines = []
    for item in shown[:MAX_EVIDENCE_ROWS]:
        where = f"commit {md_code(item.sha[:10])}" if item.sha else "pull request"
        lines.append(f"- {tool_name(item.tool)}: {item.signal} in {where}: {md_code(item.detail)}")
    if len(shown) > MAX_EVIDENCE_ROWS:
        lines.append(f"- … and {len(shown) - MAX_EVIDENCE_ROWS} more")
    return lines


def _findings(signals: Iterable[Signal]) -> list[str]:
    lines: list[str] = []
    for signal in signals:
        if not signal.score or not signal.locations:
            continue
        lines.append(f"**{SIGNAL_TITLES.get(signal.id, signal.id)}**")
        for location in counted_first(signal.locations)[:MAX_LOCATIONS_PER_SIGNAL]:
            rule = f" {md_code(location.rule)}" if location.rule else ""
            aside = "" if location.counted else f" *({NOT_COUNTED})*"
            lines.append(f"- {_where(location)}{rule}{aside} {md_text(location.message, 200)}")
        if len(signal.locations) > MAX_LOCATIONS_PER_SIGNAL:
            lines.append(f"- … and {len(signal.locations) - MAX_LOCATIONS_PER_SIGNAL} more")
    return lines


def checklist_lines(analysis: Analysis, ticked: dict[str, str] | None = None) -> list[str]:
    """Task-list items; `ticked` maps item id to who ticked it, to keep ticks across updates."""
    ticked = ticked or {}
    lines: list[str] = []
    for checklist in analysis.checklist:
        lines.append(f"**{md_text(checklist.title)}**")
        for item in checklist.items:
            mark = "x" if item.id in ticked else " "
            required = " *(required)*" if item.required else ""
            by = f" — ticked by {md_text(ticked[item.id])}" if ticked.get(item.id) else ""
            lines.append(
                f"- [{mark}] {md_text(item.text, 500)}{required}{by} "
                f"<!-- ai-review-item:{item.id} -->"
            )
            if item.why:
                lines.append(f"  <sub>Why: {md_text(item.why, 500)}</sub>")
        lines.append("")
    return lines


def parse_ticks(body: str) -> dict[str, bool]:
    """Item id -> ticked, read back from a comment this module rendered (and people edited)."""
    state: dict[str, bool] = {}
    for line in body.splitlines():
        found = _ITEM.match(line)
        if found:
            state[found.group("id")] = found.group("mark") != " "
    return state


def render_comment(
    analysis: Analysis,
    tool_name: Callable[[str], str] = str,
    ticked: dict[str, str] | None = None,
    approvals_note: str | None = None,
    state_marker: str = "",
) -> str:
    """The whole comment, within GitHub's size limit; `state_marker` rides hidden at its end."""
    risk = analysis.risk
    ai = analysis.ai
    parts = [
        MARKER,
        f"## AI review: {risk.level} risk ({risk.score}/100)",
        "",
    ]
    if ai.assisted:
        tools = ", ".join(tool_name(t) for t in ai.tools)
        parts.append(
            f"**AI-assisted** ({tools}); AI-tagged commits account for "
            f"{round(ai.share * 100)}% of the changed lines."
        )
        parts.extend(_evidence_lines(ai.evidence, tool_name))
    else:
        parts.append("No AI assistance detected.")
    parts += ["", risk_table(analysis), ""]
    findings = _findings(risk.signals)
    if findings:
        parts += [
            "<details><summary>What the signals found</summary>",
            "",
            *findings,
            "",
            "</details>",
            "",
        ]
    if risk.notes:
        parts += [f"> {md_text(note)}" for note in risk.notes] + [""]
    if analysis.checklist:
        parts += ["### Architect review checklist", ""]
        parts += checklist_lines(analysis, ticked)
    if analysis.checklist_omitted:
        omitted = analysis.checklist_omitted
        parts += [
            f"<details><summary>{len(omitted)} more applicable item(s) left out by "
            "<code>checklists.max_items</code></summary>",
            "",
            *(f"- {md_code(item)}" for item in omitted),
            "",
            "</details>",
            "",
        ]
    parts += ["### Approvals", ""]
    if approvals_note is not None:
        parts.append(approvals_note)
    elif analysis.approvals.required:
        seniors = ", ".join(mention(s) for s in analysis.approvals.seniors) or "a senior reviewer"
        parts.append(f"Needs {analysis.approvals.required} approval(s) from {seniors}.")
    else:
        parts.append("No senior approval required at this risk level.")
    body = truncate("\n".join(parts).rstrip() + "\n", MAX_COMMENT - len(state_marker) - 1)
    return body + (state_marker + "\n" if state_marker else "")


def truncate(body: str, limit: int = MAX_COMMENT) -> str:
    if len(body) <= limit:
        return body
    note = "\n\n> Truncated: the full report is longer than GitHub allows in one comment.\n"
    cut = body.rfind("\n", 0, limit - len(note))
    return body[: cut if cut > 0 else limit - len(note)] + note
