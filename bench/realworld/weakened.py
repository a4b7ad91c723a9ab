"""Precision of the weakened-test rules (bot/data/weakened.yml) on real history.

Reads the fourteen repositories of structural.py, first-parent changes up to each pin, and runs
what decides a weakened-test finding as `ai-review-bot analyze` does it: the snapshot of
`first parent..commit` from the git adapter, the engine's per-file jobs (test files, with their
base and head texts), the weakened-test scanner, and the pipeline's drop of findings on code the
change only moved (bot/engine/carried.py). Only changes that touch a test file in a language the
rules read are analysed (the others cannot hold a finding). For each change it also records
whether the `missing_tests` detail now says a test file only weakens tests.

    .venv/bin/python bench/realworld/weakened.py                  # findings per rule, precision
    .venv/bin/python bench/realworld/weakened.py --list test-skipped
    .venv/bin/python bench/realworld/weakened.py --pick 40        # add findings to judge
    .venv/bin/python bench/realworld/weakened.py --tree           # every test file at the pins

Judged findings: bench/realworld/weakened_judged.csv (sample, repository, SHA, path, line, rule,
verdict true/false/doubtful, a one-line reason). A finding is true when a reviewer should ask
about it: the change stops a test from running or from failing with no condition a platform
or an optional dependency states, runs one test alone, adds an assertion that cannot fail, or
leaves a test checking less than it did. Results are cached per change and per version of the
engine in bench/.work/weakened/.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import pickle
import random
import statistics
import subprocess
import sys
import time
import zlib
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from findings import ROOT, _added_lines, _git, _table  # noqa: E402  (beside this file)
from structural import CORPORA, engine_version  # noqa: E402

WORK = ROOT / "bench" / ".work" / "weakened"
JUDGED = HERE / "weakened_judged.csv"
FIELDS = ("sample", "repo", "sha", "path", "line", "rule", "verdict", "reason")
VERDICTS = ("true", "false", "doubtful")


def _ruleset() -> Any:
    from bot.config.load import load_repo_config
    from bot.engine.builtins import load_builtins
    from bot.engine.resolve import build_ruleset

    return build_ruleset(load_repo_config(None, "built-ins"), load_builtins(), [])


def test_changes(clone: Path, pin: str, count: int) -> list[tuple[str, str]]:
    """(base, head) of the changes among the newest `count` first-parent ones up to `pin` that
    touch a test file the rules read."""
    from bot.engine.patterns.weakened import weakened_table

    ruleset = _ruleset()
    read = {language for shape in weakened_table().tests for language in shape.languages}
    log = ""
    while not log:
        try:
            log = _git(
                clone,
                "log",
                "--first-parent",
                "-m",
                "--name-only",
                "-n",
                str(count),
                "--format=%x00%H %P",
                pin,
            )
        except subprocess.CalledProcessError:
            if count < 100:
                raise
            count //= 2  # a partial clone lacks the oldest trees: read fewer changes
    found: list[tuple[str, str]] = []
    for entry in log.split("\0")[1:]:
        header, _, names = entry.partition("\n")
        shas = header.split()
        if len(shas) < 2 or (found and found[-1][1] == shas[0]):
            continue  # -m lists a merge once per parent: the first parent's diff comes first
        paths = [path for path in names.splitlines() if path]
        if any(ruleset.is_test(p) and ruleset.languages.id_of(p) in read for p in paths):
            found.append((shas[1], shas[0]))
    return found


def inputs_version() -> str:
    """A digest of what decides a change's files and test jobs (not the rules)."""
    digest = hashlib.sha256()
    paths = [*(ROOT / "bot" / "local").glob("*.py"), *(ROOT / "bot" / "config").glob("*.py")]
    paths += [ROOT / "bot" / "engine" / name for name in ("files.py", "diff.py", "snapshot.py")]
    paths += [ROOT / "bot" / "data" / name for name in ("languages.yml", "defaults.yml")]
    for path in sorted(paths):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def change_inputs(clone: str, base: str, head: str, cache: Path) -> tuple[Any, Any]:
    """The change's analysed files and its test files' jobs, as `analyze` builds them (cached:
    reading a change from git costs far more than scanning it)."""
    if cache.exists():
        files, jobs = pickle.loads(zlib.decompress(cache.read_bytes()))
        return files, jobs
    from bot.engine.files import needs_text, plan_jobs
    from bot.local.git import GitRepo

    ruleset = _ruleset()
    snapshot = GitRepo(clone).snapshot(
        base,
        head,
        needs_text=lambda changed: ruleset.is_test(changed.path) and needs_text(changed, ruleset),
    )
    plan = plan_jobs(snapshot, ruleset)
    left_out = {s.path for s in plan.skipped}
    files = tuple(f for f in snapshot.files if f.path not in left_out)
    jobs = [job for job in plan.jobs if job.test]
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(zlib.compress(pickle.dumps((files, jobs))))
    return files, jobs


def weakened_findings(files: Any, jobs: Any) -> dict[str, Any]:
    """The weakened-test findings `analyze` reports for a change, and the test files whose
    changes count as no test changed."""
    from bot.engine.carried import ChangeText
    from bot.engine.change import Change
    from bot.engine.patterns.weakened import hollow_rule_ids, scan_weakened

    hollow_rules = hollow_rule_ids()
    ruleset = _ruleset()
    text = ChangeText.of(files, ruleset.languages.id_of, ruleset.is_production)
    change = Change(files=files, skipped=(), text=text)
    disabled = frozenset(rule.casefold() for rule in ruleset.disabled_patterns)
    found = []
    weakened_only = []
    by_path = {f.path: f for f in files}
    seconds = 0.0
    for job in jobs:
        started = time.perf_counter()
        scan = scan_weakened(job, disabled)
        seconds += time.perf_counter() - started
        for finding in scan.findings:
            if finding.fingerprint is not None and text.carried(finding.fingerprint, job.path):
                continue
            found.append(
                {
                    "path": finding.path,
                    "line": finding.line,
                    "rule": finding.rule,
                    "message": finding.message,
                }
            )
        # As the missing_tests signal: only where the change weakened a test (not moved one).
        new_here = any(f["path"] == job.path and f["rule"] in hollow_rules for f in found)
        changed = by_path.get(job.path)
        if changed and new_here and scan.hollow and not change.test_lines(changed, scan.hollow):
            weakened_only.append(job.path)
    return {"findings": found, "weakened_only": weakened_only, "seconds": round(seconds, 5)}


def _analyze(job: tuple[str, str, str, str, str, str]) -> dict[str, Any]:
    os.nice(5)
    repo_name, clone, base, head, cache, inputs = job
    cached = Path(cache)
    if cached.exists():
        loaded: dict[str, Any] = json.loads(cached.read_text())
        return loaded
    from bot.local.git import GitError

    out: dict[str, Any] = {"repo": repo_name, "base": base, "sha": head}
    try:
        out.update(weakened_findings(*change_inputs(clone, base, head, Path(inputs))))
    except GitError as exc:
        out["error"] = str(exc)
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(out))
    return out


def collect(mirrors: Path, count: int, jobs: int) -> list[dict[str, Any]]:
    version, read = engine_version(), inputs_version()
    work = []
    for corpus in CORPORA:
        clone = corpus.clone(mirrors)
        if not clone.exists():
            print(f"skipped {corpus.name}: no clone at {clone}")
            continue
        for base, head in test_changes(clone, corpus.pin, count):
            folder = corpus.name.replace("/", "+")
            cache = WORK / version / folder / f"{head}.json"
            inputs = WORK / "inputs" / read / folder / f"{head}.pickle.z"
            work.append((corpus.name, str(clone), base, head, str(cache), str(inputs)))
    print(f"engine {version}: {len(work)} changes touching tests")
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(_analyze, work, chunksize=4))


def tree_findings(clone: str, pin: str) -> dict[str, Any]:
    """Findings on every test file at `pin`, each read as if the change wrote it whole: how
    the rules tell a weakened test from its look-alikes, apart from how often changes write
    one (no base, so no assertions-removed)."""
    from types import MappingProxyType

    from bot.engine.files import FileJob, whole_file_skip_reason
    from bot.engine.patterns.weakened import scan_weakened, weakened_table
    from bot.local.git import GitRepo

    ruleset = _ruleset()
    read = {language for shape in weakened_table().tests for language in shape.languages}
    listing = _git(Path(clone), "ls-tree", "-r", "-z", "--name-only", pin)
    paths = [
        p
        for p in listing.split("\0")
        if p and ruleset.is_test(p) and ruleset.languages.id_of(p) in read
    ]
    texts = GitRepo(clone).read_texts(pin, paths)
    found = []
    for path in paths:
        text = texts.get(path)
        if text is None or whole_file_skip_reason(text, ruleset) is not None:
            continue
        lines = text.split("\n")
        job = FileJob(
            path=path,
            language=ruleset.languages.id_of(path),
            meter=None,
            base_text=None,
            head_text=text,
            added_lines=frozenset(range(1, len(lines) + 1)),
            added_text=MappingProxyType(dict(enumerate(lines, start=1))),
            production=False,
            test=True,
        )
        for finding in scan_weakened(job, frozenset()).findings:
            found.append({"path": path, "line": finding.line, "rule": finding.rule})
    return {"findings": found}


def collect_trees(mirrors: Path) -> list[dict[str, Any]]:
    version = engine_version()
    results = []
    for corpus in CORPORA:
        clone = corpus.clone(mirrors)
        if not clone.exists():
            print(f"skipped {corpus.name}: no clone at {clone}")
            continue
        cache = WORK / version / "trees" / f"{corpus.name.replace('/', '+')}.json"
        if not cache.exists():
            cache.parent.mkdir(parents=True, exist_ok=True)
            found = tree_findings(str(clone), corpus.pin)
            cache.write_text(
                json.dumps({"repo": corpus.name, "base": "", "sha": corpus.pin, **found})
            )
        results.append(json.loads(cache.read_text()))
    print(f"engine {version}: every test file of {len(results)} repositories at their pins")
    return results


def flat(results: list[dict[str, Any]], sample: str) -> list[dict[str, Any]]:
    return [
        {"sample": sample, "repo": result["repo"], "sha": result["sha"], **finding}
        for result in results
        for finding in result.get("findings", ())
    ]


def _key(row: dict[str, Any]) -> tuple[str, str, str, str, str, str]:
    return (row["sample"], row["repo"], row["sha"], row["path"], str(row["line"]), row["rule"])


def read_judged() -> list[dict[str, str]]:
    if not JUDGED.exists():
        return []
    with JUDGED.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_judged(rows: list[dict[str, str]]) -> None:
    with JUDGED.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({field: row.get(field, "") for field in FIELDS} for row in rows)


def report(results: list[dict[str, Any]], sample: str) -> None:
    """Findings per rule and repository, the judged precision, and the missing_tests effect."""
    found = flat(results, sample)
    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    for finding in found:
        per_rule[finding["rule"]][finding["repo"].split("/")[1]] += 1
    rows = [
        (rule, str(sum(repos.values())), ", ".join(f"{r} {n}" for r, n in repos.most_common()))
        for rule, repos in sorted(per_rule.items())
    ]
    errors = [r for r in results if "error" in r]
    what = "repositories' test files" if sample == "tree" else "changes touching tests"
    print(f"\n{len(results) - len(errors)} {what} analysed; findings per rule:")
    print(_table(rows, ("rule", "findings", "by repository")))
    for result in errors:
        print(f"not analysed: {result['repo']} {result['sha'][:10]}: {result['error']}")
    spent = sorted(r["seconds"] for r in results if "seconds" in r)
    if spent:
        p95 = spent[int(len(spent) * 0.95)]
        print(
            f"\nscanning a change's test files: median {statistics.median(spent) * 1000:.1f} ms, "
            f"p95 {p95 * 1000:.1f} ms, max {spent[-1] * 1000:.0f} ms ({len(spent)} changes)"
        )
    only = [(r["repo"], r["sha"], p) for r in results for p in r.get("weakened_only", ())]
    print(f"\n{len(only)} test files whose changes only weaken tests (count as no test):")
    for repo, sha, path in only:
        print(f"  {repo} {sha[:10]} {path}")
    now = {_key(finding) for finding in found}
    verdicts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in read_judged():
        if row["verdict"] in VERDICTS and _key(row) in now:
            verdicts[row["rule"]][row["verdict"]] += 1
    rows = []
    for rule in sorted(verdicts):
        counts = verdicts[rule]
        judged = sum(counts[v] for v in VERDICTS)
        share = f"{counts['true'] / judged:.2f}" if judged else "-"
        cells = "/".join(str(counts[v]) for v in VERDICTS)
        rows.append((rule, cells, str(judged), share))
    print(f"\nprecision of the judged findings still reported ({JUDGED.name}, {sample}):")
    print(_table(rows, ("rule", "t/f/d", "n", "precision")))


def pick(results: list[dict[str, Any]], per_rule: int, sample: str, seed: int = 18) -> None:
    """Add up to `per_rule` unjudged findings of each rule, at random, at most 2 per change
    (per file, in the tree sample)."""
    rows = read_judged()
    have = {_key(row) for row in rows}
    judged = Counter(row["rule"] for row in rows if row["sample"] == sample)
    where = "path" if sample == "tree" else "sha"
    per_change = Counter((row["rule"], row[where]) for row in rows if row["sample"] == sample)
    by_rule: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in flat(results, sample):
        by_rule[finding["rule"]].append(finding)
    chance = random.Random(seed)
    added = 0
    for rule in sorted(by_rule):
        pool = by_rule[rule]
        chance.shuffle(pool)
        for finding in pool:
            if judged[rule] >= per_rule:
                break
            if _key(finding) in have or per_change[(rule, finding[where])] >= 2:
                continue
            rows.append({f: str(finding.get(f, "")) for f in FIELDS})
            have.add(_key(finding))
            judged[rule] += 1
            per_change[(rule, finding[where])] += 1
            added += 1
    write_judged(rows)
    print(f"{added} findings added to {JUDGED.relative_to(ROOT)} to judge")


def show_row(
    mirrors: Path, results: list[dict[str, Any]], row: dict[str, Any], context: int
) -> None:
    corpus = next(c for c in CORPORA if c.name == row["repo"])
    clone = corpus.clone(mirrors)
    base = next((r["base"] for r in results if r["sha"] == row["sha"]), "")
    print(f"{row['repo']} {row['sha'][:10]} {row['path']}:{row['line']} {row['rule']}")
    line = int(row["line"])
    added = _added_lines(clone, base, row["sha"], row["path"]) if base else set()
    text = _git(clone, "show", f"{row['sha']}:{row['path']}").split("\n")
    for number in range(max(1, line - context), min(len(text), line + context) + 1):
        mark = "+" if number in added else " "
        arrow = ">" if number == line else " "
        print(f"  {arrow}{number:5d}{mark} {text[number - 1][:160]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--changes", type=int, default=1500, help="changes per repository")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--pick", type=int, metavar="N", help="findings per rule to judge")
    parser.add_argument("--list", metavar="RULE", help="every finding of a rule, in context")
    parser.add_argument("--unjudged", action="store_true", help="with --list: only unjudged")
    parser.add_argument("--context", type=int, default=8)
    parser.add_argument("--tree", action="store_true", help="every test file at the pins")
    args = parser.parse_args(argv)
    sample = "tree" if args.tree else "change"
    if args.tree:
        results = collect_trees(args.mirrors)
    else:
        results = collect(args.mirrors, args.changes, args.jobs)
    if args.pick is not None:
        pick(results, args.pick, sample)
        return 0
    if args.list is not None:
        judged = {_key(row) for row in read_judged() if row["verdict"]}
        for finding in flat(results, sample):
            if finding["rule"] == args.list and not (args.unjudged and _key(finding) in judged):
                show_row(args.mirrors, results, finding, args.context)
        return 0
    report(results, sample)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
