"""State the App keeps besides GitHub itself, behind a small interface.

GitHub is the source of truth for reviews and comments; the store remembers deliveries seen,
the check run made for each head, and analyses per head so a review does not re-read the diff.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, Protocol

from bot.engine.result import Analysis

DELIVERY_TTL_SECONDS = 8 * 24 * 3600  # GitHub redelivers for days; remember for over a week


class Store(Protocol):
    async def first_delivery(self, delivery_id: str) -> bool:
        """True the first time a delivery id is seen; False for a redelivery."""

    async def check_run(self, repo: str, head_sha: str) -> int | None: ...

    async def remember_check_run(self, repo: str, head_sha: str, check_id: int) -> None: ...

    async def analysis(self, key: str) -> Analysis | None: ...

    async def remember_analysis(self, key: str, analysis: Analysis) -> None: ...

    async def audit(self, entry: dict[str, str]) -> None:
        """Record who overrode or declared what (operators read it back with `audit_log`)."""

    async def audit_log(self) -> list[dict[str, str]]: ...

    async def healthy(self) -> bool: ...


class MemoryStore:
    """The store for one process: bounded, forgotten on restart."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._max = max_entries
        self._deliveries: OrderedDict[str, float] = OrderedDict()
        self._check_runs: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._analyses: OrderedDict[str, Analysis] = OrderedDict()
        self._audit: list[dict[str, str]] = []

    def _trim(self, table: OrderedDict[Any, Any]) -> None:
        while len(table) > self._max:
            table.popitem(last=False)

    async def first_delivery(self, delivery_id: str) -> bool:
        now = time.time()
        while (
            self._deliveries and next(iter(self._deliveries.values())) < now - DELIVERY_TTL_SECONDS
        ):
            self._deliveries.popitem(last=False)
        if delivery_id in self._deliveries:
            return False
        self._deliveries[delivery_id] = now
        self._trim(self._deliveries)
        return True

    async def check_run(self, repo: str, head_sha: str) -> int | None:
        return self._check_runs.get((repo, head_sha))

    async def remember_check_run(self, repo: str, head_sha: str, check_id: int) -> None:
        self._check_runs[(repo, head_sha)] = check_id
        self._trim(self._check_runs)

    async def analysis(self, key: str) -> Analysis | None:
        return self._analyses.get(key)

    async def remember_analysis(self, key: str, analysis: Analysis) -> None:
        self._analyses[key] = analysis
        self._analyses.move_to_end(key)
        self._trim(self._analyses)

    async def audit(self, entry: dict[str, str]) -> None:
        self._audit.append({"at": str(time.time()), **entry})
        del self._audit[: -self._max]

    async def audit_log(self) -> list[dict[str, str]]:
        return list(self._audit)

    async def healthy(self) -> bool:
        return True
