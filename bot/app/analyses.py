"""When the App may reuse an analysis of a head instead of computing it again: its cache key."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from bot.engine.result import Evidence
from bot.github.context import PullRequestContext


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
