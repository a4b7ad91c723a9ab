"""`analyze --format github`: GitHub Actions workflow commands.

Each finding on a line becomes an `::error`/`::warning`/`::notice` annotation on that line of
the pull request; one more annotation states the risk, the range and the config. The human
report goes to the log inside a group, between `::stop-commands::` markers with a random
token, so nothing it echoes (file names, branch names, messages) can run as a command; the
annotations' own text is escaped as the runner reads it (`%`, CR, LF; in properties also `:`
and `,`). The job summary and the step outputs are written by the caller.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from bot.config.levels import Level
from bot.engine.result import Analysis
from bot.render.located import Located, described, located_findings
from bot.render.provenance import Provenance, provenance_lines

# GitHub shows 10 errors and 10 warnings per step and 50 annotations per job; the rest are in
# the summary, the SARIF and the log.
MAX_ANNOTATIONS = 50
_COMMAND = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(text: str) -> str:
    """A command's message, as the runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command property's value (file, title): also `:` and `,`, which delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(name: str, message: str, **properties: str | int) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def _finding(found: Located) -> str:
    return _command(
        _COMMAND[found.level.value],
        described(found.location),
        file=found.location.path,
        line=found.line,
        title=f"ai-review-bot: {found.rule}",
    )


def risk_headline(analysis: Analysis, tool_name: Callable[[str], str] = str) -> str:
    risk = analysis.risk
    ai = analysis.ai
    assisted = (
        f"AI-assisted ({', '.join(tool_name(t) for t in ai.tools)})"
        if ai.assisted
        else "not AI-assisted"
    )
    return f"{risk.level.value} risk ({risk.score}/100), {assisted}"


def render_annotations(
    analysis: Analysis,
    provenance: Provenance,
    text_report: str,
    fail_on: Level | None,
    tool_name: Callable[[str], str] = str,
) -> str:
    """The log of one analysis as workflow commands; `text_report` is the plain text format."""
    headline = risk_headline(analysis, tool_name)
    token = secrets.token_hex(16)
    out = [
        f"::group::ai-review-bot: {escape_data(headline)}",
        f"::stop-commands::{token}",
        *text_report.rstrip("\n").split("\n"),
        "",
        *provenance_lines(provenance),
        f"::{token}::",
        "::endgroup::",
    ]
    findings = located_findings(analysis)
    out.extend(_finding(found) for found in findings[:MAX_ANNOTATIONS])
    summary = [headline]
    if analysis.approvals.required:
        seniors = ", ".join(analysis.approvals.seniors) or "a senior reviewer"
        summary.append(
            f"The App would hold the merge for {analysis.approvals.required} approval(s) from "
            f"{seniors}; here nothing enforces it."
        )
    if len(findings) > MAX_ANNOTATIONS:
        summary.append(
            f"{len(findings) - MAX_ANNOTATIONS} more findings than annotations: see the log above."
        )
    summary.extend(provenance_lines(provenance))
    failing = fail_on is not None and analysis.risk.level >= fail_on
    if failing and fail_on is not None:
        summary.insert(1, f"Fails: the risk level is at or above --fail-on {fail_on.value}.")
    level = "error" if failing else "warning" if analysis.risk.level >= Level.HIGH else "notice"
    out.append(_command(level, "\n".join(summary), title="ai-review-bot"))
    return "\n".join(out) + "\n"


def step_outputs(analysis: Analysis) -> str:
    """`name=value` lines for $GITHUB_OUTPUT: values are ours (levels, numbers, booleans)."""
    return (
        f"risk-level={analysis.risk.level.value}\n"
        f"risk-score={analysis.risk.score}\n"
        f"ai-assisted={str(analysis.ai.assisted).lower()}\n"
        f"findings={len(located_findings(analysis))}\n"
    )
