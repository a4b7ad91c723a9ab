"""Reading a real git repository the way GitHub's API presents it.

Every function is synchronous and pure over (repository path, object names): the server runs
them in a worker thread so one slow `git` call never blocks the event loop the bot under test
shares with the fake. Results about immutable objects (commits by SHA) are cached.
"""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

ObjectType = Literal["blob", "tree", "commit", "tag"]
_FIELD = "\x1f"
_RECORD = "\x1e"
_LOG_FORMAT = (
    _RECORD
    + _FIELD.join(["%H", "%P", "%T", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%B"])
    + _FIELD
)
_OBJECT_TYPES: dict[str, ObjectType] = {
    "blob": "blob",
    "tree": "tree",
    "commit": "commit",
    "tag": "tag",
}
# git's own binary heuristic: a NUL byte in the first 8000 bytes.
_BINARY_PROBE = 8000


class GitCommandError(Exception):
    """A git command failed; the message holds git's last line of stderr."""


def run_git(path: Path, *args: str, stdin: bytes | None = None) -> bytes:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    done = subprocess.run(
        ["git", "-c", "core.quotepath=off", *args],
        cwd=path,
        input=stdin,
        capture_output=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitCommandError(f"git {args[0]}: {lines[-1] if lines else done.returncode}")
    return done.stdout


def github_revision(revision: str, default_branch: str) -> str:
    """GitHub's HEAD is the default branch, whatever the test's work tree has checked out."""
    if revision == "HEAD" or revision.startswith(("HEAD:", "HEAD~", "HEAD^")):
        return f"refs/heads/{default_branch}" + revision.removeprefix("HEAD")
    return revision


def resolve_commit(path: Path, revision: str) -> str | None:
    """The commit SHA `revision` names, or None when it names no commit."""
    if not revision or revision.startswith("-") or "\n" in revision:
        return None
    try:
        out = run_git(path, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except GitCommandError:
        return None
    return out.decode().strip() or None


def branch_tip(path: Path, branch: str) -> str | None:
    return resolve_commit(path, f"refs/heads/{branch}")


def is_ancestor(path: Path, ancestor: str, descendant: str) -> bool:
    """Whether commit `ancestor` is reachable from `descendant` (or is it)."""
    if not ancestor or not descendant:
        return False
    try:
        run_git(path, "merge-base", "--is-ancestor", ancestor, descendant)
    except GitCommandError:
        return False
    return True


def merge_base(path: Path, base_sha: str, head_sha: str) -> str | None:
    try:
        return run_git(path, "merge-base", base_sha, head_sha).decode().strip() or None
    except GitCommandError:
        return None


@dataclass(frozen=True, slots=True)
class GitPerson:
    name: str
    email: str
    date: datetime


@dataclass(frozen=True, slots=True)
class CommitInfo:
    sha: str
    parents: tuple[str, ...]
    tree: str
    author: GitPerson
    committer: GitPerson
    message: str
    additions: int
    deletions: int


def _person(name: str, email: str, when: str) -> GitPerson:
    return GitPerson(name, email, datetime.fromisoformat(when).astimezone(UTC))


def _numstat_totals(text: str) -> tuple[int, int]:
    additions = deletions = 0
    for line in text.splitlines():
        parts = line.split("\t", 2)
        if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
            additions += int(parts[0])
            deletions += int(parts[1])
    return additions, deletions


def _parse_log(out: str) -> tuple[CommitInfo, ...]:
    commits = []
    for record in out.split(_RECORD)[1:]:
        fields = record.split(_FIELD, 10)
        sha, parents, tree, an, ae, ad, cn, ce, cd, message, numstat = fields
        additions, deletions = _numstat_totals(numstat)
        commits.append(
            CommitInfo(
                sha=sha,
                parents=tuple(parents.split()),
                tree=tree,
                author=_person(an, ae, ad),
                committer=_person(cn, ce, cd),
                message=message.rstrip("\n"),
                additions=additions,
                deletions=deletions,
            )
        )
    return tuple(commits)


@functools.lru_cache(maxsize=128)
def commits_between(path: Path, base_sha: str, head_sha: str) -> tuple[CommitInfo, ...]:
    """Commits reachable from head and not from base, oldest first, with line counts.

    A merge commit's counts are against its first parent, as GitHub shows them.
    """
    out = run_git(
        path,
        "log",
        "--reverse",
        "--numstat",
        "--diff-merges=first-parent",
        f"--format={_LOG_FORMAT}",
        f"{base_sha}..{head_sha}",
    )
    return _parse_log(out.decode("utf-8", "replace"))


@functools.lru_cache(maxsize=512)
def commit_info(path: Path, sha: str) -> CommitInfo | None:
    """One commit by SHA (its counts against its first parent), or None when absent."""
    try:
        out = run_git(
            path,
            "log",
            "-1",
            "--numstat",
            "--diff-merges=first-parent",
            f"--format={_LOG_FORMAT}",
            sha,
            "--",
        )
    except GitCommandError:
        return None
    found = _parse_log(out.decode("utf-8", "replace"))
    return found[0] if found else None


@dataclass(frozen=True, slots=True)
class GitObject:
    oid: str
    type: ObjectType
    size: int
    data: bytes

    @property
    def is_binary(self) -> bool:
        return b"\0" in self.data[:_BINARY_PROBE]


@dataclass(frozen=True, slots=True)
class TreeEntry:
    mode: str
    name: str
    oid: str

    @property
    def type(self) -> ObjectType:
        if self.mode == "40000":
            return "tree"
        if self.mode == "160000":
            return "commit"
        return "blob"


def read_objects(path: Path, names: Sequence[str]) -> list[GitObject | None]:
    """Objects by name ("REV:PATH", "REV" or an OID) through one `git cat-file --batch`."""
    wanted = [name for name in names if name and "\n" not in name]
    if not wanted:
        return [None] * len(names)
    out = run_git(path, "cat-file", "--batch", stdin="".join(f"{n}\n" for n in wanted).encode())
    found: dict[str, GitObject | None] = {}
    pos = 0
    for name in wanted:
        newline = out.index(b"\n", pos)
        line = out[pos:newline].decode("utf-8", "replace")
        pos = newline + 1
        header = line.split()
        if line.endswith((" missing", " ambiguous")) or len(header) != 3:
            found[name] = None
            continue
        size = int(header[2])
        kind = _OBJECT_TYPES.get(header[1])
        found[name] = (
            None if kind is None else GitObject(header[0], kind, size, out[pos : pos + size])
        )
        pos += size + 1
    return [found.get(name) for name in names]


def tree_entries(tree: GitObject) -> list[TreeEntry]:
    """The entries of a raw tree object, in git's order."""
    entries = []
    pos = 0
    data = tree.data
    while pos < len(data):
        space = data.index(b" ", pos)
        nul = data.index(b"\0", space)
        mode = data[pos:space].decode()
        name = data[space + 1 : nul].decode("utf-8", "surrogateescape")
        oid = data[nul + 1 : nul + 21].hex()
        entries.append(TreeEntry(mode, name, oid))
        pos = nul + 21
    return entries


def object_sizes(path: Path, oids: Sequence[str]) -> dict[str, int]:
    """Sizes of objects by OID through one `git cat-file --batch-check`."""
    if not oids:
        return {}
    out = run_git(path, "cat-file", "--batch-check", stdin="".join(f"{o}\n" for o in oids).encode())
    sizes = {}
    for line in out.decode().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2].isdigit():
            sizes[parts[0]] = int(parts[2])
    return sizes
