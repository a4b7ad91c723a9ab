"""The detection corpus: public repositories, windows of their history pinned by SHA, and the
changes in them, read from local clones.

`corpus.yml` lists each repository with a window `from..to` of its first-parent history (the
default branch as it was merged). Every first-parent commit in the window is one change:

- a merge commit is a pull request merged with a merge commit: its change is what the pull
  request showed, `merge-base(first parent, second parent)..second parent`, its commits the
  second parent's that the first parent lacks, and its branch the one the merge message names
  (`Merge pull request #12 from owner/codex/fix-x`, `Merge branch 'x'`);
- any other commit (a squash merge, a rebase merge, a direct push) is its own change.

Nothing here decides what is AI-assisted: `corpus_label.py` labels the changes, and
`detection.py` runs the bot over them. Clones are looked up as `DIR/OWNER+NAME/repo` (what the
`fetch` tool leaves; any clone, bare or not, works), DIR being /work/.mirror unless given.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
CORPUS_FILE = HERE / "corpus.yml"
DEFAULT_MIRRORS = Path("/work/.mirror")

_MERGE_SUBJECTS = (
    re.compile(r"^Merge pull request #\d+ from [^/\s]+/(?P<branch>\S+)"),
    re.compile(r"^Merge (?:remote-tracking )?branch '(?:origin/)?(?P<branch>[^']+)'"),
)


@dataclass(frozen=True)
class Window:
    """One repository's window: the first-parent commits after `start`, up to `end`."""

    repo: str  # OWNER/NAME
    start: str  # exclusive
    end: str  # inclusive
    era: str  # "ai" or "pre-ai" (before any coding agent existed: every change is human)
    split: str  # "tuning" (read while fixing the bot) or "held-out" (measured after)
    tools: tuple[str, ...]  # the tool families this window was chosen to cover
    note: str
    config: str = ""  # a repo config for the bot: identities only this repository uses

    def clone(self, mirrors: Path) -> Path:
        return mirrors / self.repo.replace("/", "+") / "repo"


@dataclass(frozen=True)
class RawCommit:
    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    committer_name: str
    committer_email: str
    message: str

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]


@dataclass(frozen=True)
class Change:
    """One change of a window: a merged pull request, or one commit."""

    repo: str
    sha: str  # the first-parent commit: the change's id in labels and reports
    base: str
    head: str
    branch: str  # the merged branch, as the merge message names it; "" for one commit
    merge: RawCommit | None  # the merge commit (the pull request's title and branch)
    commits: tuple[RawCommit, ...] = field(default=())  # oldest first


def load_windows(path: Path = CORPUS_FILE) -> list[Window]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    windows = []
    for entry in raw["repositories"]:
        windows.append(
            Window(
                repo=entry["repo"],
                start=entry["from"],
                end=entry["to"],
                era=entry["era"],
                split=entry["split"],
                tools=tuple(entry.get("tools", ())),
                note=" ".join(str(entry.get("note", "")).split()),
                config=entry.get("config", ""),
            )
        )
    return windows


def git(clone: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "--git-dir", str(clone), *args],
        capture_output=True,
        check=True,
    )
    return done.stdout.decode("utf-8", "replace")


_FIELDS = ("%H", "%P", "%an", "%ae", "%cn", "%ce", "%B")


def read_commits(clone: Path, *revisions: str) -> dict[str, RawCommit]:
    """Every commit `git log REVISIONS` lists, by SHA: metadata and the whole message."""
    out = git(
        clone, "log", "-z", "--no-color", f"--format={'%x1f'.join(_FIELDS)}", *revisions, "--"
    )
    commits: dict[str, RawCommit] = {}
    for record in out.split("\0"):
        if not record.strip():
            continue
        sha, parents, a_name, a_email, c_name, c_email, message = record.lstrip("\n").split(
            "\x1f", 6
        )
        commits[sha] = RawCommit(
            sha=sha,
            parents=tuple(parents.split()),
            author_name=a_name,
            author_email=a_email,
            committer_name=c_name,
            committer_email=c_email,
            message=message.strip("\n"),
        )
    return commits


def branch_of(merge_subject: str) -> str:
    for pattern in _MERGE_SUBJECTS:
        found = pattern.match(merge_subject)
        if found:
            return found.group("branch")
    return ""


def changes(window: Window, clone: Path) -> Iterator[Change]:
    """The window's changes, oldest first."""
    commits = read_commits(clone, f"{window.start}..{window.end}")
    first_parent = git(
        clone, "rev-list", "--first-parent", "--reverse", f"{window.start}..{window.end}"
    ).split()
    for sha in first_parent:
        commit = commits[sha]
        if len(commit.parents) < 2:
            yield Change(window.repo, sha, commit.parents[0], sha, "", None, (commit,))
            continue
        first, second = commit.parents[0], commit.parents[1]
        side = git(clone, "rev-list", "--reverse", "--topo-order", f"{first}..{second}").split()
        base = git(clone, "merge-base", first, second).strip()
        yield Change(
            window.repo,
            sha,
            base,
            second,
            branch_of(commit.subject),
            commit,
            tuple(commits[s] for s in side),
        )
