"""The local git adapter: a Snapshot of a commit range, read with the `git` command.

It only gathers data; every decision is the engine's. Each git call is a single process
(`git log`, `git diff`, one `git cat-file --batch` for all file texts), so the cost does not
grow with one process per file.

Paths are exact: names come NUL-terminated (`-z`) wherever git offers it, file texts are read
by blob id rather than by `rev:path`, and the one place names must be read from diff text
(hunks belong to them) is checked name by name against `git diff --raw -z`.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.engine.diff import DiffError, parse_diff, to_changed_file
from bot.engine.snapshot import ChangedFile, Commit, FileStatus, Person, Snapshot

# `git log -z`: fields end with NUL, which no message, name or path can hold; two empty fields
# open each commit, and the commit's `--numstat` entries (never empty) follow its last field.
_LOG_FIELDS = ("%H", "%P", "%an", "%ae", "%cn", "%ce", "%B")
_LOG_FORMAT = "%x00%x00" + "%x00".join(_LOG_FIELDS)
# The same options for the patch and for the `--raw` listing, so both list files in one order.
_DIFF_OPTIONS = (
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--find-renames",
)
_NULL_OID = "0" * 40
# A text larger than this is not read into memory: the engine would skip it anyway.
MAX_TEXT_BYTES = 16 * 1024 * 1024
# Who the staged change's commit is by when git knows no user (it is never pushed anywhere).
_ANONYMOUS = {
    "GIT_AUTHOR_NAME": "ai-review-bot",
    "GIT_AUTHOR_EMAIL": "ai-review-bot@localhost",
    "GIT_COMMITTER_NAME": "ai-review-bot",
    "GIT_COMMITTER_EMAIL": "ai-review-bot@localhost",
}


class GitError(Exception):
    """A git command failed, or the folder is not a repository; the message says which."""


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


class GitRepo:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise GitError(f"{self.path} is not a folder")
        self._run("rev-parse", "--git-dir")

    def _run(
        self, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
    ) -> bytes:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **(env or {})}
        try:
            done = subprocess.run(
                ["git", "-c", "core.quotepath=off", *args],
                cwd=self.path,
                input=stdin,
                capture_output=True,
                env=env,
                check=False,
            )
        except FileNotFoundError:
            raise GitError("git is not installed (it must be on PATH)") from None
        if done.returncode != 0:
            message = _decode(done.stderr).strip().splitlines()
            reason = message[-1] if message else f"exit code {done.returncode}"
            raise GitError(f"git {args[0]} failed in {self.path}: {reason}")
        return done.stdout

    def resolve(self, ref: str) -> str:
        """The full commit SHA of `ref`."""
        try:
            return _decode(
                self._run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
            ).strip()
        except GitError:
            raise GitError(f"{ref!r} is not a commit in {self.path}") from None

    def _exists(self, ref: str) -> bool:
        try:
            self.resolve(ref)
        except GitError:
            return False
        return True

    def default_branch(self) -> str:
        """origin/HEAD, else main, else master: the branch a pull request would target."""
        for ref in ("origin/HEAD", "main", "master"):
            if self._exists(ref):
                return ref
        raise GitError(
            "cannot find the default branch (no origin/HEAD, main or master): pass --base"
        )

    def merge_base(self, head: str, other: str) -> str | None:
        """The best common ancestor of two commits, or None when git sees none (unrelated
        histories, or a shallow clone cut above it)."""
        try:
            return _decode(self._run("merge-base", head, other)).strip() or None
        except GitError:
            return None

    def tree_of(self, commit: str) -> str:
        return _decode(self._run("rev-parse", "--verify", f"{commit}^{{tree}}")).strip()

    def is_shallow(self) -> bool:
        return _decode(self._run("rev-parse", "--is-shallow-repository")).strip() == "true"

    def count_commits(self, base: str, head: str) -> int:
        return int(_decode(self._run("rev-list", "--count", f"{base}..{head}")).strip() or 0)

    def remotes(self) -> list[str]:
        return _decode(self._run("remote")).split()

    def staged_commit(self, head: str) -> str:
        """A commit of the index on top of `head`, as `git commit` would record it. Nothing
        points at it: no branch, no reflog, no working tree change (git gc drops it later)."""
        tree = _decode(self._run("write-tree")).strip()
        identity = {} if self._has_identity() else _ANONYMOUS
        return _decode(
            self._run("commit-tree", tree, "-p", head, "-m", "(staged change)", env=identity)
        ).strip()

    def _has_identity(self) -> bool:
        try:
            self._run("var", "GIT_COMMITTER_IDENT")
        except GitError:
            return False
        return True

    def branch_of(self, ref: str) -> str:
        """The branch `ref` names, as GitHub names a pull request's head (`claude/fix-login`,
        also for `origin/claude/fix-login`), or '' for a commit, a tag or a detached HEAD."""
        try:
            name = _decode(self._run("rev-parse", "--symbolic-full-name", ref)).strip()
        except GitError:
            return ""
        if name.startswith("refs/heads/"):
            return name.removeprefix("refs/heads/")
        if name.startswith("refs/remotes/"):
            _remote, _, branch = name.removeprefix("refs/remotes/").partition("/")
            return "" if branch == "HEAD" else branch
        return ""

    def list_files(self, ref: str, folder: str) -> list[str]:
        """Paths of the files directly in `folder` at `ref` (none when it does not exist)."""
        raw = self._run("ls-tree", "-z", "--name-only", ref, "--", folder.rstrip("/") + "/")
        return [name for name in _decode(raw).split("\0") if name]

    def read_text(self, ref: str, path: str) -> str | None:
        """One file's text at `ref`, or None when it does not exist there."""
        return self.read_texts(ref, [path]).get(path)

    def read_texts(self, ref: str, paths: Iterable[str]) -> dict[str, str]:
        """Texts of many files at `ref` through one `git cat-file --batch`."""
        wanted = [p for p in dict.fromkeys(paths) if "\n" not in p]
        found = self._read_objects([f"{ref}:{p}" for p in wanted])
        return {path: text for path, text in zip(wanted, found, strict=True) if text is not None}

    def tracked_files(self) -> list[str]:
        """The paths of the checkout's tracked files, from the repository's root."""
        listing = _decode(self._run("ls-files", "-z", "--full-name"))
        return [name for name in listing.split("\0") if name]

    def first_file(self, ref: str, paths: Iterable[str]) -> tuple[str, int] | None:
        """The first of `paths` that is a file at `ref`, and its size; None when none is."""
        wanted = [p for p in paths if "\n" not in p]
        request = "".join(f"{ref}:{p}\n" for p in wanted).encode("utf-8", "surrogateescape")
        out = _decode(self._run("cat-file", "--batch-check", stdin=request))
        for path, line in zip(wanted, out.splitlines(), strict=True):
            # "<oid> <type> <size>", or "<name> missing"
            header = line.rsplit(" ", 2)
            if len(header) == 3 and header[1] == "blob":
                return path, int(header[2])
        return None

    def _read_objects(self, names: list[str]) -> list[str | None]:
        """The text of each object named (a blob id, or `rev:path` without a newline), or None
        for one that is missing, not a blob, or larger than MAX_TEXT_BYTES."""
        if not names:
            return []
        request = "".join(f"{name}\n" for name in names).encode("utf-8", "surrogateescape")
        out = self._run("cat-file", "--batch", stdin=request)
        texts: list[str | None] = []
        pos = 0
        for _ in names:
            newline = out.index(b"\n", pos)
            # "<oid> <type> <size>", or "<name> missing" (the name may hold spaces).
            header = out[pos:newline].rsplit(b" ", 2)
            pos = newline + 1
            if len(header) != 3 or header[1] != b"blob":
                texts.append(None)  # missing, or a submodule / folder
                continue
            size = int(header[2])
            texts.append(_decode(out[pos : pos + size]) if size <= MAX_TEXT_BYTES else None)
            pos += size + 1
        return texts

    def commits(self, base: str, head: str) -> tuple[Commit, ...]:
        raw = self._run(
            "log",
            "-z",
            "--no-color",
            "--reverse",
            "--no-renames",
            f"--format={_LOG_FORMAT}",
            "--numstat",
            f"{base}..{head}",
        )
        tokens = _decode(raw).split("\0")
        commits: list[Commit] = []
        pos = 0
        while pos + 2 < len(tokens) and tokens[pos] == tokens[pos + 1] == "":
            fields = tokens[pos + 2 : pos + 2 + len(_LOG_FIELDS)]
            pos += 2 + len(_LOG_FIELDS)
            sha, parents, a_name, a_email, c_name, c_email, message = fields
            additions = deletions = 0
            while pos < len(tokens) and tokens[pos]:
                # "<added>\t<removed>\t<path>" ("-" for binary files); the path is not needed.
                added, removed, _ = tokens[pos].lstrip("\n").split("\t", 2)
                additions += int(added) if added.isdigit() else 0
                deletions += int(removed) if removed.isdigit() else 0
                pos += 1
            commits.append(
                Commit(
                    sha=sha,
                    message=message.strip("\n"),
                    author=Person(a_name, a_email),
                    committer=Person(c_name, c_email),
                    parents=tuple(parents.split()),
                    additions=additions,
                    deletions=deletions,
                )
            )
        return tuple(commits)

    def changed_files(self, base: str, head: str) -> tuple[ChangedFile, ...]:
        return tuple(file for file, _ in self._diff(base, head))

    def _diff(self, base: str, head: str) -> list[tuple[ChangedFile, _Blobs]]:
        """Each changed file with its blob ids, names checked against `git diff --raw -z`.

        The patch gives the hunks; the raw listing gives exact names and blob ids, in the same
        order (a type change, file to symlink, is one raw entry but two patch sections). A name
        the patch parser read differently from git's own is an error, never a file silently
        analysed under a wrong name.
        """
        patch = self._run(
            "diff",
            *_DIFF_OPTIONS,
            "--unified=0",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            base,
            head,
        )
        listing = self._run("diff", *_DIFF_OPTIONS, "--raw", "-z", "--no-abbrev", base, head)
        try:
            sections = [to_changed_file(section) for section in parse_diff(_decode(patch))]
        except DiffError as exc:
            raise GitError(f"git diff {base[:10]}..{head[:10]}: {exc}") from None
        entries = _raw_entries(_decode(listing))
        files: list[tuple[ChangedFile, _Blobs]] = []
        for entry in entries:
            taken = sections[len(files) : len(files) + (2 if entry.status == "T" else 1)]
            for changed in taken:
                if changed.path != entry.path or (changed.old_path or entry.old_path) not in (
                    entry.old_path,
                    None,
                ):
                    raise GitError(
                        f"git diff {base[:10]}..{head[:10]}: the patch names "
                        f"{changed.path!r} where git lists {entry.path!r}"
                    )
                files.append((changed, entry.blobs))
        if len(files) != len(sections):
            raise GitError(
                f"git diff {base[:10]}..{head[:10]}: {len(sections)} files in the patch, "
                f"{len(files)} listed by git"
            )
        return files

    def snapshot(
        self,
        base: str,
        head: str,
        needs_text: Callable[[ChangedFile], bool],
        head_branch: str | None = None,
    ) -> Snapshot:
        """The range base..head as the engine sees a pull request from `head` into `base`;
        `head_branch` names the pull request's branch when `head` is a commit."""
        base_sha, head_sha = self.resolve(base), self.resolve(head)
        diff = self._diff(base_sha, head_sha)
        wanted: list[tuple[str, str]] = []  # (path at head, blob), then (path at base, blob)
        for changed, blobs in diff:
            if not needs_text(changed):
                continue
            if changed.status is not FileStatus.REMOVED and blobs.head != _NULL_OID:
                wanted.append((changed.path, blobs.head))
        base_wanted: list[tuple[str, str]] = []
        for changed, blobs in diff:
            base_path = changed.base_path
            if needs_text(changed) and base_path is not None and blobs.base != _NULL_OID:
                base_wanted.append((base_path, blobs.base))
        texts = self._read_objects([blob for _, blob in wanted + base_wanted])
        head_texts = _found(wanted, texts[: len(wanted)])
        base_texts = _found(base_wanted, texts[len(wanted) :])
        return Snapshot(
            base_sha=base_sha,
            head_sha=head_sha,
            head_branch=self.branch_of(head) if head_branch is None else head_branch,
            base_branch=self.branch_of(base),
            commits=self.commits(base_sha, head_sha),
            files=tuple(changed for changed, _ in diff),
            base_texts=base_texts,
            head_texts=head_texts,
        )


@dataclass(frozen=True, slots=True)
class _Blobs:
    base: str  # all zeros where the file does not exist
    head: str


@dataclass(frozen=True, slots=True)
class _RawEntry:
    """One file of `git diff --raw -z`: its status letter, exact names and blob ids."""

    status: str
    path: str
    old_path: str | None  # renames and copies only
    blobs: _Blobs


def _raw_entries(listing: str) -> list[_RawEntry]:
    """`:<old mode> <new mode> <old blob> <new blob> <status>` NUL name NUL (NUL new name)."""
    tokens = listing.split("\0")
    entries: list[_RawEntry] = []
    pos = 0
    while pos < len(tokens) and tokens[pos].startswith(":"):
        _, _, old_blob, new_blob, status = tokens[pos][1:].split(" ")
        letter = status[:1]
        blobs = _Blobs(old_blob, new_blob)
        if letter in ("R", "C"):
            entries.append(_RawEntry(letter, tokens[pos + 2], tokens[pos + 1], blobs))
            pos += 3
        else:
            entries.append(_RawEntry(letter, tokens[pos + 1], None, blobs))
            pos += 2
    return entries


def _found(wanted: list[tuple[str, str]], texts: list[str | None]) -> dict[str, str]:
    return {path: text for (path, _), text in zip(wanted, texts, strict=True) if text is not None}
