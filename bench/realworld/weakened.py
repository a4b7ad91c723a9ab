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
import subprocess
import sys
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
    from bot.engine.patterns.weakened import scan_weakened

    ruleset = _ruleset()
    text = ChangeText.of(files, ruleset.languages.id_of, ruleset.is_production)
    change = Change(files=files, skipped=(), text=text)
    disabled = frozenset(rule.casefold() for rule in ruleset.disabled_patterns)
    found = []
    weakened_only = []
    by_path = {f.path: f for f in files}
    for job in jobs:
        scan = scan_weakened(job, disabled)
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
        changed = by_path.get(job.path)
        if changed is not None and scan.hollow and not change.test_lines(changed, scan.hollow):
            weakened_only.append(job.path)
    return {"findings": found, "weakened_only": weakened_only}


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


def flat(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"repo": result["repo"], "sha": result["sha"], **finding}
        for result in results
        for finding in result.get("findings", ())
    ]


def _key(row: dict[str, Any]) -> tuple[str, str, str, str, str]:
    return (row["repo"], row["sha"], row["path"], str(row["line"]), row["rule"])


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


def report(results: list[dict[str, Any]]) -> None:
    """Findings per rule and repository, the judged precision, and the missing_tests effect."""
    found = flat(results)
    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    for finding in found:
        per_rule[finding["rule"]][finding["repo"].split("/")[1]] += 1
    rows = [
        (rule, str(sum(repos.values())), ", ".join(f"{r} {n}" for r, n in repos.most_common()))
        for rule, repos in sorted(per_rule.items())
    ]
    errors = [r for r in results if "error" in r]
    print(f"\n{len(results) - len(errors)} changes touching tests analysed; findings per rule:")
    print(_table(rows, ("rule", "findings", "by repository")))
    for result in errors:
        print(f"not analysed: {result['repo']} {result['sha'][:10]}: {result['error']}")
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
    print(f"\nprecision of the judged findings still reported ({JUDGED.name}):")
    print(_table(rows, ("rule", "t/f/d", "n", "precision")))


def pick(results: list[dict[str, Any]], per_rule: int, seed: int = 18) -> None:
    """Add up to `per_rule` unjudged findings of each rule, at random, at most 2 per change."""
    rows = read_judged()
    have = {_key(row) for row in rows}
    judged = Counter(row["rule"] for row in rows)
    per_change = Counter((row["rule"], row["sha"]) for row in rows)
    by_rule: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in flat(results):
        by_rule[finding["rule"]].append(finding)
    chance = random.Random(seed)
    added = 0
    for rule in sorted(by_rule):
        pool = by_rule[rule]
        chance.shuffle(pool)
        for finding in pool:
            if judged[rule] >= per_rule:
                break
            if _key(finding) in have or per_change[(rule, finding["sha"])] >= 2:
                continue
            rows.append({**{f: str(finding.get(f, "")) for f in FIELDS}, "sample": "change"})
            have.add(_key(finding))
            judged[rule] += 1
            per_change[(rule, finding["sha"])] += 1
            added += 1
    write_judged(rows)
    print(f"{added} findings added to {JUDGED.relative_to(ROOT)} to judge")


def show_row(
    mirrors: Path, results: list[dict[str, Any]], row: dict[str, Any], context: int
) -> None:
    corpus = next(c for c in CORPORA if c.name == row["repo"])
    clone = corpus.clone(mirrors)
    base = next((r["base"] for r in results if r["sha"] == row["sha"]), f"{row['sha']}^")
    print(f"{row['repo']} {row['sha'][:10]} {row['path']}:{row['line']} {row['rule']}")
    line = int(row["line"])
    added = _added_lines(clone, base, row["sha"], row["path"])
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
    args = parser.parse_args(argv)
    results = collect(args.mirrors, args.changes, args.jobs)
    if args.pick is not None:
        pick(results, args.pick)
        return 0
    if args.list is not None:
        judged = {_key(row) for row in read_judged() if row["verdict"]}
        for finding in flat(results):
            if finding["rule"] == args.list and not (args.unjudged and _key(finding) in judged):
                show_row(args.mirrors, results, finding, args.context)
        return 0
    report(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
