"""PHP: composer.json and composer.lock."""

from __future__ import annotations

import json
import re

from bot.engine.dependencies.documents import as_table
from bot.engine.dependencies.locate import Find, json_find
from bot.engine.dependencies.model import Entry

_COMPOSER_PLATFORM = re.compile(r"php(-\w+)?|hhvm|ext-.+|lib-.+|composer(-[\w-]+-api)?")
_COMPOSER_EXACT = re.compile(
    r"(?:==?)?\s*v?\d+(?:\.\d+){0,3}(?:-?[A-Za-z]+\.?\d*)?(?:@\w+)?|dev-\S+#[0-9a-fA-F]{7,40}"
)


def parse_composer_json(text: str) -> list[Entry]:
    """require and require-dev of a composer.json; platform packages skipped."""
    manifest = as_table(json.loads(text))
    entries = []
    for section in ("require", "require-dev"):
        for name, constraint in as_table(manifest.get(section)).items():
            if isinstance(constraint, str) and not _COMPOSER_PLATFORM.fullmatch(name):
                version = " ".join(constraint.split())
                unpinned = _COMPOSER_EXACT.fullmatch(version) is None
                find = json_find(section, name)
                entries.append(Entry(name, version, unpinned, find=find, key=name.lower()))
    return entries


def parse_composer_lock(text: str) -> list[Entry]:
    """The locked packages of a composer.lock."""
    lock = as_table(json.loads(text))
    entries = []
    for section in ("packages", "packages-dev"):
        packages = lock.get(section)
        for package in packages if isinstance(packages, list) else []:
            table = as_table(package)
            name, version = table.get("name"), table.get("version")
            if isinstance(name, str) and isinstance(version, str):
                find = Find(r"\"name\"\s*:\s*\"NAME\"", name)
                entries.append(Entry(name, version, find=find, key=name.lower()))
    return entries
