"""The fake GitHub's world: one App, its installations, repositories and what happened on them.

Tests build a scenario with the helpers here (`install`, `add_repo`, `add_pull`,
`add_review`, ...), then let the bot talk HTTP to the server that serves this state, and
finally assert on the state (`check_runs`, `comments`) or on the request log (`requests`).
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from tests.fakegithub import merge_queue
from tests.fakegithub.auth import AppKey, InstallationToken, new_token_value, session_key
from tests.fakegithub.conformance import SpecChecks
from tests.fakegithub.faults import Fault, Faults, secondary_rate_limit_body
from tests.fakegithub.gitdata import branch_tip, resolve_commit
from tests.fakegithub.gitwrite import web_merge
from tests.fakegithub.models import (
    DEFAULT_PERMISSIONS,
    Account,
    CheckRun,
    CheckSuite,
    GitRepository,
    Installation,
    IssueComment,
    Label,
    Permission,
    PullRequest,
    QueueEntry,
    RepoState,
    RequiredCheck,
    Review,
    ReviewDismissal,
    ReviewState,
    Ruleset,
    Team,
    TeamMember,
)
from tests.fakegithub.ratelimit import RateLimits, Resource
from tests.fakegithub.requestlog import RecordedRequest, RequestLog


def _key(name: str) -> str:
    return name.casefold()


def _team_key(team: str) -> tuple[str, str]:
    org, _, slug = team.removeprefix("@").partition("/")
    if not org or not slug:
        raise ValueError(f"a team is 'org/slug' or '@org/slug', not {team!r}")
    return org, slug


class FakeGitHub:
    """State of one fake GitHub; `url` is set once the server serving it has started."""

    def __init__(
        self,
        *,
        app_id: int = 4242,
        app_slug: str = "ai-review",
        app_name: str = "AI Review",
        app_owner: str = "acme",
        key: AppKey | None = None,
        token_lifetime: timedelta = timedelta(hours=1),
    ) -> None:
        self.app_id = app_id
        self.app_slug = app_slug
        self.app_name = app_name
        self.app_owner = app_owner
        self.key = key or session_key()
        self.token_lifetime = token_lifetime
        self.web_url = "https://github.com"
        self.installations: dict[int, Installation] = {}
        self.repos: dict[str, RepoState] = {}
        self.teams: dict[tuple[str, str], Team] = {}
        self.emails: dict[str, str] = {}
        """Commit e-mail (casefolded) -> login, as GitHub links commits to accounts."""
        self.signers: dict[str, str] = {}
        """Commit SHA -> the login GitHub verified its signature as (web-flow: GitHub made it)."""
        self.log = RequestLog()
        self.server_errors: list[str] = []
        """Crashes inside the fake (a bug there, or a broken scenario); the fixture fails on any."""
        self.spec_checks = SpecChecks()
        """Requests and answers that GitHub's published descriptions do not allow."""
        self.faults = Faults()
        self.limits = RateLimits(self.epoch)
        self._tokens: dict[str, InstallationToken] = {}
        self._accounts: dict[str, Account] = {}
        self._ids = itertools.count(1001)
        self._clock_offset = 0.0
        self._url: str | None = None

    def __repr__(self) -> str:
        return f"FakeGitHub(app_id={self.app_id}, url={self._url!r})"

    # -- the server ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The REST API root (like https://api.github.com), without a trailing slash."""
        if self._url is None:
            raise RuntimeError("the fake GitHub is not serving yet (use the fake_github fixture)")
        return self._url

    @url.setter
    def url(self, value: str) -> None:
        self._url = value.rstrip("/")

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    @property
    def enterprise_url(self) -> str:
        """The API root as GitHub Enterprise Server spells it (GraphQL at /api/graphql)."""
        return f"{self.url}/api/v3"

    def settings_env(self, webhook_secret: str, *, enterprise: bool = False) -> dict[str, str]:
        """Environment variables that point the App at this fake (CONTRACT.md's names)."""
        return {
            "GITHUB_APP_ID": str(self.app_id),
            "GITHUB_PRIVATE_KEY": self.key.private_pem,
            "GITHUB_WEBHOOK_SECRET": webhook_secret,
            "GITHUB_API_URL": self.enterprise_url if enterprise else self.url,
        }

    # -- time ---------------------------------------------------------------------------------

    def epoch(self) -> float:
        """The fake's clock: real time plus whatever `advance` added."""
        return time.time() + self._clock_offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.epoch(), UTC).replace(microsecond=0)

    def advance(self, seconds: float) -> None:
        """Move the fake's clock on (tokens expire, rate-limit windows reset)."""
        self._clock_offset += seconds

    def next_id(self) -> int:
        return next(self._ids)

    # -- accounts and the App -------------------------------------------------------------------

    @property
    def bot_login(self) -> str:
        """The login REST shows for what the App writes."""
        return f"{self.app_slug}[bot]"

    def account(self, login: str, kind: Literal["User", "Organization"] = "User") -> Account:
        """The account for `login`, made on first use; logins ending in [bot] are Bots."""
        found = self._accounts.get(_key(login))
        if found is None:
            resolved = "Bot" if login.endswith("[bot]") else kind
            found = Account(login, self.next_id(), resolved)
            self._accounts[_key(login)] = found
        return found

    def link_email(self, email: str, login: str) -> None:
        """Commits by `email` show `login` as their GitHub user."""
        self.emails[_key(email)] = login

    def user_for_email(self, email: str) -> str | None:
        return self.emails.get(_key(email))

    def sign_by_github(self, sha: str) -> None:
        """Mark a commit as made by GitHub itself (web-flow signature, e.g. "Update branch")."""
        self.sign_commit(sha, "web-flow")

    def sign_commit(self, sha: str, login: str) -> None:
        """GitHub verifies the commit's signature as `login`'s (a key on that account)."""
        self.account(login)
        self.signers[sha] = login

    def signer_of(self, sha: str) -> str | None:
        return self.signers.get(sha)

    @property
    def signed_by_github(self) -> frozenset[str]:
        """The commits GitHub made and signed itself (web-flow)."""
        return frozenset(sha for sha, login in self.signers.items() if login == "web-flow")

    # -- installations and tokens ---------------------------------------------------------------

    def install(
        self,
        account: str,
        *,
        installation_id: int | None = None,
        permissions: dict[str, str] | None = None,
        account_type: Literal["User", "Organization"] = "Organization",
    ) -> Installation:
        """Install the App on `account` (all its repositories)."""
        self._accounts[_key(account)] = replace(self.account(account), type=account_type)
        installation = Installation(
            id=installation_id or self.next_id(),
            account=account,
            permissions=dict(DEFAULT_PERMISSIONS if permissions is None else permissions),
            created_at=self.now(),
        )
        self.installations[installation.id] = installation
        return installation

    def installation_for(self, owner: str) -> Installation | None:
        for installation in self.installations.values():
            if _key(installation.account) == _key(owner):
                return installation
        return None

    def issue_token(
        self, installation_id: int, permissions: dict[str, str] | None = None
    ) -> InstallationToken:
        """A new installation token (what POST .../access_tokens hands out)."""
        installation = self.installations[installation_id]
        token = InstallationToken(
            value=new_token_value(),
            installation_id=installation_id,
            expires_at=self.now() + self.token_lifetime,
            permissions=dict(installation.permissions if permissions is None else permissions),
        )
        self._tokens[token.value] = token
        return token

    def live_token(self, value: str) -> InstallationToken | None:
        token = self._tokens.get(value)
        if token is None or token.expires_at <= self.now():
            return None
        if token.installation_id not in self.installations:
            return None
        return token

    def revoke_tokens(self, installation_id: int | None = None) -> None:
        """Invalidate issued tokens (all, or one installation's), as a revocation does."""
        self._tokens = {
            value: token
            for value, token in self._tokens.items()
            if installation_id is not None and token.installation_id != installation_id
        }

    def app_jwt(
        self,
        *,
        issued_at: float | None = None,
        lifetime: int = 9 * 60,
        issuer: str | int | None = None,
        key: AppKey | None = None,
    ) -> str:
        """A JWT for this App, as the bot would sign it; arguments make broken ones."""
        iat = int(self.epoch() - 60 if issued_at is None else issued_at)
        claims = {"iat": iat, "exp": iat + lifetime, "iss": str(issuer or self.app_id)}
        return (key or self.key).sign(claims)

    # -- repositories ---------------------------------------------------------------------------

    def add_repo(
        self,
        full_name: str,
        repo: GitRepository,
        *,
        default_branch: str = "main",
        private: bool = True,
    ) -> RepoState:
        """Serve the git work tree at `repo.path` as repository `owner/name`."""
        owner, _, name = full_name.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError(f"a repository is named 'owner/name', not {full_name!r}")
        if branch_tip(repo.path, default_branch) is None:
            raise ValueError(f"{repo.path} has no branch {default_branch!r}")
        self.account(owner, "Organization")
        state = RepoState(
            id=self.next_id(),
            owner=owner,
            name=name,
            path=repo.path,
            default_branch=default_branch,
            private=private,
            created_at=self.now(),
        )
        self.repos[_key(full_name)] = state
        return state

    def repo(self, full_name: str) -> RepoState:
        found = self.repos.get(_key(full_name))
        if found is None:
            raise KeyError(f"no repository {full_name!r} on the fake GitHub")
        return found

    def find_repo(self, owner: str, name: str) -> RepoState | None:
        return self.repos.get(_key(f"{owner}/{name}"))

    # -- pull requests --------------------------------------------------------------------------

    def add_pull(
        self,
        full_name: str,
        head: str,
        base: str | None = None,
        *,
        title: str = "Change things",
        body: str = "",
        author: str = "dana",
        labels: tuple[str, ...] | list[str] = (),
        draft: bool = False,
        number: int | None = None,
        head_repo: str | None = None,
    ) -> PullRequest:
        """Open a pull request from branch `head` into `base` (default: the default branch)."""
        repo = self.repo(full_name)
        base = base or repo.default_branch
        for branch in (head, base):
            if branch_tip(repo.path, branch) is None:
                raise ValueError(f"{repo.path} has no branch {branch!r}")
        number = number or self._next_number(repo)
        self.account(author)
        now = self.now()
        pull = PullRequest(
            id=self.next_id(),
            number=number,
            head_ref=head,
            base_ref=base,
            title=title,
            body=body,
            author=author,
            labels=list(labels),
            draft=draft,
            created_at=now,
            updated_at=now,
            head_repo=head_repo,
        )
        repo.pulls[number] = pull
        return pull

    def _next_number(self, repo: RepoState) -> int:
        numbers = [*repo.pulls, *(c.issue_number for c in repo.comments.values())]
        return max(numbers, default=0) + 1

    def pull(self, full_name: str, number: int) -> PullRequest:
        return self.repo(full_name).pulls[number]

    def add_review(
        self,
        full_name: str,
        number: int,
        login: str,
        state: ReviewState = "APPROVED",
        *,
        commit_id: str | None = None,
        body: str = "",
        submitted_at: datetime | None = None,
    ) -> Review:
        """Submit a review; `commit_id` defaults to the pull request's head now."""
        repo = self.repo(full_name)
        pull = repo.pulls[number]
        if commit_id is None:
            commit_id = branch_tip(repo.path, pull.head_ref)
            if commit_id is None:
                raise ValueError(f"{full_name}#{number}: head branch {pull.head_ref!r} is gone")
        elif resolve_commit(repo.path, commit_id) is None:
            raise ValueError(f"{commit_id!r} is not a commit of {full_name}")
        self.account(login)
        review = Review(
            id=self.next_id(),
            login=login,
            state=state,
            commit_id=commit_id,
            submitted_at=submitted_at or self.now(),
            body=body,
        )
        pull.reviews.append(review)
        # A requested reviewer who reviews is no longer requested.
        pull.requested_reviewers = [
            who for who in pull.requested_reviewers if who.casefold() != login.casefold()
        ]
        return review

    def dismiss_review(
        self,
        full_name: str,
        number: int,
        review_id: int,
        actor: str = "maintainer",
        *,
        message: str = "Dismissed",
    ) -> Review:
        """`actor` dismisses a review: its state becomes DISMISSED and the pull request's
        timeline gains a ReviewDismissedEvent saying what it was."""
        pull = self.pull(full_name, number)
        for review in pull.reviews:
            if review.id == review_id:
                if review.state not in ("APPROVED", "CHANGES_REQUESTED"):
                    raise ValueError(f"a {review.state} review cannot be dismissed")
                self.account(actor)
                pull.dismissals.append(
                    ReviewDismissal(
                        id=self.next_id(),
                        review_id=review.id,
                        actor=actor,
                        previous_state=review.state,
                        created_at=self.now(),
                        message=message,
                    )
                )
                review.state = "DISMISSED"
                return review
        raise KeyError(f"{full_name}#{number} has no review {review_id}")

    # -- what GitHub's website writes ------------------------------------------------------------

    def web_merge(
        self,
        full_name: str,
        branch: str,
        source: str,
        *,
        message: str | None = None,
        files: dict[str, str | bytes] | None = None,
        by: str = "dana",
    ) -> str:
        """A merge of `source` (a branch or SHA) into `branch` made on GitHub's website, signed
        by web-flow: "Update branch", or a conflict resolved in the web editor (`files` are
        what the editor saved, over git's merge). Returns the merge's SHA."""
        repo = self.repo(full_name)
        second = resolve_commit(repo.path, source)
        if second is None:
            raise ValueError(f"{source!r} is not a commit of {full_name}")
        account = self.account(by)
        email = f"{account.id}+{by}@users.noreply.github.com"
        self.link_email(email, by)
        sha = web_merge(
            repo.path,
            branch,
            second,
            message=message or f"Merge branch '{source}' into {branch}",
            author=(by, email),
            files=files,
        )
        self.sign_by_github(sha)
        return sha

    def update_branch(
        self,
        full_name: str,
        number: int,
        *,
        files: dict[str, str | bytes] | None = None,
        by: str | None = None,
    ) -> str:
        """The pull request's "Update branch" button: its base merged into its head."""
        pull = self.pull(full_name, number)
        return self.web_merge(
            full_name,
            pull.head_ref,
            f"refs/heads/{pull.base_ref}",
            message=f"Merge branch '{pull.base_ref}' into {pull.head_ref}",
            files=files,
            by=by or pull.author,
        )

    # -- comments -------------------------------------------------------------------------------

    def add_comment(self, full_name: str, number: int, login: str, body: str) -> IssueComment:
        """A comment on issue or pull request `number`, written by `login`."""
        repo = self.repo(full_name)
        self.account(login)
        now = self.now()
        comment = IssueComment(
            id=self.next_id(),
            issue_number=number,
            login=login,
            body=body,
            created_at=now,
            updated_at=now,
        )
        repo.comments[comment.id] = comment
        return comment

    def comments(self, full_name: str, number: int) -> list[IssueComment]:
        """The comments on `number`, oldest first."""
        found = self.repo(full_name).comments.values()
        return sorted((c for c in found if c.issue_number == number), key=lambda c: c.id)

    # -- checks ---------------------------------------------------------------------------------

    def check_suite(
        self, repo: RepoState, head_sha: str, head_branch: str | None = None
    ) -> CheckSuite:
        """The App's check suite for `head_sha`, made with its first check run."""
        suite = repo.check_suites.get(head_sha)
        if suite is None:
            suite = CheckSuite(self.next_id(), head_sha, head_branch, self.now())
            repo.check_suites[head_sha] = suite
        return suite

    def check_runs(
        self, full_name: str, *, head_sha: str | None = None, name: str | None = None
    ) -> list[CheckRun]:
        """Check runs on the repository, oldest first, filtered by head SHA and name."""
        return [
            run
            for run in self.repo(full_name).check_runs.values()
            if (head_sha is None or run.head_sha == head_sha) and (name is None or run.name == name)
        ]

    # -- labels, required checks and the merge queue --------------------------------------------

    def add_label(
        self, full_name: str, name: str, *, color: str = "ededed", description: str | None = None
    ) -> Label:
        """Make the repository's label `name` (as a maintainer would in the web UI)."""
        repo = self.repo(full_name)
        found = Label(self.next_id(), name, color, description)
        repo.labels[_key(name)] = found
        return found

    def require_check(
        self,
        full_name: str,
        context: str,
        *,
        branch: str | None = None,
        app_id: int | None = None,
        ruleset: bool = False,
    ) -> None:
        """Require the check `context` on `branch` (default: the default branch), by branch
        protection or (`ruleset`) by a repository ruleset; `app_id` binds it to one App."""
        repo = self.repo(full_name)
        branch = branch or repo.default_branch
        check = RequiredCheck(context, app_id)
        if ruleset:
            self.add_ruleset(full_name, f"require {context}", [f"refs/heads/{branch}"], [check])
        else:
            repo.protections.setdefault(branch, []).append(check)

    def add_ruleset(
        self,
        full_name: str,
        name: str,
        include: list[str],
        checks: list[RequiredCheck] | None = None,
        *,
        enforcement: Literal["active", "evaluate", "disabled"] = "active",
        merge_queue: bool = False,
    ) -> Ruleset:
        repo = self.repo(full_name)
        found = Ruleset(self.next_id(), name, include, checks or [], enforcement, merge_queue)
        repo.rulesets.append(found)
        return found

    def use_merge_queue(self, full_name: str, *required: str, branch: str | None = None) -> None:
        """A ruleset on `branch` that merges through a merge queue and requires `required`."""
        repo = self.repo(full_name)
        target = f"refs/heads/{branch or repo.default_branch}"
        checks = [RequiredCheck(context) for context in required]
        self.add_ruleset(full_name, "merge queue", [target], checks, merge_queue=True)

    def enqueue(self, full_name: str, number: int) -> QueueEntry:
        """Add the pull request to its base branch's merge queue (as "Merge when ready" does,
        which GitHub allows only once the pull request's own required checks passed)."""
        repo = self.repo(full_name)
        pull = repo.pulls[number]
        head = branch_tip(repo.path, pull.head_ref) or ""
        for check in merge_queue.required_checks(repo, pull.base_ref):
            runs = self.check_runs(full_name, head_sha=head, name=check.context)
            if not runs or runs[-1].conclusion != "success":
                raise ValueError(f"#{number}: required check {check.context!r} has not passed")
        return merge_queue.enqueue(repo, pull, self.next_id, self.now())

    def queue_of(self, full_name: str, branch: str | None = None) -> list[QueueEntry]:
        """The merge queue of `branch` (default: the default branch), first in line first."""
        repo = self.repo(full_name)
        return repo.merge_queues.get(branch or repo.default_branch, [])

    def advance_merge_queue(
        self, full_name: str, branch: str | None = None
    ) -> list[merge_queue.Outcome]:
        """Merge the groups whose required checks passed, take out those that failed."""
        repo = self.repo(full_name)
        branch = branch or repo.default_branch
        return merge_queue.advance(repo, branch, self.app_id, self.now(), self.next_id)

    # -- organizations --------------------------------------------------------------------------

    def add_team_member(
        self,
        team: str,
        login: str,
        *,
        role: Literal["member", "maintainer"] = "member",
        state: Literal["active", "pending"] = "active",
    ) -> Team:
        """Add `login` to team "org/slug" (or "@org/slug"), making the team if needed."""
        found = self.team(team)
        self.account(login)
        found.members[_key(login)] = TeamMember(role, state)
        return found

    def team(self, team: str) -> Team:
        """Team "org/slug", made empty on first use."""
        org, slug = _team_key(team)
        found = self.teams.get((_key(org), _key(slug)))
        if found is None:
            self.account(org, "Organization")
            found = Team(self.next_id(), org, slug)
            self.teams[(_key(org), _key(slug))] = found
        return found

    def find_team(self, org: str, slug: str) -> Team | None:
        return self.teams.get((_key(org), _key(slug)))

    def set_permission(self, full_name: str, login: str, permission: Permission) -> None:
        """Make `login` a collaborator with that role on the repository."""
        self.account(login)
        self.repo(full_name).permissions[_key(login)] = permission

    # -- rate limits, faults and the request log ------------------------------------------------

    def set_rate_limit_remaining(
        self, remaining: int, *, installation_id: int | None = None, resource: Resource = "core"
    ) -> None:
        """Set what is left of an installation's budget (or the App's, with no installation)."""
        caller = "app" if installation_id is None else f"installation:{installation_id}"
        self.limits.set_remaining(caller, resource, remaining)

    def fail(
        self,
        method: str | None,
        path: str,
        status: int,
        *,
        times: int | None = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> Fault:
        """Answer the next `times` requests matching (method, path regex) with `status`."""
        return self.faults.add(
            Fault(
                method=method.upper() if method else None,
                path=re.compile(path),
                status=status,
                times=times,
                headers=dict(headers or {}),
                body=body,
            )
        )

    def lose_answer(
        self, method: str, path: str, status: int = 502, *, times: int | None = 1
    ) -> Fault:
        """Carry out the next `times` matching requests, then answer `status`: GitHub did the
        work and the answer was lost (a proxy timed out, the connection dropped)."""
        fault = self.fail(method, path, status, times=times)
        fault.after_serving = True
        return fault

    def secondary_rate_limit(
        self, method: str | None, path: str, *, times: int | None = 1, retry_after: int = 1
    ) -> Fault:
        """GitHub's secondary rate limit: 403, its message, and Retry-After."""
        return self.fail(
            method,
            path,
            403,
            times=times,
            headers={"retry-after": str(retry_after)},
            body=secondary_rate_limit_body(),
        )

    def slow(
        self, method: str | None, path: str, seconds: float, *, times: int | None = None
    ) -> Fault:
        """Delay matching requests by `seconds` before answering them normally."""
        return self.faults.add(
            Fault(
                method=method.upper() if method else None,
                path=re.compile(path),
                status=None,
                times=times,
                delay=seconds,
            )
        )

    @property
    def latency(self) -> float:
        return self.faults.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.faults.latency = seconds

    def requests(
        self, method: str | None = None, path: str | re.Pattern[str] | None = None
    ) -> list[RecordedRequest]:
        """Recorded requests; `path` without /api/v3, exact as a str, searched as a Pattern."""
        return self.log.find(method, path)

    def count(self, method: str | None = None, path: str | re.Pattern[str] | None = None) -> int:
        return len(self.log.find(method, path))

    def clear_log(self) -> None:
        self.log.clear()
