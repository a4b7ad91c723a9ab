"""A pull request's changes as GitHub serves them: the whole diff, and the per-file list.

GitHub compares the head with the merge-base of base and head (a three-dot diff), with rename
detection, and full blob ids in `index` lines. One `git diff --raw -z` names the files and their
statuses; one `git diff` gives the text, which is cut into per-file `patch` hunks in the same
order (git emits both in one order; a type change is one raw entry but two diff sections).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from tests.fakegithub.gitdata import run_git

MAX_DIFF_FILES = 300
MAX_DIFF_LINES = 20_000
MAX_LISTED_FILES = 3_000
# GitHub leaves `patch` out of a file whose diff is very large; this is the fake's threshold.
MAX_PATCH_BYTES = 512 * 1024
_NULL_SHA = "0" * 40
_SECTION_START = re.compile(rb"^diff --git ", re.MULTILINE)
_STATUS = {
    "A": "added",
    "D": "removed",
    "M": "modified",
    "R": "renamed",
    "C": "copied",
    "T": "changed",
}


@dataclass(frozen=True, slots=True)
class FileChange:
    filename: str
    status: str
    previous_filename: str | None
    sha: str
    additions: int
    deletions: int
    patch: str | None
    """Hunks only, as GitHub's `patch`; None for binary files, huge diffs and mode changes."""
    binary: bool


@dataclass(frozen=True, slots=True)
class PullDiff:
    text: bytes
    files: tuple[FileChange, ...]

    @property
    def additions(self) -> int:
        return sum(f.additions for f in self.files)

    @property
    def deletions(self) -> int:
        return sum(f.deletions for f in self.files)

    @property
    def line_count(self) -> int:
        return self.text.count(b"\n")

    def too_large_message(self) -> str | None:
        """GitHub's 406 message when it refuses to serve this diff whole, else None."""
        if len(self.files) > MAX_DIFF_FILES:
            return (
                f"Sorry, the diff exceeded the maximum number of files ({MAX_DIFF_FILES}). "
                "Consider using 'List pull requests files' API or locally cloning the "
                "repository instead."
            )
        if self.line_count > MAX_DIFF_LINES:
            return (
                f"Sorry, the diff exceeded the maximum number of lines ({MAX_DIFF_LINES}). "
                "Consider using 'List pull requests files' API or locally cloning the "
                "repository instead."
            )
        return None


@dataclass(frozen=True, slots=True)
class _RawEntry:
    status: str
    old_sha: str
    new_sha: str
    path: str
    previous_path: str | None


def _raw_entries(out: bytes) -> list[_RawEntry]:
    tokens = out.decode("utf-8", "surrogateescape").split("\0")
    entries = []
    pos = 0
    while pos < len(tokens) and tokens[pos].startswith(":"):
        _old_mode, _new_mode, old_sha, new_sha, status = tokens[pos][1:].split(" ")
        letter = status[0]
        if letter in ("R", "C"):
            entries.append(_RawEntry(letter, old_sha, new_sha, tokens[pos + 2], tokens[pos + 1]))
            pos += 3
        else:
            entries.append(_RawEntry(letter, old_sha, new_sha, tokens[pos + 1], None))
            pos += 2
    return entries


@dataclass(frozen=True, slots=True)
class _Section:
    hunks: bytes
    binary: bool

    @property
    def counts(self) -> tuple[int, int]:
        lines = self.hunks.split(b"\n")
        return (
            sum(1 for line in lines if line.startswith(b"+")),
            sum(1 for line in lines if line.startswith(b"-")),
        )


def _sections(text: bytes) -> list[_Section]:
    starts = [m.start() for m in _SECTION_START.finditer(text)]
    sections = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        section = text[start:end]
        first_hunk = section.find(b"\n@@ ")
        header = section if first_hunk < 0 else section[:first_hunk]
        hunks = b"" if first_hunk < 0 else section[first_hunk + 1 :].rstrip(b"\n")
        binary = b"\nBinary files " in header or b"\nGIT binary patch" in header
        sections.append(_Section(hunks, binary))
    return sections


def _file_change(entry: _RawEntry, sections: list[_Section]) -> FileChange:
    additions = sum(s.counts[0] for s in sections)
    deletions = sum(s.counts[1] for s in sections)
    binary = any(s.binary for s in sections)
    hunks = b"\n".join(s.hunks for s in sections if s.hunks)
    patch = None
    if hunks and not binary and len(hunks) <= MAX_PATCH_BYTES:
        patch = hunks.decode("utf-8", "replace")
    status = _STATUS.get(entry.status, "modified")
    if status == "modified" and entry.old_sha == entry.new_sha:
        status = "changed"  # only the file mode changed
    return FileChange(
        filename=entry.path,
        status=status,
        previous_filename=entry.previous_path,
        sha=entry.old_sha if entry.new_sha == _NULL_SHA else entry.new_sha,
        additions=additions,
        deletions=deletions,
        patch=patch,
        binary=binary,
    )


@functools.lru_cache(maxsize=32)
def pull_diff(path: Path, merge_base: str, head_sha: str) -> PullDiff:
    """The diff GitHub shows for a pull request whose head and merge-base are given."""
    raw = run_git(path, "diff", "-z", "--raw", "-M", "--no-abbrev", merge_base, head_sha)
    text = run_git(path, "diff", "--full-index", "-M", merge_base, head_sha)
    sections = _sections(text)
    files = []
    pos = 0
    for entry in _raw_entries(raw):
        # A type change (file <-> symlink) is one entry but a deletion and an addition in text.
        taken = 2 if entry.status == "T" else 1
        files.append(_file_change(entry, sections[pos : pos + taken]))
        pos += taken
    return PullDiff(text, tuple(files))


def patch_series(path: Path, merge_base: str, head_sha: str) -> bytes:
    """The pull request as `git format-patch` mails (GitHub's `.patch` media type)."""
    return run_git(path, "format-patch", "--stdout", f"{merge_base}..{head_sha}")
