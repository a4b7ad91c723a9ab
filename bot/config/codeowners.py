"""CODEOWNERS as GitHub reads it: who owns a path, and why nobody does.

GitHub's rules ("About code owners"), which this module follows:
- the file is the first of `.github/CODEOWNERS`, `CODEOWNERS`, `docs/CODEOWNERS` that exists on
  the base branch, and one of 3 MB or more is not loaded;
- patterns follow gitignore, except that `!` negation, `[ ]` ranges and escaping a leading `#`
  do not work: GitHub skips such a line, and a line with an owner it cannot read;
- `#` starts a comment, also after a pattern; paths are case sensitive;
- the last matching line decides, and a line without owners leaves the path with none;
- owners are `@user`, `@org/team` or an e-mail address.

The pattern translation is the `codeowners` package's (a port of hmarr/codeowners), compiled
with RE2 so that no line can hang the bot. Users come out as logins and teams as `@org/team`,
the forms `approvals.seniors` and critical paths' `owners` use. E-mail owners are kept apart:
the bot can neither request a review from an address nor tell whose approval it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import re2
from codeowners import path_to_regex

from bot.config.issues import ConfigIssue, quote
from bot.config.regex import Matcher, RegexError, compile_pattern

CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
# "CODEOWNERS files must be under 3 MB in size."
MAX_BYTES = 3 * 1024 * 1024
_SET_MEMORY = 256 << 20

_TOKEN = re.compile(r"(?:\\\s|\S)+")
_USER = re.compile(r"@([A-Za-z0-9][A-Za-z0-9-]{0,38})")
_TEAM = re.compile(r"@[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_RANGE = re.compile(r"(?<!\\)[\[\]]")


@dataclass(frozen=True, slots=True)
class CodeOwnersFile:
    """The CODEOWNERS file found on the base branch: its path, and its text, or why the text
    cannot be used (`problem`: binary, too large, cut short by GitHub)."""

    path: str
    text: str | None
    problem: str = ""


@dataclass(frozen=True, slots=True)
class OwnersLine:
    """One line GitHub applies: its pattern and the owners it names."""

    line: int
    pattern: str
    owners: tuple[str, ...]  # logins and `@org/team`, as written
    emails: tuple[str, ...]
    regex: str  # RE2, matched case-sensitively

    def __str__(self) -> str:
        return f"line {self.line} (`{self.pattern}`)"

    def matches(self, path: str) -> bool:
        return _compiled(self.regex).search(path) is not None


@dataclass(frozen=True, slots=True)
class Ownership:
    """Who owns one path: `owners` (logins and `@org/team`), the line that said so, and when
    nobody the bot can ask does, why (`none_because`)."""

    path: str
    owners: tuple[str, ...]
    line: OwnersLine | None
    none_because: str = ""


@dataclass(frozen=True, slots=True)
class CodeOwners:
    """A CODEOWNERS file read as GitHub reads it. `skipped`: the lines GitHub skips, each with
    why; `problem`: why the file cannot be used at all ("" when it can)."""

    source: str | None
    lines: tuple[OwnersLine, ...] = ()
    skipped: tuple[ConfigIssue, ...] = ()
    problem: str = ""
    # Every line's regex in one RE2 set (entry i + 1 is line i): one pass per path whatever the
    # file's length, instead of one match per line.
    index: _LineIndex | None = field(default=None, compare=False, repr=False)

    def _last_match(self, path: str) -> OwnersLine | None:
        found = self.index.matching(path) if self.index is not None else None
        if found is None:  # no index, or RE2 gave up on this path: line by line
            return next((line for line in reversed(self.lines) if line.matches(path)), None)
        return next((self.lines[i] for i in found if self.lines[i].matches(path)), None)

    def owner_of(self, path: str) -> Ownership:
        """The owners of `path`: the last matching line's."""
        if self.problem:
            return Ownership(path, (), None, self.problem)
        line = self._last_match(path)
        if line is None:
            return Ownership(path, (), None, f"no line of {self.source} matches it")
        if line.owners:
            return Ownership(path, line.owners, line)
        if line.emails:
            return Ownership(
                path,
                (),
                line,
                f"{self.source} {line} names only e-mail addresses "
                f"({', '.join(line.emails)}), which the bot cannot ask for a review or match to "
                "an approval; name the @user or @org/team",
            )
        return Ownership(path, (), line, f"{self.source} {line} gives it no owner")


NOT_FOUND = (
    "no CODEOWNERS file on the base branch (GitHub looks for "
    + ", ".join(CODEOWNERS_PATHS)
    + ", in that order)"
)
# What a ruleset holds until a critical path asks for CODEOWNERS and a driver reads it.
NONE_FOUND = CodeOwners(None, problem=NOT_FOUND)


class _LineIndex:
    """The lines' regexes in one RE2 set."""

    def __init__(self, regexes: Sequence[str]) -> None:
        options = re2.Options()
        options.log_errors = False
        options.case_sensitive = True
        options.max_mem = _SET_MEMORY
        self._set = re2.Set.SearchSet(options)
        self._set.Add("")  # entry 0 matches every path: its absence means RE2 gave up
        for regex in regexes:
            self._set.Add(regex)
        self._set.Compile()

    def matching(self, path: str) -> list[int] | None:
        """The indexes of the lines whose regex matches `path`, last first; None when RE2 gave
        up on it."""
        entries = self._set.Match(path)
        if 0 not in entries:
            return None
        return sorted((entry - 1 for entry in entries if entry), reverse=True)


def _compiled(regex: str) -> Matcher:
    return compile_pattern(regex, ignore_case=False)


def _regex(pattern: str) -> str:
    """The pattern as the `codeowners` package translates it, in RE2's syntax (`\\Z`, which
    it ends with, is RE2's `\\z`); raises ValueError or RegexError for one it cannot read."""
    source = path_to_regex(pattern).pattern
    for python_end, re2_end in ((r"(?:\Z|/)", r"(?:\z|/)"), (r"\Z", r"\z")):
        if source.endswith(python_end):
            source = source.removesuffix(python_end) + re2_end
            break
    _compiled(source)
    return source


def _skip_reason(pattern: str) -> str | None:
    if pattern.startswith("!"):
        return "negation (`!`) does not work in CODEOWNERS"
    if pattern.startswith("\\#"):
        return "escaping a leading `#` does not work in CODEOWNERS"
    if _RANGE.search(pattern):
        return "character ranges (`[ ]`) do not work in CODEOWNERS"
    return None


def _read_line(number: int, text: str) -> OwnersLine | ConfigIssue | None:
    """One line: what GitHub applies, why it skips it, or None for a blank or comment line."""
    tokens = _TOKEN.findall(text)
    if not tokens or tokens[0].startswith("#"):
        return None
    comment = next((i for i, token in enumerate(tokens) if token.startswith("#")), len(tokens))
    pattern, written = tokens[0], tokens[1:comment]

    def skipped(why: str) -> ConfigIssue:
        return ConfigIssue(number, 1, "", f"{why}; GitHub skips this line")

    why = _skip_reason(pattern)
    if why is not None:
        return skipped(why)
    owners: list[str] = []
    emails: list[str] = []
    for owner in written:
        if _TEAM.fullmatch(owner):
            owners.append(owner)
        elif user := _USER.fullmatch(owner):
            owners.append(user.group(1))
        elif _EMAIL.fullmatch(owner):
            emails.append(owner)
        else:
            return skipped(f"{quote(owner)} is not an owner: @user, @org/team or an e-mail address")
    try:
        regex = _regex(pattern)
    except (ValueError, RegexError) as exc:
        return skipped(f"the pattern {quote(pattern)} cannot be read ({exc})")
    return OwnersLine(number, pattern, tuple(owners), tuple(emails), regex)


@lru_cache(maxsize=16)
def read_codeowners(found: CodeOwnersFile | None) -> CodeOwners:
    """The CODEOWNERS file GitHub would use, read; None: there is none on the base branch.
    The same file is read once per process for the reviews that follow."""
    if found is None:
        return CodeOwners(None, problem=NOT_FOUND)
    if found.text is None:
        return CodeOwners(found.path, problem=f"{found.path} cannot be read: {found.problem}")
    size = len(found.text.encode("utf-8", "surrogatepass"))
    if size >= MAX_BYTES:
        return CodeOwners(
            found.path,
            problem=f"{found.path} is {size:,} bytes, and GitHub loads CODEOWNERS files only "
            "under 3 MB",
        )
    lines: list[OwnersLine] = []
    skipped: list[ConfigIssue] = []
    for number, text in enumerate(found.text.split("\n"), start=1):
        read = _read_line(number, text)
        if isinstance(read, OwnersLine):
            lines.append(read)
        elif read is not None:
            skipped.append(read)
    try:
        index: _LineIndex | None = _LineIndex([line.regex for line in lines])
    except re2.error:
        index = None  # over RE2's memory budget: line by line
    return CodeOwners(found.path, tuple(lines), tuple(skipped), index=index)
