"""SZZ labels: which changes of public repositories a later fix went back to repair.

For each repository (a local clone at a pinned SHA), a change is `first parent..commit` for a
first-parent commit of the default branch, as in bench/realworld/findings.py: a merge commit's
range is its pull request's diff, a squashed pull request its commit. The labelled changes are
the WINDOW most recent ones with at least a year of history after them (FOLLOW_UP_DAYS before
the pin), so every change had a year in which a fix could find it.

SZZ (Sliwerski, Zimmermann, Zeller 2005), as pydriller implements it
(`Git.get_commits_last_modified_lines`): for every later change whose title says it fixes
something (or links an issue it fixes, closes or resolves), the source lines it removed or
rewrote are blamed (`git blame -w` at the fix's first parent, comment and blank lines left
out); the changes that last wrote those lines are bug-inducing, and the fix is named beside
them. Refinements, each a common one:
- only source files are blamed (Python, JavaScript, TypeScript, Go; not tests, docs, examples,
  vendored copies): a fix's test is not where the bug was;
- the fix's diff is read ignoring whitespace, and commits that only reformat (whitespace, or
  the same syntax tree for Python, or the same tokens less layout for JavaScript, TypeScript
  and Go, in a commit whose message says it formats) are skipped by blame (`--ignore-revs-file`):
  a reformat is never the change that brought a bug, and is left out of the labels;
- a fix that rewrites more than MAX_FIX_FILES source files is a refactoring more than a fix,
  and labels nothing.

Writes bench/realworld/szz_labels.csv (repo, sha, date, formatting_only, bug_inducing, fixes)
and prints the counts per repository. A repository whose clone is not found is skipped, and
the output says so.

    .venv/bin/python bench/realworld/szz.py [--mirrors DIR] [--repo OWNER/NAME]

Needs the `bench` extra (requirements/bench.txt: pydriller). Clones: `--mirrors DIR` (default
/work/.mirror) holds OWNER+NAME/repo, a bare clone, as the `fetch` tool leaves them.
"""

from __future__ import annotations

import argparse
import ast
import csv
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
LABELS = HERE / "szz_labels.csv"
LABEL_FIELDS = ("repo", "sha", "date", "formatting_only", "bug_inducing", "fixes")
WINDOW = 1000  # labelled changes per repository, the most recent with a full follow-up
FOLLOW_UP_DAYS = 365
MAX_FIX_FILES = 10


@dataclass(frozen=True)
class Corpus:
    """One repository: where to find its clone, and the commit its history is read up to."""

    name: str  # OWNER/NAME
    pin: str

    def clone(self, mirrors: Path) -> Path:
        return mirrors / self.name.replace("/", "+") / "repo"


CORPORA = (
    Corpus("psf/requests", "1f6589ec3a1ee910f9a65cc3ceac60b26677bc0e"),
    Corpus("pallets/flask", "2ac89889f4cc330eabd50f295dcef02828522c69"),
    Corpus("encode/httpx", "ae1b9f66238f75ced3ced5e4485408435de10768"),
    Corpus("anthropics/claude-code-action", "24dcd50c0568f0fc9e9211213a4fd2d9eb15c4e0"),
    Corpus("expressjs/express", "a3714473feb3d2908add734d340e7755fd85e0a3"),
    Corpus("go-chi/chi", "735ae2b87f8c733d616e809ae86e0985c1bc3350"),
)

# --- what a commit message says -----------------------------------------------------------

FIX_WORDS = re.compile(
    r"\b(fix(e[sd]|ing)?|bug(s|fix(es)?)?|hotfix|regression|crash(es|ed|ing)?)\b", re.I
)
ISSUE_LINK = re.compile(r"\b(fix(e[sd])?|close[sd]?|resolve[sd]?)\b:?\s+(\S+/\S+)?#\d+", re.I)
# "fix typo", "fix the docs", "fix lint": the words of a fix whose object is no code.
NOT_CODE = re.compile(
    r"\bfix(e[sd]|ing)?\s+(a\s+|the\s+|some\s+|minor\s+|small\s+)*"
    r"(typos?|spelling|misspell\w*|grammar|docs?|documentation|docstrings?|readme|changelog|"
    r"comments?|links?|lint(ing)?|flake8|mypy|pylint|eslint|types?|typing|type hints?|"
    r"annotations?|ci|travis|goimports|tests?|test suite|coverage|build|formatting|style|"
    r"examples?|wording|badges?)\b",
    re.I,
)
# A fix of types or docs wherever the title says so: no defect a user met.
NOT_CODE_ANYWHERE = re.compile(
    r"\b(typos?|type annotations?|type hints?|typing|mypy|pyright|docs?|documentation|"
    r"docstrings?|changelog|readme)\b",
    re.I,
)
FORMAT_HINT = re.compile(
    r"\b(format\w*|reformat\w*|black|prettier|isort|ruff|pyupgrade|autopep8|pep ?8|flake8|"
    r"lint\w*|style|whitespace|indent\w*|quotes?|trailing|cleanup|clean up|gofmt)\b",
    re.I,
)

# --- which files hold source --------------------------------------------------------------

SOURCE_SUFFIXES = frozenset((".py", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".go"))
NOT_SOURCE_DIRS = frozenset(
    (
        "test",
        "tests",
        "testing",
        "__tests__",
        "spec",
        "docs",
        "doc",
        "examples",
        "example",
        "_examples",
        "benchmarks",
        "bench",
        "scripts",
        "vendor",
        "packages",  # requests/packages/: the urllib3 and chardet requests once vendored
        "node_modules",
        "dist",
        "build",
        "fixtures",
        "artwork",
    )
)
TEST_NAME = re.compile(
    r"(^test_.*\.py$|_test\.(py|go)$|\.(test|spec)\.[cm]?[jt]sx?$|^conftest\.py$)"
)


def is_source(path: str) -> bool:
    """Code that runs in production: a source suffix, outside tests, docs and vendored code."""
    parts = PurePosixPath(path)
    if parts.suffix not in SOURCE_SUFFIXES or TEST_NAME.search(parts.name):
        return False
    if parts.name in ("setup.py", "noxfile.py", "conftest.py") or parts.name.startswith("."):
        return False
    return not any(part in NOT_SOURCE_DIRS or part.startswith(".") for part in parts.parts[:-1])


# --- git ------------------------------------------------------------------------------------


def _git(clone: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "--git-dir", str(clone), *args],
        capture_output=True,
        check=True,
        text=True,
        errors="replace",
    )
    return done.stdout


@dataclass
class FirstParentChange:
    """One change: its first-parent commit, the base it is diffed against, and its message."""

    sha: str
    base: str
    parents: tuple[str, ...]
    date: datetime
    message: str
    formatting_only: bool = False
    fixes: list[str] = field(default_factory=list)

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    def title(self) -> str:
        """What the change says it does: a merge's pull request title and branch, else the
        subject."""
        lines = [line.strip() for line in self.message.splitlines() if line.strip()]
        if not lines:
            return ""
        if self.is_merge and len(lines) > 1:
            return f"{lines[1]} ({lines[0]})"
        return lines[0]

    def is_fix(self) -> bool:
        title = self.title()
        if NOT_CODE_ANYWHERE.search(title):
            return False
        if ISSUE_LINK.search(self.message):
            return not NOT_CODE.search(title)
        return bool(FIX_WORDS.search(title)) and not NOT_CODE.search(title)


def first_parent_changes(clone: Path, pin: str) -> list[FirstParentChange]:
    """Every first-parent change up to the pin, oldest first (root commits aside)."""
    log = _git(clone, "log", "--first-parent", "--format=%x1e%H %P%x1f%cI%x1f%B", pin)
    changes = []
    for record in log.split("\x1e")[1:]:
        shas, date, message = record.split("\x1f", 2)
        parts = shas.split()
        if len(parts) < 2:
            continue
        changes.append(
            FirstParentChange(
                sha=parts[0],
                base=parts[1],
                parents=tuple(parts[1:]),
                date=datetime.fromisoformat(date),
                message=message.strip(),
            )
        )
    changes.reverse()
    return changes


def members(clone: Path, change: FirstParentChange) -> list[str]:
    """The commits a change brings to the first-parent line: a merge's whole branch."""
    if not change.is_merge:
        return [change.sha]
    return _git(clone, "rev-list", change.sha, f"^{change.base}").split()


def source_paths(clone: Path, old: str, new: str) -> list[tuple[str, str]]:
    """(old path, new path) of the source files changed between two commits."""
    raw = _git(clone, "diff", "--no-renames", "--name-status", "-z", old, new).split("\0")
    pairs = []
    for status, path in zip(raw[0::2], raw[1::2], strict=False):
        if status and is_source(path):
            pairs.append((path if status != "A" else "", path if status != "D" else ""))
    return pairs


def _read(clone: Path, rev: str, path: str) -> str | None:
    if not path:
        return None
    try:
        return _git(clone, "show", f"{rev}:{path}")
    except subprocess.CalledProcessError:
        return None


def _same_code(path: str, old: str | None, new: str | None) -> bool:
    """The two texts differ only in layout: same syntax tree (Python), or same tokens once
    whitespace, semicolons, commas, parentheses and quote styles are set aside (others)."""
    if old is None or new is None:
        return False
    if path.endswith(".py"):
        try:
            return ast.dump(ast.parse(old)) == ast.dump(ast.parse(new))
        except (SyntaxError, ValueError):
            return False
    layout = re.compile(r"[\s;,()]")
    return layout.sub("", old).replace("'", '"').replace("`", '"') == layout.sub("", new).replace(
        "'", '"'
    ).replace("`", '"')


def formatting_only(clone: Path, old: str, new: str, message: str) -> bool:
    """Whether every source file the range changes changed in layout only (and one did)."""
    paths = source_paths(clone, old, new)
    if not paths:
        return False
    names = [p for pair in paths for p in pair if p]
    whitespace = _git(
        clone, "diff", "-w", "--ignore-blank-lines", "--stat", old, new, "--", *names
    ).strip()
    if not whitespace:
        return True
    if not FORMAT_HINT.search(message):
        return False
    return all(
        _same_code(new_path or old_path, _read(clone, old, old_path), _read(clone, new, new_path))
        for old_path, new_path in paths
    )


def reformat_commits(clone: Path, pin: str, since: datetime) -> list[str]:
    """Non-merge commits since `since` whose message says they format, and that only did."""
    log = _git(
        clone, "log", "--no-merges", f"--since={since.isoformat()}", "--format=%H %P%x1f%s", pin
    )
    found = []
    for line in log.splitlines():
        shas, _, subject = line.partition("\x1f")
        parts = shas.split()
        if (
            len(parts) == 2
            and FORMAT_HINT.search(subject)
            and formatting_only(clone, parts[1], parts[0], subject)
        ):
            found.append(parts[0])
    return found


# --- SZZ -------------------------------------------------------------------------------------


def inducing_commits(
    driller: object, clone: Path, fix: FirstParentChange, ignore_file: str
) -> tuple[set[str], int]:
    """Commits that last wrote the source lines the fix removed or rewrote (pydriller's SZZ
    at the fix's first parent), and how many source files the fix changed."""
    from git import Repo
    from pydriller import Git
    from pydriller.domain.commit import ModifiedFile

    assert isinstance(driller, Git)
    repo: Repo = driller.repo
    diffs = repo.commit(fix.base).diff(fix.sha, create_patch=True, w=True)
    modified = [ModifiedFile(diff=d) for d in diffs]
    sources = [m for m in modified if is_source(m.old_path or m.new_path or "")]
    sources = [m for m in sources if m.old_path]  # a new file has no line to blame
    if len(sources) > MAX_FIX_FILES:
        return set(), len(sources)
    commit = driller.get_commit(fix.sha)
    blamed: set[str] = set()
    for modification in sources:
        if not modification.diff_parsed["deleted"]:
            continue
        found = driller.get_commits_last_modified_lines(commit, modification, ignore_file)
        for shas in found.values():
            blamed |= shas
    return blamed, len(sources)


@dataclass
class RepoLabels:
    corpus: Corpus
    labelled: list[FirstParentChange]
    fixes_found: int
    fixes_too_large: int
    fixes_labelling: int
    reformats: int
    seconds: float


def label_repo(corpus: Corpus, clone: Path) -> RepoLabels:
    from pydriller import Git

    started = time.monotonic()
    changes = first_parent_changes(clone, corpus.pin)
    end = changes[-1].date
    eligible = [c for c in changes if c.date <= end - timedelta(days=FOLLOW_UP_DAYS)]
    labelled = eligible[-WINDOW:]
    since = labelled[0].date
    owner: dict[str, FirstParentChange] = {}
    for change in labelled:
        for sha in members(clone, change):
            owner[sha] = change
        change.formatting_only = formatting_only(clone, change.base, change.sha, change.message)
    reformats = reformat_commits(clone, corpus.pin, since)
    reformats += [c.sha for c in labelled if c.formatting_only]
    fixes = [c for c in changes if c.date >= since and c.is_fix()]
    driller = Git(str(clone))
    # A bare clone without `core.bare` in its config reads to GitPython as a work tree's
    # parent folder; naming the git directory makes every git call it runs find it.
    driller.repo.git.update_environment(GIT_DIR=str(clone))
    too_large = labelling = 0
    with tempfile.NamedTemporaryFile("w", suffix=".revs") as ignore:
        ignore.write("".join(f"{sha}\n" for sha in sorted(set(reformats))))
        ignore.flush()
        for fix in fixes:
            blamed, files = inducing_commits(driller, clone, fix, ignore.name)
            too_large += files > MAX_FIX_FILES
            inducing = {owner[sha].sha: owner[sha] for sha in blamed if sha in owner}
            labelling += bool(inducing)
            for change in inducing.values():
                if change.sha != fix.sha and not change.formatting_only:
                    change.fixes.append(fix.sha)
    driller.clear()
    return RepoLabels(
        corpus,
        labelled,
        len(fixes),
        too_large,
        labelling,
        len(set(reformats)),
        time.monotonic() - started,
    )


def write_labels(results: list[RepoLabels], kept: list[dict[str, str]]) -> None:
    rows = list(kept)
    for result in results:
        for change in result.labelled:
            rows.append(
                {
                    "repo": result.corpus.name,
                    "sha": change.sha,
                    "date": change.date.astimezone(UTC).strftime("%Y-%m-%d"),
                    "formatting_only": str(int(change.formatting_only)),
                    "bug_inducing": str(int(bool(change.fixes))),
                    "fixes": " ".join(sha[:12] for sha in change.fixes),
                }
            )
    order = {corpus.name: index for index, corpus in enumerate(CORPORA)}
    rows.sort(key=lambda row: (order.get(row["repo"], len(order)), row["date"], row["sha"]))
    with LABELS.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, LABEL_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def read_labels() -> list[dict[str, str]]:
    if not LABELS.exists():
        return []
    with LABELS.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--repo", action="append", help="only these repositories (OWNER/NAME)")
    args = parser.parse_args(argv)
    wanted = [c for c in CORPORA if not args.repo or c.name in args.repo]
    results: list[RepoLabels] = []
    relabelled: set[str] = set()
    for corpus in wanted:
        clone = corpus.clone(args.mirrors)
        if not clone.exists():
            print(f"skipped {corpus.name}: no clone at {clone} (its labels are kept as they are)")
            continue
        result = label_repo(corpus, clone)
        results.append(result)
        relabelled.add(corpus.name)
        positives = sum(bool(c.fixes) for c in result.labelled)
        reformatted = sum(c.formatting_only for c in result.labelled)
        print(
            f"{corpus.name}: {len(result.labelled)} changes "
            f"{result.labelled[0].date:%Y-%m-%d}..{result.labelled[-1].date:%Y-%m-%d}, "
            f"{reformatted} formatting-only; {result.fixes_found} fixes from then on "
            f"({result.fixes_too_large} over {MAX_FIX_FILES} source files), "
            f"{result.fixes_labelling} labelling one; {positives} bug-inducing "
            f"({100 * positives / max(1, len(result.labelled)):.1f}%); "
            f"{result.reformats} reformats skipped by blame; {result.seconds:.0f} s",
            flush=True,
        )
    kept = [row for row in read_labels() if row["repo"] not in relabelled]
    write_labels(results, kept)
    total = Counter(row["bug_inducing"] for row in read_labels())
    print(f"{LABELS.relative_to(HERE.parent.parent)}: {total['1']} bug-inducing of {total.total()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
