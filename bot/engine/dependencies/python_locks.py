"""Python lockfiles: poetry.lock, uv.lock, pylock.toml (PEP 751) and Pipfile.lock."""

from __future__ import annotations

import json
import re

from packaging.utils import canonicalize_name

from bot.engine.dependencies.documents import as_table
from bot.engine.dependencies.locate import Find
from bot.engine.dependencies.model import Entry
from bot.engine.dependencies.toml_lock import locked_entry, required_names, scan_toml_packages


def parse_poetry_lock(text: str) -> list[Entry]:
    """Every locked package of a poetry.lock."""
    return [
        locked_entry(package, canonicalize_name(package.name))
        for package in scan_toml_packages(text, "[[package]]")
        if package.version
    ]


def parse_uv_lock(text: str) -> list[Entry]:
    """The locked packages of a uv.lock, the project's own direct dependencies marked."""
    packages = scan_toml_packages(text, "[[package]]")
    # The project and its workspace members are locked as editable or virtual sources.
    roots = [p for p in packages if p.source and re.search(r"\b(editable|virtual)\b", p.source)]
    direct = {canonicalize_name(name) for name in required_names(text, roots)}
    entries = []
    for package in packages:
        if package.version and package not in roots:
            key = canonicalize_name(package.name)
            entries.append(locked_entry(package, key, direct=key in direct))
    return entries


def parse_pylock(text: str) -> list[Entry]:
    """Every locked package of a PEP 751 pylock.toml."""
    return [
        locked_entry(package, canonicalize_name(package.name))
        for package in scan_toml_packages(text, "[[packages]]")
        if package.version
    ]


def parse_pipfile_lock(text: str) -> list[Entry]:
    """Every locked package of a Pipfile.lock, its version without the `==`."""
    entries = []
    for category, packages in as_table(json.loads(text)).items():
        if category == "_meta":
            continue
        for name, locked in as_table(packages).items():
            package = as_table(locked)
            version = package.get("version") or package.get("ref")
            if isinstance(version, str):
                find = Find(r"\"NAME\"\s*:\s*\{", name)
                key = canonicalize_name(name)
                entries.append(Entry(name, version.removeprefix("=="), find=find, key=key))
    return entries
