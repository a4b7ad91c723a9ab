"""A change's files split once, for the signals: what content analysis covers, what it left out,
and which lines the change really wrote."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.engine.carried import ChangeText
from bot.engine.result import Skipped
from bot.engine.snapshot import ChangedFile

# Lines that test nothing by themselves: the import a skip needs, a package clause.
_IMPORT = re.compile(r"^\s*(import\b|from\s+\S+\s+import\b|package\b|using\b|#\s*include\b)")


@dataclass(frozen=True, slots=True)
class Change:
    """The changed files split once: what content analysis covers and what it left out."""

    files: tuple[ChangedFile, ...]  # analysed (not skipped) files, removed ones included
    skipped: tuple[Skipped, ...]
    # Every changed file, skipped ones included: a binary or vendored file in `auth/` still
    # touches authentication.
    touched: tuple[ChangedFile, ...] = ()
    # The removed and added text of the analysed files, to tell written lines from moved ones.
    text: ChangeText = field(default_factory=ChangeText.empty)
    # Files whose program the change left as it was (annotations, docstrings, formatting).
    same_code: frozenset[str] = frozenset()
    _by_path: dict[str, ChangedFile] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_path", {f.path: f for f in self.files})

    def wrote_code(self, changed: ChangedFile) -> bool:
        """Whether the change wrote or removed code in `changed` for real. A file left out of
        content analysis (binary, vendored, generated) counts whenever it changed."""
        if self.file(changed.path) is None:
            return True
        return changed.path not in self.same_code and self.text.substantive(changed)

    def file(self, path: str) -> ChangedFile | None:
        return self._by_path.get(path)

    def test_lines(self, changed: ChangedFile, hollow: frozenset[int]) -> int:
        """The lines a test file's change counts for: every line it added, or, where it left
        tests testing nothing (`hollow`), the lines it wrote (not moved, blank or comment) that
        are neither in those tests nor imports."""
        if not hollow:
            return changed.additions
        return sum(
            1
            for number in self.text.new_lines(changed)
            if number not in hollow and _IMPORT.match(changed.added_text.get(number, "")) is None
        )
