"""git's unified diffs to ChangedFile values, shared by the git and GitHub adapters.

Three sources give diff text: the local adapter's `git diff`, GitHub's whole pull request diff
(`application/vnd.github.diff`, which is git's output), and the `patch` of each file in GitHub's
paginated file list (hunks only, beside the file's exact name). One parser serves all three so
they cannot drift apart.

Paths are exact. git writes a name holding a `"`, a backslash or a control character (a tab, a
newline…), and with `core.quotePath` on (GitHub's way) any non-ASCII byte, as a C-style quoted
string: `"b/billing/charge\\".py"`, `"b/caf\\303\\251.py"`. On `---`/`+++` lines it ends an
unquoted name that holds a space with a tab. Both are undone here; a name that cannot be read
is an error, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.engine.snapshot import ChangedFile, FileStatus, Hunk

DEV_NULL = "/dev/null"
_SYMLINK_MODE = "120000"
_HUNK_HEADER = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
_OCTAL = re.compile(r"[0-3][0-7]{2}")
_MODE_LINES = ("old mode ", "new mode ", "deleted file mode ", "new file mode ")
# Extended header lines whose content the mapping does not need.
_INFO_LINES = ("similarity index ", "dissimilarity index ", "index ")


class DiffError(ValueError):
    """A diff that cannot be read exactly; the message says where."""


@dataclass(slots=True)
class FileDiff:
    """One file's section of a diff, as read: names without their `a/` `b/` prefixes."""

    source: str | None  # the name at the base; None when the file is created
    target: str | None  # the name at the head; None when the file is removed
    renamed: bool = False
    copied: bool = False
    binary: bool = False
    modes: list[str] = field(default_factory=list)
    hunks: list[Hunk] = field(default_factory=list)
    added_text: dict[int, str] = field(default_factory=dict)
    removed_text: dict[int, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        """The name the engine knows the file by: at the head, or at the base when removed."""
        name = self.target if self.target is not None else self.source
        if name is None:
            raise DiffError("a diff section names no file")
        return name

    @property
    def status(self) -> FileStatus:
        if self.source is None:
            return FileStatus.ADDED
        if self.target is None:
            return FileStatus.REMOVED
        if self.copied:
            return FileStatus.COPIED
        if self.renamed or self.source != self.target:
            return FileStatus.RENAMED
        return FileStatus.MODIFIED


# --- names ------------------------------------------------------------------------------------


def unquote(text: str, start: int = 0) -> tuple[str, int]:
    """The C-style quoted name that opens at `text[start]` (a `"`), and the index past it.

    Escapes stand for bytes (`\\303\\251` is "é" in UTF-8), so the bytes are gathered first and
    decoded once; bytes that are not UTF-8 become U+FFFD, as the adapters decode everything else.
    """
    if text[start : start + 1] != '"':
        raise DiffError(f"not a quoted name: {text[start:]!r}")
    out = bytearray()
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == '"':
            return out.decode("utf-8", "replace"), index + 1
        if char != "\\":
            out += char.encode("utf-8", "surrogatepass")
            index += 1
            continue
        escaped = text[index + 1 : index + 2]
        if escaped in _ESCAPES:
            out.append(_ESCAPES[escaped])
            index += 2
        elif _OCTAL.fullmatch(text, index + 1, index + 4):
            out.append(int(text[index + 1 : index + 4], 8))
            index += 4
        else:
            raise DiffError(f"unknown escape in quoted name: {text[start:]!r}")
    raise DiffError(f"quoted name without its closing quote: {text[start:]!r}")


def _name(text: str) -> str:
    """One whole name as a header line gives it: quoted, or as is."""
    if not text.startswith('"'):
        return text
    name, end = unquote(text)
    if end != len(text):
        raise DiffError(f"text after a quoted name: {text!r}")
    return name


def _file_line_name(text: str, prefix: str) -> str | None:
    """The name on a `---` or `+++` line: None for /dev/null, else without `prefix`."""
    if text.startswith('"'):
        name, end = unquote(text)
        if text[end:] and not text[end:].startswith("\t"):
            raise DiffError(f"text after a quoted name: {text!r}")
    else:
        # A tab ends the name: git adds one after a name with a space (or a timestamp follows).
        name = text.split("\t", 1)[0]
        if name == DEV_NULL:
            return None
    return _strip(name, prefix)


def _strip(name: str, prefix: str) -> str:
    if not name.startswith(prefix):
        raise DiffError(f"name without its {prefix!r} prefix: {name!r}")
    return name[len(prefix) :]


def _git_header_names(rest: str) -> tuple[str, str] | None:
    """The two names of `diff --git <a> <b>`, or None when they cannot be told apart.

    Unquoted names with spaces are ambiguous there; when both sides name one file (every change
    but a rename or copy, which carry their own `rename from`/`to` lines), the line is "a/" +
    name + " b/" + name, so the halves say where the names split.
    """
    if rest.startswith('"'):
        source, end = unquote(rest)
        if rest[end : end + 1] != " ":
            raise DiffError(f"cannot read the names of: diff --git {rest}")
        return _strip(source, "a/"), _strip(_name(rest[end + 1 :]), "b/")
    if rest.endswith('"'):
        for split in range(len(rest)):
            if rest.startswith(' "', split):
                try:
                    target = _name(rest[split + 1 :])
                except DiffError:
                    continue
                return _strip(rest[:split], "a/"), _strip(target, "b/")
        raise DiffError(f"cannot read the names of: diff --git {rest}")
    length = (len(rest) - 5) // 2
    if len(rest) % 2 == 1 and rest[2 + length : 5 + length] == " b/":
        source, target = rest[2 : 2 + length], rest[5 + length :]
        if rest.startswith("a/") and source == target:
            return source, target
    return None


# --- hunks ------------------------------------------------------------------------------------


def _read_hunk(
    lines: Sequence[str], start: int, where: str
) -> tuple[Hunk, dict[int, str], dict[int, str], int]:
    """The hunk whose `@@` header is `lines[start]`, its added and removed lines' text, and the
    index past it. The header's counts say where the hunk ends, so no line inside it is taken
    for a header.
    """
    header = _HUNK_HEADER.match(lines[start])
    if header is None:
        raise DiffError(f"malformed hunk header in {where}: {lines[start]!r}")
    source_start, target_start = int(header[1]), int(header[3])
    source_length = 1 if header[2] is None else int(header[2])
    target_length = 1 if header[4] is None else int(header[4])
    old_left, new_left = source_length, target_length
    old_line, new_line = source_start, target_start
    added: list[int] = []
    removed: list[int] = []
    added_text: dict[int, str] = {}
    removed_text: dict[int, str] = {}
    index = start + 1
    while old_left > 0 or new_left > 0:
        if index >= len(lines):
            raise DiffError(f"a hunk of {where} ends early")
        line = lines[index]
        kind = line[:1]
        if kind == "+" and new_left > 0:
            added.append(new_line)
            added_text[new_line] = line[1:].rstrip("\r\n")
            new_line += 1
            new_left -= 1
        elif kind == "-" and old_left > 0:
            removed.append(old_line)
            removed_text[old_line] = line[1:].rstrip("\r\n")
            old_line += 1
            old_left -= 1
        elif kind in (" ", "") and old_left > 0 and new_left > 0:
            # An empty line is an empty context line (`diff.suppressBlankEmpty`, trimmed copies).
            old_line += 1
            new_line += 1
            old_left -= 1
            new_left -= 1
        elif kind != "\\":  # "\ No newline at end of file" counts as no line
            raise DiffError(f"unexpected line in a hunk of {where}: {line[:80]!r}")
        index += 1
    if index < len(lines) and lines[index].startswith("\\"):
        index += 1
    hunk = Hunk(
        source_start=source_start,
        source_length=source_length,
        target_start=target_start,
        target_length=target_length,
        added_lines=tuple(added),
        removed_lines=tuple(removed),
    )
    return hunk, added_text, removed_text, index


def _read_hunks(lines: Sequence[str], index: int, section: FileDiff, where: str) -> int:
    """Every hunk from `lines[index]` to the next file's section; the index where that starts."""
    while index < len(lines) and not lines[index].startswith("diff --git "):
        line = lines[index]
        if line.startswith("@@ "):
            hunk, added_text, removed_text, index = _read_hunk(lines, index, where)
            section.hunks.append(hunk)
            section.added_text.update(added_text)
            section.removed_text.update(removed_text)
        elif line == "":
            index += 1
        elif line.startswith("--- ") and section.hunks:
            return index  # a plain unified diff's next file
        else:
            raise DiffError(f"unexpected line after the hunks of {where}: {line[:80]!r}")
    return index


# --- files ------------------------------------------------------------------------------------


def _read_git_section(lines: Sequence[str], start: int) -> tuple[FileDiff, int]:
    """One `diff --git` section: its extended header, then its hunks or its binary marker."""
    rest = lines[start][len("diff --git ") :]
    where = f"diff --git {rest}"
    section = FileDiff(*(_git_header_names(rest) or (None, None)))
    index = start + 1
    while index < len(lines):
        line = lines[index]
        if line.startswith(("diff --git ", "@@ ")):
            break
        if line.startswith("--- "):
            if index + 1 >= len(lines) or not lines[index + 1].startswith("+++ "):
                raise DiffError(f"a '---' line without its '+++' line in {where}")
            section.source = _file_line_name(line[4:], "a/")
            section.target = _file_line_name(lines[index + 1][4:], "b/")
            index += 2
            break
        if line.startswith(("Binary files ", "GIT binary patch")):
            section.binary = True
            index += 1
            while index < len(lines) and not lines[index].startswith("diff --git "):
                index += 1  # a binary patch's data, when git was asked for one
            break
        _read_header_line(section, line, where)
        index += 1
    if section.source is None and section.target is None:
        raise DiffError(f"cannot read the names of: {where}")
    return section, _read_hunks(lines, index, section, where)


def _read_header_line(section: FileDiff, line: str, where: str) -> None:
    """One line of git's extended header (renames, copies, modes, index)."""
    if line.startswith(("rename from ", "copy from ")):
        section.source = _name(line.split(" from ", 1)[1])
        section.renamed = line.startswith("rename")
        section.copied = line.startswith("copy")
    elif line.startswith(("rename to ", "copy to ")):
        section.target = _name(line.split(" to ", 1)[1])
    elif line.startswith(_MODE_LINES):
        section.modes.append(line.rsplit(" ", 1)[1])
        if line.startswith("new file mode "):
            section.source = None
        elif line.startswith("deleted file mode "):
            section.target = None
    elif line.startswith("index "):
        section.modes.extend(line.split(" ")[2:3])
    elif not line.startswith(_INFO_LINES):
        raise DiffError(f"unexpected line in the header of {where}: {line[:80]!r}")


def _read_plain_section(lines: Sequence[str], start: int) -> tuple[FileDiff, int]:
    """A file of a unified diff without git's header (`---`, `+++`, hunks)."""
    if start + 1 >= len(lines) or not lines[start + 1].startswith("+++ "):
        raise DiffError(f"a '---' line without its '+++' line: {lines[start][:80]!r}")
    section = FileDiff(
        _file_line_name(lines[start][4:], ""), _file_line_name(lines[start + 1][4:], "")
    )
    for side in ("source", "target"):
        name = getattr(section, side)
        if name is not None and name.startswith(("a/", "b/")):
            setattr(section, side, name[2:])
    where = f"--- {lines[start][4:]}"
    return section, _read_hunks(lines, start + 2, section, where)


def parse_diff(text: str) -> list[FileDiff]:
    """Every file section of a unified diff (git's, GitHub's), in order."""
    lines = text.split("\n")  # never splitlines(): a line may hold \r, \f, U+2028…
    if lines and lines[-1] == "":
        lines.pop()
    files: list[FileDiff] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("diff --git "):
            section, index = _read_git_section(lines, index)
        elif line.startswith("--- "):
            section, index = _read_plain_section(lines, index)
        else:
            index += 1  # text before the first file (a mail's headers, a note)
            continue
        files.append(section)
    return files


def to_changed_file(section: FileDiff) -> ChangedFile:
    """The engine's view of one file section."""
    status = section.status
    added = [n for hunk in section.hunks for n in hunk.added_lines]
    removed = [n for hunk in section.hunks for n in hunk.removed_lines]
    return ChangedFile(
        path=section.path,
        status=status,
        old_path=section.source if status in (FileStatus.RENAMED, FileStatus.COPIED) else None,
        binary=section.binary,
        symlink=bool(section.modes) and section.modes[-1] == _SYMLINK_MODE,
        hunks=tuple(section.hunks),
        added_lines=tuple(added),
        removed_lines=tuple(removed),
        added_text=section.added_text,
        removed_text=section.removed_text,
    )


def parse_file_patch(
    path: str,
    patch: str | None,
    status: FileStatus,
    old_path: str | None = None,
) -> ChangedFile:
    """One file from GitHub's per-file `patch` (hunks only) and its exact name from the list.

    No patch means GitHub showed no text: a binary file, or a diff too large to show.
    """
    if not patch:
        return ChangedFile(path=path, status=status, old_path=old_path, binary=patch is None)
    lines = patch.split("\n")
    if lines[-1] == "":
        lines.pop()
    section = FileDiff(old_path or path, path)
    end = _read_hunks(lines, 0, section, path)
    if end != len(lines):
        raise DiffError(f"unexpected line in the patch of {path}: {lines[end][:80]!r}")
    changed = to_changed_file(section)
    return ChangedFile(
        path=path,
        status=status,
        old_path=old_path,
        hunks=changed.hunks,
        added_lines=changed.added_lines,
        removed_lines=changed.removed_lines,
        added_text=changed.added_text,
        removed_text=changed.removed_text,
    )
