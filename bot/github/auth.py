"""GitHub App authentication: the App's JWT and per-installation tokens, each cached, and the
two requests the App makes as itself, with its JWT (a token for an installation, its own
account)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from gidgethub.apps import get_jwt

from bot.github import meaning
from bot.github.client import GitHubClient

# Renew a token this long before GitHub says it expires, so no request races its expiry.
TOKEN_MARGIN_SECONDS = 5 * 60
JWT_LIFETIME_SECONDS = 9 * 60

TokenFetcher = Callable[[str, str], Awaitable[dict[str, str]]]


@dataclass(slots=True)
class _Token:
    value: str
    renew_at: float


class AppAuth:
    """Hands out an installation token, fetching a new one only shortly before expiry.

    `fetch(installation_id, jwt)` asks GitHub for a token; it is injected so this class holds no
    HTTP of its own. Concurrent callers for one installation share one fetch.
    """

    def __init__(
        self,
        app_id: str,
        private_key: str,
        fetch: TokenFetcher,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._app_id = app_id
        self._private_key = private_key
        self._fetch = fetch
        self._clock = clock
        self._jwt: _Token | None = None
        self._tokens: dict[str, _Token] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def __repr__(self) -> str:
        return f"AppAuth(app_id={self._app_id!r})"

    def app_jwt(self) -> str:
        now = self._clock()
        if self._jwt is None or now >= self._jwt.renew_at:
            token = get_jwt(
                app_id=self._app_id,
                private_key=self._private_key,
                expiration=JWT_LIFETIME_SECONDS,
            )
            self._jwt = _Token(token, now + JWT_LIFETIME_SECONDS - 60)
        return self._jwt.value

    async def installation_token(self, installation_id: str) -> str:
        cached = self._tokens.get(installation_id)
        if cached is not None and self._clock() < cached.renew_at:
            return cached.value
        lock = self._locks.setdefault(installation_id, asyncio.Lock())
        async with lock:
            cached = self._tokens.get(installation_id)
            if cached is not None and self._clock() < cached.renew_at:
                return cached.value
            answer = await self._fetch(installation_id, self.app_jwt())
            expires = datetime.fromisoformat(answer["expires_at"].replace("Z", "+00:00"))
            token = _Token(answer["token"], expires.timestamp() - TOKEN_MARGIN_SECONDS)
            self._tokens[installation_id] = token
            return token.value

    def forget(self, installation_id: str) -> None:
        """Drop a cached token (the installation was removed, or GitHub refused the token)."""
        self._tokens.pop(installation_id, None)


async def request_installation_token(
    client: GitHubClient, installation_id: str, jwt: str
) -> dict[str, str]:
    """A new token for the installation: GitHub's answer, with `token` and `expires_at` (the
    TokenFetcher AppAuth is given)."""
    answer: dict[str, str] = await client.post(
        f"/app/installations/{installation_id}/access_tokens", data=b"", jwt=jwt
    )
    return answer


async def request_app_login(client: GitHubClient, jwt: str) -> str:
    """The App's own account (`slug[bot]`)."""
    return meaning.app_login(await client.getitem("/app", jwt=jwt))
