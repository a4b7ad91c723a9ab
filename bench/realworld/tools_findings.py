"""Precision of the tool rules (zizmor, squawk, hadolint, ruff: bot/data/tools.yml) on real
history: collect their findings, pick findings to judge, show one in context, and score.

Each change is `first parent..commit` of a first-parent commit that touches a file some tool
reads (a workflow, a migration, a Dockerfile, a Python file), analysed as `ai-review-bot
analyze` analyses it (the local git adapter, the built-in config, `pipeline.analyze` with the
default tools), so a finding is exactly what a reviewer would see: on an added line of
production code, not moved, mapped onto our rule id. Per repository, the newest `--per-repo`
such changes up to the pinned commit are read.

    .venv/bin/python bench/realworld/tools_findings.py             # collect, counts, precision
    .venv/bin/python bench/realworld/tools_findings.py --pick 10   # unjudged findings per rule
    .venv/bin/python bench/realworld/tools_findings.py --show REPO SHA PATH LINE   # in context
    .venv/bin/python bench/realworld/tools_findings.py --cost 10   # seconds per change
    .venv/bin/python bench/realworld/tools_findings.py --probe PERF   # ruff rules not mapped

Judgments: bench/realworld/tools_judged.csv (repo, sha, path, line, rule, source, severity,
verdict, reason). Clones: `--mirrors DIR` (default /work/.mirror) holds OWNER+NAME/repo, bare
clones as the `fetch` tool leaves them; a missing clone is skipped, and the output says so.
Results are cached per change and per version of the tools and their adapters in
bench/.work/tools/.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

WORK = ROOT / "bench" / ".work" / "tools"
JUDGED = Path(__file__).resolve().parent / "tools_judged.csv"
JUDGED_FIELDS = ("repo", "sha", "path", "line", "rule", "source", "severity", "verdict", "reason")
PER_REPO = 400  # the newest changes per repository that touch a file a tool reads


@dataclass(frozen=True)
class Corpus:
    name: str  # OWNER/NAME
    pin: str  # the newest first-parent commit read
    # Only changes that touch a file one of these tools reads (empty: any tool).
    tools: tuple[str, ...] = ()
    # And only changes whose diff adds or removes a Python line matching this (git log -G).
    pickaxe: str = ""

    def clone(self, mirrors: Path) -> Path:
        return mirrors / self.name.replace("/", "+") / "repo"


BLOCKING_CALLS = (
    r"time\.sleep|requests\.(get|post|put|patch|delete|request)|open\(|subprocess\.|urlopen"
)

# Where the failure modes the tools look for occur: workflows everywhere, Postgres migrations
# (supabase/auth, documenso's Prisma, harbor), Dockerfiles (harbor, lnbits, khoj, documenso),
# async Python services (khoj, lnbits, datasette, httpx).
CORPORA = (
    Corpus("psf/requests", "1f6589ec3a1ee910f9a65cc3ceac60b26677bc0e"),
    Corpus("pallets/flask", "2ac89889f4cc330eabd50f295dcef02828522c69"),
    Corpus("encode/httpx", "ae1b9f66238f75ced3ced5e4485408435de10768"),
    Corpus("anthropics/claude-code-action", "24dcd50c0568f0fc9e9211213a4fd2d9eb15c4e0"),
    Corpus("expressjs/express", "a3714473feb3d2908add734d340e7755fd85e0a3"),
    Corpus("go-chi/chi", "735ae2b87f8c733d616e809ae86e0985c1bc3350"),
    Corpus("supabase/auth", "bc32168e13fdc928c98b449fc76bc3fdb9a293c5"),
    Corpus("documenso/documenso", "75330166cc00b29c14399bc2e391e4b4d8080c00"),
    Corpus("goharbor/harbor", "c50c7ddd6ea4e335a480b49c618281882ab7eec9"),
    Corpus("khoj-ai/khoj", "ae229ca894c0b80ad84664afcfdde523b5e87057"),
    Corpus("lnbits/lnbits", "7d98c6b0808efab3edafc21310ec34d1c38c23df"),
    Corpus("simonw/datasette", "481df7ff6d78a8ccf919984d27f27201b081bd53"),
    # Dockerfiles of services and of compose samples.
    Corpus(
        "GoogleCloudPlatform/microservices-demo",
        "34ffea9175946982c3088ed84994fe6019ad6e92",
        tools=("hadolint",),
    ),
    Corpus("docker/awesome-compose", "18f59bdb09ecf520dd5758fbf90dec314baec545", ("hadolint",)),
    # Async Python services, where a change touches a call that may block.
    *(
        Corpus(name, pin, ("ruff",), BLOCKING_CALLS)
        for name, pin in (
            ("khoj-ai/khoj", "ae229ca894c0b80ad84664afcfdde523b5e87057"),
            ("lnbits/lnbits", "7d98c6b0808efab3edafc21310ec34d1c38c23df"),
            ("Chainlit/chainlit", "488b74579ace74ad917556a1560e9db68e011219"),
            ("reflex-dev/reflex", "d86f167bce73d4ec4ded9b4a77296955142ef019"),
        )
    ),
)


def tools_version() -> str:
    """A digest of what decides a tool finding: the adapters, the table, the engine's side of
    them, the planning of files and the tests of moved code, and the tools' own versions."""
    digest = hashlib.sha256()
    engine = ROOT / "bot" / "engine"
    from bot.engine.tool_table import tool_table

    # The table as it is read (its comments can change without changing a result).
    table = tool_table()
    digest.update(repr((table.limits, table.tools)).encode())
    paths = [
        *sorted((ROOT / "bot" / "tools").glob("*.py")),
        *(engine / name for name in ("tooling.py", "tool_table.py", "files.py", "carried.py")),
        engine / "pipeline.py",
    ]
    for path in paths:
        digest.update(path.read_bytes())
    for tool in ("zizmor", "squawk", "hadolint", "ruff"):
        binary = Path(sys.executable).with_name(tool)
        digest.update(subprocess.run([binary, "--version"], capture_output=True, check=True).stdout)
    return digest.hexdigest()[:16]


def _git(clone: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "--git-dir", str(clone), *args], capture_output=True, check=True, text=True
    )
    return done.stdout


def _ruleset() -> Any:
    from bot.config.load import load_repo_config
    from bot.engine.builtins import load_builtins
    from bot.engine.resolve import build_ruleset

    return build_ruleset(load_repo_config(None, "built-ins"), load_builtins(), [])


def tool_changes(corpus: Corpus, clone: Path, per_repo: int) -> list[tuple[str, str]]:
    """(base, head) of the newest first-parent changes that touch a file a tool reads."""
    from bot.engine.tool_table import tool_table

    ruleset = _ruleset()
    table = tool_table()
    pin = corpus.pin
    specs = [spec for spec in table.tools if not corpus.tools or spec.name in corpus.tools]
    pickaxe = ["-G", corpus.pickaxe, pin, "--", "*.py"] if corpus.pickaxe else [pin]
    log = _git(clone, "log", "--first-parent", "--format=%H %P", *pickaxe)
    out: list[tuple[str, str]] = []
    for line in log.splitlines():
        shas = line.split()
        if len(shas) < 2:
            continue
        try:
            paths = _git(clone, "diff-tree", "-r", "--name-only", shas[1], shas[0]).split("\n")
        except subprocess.CalledProcessError:
            continue  # an object the snapshot lacks
        if any(
            p
            and ruleset.is_production(p)
            and any(spec.reads(p, ruleset.languages.id_of(p)) for spec in specs)
            for p in paths
        ):
            out.append((shas[1], shas[0]))
        if len(out) >= per_repo:
            break
    return out


def _analyze(job: tuple[str, str, str, str, str]) -> dict[str, Any]:
    os.nice(5)
    repo_name, clone, base, head, cache = job
    cached = Path(cache)
    if cached.exists():
        loaded: dict[str, Any] = json.loads(cached.read_text())
        return loaded
    from bot.engine.files import needs_text
    from bot.engine.pipeline import analyze
    from bot.local.git import GitError, GitRepo
    from bot.tools import default_tools

    ruleset = _ruleset()
    try:
        snapshot = GitRepo(clone).snapshot(
            base, head, needs_text=lambda changed: needs_text(changed, ruleset)
        )
    except GitError as exc:
        out: dict[str, Any] = {"repo": repo_name, "sha": head, "error": str(exc)}
    else:
        analysis = analyze(snapshot, ruleset, tools=default_tools())
        patterns = analysis.risk.signal("patterns")
        out = {
            "repo": repo_name,
            "base": base,
            "sha": head,
            "findings": [loc.to_json() for loc in patterns.locations],
            "skipped": [s.to_json() for s in patterns.skipped],
        }
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(out))
    return out


def collect(mirrors: Path, per_repo: int, jobs: int) -> list[dict[str, Any]]:
    version = tools_version()
    work: list[tuple[str, str, str, str, str]] = []
    for corpus in CORPORA:
        clone = corpus.clone(mirrors)
        if not clone.exists():
            print(f"skipped {corpus.name}: no clone at {clone}")
            continue
        changes = tool_changes(corpus, clone, per_repo)
        what = ", ".join(corpus.tools) if corpus.tools else "a tool"
        print(f"{corpus.name}: {len(changes)} changes touch a file {what} reads")
        for base, head in changes:
            if any(job[0] == corpus.name and job[3] == head for job in work):
                continue  # in two samples of the repository
            cache = WORK / version / corpus.name.replace("/", "+") / f"{head}.json"
            work.append((corpus.name, str(clone), base, head, str(cache)))
    print(f"engine {version}: {len(work)} changes")
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(_analyze, work, chunksize=2))


def tool_findings(results: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every finding a tool made, with its change."""
    from bot.engine.tool_table import tool_table

    ours = tool_table().rule_ids
    for result in results:
        for finding in result.get("findings", []):
            if finding.get("rule") in ours and finding.get("source"):
                yield {"repo": result["repo"], "sha": result["sha"], **finding}


def _key(row: dict[str, Any]) -> tuple[str, str, str, str, str]:
    return (row["repo"], row["sha"], row["path"], str(row["line"]), row["rule"])


def read_judged() -> dict[tuple[str, str, str, str, str], dict[str, str]]:
    if not JUDGED.exists():
        return {}
    with JUDGED.open(newline="") as handle:
        return {_key(row): row for row in csv.DictReader(handle)}


def report(results: list[dict[str, Any]]) -> None:
    found = list(tool_findings(results))
    judged = read_judged()
    by_rule: dict[str, Counter[str]] = defaultdict(Counter)
    for finding in found:
        verdict = judged.get(_key(finding), {}).get("verdict", "unjudged")
        weight = "" if finding.get("counted", True) else ", not counted"
        by_rule[f"`{finding['rule']}` ({finding['severity']}{weight})"][verdict] += 1
    skipped = Counter(
        s["reason"].split(": ", 1)[-1][:60]
        for r in results
        for s in r.get("skipped", [])
        if s["reason"].startswith("not checked by")
    )
    print(f"\n{len(results)} changes, {len(found)} tool findings")
    print("| rule | findings | judged t/f/d | precision |")
    print("| --- | ---: | --- | ---: |")
    for rule, counts in sorted(by_rule.items()):
        t, f, d = counts["true"], counts["false"], counts["debatable"]
        n = t + f + d
        precision = f"{t / n:.2f} (n={n})" if n else "-"
        print(f"| {rule} | {sum(counts.values())} | {t}/{f}/{d} | {precision} |")
    missing = [k for k in judged if k not in {_key(f) for f in found}]
    if missing:
        print(f"\n{len(missing)} judged findings are no longer reported")
    if skipped:
        print("\nnot checked (reason, files):")
        for reason, count in skipped.most_common(10):
            print(f"  {count:5}  {reason}")


def pick(results: list[dict[str, Any]], per_rule: int, seed: int = 18) -> None:
    """Unjudged findings to judge, at random, at most `per_rule` per rule, 2 per change."""
    judged = read_judged()
    rng = random.Random(seed)
    found = [f for f in tool_findings(results) if _key(f) not in judged]
    rng.shuffle(found)
    taken: Counter[str] = Counter()
    per_change: Counter[str] = Counter()
    for finding in found:
        if taken[finding["rule"]] >= per_rule or per_change[finding["sha"]] >= 2:
            continue
        taken[finding["rule"]] += 1
        per_change[finding["sha"]] += 1
        print(
            json.dumps({k: finding[k] for k in ("repo", "sha", "path", "line", "rule", "source")})
        )


def show(mirrors: Path, repo: str, sha: str, path: str, line: int, context: int = 12) -> None:
    clone = mirrors / repo.replace("/", "+") / "repo"
    subject = _git(clone, "log", "-1", "--format=%s", sha).strip()
    text = _git(clone, "show", f"{sha}:{path}").split("\n")
    diff = _git(clone, "diff", "-U0", f"{sha}^1", sha, "--", path)
    print(f"{repo} {sha[:10]} {subject}\n{path}:{line}")
    for number in range(max(1, line - context), min(len(text), line + context) + 1):
        mark = ">>" if number == line else "  "
        print(f"{mark}{number:5} {text[number - 1]}")
    print("--- diff (first 60 lines)")
    print("\n".join(diff.splitlines()[:60]))


def cost(mirrors: Path, changes: int) -> None:
    """What the tools add to an analysis, on the newest `changes` changes per repository that
    touch a file a tool reads: each tool's run (process start, writing its files, reading its
    report) where it had files, and the whole analysis without and with the tools (one
    process, no cache: what the App and `analyze` pay per change)."""
    from bot.engine.files import needs_text, plan_jobs
    from bot.engine.pipeline import analyze
    from bot.engine.tool_table import tool_table
    from bot.local.git import GitRepo
    from bot.tools import default_tools

    ruleset = _ruleset()
    table = tool_table()
    runs: dict[str, list[float]] = defaultdict(list)
    sizes: dict[str, list[int]] = defaultdict(list)
    for corpus in CORPORA:
        clone = corpus.clone(mirrors)
        if not clone.exists():
            continue
        for base, head in tool_changes(corpus, clone, changes):
            snapshot = GitRepo(str(clone)).snapshot(
                base, head, needs_text=lambda changed: needs_text(changed, ruleset)
            )
            jobs = plan_jobs(snapshot, ruleset).jobs
            for tool in default_tools():
                spec = table.spec(tool.name)
                files = [
                    job
                    for job in jobs
                    if job.production
                    and job.head_text is not None
                    and (job.created or not spec.created_only)
                    and spec.reads(job.path, job.language)
                ]
                if files:
                    start = time.perf_counter()
                    tool.scan(files)
                    runs[tool.name].append(time.perf_counter() - start)
                    sizes[tool.name].append(len(files))
            for label, tools in (("analysis without tools", ()), ("analysis with tools", None)):
                start = time.perf_counter()
                analyze(snapshot, ruleset, tools=default_tools() if tools is None else tools)
                runs[label].append(time.perf_counter() - start)
    print("| what | runs | files per run (median, max) | median | p95 | max |")
    print("| --- | ---: | --- | ---: | ---: | ---: |")
    for label, values in runs.items():
        values.sort()
        p95 = values[int(0.95 * (len(values) - 1))]
        handed = sizes.get(label)
        counts = f"{statistics.median(handed):g}, {max(handed)}" if handed else ""
        print(
            f"| {label} | {len(values)} | {counts} | {statistics.median(values):.3f} s | "
            f"{p95:.3f} s | {values[-1]:.3f} s |"
        )


def probe(mirrors: Path, select: str, changes: int) -> None:
    """ruff rules the table does not select (`--probe PERF`), run as the adapter runs ruff on
    the production Python files of the newest `changes` Python changes per Python repository:
    their raw findings on added lines, to judge before mapping any of them."""
    from bot.engine.files import needs_text, plan_jobs
    from bot.local.git import GitError, GitRepo
    from bot.tools.ruff import Ruff

    class Probe(Ruff):
        def argv(self, paths: Sequence[str], config_dir: Path) -> list[str]:
            selected = ["check", "--isolated", "--no-cache", "--exit-zero"]
            return [*selected, "--output-format", "json", "--select", select, *paths]

    ruleset = _ruleset()
    found: Counter[str] = Counter()
    for corpus in CORPORA:
        clone = corpus.clone(mirrors)
        if corpus.tools or not clone.exists():
            continue
        python = Corpus(corpus.name, corpus.pin, ("ruff",))
        for base, head in tool_changes(python, clone, changes):
            try:
                snapshot = GitRepo(str(clone)).snapshot(
                    base, head, needs_text=lambda changed: needs_text(changed, ruleset)
                )
            except GitError:
                continue  # an object the snapshot lacks
            jobs = [
                job
                for job in plan_jobs(snapshot, ruleset).jobs
                if job.production and job.language == "python" and job.head_text is not None
            ]
            if not jobs:
                continue
            added = {job.path: job.added_lines for job in jobs}
            for finding in Probe().scan(jobs).findings:
                if finding.line in added.get(finding.path, ()):
                    found[finding.tool_rule] += 1
                    print(
                        json.dumps(
                            [
                                corpus.name,
                                head,
                                finding.path,
                                finding.line,
                                finding.tool_rule,
                                finding.detail,
                            ]
                        )
                    )
    print(dict(found))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--per-repo", type=int, default=PER_REPO)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--pick", type=int, metavar="N")
    parser.add_argument("--show", nargs=4, metavar=("REPO", "SHA", "PATH", "LINE"))
    parser.add_argument("--cost", type=int, metavar="N", help="N changes per repository")
    parser.add_argument("--probe", metavar="RULES", help="ruff rules to try, e.g. PERF")
    args = parser.parse_args()
    if args.probe:
        probe(args.mirrors, args.probe, 150)
        return
    if args.show:
        repo, sha, path, line = args.show
        show(args.mirrors, repo, sha, path, int(line))
        return
    if args.cost:
        cost(args.mirrors, args.cost)
        return
    results = collect(args.mirrors, args.per_repo, args.jobs)
    if args.pick:
        pick(results, args.pick)
        return
    report(results)


if __name__ == "__main__":
    main()
