"""Rust: Cargo.toml and Cargo.lock."""

from __future__ import annotations

import re
import tomllib

from bot.engine.dependencies.documents import as_table
from bot.engine.dependencies.locate import Find, key_find, toml_header
from bot.engine.dependencies.model import Entry
from bot.engine.dependencies.sources import source_spec
from bot.engine.dependencies.toml_lock import locked_entry, required_names, scan_toml_packages

_CARGO_SECTIONS = ("dependencies", "dev-dependencies", "build-dependencies", "dev_dependencies")
_CARGO_EXACT = re.compile(r"=\s*\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")


def _cargo_entry(name: str, value: object, find: Find) -> Entry | None:
    if isinstance(value, str):
        return Entry(name, value.strip(), not _CARGO_EXACT.fullmatch(value.strip()), find=find)
    table = as_table(value)
    if table.get("workspace") is True:  # the spec stands in [workspace.dependencies]
        return Entry(name, "workspace", find=find)
    source = source_spec(table)
    if source is not None:
        return Entry(name, source[0], source[1], find=find)
    version = table.get("version")
    if isinstance(version, str):
        return Entry(name, version.strip(), not _CARGO_EXACT.fullmatch(version.strip()), find=find)
    if table:
        return Entry(name, "", True, find=find)
    return None


def parse_cargo_toml(text: str) -> list[Entry]:
    """Every dependency table of a Cargo.toml: dev, build, target and workspace ones."""
    document = tomllib.loads(text)
    sections: list[tuple[str | None, object]] = [
        (toml_header(name), document.get(name)) for name in _CARGO_SECTIONS
    ]
    workspace = as_table(document.get("workspace"))
    sections.append((toml_header("workspace", "dependencies"), workspace.get("dependencies")))
    for target in as_table(document.get("target")).values():
        sections += [(None, as_table(target).get(name)) for name in _CARGO_SECTIONS]
    entries = []
    for anchor, section in sections:
        for name, value in as_table(section).items():
            entry = _cargo_entry(name, value, key_find(anchor, name))
            if entry is not None:
                entries.append(entry)
    return entries


def parse_cargo_lock(text: str) -> list[Entry]:
    """The crates of a Cargo.lock from a registry or git; workspace members skipped."""
    packages = scan_toml_packages(text, "[[package]]")
    # Workspace members and path dependencies have no source; they are the repo's own code.
    roots = [p for p in packages if p.source is None]
    direct = required_names(text, roots)
    return [
        locked_entry(p, p.name, direct=p.name in direct)
        for p in packages
        if p.source is not None and p.version
    ]
