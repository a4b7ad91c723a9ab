"""zizmor (zizmorcore) over a change's GitHub Actions workflows and composite actions.

Run offline (no GitHub token reaches it, so no online audit runs) with a pinned config: third
parties' actions must be pinned to a commit SHA, GitHub's own (`actions/*`, `github/*`) may
name a tag. zizmor flags every `pull_request_target` trigger; what makes one dangerous is a
step that checks out the pull request's code, so that is the finding we add (at that line).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import yaml

from bot.engine.files import FileJob
from bot.engine.result import Skipped
from bot.engine.tooling import ToolFinding, ToolReport
from bot.tools.runner import CommandTool, Run

CONFIG = """\
rules:
  unpinned-uses:
    config:
      policies:
        "actions/*": ref-pin
        "github/*": ref-pin
        # Its reusable workflows check their own tag to sign provenance: a SHA breaks them.
        "slsa-framework/slsa-github-generator/*": ref-pin
        "*": hash-pin
"""

# A step that fetches the pull request's head (or a workflow run's) into the workspace.
_HEAD_CHECKOUT = re.compile(
    r"""\bref:\s*["']?\$\{\{\s*(?:github\.event\.pull_request\.head\.(?:sha|ref)|github\.head_ref
        |github\.event\.workflow_run\.head_(?:sha|branch))\b
      |refs/pull/
      |\bgh\s+pr\s+checkout\b
      |\bgit\s+fetch\b.*\bpull/""",
    re.VERBOSE,
)
_RISKY_TRIGGERS = ("pull_request_target", "workflow_run")
# zizmor says on stderr which inputs it audited; one it could not read is only warned about.
_AUDITED = re.compile(r"\bcompleted (\S.*?)\s*$")


class Zizmor(CommandTool):
    name: ClassVar[str] = "zizmor"
    binary: ClassVar[str] = "zizmor"
    configs: ClassVar[Mapping[str, str]] = MappingProxyType({"zizmor.yml": CONFIG})

    def argv(self, paths: Sequence[str], config_dir: Path) -> list[str]:
        return [
            "--offline",
            "--config",
            str(config_dir / "zizmor.yml"),
            "--persona",
            "regular",
            "--format",
            "json-v1",
            "--no-progress",
            "--color",
            "never",
            "--no-exit-codes",
            *paths,
        ]

    def on_failure(self, stderr: str, jobs: Sequence[FileJob]) -> ToolReport | None:
        if "no audit was performed" not in stderr:
            return None
        return ToolReport(skipped=tuple(self._unread(job.path) for job in jobs))

    def _unread(self, path: str) -> Skipped:
        return self.not_checked(path, "zizmor could not read it as a workflow or an action")

    def parse(self, run: Run, jobs: Sequence[FileJob]) -> ToolReport:
        findings = list(_findings(json.loads(run.stdout or "[]"), run))
        audited = {
            run.repo_path(m.group(1)) for m in map(_AUDITED.search, run.stderr.splitlines()) if m
        }
        audited |= {finding.path for finding in findings}
        findings += head_checkouts(findings, jobs)
        contexts = {job.path: triggers(job.head_text or "") for job in jobs}
        in_context = tuple(replace(f, context=contexts.get(f.path, "")) for f in findings)
        unread = tuple(self._unread(job.path) for job in jobs if job.path not in audited)
        return ToolReport(in_context, unread)


def _findings(report: Any, run: Run) -> Iterator[ToolFinding]:
    if not isinstance(report, list):
        raise TypeError("not a list of findings")
    for finding in report:
        for location in finding["locations"]:
            symbolic = location["symbolic"]
            if symbolic["kind"] != "Primary" or "Local" not in symbolic["key"]:
                continue
            if finding["ident"] == "excessive-permissions" and not symbolic["route"]["route"]:
                continue  # the workflow-level copy of what each job's finding says
            yield ToolFinding(
                path=run.repo_path(symbolic["key"]["Local"]["verbatim_path"]),
                line=location["concrete"]["location"]["start_point"]["row"] + 1,
                tool_rule=finding["ident"],
                detail=_detail(symbolic),
            )


def _detail(symbolic: dict[str, Any]) -> str:
    """What the finding is about: the text it points into (an action, an expression) where
    zizmor names one, else its annotation."""
    kind = symbolic.get("feature_kind")
    if isinstance(kind, dict):
        fragment = kind.get("Subfeature", {}).get("fragment", {})
        if isinstance(fragment, dict) and isinstance(fragment.get("Raw"), str):
            return str(fragment["Raw"])
    return str(symbolic.get("annotation", ""))


def head_checkouts(findings: Sequence[ToolFinding], jobs: Sequence[FileJob]) -> list[ToolFinding]:
    """In a workflow zizmor flags for a risky trigger, each line that checks out the pull
    request's (or triggering run's) code: the line that makes the trigger dangerous."""
    risky = {
        f.path
        for f in findings
        if f.tool_rule == "dangerous-triggers" and any(t in f.detail for t in _RISKY_TRIGGERS)
    }
    out: list[ToolFinding] = []
    for job in jobs:
        if job.path not in risky or job.head_text is None:
            continue
        for number, text in enumerate(job.head_text.split("\n"), start=1):
            if not text.lstrip().startswith("#") and _HEAD_CHECKOUT.search(text):
                detail = f"checks out the pull request's code: {text.strip()}"
                out.append(ToolFinding(job.path, number, "dangerous-triggers", detail))
    return out


def triggers(text: str) -> str:
    """The events a workflow runs on, as `on: a, b` (who can start it decides what text an
    attacker controls and which token it gets); `action` for a composite action; empty when
    the file cannot be read."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return ""
    if not isinstance(document, dict):
        return ""
    if "runs" in document and "jobs" not in document:
        return "action"
    # YAML 1.1 reads a bare `on` key as true.
    events = document.get("on", document.get(True))
    if isinstance(events, str):
        names = [events]
    elif isinstance(events, (list, dict)):
        names = [str(name) for name in events]
    else:
        return ""
    return "on: " + ", ".join(sorted(names))
