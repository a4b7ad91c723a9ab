"""What GitHub itself writes into a repository: merge commits made on the website.

"Update branch" on a pull request, or a conflict resolved in GitHub's web editor, is a merge
commit GitHub makes and signs as web-flow. `web_merge` makes the same commit in the test's
real git repository: the two parents, git's own merge of them (`git merge-tree`), plus any
file contents the web editor was given, committed by "GitHub <noreply@github.com>".
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from tests.fakegithub.gitdata import GitCommandError

GITHUB_COMMITTER = ("GitHub", "noreply@github.com")


def _git(
    path: Path,
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    allowed: tuple[int, ...] = (0,),
) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run(
        ["git", "-c", "core.quotepath=off", *args],
        cwd=path,
        input=stdin,
        capture_output=True,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **(env or {})},
        check=False,
    )
    if done.returncode not in allowed:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitCommandError(f"git {args[0]}: {lines[-1] if lines else done.returncode}")
    return done


def _merged_tree(path: Path, first: str, second: str, files: Mapping[str, str | bytes]) -> str:
    """git's merge of the two commits, with `files` written over it (a conflict resolution);
    raises ValueError when conflicts remain that `files` does not resolve."""
    done = _git(
        path, "merge-tree", "--write-tree", "--name-only", "--no-messages", first, second,
        allowed=(0, 1),
    )  # fmt: skip
    tree, *conflicted = done.stdout.decode("utf-8", "surrogateescape").splitlines()
    unresolved = sorted({name for name in conflicted if name} - set(files))
    if unresolved:
        raise ValueError(f"merging {second[:7]} into {first[:7]} conflicts in {unresolved}")
    if not files:
        return tree
    with tempfile.TemporaryDirectory() as folder:
        env = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
        _git(path, "read-tree", tree, env=env)
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            blob = _git(path, "hash-object", "-w", "--stdin", stdin=data).stdout.decode().strip()
            _git(path, "update-index", "--add", "--cacheinfo", f"100644,{blob},{name}", env=env)
        return _git(path, "write-tree", env=env).stdout.decode().strip()


def web_merge(
    path: Path,
    branch: str,
    second: str,
    *,
    message: str,
    author: tuple[str, str],
    files: Mapping[str, str | bytes] | None = None,
) -> str:
    """Merge commit `second` into `branch` as GitHub's website does; returns the new SHA.

    When `branch` is checked out in the test's work tree, the work tree moves with it, as a
    developer's would after pulling.
    """
    ref = f"refs/heads/{branch}"
    first = _git(path, "rev-parse", "--verify", f"{ref}^{{commit}}").stdout.decode().strip()
    tree = _merged_tree(path, first, second, files or {})
    env = {
        "GIT_AUTHOR_NAME": author[0],
        "GIT_AUTHOR_EMAIL": author[1],
        "GIT_COMMITTER_NAME": GITHUB_COMMITTER[0],
        "GIT_COMMITTER_EMAIL": GITHUB_COMMITTER[1],
    }
    sha = (
        _git(path, "commit-tree", tree, "-p", first, "-p", second, "-m", message, env=env)
        .stdout.decode()
        .strip()
    )
    _git(path, "update-ref", ref, sha, first)
    checked_out = _git(path, "symbolic-ref", "-q", "HEAD", allowed=(0, 1)).stdout.decode().strip()
    if checked_out == ref:
        _git(path, "reset", "-q", "--hard", sha)
    return sha
