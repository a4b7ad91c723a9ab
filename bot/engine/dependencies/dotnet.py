""".NET: MSBuild projects and props (NuGet references), packages.config, packages.lock.json."""

from __future__ import annotations

import json

from bot.engine.dependencies.documents import as_table, children, local_name, parse_xml
from bot.engine.dependencies.jvm import maven_unpinned
from bot.engine.dependencies.locate import Find
from bot.engine.dependencies.model import Entry

_NUGET_REFERENCES = frozenset({"PackageReference", "PackageVersion", "GlobalPackageReference"})


def _nuget_unpinned(version: str) -> bool:
    # A bare NuGet version is a minimum, but restore picks exactly it when it exists.
    return "*" in version or maven_unpinned(version)


def parse_msbuild(text: str) -> list[Entry]:
    """The NuGet package references and versions of an MSBuild project or props file."""
    entries = []
    for element in parse_xml(text).iter():
        if local_name(element) not in _NUGET_REFERENCES:
            continue
        name = element.get("Include") or element.get("Update")
        if not name:
            continue
        version = (
            element.get("Version")
            or element.get("VersionOverride")
            or children(element).get("Version", "")
        )
        find = Find(r"(?i)(Include|Update)\s*=\s*\"NAME\"", name)
        entries.append(Entry(name, version, _nuget_unpinned(version), find=find, key=name.lower()))
    return entries


def parse_packages_config(text: str) -> list[Entry]:
    """The packages of a NuGet packages.config."""
    entries = []
    for element in parse_xml(text).iter():
        name, version = element.get("id"), element.get("version")
        if local_name(element) == "package" and name and version:
            find = Find(r"(?i)id\s*=\s*\"NAME\"", name)
            entries.append(
                Entry(name, version, _nuget_unpinned(version), find=find, key=name.lower())
            )
    return entries


def parse_nuget_lock(text: str) -> list[Entry]:
    """The resolved packages of a NuGet packages.lock.json; projects skipped."""
    entries = []
    for framework in as_table(as_table(json.loads(text)).get("dependencies")).values():
        for name, package in as_table(framework).items():
            table = as_table(package)
            resolved = table.get("resolved")
            if table.get("type") == "Project" or not isinstance(resolved, str):
                continue
            find = Find(r"\"NAME\"\s*:\s*\{", name)
            direct = table.get("type") == "Direct"
            entries.append(Entry(name, resolved, find=find, direct=direct, key=name.lower()))
    return entries
