"""A gidgethub client that behaves well towards GitHub.

Every request has a timeout. 5xx answers, timeouts and secondary rate limits are retried with
exponential backoff and full jitter, honouring `Retry-After` and `x-ratelimit-reset` when GitHub
sends them. Requests are counted by status for the metrics and the closing figures.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiohttp
from gidgethub import (
    BadGraphQLRequest,
    BadRequest,
    GitHubBroken,
    GraphQLAuthorizationFailure,
    GraphQLResponseTypeError,
    HTTPException,
    QueryError,
    RateLimitExceeded,
    sansio,
)
from gidgethub.aiohttp import GitHubAPI

from bot.github import meaning

USER_AGENT = "ai-review-bot"
MAX_ATTEMPTS = 5
BASE_DELAY = 0.5
MAX_DELAY = 30.0
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)
RETRIED_GRAPHQL_STATUSES = frozenset({403, 429, 500, 502, 503, 504})


# Called with each answer's status and headers (metrics: requests by status, rate limit left).
Observer = Callable[[int, Mapping[str, str]], None]
# Held around each mutating request of one installation: an asyncio.Lock in one process, a
# Redis lock shared by every worker when scaled out.
WriteLock = AbstractAsyncContextManager[Any]


class GitHubUnavailable(Exception):
    """GitHub did not answer usefully after every retry; the job should be retried later."""


def _is_secondary_limit(exc: HTTPException) -> bool:
    return meaning.is_secondary_limit(exc.status_code, str(exc), exc.headers)


def transient(exc: BaseException | None) -> bool:
    """Whether GitHub being down or busy caused `exc`: worth trying the whole job again later."""
    if isinstance(exc, GitHubUnavailable | GitHubBroken | RateLimitExceeded | TimeoutError):
        return True
    if isinstance(exc, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError):
        return True
    if isinstance(exc, BadRequest) and _is_secondary_limit(exc):
        return True
    if isinstance(exc, meaning.GraphQLRateLimited):
        return True
    return isinstance(exc, BadGraphQLRequest) and exc.status_code in meaning.RATE_LIMIT_STATUSES


_JITTER = random.SystemRandom()


def token_refused(exc: BaseException | None) -> bool:
    """GitHub answered 401: the installation token was revoked (or expired early); a new one
    may work, the same one never will."""
    while exc is not None:
        if isinstance(exc, GraphQLAuthorizationFailure) or (
            isinstance(exc, BadRequest) and exc.status_code == meaning.TOKEN_REFUSED
        ):
            return True
        exc = exc.__cause__
    return False


def backoff(attempt: int) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2**attempt)]."""
    return _JITTER.uniform(0, min(MAX_DELAY, BASE_DELAY * 2**attempt))


class GitHubClient(GitHubAPI):
    """One installation's view of GitHub (or the App's, with a JWT)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        oauth_token: str | None,
        base_url: str,
        graphql_url: str,
        max_wait: float = 120.0,
        observe: Observer | None = None,
        write_lock: WriteLock | None = None,
    ) -> None:
        super().__init__(session, USER_AGENT, oauth_token=oauth_token, base_url=base_url)
        self.graphql_url = graphql_url
        self._observe = observe
        # GitHub asks integrations to make mutating requests one at a time (secondary limits).
        self._write_lock = write_lock
        self.statuses: Counter[int] = Counter()
        self._max_wait = max_wait
        self._waited = 0.0
        self._attempts = MAX_ATTEMPTS

    def __repr__(self) -> str:
        return f"GitHubClient(base_url={self.base_url!r})"

    @contextlib.contextmanager
    def single_attempt(self) -> Iterator[None]:
        """Requests inside are sent once, never retried: for a request that creates something,
        whose lost answer must be followed by a look for what it created, not a second one."""
        self._attempts = 1
        try:
            yield
        finally:
            self._attempts = MAX_ATTEMPTS

    @property
    def request_count(self) -> int:
        return sum(self.statuses.values())

    async def _request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes = b""
    ) -> tuple[int, Mapping[str, str], bytes]:
        mutating = method != "GET" and url != self.graphql_url
        lock = self._write_lock if mutating else None
        attempts = self._attempts
        for attempt in range(1, attempts + 1):
            try:
                # One mutating request of the installation at a time (held per attempt, not
                # across the waits between attempts).
                async with (
                    lock if lock is not None else contextlib.nullcontext(),
                    self._session.request(
                        method, url, headers=headers, data=body, timeout=REQUEST_TIMEOUT
                    ) as response,
                ):
                    answer = response.status, response.headers, await response.read()
            except (TimeoutError, aiohttp.ClientConnectionError, aiohttp.ClientPayloadError):
                self.statuses[0] += 1
                if attempt == attempts:
                    raise GitHubUnavailable(f"{method} {url}: no answer from GitHub") from None
                await self._pause(backoff(attempt))
                continue
            self.statuses[answer[0]] += 1
            if self._observe is not None:
                self._observe(answer[0], answer[1])
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    async def _pause(self, seconds: float) -> None:
        if self._waited + seconds > self._max_wait:
            raise GitHubUnavailable(f"GitHub asked us to wait longer than {self._max_wait:.0f} s")
        self._waited += seconds
        await self.sleep(seconds)

    async def handle_rate_limit_error(
        self, *, method: str, url: str, exception: HTTPException, attempt: int
    ) -> bool:
        retryable = isinstance(exception, GitHubBroken | RateLimitExceeded) or (
            isinstance(exception, BadRequest) and _is_secondary_limit(exception)
        )
        if not retryable or attempt >= self._attempts:
            return False
        wait = meaning.retry_after(exception.headers, time.time())
        await self._pause(wait if wait is not None else backoff(attempt))
        return True

    async def get_diff(self, url: str, media_type: str) -> str | None:
        """A diff as text (never assumed UTF-8), or None when GitHub says it is too large (406)."""
        full_url = sansio.format_url(url, {}, base_url=self.base_url)
        headers = sansio.create_headers(
            self.requester, accept=media_type, oauth_token=self.oauth_token
        )
        for attempt in range(1, MAX_ATTEMPTS + 1):
            status, response_headers, body = await self._request("GET", full_url, headers)
            if status == meaning.TOO_LARGE:
                return None
            if status == 200:
                return body.decode("utf-8", "replace")
            try:
                sansio.decipher_response(status, response_headers, body)
            except HTTPException as exc:
                if not await self.handle_rate_limit_error(
                    method="GET", url=full_url, exception=exc, attempt=attempt
                ):
                    raise
        raise GitHubUnavailable(f"GET {url}: GitHub kept failing")

    async def query(self, query: str, **variables: Any) -> dict[str, Any]:
        """A GraphQL query with the same retries as REST; its data as meaning.graphql_data
        reads it (parts GitHub reports NOT_FOUND are null). Raises meaning.GraphQLRateLimited
        when the budget stays used up, meaning.GraphQLFailed on any other error."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                data: dict[str, Any] = await self.graphql(
                    query, endpoint=self.graphql_url, **variables
                )
            except QueryError as exc:
                # GraphQL says "rate limited" with HTTP 200; its headers carry the reset time.
                reset = self.rate_limit.reset_datetime.timestamp() if self.rate_limit else None
                try:
                    return meaning.graphql_data(exc.response, None if reset is None else int(reset))
                except meaning.GraphQLRateLimited as limited:
                    if attempt == MAX_ATTEMPTS:
                        raise limited from exc
                    await self._pause(max(1.0, (limited.reset or 0) - time.time()))
                    continue
                except meaning.GraphQLFailed as failed:
                    raise failed from exc
            except (GitHubBroken, BadGraphQLRequest, GraphQLResponseTypeError) as exc:
                # A 5xx, a rate limit, or an HTML error page from a proxy in front of GitHub.
                status = int(getattr(exc, "status_code", 502))
                if attempt == MAX_ATTEMPTS or status not in RETRIED_GRAPHQL_STATUSES:
                    raise
                await self._pause(backoff(attempt))
                continue
            else:
                return data
        raise AssertionError("unreachable")  # pragma: no cover
