"""Outside tools that scan a change's files, as the engine sees them: a protocol and its rules.

The engine starts no process. A driver hands `analyze` objects that satisfy `ChangeTool` (the
adapters in bot/tools/ run zizmor, squawk, hadolint and ruff); the engine decides which files
each one reads (bot/data/tools.yml), hands it those of production code once per change, and
keeps what a reviewer should see: findings on lines the change added, mapped onto our rule
ids, not disabled by the repo config. A file a tool could not check is said, with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.engine.carried import normalize, versionless
from bot.engine.files import FileJob
from bot.engine.result import Location, Skipped
from bot.engine.snapshot import ChangedFile
from bot.engine.tool_table import ToolSpec, ToolTable, tool_table

# The tool's own words in a message are cut here: they quote the file, which is untrusted.
MAX_DETAIL = 200
_COMMIT_PIN = re.compile(r"@[0-9a-f]{40}\b")


@dataclass(frozen=True, slots=True)
class ToolFinding:
    """One finding as a tool reported it: its own rule id, and the detail it gave."""

    path: str
    line: int
    tool_rule: str
    detail: str = ""
    # What the file says around it that decides what it means (a workflow's triggers).
    context: str = ""


@dataclass(frozen=True, slots=True)
class ToolReport:
    """What one run of a tool over a change's files found, and which files it could not check."""

    findings: tuple[ToolFinding, ...] = ()
    skipped: tuple[Skipped, ...] = ()


class ChangeTool(Protocol):
    """A tool run once per change over the files its table entry (`name`) says it reads."""

    @property
    def name(self) -> str: ...

    def scan(self, files: Sequence[FileJob]) -> ToolReport:
        """Check these files (each with its head text); never raises for a tool's failure."""
        ...


@dataclass(slots=True)
class ToolResults:
    """Per path: the findings to report and the notes on what was not checked."""

    findings: dict[str, list[Location]] = field(default_factory=dict)
    skipped: dict[str, list[Skipped]] = field(default_factory=dict)

    def skip(self, entry: Skipped) -> None:
        self.skipped.setdefault(entry.path, []).append(entry)


def run_tools(
    tools: Sequence[ChangeTool],
    jobs: Sequence[FileJob],
    disabled: Iterable[str],
    table: ToolTable | None = None,
) -> ToolResults:
    """Run each tool on the production files it reads; keep findings on added lines."""
    table = table or tool_table()
    folded = frozenset(rule_id.casefold() for rule_id in disabled)
    results = ToolResults()
    for tool in tools:
        if tool.name in folded:
            continue  # the repo config turned the whole tool off
        spec = table.spec(tool.name)
        wanted = [
            job
            for job in jobs
            if job.production
            and (job.created or not spec.created_only)
            and spec.reads(job.path, job.language)
        ]
        readable = [job for job in wanted if job.head_text is not None]
        for job in wanted:
            if job.head_text is None:
                reason = job.no_text_reason or "head text not available"
                results.skip(Skipped(job.path, f"{reason}: {tool.name} did not check it"))
        if not readable:
            continue
        report = tool.scan(readable)
        for entry in report.skipped:
            results.skip(entry)
        by_path = {job.path: job for job in readable}
        for finding in report.findings:
            location = _location(spec, by_path.get(finding.path), finding, folded)
            if location is not None:
                results.findings.setdefault(location.path, []).append(location)
    return results


def _location(
    spec: ToolSpec, job: FileJob | None, finding: ToolFinding, disabled: frozenset[str]
) -> Location | None:
    """Our finding for one of the tool's, or None: not a file handed to it, not on a line the
    change added, not a rule we report, or disabled (by our id or the tool's)."""
    if job is None or finding.line not in job.added_lines:
        return None
    detail = " ".join(finding.detail.split())[:MAX_DETAIL]
    rule = spec.rule_for(finding.tool_rule, detail, finding.context)
    if rule is None:
        return None
    if {rule.id.casefold(), finding.tool_rule.casefold()} & disabled:
        return None
    return Location(
        path=finding.path,
        line=finding.line,
        message=rule.message.replace("{detail}", detail),
        rule=rule.id,
        severity=rule.severity,
        source=f"{spec.name} {finding.tool_rule}",
        cwe=rule.cwe,
        counted=rule.counted,
        fingerprint=_line_text(job, finding.line),
    )


def _line_text(job: FileJob, number: int) -> str | None:
    """The added line's text: the code a finding was found in, to tell moved code from new."""
    text = job.added_text.get(number)
    if text is None and job.head_text is not None:
        lines = job.head_text.split("\n")
        text = lines[number - 1] if 0 < number <= len(lines) else None
    return text.rstrip("\r\n") if text is not None else None


def unpins(changed: ChangedFile, number: int) -> bool:
    """Whether added line `number` is a removed line of the file with its commit pin replaced
    by a tag or branch (`@<sha>` to `@v4`): that reads as a version bump, and is not one."""
    added = changed.added_text.get(number)
    if added is None or _COMMIT_PIN.search(added):
        return False
    masked = versionless(normalize(added))
    return any(
        _COMMIT_PIN.search(removed) and versionless(normalize(removed)) == masked
        for removed in changed.removed_text.values()
    )
