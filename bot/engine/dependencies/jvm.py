"""Java and the JVM: pom.xml, Gradle build scripts, version catalogs and lockfiles."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from typing import Any

from bot.engine.dependencies.documents import as_table, children, local_name, parse_xml
from bot.engine.dependencies.locate import Find, key_find, toml_header
from bot.engine.dependencies.model import Entry


def maven_unpinned(version: str) -> bool:
    """Whether a Maven version lets the resolved version move (a range, LATEST, a snapshot).

    NuGet shares the range syntax.
    """
    # "" is managed by a parent or BOM (Maven refuses a dependency without a version otherwise).
    if version.upper() in ("LATEST", "RELEASE") or version.endswith("-SNAPSHOT"):
        return True
    is_range = version.startswith(("[", "(", "]"))
    return is_range and re.fullmatch(r"\[[^,\[\]()]+\]", version) is None


def _gradle_unpinned(version: str) -> bool:
    return "+" in version or version.startswith("latest.") or maven_unpinned(version)


def parse_pom(text: str) -> list[Entry]:
    """The dependencies of a pom.xml, properties and managed versions resolved."""
    project = parse_xml(text)
    top = children(project)
    properties = {
        f"project.{key}": value for key, value in top.items() if key in ("version", "groupId")
    }
    for element in project:
        if local_name(element) == "properties":
            properties.update(children(element))
        elif local_name(element) == "parent":
            parent = children(element)
            properties.setdefault("project.version", parent.get("version", ""))

    def resolve(value: str) -> str:
        for _ in range(5):  # properties may refer to properties
            resolved = re.sub(r"\$\{([^${}]+)\}", lambda m: properties.get(m[1], m[0]), value)
            if resolved == value:
                break
            value = resolved
        return value

    dependencies = [
        children(element) for element in project.iter() if local_name(element) == "dependency"
    ]
    managed = {
        (d.get("groupId"), d.get("artifactId")): d["version"]
        for d in dependencies
        if d.get("version")
    }
    entries = []
    for dependency in dependencies:
        group, artifact = dependency.get("groupId", ""), dependency.get("artifactId", "")
        if not group or not artifact:
            continue
        version = resolve(dependency.get("version") or managed.get((group, artifact), ""))
        find = Find(r"<artifactId>\s*NAME\s*</artifactId>", artifact, r"<dependenc")
        entries.append(Entry(f"{group}:{artifact}", version, maven_unpinned(version), find=find))
    return entries


_GRADLE_NOTATION = re.compile(
    r"\s*[a-z][A-Za-z0-9]*\s*(?:\(\s*)?(?:(?:platform|enforcedPlatform|testFixtures)\s*\(\s*)?"
    r"([\"'])([\w.-]+):([\w.-]+)(?::([^:\"'@\s]*))?(?::[^\"'@\s]+)?(?:@\w+)?\1"
)
_GRADLE_MAP = re.compile(r"\s*[a-z][A-Za-z0-9]*\s*(?:\(\s*)?group\s*[:=]")


def parse_gradle(text: str) -> list[Entry]:
    """Dependency notations of a Gradle build script (Groovy or Kotlin), one per line."""
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        notation = _GRADLE_NOTATION.match(raw)
        if notation is not None:
            name, version = f"{notation.group(2)}:{notation.group(3)}", notation.group(4) or ""
        elif _GRADLE_MAP.match(raw):
            fields = dict(re.findall(r"(group|name|version)\s*[:=]\s*[\"']([^\"']*)[\"']", raw))
            if "group" not in fields or "name" not in fields:
                continue
            name, version = f"{fields['group']}:{fields['name']}", fields.get("version", "")
        else:
            continue
        entries.append(Entry(name, version, _gradle_unpinned(version), line=number))
    return entries


def _catalog_version(value: object, versions: Mapping[str, Any]) -> str:
    if isinstance(value, str):
        return value
    table = as_table(value)
    reference = table.get("ref")
    if isinstance(reference, str):
        return _catalog_version(versions.get(reference, f"version.ref={reference}"), versions)
    for key in ("strictly", "require", "prefer"):  # Gradle's rich versions, strongest first
        if isinstance(table.get(key), str):
            return str(table[key])
    return ""


def parse_version_catalog(text: str) -> list[Entry]:
    """The libraries and plugins of a Gradle version catalog, references resolved."""
    catalog = tomllib.loads(text)
    versions = as_table(catalog.get("versions"))
    entries = []
    for alias, value in as_table(catalog.get("libraries")).items():
        table = as_table(value)
        if isinstance(value, str):
            module, _, version = value.rpartition(":") if value.count(":") >= 2 else (value, "", "")
        elif isinstance(table.get("module"), str):
            module, version = table["module"], _catalog_version(table.get("version"), versions)
        elif isinstance(table.get("group"), str) and isinstance(table.get("name"), str):
            module = f"{table['group']}:{table['name']}"
            version = _catalog_version(table.get("version"), versions)
        else:
            continue
        find = key_find(toml_header("libraries"), alias)
        entries.append(Entry(module, version, _gradle_unpinned(version), find=find))
    for alias, value in as_table(catalog.get("plugins")).items():
        table = as_table(value)
        if isinstance(value, str):
            plugin, _, version = value.partition(":")
        elif isinstance(table.get("id"), str):
            plugin, version = table["id"], _catalog_version(table.get("version"), versions)
        else:
            continue
        find = key_find(toml_header("plugins"), alias)
        entries.append(Entry(plugin, version, _gradle_unpinned(version), find=find))
    return entries


def parse_gradle_lockfile(text: str) -> list[Entry]:
    """The resolved modules of a Gradle lockfile."""
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        coordinates = raw.partition("=")[0].strip()
        parts = coordinates.split(":")
        if raw.startswith("#") or len(parts) != 3:
            continue
        entries.append(Entry(f"{parts[0]}:{parts[1]}", parts[2], line=number))
    return entries
