"""Primary rate limits: one budget per caller and resource, reset every hour like GitHub's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Resource = Literal["core", "graphql", "search"]
WINDOW_SECONDS = 3600
SEARCH_WINDOW_SECONDS = 60
UNAUTHENTICATED_LIMIT = 60


@dataclass(slots=True)
class Bucket:
    resource: Resource
    limit: int
    remaining: int
    reset: int
    """Epoch second when the window ends and `remaining` returns to `limit`."""

    @property
    def used(self) -> int:
        return self.limit - self.remaining

    def take(self, cost: int = 1) -> bool:
        """Spend `cost` if the budget allows; False when it is exhausted."""
        if self.remaining < cost:
            return False
        self.remaining -= cost
        return True

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(self.reset),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-resource": self.resource,
        }


class RateLimits:
    """Budgets by caller key ("installation:ID", "app", "anonymous") and resource."""

    def __init__(
        self, clock: Callable[[], float], core: int = 5000, graphql: int = 5000, search: int = 30
    ) -> None:
        self._clock = clock
        self.limits: dict[Resource, int] = {"core": core, "graphql": graphql, "search": search}
        self._buckets: dict[tuple[str, Resource], Bucket] = {}

    def bucket(self, caller: str, resource: Resource) -> Bucket:
        now = int(self._clock())
        current = self._buckets.get((caller, resource))
        if current is None or now >= current.reset:
            limit = UNAUTHENTICATED_LIMIT if caller == "anonymous" else self.limits[resource]
            window = SEARCH_WINDOW_SECONDS if resource == "search" else WINDOW_SECONDS
            current = Bucket(resource, limit, limit, now + window)
            self._buckets[(caller, resource)] = current
        return current

    def set_remaining(self, caller: str, resource: Resource, remaining: int) -> None:
        self.bucket(caller, resource).remaining = remaining
