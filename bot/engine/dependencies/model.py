"""What the dependency parsers produce: an entry per dependency, and the reports made of them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bot.engine.dependencies.locate import Find


@dataclass(frozen=True, slots=True)
class DependencyChange:
    """One dependency a change added (`old_spec` None), removed (`new_spec` None) or changed."""

    path: str
    line: int | None
    ecosystem: str
    name: str
    old_spec: str | None
    new_spec: str | None
    unpinned: bool
    lockfile: bool
    # Needed only to develop the project (npm devDependencies, a `dev`/`test`/`docs` group or
    # extra, a requirements file named so), not by what it ships.
    development: bool = False


@dataclass(frozen=True, slots=True)
class DependencyReport:
    """Every dependency change, plus the files whose changes could not be listed in full."""

    changes: tuple[DependencyChange, ...] = ()
    # Lockfile path -> how many changes past LOCKFILE_CHANGE_LIMIT were left out.
    omitted: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    # Manifests whose base or head text is malformed; nothing is reported for them.
    unparsable: tuple[str, ...] = ()
    # Manifests whose base or head text was not fetched; nothing is reported for them.
    unfetched: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Entry:
    """One dependency as a parser found it."""

    name: str
    spec: str
    unpinned: bool = False
    line: int | None = None
    find: Find | None = None
    direct: bool = False
    key: str | None = None  # identity within the file; the name when None
    dev: bool = False  # listed only among development dependencies


@dataclass(frozen=True, slots=True)
class ManifestFormat:
    """How to read one kind of manifest or lockfile.

    `parse` returns the file's entries and raises ValueError (or a parser's own error, see
    report.PARSE_ERRORS) when the text is malformed.
    """

    ecosystem: str
    lockfile: bool
    parse: Callable[[str], list[Entry]]
    # The format a given text really is, when the file name alone cannot tell (a requirements
    # file that pip-compile wrote is a lockfile).
    refine: Callable[[str], ManifestFormat] | None = None
    # Whether the file at this path, with this head text, serves only to develop the project.
    development_file: Callable[[str, str], bool] | None = None
