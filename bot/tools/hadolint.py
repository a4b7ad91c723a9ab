"""hadolint over a change's Dockerfiles, with a pinned config (no `.hadolint.yaml` of the
repository or the user applies). Inline `# hadolint ignore=...` comments are honoured: they
are in the diff for a reviewer to see."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar

from bot.engine.files import FileJob
from bot.engine.result import Skipped
from bot.engine.tooling import ToolFinding, ToolReport
from bot.tools.runner import CommandTool, Run

CONFIG = "ignored: []\n"
# hadolint's code for a Dockerfile it cannot parse.
_PARSE_ERROR = "DL1000"


class Hadolint(CommandTool):
    name: ClassVar[str] = "hadolint"
    binary: ClassVar[str] = "hadolint"
    configs: ClassVar[Mapping[str, str]] = MappingProxyType({"hadolint.yaml": CONFIG})

    def argv(self, paths: Sequence[str], config_dir: Path) -> list[str]:
        return [
            "--config",
            str(config_dir / "hadolint.yaml"),
            "--no-fail",
            "--no-color",
            "--format",
            "json",
            *paths,
        ]

    def parse(self, run: Run, jobs: Sequence[FileJob]) -> ToolReport:
        report = json.loads(run.stdout or "[]")
        if not isinstance(report, list):
            raise TypeError("not a list of findings")
        findings: list[ToolFinding] = []
        errors: dict[str, Skipped] = {}
        for entry in report:
            path = run.repo_path(entry["file"])
            if entry["code"] == _PARSE_ERROR:
                reason = f"hadolint could not parse it (line {entry['line']}: {entry['message']})"
                errors.setdefault(path, self.not_checked(path, reason))
            else:
                findings.append(
                    ToolFinding(path, int(entry["line"]), entry["code"], entry["message"])
                )
        return ToolReport(tuple(findings), tuple(errors.values()))
