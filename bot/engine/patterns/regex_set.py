"""Which of many RE2 patterns may match a line, found in one pass over the line.

Matching each of N patterns separately costs N calls (and N UTF-8 encodings of the line) per
line; an RE2 set answers for all of them at once. Patterns the set cannot take are reported as
candidates on every line, and so is everything should RE2 give up on a line (it can run out of
memory on pathological input), so a caller that confirms each candidate with the pattern's own
matcher gets exactly the answer of matching them one by one.
"""

from __future__ import annotations

from collections.abc import Sequence

import re2

_MAX_MEMORY = 64 << 20
_SENTINEL = 0  # the set's first pattern matches every line: its absence means RE2 gave up


class PatternSet:
    def __init__(self, patterns: Sequence[str | None], *, case_sensitive: bool) -> None:
        """`patterns` in RE2 syntax; None stands for a pattern RE2 cannot express."""
        options = re2.Options()
        options.log_errors = False
        options.case_sensitive = case_sensitive
        options.max_mem = _MAX_MEMORY
        self._set = re2.Set.SearchSet(options)
        if self._set.Add("") != _SENTINEL:
            raise AssertionError("an RE2 set numbers its patterns from 0")
        self._pattern_of_entry: dict[int, int] = {}
        unfiltered: list[int] = []
        for index, pattern in enumerate(patterns):
            if pattern is None:
                unfiltered.append(index)
                continue
            try:
                self._pattern_of_entry[self._set.Add(pattern)] = index
            except re2.error:
                unfiltered.append(index)
        self._set.Compile()
        self._unfiltered = tuple(unfiltered)
        self._every = tuple(range(len(patterns)))

    def candidates(self, text: str) -> Sequence[int]:
        """Indexes (in the order given) of the patterns that may match `text`."""
        matched = self._set.Match(text)
        if not matched or _SENTINEL not in matched:
            return self._every
        if len(matched) == 1:
            return self._unfiltered
        found = {self._pattern_of_entry[entry] for entry in matched if entry != _SENTINEL}
        found.update(self._unfiltered)
        return sorted(found)
