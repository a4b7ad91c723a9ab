"""Who people are on GitHub, asked once and remembered briefly: each person's permission on a
repository and their membership of the teams a config names. The gate (which approvals count)
and the commands (who may run what) read the same answers, from one cache per process.

Briefly, because GitHub is the source of truth: a revoked permission or a member removed from
a team stops counting within the TTL.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from bot.github import questions
from bot.github.client import GitHubClient
from bot.github.context import RepoRef
from bot.github.fetch import run as run_steps
from bot.github.meaning import Membership
from bot.review import compose

PERMISSION_TTL_SECONDS = 60.0
MEMBERSHIP_TTL_SECONDS = 300.0


class People:
    def __init__(self) -> None:
        self._permissions: dict[tuple[str, str], tuple[str, float]] = {}
        self._memberships: dict[tuple[str, str], tuple[bool, float]] = {}

    async def permissions(
        self, client: GitHubClient, repo: RepoRef, logins: Iterable[str]
    ) -> dict[str, str]:
        """login -> permission on the repository (`none` for strangers)."""
        now = time.monotonic()
        found: dict[str, str] = {}
        missing = []
        for login in logins:
            cached = self._permissions.get((repo.full_name.lower(), login.lower()))
            if cached is not None and cached[1] > now:
                found[login] = cached[0]
            else:
                missing.append(login)
        if missing:
            answers = await run_steps(client, questions.permissions(repo, missing))
            for login, permission in answers.items():
                key = (repo.full_name.lower(), login.lower())
                self._permissions[key] = (permission, now + PERMISSION_TTL_SECONDS)
                found[login] = permission
        return found

    async def permission(self, client: GitHubClient, repo: RepoRef, login: str) -> str:
        found = await self.permissions(client, repo, [login])
        return found.get(login, "none")

    async def is_member(self, client: GitHubClient, team: str, login: str) -> bool:
        """Active membership of `@org/team` (a pending invitation is not)."""
        key = (team.lower(), login.lower())
        cached = self._memberships.get(key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        answer = await run_steps(client, questions.membership(team, login))
        member = answer is Membership.ACTIVE
        self._memberships[key] = (member, time.monotonic() + MEMBERSHIP_TTL_SECONDS)
        return member

    async def memberships(
        self, client: GitHubClient, logins: Iterable[str], refs: Iterable[str]
    ) -> Mapping[str, frozenset[str]]:
        """login -> the senior and owner references (`@org/team`, `login`) each satisfies."""
        logins, refs = list(logins), set(refs)
        answers = {
            (team, login): await self.is_member(client, team, login)
            for team, login in compose.membership_questions(logins, refs)
        }
        return compose.memberships(logins, refs, answers)
