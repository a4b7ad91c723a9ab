"""The local git adapter: a Snapshot of a commit range, read with the `git` command.

It only gathers data; every decision is the engine's. Each git call is a single process
(`git log`, `git diff`, one `git cat-file --batch` for all file texts), so the cost does not
grow with one process per file.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

from bot.adapters.diff import parse_diff, to_changed_file
from bot.engine.snapshot import ChangedFile, Commit, FileStatus, Person, Snapshot

_RECORD = "\x1e"
_FIELD = "\x1f"
_LOG_FORMAT = _FIELD.join(["%H", "%P", "%an", "%ae", "%cn", "%ce", "%B"])
# A text larger than this is not read into memory: the engine would skip it anyway.
MAX_TEXT_BYTES = 16 * 1024 * 1024


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

    def _run(self, *args: str, stdin: bytes | None = None) -> bytes:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
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

    def merge_base(self, head: str, other: str) -> str:
        try:
            return _decode(self._run("merge-base", head, other)).strip()
        except GitError:
            raise GitError(f"{head} and {other} have no common ancestor: pass --base") from None

    def branch_of(self, ref: str) -> str:
        """The branch name `ref` stands for, or '' when it is a bare commit."""
        try:
            name = _decode(self._run("rev-parse", "--abbrev-ref", ref)).strip()
        except GitError:
            return ""
        return "" if name == "HEAD" else name

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
        if not wanted:
            return {}
        request = "".join(f"{ref}:{p}\n" for p in wanted).encode("utf-8", "surrogateescape")
        out = self._run("cat-file", "--batch", stdin=request)
        texts: dict[str, str] = {}
        pos = 0
        for path in wanted:
            newline = out.index(b"\n", pos)
            header = out[pos:newline].split()
            pos = newline + 1
            if len(header) != 3 or header[1] != b"blob":
                continue  # missing, or a submodule / folder
            size = int(header[2])
            if size <= MAX_TEXT_BYTES:
                texts[path] = _decode(out[pos : pos + size])
            pos += size + 1
        return texts

    def commits(self, base: str, head: str) -> tuple[Commit, ...]:
        raw = self._run(
            "log",
            "--no-color",
            "--reverse",
            "--no-renames",
            f"--format={_RECORD}{_LOG_FORMAT}{_FIELD}",
            "--numstat",
            f"{base}..{head}",
        )
        commits: list[Commit] = []
        for record in _decode(raw).split(_RECORD)[1:]:
            sha, parents, a_name, a_email, c_name, c_email, message, numstat = record.split(
                _FIELD, 7
            )
            additions = deletions = 0
            for line in numstat.strip().splitlines():
                added, removed, _ = line.split("\t", 2)
                additions += int(added) if added.isdigit() else 0
                deletions += int(removed) if removed.isdigit() else 0
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
        raw = self._run(
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--find-renames",
            "--unified=0",
            "--no-textconv",
            base,
            head,
        )
        return tuple(to_changed_file(patched) for patched in parse_diff(_decode(raw)))

    def snapshot(
        self,
        base: str,
        head: str,
        needs_text: Callable[[ChangedFile], bool],
    ) -> Snapshot:
        """The range base..head as the engine sees a pull request from `head` into `base`."""
        base_sha, head_sha = self.resolve(base), self.resolve(head)
        files = self.changed_files(base_sha, head_sha)
        wanted = [f for f in files if needs_text(f)]
        head_paths = [f.path for f in wanted if f.status is not FileStatus.REMOVED]
        base_paths = [p for f in wanted if (p := f.base_path) is not None]
        return Snapshot(
            base_sha=base_sha,
            head_sha=head_sha,
            head_branch=self.branch_of(head),
            base_branch=self.branch_of(base),
            commits=self.commits(base_sha, head_sha),
            files=files,
            base_texts=self.read_texts(base_sha, base_paths),
            head_texts=self.read_texts(head_sha, head_paths),
        )
