"""The worker pool gives exactly what analyzing each file in this process gives."""

from __future__ import annotations

import pytest

from bot.config.model import RepoConfig
from bot.engine.builtins import load_builtins
from bot.engine.files import FileJob
from bot.engine.pipeline import file_analyzer
from bot.engine.resolve import build_ruleset
from bot.local.parallel import FilePool

SOURCE = """\
import subprocess


def run(cmd, flag):
    if flag:
        return subprocess.call(cmd, shell=True)
    for part in cmd:
        if part == "x":
            continue
    return eval(cmd)
"""


def jobs(count: int) -> list[FileJob]:
    lines = SOURCE.splitlines()
    return [
        FileJob(
            path=f"pkg/mod_{index}.py",
            language="python",
            meter="radon",
            base_text=None,
            head_text=SOURCE * (1 + index % 3),
            added_lines=frozenset(range(1, len(lines) + 1)),
            added_text=dict(enumerate(lines, 1)),
        )
        for index in range(count)
    ]


@pytest.mark.parametrize("help_min_bytes", [0, 1 << 40], ids=["parent-helps", "workers-only"])
def test_pool_reports_equal_serial_reports_in_job_order(help_min_bytes: int) -> None:
    analyzer = file_analyzer(build_ruleset(RepoConfig(), load_builtins()))
    work = jobs(40)

    with FilePool(workers=2, help_min_bytes=help_min_bytes) as pool:
        pooled = list(pool.map(analyzer, work))

    assert pooled == [analyzer(job) for job in work]
    assert [r.path for r in pooled] == [job.path for job in work]
    assert all(r.findings for r in pooled)


def test_empty_job_list_yields_nothing() -> None:
    analyzer = file_analyzer(build_ruleset(RepoConfig(), load_builtins()))

    with FilePool(workers=1) as pool:
        assert list(pool.map(analyzer, [])) == []
