"""The `ai-review` check run's output, rendered from the Analysis and the gate's Decision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.config.levels import Severity
from bot.engine.policy import Decision
from bot.engine.result import Analysis, Location
from bot.render.escape import md_text
from bot.render.markdown import risk_table, truncate

# GitHub takes 50 annotations per request; beyond a few pages they stop helping a reviewer.
ANNOTATIONS_PER_REQUEST = 50
MAX_ANNOTATIONS = 100
MAX_TITLE = 255
_LEVELS = {Severity.HIGH: "failure", Severity.MEDIUM: "warning", Severity.LOW: "notice"}
_ANNOTATED_SIGNALS = ("patterns", "complexity", "dependencies")


@dataclass(frozen=True, slots=True)
class CheckOutput:
    title: str
    summary: str
    annotations: tuple[dict[str, Any], ...]
    # The details below the summary: what the App's own writes met on GitHub (a review request
    # or a label it refused), which only the App knows; `preview` shows the rest.
    text: str = ""

    def batches(self) -> list[list[dict[str, Any]]]:
        """Annotations in GitHub's 50-per-request batches (at least one, possibly empty)."""
        items = list(self.annotations)
        return [
            items[i : i + ANNOTATIONS_PER_REQUEST]
            for i in range(0, max(len(items), 1), ANNOTATIONS_PER_REQUEST)
        ]


def _annotation(location: Location) -> dict[str, Any]:
    line = location.line or 1
    title = location.rule or "ai-review"
    return {
        "path": location.path,
        "start_line": line,
        "end_line": line,
        # A finding that weighs nothing toward the level is a notice, whatever its rule's severity.
        "annotation_level": (
            _LEVELS.get(location.severity or Severity.LOW, "notice")
            if location.counted
            else "notice"
        ),
        "title": title[:255],
        "message": (location.message or title)[: 64 * 1024 - 1],
    }


def flagged_lines(analysis: Analysis) -> tuple[list[dict[str, Any]], int]:
    """Annotations for flagged lines, most severe first, and how many were left out."""
    located = [
        loc
        for signal in analysis.risk.signals
        if signal.id in _ANNOTATED_SIGNALS and signal.score
        for loc in signal.locations
        if loc.line is not None
    ]
    located.sort(
        key=lambda loc: (
            not loc.counted,
            -(loc.severity.rank if loc.severity else -1),
            loc.path,
        )
    )
    kept = located[:MAX_ANNOTATIONS]
    return [_annotation(loc) for loc in kept], len(located) - len(kept)


def check_output(analysis: Analysis, decision: Decision) -> CheckOutput:
    notes, left_out = flagged_lines(analysis)
    lines = [f"**{md_text(decision.title, MAX_TITLE)}**", ""]
    lines += [f"- {md_text(reason)}" for reason in decision.reasons]
    if decision.reasons:
        lines.append("")
    lines.append(risk_table(analysis))
    if left_out:
        lines += ["", f"{left_out} more flagged lines are not annotated; see the comment."]
    for note in analysis.risk.notes:
        lines += ["", f"> {md_text(note)}"]
    return CheckOutput(
        title=decision.title[:MAX_TITLE],
        summary=truncate("\n".join(lines), 65_000),
        annotations=tuple(notes),
    )


def error_output(title: str, details: str) -> CheckOutput:
    """A failure that is not about the code: an invalid config, an internal error."""
    return CheckOutput(title=title[:MAX_TITLE], summary=truncate(details, 65_000), annotations=())


def with_details(output: CheckOutput, lines: Sequence[str]) -> CheckOutput:
    """The output with markdown lines (already escaped) added to its details."""
    if not lines:
        return output
    text = "\n\n".join([output.text, *lines] if output.text else lines)
    return replace(output, text=truncate(text, 65_000))


def with_notes(
    output: CheckOutput, *, before: Sequence[str] = (), after: Sequence[str] = ()
) -> CheckOutput:
    """The output with markdown lines (already escaped) as quoted notes at the top of the
    summary (`before`: what an admin must fix) or at its end (`after`)."""
    if not before and not after:
        return output
    parts = [f"> {note}\n" for note in before]
    parts.append(output.summary)
    parts += [f"\n> {note}" for note in after]
    return replace(output, summary=truncate("\n".join(parts), 65_000))
