"""`preview`'s driver: the gathering steps answered through PyGithub, synchronously.

Only how a request is sent lives here; what is asked and what the answers mean is in
bot/github/gather.py, questions.py and meaning.py, shared with the App. Besides running steps,
the adapter answers the three things preview asks beyond the App (the pull request's base
branch, whether a repository is visible, team membership with a team it may not see) from the
same questions.

PyGithub's exceptions (GithubException and its subclasses, requests' connection errors) are
left to the caller, which turns them into one line for a person.
"""

from __future__ import annotations

import json
import re
import time
from itertools import islice
from typing import Any, TypeVar

import requests
import urllib3
from github import (
    Auth,
    BadCredentialsException,
    Github,
    GithubException,
    RateLimitExceededException,
)
from github.GithubObject import NonCompletableGithubObject
from github.PaginatedList import PaginatedList
from urllib3.util.retry import Retry

from bot.github import meaning, questions
from bot.github.context import RepoRef
from bot.github.meaning import GraphQLFailed, GraphQLRateLimited, Membership
from bot.github.steps import (
    DIFF_MEDIA_TYPE,
    Answer,
    DiffRequest,
    GraphQLQuery,
    ItemRequest,
    ListRequest,
    Request,
    Steps,
)

T = TypeVar("T")
USER_AGENT = "ai-review-bot"
PER_PAGE = 100
# An interactive command: a flaky network or a 5xx is retried twice, quickly (backoff with
# jitter); a rate limit is never waited out (the caller says when it resets instead).
TIMEOUT_SECONDS = 15
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")
RETRIES = 2
BACKOFF_SECONDS = 0.25


def connect(api_url: str, token: str) -> Github:
    """A PyGithub client for `api_url` (GitHub Enterprise Server: https://HOST/api/v3)."""
    retry = Retry(
        total=RETRIES,
        backoff_factor=BACKOFF_SECONDS,
        backoff_jitter=BACKOFF_SECONDS,
        status_forcelist=(500, 502, 503, 504),
        # POST is GraphQL here, a read: preview never writes.
        allowed_methods=frozenset({"GET", "POST"}),
        respect_retry_after_header=False,
        raise_on_status=False,
    )
    return Github(
        auth=Auth.Token(token),
        base_url=api_url.rstrip("/"),
        timeout=TIMEOUT_SECONDS,
        user_agent=USER_AGENT,
        per_page=PER_PAGE,
        retry=retry,
        seconds_between_requests=None,
        lazy=True,
    )


def _json(text: str) -> dict[str, Any]:
    try:
        parsed = json.loads(text)
    except ValueError:
        return {"message": text[:200]}
    return parsed if isinstance(parsed, dict) else {}


class PyGithubAdapter:
    """One token's view of GitHub through PyGithub."""

    def __init__(self, github: Github) -> None:
        self._github = github
        self._requester = github.requester
        self._teams_seen: dict[str, bool] = {}

    def __repr__(self) -> str:
        return f"PyGithubAdapter(base_url={self._requester.base_url!r})"

    def close(self) -> None:
        """Close the HTTP connections."""
        self._github.close()

    def run(self, steps: Steps[T]) -> T:
        """Drive a gathering step to its end, answering each request it yields."""
        answer: Answer = None
        while True:
            try:
                request = steps.send(answer)
            except StopIteration as done:
                result: T = done.value
                return result
            answer = self._answer(request)

    def _answer(self, request: Request) -> Answer:
        match request:
            case GraphQLQuery(query, variables):
                headers, body = self._requester.requestJsonAndCheck(
                    "POST",
                    self._requester.graphql_url,
                    input={"query": query, "variables": dict(variables)},
                )
                return meaning.graphql_data(body, meaning.rate_limit_reset(headers))
            case DiffRequest(path):
                status, headers, text = self._requester.requestJson(
                    "GET", path, headers={"Accept": DIFF_MEDIA_TYPE}
                )
                if status == meaning.TOO_LARGE:
                    return None
                if status >= 400:
                    raise self._requester.createException(status, headers, _json(text))
                return text
            case ListRequest(path, limit):
                items = PaginatedList(_Item, self._requester, path)
                return [found.raw_data for found in islice(items, limit)]
            case ItemRequest(path):
                try:
                    _, item = self._requester.requestJsonAndCheck("GET", path)
                except GithubException as exc:
                    if exc.status == meaning.ABSENT:
                        return None
                    raise
                return dict(item)

    def base_ref(self, repo: RepoRef, number: int) -> str:
        """The branch pull request `number` merges into; raises UnknownObjectException when
        the token sees no such pull request (preview then asks whether it sees the
        repository, to say which)."""
        _, pull = self._requester.requestJsonAndCheck("GET", questions.pull_path(repo, number))
        return meaning.base_ref(pull)

    def can_see(self, repo: RepoRef) -> bool:
        """Whether the token can read the repository at all (GitHub answers 404 otherwise)."""
        return self.run(questions.repository_visible(repo))

    def is_member(self, team: str, login: str) -> bool | None:
        """Active membership of `login` in `@org/slug`, asked as the App asks; None when this
        token cannot see the team (GitHub answers 403, or 404 for the team itself)."""
        try:
            found = self.run(questions.membership(team, login))
        except GithubException as exc:
            if exc.status == 403:
                return None
            raise
        if found is not Membership.NONE:
            return found is Membership.ACTIVE
        # 404 is both "not a member" and "no such team for you": ask about the team once.
        return False if self._team_visible(team) else None

    def _team_visible(self, team: str) -> bool:
        if team not in self._teams_seen:
            try:
                self._teams_seen[team] = self.run(questions.team_visible(team))
            except GithubException as exc:
                if exc.status != 403:
                    raise
                self._teams_seen[team] = False
        return self._teams_seen[team]


class _Item(NonCompletableGithubObject):
    """An item of a REST list, kept as GitHub sent it (`raw_data`) for the steps to read."""

    def _initAttributes(self) -> None:
        pass

    def _useAttributes(self, attributes: dict[str, Any]) -> None:
        pass


# -- what went wrong, in one line (preview says it) ---------------------------------------


def _message(exc: GithubException) -> str:
    """GitHub's message, fit for a terminal (it goes to one)."""
    data = exc.data if isinstance(exc.data, dict) else {}
    return meaning.message_line(str(data.get("message") or exc.message or ""))


def _rate_limited(exc: GithubException) -> str:
    if meaning.is_secondary_limit(exc.status, _message(exc), exc.headers):
        retry_after = meaning.header(exc.headers, "retry-after")
        wait = f"wait {retry_after} s" if retry_after else "wait a few minutes"
        return f"GitHub's secondary rate limit stopped the preview: {wait} and run it again"
    reset = meaning.rate_limit_reset(exc.headers)
    return (
        "GitHub's API rate limit for this token is used up; it "
        f"{meaning.reset_wording(reset, time.time())}"
    )


def explain(exc: Exception, api_url: str) -> str:
    """One line a person understands for what PyGithub or the network raised."""
    if isinstance(exc, BadCredentialsException) or (
        isinstance(exc, GithubException) and exc.status == meaning.TOKEN_REFUSED
    ):
        return (
            f"GitHub at {api_url} refused the token ({_message(exc)}): set GITHUB_TOKEN to a "
            "valid token, or run `gh auth login`"
        )
    if isinstance(exc, RateLimitExceededException):
        return _rate_limited(exc)
    if isinstance(exc, GraphQLRateLimited):
        resets = meaning.reset_wording(exc.reset, time.time())
        return f"GitHub's GraphQL rate limit for this token is used up; it {resets}"
    if isinstance(exc, GraphQLFailed):
        return f"GitHub's GraphQL API refused the query: {exc}"
    if isinstance(exc, GithubException):
        if exc.status == 403:
            return (
                f"your token may not read this pull request (GitHub: {_message(exc)}); it needs "
                "read access to the repository's contents and pull requests"
            )
        if exc.status >= 500:
            return f"GitHub at {api_url} answered {exc.status} ({_message(exc)}); try again later"
        return f"GitHub at {api_url} answered {exc.status}: {_message(exc)}"
    if _timed_out(exc):
        return (
            f"GitHub at {api_url} did not answer within {TIMEOUT_SECONDS} s; "
            "check your network and try again"
        )
    reason = _ERRNO.search(str(exc))
    why = reason.group(1).strip() if reason else type(exc).__name__
    return (
        f"cannot reach GitHub at {api_url} ({why}); check your network, or GITHUB_API_URL for "
        "GitHub Enterprise Server"
    )


def _timed_out(exc: Exception) -> bool:
    """A timeout, also a read timeout that used up the retries (requests then raises
    ConnectionError, the reason inside)."""
    if isinstance(exc, requests.Timeout):
        return True
    cause = exc.args[0] if exc.args else None
    return isinstance(getattr(cause, "reason", None), urllib3.exceptions.ReadTimeoutError)


# What the sync driver may raise that `explain` puts in one line.
FAILURES = (GithubException, GraphQLFailed, GraphQLRateLimited, requests.RequestException)
