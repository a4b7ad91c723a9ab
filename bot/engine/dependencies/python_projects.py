"""Python project manifests: pyproject.toml (PEP 621, PEP 735, uv, Poetry) and Pipfile."""

from __future__ import annotations

import re
import tomllib

from packaging.utils import canonicalize_name

from bot.engine.dependencies.documents import as_strings, as_table
from bot.engine.dependencies.locate import Find, key_find, toml_header
from bot.engine.dependencies.model import Entry
from bot.engine.dependencies.python_requirements import (
    DEV_NAME,
    constraint_pins,
    development,
    extras_prefix,
    pep508_list,
)
from bot.engine.dependencies.sources import source_spec

# Poetry reads a bare version as exact (unlike Cargo and npm).
# Each run after the first starts with a separator, so a failed match backtracks linearly.
_POETRY_EXACT = re.compile(r"(?:==?\s*)?v?\d[A-Za-z0-9]*(?:[-_.+][A-Za-z0-9]+)*")


def _poetry_pins(constraint: str) -> bool:
    return _POETRY_EXACT.fullmatch(constraint) is not None


def _poetry_entries(name: str, value: object, find: Find) -> list[Entry]:
    key = canonicalize_name(name)
    if isinstance(value, str):
        constraint = " ".join(value.split())
        return [Entry(name, constraint, not _poetry_pins(constraint), find=find, key=key)]
    if isinstance(value, list):  # one table per environment marker
        return [entry for item in value for entry in _poetry_entries(name, item, find)]
    dependency = as_table(value)
    if not dependency:
        return []
    prefix = extras_prefix(as_strings(dependency.get("extras")))
    source = source_spec(dependency)
    if source is not None:
        return [Entry(name, prefix + source[0], source[1], find=find, key=key)]
    version = dependency.get("version")
    constraint = " ".join(version.split()) if isinstance(version, str) else ""
    return [Entry(name, prefix + constraint, not _poetry_pins(constraint), find=find, key=key)]


def parse_pyproject(text: str) -> list[Entry]:
    """[project] dependencies and extras, [build-system], [dependency-groups], uv's and
    Poetry's dependency tables; extras and groups named for development are marked so."""
    document = tomllib.loads(text)
    project = as_table(document.get("project"))
    entries = pep508_list(project.get("dependencies"), toml_header("project"))
    optional_header = toml_header("project", "optional-dependencies")
    for extra, requirements in as_table(project.get("optional-dependencies")).items():
        listed = pep508_list(requirements, optional_header)
        entries += development(listed) if DEV_NAME.search(extra) else listed
    build_system = as_table(document.get("build-system"))
    entries += pep508_list(build_system.get("requires"), toml_header("build-system"))
    groups_header = toml_header("dependency-groups")
    for requirements in as_table(document.get("dependency-groups")).values():
        # include-group tables skipped; dependency groups are for developing the project
        entries += development(pep508_list(requirements, groups_header))
    tool = as_table(document.get("tool"))
    uv = as_table(tool.get("uv"))
    entries += development(pep508_list(uv.get("dev-dependencies"), toml_header("tool", "uv")))
    poetry = as_table(tool.get("poetry"))
    sections: list[tuple[str, object]] = [
        (toml_header("tool", "poetry", "dependencies"), poetry.get("dependencies")),
        (toml_header("tool", "poetry", "dev-dependencies"), poetry.get("dev-dependencies")),
    ]
    for group_name, group in as_table(poetry.get("group")).items():
        anchor = toml_header("tool", "poetry", "group", group_name, "dependencies")
        sections.append((anchor, as_table(group).get("dependencies")))
    for index, (anchor, section) in enumerate(sections):
        for name, value in as_table(section).items():
            if name != "python":  # the interpreter constraint, not a package
                found = _poetry_entries(name, value, key_find(anchor, name))
                # Poetry's main dependencies come first; dev-dependencies and groups follow.
                entries += development(found) if index > 0 else found
    return entries


_PIPFILE_NON_PACKAGES = frozenset({"source", "requires", "pipenv", "scripts"})


def parse_pipfile(text: str) -> list[Entry]:
    """Every package category of a Pipfile ([packages], [dev-packages], custom ones)."""
    entries = []
    for category, packages in tomllib.loads(text).items():
        if category in _PIPFILE_NON_PACKAGES:
            continue
        anchor = toml_header(category)
        for name, value in as_table(packages).items():
            find = key_find(anchor, name)
            key = canonicalize_name(name)
            package = as_table(value)
            prefix = extras_prefix(as_strings(package.get("extras")))
            source = source_spec(package)
            if source is not None:
                entries.append(Entry(name, prefix + source[0], source[1], find=find, key=key))
                continue
            version = value if isinstance(value, str) else package.get("version", "")
            if not isinstance(version, str):
                continue
            constraint = re.sub(r"\s+", "", version)
            unpinned = not constraint_pins(constraint)
            entries.append(Entry(name, prefix + constraint, unpinned, find=find, key=key))
    return entries
