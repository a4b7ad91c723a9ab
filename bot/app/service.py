"""Reviewing one pull request: gather, analyze, decide, write. One job, start to end.

The service holds what outlives a job (App auth, the HTTP session, caches, the analysis pool)
and turns every failure into a check run that says so: an invalid config is a `failure` naming
the errors; an internal error is `failure` (fail closed) or `neutral` (fail open) with an
error id that is also in the logs.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

import aiohttp

from bot.app.analyses import Analyzer, Changes, analysis_key
from bot.app.checks import CheckRuns
from bot.app.followups import Followups
from bot.app.people import People
from bot.app.retries import retry_if_refused_or_transient, retry_if_transient
from bot.config.issues import ConfigError
from bot.config.model import RepoConfig
from bot.engine.files import needs_text
from bot.engine.policy import Conclusion
from bot.engine.pull_state import PullState
from bot.engine.result import Analysis
from bot.engine.ruleset import Ruleset
from bot.github import questions
from bot.github.auth import AppAuth, request_app_login, request_installation_token
from bot.github.client import (
    GitHubClient,
    Observer,
    WriteLock,
)
from bot.github.context import PullRequestContext, RepoRef
from bot.github.fetch import (
    clean_update_merges,
    fetch_changes,
    fetch_pull_request,
    files_changed_since,
)
from bot.github.fetch import run as run_steps
from bot.github.writer import upsert_comment
from bot.queue.jobs import Job, JobKind
from bot.queue.store import Store, pull_key
from bot.render.checkrun import error_output
from bot.render.markdown import MARKER
from bot.render.posting import Posting
from bot.render.state import state_key, state_line
from bot.review import compose, room
from bot.review import labels as review_labels
from bot.settings import Settings

log = logging.getLogger(__name__)


class ReviewFailed(Exception):
    """A review that failed after its config was read, carrying the config's fail-open choice."""

    def __init__(self, fail_open: bool) -> None:
        super().__init__("review failed")
        self.fail_open = fail_open


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a job left on GitHub, for logs and tests."""

    conclusion: Conclusion
    title: str
    head_sha: str
    requests: int


class _LocalWriteLocks:
    """One lock per installation, for the mutating requests of this process."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    def __call__(self, installation_id: str) -> WriteLock:
        return self._locks.setdefault(installation_id, asyncio.Lock())


class ReviewService:
    def __init__(
        self,
        settings: Settings,
        session: aiohttp.ClientSession,
        store: Store,
        analyzer: Analyzer,
        observe: Observer | None = None,
        write_lock: Callable[[str], WriteLock] | None = None,
    ) -> None:
        self._observe = observe
        self._write_lock = write_lock or _LocalWriteLocks()
        self._settings = settings
        self._session = session
        self._store = store
        self._analyzer = analyzer
        self._auth = AppAuth(settings.app_id, settings.private_key, self._fetch_token)
        self._key = state_key(settings.private_key)
        self.people = People()
        self.checks = CheckRuns(store)
        self.followups = Followups(int(settings.app_id))
        self._bot_login: str | None = None
        self._bot_login_lock = asyncio.Lock()

    def _client(self, token: str | None, installation_id: str = "") -> GitHubClient:
        return GitHubClient(
            self._session,
            oauth_token=token,
            base_url=self._settings.api_url,
            graphql_url=self._settings.graphql_url,
            observe=self._observe,
            write_lock=self._write_lock(installation_id),
        )

    async def _fetch_token(self, installation_id: str, jwt: str) -> dict[str, str]:
        return await request_installation_token(self._client(None), installation_id, jwt)

    async def bot_login(self) -> str:
        """The App's own account (`slug[bot]`), to find its comment and ignore its own events."""
        async with self._bot_login_lock:  # jobs starting together ask GitHub once
            if self._bot_login is None:
                jwt = self._auth.app_jwt()
                self._bot_login = await request_app_login(self._client(None), jwt)
            return self._bot_login

    def forget_token(self, installation_id: str) -> None:
        """Drop the installation's cached token: GitHub refused it, or the installation
        changed (suspended, deleted, new permissions)."""
        self._auth.forget(installation_id)

    async def client_for(self, installation_id: str) -> GitHubClient:
        token = await self._auth.installation_token(installation_id)
        return self._client(token, installation_id)

    async def run_job(self, job: Job) -> None:
        """The queue's runner: the outcome is in the logs and on GitHub."""
        await self.run(job)

    async def run(self, job: Job) -> Outcome | None:
        """Review the pull request a job names; never raises for GitHub or config trouble."""
        client = await self.client_for(job.installation_id)
        repo = RepoRef(job.owner, job.repo, job.installation_id)
        started = time.monotonic()
        try:
            outcome = await self._review(client, repo, job)
        except ReviewFailed as failed:
            retry_if_refused_or_transient(job, failed.__cause__)
            return await self._fail(client, repo, job, failed.__cause__, failed.fail_open)
        except Exception as exc:  # noqa: BLE001 - the check run must say something went wrong
            retry_if_refused_or_transient(job, exc)
            return await self._fail(client, repo, job, exc, fail_open=False)
        log.info(
            "review done",
            extra={
                "delivery": job.delivery_id,
                "repo": repo.full_name,
                "pr": job.number,
                "head_sha": outcome.head_sha,
                "conclusion": outcome.conclusion.value,
                "requests": client.request_count,
                "seconds": round(time.monotonic() - started, 3),
            },
        )
        return outcome

    async def context(self, client: GitHubClient, repo: RepoRef, job: Job) -> PullRequestContext:
        """The pull request as it is now, with the config and the bot's comment."""
        base_ref = job.base_ref
        if not base_ref:
            base_ref = await run_steps(client, questions.base_ref(repo, job.number))
        recorded = await self.pull_state(repo, job.number)
        context = await fetch_pull_request(
            client,
            repo,
            job.number,
            base_ref=base_ref,
            bot_login=await self.bot_login(),
            marker=MARKER,
            comment_id=recorded.comment_id,
        )
        if context.comments_capped and context.bot_comment is None:
            log.warning(
                "the bot's comment was not among the comments read",
                extra={"repo": repo.full_name, "pr": job.number},
            )
        return context

    def rules(self, context: PullRequestContext) -> tuple[RepoConfig, Ruleset]:
        """The validated config and ruleset of the base branch; raises ConfigError."""
        return compose.rules(context)

    async def _review(
        self,
        client: GitHubClient,
        repo: RepoRef,
        job: Job,
        context: PullRequestContext | None = None,
        state: PullState | None = None,
    ) -> Outcome:
        """Review the head; `state` replaces the stored state (a command just changed it)."""
        context = context or await self.context(client, repo, job)
        head_sha = context.snapshot.head_sha
        try:
            config, ruleset = self.rules(context)
        except ConfigError as exc:
            invalid = compose.invalid_config(exc)
            await self.checks.finish(
                client, repo, head_sha, invalid.check_name, invalid.conclusion, invalid.output
            )
            return Outcome(invalid.conclusion, invalid.title, head_sha, client.request_count)
        try:
            return await self._analyze_and_write(client, repo, job, context, config, ruleset, state)
        except Exception as exc:
            raise ReviewFailed(config.check.on_error == "open") from exc

    def state_key(self, repo: RepoRef, number: int) -> str:
        return pull_key(repo.installation_id, repo.owner, repo.name, number)

    async def pull_state(self, repo: RepoRef, number: int) -> PullState:
        """The pull request's state as the bot recorded it (never as its comment shows it)."""
        return await self._store.pull_state(self.state_key(repo, number))

    async def save_pull_state(self, repo: RepoRef, number: int, state: PullState) -> None:
        await self._store.save_pull_state(self.state_key(repo, number), state)

    async def _decide(
        self,
        client: GitHubClient,
        job: Job,
        context: PullRequestContext,
        config: RepoConfig,
        ruleset: Ruleset,
        state: PullState,
        *,
        progress: bool = True,
        changes: Changes | None = None,
    ) -> room.Reviewed:
        """The head's posting, its analysis and the state after what the head itself changes
        (the review room's order, bot/review/room.py), answered from GitHub and the store;
        `progress` False leaves the head's check run alone while analyzing."""
        repo, snapshot = context.repo, context.snapshot

        async def answer(question: room.Question) -> object:
            match question:
                case room.CleanMerges(since):
                    return await clean_update_merges(
                        client, repo, snapshot.commits, snapshot.base_sha, since
                    )
                case room.Analyze():
                    return await self._analyze(
                        client, job, context, ruleset, question, progress, changes
                    )
                case room.ChangedSince(shas):
                    return await files_changed_since(client, repo, list(shas), snapshot.head_sha)
                case room.Memberships(asked):
                    return {q: await self.people.is_member(client, *q) for q in asked}
                case room.Permissions(logins):
                    return await self.people.permissions(client, repo, logins)
                case room.RequiredCheck(branch, name):
                    return await self.followups.requirement(client, repo, branch, name)
                case room.StateLine(recorded):
                    head = snapshot.head_sha
                    return state_line(recorded, repo.full_name, context.number, head, self._key)

        review = room.review_head(context, config, ruleset, state)
        reviewed = await room.answer_async(review, answer)
        _log_ended(state, reviewed.state, context)
        return reviewed

    async def _analyze_and_write(
        self,
        client: GitHubClient,
        repo: RepoRef,
        job: Job,
        context: PullRequestContext,
        config: RepoConfig,
        ruleset: Ruleset,
        state: PullState | None,
    ) -> Outcome:
        head_sha = context.snapshot.head_sha
        key = self.state_key(repo, context.number)
        if state is None:
            state = await self._store.pull_state(key)
        reviewed = await self._decide(client, job, context, config, ruleset, state)
        posting, state = reviewed.posting, reviewed.state
        # Recorded before anything is written: what GitHub shows never runs ahead of the store.
        await self._store.save_pull_state(key, state)
        posting, state = await self.followups.apply(client, context, posting, state)
        await self._store.save_pull_state(key, state)  # the review requests and labels made
        shared = await self._shared_head(client, repo, job, context, posting)
        await self.checks.finish(
            client, repo, head_sha, shared.check_name, shared.conclusion, shared.output
        )
        if posting.comment is not None:
            comment_id = await upsert_comment(
                client,
                repo,
                context.number,
                posting.comment,
                context.bot_comment,
                state.comment_id,
                author=await self.bot_login(),
                marker=MARKER,
            )
            if comment_id != state.comment_id:
                await self._store.save_pull_state(key, replace(state, comment_id=comment_id))
        return Outcome(shared.conclusion, shared.title, head_sha, client.request_count)

    async def _shared_head(
        self,
        client: GitHubClient,
        repo: RepoRef,
        job: Job,
        context: PullRequestContext,
        posting: Posting,
    ) -> Posting:
        """The check run's posting when other open pull requests have the same head: the most
        restrictive of all their decisions (a check run belongs to the commit)."""
        head_sha = context.snapshot.head_sha
        numbers = await run_steps(client, questions.open_pulls_at_head(repo, head_sha))
        others: dict[int, Posting] = {}
        for number in numbers:
            if number == context.number:
                continue
            sibling_job = replace(job, number=number, base_ref="", kind=JobKind.GATE)
            sibling = await self.context(client, repo, sibling_job)
            if sibling.snapshot.head_sha != head_sha:
                continue  # it moved on meanwhile; its own review covers its new head
            others[number] = await self.posting_of(client, sibling_job, sibling)
        return compose.most_restrictive(posting, others)

    async def posting_of(
        self, client: GitHubClient, job: Job, context: PullRequestContext, *, progress: bool = True
    ) -> Posting:
        """A pull request's posting computed from its own base branch, config and recorded
        state, written nowhere (a shared head's check, a merge group's check). `progress`
        False leaves its check run alone."""
        reviewed = await self.reviewed_of(client, job, context, progress=progress)
        return reviewed if isinstance(reviewed, Posting) else reviewed.posting

    async def reviewed_of(
        self,
        client: GitHubClient,
        job: Job,
        context: PullRequestContext,
        *,
        progress: bool = True,
        changes: Changes | None = None,
    ) -> room.Reviewed | Posting:
        """posting_of with the analysis behind it (its diff from `changes` when given); the
        failing Posting alone when the config in `context` is invalid."""
        try:
            config, ruleset = self.rules(context)
        except ConfigError as exc:
            return compose.invalid_config(exc)
        state = await self.pull_state(context.repo, context.number)
        return await self._decide(
            client, job, context, config, ruleset, state, progress=progress, changes=changes
        )

    async def analysis(
        self,
        client: GitHubClient,
        job: Job,
        context: PullRequestContext,
        ruleset: Ruleset,
        state: PullState,
    ) -> Analysis:
        """The head's analysis, as a review would make it, without marking the check in
        progress (read-only commands leave the check alone)."""

        async def answer(question: room.Analyze) -> Analysis:
            return await self._analyze(client, job, context, ruleset, question, False)

        return await room.answer_async(room.analysis_of(state), answer)

    async def _analyze(
        self,
        client: GitHubClient,
        job: Job,
        context: PullRequestContext,
        ruleset: Ruleset,
        question: room.Analyze,
        progress: bool = True,
        changes: Changes | None = None,
    ) -> Analysis:
        """One analysis of the head: the cached one for an event that changed no code (a
        review, a command), else computed with the check marked in progress meanwhile."""
        repo, head_sha = context.repo, context.snapshot.head_sha
        labels = review_labels.without_own(context.snapshot.labels, question.own_labels)
        cache_key = analysis_key(context, question.declared, labels)
        if job.kind is not JobKind.ANALYZE or question.again:
            cached = await self._store.analysis(cache_key)
            if cached is not None:
                return cached
        if progress and not question.again:
            check_name = ruleset.config.check.name
            await self.checks.start(client, repo, head_sha, check_name, job)
        if changes is not None:
            snapshot = await changes(context, ruleset)
        else:
            snapshot = await fetch_changes(client, context, lambda f: needs_text(f, ruleset))
        snapshot = replace(snapshot, labels=labels)  # the App's own labels are no evidence
        analysis = await self._analyzer(snapshot, ruleset, question.declared)
        await self._store.remember_analysis(cache_key, analysis)
        return analysis

    async def review(
        self,
        client: GitHubClient,
        repo: RepoRef,
        job: Job,
        context: PullRequestContext,
        state: PullState | None,
    ) -> Outcome | None:
        """Review with a known context and, for commands, the state they just changed."""
        try:
            return await self._review(client, repo, job, context, state)
        except ReviewFailed as failed:
            retry_if_transient(job, failed.__cause__)
            return await self._fail(client, repo, job, failed.__cause__, failed.fail_open)

    async def _fail(
        self,
        client: GitHubClient,
        repo: RepoRef,
        job: Job,
        exc: BaseException | None,
        fail_open: bool,
    ) -> Outcome | None:
        error_id = uuid.uuid4().hex[:12]
        log.error(
            "review failed",
            exc_info=exc,
            extra={
                "error_id": error_id,
                "delivery": job.delivery_id,
                "repo": repo.full_name,
                "pr": job.number,
                "head_sha": job.head_sha,
            },
        )
        conclusion = Conclusion.NEUTRAL if fail_open else Conclusion.FAILURE
        output = error_output(
            f"ai-review could not finish (error {error_id})",
            f"An internal error stopped the review. Error id `{error_id}` is in the App's logs. "
            "Re-run this check, or push again, to retry.",
        )
        try:
            await self.checks.finish(client, repo, job.head_sha, "ai-review", conclusion, output)
        except Exception:  # GitHub itself may be what failed; the log has both errors
            log.exception("could not report the failure", extra={"error_id": error_id})
            return None
        return Outcome(conclusion, output.title, job.head_sha, client.request_count)


def _log_ended(before: PullState, after: PullState, context: PullRequestContext) -> None:
    """A push ended a declaration or an override: say so (they are on the record)."""
    for what, old, new in (
        ("declaration", before.declaration, after.declaration),
        ("override", before.override, after.override),
    ):
        if old is not None and new is None:
            log.info(
                f"{what} ended by a push",
                extra={"repo": context.repo.full_name, "pr": context.number, "by": old.by},
            )
