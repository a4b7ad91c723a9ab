"""Precision of the Kubernetes and foreign-key rules (`k8s-no-probes`, `k8s-no-limits`:
bot/engine/workloads.py; `migration-fk-no-index`: bot/engine/patterns/foreign_keys.py) on real
history and on whole trees.

A change is `first parent..commit` of a first-parent commit that touches a YAML file or an SQL
migration, read as `ai-review-bot analyze` reads it: the git adapter's snapshot (texts fetched
where `needs_text` says), the engine's per-file jobs (production or not, generated and vendored
files left out), the two scanners through `scan_file`, and the pipeline's drop of findings on
code the change only moved (bot/engine/carried.py). `--tree` reads every production YAML file
and Postgres migration at the pin as if newly written.

    .venv/bin/python bench/realworld/workloads.py                  # findings per rule, precision
    .venv/bin/python bench/realworld/workloads.py --tree
    .venv/bin/python bench/realworld/workloads.py --pick 20        # add findings to judge
    .venv/bin/python bench/realworld/workloads.py --list k8s-no-probes   # each in context
    .venv/bin/python bench/realworld/workloads.py --summary        # precision, both samples

Judged findings: bench/realworld/workloads_judged.csv (sample `change` or `tree`, repository,
SHA, path, line, rule, verdict true/false/debatable, a one-line reason). Clones as the other
harnesses read them (`--mirrors DIR`, default /work/.mirror, OWNER+NAME/repo). Results are
cached per change and per version of the engine in bench/.work/workloads/.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import structural  # noqa: E402  (beside this file)
from findings import ROOT, Corpus, _git, _table  # noqa: E402

WORK = ROOT / "bench" / ".work" / "workloads"
structural.JUDGED = HERE / "workloads_judged.csv"
RULES = frozenset({"k8s-no-probes", "k8s-no-limits", "migration-fk-no-index"})

# Kubernetes manifests: plain YAML (microservices-demo, kubernetes/examples, the production
# deployment of sourcegraph), Kustomize bases and overlays (argo-cd, podinfo, kubeflow), Helm
# charts (podinfo, harbor), generated bundles (opentelemetry-demo, kube-prometheus). Postgres
# migrations: Go services (supabase/auth, hatchet, harbor) and Prisma (documenso, formbricks).
CORPORA = (
    Corpus(
        "GoogleCloudPlatform/microservices-demo", "yaml", "34ffea9175946982c3088ed84994fe6019ad6e92"
    ),
    Corpus("argoproj/argo-cd", "yaml", "37ee0097cf851bc2dd7665fc081bbce61a7e836e"),
    Corpus("stefanprodan/podinfo", "yaml", "eec06d1ea459af4cb4e10e806f8be7c7bd58b361"),
    Corpus("kubernetes/examples", "yaml", "279e8e4fe314f6cb7bc55fa3fbc21bbeaa48c0ea"),
    Corpus("open-telemetry/opentelemetry-demo", "yaml", "054282e318317f2be09f67dd9b0d7d1278566cfa"),
    Corpus("sourcegraph/deploy-sourcegraph", "yaml", "7cc55bb216f3a9b6a40eaaeb8cc6ff147c7c831a"),
    Corpus("kubeflow/manifests", "yaml", "009c88084074904c7743384ff50d3bd70012ef55"),
    Corpus(
        "prometheus-operator/kube-prometheus", "yaml", "4d719f1dea8853540b3823ab1fbe6be74a9953b3"
    ),
    Corpus("goharbor/harbor", "sql", "c50c7ddd6ea4e335a480b49c618281882ab7eec9"),
    Corpus("supabase/auth", "sql", "bc32168e13fdc928c98b449fc76bc3fdb9a293c5"),
    Corpus("hatchet-dev/hatchet", "sql", "89d130f303c9561442804c9c32b8748e699d5139"),
    Corpus("documenso/documenso", "sql", "75330166cc00b29c14399bc2e391e4b4d8080c00"),
    Corpus("formbricks/formbricks", "sql", "b66c1dd978af618a0e402bd3343b456bed68594c"),
)
structural.CORPORA = CORPORA  # its --show and --list read these clones
PATHSPECS = {"yaml": ("*.yaml", "*.yml"), "sql": ("*.sql",)}


def _ruleset() -> Any:
    return structural._ruleset()


def _scan(job: Any) -> list[Any]:
    from bot.engine.patterns import scan_file

    return [f for f in scan_file(job, (), frozenset()).findings if f.rule in RULES]


def findings_of(clone: str, base: str, head: str) -> dict[str, Any]:
    from bot.engine.carried import ChangeText
    from bot.engine.files import needs_text, plan_jobs
    from bot.engine.patterns import scan_file
    from bot.local.git import GitRepo

    ruleset = _ruleset()
    snapshot = GitRepo(clone).snapshot(base, head, needs_text=lambda f: needs_text(f, ruleset))
    plan = plan_jobs(snapshot, ruleset)
    left_out = {s.path for s in plan.skipped}
    files = tuple(f for f in snapshot.files if f.path not in left_out)
    text = ChangeText.of(files, ruleset.languages.id_of, ruleset.is_production)
    found, skipped = [], []
    for job in plan.jobs:
        scanned = scan_file(job, (), frozenset())
        skipped += [s.to_json() for s in scanned.skipped if "Kubernetes" in s.reason]
        for finding in scanned.findings:
            if finding.rule not in RULES:
                continue
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
    return {"findings": found, "skipped": skipped}


def changes(corpus: Corpus, clone: Path, count: int) -> list[tuple[str, str]]:
    """(base, head) of the newest `count` first-parent changes touching the corpus's files."""
    log = _git(
        clone,
        "log",
        "--first-parent",
        "--format=%H %P",
        corpus.pin,
        "--",
        *PATHSPECS[corpus.language],
    )
    rows = [tuple(line.split()[:2]) for line in log.splitlines() if len(line.split()) >= 2]
    return [(parent, sha) for sha, parent in rows][:count]


def _analyze(job: tuple[str, str, str, str, str]) -> dict[str, Any]:
    os.nice(5)
    repo, clone, base, head, cache = job
    cached = Path(cache)
    if cached.exists():
        loaded: dict[str, Any] = json.loads(cached.read_text())
        return loaded
    from bot.local.git import GitError

    try:
        out = {"repo": repo, "base": base, "sha": head, **findings_of(clone, base, head)}
    except GitError as exc:
        out = {"repo": repo, "base": base, "sha": head, "error": str(exc)}
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(out))
    return out


def collect(mirrors: Path, count: int, jobs: int) -> list[dict[str, Any]]:
    version = structural.engine_version()
    work = []
    for corpus in CORPORA:
        clone = corpus.clone(mirrors)
        if not clone.exists():
            print(f"skipped {corpus.name}: no clone at {clone}")
            continue
        for base, head in changes(corpus, clone, count):
            cache = WORK / version / corpus.name.replace("/", "+") / f"{head}.json"
            work.append((corpus.name, str(clone), base, head, str(cache)))
    print(f"engine {version}: {len(work)} changes")
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(_analyze, work, chunksize=4))


def tree_findings(clone: str, pin: str, kind: str) -> list[dict[str, Any]]:
    """Findings on every production file of the corpus's kind at `pin`, as if newly written."""
    from types import MappingProxyType

    from bot.config import globs
    from bot.engine.files import FileJob
    from bot.local.git import GitRepo

    ruleset = _ruleset()
    listing = _git(Path(clone), "ls-tree", "-r", "-z", "--name-only", pin).split("\0")
    suffixes = tuple(spec[1:] for spec in PATHSPECS[kind])
    paths = [
        p
        for p in listing
        if p.endswith(suffixes)
        and ruleset.is_production(p)
        and not globs.match_any(p, ruleset.skip_globs)
    ]
    texts = GitRepo(clone).read_texts(pin, paths)
    found = []
    for path in paths:
        text = texts.get(path)
        if text is None:
            continue
        lines = text.split("\n")
        language = ruleset.languages.of(path)
        job = FileJob(
            path=path,
            language=language.id if language else None,
            meter=None,
            base_text=None,
            head_text=text,
            added_lines=frozenset(range(1, len(lines) + 1)),
            added_text=MappingProxyType(dict(enumerate(lines, start=1))),
            created=True,
        )
        found += [{"path": path, "line": f.line, "rule": f.rule} for f in _scan(job)]
    return found


def collect_trees(mirrors: Path) -> list[dict[str, Any]]:
    version = structural.engine_version()
    results = []
    for corpus in CORPORA:
        clone = corpus.clone(mirrors)
        if not clone.exists():
            print(f"skipped {corpus.name}: no clone at {clone}")
            continue
        cache = WORK / version / "trees" / f"{corpus.name.replace('/', '+')}.json"
        if not cache.exists():
            found = tree_findings(str(clone), corpus.pin, corpus.language)
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(
                json.dumps({"repo": corpus.name, "base": "", "sha": corpus.pin, "findings": found})
            )
        results.append(json.loads(cache.read_text()))
    print(f"engine {version}: every production file of {len(results)} repositories")
    return results


def notes(results: list[dict[str, Any]]) -> None:
    skipped = Counter(s["reason"][:70] for r in results for s in r.get("skipped", []))
    if skipped:
        print("\nnot checked (reason, files):")
        for reason, count in skipped.most_common(8):
            print(f"  {count:5}  {reason}")
    per_repo: dict[str, Counter[str]] = defaultdict(Counter)
    for result in results:
        for finding in result.get("findings", []):
            per_repo[finding["rule"]][result["repo"].split("/")[1]] += 1
    rows = [
        (rule, ", ".join(f"{r} {n}" for r, n in c.most_common())) for rule, c in per_repo.items()
    ]
    print(_table(rows, ("rule", "findings by repository")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--changes", type=int, default=400, help="changes per repository")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--tree", action="store_true", help="every file at the pins")
    parser.add_argument("--pick", type=int, metavar="N", help="findings per rule to judge")
    parser.add_argument("--list", metavar="RULE", help="every finding of a rule, in context")
    parser.add_argument("--show", type=int, metavar="ROW", nargs="+")
    parser.add_argument("--context", type=int, default=8)
    parser.add_argument("--summary", action="store_true", help="precision per rule and sample")
    args = parser.parse_args(argv)
    if args.summary:
        structural.summary(
            collect(args.mirrors, args.changes, args.jobs), collect_trees(args.mirrors)
        )
        return 0
    if args.tree:
        results = collect_trees(args.mirrors)
    else:
        results = collect(args.mirrors, args.changes, args.jobs)
    sample = "tree" if args.tree else "change"
    if args.pick is not None:
        structural.pick(results, args.pick, sample)
    elif args.list is not None:
        for n, finding in enumerate(f for f in structural.flat(results) if f["rule"] == args.list):
            structural.show_row(args.mirrors, results, finding, f"[{n}]", args.context)
    elif args.show is not None:
        for index in args.show:
            structural.show(args.mirrors, results, index, args.context)
    else:
        notes(results)
        structural.report(results, sample)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
