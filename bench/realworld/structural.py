"""Precision of the structural rules (bot/data/structural.yml) on real history.

The structural rules look for failure modes the six repositories of findings.py rarely hold
(payments, ORMs, templates, servers), so this harness reads six more besides them, and runs
only what decides a structural finding, as `ai-review-bot analyze` does it: the snapshot of
`first parent..commit` from the git adapter, the engine's per-file jobs (production or not,
generated and vendored files left out, head and base texts within the analysis budget), the
structural scanner, and the pipeline's drop of findings on code the change only moved
(bot/engine/carried.py). `--check N` compares that with the full `analyze` on N changes.

Some failure modes are rare in any history (a Stripe charge, money in a float), so `--tree`
reads every production file of each repository at its pinned commit as if it were written
anew: how often a rule is right on real code, apart from how often changes write it.

    .venv/bin/python bench/realworld/structural.py                 # findings per rule, precision
    .venv/bin/python bench/realworld/structural.py --pick 15       # add findings to judge
    .venv/bin/python bench/realworld/structural.py --show 3 4      # judged rows in context
    .venv/bin/python bench/realworld/structural.py --check 40      # same findings as analyze?
    .venv/bin/python bench/realworld/structural.py --tree          # every file at the pins

Judged findings: bench/realworld/structural_judged.csv (sample `change` or `tree`, repository,
SHA, path, line, rule, verdict true/false/debatable, a one-line reason). Clones as findings.py
reads them
(`--mirrors DIR`, default /work/.mirror, OWNER+NAME/repo); a missing clone is skipped and said.
Results are cached per change and per version of the engine in bench/.work/structural/.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import sys
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from findings import CORPORA as FINDINGS_CORPORA  # noqa: E402  (beside this file)
from findings import ROOT, Corpus, _added_lines, _git, _table  # noqa: E402

WORK = ROOT / "bench" / ".work" / "structural"
JUDGED = HERE / "structural_judged.csv"
FIELDS = ("sample", "repo", "sha", "path", "line", "rule", "verdict", "reason")

# Repositories where the structural rules' failure modes live: Django and payments (saleor),
# Django without payments (healthchecks), Next.js with Prisma and Stripe (documenso), a Go
# service with a database (supabase/auth), a Node server with a browser client (etherpad-lite),
# Java billing (killbill), FastAPI with SQLAlchemy and Stripe (polar), Next.js with Prisma and
# Stripe payouts (dub).
CORPORA = (
    *FINDINGS_CORPORA,
    Corpus("saleor/saleor", "python", "723cd4eba87dfc72822ade45dc08a3caa548428d"),
    Corpus("healthchecks/healthchecks", "python", "29b5ec251059034b79e0120e2ff0c3e35d7bd9f8"),
    Corpus("documenso/documenso", "typescript", "75330166cc00b29c14399bc2e391e4b4d8080c00"),
    Corpus("supabase/auth", "go", "bc32168e13fdc928c98b449fc76bc3fdb9a293c5"),
    Corpus("ether/etherpad-lite", "javascript", "b827f5b3d93bc79fc9014c7d9f8b900956b8af65"),
    Corpus("killbill/killbill", "java", "cb60779c171391be558cd7aebb1eafea60ad2b82"),
    Corpus("polarsource/polar", "python", "c6c3645e639ee8eeaa05aa0835cf8e39e330382f"),
    Corpus("dubinc/dub", "typescript", "1de955f782a72e1eff7b201ae54a909d5ceb5722"),
)


def engine_version() -> str:
    """A digest of what decides a structural finding: the engine's code and data."""
    digest = hashlib.sha256()
    for folder in ("bot/engine", "bot/data", "bot/config"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".py", ".yml") and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def changes(clone: Path, pin: str, count: int, skip: int) -> list[tuple[str, str]]:
    """(base, head) of `count` first-parent changes up to `pin`, after the newest `skip`."""
    log = _git(clone, "log", "--first-parent", "--format=%H %P", pin)
    rows = []
    for line in log.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            rows.append((parts[1], parts[0]))
    return rows[skip : skip + count]


# Line rules of patterns.yml that belong to the structural rules' failure modes (templates have
# no grammar in ast-grep, so their XSS sinks are line rules).
LINE_RULES = frozenset({"xss-sink"})


def _line_rules() -> Any:
    from bot.engine.builtins import load_builtins

    return tuple(rule for rule in load_builtins().pattern_rules if rule.id in LINE_RULES)


def _scan(job: Any, disabled: frozenset[str]) -> list[Any]:
    """The structural findings and those of LINE_RULES on one file's added lines."""
    from bot.engine.patterns.rules import scan_lines
    from bot.engine.patterns.structural import scan_structure

    found = list(scan_structure(job, disabled).findings)
    lines = [(number, job.added_text[number]) for number in sorted(job.added_text)]
    found += scan_lines(
        job.path, job.language, lines, _line_rules(), disabled, production=job.production
    )
    return found


def _ruleset() -> Any:
    from bot.config.load import load_repo_config
    from bot.engine.builtins import load_builtins
    from bot.engine.resolve import build_ruleset

    return build_ruleset(load_repo_config(None, "built-ins"), load_builtins(), [])


def structural_findings(clone: str, base: str, head: str) -> list[dict[str, Any]]:
    """The structural findings `analyze` reports for base..head (before the signal's cap)."""
    from bot.engine.carried import ChangeText
    from bot.engine.files import needs_text, plan_jobs
    from bot.local.git import GitRepo

    ruleset = _ruleset()
    snapshot = GitRepo(clone).snapshot(
        base, head, needs_text=lambda changed: needs_text(changed, ruleset)
    )
    plan = plan_jobs(snapshot, ruleset)
    left_out = {s.path for s in plan.skipped}
    files = tuple(f for f in snapshot.files if f.path not in left_out)
    text = ChangeText.of(files, ruleset.languages.id_of, ruleset.is_production)
    disabled = frozenset(rule.casefold() for rule in ruleset.disabled_patterns)
    found = []
    for job in plan.jobs:
        for finding in _scan(job, disabled):
            if finding.fingerprint is not None and text.carried(finding.fingerprint, job.path):
                continue
            found.append(
                {
                    "path": finding.path,
                    "line": finding.line,
                    "rule": finding.rule,
                    "severity": finding.severity.value if finding.severity else "",
                    "counted": finding.counted,
                    "message": finding.message,
                }
            )
    return found


def tree_findings(clone: str, pin: str) -> list[dict[str, Any]]:
    """Structural findings on every production file at `pin`, each taken as newly written."""
    from types import MappingProxyType

    from bot.config import globs
    from bot.engine.files import FileJob, whole_file_skip_reason
    from bot.engine.patterns.structural import GRAMMARS
    from bot.local.git import GitRepo

    ruleset = _ruleset()
    listing = _git(Path(clone), "ls-tree", "-r", "-z", "--name-only", pin)
    templates = tuple(glob for rule in _line_rules() for glob in rule.paths)
    paths = []
    for path in listing.split("\0"):
        language = ruleset.languages.of(path) if path else None
        template = bool(path) and globs.match_any(path, templates)
        if not template and (language is None or language.id not in GRAMMARS):
            continue
        if not ruleset.is_production(path) or globs.match_any(path, ruleset.skip_globs):
            continue
        paths.append((path, language.id if language else None))
    texts = GitRepo(clone).read_texts(pin, [path for path, _ in paths])
    found = []
    for path, language in paths:
        text = texts.get(path)
        if text is None or whole_file_skip_reason(text, ruleset) is not None:
            continue
        lines = text.split("\n")
        job = FileJob(
            path=path,
            language=language,
            meter=None,
            base_text=None,
            head_text=text,
            added_lines=frozenset(range(1, len(lines) + 1)),
            added_text=MappingProxyType(dict(enumerate(lines, start=1))),
        )
        for finding in _scan(job, frozenset()):
            found.append({"path": path, "line": finding.line, "rule": finding.rule})
    return found


def collect_trees(mirrors: Path) -> list[dict[str, Any]]:
    version = engine_version()
    results = []
    for corpus in CORPORA:
        clone = corpus.clone(mirrors)
        if not clone.exists():
            print(f"skipped {corpus.name}: no clone at {clone}")
            continue
        cache = WORK / version / "trees" / f"{corpus.name.replace('/', '+')}.json"
        if cache.exists():
            results.append(json.loads(cache.read_text()))
            continue
        result = {
            "repo": corpus.name,
            "base": "",
            "sha": corpus.pin,
            "findings": tree_findings(str(clone), corpus.pin),
        }
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(result))
        results.append(result)
    print(f"engine {version}: every production file of {len(results)} repositories")
    return results


def _analyze(job: tuple[str, str, str, str, str]) -> dict[str, Any]:
    os.nice(5)
    repo_name, clone, base, head, cache = job
    cached = Path(cache)
    if cached.exists():
        loaded: dict[str, Any] = json.loads(cached.read_text())
        return loaded
    from bot.local.git import GitError

    try:
        out: dict[str, Any] = {
            "repo": repo_name,
            "base": base,
            "sha": head,
            "findings": structural_findings(clone, base, head),
        }
    except GitError as exc:
        out = {"repo": repo_name, "base": base, "sha": head, "error": str(exc)}
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(out))
    return out


def collect(mirrors: Path, count: int, skip: int, jobs: int) -> list[dict[str, Any]]:
    version = engine_version()
    work = []
    for corpus in CORPORA:
        clone = corpus.clone(mirrors)
        if not clone.exists():
            print(f"skipped {corpus.name}: no clone at {clone}")
            continue
        for base, head in changes(clone, corpus.pin, count, skip):
            cache = WORK / version / corpus.name.replace("/", "+") / f"{head}.json"
            work.append((corpus.name, str(clone), base, head, str(cache)))
    print(f"engine {version}: {len(work)} changes")
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


def _sample(tree: bool) -> str:
    return "tree" if tree else "change"


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
    """Findings per rule and repository, then precision of the judged ones still reported."""
    found = flat(results)
    errors = [r for r in results if "error" in r]
    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    for finding in found:
        per_rule[finding["rule"]][finding["repo"].split("/")[1]] += 1
    rows = [
        (rule, str(sum(repos.values())), ", ".join(f"{r} {n}" for r, n in repos.most_common()))
        for rule, repos in sorted(per_rule.items())
    ]
    analysed = len(results) - len(errors)
    print(f"\n{analysed} changes analysed; findings per rule:")
    print(_table(rows, ("rule", "findings", "by repository")))
    for result in errors:
        print(f"not analysed: {result['repo']} {result['sha'][:10]}: {result['error']}")
    now = {_key(finding) for finding in found}
    verdicts: dict[str, Counter[str]] = defaultdict(Counter)
    gone: Counter[str] = Counter()
    for row in read_judged():
        if not row["verdict"] or row["sample"] != sample:
            continue
        if _key(row) in now:
            verdicts[row["rule"]][row["verdict"]] += 1
        else:
            gone[row["rule"]] += 1
    rows = []
    for rule in sorted(set(verdicts) | set(gone)):
        counts = verdicts[rule]
        judged = counts["true"] + counts["false"] + counts["debatable"]
        precision = f"{counts['true'] / judged:.2f}" if judged else "-"
        rows.append(
            (
                rule,
                f"{counts['true']}/{counts['false']}/{counts['debatable']}",
                str(judged),
                precision,
                str(gone[rule]),
            )
        )
    print(f"\nprecision of the judged findings still reported ({JUDGED.name}, {sample}):")
    print(_table(rows, ("rule", "t/f/d", "n", "precision", "no longer reported")))


def summary(changes_run: list[dict[str, Any]], trees_run: list[dict[str, Any]]) -> None:
    """Precision per rule over every sample: held-out changes and trees as the rules report them
    now, and the `index` rows (public code found by search, judged once: not re-run here)."""
    reported = {
        "change": {_key(finding) for finding in flat(changes_run)},
        "tree": {_key(finding) for finding in flat(trees_run)},
    }
    counts: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for row in read_judged():
        sample = row["sample"]
        if not row["verdict"] or (sample in reported and _key(row) not in reported[sample]):
            continue
        counts[row["rule"]][sample][row["verdict"]] += 1
        counts[row["rule"]]["all"][row["verdict"]] += 1
    rows = []
    for rule in sorted(counts):
        cells = []
        for sample in ("change", "tree", "index", "all"):
            c = counts[rule][sample]
            n = c["true"] + c["false"] + c["debatable"]
            share = f" {c['true'] / n:.2f}" if n else ""
            cells.append(f"{c['true']}/{c['false']}/{c['debatable']}{share}" if n else "-")
        rows.append((rule, *cells))
    print("\nprecision, t/f/d and true share, of the judged findings the rules report now:")
    print(_table(rows, ("rule", "changes (held out)", "trees", "index", "all")))


def pick(results: list[dict[str, Any]], per_rule: int, sample: str, seed: int = 18) -> None:
    """Add up to `per_rule` unjudged findings of each rule, at random, at most 2 per change
    (per file, in the tree sample)."""
    rows = read_judged()
    have = {_key(row) for row in rows}
    reported = {_key(finding) for finding in flat(results)}
    # Rows the rules no longer report do not count toward a rule's share.
    judged = Counter(
        row["rule"] for row in rows if row["sample"] == sample and _key(row) in reported
    )
    where = "path" if sample == "tree" else "sha"
    per_change = Counter((row["rule"], row[where]) for row in rows if row["sample"] == sample)
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
            if _key(finding) in have or per_change[(rule, finding[where])] >= 2:
                continue
            row = {field: str(finding.get(field, "")) for field in FIELDS}
            rows.append({**row, "sample": sample})
            have.add(_key(finding))
            judged[rule] += 1
            per_change[(rule, finding[where])] += 1
            added += 1
    write_judged(rows)
    print(f"{added} findings added to {JUDGED.relative_to(ROOT)} to judge")


def show(mirrors: Path, results: list[dict[str, Any]], index: int, context: int) -> None:
    """Judged row `index` (from 0) in context, the change's added lines marked `+`."""
    show_row(mirrors, results, read_judged()[index], f"#{index}", context)


def show_row(
    mirrors: Path, results: list[dict[str, Any]], row: dict[str, Any], label: str, context: int
) -> None:
    corpus = next(c for c in CORPORA if c.name == row["repo"])
    clone = corpus.clone(mirrors)
    base = next((r["base"] for r in results if r["sha"] == row["sha"]), f"{row['sha']}^")
    finding = next((f for f in flat(results) if _key(f) == _key(row)), None)
    print(f"{label} {row['repo']} {row['sha'][:10]} {row['path']}:{row['line']} {row['rule']}")
    if finding is None:
        print("  (no longer reported)")
    line = int(row["line"])
    added = _added_lines(clone, base, row["sha"], row["path"]) if base else set()
    text = _git(clone, "show", f"{row['sha']}:{row['path']}").split("\n")
    for number in range(max(1, line - context), min(len(text), line + context) + 1):
        mark = "+" if number in added else " "
        arrow = ">" if number == line else " "
        print(f"  {arrow}{number:5d}{mark} {text[number - 1][:160]}")


def check(mirrors: Path, results: list[dict[str, Any]], count: int) -> int:
    """Compare with the full `analyze` JSON on the first `count` changes that have findings."""
    from findings import AS_IF_AI

    from bot.engine.patterns.structural import builtin_rules
    from bot.engine.signals import MAX_LOCATIONS
    from bot.local.analysis import LocalAnalysis

    rules = {rule.id for rule in builtin_rules()}
    differ = 0
    with_findings = [r for r in results if r.get("findings")][:count]
    for result in with_findings:
        corpus = next(c for c in CORPORA if c.name == result["repo"])
        clone = str(corpus.clone(mirrors))
        local = LocalAnalysis.open(clone, base=result["base"], head=result["sha"])
        analysis = local.run(config_text=AS_IF_AI.encode(), config_source="as-if-AI").analysis
        patterns = next(s for s in analysis.risk.signals if s.id == "patterns")
        full = {(loc.path, loc.line, loc.rule) for loc in patterns.locations if loc.rule in rules}
        mine = {(f["path"], f["line"], f["rule"]) for f in result["findings"]}
        if full != mine and len(patterns.locations) < MAX_LOCATIONS:
            differ += 1
            where = f"{result['repo']} {result['sha'][:10]}"
            print(f"{where}: analyze {sorted(full)}, here {sorted(mine)}")
    print(f"{len(with_findings)} changes compared, {differ} differ")
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--changes", type=int, default=300, help="changes per repository")
    parser.add_argument("--skip", type=int, default=0, help="newest changes to pass over")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--pick", type=int, metavar="N", help="findings per rule to judge")
    parser.add_argument("--show", type=int, metavar="ROW", nargs="+")
    parser.add_argument("--context", type=int, default=6)
    parser.add_argument("--check", type=int, metavar="N")
    parser.add_argument("--list", metavar="RULE", help="every finding of a rule, in context")
    parser.add_argument("--tree", action="store_true", help="every file at the pins, not changes")
    parser.add_argument(
        "--summary",
        action="store_true",
        help="precision per rule over every sample (changes "
        "from --skip/--changes, trees, index rows)",
    )
    args = parser.parse_args(argv)
    if args.summary:
        summary(
            collect(args.mirrors, args.changes, args.skip, args.jobs), collect_trees(args.mirrors)
        )
        return 0
    if args.tree:
        results = collect_trees(args.mirrors)
    else:
        results = collect(args.mirrors, args.changes, args.skip, args.jobs)
    sample = _sample(args.tree)
    if args.show is not None:
        for index in args.show:
            show(args.mirrors, results, index, args.context)
        return 0
    if args.pick is not None:
        pick(results, args.pick, sample)
        return 0
    if args.list is not None:
        for number, finding in enumerate(f for f in flat(results) if f["rule"] == args.list):
            show_row(args.mirrors, results, finding, f"[{number}]", args.context)
        return 0
    if args.check is not None:
        return check(args.mirrors, results, args.check)
    report(results, sample)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
