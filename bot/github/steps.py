"""The requests a gathering step may yield, and the answers each one is sent.

A gathering step is a generator (`Steps`): it yields the requests it needs and is sent their
answers, so what is asked and what the answers mean is written once, and the two drivers (the
App's gidgethub client, bot/github/fetch.py; `preview`'s PyGithub, bot/github/pygithub_adapter.py)
only send requests. The small steps here ask one request each and check the driver answered it
with the right kind of value.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

DIFF_MEDIA_TYPE = "application/vnd.github.diff"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class GraphQLQuery:
    """Answer: the response's `data`; parts GitHub reports NOT_FOUND come back as null."""

    query: str
    variables: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class DiffRequest:
    """Answer: the REST resource at `path` as a diff, or None when GitHub says it is too
    large (406)."""

    path: str


@dataclass(frozen=True, slots=True)
class ListRequest:
    """Answer: the raw items of the paginated REST list at `path`, in GitHub's order: the first
    `limit`, or all of them (None)."""

    path: str
    limit: int | None


@dataclass(frozen=True, slots=True)
class ItemRequest:
    """Answer: the REST object at `path`, or None when GitHub answers 404."""

    path: str


Request = GraphQLQuery | DiffRequest | ListRequest | ItemRequest
Answer = dict[str, Any] | list[dict[str, Any]] | str | None
# A gathering step: yields requests, is sent each one's answer, returns what it gathered.
Steps = Generator[Request, Answer, T]


class AnswerTypeError(TypeError):
    """An adapter answered a request with the wrong kind of value (a bug in the adapter)."""


def graphql(query: str, **variables: Any) -> Steps[dict[str, Any]]:
    """A GraphQL query's data."""
    answer = yield GraphQLQuery(query, variables)
    if not isinstance(answer, dict):
        raise AnswerTypeError(f"a GraphQL query was answered with {type(answer).__name__}")
    return answer


def diff(path: str) -> Steps[str | None]:
    """The resource at `path` as a diff; None when GitHub says it is too large."""
    answer = yield DiffRequest(path)
    if answer is not None and not isinstance(answer, str):
        raise AnswerTypeError(f"a diff was answered with {type(answer).__name__}")
    return answer


def listing(path: str, limit: int | None = None) -> Steps[list[dict[str, Any]]]:
    """The raw items of a paginated list: the first `limit`, or all of them."""
    answer = yield ListRequest(path, limit)
    if not isinstance(answer, list):
        raise AnswerTypeError(f"a list was answered with {type(answer).__name__}")
    return answer


def item(path: str) -> Steps[dict[str, Any] | None]:
    """The REST object at `path`; None when GitHub answers 404."""
    answer = yield ItemRequest(path)
    if answer is not None and not isinstance(answer, dict):
        raise AnswerTypeError(f"a REST object was answered with {type(answer).__name__}")
    return answer
