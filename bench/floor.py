"""The floor: the analysis libraries called directly on one change, in one process.

This is what `ai-review-bot analyze` cannot do much better than: the same libraries on the
same changed files with no engine around them, no config, no process pool, no output.

    .venv/bin/python bench/floor.py --repo DIR [--base main] [--head HEAD]

prints one JSON object: seconds per stage and what each stage saw. The stages:

1. `git diff --find-renames --unified=0 base head` (one subprocess);
2. unidiff parses it; files are left out as the engine leaves them out: binary, matching the
   skip globs of bot/data/defaults.yml, or minified (a line over 1,000 characters);
3. one `git cat-file --batch` reads the head text of every code file, and the base text of
   the modified and renamed ones;
4. radon, for Python files, head and base: one `ast.parse`, `ComplexityVisitor` (cyclomatic
   complexity per function) and the maintainability index from the same tree (Halstead
   volume, raw line counts): what the `complexity` signal needs;
5. bandit, for Python files: its manager's parser and default tests on the head text;
6. detect-secrets: every regex plugin (entropy, keyword and public-IP plugins left out),
   each of its patterns searched once over the added lines of a file joined together;
7. lizard, for the other languages with a complexity meter (bot/data/languages.yml): head
   and base text.

Only the two YAML data files are read from bot/; no bot code is imported.
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib
import io
import json
import logging
import pkgutil
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_STARTED = time.perf_counter()

import ast  # noqa: E402  (the clock above starts before the imports it measures)

import bandit.core.config  # noqa: E402
import bandit.core.manager  # noqa: E402
import detect_secrets.plugins  # noqa: E402
import lizard  # noqa: E402
import yaml  # noqa: E402
from detect_secrets.plugins.base import RegexBasedDetector  # noqa: E402
from radon.metrics import h_visit_ast, mi_compute  # noqa: E402
from radon.raw import analyze as raw_analyze  # noqa: E402
from radon.visitors import ComplexityVisitor  # noqa: E402
from unidiff.patch import PatchSet  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "bot" / "data"
MINIFIED_LINE = 1000
# Not credentials by shape: left out by the engine as well.
LEFT_OUT_PLUGINS = frozenset({"IPPublicDetector"})


@dataclass(slots=True)
class FileWork:
    path: str
    base_path: str | None
    added: list[str]
    head_text: str | None = None
    base_text: str | None = None


@dataclass(slots=True)
class Floor:
    stages: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def time(self, stage: str, started: float) -> float:
        now = time.perf_counter()
        self.stages[stage] = now - started
        return now


def _skip_globs() -> list[str]:
    defaults = yaml.safe_load((DATA / "defaults.yml").read_text(encoding="utf-8"))
    return [str(glob) for glob in defaults["skip"]]


def _meters() -> dict[str, str]:
    """File extension -> complexity meter (radon or lizard)."""
    table = yaml.safe_load((DATA / "languages.yml").read_text(encoding="utf-8"))
    languages = table["languages"] if isinstance(table, dict) else table
    meters: dict[str, str] = {}
    for language in languages:
        meter = language.get("meter")
        if meter:
            for extension in language.get("extensions", []):
                meters[extension] = meter
    return meters


def skipped(path: str, globs: list[str]) -> bool:
    """The skip list as the engine reads it: `dir/` is a folder anywhere, a bare glob matches the
    file name, a glob with a slash matches the whole path."""
    parts = path.split("/")
    for glob in globs:
        if glob.endswith("/"):
            if glob.rstrip("/") in parts[:-1]:
                return True
        elif "/" in glob:
            if fnmatch.fnmatchcase(path, glob):
                return True
        elif fnmatch.fnmatchcase(parts[-1], glob):
            return True
    return False


def _git(repo: str, *args: str, stdin: bytes | None = None) -> bytes:
    done = subprocess.run(
        ["git", "-c", "core.quotepath=off", *args],
        cwd=repo,
        input=stdin,
        capture_output=True,
        check=True,
    )
    return done.stdout


def read_blobs(repo: str, requests: list[tuple[str, str]]) -> list[str | None]:
    """Texts of (ref, path) pairs through one `git cat-file --batch`."""
    if not requests:
        return []
    out = _git(
        repo, "cat-file", "--batch", stdin="".join(f"{r}:{p}\n" for r, p in requests).encode()
    )
    texts: list[str | None] = []
    pos = 0
    for _ in requests:
        newline = out.index(b"\n", pos)
        header = out[pos:newline].split()
        pos = newline + 1
        if len(header) != 3 or header[1] != b"blob":
            texts.append(None)
            continue
        size = int(header[2])
        texts.append(out[pos : pos + size].decode("utf-8", "replace"))
        pos += size + 1
    return texts


def _radon(text: str) -> int:
    """Functions measured; raises SyntaxError like the parser does."""
    tree = ast.parse(text)
    visit = ComplexityVisitor.from_ast(tree)
    lines = raw_analyze(text)
    comments = (lines.comments + lines.multi) / lines.sloc * 100 if lines.sloc else 0
    mi_compute(h_visit_ast(tree).total.volume, visit.total_complexity, lines.lloc, comments)
    return len(visit.functions) + sum(len(c.methods) for c in visit.classes)


def _secret_patterns() -> list[re.Pattern[str]]:
    for module in pkgutil.iter_modules(detect_secrets.plugins.__path__):
        importlib.import_module(f"detect_secrets.plugins.{module.name}")
    patterns: list[re.Pattern[str]] = []
    pending: list[type[Any]] = [RegexBasedDetector]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls is not RegexBasedDetector and cls.__name__ not in LEFT_OUT_PLUGINS:
            patterns.extend(cls().denylist)
    return patterns


def run(repo: str, base: str, head: str) -> Floor:
    floor = Floor()
    logging.getLogger("bandit").setLevel(logging.ERROR)
    now = floor.time("import", _STARTED)

    diff = _git(repo, "diff", "--no-color", "--find-renames", "--unified=0", base, head)
    now = floor.time("git diff", now)

    globs, meters = _skip_globs(), _meters()
    work: list[FileWork] = []
    left_out = 0
    for patched in PatchSet(diff.decode("utf-8", "replace")):
        if patched.is_removed_file:
            continue
        path = patched.target_file.removeprefix("b/")
        added = [line.value.rstrip("\n") for hunk in patched for line in hunk if line.is_added]
        if patched.is_binary_file or skipped(path, globs):
            left_out += 1
            continue
        base_path = None if patched.is_added_file else patched.source_file.removeprefix("a/")
        work.append(FileWork(path, base_path, added))
    floor.counts["files analyzed"] = len(work)
    floor.counts["added lines"] = sum(len(item.added) for item in work)
    now = floor.time("unidiff parse", now)

    code = [item for item in work if Path(item.path).suffix in meters]
    requests = [(head, item.path) for item in code]
    requests += [(base, item.base_path) for item in code if item.base_path]
    texts = iter(read_blobs(repo, requests))
    for item in code:
        item.head_text = next(texts)
    for item in code:
        if item.base_path:
            item.base_text = next(texts)
    minified = [
        i for i in code if any(len(x) > MINIFIED_LINE for x in (i.head_text or "").split("\n"))
    ]
    for item in minified:
        code.remove(item)
        work.remove(item)
    floor.counts["files left out"] = left_out + len(minified)
    floor.counts["text bytes"] = sum(len(i.head_text or "") + len(i.base_text or "") for i in code)
    now = floor.time("git cat-file", now)

    python = [item for item in code if meters[Path(item.path).suffix] == "radon"]
    functions = 0
    for item in python:
        for text in (item.head_text, item.base_text):
            if text is not None:
                try:
                    functions += _radon(text)
                except SyntaxError:
                    floor.counts["radon syntax errors"] = (
                        floor.counts.get("radon syntax errors", 0) + 1
                    )
    floor.counts["python files"] = len(python)
    floor.counts["python functions"] = functions
    now = floor.time("radon", now)

    manager = bandit.core.manager.BanditManager(bandit.core.config.BanditConfig(), "file")
    for item in python:
        if item.head_text is not None:
            names = [item.path]
            # The manager's own per-file step, fed from memory rather than from disk.
            manager._parse_file(item.path, io.BytesIO(item.head_text.encode()), names)
    floor.counts["bandit issues"] = len(manager.results)
    now = floor.time("bandit", now)

    patterns = _secret_patterns()
    secrets = 0
    for item in work:
        if item.added:
            joined = "\n".join(item.added)
            secrets += sum(1 for pattern in patterns if pattern.search(joined))
    floor.counts["secret hits"] = secrets
    now = floor.time("detect-secrets", now)

    others = [item for item in code if meters[Path(item.path).suffix] == "lizard"]
    measured = 0
    for item in others:
        for text in (item.head_text, item.base_text):
            if text is not None:
                info = lizard.analyze_file.analyze_source_code(item.path, text)
                measured += len(info.function_list)
    floor.counts["lizard files"] = len(others)
    floor.counts["lizard functions"] = measured
    floor.time("lizard", now)
    floor.stages["total"] = time.perf_counter() - _STARTED
    return floor


def main() -> int:
    parser = argparse.ArgumentParser(description="The library floor of one change.")
    parser.add_argument("--repo", required=True)
    parser.add_argument("--base", default="main")
    parser.add_argument("--head", default="HEAD")
    args = parser.parse_args()
    floor = run(args.repo, args.base, args.head)
    print(json.dumps({"stages": floor.stages, "counts": floor.counts}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
