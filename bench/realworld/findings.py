"""Precision of findings on real history: collect, sample for judging, and score.

Runs the analysis `ai-review-bot analyze --format json` runs (bot.local.LocalAnalysis, the
same JSON) over first-parent changes of public repositories read from local clones, as if
every change were AI-assisted (a config whose marker matches every commit message), and
prints:

- the level distribution, over all changes and over the changes that touch no source file
  (a source file: a language the engine measures, Python, JS/TS, Go..., neither a test nor
  generated or vendored);
- the findings per rule (pattern rules by id and source, complexity, dependencies,
  critical paths, missing tests);
- precision per rule from the judged sample (bench/realworld/findings_judged.csv): as judged,
  and among the judged findings the current code still reports (`after`), with how many it
  now reports at a lower severity or not at all.

A change is `first parent..commit` for each first-parent commit of the default branch up to
a pinned SHA: a merge commit's range is its pull request's diff, a squashed PR its commit.
Sample `a` is the last SAMPLE_SIZE changes before the pin, sample `b` (held out: nothing was
tuned on it) the SAMPLE_SIZE before those. A repository whose clone is not found is skipped,
and the output says so.

    .venv/bin/python bench/realworld/findings.py                  # both samples, precision
    .venv/bin/python bench/realworld/findings.py --sample b       # the held-out sample alone
    .venv/bin/python bench/realworld/findings.py --pick 12        # findings to judge, per rule
    .venv/bin/python bench/realworld/findings.py --show ID        # one finding in context

Clones: `--mirrors DIR` (default /work/.mirror) holds OWNER+NAME/repo, a bare clone, as the
`fetch` tool leaves them; any git clone works. Results are cached per change and per version
of the engine in bench/.work/findings/.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

WORK = ROOT / "bench" / ".work" / "findings"
JUDGED = Path(__file__).resolve().parent / "findings_judged.csv"
SAMPLE_SIZE = 300
LEVELS = ("low", "medium", "high", "critical")
# Every commit message matches, so every change is AI-assisted (share 1.0) as the target asks.
AS_IF_AI = """\
detect:
  markers:
    - {pattern: "(?s).", where: [message], tool: assumed}
"""
JUDGED_FIELDS = (
    "repo",
    "sha",
    "path",
    "line",
    "rule",
    "source",
    "severity",
    "verdict",
    "reason",
    "round",
)


@dataclass(frozen=True)
class Corpus:
    """One repository: where to find its clone, and the commit its history is read up to."""

    name: str  # OWNER/NAME
    language: str
    pin: str  # the newest first-parent commit read

    def clone(self, mirrors: Path) -> Path:
        return mirrors / self.name.replace("/", "+") / "repo"


CORPORA = (
    Corpus("psf/requests", "python", "1f6589ec3a1ee910f9a65cc3ceac60b26677bc0e"),
    Corpus("pallets/flask", "python", "2ac89889f4cc330eabd50f295dcef02828522c69"),
    Corpus("encode/httpx", "python", "ae1b9f66238f75ced3ced5e4485408435de10768"),
    Corpus(
        "anthropics/claude-code-action", "typescript", "24dcd50c0568f0fc9e9211213a4fd2d9eb15c4e0"
    ),
    Corpus("expressjs/express", "javascript", "a3714473feb3d2908add734d340e7755fd85e0a3"),
    Corpus("go-chi/chi", "go", "735ae2b87f8c733d616e809ae86e0985c1bc3350"),
)


def _git(clone: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "--git-dir", str(clone), *args], capture_output=True, check=True, text=True
    )
    return done.stdout


def changes_of(corpus: Corpus, clone: Path, sample: str) -> list[tuple[str, str, str]]:
    """(base, head, subject) of the sample's changes, newest first."""
    log = _git(clone, "log", "--first-parent", "--format=%H %P%x00%s", corpus.pin)
    rows = []
    for line in log.splitlines():
        shas, _, subject = line.partition("\x00")
        parts = shas.split()
        if len(parts) >= 2:
            rows.append((parts[1], parts[0], subject))
    start = 0 if sample == "a" else SAMPLE_SIZE
    return rows[start : start + SAMPLE_SIZE]


def engine_version() -> str:
    """A digest of everything that decides a result: the bot's code, data and checklists."""
    digest = hashlib.sha256()
    for folder in ("bot", "checklists"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".py", ".yml") and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# --- one change --------------------------------------------------------------------------------


def _analyze(job: tuple[str, str, str, str, str]) -> dict[str, Any]:
    """The JSON analysis of base..head, with the facts the report needs beside it."""
    os.nice(5)
    repo_name, clone, base, head, cache = job
    cached = Path(cache)
    if cached.exists():
        loaded: dict[str, Any] = json.loads(cached.read_text())
        return loaded
    from bot.local.analysis import LocalAnalysis
    from bot.local.git import GitError

    try:
        local = LocalAnalysis.open(clone, base=base, head=head)
        result = local.run(config_text=AS_IF_AI.encode(), config_source="as-if-AI")
    except GitError as exc:
        out: dict[str, Any] = {"repo": repo_name, "base": base, "sha": head, "error": str(exc)}
    else:
        files = local.repo.changed_files(local.base, local.head)
        out = {
            "repo": repo_name,
            "base": base,
            "sha": head,
            "files": [f.path for f in files],
            "analysis": result.analysis.to_json(),
        }
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(out))
    return out


def collect(mirrors: Path, sample: str, jobs: int) -> list[dict[str, Any]]:
    version = engine_version()
    work: list[tuple[str, str, str, str, str]] = []
    subjects: dict[str, str] = {}
    for corpus in CORPORA:
        clone = corpus.clone(mirrors)
        if not clone.exists():
            print(f"skipped {corpus.name}: no clone at {clone}")
            continue
        for base, head, subject in changes_of(corpus, clone, sample):
            cache = WORK / version / corpus.name.replace("/", "+") / f"{head}.json"
            work.append((corpus.name, str(clone), base, head, str(cache)))
            subjects[head] = subject
    print(f"engine {version}: {len(work)} changes in sample {sample}")
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(_analyze, work, chunksize=4))
    for result in results:
        result["subject"] = subjects[result["sha"]]
    return results


# --- what a change is made of -----------------------------------------------------------------


def _ruleset() -> Any:
    from bot.config.load import load_repo_config
    from bot.engine.builtins import load_builtins
    from bot.engine.resolve import build_ruleset

    return build_ruleset(load_repo_config(None, "built-ins"), load_builtins(), [])


def is_source(path: str, ruleset: Any) -> bool:
    """Code the engine measures, outside tests and generated or vendored files."""
    from bot.config import globs

    language = ruleset.languages.of(path)
    if language is None or language.meter is None:
        return False
    if ruleset.languages.is_test(path, ruleset.test_globs):
        return False
    return not globs.match_any(path, ruleset.skip_globs)


def findings_of(result: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every location of the signals that report findings, flattened."""
    for signal in result["analysis"]["risk"]["signals"]:
        if signal["id"] in ("ai_share", "size"):
            continue
        for location in signal["locations"]:
            source = location.get("source") or ""
            if signal["id"] == "critical_paths":
                source = location.get("message", "").split(" (matches")[0]
            yield {
                "repo": result["repo"],
                "sha": result["sha"],
                "signal": signal["id"],
                "path": location["path"],
                "line": location.get("line"),
                "rule": location.get("rule") or signal["id"],
                "source": source,
                "severity": location.get("severity") or "",
                "counted": location.get("counted", True),
                "message": location.get("message", ""),
            }


def family(finding: dict[str, Any]) -> str:
    """The rule a finding is counted under: our id, with the outside test or area beside it."""
    rule: str = finding["rule"]
    source: str = finding["source"]
    if rule == "critical-path":
        return f"critical-path ({source})"
    if source.startswith(("detect-secrets ", "bandit ")):
        test = source.split(" ", 1)[1]
        return rule if test == rule else f"{rule} ({test})"
    return rule


# --- reports ----------------------------------------------------------------------------------


def _table(rows: Iterable[tuple[str, ...]], header: tuple[str, ...]) -> str:
    rows = [header, *rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    return "\n".join(lines)


def report_levels(results: list[dict[str, Any]]) -> None:
    ruleset = _ruleset()
    analysed = [r for r in results if "analysis" in r]
    errors = [r for r in results if "error" in r]
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for result in analysed:
        no_source = not any(is_source(p, ruleset) for p in result["files"])
        groups[result["repo"]].append(result)
        groups["all"].append(result)
        if no_source:
            groups["all, no source file"].append(result)
    rows = []
    for name, members in groups.items():
        counts = Counter(r["analysis"]["risk"]["level"] for r in members)
        senior = sum(counts[level] for level in LEVELS[1:])
        rows.append(
            (
                name,
                str(len(members)),
                *(str(counts[level]) for level in LEVELS),
                f"{100 * senior / len(members):.1f}%",
            )
        )
    print(_table(rows, ("changes", "n", *LEVELS, "medium+")))
    for result in errors:
        print(f"not analysed: {result['repo']} {result['sha'][:10]}: {result['error']}")


def report_rules(results: list[dict[str, Any]]) -> None:
    counts: Counter[str] = Counter()
    counted: Counter[str] = Counter()
    changes: dict[str, set[str]] = defaultdict(set)
    for result in results:
        if "analysis" not in result:
            continue
        for finding in findings_of(result):
            counts[family(finding)] += 1
            counted[family(finding)] += finding["counted"]
            changes[family(finding)].add(result["sha"])
    rows = [
        (rule, str(n), str(counted[rule]), str(len(changes[rule])))
        for rule, n in counts.most_common()
    ]
    print(_table(rows, ("rule", "findings", "counted", "changes")))


def _key(row: dict[str, Any]) -> tuple[str, str, str, str, str, str]:
    return (
        row["repo"],
        row["sha"],
        row["path"],
        str(row["line"] or ""),
        row["rule"],
        row["source"],
    )


def read_judged() -> list[dict[str, str]]:
    if not JUDGED.exists():
        return []
    with JUDGED.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def report_precision(results: list[dict[str, Any]]) -> None:
    """Precision per rule of the judged findings: as judged, and of those the current code
    still counts toward the level. `shown`: still reported, but not counted; `gone`: no longer
    reported. Only judged findings of the changes in `results` are compared."""
    judged = [row for row in read_judged() if row["verdict"]]
    if not judged:
        print("no judged findings in", JUDGED)
        return
    now: dict[tuple[str, ...], dict[str, Any]] = {}
    seen_changes = set()
    for result in results:
        if "analysis" not in result:
            continue
        seen_changes.add(result["sha"])
        for finding in findings_of(result):
            now[_key(finding)] = finding
    judged = [row for row in judged if row["sha"] in seen_changes]
    before: dict[str, Counter[str]] = defaultdict(Counter)
    after: dict[str, Counter[str]] = defaultdict(Counter)
    shown: Counter[str] = Counter()
    gone: Counter[str] = Counter()
    for row in judged:
        rule = family(row)
        if row["round"] == "before":
            before[rule][row["verdict"]] += 1
        current = now.get(_key(row))
        if current is None:
            gone[rule] += 1
        elif not current["counted"]:
            shown[rule] += 1
        else:
            after[rule][row["verdict"]] += 1
    rows = []
    for rule in [*sorted(set(before) | set(after) | set(shown) | set(gone)), "all judged"]:
        if rule == "all judged":
            b, a = sum(before.values(), Counter()), sum(after.values(), Counter())
            s, g = sum(shown.values()), sum(gone.values())
        else:
            b, a, s, g = before[rule], after[rule], shown[rule], gone[rule]
        rows.append(
            (
                rule,
                _counts(b),
                _precision(b),
                _counts(a),
                _precision(a),
                str(s),
                str(g),
            )
        )
    header = ("rule", "before t/f/d", "prec.", "counted now t/f/d", "prec.", "shown", "gone")
    print(_table(rows, header))
    print(
        "before: the findings judged before the fixes (round `before`); counted now: every judged"
        " finding (both rounds) the engine now counts toward the level; shown: still reported but"
        " not counted; gone: no longer reported.\n"
        "precision: true / (true + false + debatable); t/f/d: true/false/debatable"
    )


def _counts(counts: Counter[str]) -> str:
    return f"{counts['true']}/{counts['false']}/{counts['debatable']}"


def _precision(counts: Counter[str]) -> str:
    total = counts["true"] + counts["false"] + counts["debatable"]
    return f"{counts['true'] / total:.2f}" if total else "-"


# --- judging ----------------------------------------------------------------------------------


def pick(results: list[dict[str, Any]], per_rule: int, round_name: str, seed: int = 16) -> None:
    """Add up to `per_rule` unjudged findings of each rule to the judged file, drawn at random
    (at most 2 from one change, so one change cannot fill a rule), with empty verdicts.

    Round `before` draws from every finding; a later round draws only findings the engine
    counts toward the level, to measure the precision of what now gates."""
    rows = read_judged()
    have = {_key(row) for row in rows}
    by_rule: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        if "analysis" in result:
            for finding in findings_of(result):
                by_rule[family(finding)].append(finding)
    shas = {r["sha"] for r in results}
    judged_per_rule = Counter(
        family(row) for row in rows if row["round"] == round_name and row["sha"] in shas
    )
    chance = random.Random(seed)
    added = 0
    for rule in sorted(by_rule):
        pool = by_rule[rule][:]
        chance.shuffle(pool)
        per_change: Counter[str] = Counter(row["sha"] for row in rows if family(row) == rule)
        for finding in pool:
            if judged_per_rule[rule] >= per_rule:
                break
            if _key(finding) in have or per_change[finding["sha"]] >= 2:
                continue
            if round_name != "before" and not finding["counted"]:
                continue
            row = {field: str(finding.get(field) or "") for field in JUDGED_FIELDS}
            rows.append({**row, "round": round_name})
            have.add(_key(finding))
            per_change[finding["sha"]] += 1
            judged_per_rule[rule] += 1
            added += 1
    write_judged(rows)
    print(f"{added} findings added to {JUDGED.relative_to(ROOT)} to judge")


def write_judged(rows: list[dict[str, str]]) -> None:
    with JUDGED.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, JUDGED_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({field: row.get(field, "") for field in JUDGED_FIELDS} for row in rows)


def show(mirrors: Path, results: list[dict[str, Any]], index: int, context: int) -> None:
    """The judged file's row `index` (from 0) in context: its message, and the lines around
    it at the change's head, with the lines the change added marked `+`."""
    row = read_judged()[index]
    by_sha = {r["sha"]: r for r in results}
    corpus = next(c for c in CORPORA if c.name == row["repo"])
    clone = corpus.clone(mirrors)
    result = by_sha.get(row["sha"])
    finding = None
    if result is not None and "analysis" in result:
        finding = next((f for f in findings_of(result) if _key(f) == _key(row)), None)
    base = result["base"] if result else f"{row['sha']}^"
    print(f"#{index} {row['repo']} {row['sha'][:10]} {row['path']}:{row['line']} {family(row)}")
    if result:
        print(f"  change: {result.get('subject', '')} ({len(result.get('files', []))} files)")
    if finding:
        print(f"  {finding['severity']}: {finding['message']}")
    if not row["line"]:
        stat = _git(clone, "diff", "--stat=100", base, row["sha"])
        print("  " + "\n  ".join(stat.splitlines()[-12:]))
        return
    line = int(row["line"])
    added = _added_lines(clone, base, row["sha"], row["path"])
    text = _git(clone, "show", f"{row['sha']}:{row['path']}").split("\n")
    for number in range(max(1, line - context), min(len(text), line + context) + 1):
        mark = "+" if number in added else " "
        arrow = ">" if number == line else " "
        print(f"  {arrow}{number:5d}{mark} {text[number - 1][:160]}")


def _added_lines(clone: Path, base: str, head: str, path: str) -> set[int]:
    from bot.engine.diff import parse_diff, to_changed_file

    patch = _git(clone, "diff", "--no-color", "-U0", base, head, "--", path)
    files = [to_changed_file(section) for section in parse_diff(patch)]
    return {n for f in files if f.path == path for n in f.added_lines}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument(
        "--sample",
        choices=("a", "b", "both"),
        default="both",
        help="a: the sample the fixes were made on; b: held out; both (default): each's levels "
        "and rules, then precision over both",
    )
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--pick", type=int, metavar="N", help="add N findings per rule to judge")
    parser.add_argument("--round", default="after", help="the judging round --pick adds to")
    parser.add_argument("--show", type=int, metavar="ROW", nargs="+", help="judged rows to show")
    parser.add_argument("--context", type=int, default=4)
    args = parser.parse_args(argv)
    if args.sample == "both":
        results = []
        for sample in ("a", "b"):
            found = collect(args.mirrors, sample, args.jobs)
            print(f"\nsample {sample}, levels, every change taken as AI-assisted:")
            report_levels(found)
            print(f"\nsample {sample}, findings per rule:")
            report_rules(found)
            results += found
        print(f"\nprecision per rule over both samples, judged in {JUDGED.relative_to(ROOT)}:")
        report_precision(results)
        return 0
    results = collect(args.mirrors, args.sample, args.jobs)
    if args.show is not None:
        for index in args.show:
            show(args.mirrors, results, index, args.context)
        return 0
    if args.pick is not None:
        pick(results, args.pick, args.round)
        return 0
    print("\nlevels, every change taken as AI-assisted:")
    report_levels(results)
    print("\nfindings per rule:")
    report_rules(results)
    print(f"\nprecision per rule, judged in {JUDGED.relative_to(ROOT)}:")
    report_precision(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
