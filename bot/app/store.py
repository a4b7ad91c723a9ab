"""State the App keeps besides GitHub itself, behind a small interface.

GitHub is the source of truth for reviews and comments; the store remembers the check run made
for each head, analyses per head (so a review does not re-read the diff) and the audit log.
Deliveries seen live with the queue, which records them and their jobs in one transaction.
"""

from __future__ import annotations

from typing import Protocol

from bot.engine.result import Analysis

DELIVERY_TTL_SECONDS = 8 * 24 * 3600  # GitHub redelivers for days; remember for over a week


class Store(Protocol):
    async def check_run(self, repo: str, head_sha: str) -> int | None: ...

    async def remember_check_run(self, repo: str, head_sha: str, check_id: int) -> None: ...

    async def analysis(self, key: str) -> Analysis | None: ...

    async def remember_analysis(self, key: str, analysis: Analysis) -> None: ...

    async def audit(self, entry: dict[str, str]) -> None:
        """Record who overrode or declared what (operators read it back with `audit_log`)."""

    async def audit_log(self) -> list[dict[str, str]]: ...

    async def healthy(self) -> bool: ...
