"""Nothing risky hides by size or shape.

Added lines always go through the line rules and the secret detectors, whatever the file's size
or look; what whole-file analysis leaves out counts as unmeasured risk (the level is at least
`risk.limits.unmeasured_floor`) and the output says which files and why. Each evasion is tried
through `ai-review-bot analyze` on a real repository, with a look-alike that must not fire.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config.levels import Level
from bot.config.load import load_repo_config
from bot.engine.builtins import load_builtins
from bot.engine.files import FileJob, looks_minified
from bot.engine.patterns import WINDOW, WINDOW_OVERLAP, scan_file
from bot.engine.pipeline import analyze
from bot.engine.resolve import build_ruleset
from bot.engine.snapshot import ChangedFile, FileStatus, Snapshot, Truncation
from tests.conftest import CLAUDE, CliResult, Repo

Cli = Callable[..., CliResult]

AWS_KEY = "AKIAIOSFODNN7EXAMPLF"
SQL_LINE = '    q = "SELECT * FROM users WHERE name = \'" + name + "\'"'
PAD = "  # " + "x" * 316  # a 320-character comment
# Every signal but the floor weighs nothing, so the level below shows the floor alone.
FLOOR_ONLY = (
    "risk:\n  weights: {ai_share: 0, size: 0, complexity: 0, critical_paths: 0,\n"
    "            missing_tests: 0, dependencies: 0, patterns: 0}\n"
)


def _code(pad: str = "") -> str:
    lines = [
        "import sqlite3",
        "",
        "",
        "def find(db, name):",
        SQL_LINE,
        "    return db.execute(q).fetchone()",
        "",
        "",
        f"AWS_KEY = '{AWS_KEY}'",
    ]
    return "\n".join(line + pad for line in lines) + "\n"


def _filler(functions: int) -> str:
    return "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(functions))


def _signal(report: dict[str, Any], signal_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in report["risk"]["signals"] if s["id"] == signal_id)
    return found


def _rules(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(loc["path"], loc["rule"]) for loc in _signal(report, "patterns")["locations"]}


def _analyze(repo: Repo, cli: Cli, config: str | None = None) -> dict[str, Any]:
    args = ["analyze", "--repo", str(repo.path), "--base", "main", "--format", "json"]
    if config is not None:
        path = repo.path.parent / "config.yml"
        path.write_text(config)
        args += ["--config", str(path)]
    result = cli(*args)
    assert result.code == 0, result.err
    return result.json()


def _ai_change(repo: Repo, files: dict[str, str | bytes]) -> None:
    repo.branch("feature/change")
    repo.commit("Add data access", files, trailers=(CLAUDE,))


# --- size and shape ------------------------------------------------------------------------


def test_padded_lines_are_scanned_and_measured(repo: Repo, cli: Cli) -> None:
    _ai_change(repo, {"app/repo.py": _code(PAD)})

    report = _analyze(repo, cli)

    assert {("app/repo.py", "sql-string"), ("app/repo.py", "hardcoded-secret")} <= _rules(report)
    assert "skipped" not in _signal(report, "complexity")
    assert "notes" not in report["risk"]
    assert report["risk"]["level"] == "high"
    assert report["approvals"]["required"] == 1


def test_file_over_the_size_limit_is_scanned_and_counts_as_unmeasured(repo: Repo, cli: Cli) -> None:
    big = _code() + _filler(20_000)  # ~730 KiB
    _ai_change(repo, {"app/repo.py": big})

    report = _analyze(repo, cli)

    assert {("app/repo.py", "sql-string"), ("app/repo.py", "hardcoded-secret")} <= _rules(report)
    assert _signal(report, "complexity")["skipped"] == [
        {"path": "app/repo.py", "reason": "larger than 512 KiB"}
    ]
    assert report["risk"]["notes"] == [
        "not fully analysed, so the level is at least medium (risk.limits.unmeasured_floor): "
        "app/repo.py (larger than 512 KiB)"
    ]
    # 20,000 code lines written by an agent, with a secret and string-built SQL: size at full.
    assert report["risk"]["level"] == "critical"
    assert report["approvals"]["required"] == 2


def test_unmeasured_file_holds_the_level_at_the_floor(repo: Repo, cli: Cli) -> None:
    _ai_change(repo, {"app/big.py": _filler(20_000)})

    at_floor = _analyze(repo, cli, FLOOR_ONLY)
    off = _analyze(repo, cli, FLOOR_ONLY + "  limits: {unmeasured_floor: low}\n")
    high = _analyze(repo, cli, FLOOR_ONLY + "  limits: {unmeasured_floor: high}\n")

    assert (at_floor["risk"]["score"], at_floor["risk"]["level"]) == (0, "medium")
    assert at_floor["approvals"]["required"] == 1
    assert off["risk"]["level"] == "low"
    assert off["risk"]["notes"] == ["not fully analysed: app/big.py (larger than 512 KiB)"]
    assert high["risk"]["level"] == "high"


def test_minified_bundle_outside_the_skip_globs_is_scanned_and_unmeasured(
    repo: Repo, cli: Cli
) -> None:
    bundle = "!function(){" + "var a=1,b=2;" * 3000 + f'var k="{AWS_KEY}";' + "}();\n"
    _ai_change(repo, {"static/app.js": bundle})

    report = _analyze(repo, cli, FLOOR_ONLY)

    assert ("static/app.js", "hardcoded-secret") in _rules(report)
    assert _signal(report, "complexity")["skipped"] == [
        {"path": "static/app.js", "reason": "minified (long lines and no indentation)"}
    ]
    assert report["risk"]["level"] == "medium"


def test_minified_bundle_under_a_skip_glob_does_not_raise_the_floor(repo: Repo, cli: Cli) -> None:
    bundle = "/*! lib v1 | MIT */\n!function(){" + "var a=1,b=2;" * 3000 + "}();\n"
    _ai_change(repo, {"static/lib.min.js": bundle, "dist/app.js": bundle})

    report = _analyze(repo, cli, FLOOR_ONLY)

    assert report["risk"]["level"] == "low"
    assert "notes" not in report["risk"]
    assert _signal(report, "size")["skipped"] == [
        {"path": "dist/app.js", "reason": "generated or vendored (matches dist/)"},
        {"path": "static/lib.min.js", "reason": "generated or vendored (matches *.min.js)"},
    ]


def test_hand_written_code_with_long_lines_is_measured(repo: Repo, cli: Cli) -> None:
    long_string = "x" * 3000
    source = "".join(
        f"export function check{i}(value) {{\n"
        f'  const message = "{long_string}";\n'
        f"  if (value > {i}) {{\n    return message;\n  }}\n  return null;\n}}\n"
        for i in range(5)
    )
    _ai_change(repo, {"src/messages.js": source})

    report = _analyze(repo, cli, FLOOR_ONLY)

    assert "skipped" not in _signal(report, "size")
    assert "skipped" not in _signal(report, "complexity")
    assert report["risk"]["level"] == "low"
    assert "notes" not in report["risk"]


def test_flat_padded_file_taken_for_minified_is_still_scanned_and_unmeasured(
    repo: Repo, cli: Cli
) -> None:
    flat = "".join(
        f"{line}  # {'y' * 400}\n"
        for line in (
            "import sqlite3",
            'q = "SELECT * FROM users WHERE name = \'" + name + "\'"',
            f"AWS_KEY = '{AWS_KEY}'",
            "rows = db.execute(q)",
            "x = 1",
            "y = 2",
        )
    )
    _ai_change(repo, {"app/flat.py": flat})

    report = _analyze(repo, cli)

    assert {("app/flat.py", "sql-string"), ("app/flat.py", "hardcoded-secret")} <= _rules(report)
    assert "app/flat.py (minified (long lines and no indentation))" in report["risk"]["notes"][0]
    assert report["risk"]["level"] == "high"


@pytest.mark.parametrize(
    ("text", "minified"),
    [
        pytest.param(_code(PAD) + _filler(10), False, id="padded-but-indented"),
        pytest.param(("  const x = '" + "a" * 400 + "';\n") * 10, False, id="indented-long-lines"),
        pytest.param("x = 1\n" * 1000, False, id="short-lines"),
        pytest.param("var a=1;" * 300, True, id="one-long-line"),
        pytest.param(
            "/*!\n * lib v1\n * (c) someone\n * MIT\n */\n" + "var a=1;" * 1000, True, id="license"
        ),
        pytest.param(("x = 1  # " + "y" * 400 + "\n") * 10, True, id="flat-padded"),
        pytest.param("var a=1;" * 200, False, id="small"),
    ],
)
def test_minified_look_needs_long_lines_and_no_indentation(text: str, minified: bool) -> None:
    assert looks_minified(text) is minified


def test_lone_carriage_returns_leave_the_file_unmeasured(repo: Repo, cli: Cli) -> None:
    source = "import pickle\r\r\rdef load(blob):\r    return pickle.loads(blob)\r"
    _ai_change(repo, {"app/load.py": source})

    report = _analyze(repo, cli, FLOOR_ONLY)

    reason = "carriage returns without newlines (git and the compiler number lines apart)"
    assert _signal(report, "complexity")["skipped"] == [{"path": "app/load.py", "reason": reason}]
    assert report["risk"]["level"] == "medium"


def test_windows_line_endings_are_measured(repo: Repo, cli: Cli) -> None:
    _ai_change(repo, {"app/load.py": "import json\r\n\r\n\r\ndef load(blob):\r\n    return 1\r\n"})

    report = _analyze(repo, cli, FLOOR_ONLY)

    assert "skipped" not in _signal(report, "complexity")
    assert report["risk"]["level"] == "low"


# --- binary to git, text by name ------------------------------------------------------------


def test_source_file_git_sees_as_binary_counts_as_unmeasured(repo: Repo, cli: Cli) -> None:
    evil = f"// \x00\nconst k = '{AWS_KEY}';\n".encode()
    _ai_change(repo, {"src/charge.js": evil, "assets/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00"})

    report = _analyze(repo, cli, FLOOR_ONLY)

    reason = "no text diff (binary to git, or too large to show): its lines were not scanned"
    assert _signal(report, "size")["skipped"] == [
        {"path": "assets/logo.png", "reason": "binary file"},
        {"path": "src/charge.js", "reason": reason},
    ]
    assert report["risk"]["notes"] == [
        "not fully analysed, so the level is at least medium (risk.limits.unmeasured_floor): "
        f"src/charge.js ({reason})"
    ]
    assert report["risk"]["level"] == "medium"


def test_binary_image_alone_does_not_raise_the_floor(repo: Repo, cli: Cli) -> None:
    _ai_change(repo, {"assets/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00"})

    report = _analyze(repo, cli, FLOOR_ONLY)

    assert report["risk"]["level"] == "low"
    assert "notes" not in report["risk"]


def test_syntax_error_is_not_measured_but_does_not_raise_the_floor(repo: Repo, cli: Cli) -> None:
    _ai_change(repo, {"app/broken.py": "def broken(:\n    pass\n"})

    report = _analyze(repo, cli, FLOOR_ONLY)

    assert [s["path"] for s in _signal(report, "complexity")["skipped"]] == ["app/broken.py"]
    assert report["risk"]["level"] == "low"


def test_large_file_on_a_critical_path_still_touches_it(repo: Repo, cli: Cli) -> None:
    _ai_change(repo, {"auth/tokens.py": _filler(20_000), "auth/vendor/lib.js": "x = 1;\n"})

    report = _analyze(repo, cli)

    paths = [loc["path"] for loc in _signal(report, "critical_paths")["locations"]]
    assert paths == ["auth/tokens.py", "auth/vendor/lib.js"]


# --- the line scan's bounds ---------------------------------------------------------------


def test_secret_far_along_a_long_line_is_found(repo: Repo, cli: Cli) -> None:
    line = "var data = '" + "a, " * 100_000 + f"'; var key = '{AWS_KEY}';"
    _ai_change(repo, {"static/data.js": line + "\n"})

    report = _analyze(repo, cli)

    assert ("static/data.js", "hardcoded-secret") in _rules(report)


@pytest.mark.parametrize("offset", range(WINDOW - 40, WINDOW + 40, 7))
def test_match_across_a_window_boundary_is_found(offset: int) -> None:
    line = "," * offset + f"key = '{AWS_KEY}'" + "," * (3 * WINDOW)
    job = FileJob("a.js", "javascript", None, None, None, frozenset({1}), {1: line})

    found = scan_file(job, (), frozenset())

    assert [(f.rule, f.line) for f in found.findings] == [("hardcoded-secret", 1)]
    assert WINDOW_OVERLAP >= 1024


def test_scan_budget_reads_the_small_files_first_and_lists_the_rest(repo: Repo, cli: Cli) -> None:
    filler = "".join(f"const value{i} = {i};\n" for i in range(80_000))  # ~1.6 MiB
    _ai_change(
        repo,
        {
            "src/huge.js": f"const a = '{AWS_KEY}';\n" + filler + f"const b = '{AWS_KEY}';\n",
            "src/small.js": f"const c = '{AWS_KEY}';\n",
        },
    )
    config = FLOOR_ONLY + "  limits: {scan_bytes: 1048576}\n"

    report = _analyze(repo, cli, config)

    found = [(loc["path"], loc["line"]) for loc in _signal(report, "patterns")["locations"]]
    assert found == [("src/huge.js", 1), ("src/small.js", 1)]
    reason = "added lines past the change's line-scan budget (1 MiB) were not scanned"
    assert _signal(report, "patterns")["skipped"] == [{"path": "src/huge.js", "reason": reason}]
    assert f"src/huge.js ({reason})" in report["risk"]["notes"][0]
    assert report["risk"]["level"] == "medium"


# --- what the source could not give -------------------------------------------------------


def _ruleset(config: str = FLOOR_ONLY) -> Any:
    return build_ruleset(load_repo_config(config, "test"), load_builtins())


def _new_python_file(path: str) -> ChangedFile:
    return ChangedFile(
        path=path, status=FileStatus.ADDED, added_lines=(1,), added_text={1: "x = 1"}
    )


def test_text_the_source_did_not_give_counts_as_unmeasured() -> None:
    snapshot = Snapshot("b" * 40, "h" * 40, files=(_new_python_file("app/a.py"),))

    risk = analyze(snapshot, _ruleset()).risk

    assert risk.level is Level.MEDIUM
    assert risk.notes == (
        "not fully analysed, so the level is at least medium (risk.limits.unmeasured_floor): "
        "app/a.py (head text not available)",
    )


def test_text_at_hand_is_measured_and_leaves_the_level_alone() -> None:
    snapshot = Snapshot(
        "b" * 40,
        "h" * 40,
        files=(_new_python_file("app/a.py"),),
        head_texts={"app/a.py": "x = 1\n"},
    )

    risk = analyze(snapshot, _ruleset()).risk

    assert (risk.level, risk.notes) == (Level.LOW, ())


def test_files_github_did_not_list_count_as_unmeasured() -> None:
    snapshot = Snapshot(
        "b" * 40,
        "h" * 40,
        files=(_new_python_file("app/a.py"),),
        head_texts={"app/a.py": "x = 1\n"},
        truncation=Truncation(files_total=3500),
    )

    risk = analyze(snapshot, _ruleset()).risk

    assert risk.level is Level.MEDIUM
    assert risk.notes[-1].endswith(": the changed files the source did not list")


def test_docs_name_the_floor_setting() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs"

    assert "unmeasured_floor" in (docs / "risk.md").read_text()
    assert "unmeasured_floor: medium" in (docs / "configuration.md").read_text()
