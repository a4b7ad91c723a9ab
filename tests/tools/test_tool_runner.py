"""Running a tool process (bot/tools/runner.py), with stand-in executables: the files it sees,
the environment it gets, and every way it can fail becoming a note on the files not checked."""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pytest

from bot.engine.files import FileJob
from bot.engine.tool_table import ToolLimits
from bot.engine.tooling import ToolReport
from bot.tools.hadolint import Hadolint
from bot.tools.runner import Run

DOCKERFILE = 'FROM python:3.12\nCMD ["python"]\n'
LIMITS = ToolLimits(timeout_seconds=20, max_output_bytes=1024 * 1024)


def job(path: str = "Dockerfile", text: str = DOCKERFILE) -> FileJob:
    lines = frozenset(range(1, text.count("\n") + 1))
    return FileJob(path, "dockerfile", None, None, text, lines)


def stand_in(tmp_path: Path, body: str) -> str:
    """An executable Python script standing in for a tool."""
    script = tmp_path / "bin" / "fake-tool"
    script.parent.mkdir(exist_ok=True)
    script.write_text(f"#!{sys.executable}\nimport json, os, sys, time\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


class StandIn(Hadolint):
    """hadolint's adapter (its report format, its table entry) calling another executable."""

    def __init__(self, executable: str | None, limits: ToolLimits = LIMITS) -> None:
        super().__init__(limits, executable)


class Missing(StandIn):
    binary: ClassVar[str] = "ai-review-no-such-tool"


class Probe(StandIn):
    """Keeps what the stand-in printed, to look at what the tool saw."""

    printed = ""

    def parse(self, run: Run, jobs: Sequence[FileJob]) -> ToolReport:
        self.printed = run.stdout
        return ToolReport()


def reasons(report: ToolReport) -> list[tuple[str, str]]:
    return [(entry.path, entry.reason) for entry in report.skipped]


def test_a_tool_that_is_not_installed_leaves_each_file_noted() -> None:
    report = Missing(None).scan([job(), job("api/Dockerfile")])

    prefix = "not checked by hadolint (Dockerfile checks): "
    missing = "ai-review-no-such-tool is not installed (it comes with ai-review-bot)"
    assert reasons(report) == [
        ("Dockerfile", prefix + missing),
        ("api/Dockerfile", prefix + missing),
    ]


def test_a_crash_is_noted_with_the_exit_code_and_the_error_line(tmp_path: Path) -> None:
    tool = stand_in(
        tmp_path,
        "print('starting', file=sys.stderr)\nprint('error: boom', file=sys.stderr)\nsys.exit(3)",
    )

    report = StandIn(tool).scan([job()])

    assert reasons(report) == [
        (
            "Dockerfile",
            "not checked by hadolint (Dockerfile checks): hadolint failed (exit 3: error: boom)",
        )
    ]


def test_a_tool_past_its_timeout_is_stopped_and_noted(tmp_path: Path) -> None:
    tool = stand_in(tmp_path, "time.sleep(30)")

    report = StandIn(tool, ToolLimits(timeout_seconds=1, max_output_bytes=1024 * 1024)).scan(
        [job()]
    )

    [(_, reason)] = reasons(report)
    assert reason.endswith("fake-tool did not finish within 1 s; stopped")


def test_a_tool_that_prints_past_the_cap_is_stopped_and_noted(tmp_path: Path) -> None:
    tool = stand_in(tmp_path, "sys.stdout.write('x' * (3 * 1024 * 1024))\ntime.sleep(30)")

    report = StandIn(tool).scan([job()])

    [(_, reason)] = reasons(report)
    assert reason.endswith("fake-tool printed more than 1 MiB; stopped")


def test_a_report_that_cannot_be_read_is_noted(tmp_path: Path) -> None:
    tool = stand_in(tmp_path, "print('<html>oops</html>')")

    [(_, reason)] = reasons(StandIn(tool).scan([job()]))

    assert reason.startswith(
        "not checked by hadolint (Dockerfile checks): hadolint's report could not be read ("
    )


def test_the_tool_sees_only_the_changed_files_under_their_paths_and_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_not_for_tools")
    monkeypatch.setenv("HADOLINT_IGNORE", "DL3007")
    tool = stand_in(
        tmp_path,
        "files = sorted(os.path.relpath(os.path.join(d, f))\n"
        "               for d, _, fs in os.walk('.') for f in fs)\n"
        "text = open('api/Dockerfile', newline='').read()\n"
        "print(json.dumps({'files': files, 'env': dict(os.environ), 'argv': sys.argv[1:],\n"
        "                  'text': text, 'cwd': os.getcwd()}))",
    )

    probe = Probe(tool)
    report = probe.scan([job(), job("api/Dockerfile", "FROM alpine:3.20\r\n")])

    seen = json.loads(probe.printed)
    assert report == ToolReport()
    assert seen["files"] == ["Dockerfile", "api/Dockerfile"]
    assert seen["text"] == "FROM alpine:3.20\r\n"
    assert not {"GITHUB_TOKEN", "HADOLINT_IGNORE"} & set(seen["env"])
    assert seen["env"]["HOME"].startswith(str(Path(seen["cwd"]).parent))
    config = seen["argv"][seen["argv"].index("--config") + 1]
    assert Path(config).parent.parent == Path(seen["cwd"]).parent
    assert not Path(seen["cwd"]).exists()  # the work folder is gone after the run


def test_a_path_that_could_escape_the_work_folder_is_noted_and_not_written(tmp_path: Path) -> None:
    tool = stand_in(tmp_path, "print(json.dumps({'files': os.listdir('.')}))")

    probe = Probe(tool)
    report = probe.scan([job("../outside/Dockerfile"), job()])

    assert json.loads(probe.printed) == {"files": ["Dockerfile"]}
    assert reasons(report) == [
        (
            "../outside/Dockerfile",
            "not checked by hadolint (Dockerfile checks): "
            "its path cannot be written to a folder safely",
        )
    ]


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_an_executable_that_cannot_start_is_noted(tmp_path: Path) -> None:
    broken = tmp_path / "hadolint"
    broken.write_text("#!/nonexistent/interpreter\n")
    broken.chmod(0o755)

    [(_, reason)] = reasons(StandIn(str(broken)).scan([job()]))

    assert reason.startswith(
        "not checked by hadolint (Dockerfile checks): hadolint could not be started"
    )
