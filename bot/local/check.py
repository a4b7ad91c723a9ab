"""`check-config` on a checkout: the config, the checklist files beside it, the built-in
checklists, and what `owners: codeowners` resolves to.

The repo's checklist files (`.github/ai-review/checklists/*.yml`) and CODEOWNERS are read from
the checkout's working tree, as they will be on the base branch once merged; every mistake is
placed at its file, line and column.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.config import CHECKLISTS_DIR, globs
from bot.config.codeowners import (
    CODEOWNERS_PATHS,
    MAX_BYTES,
    CodeOwners,
    CodeOwnersFile,
)
from bot.config.issues import ConfigError, ConfigIssue, parse_path
from bot.config.load import load_repo_config
from bot.config.model import RepoConfig
from bot.config.reader import parse_document
from bot.engine.builtins import load_builtins
from bot.engine.owners import area_name
from bot.engine.references import checklist_issues, known_pattern_ids
from bot.engine.resolve import load_checklist, repo_ruleset, uses_codeowners
from bot.engine.ruleset import Ruleset
from bot.local.git import GitError, GitRepo

MAX_LISTED = 5


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What check-config found: the errors (each a file's ConfigError), then what it explains
    (lines), and the warnings."""

    errors: tuple[ConfigError, ...] = ()
    explained: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.errors


def _placed_in(text: str, error: ConfigError) -> ConfigError:
    """The config's issues that came without a line (cross-references), placed in `text`."""
    document = parse_document(text, error.source)
    issues: list[ConfigIssue] = []
    for issue in error.issues:
        path = parse_path(issue.path) if issue.line is None and issue.path else None
        position = document.position_of_value(path) if path else None
        if position is None:
            issues.append(issue)
        else:
            issues.append(ConfigIssue(position.line, position.column, issue.path, issue.message))
    return ConfigError(error.source, issues)


def checklist_files(root: Path) -> list[tuple[str, bytes]]:
    """(path, content) of the repo's own checklist files in the working tree, sorted."""
    folder = root / CHECKLISTS_DIR
    if not folder.is_dir():
        return []
    return [
        (f"{CHECKLISTS_DIR}/{file.name}", file.read_bytes())
        for file in sorted(folder.glob("*.yml"))
    ]


def codeowners_in(root: Path) -> CodeOwnersFile | None:
    """The CODEOWNERS file GitHub would use, from the working tree."""
    for path in CODEOWNERS_PATHS:
        file = root / path
        if not file.is_file():
            continue
        size = file.stat().st_size
        if size >= MAX_BYTES:
            return CodeOwnersFile(path, None, f"it is {size:,} bytes; GitHub loads it under 3 MB")
        raw = file.read_bytes()
        try:
            return CodeOwnersFile(path, raw.decode("utf-8"))
        except UnicodeDecodeError:
            return CodeOwnersFile(path, None, "it is not UTF-8 text")
    return None


def _builtin_errors() -> list[ConfigError]:
    """The shipped checklists' `when.patterns` (a packaging bug, but said like any other)."""
    patterns = known_pattern_ids(())
    errors = []
    for checklist in load_builtins().checklists:
        found = checklist_issues(checklist, f"checklists/{checklist.id}.yml", (), patterns)
        if found:
            errors.append(ConfigError(found[0].source, [u.issue() for u in found]))
    return errors


def _grouped(paths: Iterable[str]) -> str:
    listed = list(paths)
    shown = ", ".join(listed[:MAX_LISTED])
    return shown + (f" and {len(listed) - MAX_LISTED} more" if len(listed) > MAX_LISTED else "")


def explain_codeowners(ruleset: Ruleset, files: list[str] | str) -> tuple[list[str], list[str]]:
    """Lines saying whom each `owners: codeowners` critical path asks, by the checkout's
    `files` (or why they cannot be listed), and warnings: files no one can approve, lines
    GitHub skips."""
    codeowners: CodeOwners = ruleset.codeowners
    lines: list[str] = []
    warnings = [f"{codeowners.source}:{issue}" for issue in codeowners.skipped]
    for index, area in enumerate(ruleset.critical_paths):
        if not area.from_codeowners:
            continue
        name = area_name(index, area.name)
        if codeowners.problem:
            warnings.append(
                f"critical path {name!r}: every file it touches waits for an owner nobody can "
                f"be: {codeowners.problem}"
            )
            continue
        lines.append(f"critical path {name!r}: owners from {codeowners.source}")
        if isinstance(files, str):
            lines.append(f"  {files}")
            continue
        owned: dict[tuple[tuple[str, ...], str], list[str]] = {}
        for path in files:
            if ruleset.is_production(path) and globs.match_any(path, area.paths):
                found = codeowners.owner_of(path)
                where = str(found.line) if found.line else ""
                key = (found.owners, found.none_because or where)
                owned.setdefault(key, []).append(path)
        if not owned:
            lines.append("  no file of the checkout is on this path")
        for (owners, why), paths in owned.items():
            if owners:
                who = ", ".join(o if o.startswith("@") else f"@{o}" for o in owners)
                lines.append(f"  {who}, by {why}: {_grouped(paths)}")
            else:
                lines.append(f"  no owner: {_grouped(paths)}")
                warnings.append(
                    f"critical path {name!r}: {len(paths)} file(s) with no owner to approve "
                    f"them ({why}), so a change to them cannot pass: {_grouped(paths)}"
                )
    return lines, warnings


def check(config_text: bytes, source: str, root: Path) -> CheckReport:
    """Validate the config in `config_text` (named `source`) with the checkout at `root`."""
    errors = _builtin_errors()
    try:
        config: RepoConfig = load_repo_config(config_text, source)
    except ConfigError as exc:
        return CheckReport((*errors, exc))
    patterns = known_pattern_ids(rule.id for rule in config.risk.patterns.rules)
    texts: list[tuple[str, str]] = []
    for path, content in checklist_files(root):
        try:
            load_checklist(content, path, patterns)
        except ConfigError as exc:
            errors.append(exc)
        else:
            texts.append((path, content.decode("utf-8")))
    if errors:
        return CheckReport(tuple(errors))
    try:
        ruleset = repo_ruleset(config, texts, codeowners_in(root), source)
    except ConfigError as exc:
        text = config_text.decode("utf-8", "replace")
        return CheckReport((*errors, _placed_in(text, exc) if exc.source == source else exc))
    if errors or not uses_codeowners(config):
        return CheckReport(tuple(errors))
    try:
        files: list[str] | str = GitRepo(root).tracked_files()
    except GitError as exc:
        files = f"cannot list the checkout's files: {exc}"
    explained, warnings = explain_codeowners(ruleset, files)
    return CheckReport((), tuple(explained), tuple(warnings))
