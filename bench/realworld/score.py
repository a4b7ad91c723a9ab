"""Does the risk score predict defects? ROC AUC against the SZZ labels of bench/realworld/szz.py.

For every labelled change (formatting-only ones left out) this runs the analysis `ai-review-bot
analyze --format json` runs (bot.local.analysis.LocalAnalysis with the built-in config, the
engine reading the local clone) and keeps the JSON's `risk.score`, each signal's intensity
(0..1, before weights and rounding), and the change's size as git counts it. Then it prints the
ROC AUC of the score, of each signal and of two baselines, lines changed (additions plus
deletions over every file) and files changed, against the label bug-inducing, with the number of
changes and of positives: per repository and pooled, over all changes and over those that touch
source code (szz.is_source: what SZZ blames).

AUC is the chance that a bug-inducing change, drawn at random, scores above a clean one (ties
count half): 0.5 is a coin, 1.0 a perfect ranking.

`--fit` then chooses integer weights on the training repositories (FIT_ON) and reports them on
the held-out ones, with bootstrap confidence intervals (changes resampled within each
repository) for the score, for lines alone, and for their difference; and a leave-one-
repository-out check of the same fitting. `--weights` scores the cached intensities with other
weights without running the engine again.

    .venv/bin/python bench/realworld/score.py                   # the engine at HEAD
    .venv/bin/python bench/realworld/score.py --fit
    .venv/bin/python bench/realworld/score.py --engine worktree  # uncommitted engine code

The engine is the committed tree at `--engine REV` (default HEAD), exported to bench/.work/engine/
so that edits in progress in the work tree do not leak in; results are cached per change and per
engine tree in bench/.work/score/. Runs in one process; a repository whose clone is not found is
skipped, and the output says so.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import random
import subprocess
import sys
import tarfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WORK = ROOT / "bench" / ".work"
sys.path.insert(0, str(HERE))

import szz  # noqa: E402  (beside this file)

SIGNALS = (
    "ai_share",
    "size",
    "complexity",
    "critical_paths",
    "missing_tests",
    "dependencies",
    "patterns",
)
# Fitted on these; reported on the others.
FIT_ON = ("psf/requests", "pallets/flask", "expressjs/express")
BOOTSTRAP = 1000
SEED = 16


# --- the engine -------------------------------------------------------------------------------


def _git_root(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, check=True, text=True
    ).stdout.strip()


def engine_at(rev: str) -> tuple[str, Path]:
    """An id of the engine (bot/ and checklists/ at `rev`) and the folder to import it from."""
    if rev == "worktree":
        digest = hashlib.sha256()
        for folder in ("bot", "checklists"):
            for path in sorted((ROOT / folder).rglob("*")):
                if path.suffix in (".py", ".yml") and "__pycache__" not in path.parts:
                    digest.update(str(path.relative_to(ROOT)).encode())
                    digest.update(path.read_bytes())
        return f"worktree-{digest.hexdigest()[:12]}", ROOT
    trees = " ".join(_git_root("rev-parse", f"{rev}:bot", f"{rev}:checklists").split())
    engine_id = hashlib.sha256(trees.encode()).hexdigest()[:12]
    folder = WORK / "engine" / engine_id
    if not folder.exists():
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "bot", "checklists"],
            capture_output=True,
            check=True,
        ).stdout
        partial = folder.with_suffix(".part")
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(partial, filter="data")
        partial.rename(folder)
    return engine_id, folder


def analyse(clone: Path, sha: str) -> dict[str, Any]:
    """`analyze --format json` of first parent..sha, with each signal's exact intensity and
    the change's size beside it."""
    import bot.local.analysis
    from bot.engine import pipeline
    from bot.local.git import GitError

    seen: dict[str, Any] = {}
    score_risk = pipeline.score_risk
    analyze = bot.local.analysis.analyze

    def keep_findings(findings: Sequence[Any], *args: Any, **kwargs: Any) -> Any:
        seen["findings"] = list(findings)
        return score_risk(findings, *args, **kwargs)

    def keep_snapshot(snapshot: Any, *args: Any, **kwargs: Any) -> Any:
        seen["snapshot"] = snapshot
        return analyze(snapshot, *args, **kwargs)

    pipeline.score_risk = keep_findings  # type: ignore[assignment]
    bot.local.analysis.analyze = keep_snapshot  # type: ignore[assignment]
    try:
        local = bot.local.analysis.LocalAnalysis.open(str(clone), base=f"{sha}^1", head=sha)
        result = local.run(config_text=None, config_source=None).analysis.to_json()
    except GitError as exc:
        return {"error": str(exc)}
    finally:
        pipeline.score_risk = score_risk
        bot.local.analysis.analyze = analyze
    files = seen["snapshot"].files
    by_id = {finding.id: finding for finding in seen["findings"]}
    left_out = {entry.path for entry in by_id["size"].skipped}
    measured = [f for f in files if f.path not in left_out]
    return {
        "score": result["risk"]["score"],
        "level": result["risk"]["level"],
        "ai_assisted": result["ai"]["assisted"],
        "intensity": {s: max(0.0, min(1.0, by_id[s].intensity)) for s in SIGNALS},
        "points": {s["id"]: s["score"] for s in result["risk"]["signals"]},
        "lines": sum(f.additions + f.deletions for f in files),
        "files": len(files),
        "size_lines": sum(f.additions + f.deletions for f in measured),
        "size_files": len(measured),
        "paths": [f.path for f in files],
    }


@dataclass(frozen=True)
class Scored:
    """One labelled change and what the engine made of it."""

    repo: str
    sha: str
    bug: bool
    result: Mapping[str, Any]

    @property
    def touches_source(self) -> bool:
        return any(szz.is_source(path) for path in self.result["paths"])


def collect(mirrors: Path, engine_id: str, repos: Sequence[str] = ()) -> list[Scored]:
    labels = [
        row
        for row in szz.read_labels()
        if row["formatting_only"] == "0" and (not repos or row["repo"] in repos)
    ]
    scored: list[Scored] = []
    todo = []
    skipped = set()
    for row in labels:
        corpus = next((c for c in szz.CORPORA if c.name == row["repo"]), None)
        clone = corpus.clone(mirrors) if corpus else None
        if clone is None or not clone.exists():
            skipped.add(row["repo"])
            continue
        cache = WORK / "score" / engine_id / row["repo"].replace("/", "+") / f"{row['sha']}.json"
        todo.append((row, clone, cache))
    for name in sorted(skipped):
        print(f"skipped {name}: no clone under {mirrors}")
    started = time.monotonic()
    ran = 0
    for index, (row, clone, cache) in enumerate(todo, 1):
        if cache.exists():
            result = json.loads(cache.read_text())
        else:
            result = analyse(clone, row["sha"])
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(result))
            ran += 1
            if ran % 250 == 0:
                print(f"  {index}/{len(todo)} ({time.monotonic() - started:.0f} s)", flush=True)
        if "error" in result:
            print(f"not analysed: {row['repo']} {row['sha'][:10]}: {result['error']}")
            continue
        scored.append(Scored(row["repo"], row["sha"], row["bug_inducing"] == "1", result))
    if ran:
        print(f"engine {engine_id}: analysed {ran} changes in {time.monotonic() - started:.0f} s")
    return scored


# --- AUC ----------------------------------------------------------------------------------------


def auc(values: Sequence[float], labels: Sequence[bool]) -> float:
    """ROC AUC by the Mann-Whitney U statistic, ties counting half; NaN without both classes."""
    positives = sum(labels)
    negatives = len(labels) - positives
    if not positives or not negatives:
        return math.nan
    order = sorted(range(len(values)), key=values.__getitem__)
    rank_sum = 0.0
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        mean_rank = (start + end) / 2 + 1
        rank_sum += mean_rank * sum(labels[order[i]] for i in range(start, end + 1))
        start = end + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def bootstrap(
    changes: Sequence[Scored],
    measures: Mapping[str, Callable[[Scored], float]],
    rounds: int = BOOTSTRAP,
) -> dict[str, tuple[float, float]]:
    """95% percentile intervals of each measure's AUC, and of each one's difference to the
    first, resampling changes with replacement within each repository."""
    chance = random.Random(SEED)
    by_repo: dict[str, list[Scored]] = defaultdict(list)
    for change in changes:
        by_repo[change.repo].append(change)
    names = list(measures)
    draws: dict[str, list[float]] = defaultdict(list)
    for _ in range(rounds):
        sample = [chance.choice(group) for group in by_repo.values() for _ in group]
        labels = [c.bug for c in sample]
        values = {name: auc([measures[name](c) for c in sample], labels) for name in names}
        for name in names:
            draws[name].append(values[name])
            if name != names[0]:
                draws[f"{names[0]} - {name}"].append(values[names[0]] - values[name])
    intervals = {}
    for name, values in draws.items():
        kept = sorted(v for v in values if not math.isnan(v))
        intervals[name] = (kept[int(0.025 * len(kept))], kept[int(0.975 * len(kept)) - 1])
    return intervals


# --- scores -----------------------------------------------------------------------------------


def points(weights: Mapping[str, int]) -> Callable[[Scored], float]:
    """The score the engine gives with these weights: the sum of round(weight * intensity), at most
    100 (risk.score_risk)."""

    def score(change: Scored) -> float:
        intensity = change.result["intensity"]
        return float(min(100, sum(round(weights[s] * intensity[s]) for s in SIGNALS)))

    return score


def _intensity_of(signal: str) -> Callable[[Scored], float]:
    return lambda change: float(change.result["intensity"][signal])


def measures_of(weights: Mapping[str, int] | None) -> dict[str, Callable[[Scored], float]]:
    out: dict[str, Callable[[Scored], float]] = {
        "score": points(weights) if weights else (lambda c: float(c.result["score"]))
    }
    for signal in SIGNALS:
        out[signal] = _intensity_of(signal)
    out["lines"] = lambda c: float(c.result["lines"])
    out["files"] = lambda c: float(c.result["files"])
    return out


def _table(rows: Iterable[Sequence[str]], header: Sequence[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _f(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.3f}"


def groups(changes: Sequence[Scored]) -> dict[str, list[Scored]]:
    out: dict[str, list[Scored]] = defaultdict(list)
    for change in changes:
        out[change.repo].append(change)
    out["all"] = list(changes)
    return out


def report_auc(
    changes: Sequence[Scored], measures: Mapping[str, Callable[[Scored], float]]
) -> None:
    rows = []
    for name, members in groups(changes).items():
        labels = [c.bug for c in members]
        rows.append(
            (
                name,
                str(len(members)),
                str(sum(labels)),
                *(_f(auc([measure(c) for c in members], labels)) for measure in measures.values()),
            )
        )
    print(_table(rows, ("changes", "n", "bug", *measures)))


def report_flagged(changes: Sequence[Scored], flagged: Callable[[Scored], bool]) -> None:
    """The changes a level flags against as many of the largest: bug-inducing ones in each."""
    rows = []
    for name, members in groups(changes).items():
        count = sum(flagged(c) for c in members)
        caught = sum(c.bug for c in members if flagged(c))
        largest = sorted(members, key=lambda c: -c.result["lines"])[:count]
        rows.append(
            (name, str(len(members)), str(count), str(caught), str(sum(c.bug for c in largest)))
        )
    print(_table(rows, ("changes", "n", "flagged", "bug among them", "bug among as many largest")))


def as_if_ai(levels: Any, weights: Mapping[str, int]) -> Callable[[Scored], bool]:
    """Whether the change would be medium or above had an agent written all of it (ai_share at
    full): its score with the ai_share points at their weight, the level from the thresholds,
    and any level a signal or an unmeasured file forced (the engine's level above its score's)."""
    order = ("low", "medium", "high", "critical")

    def flagged(change: Scored) -> bool:
        result = change.result
        forced = order.index(result["level"]) > order.index(levels.level_of(result["score"]).value)
        points = result["points"]
        score = min(100, sum(points.values()) - points["ai_share"] + weights["ai_share"])
        return forced or levels.level_of(score).value != "low"

    return flagged


# --- fitting ------------------------------------------------------------------------------------

# The weights before this measurement (issue 16): where every fit starts from.
START = {
    "ai_share": 10,
    "size": 10,
    "complexity": 15,
    "critical_paths": 25,
    "missing_tests": 15,
    "dependencies": 10,
    "patterns": 25,
}
STEPS = tuple(range(0, 65, 5))  # no signal carries more than 60 of the 100 points
MIN_GAIN = 0.002
# The least each signal keeps in the shipped weights: the risks SZZ cannot see (a change to
# authentication, a new dependency, a hard-coded secret, code without tests) still have to show
# in the score, whatever their AUC against later fixes. ai_share is policy: it stays as it is.
POLICY_FLOORS = {
    "complexity": 5,
    "critical_paths": 20,
    "missing_tests": 10,
    "dependencies": 5,
    "patterns": 25,
}


def objective(changes: Sequence[Scored], weights: Mapping[str, int]) -> float:
    """Mean per-repository AUC of the score over the changes that touch source code: the
    harder set, where telling a docs change from a code change earns nothing."""
    measure = points(weights)
    values = []
    for name, members in groups(changes).items():
        kept = [c for c in members if c.touches_source]
        result = auc([measure(c) for c in kept], [c.bug for c in kept])
        if name != "all" and not math.isnan(result):
            values.append(result)
    return sum(values) / len(values)


def fit(
    changes: Sequence[Scored], start: Mapping[str, int], floors: Mapping[str, int] | None = None
) -> dict[str, int]:
    """Coordinate ascent from the current weights: each pass moves the one weight, to its best
    step of 5 (at least its floor), whose move raises the objective by at least MIN_GAIN, until
    none does. MIN_GAIN keeps a weight where it is unless the data clearly want it elsewhere: a
    signal that is almost always 0 would otherwise drift with noise. ai_share is kept as it is:
    it is policy (how much of the change a tool wrote), and the corpus has few AI changes."""
    floors = floors or {}
    weights = {s: max(w, floors.get(s, 0)) for s, w in start.items()}
    best = objective(changes, weights)
    while True:
        moves = [
            (objective(changes, {**weights, signal: step}), signal, step)
            for signal in SIGNALS[1:]
            for step in STEPS
            if step >= floors.get(signal, 0) and step != weights[signal]
        ]
        value, signal, step = max(moves)
        if value < best + MIN_GAIN:
            return weights
        best, weights = value, {**weights, signal: step}


def report_held_out(changes: Sequence[Scored], weights: Mapping[str, int], label: str) -> None:
    """AUC of the score against lines alone and the size signal alone, with 95% bootstrap
    intervals of each and of the differences."""
    measures = {
        "score": points(weights),
        "lines": lambda c: float(c.result["lines"]),
        "size": lambda c: float(c.result["intensity"]["size"]),
    }
    for subset, members in (
        ("all changes", changes),
        ("touching source", [c for c in changes if c.touches_source]),
    ):
        labels = [c.bug for c in members]
        point = {name: auc([m(c) for c in members], labels) for name, m in measures.items()}
        ci = bootstrap(members, measures)
        parts = [
            f"{name} {_f(point[name])} [{_f(ci[name][0])}, {_f(ci[name][1])}]" for name in measures
        ]
        parts += [
            f"score - {name} {point['score'] - point[name]:+.3f} "
            f"[{ci['score - ' + name][0]:+.3f}, {ci['score - ' + name][1]:+.3f}]"
            for name in ("lines", "size")
        ]
        print(f"{label}, {subset}: n={len(members)} bug={sum(labels)}; " + "; ".join(parts))


def report_fit(changes: Sequence[Scored], defaults: Mapping[str, int]) -> None:
    train = [c for c in changes if c.repo in FIT_ON]
    held = [c for c in changes if c.repo not in FIT_ON]
    fitted = fit(train, START)
    floored = fit(train, START, POLICY_FLOORS)
    print(f"\nfit on {', '.join(FIT_ON)} (mean AUC over changes touching source):")
    print(f"  weights before  {START}: {objective(train, START):.3f}")
    print(f"  engine defaults {defaults}: {objective(train, defaults):.3f}")
    print(f"  fitted weights  {fitted}: {objective(train, fitted):.3f}")
    print(f"  fitted with the policy floors {floored}: {objective(train, floored):.3f}")
    print("held out (the other repositories):")
    report_held_out(held, START, "  weights before")
    report_held_out(held, defaults, "  engine defaults")
    report_held_out(held, fitted, "  fitted weights")
    report_held_out(held, floored, "  fitted with the policy floors")
    print("\nleave one repository out (fitted with the floors on the others; source changes):")
    rows = []
    for corpus in szz.CORPORA:
        one = [c for c in changes if c.repo == corpus.name and c.touches_source]
        if not one:
            continue
        weights = fit([c for c in changes if c.repo != corpus.name], START, POLICY_FLOORS)
        labels = [c.bug for c in one]
        rows.append(
            (
                corpus.name,
                str(len(one)),
                str(sum(labels)),
                _f(auc([points(weights)(c) for c in one], labels)),
                _f(auc([float(c.result["intensity"]["size"]) for c in one], labels)),
                _f(auc([float(c.result["lines"]) for c in one], labels)),
                " ".join(f"{k}={v}" for k, v in weights.items()),
            )
        )
    print(_table(rows, ("held out", "n", "bug", "score", "size", "lines", "weights fitted")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--engine", default="HEAD", help="a git revision, or `worktree`")
    parser.add_argument("--fit", action="store_true", help="fit weights, report held-out AUC")
    parser.add_argument(
        "--weights", help="score with these weights instead: JSON, e.g. '{\"size\": 30}'"
    )
    parser.add_argument("--repo", action="append", default=[], help="only these (OWNER/NAME)")
    args = parser.parse_args(argv)

    engine_id, folder = engine_at(args.engine)
    sys.path.insert(0, str(folder))
    import bot
    from bot.config.risk import Levels, Weights

    revision = _git_root("rev-parse", args.engine) if args.engine != "worktree" else "worktree"
    print(f"engine {engine_id}: bot/ of {revision} ({Path(bot.__file__).parent})")
    changes = collect(args.mirrors, engine_id, args.repo)
    defaults = Weights().model_dump()
    weights = {**defaults, **json.loads(args.weights)} if args.weights else None
    if weights:
        print(f"score: recomputed from the intensities with weights {weights}")
    measures = measures_of(weights)
    print("\nROC AUC against bug-inducing (SZZ), every labelled change:")
    report_auc(changes, measures)
    print("\nthe same, changes that touch source code:")
    report_auc([c for c in changes if c.touches_source], measures)
    print("\nmedium or above against as many of the largest changes (lines):")
    report_flagged(changes, lambda c: c.result["level"] != "low")
    print("\nthe same if every change were AI-assisted (as the gate sees them):")
    report_flagged(changes, as_if_ai(Levels(), defaults))
    if args.fit:
        report_fit(changes, defaults)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
