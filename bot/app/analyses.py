"""Analyses in the App: how one runs (on a thread, or handed to a worker process), and when
the App may reuse an analysis of a head instead of computing it again: its cache key."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Iterable, Sequence

from bot.engine.pipeline import analyze
from bot.engine.result import Analysis, Evidence
from bot.engine.ruleset import Ruleset
from bot.engine.snapshot import Snapshot
from bot.github.context import PullRequestContext
from bot.tools import default_tools

Analyzer = Callable[[Snapshot, Ruleset, Sequence[Evidence]], Awaitable[Analysis]]
# The changed files and texts of a pull request for a ruleset, when not the usual gather.
Changes = Callable[[PullRequestContext, Ruleset], Awaitable[Snapshot]]


def analyze_snapshot(
    snapshot: Snapshot, ruleset: Ruleset, declared: Sequence[Evidence] = ()
) -> Analysis:
    """The engine run, with the change tools, as a top-level function a worker process can be
    handed."""
    return analyze(snapshot, ruleset, declared=declared, tools=default_tools())


def thread_analyzer() -> Analyzer:
    """Run analyses on a thread of this process (tests, and `analysis_workers=0`)."""

    async def run(snapshot: Snapshot, ruleset: Ruleset, declared: Sequence[Evidence]) -> Analysis:
        return await asyncio.to_thread(analyze_snapshot, snapshot, ruleset, declared)

    return run


def analysis_key(
    context: PullRequestContext, declared: Iterable[Evidence], labels: Iterable[str]
) -> str:
    """An analysis is reusable for the same head under the same config files, CODEOWNERS,
    declarations and labels (those people put on: a label event the App caused itself reuses it)."""
    digest = hashlib.sha256()
    # CODEOWNERS too: the owners each touched file needs are part of the analysis.
    parts = (
        context.org_config_text,
        context.config_text,
        *map(str, context.checklist_texts),
        str(context.codeowners),
    )
    for part in (*parts, *map(str, declared), *(f"label:{label}" for label in labels)):
        digest.update((part or "").encode() + b"\0")
    return f"{context.repo.full_name}@{context.snapshot.head_sha}:{digest.hexdigest()[:16]}"
