"""ruff over a change's Python files, with only the rules bot/data/tools.yml maps (blocking
calls inside `async def`). Run `--isolated`: no pyproject or ruff.toml of the repository
selects, ignores or reconfigures rules. bandit (bot/engine/patterns/bandit_scan.py) already
runs the security tests ruff's `S` rules re-implement, so none of those is selected."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from bot.engine.files import FileJob
from bot.engine.result import Skipped
from bot.engine.tooling import ToolFinding, ToolReport
from bot.tools.runner import CommandTool, Run


class Ruff(CommandTool):
    name: ClassVar[str] = "ruff"
    binary: ClassVar[str] = "ruff"

    def argv(self, paths: Sequence[str], config_dir: Path) -> list[str]:
        selected = sorted({rule.tool_rule for rule in self.spec.rules})
        return [
            "check",
            "--isolated",
            "--no-cache",
            "--exit-zero",
            "--output-format",
            "json",
            "--select",
            ",".join(selected),
            *paths,
        ]

    def parse(self, run: Run, jobs: Sequence[FileJob]) -> ToolReport:
        report = json.loads(run.stdout or "[]")
        if not isinstance(report, list):
            raise TypeError("not a list of findings")
        findings: list[ToolFinding] = []
        errors: dict[str, Skipped] = {}
        for entry in report:
            path = run.repo_path(entry["filename"])
            line = int(entry["location"]["row"])
            if entry["code"] is None or entry["code"] == "invalid-syntax":
                reason = f"ruff could not parse it (line {line}: {entry['message']})"
                errors.setdefault(path, self.not_checked(path, reason))
            else:
                findings.append(ToolFinding(path, line, entry["code"], entry["message"]))
        return ToolReport(tuple(findings), tuple(errors.values()))
