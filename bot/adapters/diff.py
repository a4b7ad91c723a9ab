"""Unified diffs to ChangedFile values, shared by the git and GitHub adapters.

Both sources give unified diff text (git's whole diff; GitHub's per-file `patch`), so one
parser (unidiff) and one mapping serve both and cannot drift apart.
"""

from __future__ import annotations

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchedFile, PatchSet

from bot.engine.snapshot import ChangedFile, FileStatus, Hunk


class DiffError(ValueError):
    """A diff that unidiff cannot parse."""


def _strip_prefix(name: str) -> str:
    return name[2:] if name.startswith(("a/", "b/")) else name


def _hunks(patched: PatchedFile) -> tuple[tuple[Hunk, ...], list[int], list[int], dict[int, str]]:
    hunks: list[Hunk] = []
    added: list[int] = []
    removed: list[int] = []
    added_text: dict[int, str] = {}
    for hunk in patched:
        hunk_added: list[int] = []
        hunk_removed: list[int] = []
        for line in hunk:
            if line.is_added and line.target_line_no is not None:
                hunk_added.append(line.target_line_no)
                added_text[line.target_line_no] = line.value.rstrip("\r\n")
            elif line.is_removed and line.source_line_no is not None:
                hunk_removed.append(line.source_line_no)
        added.extend(hunk_added)
        removed.extend(hunk_removed)
        hunks.append(
            Hunk(
                source_start=hunk.source_start,
                source_length=hunk.source_length,
                target_start=hunk.target_start,
                target_length=hunk.target_length,
                added_lines=tuple(hunk_added),
                removed_lines=tuple(hunk_removed),
            )
        )
    return tuple(hunks), added, removed, added_text


def to_changed_file(
    patched: PatchedFile, status: FileStatus | None = None, binary: bool | None = None
) -> ChangedFile:
    """Map one unidiff PatchedFile; `status` and `binary` override what the diff says."""
    source = _strip_prefix(patched.source_file)
    target = _strip_prefix(patched.target_file)
    if status is None:
        if patched.is_added_file:
            status = FileStatus.ADDED
        elif patched.is_removed_file:
            status = FileStatus.REMOVED
        elif patched.is_rename:
            status = FileStatus.RENAMED
        else:
            status = FileStatus.MODIFIED
    path = source if status is FileStatus.REMOVED else target
    hunks, added, removed, added_text = _hunks(patched)
    return ChangedFile(
        path=path,
        status=status,
        old_path=source if status in (FileStatus.RENAMED, FileStatus.COPIED) else None,
        binary=patched.is_binary_file if binary is None else binary,
        symlink=patched.is_symlink,
        hunks=hunks,
        added_lines=tuple(added),
        removed_lines=tuple(removed),
        added_text=added_text,
    )


def parse_diff(text: str) -> list[PatchedFile]:
    try:
        return list(PatchSet(text))
    except UnidiffParseError as exc:
        raise DiffError(f"cannot parse the diff: {exc}") from None


def parse_file_patch(
    path: str,
    patch: str | None,
    status: FileStatus,
    old_path: str | None = None,
) -> ChangedFile:
    """One file from GitHub's per-file `patch` (hunks only); no patch means binary or too big."""
    if not patch:
        return ChangedFile(path=path, status=status, old_path=old_path, binary=patch is None)
    source = f"a/{old_path or path}" if status is not FileStatus.ADDED else "/dev/null"
    target = f"b/{path}" if status is not FileStatus.REMOVED else "/dev/null"
    header = f"--- {source}\n+++ {target}\n"
    files = parse_diff(header + patch + ("" if patch.endswith("\n") else "\n"))
    if not files:
        return ChangedFile(path=path, status=status, old_path=old_path)
    changed = to_changed_file(files[0], status=status, binary=False)
    return ChangedFile(
        path=path,
        status=status,
        old_path=old_path,
        hunks=changed.hunks,
        added_lines=changed.added_lines,
        removed_lines=changed.removed_lines,
        added_text=changed.added_text,
    )
