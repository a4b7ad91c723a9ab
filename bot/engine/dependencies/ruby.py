"""Ruby: Gemfile (and gems.rb), *.gemspec, Gemfile.lock (and gems.locked)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.engine.dependencies.model import Entry
from bot.engine.dependencies.sources import source_spec

_GEM_LINE = re.compile(r"\s*gem\s*(?:\(\s*)?([\"'])([^\"']+)\1(.*)")
_GEMSPEC_LINE = re.compile(
    r"\s*\w+\.add_(?:runtime_|development_)?dependency\s*(?:\(\s*)?([\"'])([^\"']+)\1(.*)"
)
_RUBY_ARGUMENT = re.compile(
    r",\s*(?:(\w+):\s*|:(\w+)\s*=>\s*)?(\[[^\]]*\]|\"[^\"]*\"|'[^']*'|[^,]+)"
)
_GEM_EXACT = re.compile(r"(?:=\s*)?\d+(?:\.[0-9A-Za-z]+)*")


def _ruby_lines(text: str) -> Iterator[tuple[int, str]]:
    """Statements with trailing-comma continuations joined, comments dropped."""
    pending = ""
    start = 1
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        pending += " " + re.sub(r"\s#(?![{]).*|^\s*#.*", "", raw).strip()
        if not pending.rstrip().endswith(","):
            yield start, pending.strip()
            pending = ""
    if pending.strip():
        yield start, pending.strip()


def _gem_entry(name: str, arguments: str, line: int) -> Entry:
    versions: list[str] = []
    options: dict[str, str] = {}
    for key, symbol, value in _RUBY_ARGUMENT.findall(arguments):
        option = key or symbol
        strings = re.findall(r"\"([^\"]*)\"|'([^']*)'", value)
        texts = [a or b for a, b in strings]
        if option:
            options[option] = texts[0] if texts else value.strip()
        elif texts:
            versions += [" ".join(t.split()) for t in texts]
    if "github" in options:
        options.setdefault("git", f"https://github.com/{options['github']}")
    source = source_spec(options)
    if source is not None:
        return Entry(name, source[0], source[1], line=line)
    pinned = any(_GEM_EXACT.fullmatch(version) for version in versions)
    return Entry(name, ", ".join(versions), not pinned, line=line)


def parse_gemfile(text: str) -> list[Entry]:
    """The `gem` lines of a Gemfile, with their versions, git and path sources."""
    entries = []
    for line, statement in _ruby_lines(text):
        gem = _GEM_LINE.match(statement)
        if gem is not None:
            entries.append(_gem_entry(gem.group(2), gem.group(3), line))
    return entries


def parse_gemspec(text: str) -> list[Entry]:
    """The add_*dependency lines of a gemspec."""
    entries = []
    for line, statement in _ruby_lines(text):
        dependency = _GEMSPEC_LINE.match(statement)
        if dependency is not None:
            entries.append(_gem_entry(dependency.group(2), dependency.group(3), line))
    return entries


_GEMFILE_LOCK_SPEC = re.compile(r"    (\S+) \(([^)]+)\)\s*$")
_GEMFILE_LOCK_DEPENDENCY = re.compile(r"  ([^\s!]+)")


def parse_gemfile_lock(text: str) -> list[Entry]:
    """The locked gems of a Gemfile.lock; those in DEPENDENCIES are direct."""
    specs: list[tuple[str, str, int]] = []
    direct: set[str] = set()
    section = ""
    for number, raw in enumerate(text.splitlines(), 1):
        if raw and not raw.startswith(" "):
            section = raw.strip()
            continue
        if section in ("GEM", "GIT", "PLUGIN SOURCE"):  # PATH gems are the repo's own
            spec = _GEMFILE_LOCK_SPEC.match(raw)
            if spec is not None:
                specs.append((spec.group(1), spec.group(2), number))
        elif section == "DEPENDENCIES":
            dependency = _GEMFILE_LOCK_DEPENDENCY.match(raw)
            if dependency is not None:
                direct.add(dependency.group(1))
    return [Entry(name, version, line=line, direct=name in direct) for name, version, line in specs]
