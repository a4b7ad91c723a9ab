"""JavaScript: package.json, package-lock.json (npm-shrinkwrap.json), yarn.lock, pnpm-lock.yaml."""

from __future__ import annotations

import json
import re
from collections import deque

from bot.engine.dependencies.documents import as_table
from bot.engine.dependencies.locate import Find, json_find
from bot.engine.dependencies.model import Entry
from bot.engine.dependencies.sources import is_commit, url_pins

_NPM_SECTIONS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")
_NPM_EXACT = re.compile(r"(?:=|v)?\s*\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")
_NPM_LOCAL = ("file:", "link:", "workspace:", "portal:", "./", "../", "/", "~/")
_NPM_GIT = re.compile(r"git\+|git:|github:|gitlab:|bitbucket:|gist:|[\w.-]+/[\w.-]+(?:#|$)")


def _npm_unpinned(spec: str) -> bool:
    version = spec.strip()
    if version.startswith("npm:"):  # alias: npm:real-name@range
        target = version[4:]
        at = target.rfind("@")
        version = target[at + 1 :] if at > 0 else ""
    if version.startswith(_NPM_LOCAL):
        return False
    if _NPM_GIT.match(version):
        return not is_commit(version.partition("#")[2])
    if version.startswith(("http://", "https://")):
        return not url_pins(version)
    return _NPM_EXACT.fullmatch(version) is None


def parse_package_json(text: str) -> list[Entry]:
    """Every dependency section of a package.json; devDependencies are marked as such."""
    manifest = as_table(json.loads(text))
    entries = []
    for section in _NPM_SECTIONS:
        for name, spec in as_table(manifest.get(section)).items():
            if isinstance(spec, str):
                version = " ".join(spec.split())
                find = json_find(section, name)
                dev = section == "devDependencies"
                entries.append(Entry(name, version, _npm_unpinned(version), find=find, dev=dev))
    return entries


def _npm_name(descriptor: str) -> str:
    """`name` of `name@range` or `@scope/name@range`."""
    at = descriptor.find("@", 1 if descriptor.startswith("@") else 0)
    return descriptor[:at] if at > 0 else descriptor


def parse_package_lock(text: str) -> list[Entry]:
    """The installed packages of package-lock.json v2/v3, or v1's dependency tree."""
    lock = as_table(json.loads(text))
    entries = []
    packages = lock.get("packages")
    if isinstance(packages, dict):  # lockfileVersion 2 and 3
        for location, package in packages.items():
            table = as_table(package)
            version = table.get("version")
            if "node_modules/" not in location or table.get("link") or not isinstance(version, str):
                continue
            name = location.rsplit("node_modules/", 1)[1]
            find = Find(r"\"NAME\"\s*:", location)
            direct = location == f"node_modules/{name}"
            entries.append(Entry(name, version, find=find, direct=direct, key=name))
        return entries
    # lockfileVersion 1: a tree of "dependencies".
    pending = deque((name, dep, True) for name, dep in as_table(lock.get("dependencies")).items())
    while pending:
        name, dependency, direct = pending.popleft()
        table = as_table(dependency)
        version = table.get("version")
        if isinstance(version, str):
            find = Find(r"\"NAME\"\s*:\s*\{", name)
            entries.append(Entry(name, version, find=find, direct=direct, key=name))
        pending += [(n, d, False) for n, d in as_table(table.get("dependencies")).items()]
    return entries


_YARN_VERSION = re.compile(r"  version:? \"?([^\"\s]+)\"?\s*$")
_YARN_LOCAL = re.compile(r"@(workspace|link|portal):")


def parse_yarn_lock(text: str) -> list[Entry]:
    """The resolved entries of a yarn.lock, classic or Berry; workspaces skipped."""
    entries = []
    current: tuple[str, int] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw or raw.startswith("#"):
            continue
        if not raw.startswith(" "):
            current = None
            descriptor = raw.rstrip(":").split(",")[0].strip().strip("\"'")
            if raw.endswith(":") and descriptor != "__metadata" and not _YARN_LOCAL.search(raw):
                current = (_npm_name(descriptor), number)
            continue
        version = _YARN_VERSION.match(raw) if current is not None else None
        if current is not None and version is not None:
            name, line = current
            entries.append(Entry(name, version.group(1), line=line))
            current = None
    return entries


_PNPM_DEPENDENCY_KEYS = frozenset({"dependencies", "devDependencies", "optionalDependencies"})


def _pnpm_package(key: str) -> tuple[str, str] | None:
    """(name, version) of a `packages:` key in any pnpm lockfile version."""
    locator = key.strip().strip("'\"").lstrip("/")
    paren = locator.find("(")  # v6+ peer suffix: foo@1.0.0(react@18.0.0)
    if paren > 0:
        locator = locator[:paren]
    name = _npm_name(locator)
    # An npm name has one slash when scoped and none otherwise; more means v5's name/version.
    if name != locator and name.count("/") == name.startswith("@"):
        return name, locator[len(name) + 1 :]
    slash = locator.rfind("/")  # v5: /foo/1.0.0_react@18.0.0 (peers never hold a slash)
    if slash <= 0:
        return None
    return locator[:slash], locator[slash + 1 :].split("_", 1)[0]


def parse_pnpm_lock(text: str) -> list[Entry]:
    """The packages of a pnpm-lock.yaml (v5 to v9), importers' direct ones marked."""
    packages: list[tuple[str, str, int]] = []
    direct: set[str] = set()
    section = ""
    dependency_indent: int | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        key = stripped.split(":", 1)[0].strip("'\"")
        if indent == 0:
            section = key
            dependency_indent = 0 if key in _PNPM_DEPENDENCY_KEYS else None
            continue
        if section == "packages":
            package = _pnpm_package(stripped[:-1]) if indent == 2 and raw.endswith(":") else None
            if package is not None:
                packages.append((*package, number))
            continue
        if section != "importers" and section not in _PNPM_DEPENDENCY_KEYS:
            continue
        if dependency_indent is not None and indent <= dependency_indent:
            dependency_indent = None
        if key in _PNPM_DEPENDENCY_KEYS and stripped.endswith(":"):
            dependency_indent = indent
        elif dependency_indent is not None and indent == dependency_indent + 2:
            direct.add(key)
    return [
        Entry(name, version, line=line, direct=name in direct) for name, version, line in packages
    ]
