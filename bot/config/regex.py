"""User-supplied regular expressions, compiled with RE2 so none can hang the bot.

RE2 matches in time linear in the input by construction: no backtracking, so no catastrophic
backtracking, whatever a config or a signature file contains.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

import re2

MAX_PATTERN_LENGTH = 1_000
# RE2 refuses to build automata over this budget instead of eating memory.
_MAX_PROGRAM_MEMORY = 8 << 20


class Match(Protocol):
    def start(self) -> int: ...

    def end(self) -> int: ...


class Matcher(Protocol):
    def search(self, text: str) -> Match | None: ...


class RegexError(ValueError):
    """A pattern RE2 cannot compile, with the reason in words."""


def _options(ignore_case: bool) -> re2.Options:
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = not ignore_case
    options.max_mem = _MAX_PROGRAM_MEMORY
    return options


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str, ignore_case: bool = True) -> Matcher:
    """Compile `pattern` with RE2; raise RegexError with a readable reason when it is invalid."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise RegexError(f"is longer than {MAX_PATTERN_LENGTH} characters")
    try:
        compiled: Matcher = re2.compile(pattern, _options(ignore_case))
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid pattern"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise RegexError(
            f"is not a valid regular expression ({reason}); patterns use RE2 syntax, "
            "which has no look-around or back-references"
        ) from None
    return compiled
