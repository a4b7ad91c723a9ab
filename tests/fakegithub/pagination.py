"""GitHub's page-number pagination: `per_page` and `page`, and the Link header."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from yarl import URL

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100

T = TypeVar("T")


def _positive(text: str | None) -> int | None:
    if text is None or not text.strip().isdigit():
        return None
    value = int(text)
    return value if value > 0 else None


@dataclass(frozen=True, slots=True)
class Page:
    number: int
    size: int

    @classmethod
    def requested(cls, query: Mapping[str, str]) -> Page:
        """The page a query asks for; like GitHub, bad values fall back and sizes clamp to 100."""
        size = min(_positive(query.get("per_page")) or DEFAULT_PER_PAGE, MAX_PER_PAGE)
        return cls(number=_positive(query.get("page")) or 1, size=size)

    def slice(self, items: Sequence[T]) -> list[T]:
        start = (self.number - 1) * self.size
        return list(items[start : start + self.size])

    def link_header(self, url: URL, total: int) -> str | None:
        """rel="prev", "next", "last", "first" links in GitHub's order; None for one page."""
        last = max(1, math.ceil(total / self.size))
        if last == 1 and self.number == 1:
            return None
        links = []
        if self.number > 1:
            links.append((min(self.number - 1, last), "prev"))
        if self.number < last:
            links.append((self.number + 1, "next"))
            links.append((last, "last"))
        if self.number > 1:
            links.append((1, "first"))
        return ", ".join(
            f'<{url.update_query(per_page=self.size, page=number)}>; rel="{rel}"'
            for number, rel in links
        )
