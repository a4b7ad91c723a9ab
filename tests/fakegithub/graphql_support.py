"""What the GraphQL resolvers share: the per-request context, connections, batched git reads."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from tests.fakegithub.gitdata import (
    CommitInfo,
    GitCommandError,
    GitObject,
    commit_info,
    read_objects,
)
from tests.fakegithub.ratelimit import Bucket
from tests.fakegithub.routing import Caller
from tests.fakegithub.shapes import Site
from tests.fakegithub.state import FakeGitHub

T = TypeVar("T")
MAX_PAGE = 100
_CURSOR_PREFIX = "cursor:v2:"


class TypedError(Exception):
    """An error GitHub reports with a `type` (NOT_FOUND, EXCESSIVE_PAGINATION, ...)."""

    def __init__(self, type_: str, message: str) -> None:
        super().__init__(message)
        self.type = type_


def not_found(message: str) -> TypedError:
    return TypedError("NOT_FOUND", message)


class ObjectLoader:
    """Git objects by name; names asked for in one event-loop turn share one `git cat-file`.

    Aliased `object(expression:)` fields resolve concurrently, so a query that reads 200 files
    costs one git process, as GitHub serves it in one round trip.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._found: dict[str, GitObject | None] = {}
        self._pending: dict[str, asyncio.Future[GitObject | None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def load(self, name: str) -> GitObject | None:
        if name in self._found:
            return self._found[name]
        future = self._pending.get(name)
        if future is None:
            loop = asyncio.get_running_loop()
            future = loop.create_future()
            if not self._pending:
                loop.call_soon(self._dispatch)
            self._pending[name] = future
        return await future

    def _dispatch(self) -> None:
        batch, self._pending = self._pending, {}
        task = asyncio.ensure_future(self._fetch(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fetch(self, batch: dict[str, asyncio.Future[GitObject | None]]) -> None:
        try:
            found = await asyncio.to_thread(read_objects, self._path, list(batch))
        except (GitCommandError, OSError) as exc:
            for future in batch.values():
                future.set_exception(exc)
            return
        for (name, future), obj in zip(batch.items(), found, strict=True):
            self._found[name] = obj
            future.set_result(obj)


@dataclass(slots=True)
class Context:
    github: FakeGitHub
    caller: Caller
    bucket: Bucket
    site: Site
    _loaders: dict[Path, ObjectLoader] = field(default_factory=dict)
    _commits: dict[tuple[Path, str], CommitInfo | None] = field(default_factory=dict)

    def objects(self, path: Path) -> ObjectLoader:
        return self._loaders.setdefault(path, ObjectLoader(path))

    async def commit(self, path: Path, sha: str) -> CommitInfo | None:
        key = (path, sha)
        if key not in self._commits:
            self._commits[key] = await asyncio.to_thread(commit_info, path, sha)
        return self._commits[key]

    def remember(self, path: Path, commits: Sequence[CommitInfo]) -> None:
        """Commits already read in bulk need no second git call."""
        for info in commits:
            self._commits[(path, info.sha)] = info


def cursor(index: int) -> str:
    return base64.b64encode(f"{_CURSOR_PREFIX}{index}".encode()).decode()


def _index(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        decoded = base64.b64decode(text.encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        decoded = ""
    if not decoded.startswith(_CURSOR_PREFIX) or not decoded[len(_CURSOR_PREFIX) :].isdigit():
        raise TypedError(
            "INVALID_CURSOR_ARGUMENTS", f"`{text}` does not appear to be a valid cursor."
        )
    return int(decoded[len(_CURSOR_PREFIX) :])


@dataclass(frozen=True, slots=True)
class Edge(Generic[T]):
    cursor: str
    node: T


@dataclass(frozen=True, slots=True)
class Connection(Generic[T]):
    """A Relay connection over an in-memory list, paged as GitHub pages (at most 100)."""

    items: Sequence[T]
    start: int
    end: int
    total: int | None = None
    """What totalCount says when GitHub lists fewer items than there are (PR commits)."""

    @classmethod
    def page(
        cls,
        items: Sequence[T],
        connection: str,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        *,
        total: int | None = None,
    ) -> Connection[T]:
        if first is None and last is None:
            raise TypedError(
                "MISSING_PAGINATION_BOUNDARIES",
                f"You must provide a `first` or `last` value to properly paginate the "
                f"`{connection}` connection.",
            )
        for name, value in (("first", first), ("last", last)):
            if value is not None and value > MAX_PAGE:
                raise TypedError(
                    "EXCESSIVE_PAGINATION",
                    f"Requesting {value} records on the `{connection}` connection exceeds the "
                    f"`{name}` limit of {MAX_PAGE} records.",
                )
            if value is not None and value < 0:
                raise TypedError("INVALID_ARGUMENTS", f"`{name}` must be a positive number.")
        after_index, before_index = _index(after), _index(before)
        start = 0 if after_index is None else after_index + 1
        end = len(items) if before_index is None else min(before_index, len(items))
        if first is not None:
            end = min(end, start + first)
        if last is not None:
            start = max(start, end - last)
        return cls(items, start, max(start, end), total)

    @property
    def total_count(self) -> int:
        return len(self.items) if self.total is None else self.total

    @property
    def nodes(self) -> list[T]:
        return list(self.items[self.start : self.end])

    @property
    def edges(self) -> list[Edge[T]]:
        return [Edge(cursor(i), self.items[i]) for i in range(self.start, self.end)]

    @property
    def page_info(self) -> dict[str, object]:
        empty = self.start >= self.end
        return {
            "start_cursor": None if empty else cursor(self.start),
            "end_cursor": None if empty else cursor(self.end - 1),
            "has_next_page": self.end < len(self.items),
            "has_previous_page": self.start > 0,
        }
