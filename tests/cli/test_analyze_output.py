"""What `analyze` prints for CI and for people: the config and range in every format, GitHub
workflow commands (escaped, the job summary, the step outputs), colour, --version, progress."""

from __future__ import annotations

import io
import json
import os
import pty
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.cli import use_colour
from bot.local import progress
from bot.local.progress import ProgressLine
from bot.local.pull_range import BASE_BRANCH_VARIABLES, HEAD_BRANCH_VARIABLES
from bot.render.github_annotations import escape_data, escape_property
from tests.conftest import CLAUDE, CliResult, Repo

Cli = Callable[..., CliResult]
SHELL_CALL = "import os\n\n\ndef run(name):\n    os.system('ls ' + name)\n"
FORMATS = ("text", "markdown", "json", "sarif", "github")


@pytest.fixture(autouse=True)
def _outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (
        *HEAD_BRANCH_VARIABLES,
        *BASE_BRANCH_VARIABLES,
        "GITHUB_STEP_SUMMARY",
        "GITHUB_OUTPUT",
        "NO_COLOR",
        "FORCE_COLOR",
    ):
        monkeypatch.delenv(variable, raising=False)


def _configured(repo: Repo) -> None:
    repo.commit("Config", {".github/ai-review.yml": "approvals:\n  seniors: [alice]\n"})
    repo.branch("feature/run")
    repo.commit("Run things", {"app/run.py": SHELL_CALL}, trailers=(CLAUDE,))


def _config_statement(output_format: str, out: str) -> Any:
    """Where each format states the config: a line, a closing line, a key, a run property."""
    if output_format == "json":
        return json.loads(out)["config"]
    if output_format == "sarif":
        return json.loads(out)["runs"][0]["properties"]["config"]
    return [line for line in out.splitlines() if "Config" in line]


@pytest.mark.parametrize("output_format", FORMATS)
def test_every_format_names_the_config_at_the_base_branch(
    repo: Repo, cli: Cli, output_format: str
) -> None:
    _configured(repo)
    main = repo.sha("main")

    result = cli("analyze", "--repo", str(repo.path), "--format", output_format)

    assert result.code == 0, result.err
    stated = _config_statement(output_format, result.out)
    if output_format in ("json", "sarif"):
        assert stated == {
            "source": "base",
            "path": ".github/ai-review.yml",
            "ref": main,
            "working_tree_differs": False,
        }
    elif output_format == "markdown":
        assert stated == [
            rf"Config: .github/ai-review.yml at main \({main[:10]}\), as the App reads it</sub>"
        ]
    else:
        line = f"Config: .github/ai-review.yml at main ({main[:10]}), as the App reads it"
        assert line in stated or any(line in s for s in stated)


@pytest.mark.parametrize("output_format", FORMATS)
def test_every_format_names_a_config_file_given_on_the_command_line(
    repo: Repo, cli: Cli, tmp_path: Path, output_format: str
) -> None:
    _configured(repo)
    config = tmp_path / "strict.yml"
    config.write_text("approvals:\n  seniors: [bob]\n")

    result = cli(
        "analyze", "--repo", str(repo.path), "--config", str(config), "--format", output_format
    )

    assert result.code == 0, result.err
    stated = _config_statement(output_format, result.out)
    if output_format in ("json", "sarif"):
        assert (stated["source"], stated["path"]) == ("file", str(config))
    else:
        unescaped = [line.replace("\\", "") for line in stated]  # markdown escapes _ ( )
        assert any(f"{config} (--config)" in line for line in unescaped), stated


def test_no_config_at_the_base_says_the_defaults_are_used(repo: Repo, cli: Cli) -> None:
    repo.branch("feature/run")
    repo.commit("Run things", {"app/run.py": SHELL_CALL})

    result = cli("analyze", "--repo", str(repo.path))

    main = repo.sha("main")[:10]
    assert f"Config: built-in defaults: no .github/ai-review.yml at main ({main})" in (
        result.out.splitlines()
    )


def test_edited_config_in_the_working_tree_is_said_to_be_ignored(repo: Repo, cli: Cli) -> None:
    _configured(repo)
    repo.write({".github/ai-review.yml": "approvals:\n  required: {high: 0}\n"})

    result = cli("analyze", "--repo", str(repo.path))

    assert result.code == 0, result.err
    assert (
        "Note: the working tree's .github/ai-review.yml differs from the one used and is "
        "ignored (a change never loosens its own gate); try it with --config "
        ".github/ai-review.yml" in result.out.splitlines()
    )


# --- colour and --version ---------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("env", "tty", "expected"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"FORCE_COLOR": "1"}, False, True),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),
        ({"NO_COLOR": ""}, True, True),
        ({"TERM": "dumb"}, True, False),
    ],
)
def test_colour_follows_no_color_and_force_color(
    env: dict[str, str], tty: bool, expected: bool
) -> None:
    stream = _Terminal() if tty else io.StringIO()

    assert use_colour(stream, env) is expected


def test_force_color_colours_a_piped_report(
    repo: Repo, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configured(repo)
    monkeypatch.setenv("FORCE_COLOR", "1")

    coloured = cli("analyze", "--repo", str(repo.path)).out
    monkeypatch.setenv("NO_COLOR", "1")
    plain = cli("analyze", "--repo", str(repo.path)).out

    assert coloured.startswith("Risk: \x1b[")
    assert "\x1b[" not in plain


def test_version_prints_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    from bot.cli import main

    with pytest.raises(SystemExit):
        main(["--version"])

    assert capsys.readouterr().out == f"ai-review-bot {version('ai-review-bot')}\n"


# --- the progress line ------------------------------------------------------------------------


def test_progress_line_waits_then_counts_then_clears() -> None:
    now = [0.0]
    stream = io.StringIO()
    line = ProgressLine(stream, clock=lambda: now[0])

    line(1, 10)
    now[0] = 2.0
    line(2, 10)
    now[0] = 2.05
    line(3, 10)
    now[0] = 2.3
    line(10, 10)
    line.clear()

    assert stream.getvalue() == (
        "\r\x1b[Kai-review-bot: analyzing files 2/10"
        "\r\x1b[Kai-review-bot: analyzing files 10/10"
        "\r\x1b[K"
    )


def test_progress_line_is_shown_on_a_terminal_only(
    repo: Repo, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configured(repo)
    monkeypatch.setattr(progress, "AFTER_SECONDS", 0.0)
    piped = cli("analyze", "--repo", str(repo.path))

    leader, follower = pty.openpty()
    terminal = io.TextIOWrapper(os.fdopen(follower, "wb", buffering=0), encoding="utf-8")
    monkeypatch.setattr("sys.stderr", terminal)
    try:
        on_tty = cli("analyze", "--repo", str(repo.path))
        terminal.flush()
        shown = os.read(leader, 65536).decode()
    finally:
        terminal.close()
        os.close(leader)

    assert piped.code == on_tty.code == 0
    assert "analyzing" not in piped.err
    assert "ai-review-bot: analyzing files 1/1" in shown
    assert shown.endswith("\r\x1b[K")
    assert on_tty.out == piped.out


# --- GitHub workflow commands -----------------------------------------------------------------


def test_workflow_command_escaping_is_the_runners() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"


def _commands(log: str) -> list[str]:
    """The workflow commands the runner would act on: lines starting `::` after leading
    whitespace, except between `::stop-commands::TOKEN` and `::TOKEN::`."""
    acted: list[str] = []
    stopped: str | None = None
    for line in log.splitlines():
        text = line.lstrip()
        if stopped is not None:
            if text == f"::{stopped}::":
                stopped = None
            continue
        if text.startswith("::stop-commands::"):
            stopped = text.removeprefix("::stop-commands::")
        elif text.startswith("::"):
            acted.append(text)
    return acted


def test_github_format_annotates_findings_and_nothing_echoed_runs_as_a_command(
    repo: Repo, cli: Cli
) -> None:
    hostile = "::error::forged,a:b%.py"
    repo.branch("feature/run")
    repo.commit("Run things", {"app/run.py": SHELL_CALL, f"app/{hostile}": SHELL_CALL})

    result = cli("analyze", "--repo", str(repo.path), "--format", "github")

    assert result.code == 0, result.err
    commands = _commands(result.out)
    assert [c.split("::")[1].split(" ")[0] for c in commands] == [
        "group",
        "endgroup",
        "error",
        "error",
        "warning",
    ]
    assert commands[2] == (
        "::error file=app/%3A%3Aerror%3A%3Aforged%2Ca%3Ab%25.py,line=5,"
        "title=ai-review-bot%3A shell-injection::Starting a process with a shell, possible "
        "injection detected, security issue: pass an argument list without a shell "
        "(shell=False) (bandit B605, CWE-78)"
    )
    assert commands[3].startswith("::error file=app/run.py,line=5,title=")
    assert any(
        line.startswith(f"      app/{hostile}:5  [shell-injection]")
        for line in result.out.splitlines()
    )


def test_github_format_states_risk_range_and_config_in_its_last_annotation(
    repo: Repo, cli: Cli
) -> None:
    _configured(repo)

    result = cli("analyze", "--repo", str(repo.path), "--format", "github", "--fail-on", "medium")

    last = _commands(result.out)[-1]
    assert result.code == 1
    assert last.startswith("::error title=ai-review-bot::")
    message = last.split("::", 2)[2].split("%0A")
    assert re.fullmatch(r"\w+ risk \(\d+/100\), AI-assisted \(Claude Code\)", message[0])
    assert message[1] == "Fails: the risk level is at or above --fail-on medium."
    assert message[-1].startswith("Config: .github/ai-review.yml at main (")


def test_github_format_appends_the_job_summary_and_step_outputs(
    repo: Repo, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configured(repo)
    summary = tmp_path / "summary.md"
    summary.write_text("# Earlier step\n")
    outputs = tmp_path / "outputs"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))

    result = cli("analyze", "--repo", str(repo.path), "--format", "github")
    markdown = cli("analyze", "--repo", str(repo.path), "--format", "markdown").out

    assert result.code == 0, result.err
    assert summary.read_text() == "# Earlier step\n" + markdown
    assert "### Architect review checklist" in markdown
    level = re.search(r"^risk-level=(\w+)$", outputs.read_text(), re.M)
    assert level is not None
    assert level.group(1) in ("medium", "high", "critical")
    assert "ai-assisted=true\n" in outputs.read_text()
    assert "findings=1\n" in outputs.read_text()


def test_text_and_markdown_end_with_the_range(repo: Repo, cli: Cli) -> None:
    _configured(repo)
    merge_base, head = repo.sha("main")[:10], repo.sha("feature/run")[:10]

    text = cli("analyze", "--repo", str(repo.path)).out
    markdown = cli("analyze", "--repo", str(repo.path), "--format", "markdown").out

    expected = (
        f"Range: {merge_base}..{head} (1 commit): HEAD on branch feature/run, from its "
        "merge-base with main, the default branch"
    )
    assert expected in text.splitlines()
    assert "\n---\n<sub>Range: " in markdown
