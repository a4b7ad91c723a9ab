"""A pull request as the engine sees it.

Every adapter (local git, GitHub via gidgethub, GitHub via PyGithub) builds one of these; the
engine reads nothing else. All values are plain and immutable so a snapshot can be cached,
compared, and handed to worker processes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class FileStatus(StrEnum):
    ADDED = "added"
    MODIFIED = "modified"
    REMOVED = "removed"
    RENAMED = "renamed"
    COPIED = "copied"


@dataclass(frozen=True, slots=True)
class Person:
    """An author or committer: git identity, plus the GitHub login when the adapter knows it."""

    name: str = ""
    email: str = ""
    login: str | None = None


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    message: str
    author: Person
    committer: Person
    parents: tuple[str, ...] = ()
    additions: int = 0
    deletions: int = 0
    # The GitHub login of the signer, when GitHub says the commit's signature is valid.
    signed_by: str | None = None

    @property
    def made_by_github(self) -> bool:
        """GitHub made and signed it (web-flow): "Update branch", but also any web-UI edit."""
        return self.signed_by == "web-flow"

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]


@dataclass(frozen=True, slots=True)
class Hunk:
    """One hunk of a file's diff; line numbers are 1-based."""

    source_start: int
    source_length: int
    target_start: int
    target_length: int
    added_lines: tuple[int, ...] = ()
    removed_lines: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ChangedFile:
    """One file of the diff between base and head.

    `added_lines` are line numbers in the head version, `removed_lines` in the base version.
    `added_text` maps each added line number to its text, so rules on added lines need no
    head text at all; `removed_text` maps each removed line number to its text, so the engine
    can tell a line the change wrote from one it only moved or reformatted.
    """

    path: str
    status: FileStatus
    old_path: str | None = None
    binary: bool = False
    symlink: bool = False
    hunks: tuple[Hunk, ...] = ()
    added_lines: tuple[int, ...] = ()
    removed_lines: tuple[int, ...] = ()
    added_text: Mapping[int, str] = field(default_factory=dict)
    removed_text: Mapping[int, str] = field(default_factory=dict)

    @property
    def additions(self) -> int:
        return len(self.added_lines)

    @property
    def deletions(self) -> int:
        return len(self.removed_lines)

    @property
    def base_path(self) -> str | None:
        """Where the file lived at the base, or None when the change created it."""
        if self.status is FileStatus.ADDED:
            return None
        return self.old_path or self.path


@dataclass(frozen=True, slots=True)
class Truncation:
    """What the source could not give in full (GitHub caps lists), said in the output."""

    commits_total: int | None = None
    files_total: int | None = None

    def notes(self, commits_seen: int, files_seen: int) -> tuple[str, ...]:
        notes: list[str] = []
        if self.commits_total is not None and self.commits_total > commits_seen:
            notes.append(
                f"only {commits_seen} of {self.commits_total} commits could be read "
                "(GitHub lists at most 250)"
            )
        if self.files_total is not None and self.files_total > files_seen:
            notes.append(
                f"only {files_seen} of {self.files_total} changed files could be read "
                "(GitHub lists at most 3,000)"
            )
        return tuple(notes)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the engine may know about one pull request (or one local git range)."""

    base_sha: str
    head_sha: str
    title: str = ""
    body: str = ""
    labels: tuple[str, ...] = ()
    author: str | None = None
    head_branch: str = ""
    base_branch: str = ""
    commits: tuple[Commit, ...] = ()
    files: tuple[ChangedFile, ...] = ()
    # Text of files at base and head, keyed by path at that side. Only files the engine
    # reads whole (for complexity and AST rules) are present; a missing key means "not fetched".
    base_texts: Mapping[str, str] = field(default_factory=dict)
    head_texts: Mapping[str, str] = field(default_factory=dict)
    truncation: Truncation = field(default_factory=Truncation)
