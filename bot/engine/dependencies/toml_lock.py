"""A fast reader for the `[[package]]` tables of tool-written TOML lockfiles (Cargo, Poetry, uv)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.engine.dependencies.locate import Find
from bot.engine.dependencies.model import Entry


@dataclass(frozen=True, slots=True)
class LockedPackage:
    """One `[[package]]` table: its keys, and where its tables sit in the lockfile text."""

    name: str
    version: str
    source: str | None
    start: int
    end: int


# What a TOML lockfile scan needs, in file order: table headers and a package's own keys.
_LOCK_TOKEN = re.compile(
    r"^(?P<header>\[[^\r\n]*)|^(?P<key>name|version|source) = (?P<value>[^\r\n]*)",
    re.MULTILINE,
)
# Dependency array items: Cargo's `"name version",` and uv's `{ name = "...", ... },`.
_LOCK_REQUIREMENT = re.compile(r"\{\s*name\s*=\s*\"([^\"]+)\"|^[ \t]+\"([^\"\s]+)", re.MULTILINE)


def scan_toml_packages(text: str, header: str) -> list[LockedPackage]:
    """The `header` tables (`[[package]]`, `[[packages]]`) of a tool-written TOML lockfile.

    Cargo, Poetry and uv write a fixed layout (one key per line, sub-tables after the keys),
    so one regex pass reads it far faster than tomllib (1.4 s for a 5 MB Cargo.lock).
    """
    packages: list[LockedPackage] = []
    keys: dict[str, str] | None = None  # the current package's keys, None outside packages
    start = 0
    in_own_table = False

    def close(end: int) -> None:
        if keys is not None and "name" in keys:  # a uv workspace root may have no version
            version, source = keys.get("version", ""), keys.get("source")
            packages.append(LockedPackage(keys["name"], version, source, start, end))

    for token in _LOCK_TOKEN.finditer(text):
        header_text = token["header"]
        if header_text is not None:
            header_text = header_text.strip()
            in_own_table = header_text == header
            if in_own_table or not header_text.startswith(("[package.", "[packages.")):
                close(token.start())
                keys, start = ({} if in_own_table else None), token.start()
        elif keys is not None and in_own_table:
            value = token["value"].strip()
            quoted = len(value) >= 2 and value[0] == value[-1] == '"'
            keys[token["key"]] = value[1:-1] if quoted else value
    close(len(text))
    return packages


def required_names(text: str, packages: list[LockedPackage]) -> set[str]:
    """Names in the dependency arrays of `packages` (the lockfile's roots)."""
    return {
        a or b
        for package in packages
        for a, b in _LOCK_REQUIREMENT.findall(text, package.start, package.end)
    }


def locked_entry(package: LockedPackage, key: str, *, direct: bool = False) -> Entry:
    """The entry of a locked package, found again by its `name = "..."` line."""
    find = Find(r"^name = \"NAME\"", package.name)
    return Entry(package.name, package.version, find=find, direct=direct, key=key)
