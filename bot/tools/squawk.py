"""squawk (sbdchd) over a change's Postgres migrations.

squawk reads each file as one migration. A table the same file creates, or a migration of the
change that runs before it (migrations run in the order of their names), is new and empty: what
locks or fails on a table with rows (an index built without CONCURRENTLY, a NOT NULL column
without a default, a constraint validated at once) cannot hurt it, and no running code reads
its columns yet (a helper column dropped again), so those findings are dropped. Template
placeholders (`{{ .Namespace }}`, `${schema}`) are read as names; a file squawk still cannot
parse as Postgres SQL (another database's dialect) is noted as not checked past the error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

from bot.engine.files import FileJob
from bot.engine.result import Skipped
from bot.engine.tooling import ToolFinding, ToolReport
from bot.tools.runner import CommandTool, Run

# No `.squawk.toml` of the repository (or of a parent folder) may change what is reported.
CONFIG = "# pinned by ai-review-bot: squawk's defaults\n"
_SYNTAX_ERROR = "syntax-error"
# Findings that only matter for a table that already has rows (or code that reads it).
_ON_EXISTING_ROWS = frozenset(
    {
        "ban-drop-column",
        "renaming-column",
        "require-concurrent-index-creation",
        "adding-required-field",
        "adding-not-nullable-field",
        "adding-foreign-key-constraint",
        "constraint-missing-not-valid",
        "changing-column-type",
        "disallowed-unique-constraint",
        "adding-field-with-default",
    }
)
_NAME = r'(?:"[^"]+"|[\w$]+)(?:\s*\.\s*(?:"[^"]+"|[\w$]+))?'
_CREATED = re.compile(
    rf"\bcreate\s+(?:(?:global\s+|local\s+)?(?:temp|temporary|unlogged)\s+)?table\s+"
    rf"(?:if\s+not\s+exists\s+)?({_NAME})",
    re.IGNORECASE,
)
_TARGET = re.compile(
    rf"\balter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?({_NAME})"
    rf"|\bcreate\s+(?:unique\s+)?index\b[^;]*?\bon\s+(?:only\s+)?({_NAME})",
    re.IGNORECASE,
)


# Placeholders migration tools fill in before running the SQL: Go and Jinja templates
# (`{{ .Namespace }}`), Flyway and Liquibase (`${schema}`). Each stands for a name.
_PLACEHOLDER = re.compile(r"\{\{[^{}\n]*\}\}|\$\{[^{}\n]*\}")


def fill_placeholders(text: str) -> str:
    """Each placeholder as a name of its length, so squawk parses the statement and reports
    the same lines and columns."""
    return _PLACEHOLDER.sub(lambda m: "t" + "_" * (len(m.group()) - 1), text)


class Squawk(CommandTool):
    name: ClassVar[str] = "squawk"
    binary: ClassVar[str] = "squawk"
    configs: ClassVar[Mapping[str, str]] = MappingProxyType({"squawk.toml": CONFIG})
    # 1: violations found
    ok_exit_codes: ClassVar[frozenset[int]] = frozenset({0, 1})

    def argv(self, paths: Sequence[str], config_dir: Path) -> list[str]:
        return ["--config", str(config_dir / "squawk.toml"), "--reporter", "json", *paths]

    def prepare(self, text: str) -> str:
        return fill_placeholders(text)

    def parse(self, run: Run, jobs: Sequence[FileJob]) -> ToolReport:
        report = json.loads(run.stdout or "[]")
        if not isinstance(report, list):
            raise TypeError("not a list of findings")
        texts = {job.path: self.prepare(job.head_text or "") for job in jobs}
        # Migrations run in the order of their names; every file here is new in the change.
        created_before = _created_before(texts)
        findings: list[ToolFinding] = []
        errors: dict[str, Skipped] = {}
        for entry in report:
            path = run.repo_path(entry["file"])
            line = int(entry["line"]) + 1  # squawk counts lines from 0
            if entry["rule_name"] == _SYNTAX_ERROR:
                errors.setdefault(path, self._unparsed(path, line, str(entry["message"])))
            elif not _on_new_table(texts.get(path, ""), entry, created_before.get(path, set())):
                findings.append(ToolFinding(path, line, entry["rule_name"], entry["message"]))
        return ToolReport(tuple(findings), tuple(errors.values()))

    def _unparsed(self, path: str, line: int, message: str) -> Skipped:
        return self.not_checked(
            path, f"not Postgres SQL squawk can parse (line {line}: {message}) past that line"
        )


def _created_before(texts: Mapping[str, str]) -> dict[str, set[str]]:
    """For each migration, the tables the change's migrations named before it create."""
    seen: set[str] = set()
    out: dict[str, set[str]] = {}
    for path in sorted(texts):
        out[path] = set(seen)
        seen |= {_bare(m.group(1)) for m in _CREATED.finditer(texts[path])}
    return out


def _on_new_table(text: str, entry: dict[str, Any], new_tables: set[str]) -> bool:
    """Whether the finding is about a table created earlier in the same file, or by a
    migration of the change that runs before it (`new_tables`)."""
    if entry["rule_name"] not in _ON_EXISTING_ROWS:
        return False
    offset = _offset(text, int(entry["line"]), int(entry["column"]))
    start = text.rfind(";", 0, offset) + 1
    end = text.find(";", offset)
    statement = text[start : end if end != -1 else len(text)]
    target = _TARGET.search(statement)
    if target is None:
        return False
    table = _bare(target.group(1) or target.group(2))
    return table in new_tables or table in {
        _bare(m.group(1)) for m in _CREATED.finditer(text, 0, start)
    }


def _offset(text: str, line: int, column: int) -> int:
    """The character offset of a 0-based line and column."""
    offset = 0
    for _ in range(line):
        newline = text.find("\n", offset)
        if newline == -1:
            return len(text)
        offset = newline + 1
    return offset + column


def _bare(name: str) -> str:
    """A table name as Postgres resolves it: unquoted parts fold to lower case; the schema
    is dropped (a migration's tables are in its search path)."""
    last = re.split(r"\s*\.\s*", name.strip())[-1]
    return last[1:-1] if last.startswith('"') else last.lower()
