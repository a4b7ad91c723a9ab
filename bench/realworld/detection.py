"""How well the bot detects AI-assisted changes on real public history.

Runs the bot's detection over every change of the corpus (corpus.yml, read from local clones)
and compares it with the labels corpus_label.py wrote (corpus_labels.csv), then prints:

- precision and recall per repository and per tool (a change labelled with several tools counts
  for each; the bot's tool is not required to agree, only its verdict), for the `tuning` windows
  (read while the bot was fixed) and the `held-out` ones (measured after) apart;
- every miss (labelled AI, not detected) with the labeller's reason, and every false positive
  (detected, labelled human) with the bot's evidence;
- with `--analyze N`, the same for a sample of N changes run end to end through
  `ai-review-bot analyze --format json` (the real command, on a shared clone in which each
  merged change's branch exists under its name, so `--head BRANCH` carries it), and the risk
  level distribution of that sample.

Detection alone needs only commit metadata, so the main run builds the engine's snapshots from
one `git log` per window: no diffs, no file texts (seconds for the whole corpus). A window's
`config` is applied as its repo config (identities only that repository uses).

    .venv/bin/python bench/realworld/detection.py                 # detection on every change
    .venv/bin/python bench/realworld/detection.py --analyze 60    # plus 60 changes end to end
    .venv/bin/python bench/realworld/detection.py --builtin-only  # ignore windows' configs

A repository whose clone is not found (`--mirrors DIR`, default /work/.mirror, holding
OWNER+NAME/repo) is skipped, and the output says so.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import DEFAULT_MIRRORS, Change, RawCommit, Window, changes, git, load_windows
from corpus_label import LABELS_FILE

from bot.config.load import load_repo_config
from bot.engine.builtins import load_builtins
from bot.engine.detect import Detector
from bot.engine.resolve import build_ruleset
from bot.engine.result import AIDetection
from bot.engine.snapshot import Commit, Person, Snapshot

ROOT = Path(__file__).resolve().parents[2]
LEVELS = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class Outcome:
    window: Window
    change: Change
    labelled_ai: bool
    labelled_tools: tuple[str, ...]
    label_reason: str
    detected: bool
    detected_tools: tuple[str, ...]
    evidence: str
    level: str = ""


def read_labels() -> dict[tuple[str, str], dict[str, str]]:
    with LABELS_FILE.open(newline="", encoding="utf-8") as handle:
        return {(row["repo"], row["change"]): row for row in csv.DictReader(handle)}


def detector_for(window: Window, builtin_only: bool) -> Detector:
    text = None if builtin_only or not window.config else window.config
    config = load_repo_config(text, f"corpus.yml ({window.repo})")
    ruleset = build_ruleset(config, load_builtins())
    return Detector(ruleset.signatures, ruleset.config.detect.labels)


def _commit(raw: RawCommit) -> Commit:
    return Commit(
        sha=raw.sha,
        message=raw.message,
        author=Person(raw.author_name, raw.author_email),
        committer=Person(raw.committer_name, raw.committer_email),
        parents=raw.parents,
    )


def snapshot_of(change: Change) -> Snapshot:
    """What the App would see of the change: its commits and its head branch (no PR body,
    labels or author: git does not keep them)."""
    return Snapshot(
        base_sha=change.base,
        head_sha=change.head,
        head_branch=change.branch,
        commits=tuple(_commit(raw) for raw in change.commits),
    )


def outcome(window: Window, change: Change, label: dict[str, str], found: AIDetection) -> Outcome:
    return Outcome(
        window=window,
        change=change,
        labelled_ai=label["ai"] == "yes",
        labelled_tools=tuple(t for t in label["tools"].split(";") if t),
        label_reason=f"{label['rules']}: {label['evidence']}",
        detected=found.assisted,
        detected_tools=tuple(dict.fromkeys(e.tool for e in found.evidence)),
        evidence="; ".join(
            f"{e.signal} {e.tool}: {e.detail}" for e in list(dict.fromkeys(found.evidence))[:2]
        ),
    )


# --- end to end ---------------------------------------------------------------------------------


def sample(outcomes: list[Outcome], size: int, seed: int = 16) -> list[Outcome]:
    """`size` changes drawn in turn from each repository's AI and human changes, and from the
    AI changes only a branch name shows (so `--head BRANCH` is exercised end to end)."""
    chance = random.Random(seed)
    groups: dict[tuple[str, bool, bool], list[Outcome]] = defaultdict(list)
    for item in outcomes:
        by_branch = "branch" in item.label_reason.split(":", 1)[0]
        groups[(item.window.repo, item.labelled_ai, by_branch)].append(item)
    for members in groups.values():
        chance.shuffle(members)
    picked: list[Outcome] = []
    while len(picked) < size and any(groups.values()):
        for key in sorted(groups):
            if groups[key] and len(picked) < size:
                picked.append(groups[key].pop())
    return picked


def _shared_clone(mirror: Path, into: Path) -> Path:
    """A bare clone that borrows the mirror's objects: branches can be made in it, and the
    mirror is never written to."""
    target = into / mirror.parent.name
    if not target.exists():
        subprocess.run(
            ["git", "clone", "-q", "--bare", "--shared", str(mirror), str(target)],
            check=True,
            capture_output=True,
        )
    return target


def analyze_end_to_end(items: list[Outcome], mirrors: Path) -> list[Outcome]:
    done: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="detection-") as scratch:
        for item in items:
            clone = _shared_clone(item.window.clone(mirrors), Path(scratch))
            head = item.change.head
            if item.change.branch:
                # The merged branch, under its name, as the pull request's head.
                git(clone, "update-ref", f"refs/heads/{item.change.branch}", item.change.head)
                head = item.change.branch
            args = [
                sys.executable,
                "-m",
                "bot.cli",
                "analyze",
                "--repo",
                str(clone),
                "--base",
                item.change.base,
                "--head",
                head,
                "--format",
                "json",
            ]
            config_file = Path(scratch) / "config.yml"
            if item.window.config:
                config_file.write_text(item.window.config, encoding="utf-8")
                args += ["--config", str(config_file)]
            run = subprocess.run(
                args,
                capture_output=True,
                text=True,
                cwd=ROOT,
                env={**os.environ, "NO_COLOR": "1"},
                check=False,
            )
            if run.returncode != 0:
                print(
                    f"analyze failed on {item.window.repo} {item.change.sha[:10]}: "
                    f"{run.stderr.strip()[-300:]}"
                )
                continue
            result: dict[str, Any] = json.loads(run.stdout)
            evidence = result["ai"]["evidence"]
            done.append(
                Outcome(
                    window=item.window,
                    change=item.change,
                    labelled_ai=item.labelled_ai,
                    labelled_tools=item.labelled_tools,
                    label_reason=item.label_reason,
                    detected=result["ai"]["assisted"],
                    detected_tools=tuple(dict.fromkeys(e["tool"] for e in evidence)),
                    evidence="; ".join(
                        f"{e['signal']} {e['tool']}: {e['detail']}" for e in evidence[:2]
                    ),
                    level=result["risk"]["level"],
                )
            )
            print(".", end="", flush=True)
    print()
    return done


# --- reports ------------------------------------------------------------------------------------


def _table(rows: Iterable[tuple[str, ...]], header: tuple[str, ...]) -> str:
    rows = [header, *rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.rjust(widths[i]) if i else cell.ljust(widths[i]) for i, cell in enumerate(row)
        )
        for row in rows
    )


def _ratio(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator:.3f}" if denominator else "-"


def _scores(items: list[Outcome]) -> tuple[str, ...]:
    tp = sum(1 for o in items if o.labelled_ai and o.detected)
    fp = sum(1 for o in items if not o.labelled_ai and o.detected)
    fn = sum(1 for o in items if o.labelled_ai and not o.detected)
    return (
        str(len(items)),
        str(tp + fn),
        str(tp),
        str(fp),
        str(fn),
        _ratio(tp, tp + fp),
        _ratio(tp, tp + fn),
    )


HEADER = ("", "changes", "AI", "found", "false+", "missed", "precision", "recall")


def report(outcomes: list[Outcome], title: str, details: bool = True) -> None:
    print(f"\n== {title}")
    by_repo: dict[str, list[Outcome]] = defaultdict(list)
    for item in outcomes:
        by_repo[item.window.repo].append(item)
    rows = [(repo, *_scores(items)) for repo, items in by_repo.items()]
    rows.append(("all", *_scores(outcomes)))
    print(_table(rows, ("repository", *HEADER[1:])))

    # Per tool: recall over the changes labelled with it; precision over the changes the bot
    # attributes to it (a human change it flags, or an AI change of another tool, is its error).
    tools = sorted({t for o in outcomes for t in (*o.labelled_tools, *o.detected_tools)})
    tool_rows = []
    for tool in tools:
        labelled = [o for o in outcomes if tool in o.labelled_tools]
        found = sum(1 for o in labelled if o.detected)
        attributed = [o for o in outcomes if tool in o.detected_tools]
        right = sum(1 for o in attributed if o.labelled_ai)
        tool_rows.append(
            (
                tool,
                str(len(labelled)),
                str(found),
                _ratio(found, len(labelled)),
                str(len(attributed)),
                str(len(attributed) - right),
                _ratio(right, len(attributed)),
            )
        )
    print()
    print(
        _table(
            tool_rows,
            ("tool", "labelled", "found", "recall", "attributed", "on human", "precision"),
        )
    )

    if not details:
        return
    misses = [o for o in outcomes if o.labelled_ai and not o.detected]
    false_positives = [o for o in outcomes if not o.labelled_ai and o.detected]
    print(f"\nmissed ({len(misses)}): labelled AI by the rule shown, not detected")
    for item in misses:
        print(f"  {item.window.repo} {item.change.sha[:10]} {_what(item.change)}")
        print(f"      label {item.label_reason}")
    print(f"\nfalse positives ({len(false_positives)}): detected, labelled human")
    for item in false_positives:
        print(f"  {item.window.repo} {item.change.sha[:10]} {_what(item.change)}")
        print(f"      bot {item.evidence}")


def _what(change: Change) -> str:
    subject = change.merge.subject if change.merge else change.commits[0].subject
    return f"{change.branch + ' ' if change.branch else ''}{subject[:70]!r}"


def report_levels(outcomes: list[Outcome]) -> None:
    rows = []
    for name, members in (
        ("labelled AI", [o for o in outcomes if o.labelled_ai]),
        ("labelled human", [o for o in outcomes if not o.labelled_ai]),
        ("all", outcomes),
    ):
        counts = Counter(o.level for o in members)
        rows.append((name, str(len(members)), *(str(counts[level]) for level in LEVELS)))
    print("\nrisk level of the end-to-end sample")
    print(_table(rows, ("changes", "n", *LEVELS)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS)
    parser.add_argument(
        "--analyze", type=int, default=0, metavar="N", help="also run N changes end to end"
    )
    parser.add_argument(
        "--builtin-only", action="store_true", help="ignore the windows' repo configs"
    )
    args = parser.parse_args()
    labels = read_labels()
    outcomes: list[Outcome] = []
    for window in load_windows():
        clone = window.clone(args.mirrors)
        if not clone.exists():
            print(f"skipped {window.repo}: no clone at {clone}")
            continue
        detector = detector_for(window, args.builtin_only)
        for change in changes(window, clone):
            label = labels.get((window.repo, change.sha))
            if label is None:
                print(f"no label for {window.repo} {change.sha}: run corpus_label.py")
                continue
            outcomes.append(outcome(window, change, label, detector.detect(snapshot_of(change))))
    for split in ("tuning", "held-out"):
        chosen = [o for o in outcomes if o.window.split == split]
        if chosen:
            report(chosen, f"detection, {split} windows (engine Detector, commits and branches)")
    report(outcomes, "detection, whole corpus", details=False)
    if args.analyze:
        print(f"\nrunning `ai-review-bot analyze --format json` on {args.analyze} changes")
        end_to_end = analyze_end_to_end(sample(outcomes, args.analyze), args.mirrors)
        report(end_to_end, "end to end (`ai-review-bot analyze --format json`)")
        report_levels(end_to_end)
    return 0


if __name__ == "__main__":
    sys.exit(main())
