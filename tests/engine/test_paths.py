"""Paths are exact: file names git quotes in its diffs reach every signal as they are named.

git writes a name holding a `"`, a backslash, a tab, a newline (and, with `core.quotePath` on,
any non-ASCII byte) as a C-style quoted string in diff headers. Each name below is committed to
a real repository and analysed by `ai-review-bot analyze`; the diff parser is also fed git's own
output as GitHub serves it (quotePath on, full blob ids).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from bot.config import globs
from bot.engine.diff import DiffError, parse_diff, parse_file_patch, to_changed_file, unquote
from bot.engine.snapshot import FileStatus
from bot.local.git import GitRepo
from tests.conftest import CLAUDE, CliResult, Repo

Cli = Callable[..., CliResult]

NAMES = {
    "quote": 'billing/charge".py',
    "quotes around": 'billing/"charge".py',
    "backslash": "billing/back\\slash.py",
    "tab": "billing/tab\there.py",
    "newline": "billing/new\nline.py",
    "space": "billing/with space.py",
    "space before b/": "billing/x b/charge.py",
    "trailing space": "billing/charge .py",
    "non-ascii": "billing/facturé.py",
    "bidi": "billing/\u202eyp.charge.py",
    "escape-like text": "billing/\\303\\251.py",
    "arrow": "billing/a => b.py",
}

BILLING_CONFIG = (
    "risk:\n"
    "  builtin_critical_paths: false\n"
    "  critical_paths:\n"
    "    - name: billing\n"
    "      paths: ['billing/**']\n"
    "      owners: ['@acme/payments']\n"
)

SOURCE = """\
import sqlite3


def find(db: sqlite3.Connection, name: str) -> object:
    return db.execute("SELECT * FROM users WHERE name = '" + name + "'").fetchone()


def grade(score: int) -> str:
    if score > 90:
        return "a"
    if score > 80:
        return "b"
    if score > 70:
        return "c"
    if score > 60:
        return "d"
    if score > 50:
        return "e"
    if score > 40:
        return "f"
    if score > 30:
        return "g"
    if score > 20:
        return "h"
    if score > 10:
        return "i"
    if score > 5:
        return "j"
    return "k"


AWS_KEY = "AKIAIOSFODNN7EXAMPLF"
"""


def _signal(report: dict[str, Any], signal_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in report["risk"]["signals"] if s["id"] == signal_id)
    return found


def _analyze(repo: Repo, cli: Cli) -> dict[str, Any]:
    result = cli("analyze", "--repo", str(repo.path), "--base", "main", "--format", "json")
    assert result.code == 0, result.err
    return result.json()


def _billing_repo(repo: Repo, quote_path: bool) -> None:
    repo.git("config", "core.quotePath", "true" if quote_path else "false")
    repo.commit("Configure the gate", {".github/ai-review.yml": BILLING_CONFIG})
    repo.branch("feature/names")


@pytest.mark.parametrize("quote_path", [True, False], ids=["quotePath", "no-quotePath"])
@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_quoted_name_gets_patterns_complexity_and_its_critical_path(
    repo: Repo, cli: Cli, name: str, quote_path: bool
) -> None:
    _billing_repo(repo, quote_path)
    repo.commit("Add charge lookup", {name: SOURCE}, trailers=(CLAUDE,))

    report = _analyze(repo, cli)

    findings = {(loc["path"], loc.get("rule")) for loc in _signal(report, "patterns")["locations"]}
    assert {(name, "sql-string"), (name, "hardcoded-secret")} <= findings
    complexity = _signal(report, "complexity")
    assert [(loc["path"], loc["line"]) for loc in complexity["locations"]] == [(name, 8)]
    assert "skipped" not in complexity
    critical = _signal(report, "critical_paths")
    assert critical["locations"] == [
        {
            "path": name,
            "line": None,
            "rule": "critical-path",
            "message": "billing (matches billing/**)",
        }
    ]
    assert [loc["path"] for loc in _signal(report, "missing_tests")["locations"]] == [name]
    assert report["risk"]["level"] in ("high", "critical")
    assert "notes" not in report["risk"]


def test_rename_between_quoted_names_is_analysed_under_its_new_name(repo: Repo, cli: Cli) -> None:
    old, new = 'billing/old"name.py', "billing/new\tname\\2.py"
    before = SOURCE.replace("'\" + name + \"'", "?").replace("AKIAIOSFODNN7EXAMPLF", "")
    repo.commit("Configure the gate", {".github/ai-review.yml": BILLING_CONFIG})
    repo.commit("Add old", {old: before})
    repo.branch("feature/rename")
    repo.commit("Rename and add SQL", {new: SOURCE}, delete=(old,))

    report = _analyze(repo, cli)
    snapshot_files = GitRepo(repo.path).changed_files(repo.sha("main"), repo.sha("HEAD"))

    assert [(f.path, f.old_path, f.status) for f in snapshot_files] == [
        (new, old, FileStatus.RENAMED)
    ]

    findings = {(loc["path"], loc.get("rule")) for loc in _signal(report, "patterns")["locations"]}
    assert {(new, "sql-string"), (new, "hardcoded-secret")} <= findings
    assert [loc["path"] for loc in _signal(report, "critical_paths")["locations"]] == [new]


def test_pure_rename_of_quoted_names_keeps_both_names(repo: Repo) -> None:
    old, new = 'billing/a "b".py', "billing/c\nd é.py"
    base = repo.commit("Add", {old: "x = 1\ny = 2\nz = 3\n"})
    head = repo.commit("Move", rename={old: new})

    (changed,) = GitRepo(repo.path).changed_files(base, head)

    assert (changed.path, changed.old_path, changed.status) == (new, old, FileStatus.RENAMED)


def test_binary_file_with_quoted_name_is_listed_and_touches_its_critical_path(
    repo: Repo, cli: Cli
) -> None:
    name = 'billing/logo "v2".png'
    repo.commit("Configure the gate", {".github/ai-review.yml": BILLING_CONFIG})
    repo.branch("feature/logo")
    repo.commit("Logo", {name: b"\x89PNG\r\n\x1a\n\x00\x00binary"})

    report = _analyze(repo, cli)

    assert _signal(report, "size")["skipped"] == [{"path": name, "reason": "binary file"}]
    assert [loc["path"] for loc in _signal(report, "critical_paths")["locations"]] == [name]


def test_deleted_file_with_quoted_name_is_removed_not_renamed(repo: Repo) -> None:
    name = "billing/tab\tdel.py"
    base = repo.commit("Add", {name: "x = 1\n"})
    head = repo.commit("Delete", delete=(name,))

    (changed,) = GitRepo(repo.path).changed_files(base, head)

    assert (changed.path, changed.status, changed.removed_lines) == (name, FileStatus.REMOVED, (1,))


def test_bidi_control_in_a_name_is_a_finding_of_its_own(repo: Repo, cli: Cli) -> None:
    repo.commit(
        "Base", {"billing/charge.py": "x = 1\n", "billing/\u05d7\u05e9\u05d1.py": "y = 2\n"}
    )
    repo.branch("feature/rename")
    repo.commit("Rename", rename={"billing/charge.py": "billing/\u202eyp.exe.py"})

    report = _analyze(repo, cli)

    assert _signal(report, "patterns")["locations"] == [
        {
            "path": "billing/\u202eyp.exe.py",
            "line": None,
            "rule": "bidi-control",
            "severity": "high",
            "cwe": 838,
            "message": "Bidirectional control character in the file name makes it display as "
            "another name; rename the file.",
        }
    ]
    assert report["risk"]["level"] in ("high", "critical")


def test_right_to_left_letters_in_a_name_are_not_a_finding(repo: Repo, cli: Cli) -> None:
    repo.branch("feature/hebrew")
    repo.commit("Add", {"docs/\u05d7\u05e9\u05d1\u05d5\u05df.md": "text\n"})

    report = _analyze(repo, cli)

    assert _signal(report, "patterns")["locations"] == []


# --- the parser on git's own output, as GitHub serves it ----------------------------------------


def _github_diff(repo: Repo, base: str, head: str) -> str:
    """The pull request diff GitHub serves: git's, with quotePath on and full blob ids."""
    done = subprocess.run(
        ["git", "-c", "core.quotePath=true", "diff", "--full-index", "-M", base, head],
        cwd=repo.path,
        capture_output=True,
        check=True,
    )
    return done.stdout.decode("utf-8")


def test_github_diff_with_quoted_names_parses_to_exact_paths(repo: Repo) -> None:
    base = repo.commit("Base", {'billing/old "one".py': "a = 1\nb = 2\nc = 3\nd = 4\n"})
    files: dict[str, str | bytes] = {
        name: f"first = 1\nsecond = '{key}'\n" for key, name in NAMES.items()
    }
    files["billing/data\tfile.png"] = b"\x89PNG\x00\x01\x02"
    head = repo.commit("Names", files, rename={'billing/old "one".py': "billing/new\\one.py"})

    text = _github_diff(repo, base, head)
    changed = {f.path: f for f in map(to_changed_file, parse_diff(text))}

    assert '"b/billing/charge\\".py"' in text  # git did quote: the parser decoded it
    assert "\\303\\251" in text
    assert set(changed) == {*NAMES.values(), "billing/data\tfile.png", "billing/new\\one.py"}
    for key, name in NAMES.items():
        assert changed[name].status is FileStatus.ADDED
        assert dict(changed[name].added_text) == {1: "first = 1", 2: f"second = '{key}'"}
    assert changed["billing/data\tfile.png"].binary is True
    renamed = changed["billing/new\\one.py"]
    assert (renamed.status, renamed.old_path) == (FileStatus.RENAMED, 'billing/old "one".py')


def test_github_file_list_patch_keeps_the_listed_name(repo: Repo) -> None:
    name = 'billing/new\n"line".py'
    base = repo.sha("HEAD")
    head = repo.commit("Add", {name: "x = 1\ny = 2\n"})
    text = _github_diff(repo, base, head)
    hunks = text[text.index("\n@@ ") + 1 :]

    changed = parse_file_patch(name, hunks, FileStatus.ADDED)

    assert (changed.path, changed.added_lines) == (name, (1, 2))
    assert dict(changed.added_text) == {1: "x = 1", 2: "y = 2"}


@pytest.mark.parametrize(
    ("quoted", "name"),
    [
        ('"a\\tb"', "a\tb"),
        ('"a\\nb\\\\c\\"d"', 'a\nb\\c"d'),
        ('"caf\\303\\251"', "café"),
        ('"\\342\\200\\256x"', "\u202ex"),
        ('"\\a\\b\\v\\f\\r\\177"', "\a\b\v\f\r\x7f"),
    ],
)
def test_c_style_quoted_names_decode_to_their_bytes(quoted: str, name: str) -> None:
    assert unquote(quoted) == (name, len(quoted))


@pytest.mark.parametrize("quoted", ['"unterminated', '"bad \\q escape"', '"short \\30"'])
def test_malformed_quoted_name_is_an_error_not_a_guess(quoted: str) -> None:
    with pytest.raises(DiffError):
        unquote(quoted)


def test_hunk_shorter_than_its_header_is_an_error() -> None:
    text = "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1,0 +1,3 @@\n+a\n+b\n"

    with pytest.raises(DiffError, match="ends early"):
        parse_diff(text)


def test_removed_line_that_looks_like_a_header_stays_in_its_hunk() -> None:
    text = (
        "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n"
        "@@ -1,2 +1,2 @@\n--- a/y.py\n-+++ b/y.py\n+diff --git a/z b/z\n+@@ -1 +1 @@\n"
    )

    (section,) = parse_diff(text)
    changed = to_changed_file(section)

    assert dict(changed.added_text) == {1: "diff --git a/z b/z", 2: "@@ -1 +1 @@"}
    assert changed.removed_lines == (1, 2)


# --- globs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_anchored_and_floating_globs_match_every_exact_name(name: str) -> None:
    assert globs.match(name, "billing/**")
    assert globs.match_any(name, ("**/billing/**",))
    assert globs.match(name, "*.py")
