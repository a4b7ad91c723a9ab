"""Python requirements: PEP 508 strings (read by packaging), requirements files and setup.cfg."""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace

from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.utils import canonicalize_name

from bot.engine.dependencies.documents import as_strings
from bot.engine.dependencies.locate import Find
from bot.engine.dependencies.model import Entry, ManifestFormat
from bot.engine.dependencies.sources import is_remote_url, url_pins

# Applied to markers as packaging writes them (one space around each operator).
_MARKER_OPERATOR = re.compile(r" ?(===|==|!=|<=|>=|~=|<|>|\(|\)) ?")


def pins(specifiers: Iterable[Specifier]) -> bool:
    """Whether PEP 440 clauses allow one version only (`==` without a wildcard, or `===`)."""
    return any(
        clause.operator == "===" or (clause.operator == "==" and not clause.version.endswith(".*"))
        for clause in specifiers
    )


def constraint_pins(constraint: str) -> bool:
    """Whether a written PEP 440 constraint pins; "*", "" and what is not PEP 440 do not."""
    try:
        return pins(SpecifierSet(constraint))
    except InvalidSpecifier:
        return False


def extras_prefix(extras: Iterable[str]) -> str:
    """`[a,b]`: the extras normalized, sorted and deduplicated; "" when there are none."""
    names = sorted({canonicalize_name(extra) for extra in extras if extra.strip()})
    return f"[{','.join(names)}]" if names else ""


def _written_specifier(requirement: str, name: str) -> str:
    """The version clauses as written, whitespace and enclosing parentheses removed.

    `requirement` is valid PEP 508 without a URL: NAME [EXTRAS] VERSIONS [; MARKER], so the
    versions are what lies between the extras and the first semicolon. Taken from the text
    because packaging's SpecifierSet does not keep the clauses' order.
    """
    after_name = requirement.partition(";")[0].strip()[len(name) :].lstrip()
    if after_name.startswith("["):
        after_name = after_name.partition("]")[2]
    version = "".join(after_name.split())
    if version.startswith("(") and version.endswith(")"):
        version = version[1:-1]
    return version


def pep508_entry(text: str, *, line: int | None = None) -> Entry:
    """The entry of one PEP 508 requirement.

    Raises packaging's InvalidRequirement (a ValueError) when `text` is not one: tools refuse
    such a manifest, and so does the report (it lists the file as unparsable).
    """
    # Whitespace only separates tokens; collapsing it also keeps the parsing linear.
    written = " ".join(text.split())
    requirement = Requirement(written)
    if requirement.url is not None:
        version, unpinned = f"@ {requirement.url}", not url_pins(requirement.url)
    else:
        version = _written_specifier(written, requirement.name)
        unpinned = not pins(requirement.specifier)
    spec = extras_prefix(requirement.extras) + version
    if requirement.marker is not None:
        spec += "; " + _MARKER_OPERATOR.sub(r"\1", str(requirement.marker))
    name = requirement.name
    return Entry(name, spec, unpinned, line=line, key=canonicalize_name(name))


def pep508_find(anchor: str | None, name: str) -> Find:
    """Find a quoted requirement string naming `name` after `anchor` (TOML arrays)."""
    return Find(r"(?i)[\"']\s*NAME(?![A-Za-z0-9._-])", name, anchor)


def pep508_list(requirements: object, anchor: str | None) -> list[Entry]:
    """The entries of a TOML array of PEP 508 strings; other items (tables) are skipped."""
    entries = []
    for text in as_strings(requirements):
        entry = pep508_entry(text)
        entries.append(replace(entry, find=pep508_find(anchor, entry.name)))
    return entries


def development(entries: list[Entry]) -> list[Entry]:
    """`entries`, each marked as needed only to develop the project."""
    return [replace(entry, dev=True) for entry in entries]


# Names of extras, groups and requirements files that hold what developing the project needs.
DEV_NAME = re.compile(
    r"dev|test|doc|lint|typ|check|style|format|bench|coverage|mypy|\bci\b", re.IGNORECASE
)


# --- requirements files -------------------------------------------------------------------


def _requirement_lines(text: str) -> Iterator[tuple[int, str]]:
    """Logical lines of a requirements file: continuations joined, comments dropped."""
    pending: list[str] = []
    start = 1
    lines = text.splitlines()
    for number, raw in enumerate(lines, 1):
        if not pending:
            start = number
        continued = raw.endswith("\\") and number < len(lines)
        pending.append(raw.removesuffix("\\"))
        if continued:
            continue
        logical = re.sub(r"(^|\s)#.*", "", " ".join(pending)).strip()
        pending = []
        if logical:
            yield start, logical


# pip accepts a URL, a local path or an archive file name where a requirement would stand.
_URL_OR_PATH = re.compile(r"[a-z][a-z0-9+.-]*://|[./~]|\S+\.(whl|zip|tar\.gz|tgz)\b")


def _url_requirement(location: str, line: int) -> Entry | None:
    """A requirement given as a URL (name from #egg=); local paths are the repo's own code."""
    if not is_remote_url(location):
        return None
    egg = re.search(r"[#&]egg=([A-Za-z0-9._-]+)", location)
    name = egg.group(1) if egg else location.partition("#")[0]
    key = canonicalize_name(name)
    return Entry(name, f"@ {location}", not url_pins(location), line=line, key=key)


def parse_requirements(text: str) -> list[Entry]:
    """pip's requirements format: PEP 508 lines, URLs and paths, and pip's own options.

    Options (`-r`, `-c`, `--index-url`, a requirement's `--hash`) are not dependencies; an
    editable (`-e`) is one when it names a remote URL. A line that is none of these makes
    the file malformed (pip refuses it too).
    """
    entries = []
    for line, logical in _requirement_lines(text):
        if logical.startswith("-"):
            editable = re.match(r"(?:-e|--editable)(?:\s+|=)(\S+)", logical)
            entry = _url_requirement(editable.group(1), line) if editable else None
        else:
            requirement = " ".join(logical.split()).partition(" --")[0]  # drop --hash=...
            if _URL_OR_PATH.match(requirement):
                entry = _url_requirement(requirement, line)
            else:
                entry = pep508_entry(requirement, line=line)
        if entry is not None:
            entries.append(entry)
    return entries


# pip-compile (pip-tools, uv) writes what each pin came from: such a requirements file is the
# resolved set, a lockfile, not what people asked for.
_COMPILED_REQUIREMENTS = re.compile(r"^\s+#\s+via\b|^#.*\b(?:pip-compile|uv pip compile)\b", re.M)

# A requirements file that installs the project itself (`-e .[dev]`) sets up a development
# environment: what the project ships needs is in its own metadata.
_INSTALLS_PROJECT = re.compile(r"^\s*(?:(?:-e|--editable)\s+)?\.(?:\[[^\]]*\])?\s*$", re.M)


def _is_development_requirements(path: str, head_text: str) -> bool:
    return (
        DEV_NAME.search(path.rpartition("/")[2]) is not None
        or _INSTALLS_PROJECT.search(head_text) is not None
    )


def _compiled_or_written(text: str) -> ManifestFormat:
    return COMPILED_REQUIREMENTS if _COMPILED_REQUIREMENTS.search(text) else REQUIREMENTS


COMPILED_REQUIREMENTS = ManifestFormat(
    "pypi", True, parse_requirements, development_file=_is_development_requirements
)
REQUIREMENTS = ManifestFormat(
    "pypi",
    False,
    parse_requirements,
    refine=_compiled_or_written,
    development_file=_is_development_requirements,
)


# --- setup.cfg ----------------------------------------------------------------------------


def parse_setup_cfg(text: str) -> list[Entry]:
    """setuptools' install_requires, setup_requires, tests_require and extras_require."""
    config = configparser.ConfigParser(interpolation=None)
    config.read_string(text)
    values: list[tuple[str, str]] = []
    if config.has_section("options"):
        for option in ("install_requires", "setup_requires", "tests_require"):
            values.append(("options", config.get("options", option, fallback="")))
    if config.has_section("options.extras_require"):
        values += [("options.extras_require", v) for v in config["options.extras_require"].values()]
    entries = []
    for section, value in values:
        anchor = rf"^\[{re.escape(section)}\]"
        name_line = r"(?i)^(?:[ \t]+|[\w.-]+[ \t]*=[ \t]*)NAME(?![\w.-])"
        for raw in value.splitlines():
            requirement = re.sub(r"(^|\s)#.*", "", raw).strip()
            if not requirement or requirement.startswith("file:"):
                continue
            entry = pep508_entry(requirement)
            entries.append(replace(entry, find=Find(name_line, entry.name, anchor)))
    return entries
