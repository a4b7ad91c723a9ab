"""Reviewing one pull request: gather, analyze, decide, write. One job, start to end.

The service holds what outlives a job (App auth, the HTTP session, caches, the analysis pool)
and turns every failure into a check run that says so: an invalid config is a `failure` naming
the errors; an internal error is `failure` (fail closed) or `neutral` (fail open) with an
error id that is also in the logs.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace

import aiohttp
from gidgethub import BadRequest

from bot.app.jobs import Job, JobKind
from bot.app.store import Store
from bot.builtins import load_builtins
from bot.config import CONFIG_PATH
from bot.config.load import ConfigError, load_model
from bot.config.model import ChecklistDef, RepoConfig
from bot.config.resolve import build_ruleset, effective_config
from bot.engine import globs
from bot.engine.detect import Detector
from bot.engine.files import needs_text
from bot.engine.pipeline import analyze
from bot.engine.policy import Conclusion, Decision, OwnerRule, PullRequestFacts, ReviewState, decide
from bot.engine.result import Analysis, Evidence
from bot.engine.ruleset import Ruleset
from bot.engine.snapshot import Snapshot
from bot.github.auth import AppAuth
from bot.github.client import GitHubClient, Observer
from bot.github.gather import (
    PullRequestContext,
    RepoRef,
    fetch_changes,
    fetch_pull_request,
)
from bot.github.writer import finish_check, start_check, upsert_comment
from bot.render.checkrun import CheckOutput, check_output, error_output
from bot.render.escape import md_text
from bot.render.markdown import MARKER, render_comment
from bot.render.state import CommentState, read_state
from bot.settings import Settings

log = logging.getLogger(__name__)

MEMBERSHIP_TTL_SECONDS = 300
Analyzer = Callable[[Snapshot, Ruleset, Sequence[Evidence]], Awaitable[Analysis]]


def analyze_snapshot(
    snapshot: Snapshot, ruleset: Ruleset, declared: Sequence[Evidence] = ()
) -> Analysis:
    """The engine run, as a top-level function a worker process can be handed."""
    return analyze(snapshot, ruleset, declared=declared)


def process_analyzer(executor: Executor | None) -> Analyzer:
    """Run analyses on `executor` (a process pool keeps the event loop responsive), or in a
    thread when None."""

    async def run(snapshot: Snapshot, ruleset: Ruleset, declared: Sequence[Evidence]) -> Analysis:
        if executor is None:
            return await asyncio.to_thread(analyze_snapshot, snapshot, ruleset, declared)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, analyze_snapshot, snapshot, ruleset, declared)

    return run


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


class ReviewService:
    def __init__(
        self,
        settings: Settings,
        session: aiohttp.ClientSession,
        store: Store,
        analyzer: Analyzer,
        observe: Observer | None = None,
    ) -> None:
        self._observe = observe
        self._write_locks: dict[str, asyncio.Lock] = {}
        self._settings = settings
        self._session = session
        self._store = store
        self._analyzer = analyzer
        self._auth = AppAuth(settings.app_id, settings.private_key, self._fetch_token)
        self._memberships: dict[tuple[str, str], tuple[bool, float]] = {}
        self._bot_login: str | None = None

    def _client(self, token: str | None, installation_id: str = "") -> GitHubClient:
        return GitHubClient(
            self._session,
            oauth_token=token,
            base_url=self._settings.api_url,
            graphql_url=self._settings.graphql_url,
            observe=self._observe,
            write_lock=self._write_locks.setdefault(installation_id, asyncio.Lock()),
        )

    async def _fetch_token(self, installation_id: str, jwt: str) -> dict[str, str]:
        answer: dict[str, str] = await self._client(None).post(
            f"/app/installations/{installation_id}/access_tokens", data=b"", jwt=jwt
        )
        return answer

    async def bot_login(self) -> str:
        """The App's own account (`slug[bot]`), to find its comment and ignore its own events."""
        if self._bot_login is None:
            app = await self._client(None).getitem("/app", jwt=self._auth.app_jwt())
            self._bot_login = f"{app['slug']}[bot]"
        return self._bot_login

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
            return await self._fail(client, repo, job, failed.__cause__, failed.fail_open)
        except Exception as exc:  # noqa: BLE001 - the check run must say something went wrong
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
            pull = await client.getitem(f"/repos/{repo.full_name}/pulls/{job.number}")
            base_ref = pull["base"]["ref"]
        return await fetch_pull_request(
            client,
            repo,
            job.number,
            base_ref=base_ref,
            bot_login=await self.bot_login(),
            marker=MARKER,
        )

    def rules(self, context: PullRequestContext) -> tuple[RepoConfig, Ruleset]:
        """The validated config and ruleset of the base branch; raises ConfigError."""
        config, repo_checklists = self._config(context)
        return config, build_ruleset(config, load_builtins(), repo_checklists)

    async def _review(
        self,
        client: GitHubClient,
        repo: RepoRef,
        job: Job,
        context: PullRequestContext | None = None,
        state: CommentState | None = None,
    ) -> Outcome:
        """Review the head; `state` replaces what the bot's comment records (commands)."""
        context = context or await self.context(client, repo, job)
        head_sha = context.snapshot.head_sha
        try:
            config, ruleset = self.rules(context)
        except ConfigError as exc:
            output = error_output(
                f"Invalid {CONFIG_PATH}: {len(exc.issues)} error(s)",
                "The review config on the base branch is rejected whole; fix it there.\n\n"
                + "```\n"
                + exc.render()
                + "\n```",
            )
            await self._write_check(client, repo, head_sha, "ai-review", Conclusion.FAILURE, output)
            return Outcome(Conclusion.FAILURE, output.title, head_sha, client.request_count)

        if state is None:
            state = read_state(context.bot_comment.body if context.bot_comment else None)
        try:
            return await self._analyze_and_write(client, repo, job, context, config, ruleset, state)
        except Exception as exc:
            raise ReviewFailed(config.check.on_error == "open") from exc

    async def _analyze_and_write(
        self,
        client: GitHubClient,
        repo: RepoRef,
        job: Job,
        context: PullRequestContext,
        config: RepoConfig,
        ruleset: Ruleset,
        state: CommentState,
    ) -> Outcome:
        head_sha = context.snapshot.head_sha
        analysis = await self.analysis(client, job, context, ruleset, state, config.check.name)
        state = _end_stale_override(state, context, analysis)
        state = await self._untick_after_push(client, context, ruleset, state)
        facts = await self._facts(client, context, ruleset, analysis, state)
        decision = decide(analysis, config.approvals, facts)
        output = check_output(analysis, decision)
        await self._write_check(
            client, repo, head_sha, config.check.name, decision.conclusion, output
        )
        if analysis.ai.assisted or context.bot_comment is not None or state != CommentState():
            tool_name = Detector(ruleset.signatures, ()).tool_name
            body = render_comment(
                analysis,
                tool_name,
                ticked=state.ticks,
                approvals_note=_approvals_note(decision),
                state_marker=state.to_marker(),
            )
            await upsert_comment(client, repo, context.number, body, context.bot_comment)
        return Outcome(decision.conclusion, decision.title, head_sha, client.request_count)

    async def _untick_after_push(
        self,
        client: GitHubClient,
        context: PullRequestContext,
        ruleset: Ruleset,
        state: CommentState,
    ) -> CommentState:
        """Untick items a push touched: a file their paths select, or any file for items that
        apply to the whole change. One compare per older head an item was ticked at."""
        head = context.snapshot.head_sha
        stale = {item: sha for item, sha in state.ticked_at.items() if sha != head}
        unticked: list[str] = []
        for since in sorted(set(stale.values())):
            changed = await _files_changed(client, context.repo, since, head)
            for item, sha in stale.items():
                if sha != since:
                    continue
                selecting = _item_paths(ruleset, item)
                if changed is None or any(
                    not selecting or globs.match_any(path, selecting) for path in changed
                ):
                    unticked.append(item)
        return state.untick(*unticked) if unticked else state

    async def analysis(
        self,
        client: GitHubClient,
        job: Job,
        context: PullRequestContext,
        ruleset: Ruleset,
        state: CommentState,
        check_name: str,
    ) -> Analysis:
        """The head's analysis: cached for a review event, else computed (check in progress)."""
        repo, head_sha = context.repo, context.snapshot.head_sha
        declared = _declared_evidence(state)
        cache_key = _analysis_key(repo, head_sha, context, declared)
        if job.kind is not JobKind.ANALYZE:
            cached = await self._store.analysis(cache_key)
            if cached is not None:
                return cached
        check_id = await self._store.check_run(repo.full_name, head_sha)
        check_id = await start_check(client, repo, head_sha, check_name, check_id)
        await self._store.remember_check_run(repo.full_name, head_sha, check_id)
        snapshot = await fetch_changes(
            client, context, lambda changed: needs_text(changed, ruleset)
        )
        analysis = await self._analyzer(snapshot, ruleset, declared)
        await self._store.remember_analysis(cache_key, analysis)
        return analysis

    def _config(self, context: PullRequestContext) -> tuple[RepoConfig, list[ChecklistDef]]:
        """The gate's config: org defaults under the repo's, both from their base branches."""
        config = effective_config(
            context.org_config_text,
            f"{context.repo.owner}/.github:{CONFIG_PATH}",
            context.config_text,
            CONFIG_PATH,
        )
        checklists = [
            load_model(text, path, ChecklistDef) for path, text in context.checklist_texts
        ]
        return config, checklists

    async def _write_check(
        self,
        client: GitHubClient,
        repo: RepoRef,
        head_sha: str,
        name: str,
        conclusion: Conclusion,
        output: CheckOutput,
    ) -> None:
        check_id = await self._store.check_run(repo.full_name, head_sha)
        if check_id is None:
            check_id = await start_check(client, repo, head_sha, name, None)
            await self._store.remember_check_run(repo.full_name, head_sha, check_id)
        await finish_check(client, repo, check_id, conclusion, output)

    async def _facts(
        self,
        client: GitHubClient,
        context: PullRequestContext,
        ruleset: Ruleset,
        analysis: Analysis,
        state: CommentState,
    ) -> PullRequestFacts:
        touched = analysis.risk.signal("critical_paths").tags
        owner_rules = tuple(
            OwnerRule(area.name or f"critical path #{index + 1}", tuple(area.owners))
            for index, area in enumerate(ruleset.critical_paths)
            if area.owners and (area.name or f"critical path #{index + 1}") in touched
        )
        refs = {*ruleset.approvals.seniors, *(o for rule in owner_rules for o in rule.owners)}
        reviewers = {
            r.login
            for r in context.reviews
            if r.state in (ReviewState.APPROVED, ReviewState.CHANGES_REQUESTED)
        }
        return PullRequestFacts(
            author=context.snapshot.author or "",
            head_sha=context.snapshot.head_sha,
            base_branch=context.snapshot.base_branch,
            commits=context.snapshot.commits,
            reviews=context.reviews,
            memberships=await self.memberships(client, reviewers, refs),
            owner_rules=owner_rules,
            override=state.override,
            unticked_required=tuple(
                item.id
                for checklist in analysis.checklist
                for item in checklist.items
                if item.required and item.id not in state.ticks
            ),
            declared_human=(
                (state.declaration.by, state.declaration.reason)
                if state.declaration is not None and state.declaration.tool is None
                else None
            ),
        )

    async def review(
        self,
        client: GitHubClient,
        repo: RepoRef,
        job: Job,
        context: PullRequestContext,
        state: CommentState | None,
    ) -> Outcome | None:
        """Review with a known context and, for commands, a new comment state."""
        try:
            return await self._review(client, repo, job, context, state)
        except ReviewFailed as failed:
            return await self._fail(client, repo, job, failed.__cause__, failed.fail_open)

    async def memberships(
        self, client: GitHubClient, logins: Sequence[str] | set[str], refs: set[str]
    ) -> Mapping[str, frozenset[str]]:
        """login -> the senior and owner references (`@org/team`, `login`) each satisfies."""
        teams = sorted(ref for ref in refs if ref.startswith("@"))
        found: dict[str, frozenset[str]] = {}
        for login in sorted(logins):
            member_of = {ref for ref in refs if ref.lower() == login.lower()}
            for team in teams:
                if await self._is_member(client, team, login):
                    member_of.add(team)
            found[login.lower()] = frozenset(member_of)
        return found

    async def _is_member(self, client: GitHubClient, team: str, login: str) -> bool:
        """Active team membership, asked once per (team, person) and cached briefly."""
        key = (team.lower(), login.lower())
        cached = self._memberships.get(key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        org, slug = team[1:].split("/", 1)
        try:
            answer = await client.getitem(f"/orgs/{org}/teams/{slug}/memberships/{login}")
            member = bool(answer.get("state") == "active")
        except BadRequest as exc:
            if exc.status_code != 404:
                raise
            member = False
        self._memberships[key] = (member, time.monotonic() + MEMBERSHIP_TTL_SECONDS)
        return member

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
            await self._write_check(client, repo, job.head_sha, "ai-review", conclusion, output)
        except Exception:  # GitHub itself may be what failed; the log has both errors
            log.exception("could not report the failure", extra={"error_id": error_id})
            return None
        return Outcome(conclusion, output.title, job.head_sha, client.request_count)


async def _files_changed(
    client: GitHubClient, repo: RepoRef, since: str, head: str
) -> list[str] | None:
    """Files changed from `since` to `head`; None when GitHub cannot say (force-push)."""
    try:
        answer = await client.getitem(f"/repos/{repo.full_name}/compare/{since}...{head}")
    except BadRequest as exc:
        if exc.status_code == 404:
            return None
        raise
    return [str(f["filename"]) for f in answer.get("files") or []]


def _item_paths(ruleset: Ruleset, item_id: str) -> tuple[str, ...]:
    """The path globs that alone select an item; () when it can apply to the whole change
    (some alternative of its `when` names no paths), so any changed file counts."""
    for checklist in ruleset.checklists:
        for item in checklist.items:
            if item.id != item_id:
                continue
            found: list[str] = []
            for clause in (checklist.when, item.when):
                whens = clause if isinstance(clause, list) else [clause] if clause else []
                if any(not when.paths for when in whens):
                    return ()
                found.extend(glob for when in whens for glob in when.paths)
            return tuple(found)
    return ()


def _declared_evidence(state: CommentState) -> tuple[Evidence, ...]:
    declaration = state.declaration
    if declaration is None or declaration.tool is None:
        return ()
    return (Evidence("declared", declaration.tool, f"declared by @{declaration.by}"),)


def _end_stale_override(
    state: CommentState, context: PullRequestContext, analysis: Analysis
) -> CommentState:
    """An override ends once commits after it include AI-tagged ones."""
    override = state.override
    if override is None or override.head_sha == context.snapshot.head_sha:
        return state
    shas = [c.sha for c in context.snapshot.commits]
    since = shas[shas.index(override.head_sha) + 1 :] if override.head_sha in shas else shas
    if set(since) & set(analysis.ai.ai_commits):
        log.info(
            "override ended by AI-tagged commits",
            extra={"repo": context.repo.full_name, "pr": context.number, "by": override.by},
        )
        return replace(state, override=None)
    return state


def _analysis_key(
    repo: RepoRef, head_sha: str, context: PullRequestContext, declared: tuple[Evidence, ...]
) -> str:
    """An analysis is reusable for the same head under the same config files and declarations."""
    digest = hashlib.sha256()
    parts = (context.org_config_text, context.config_text, *map(str, context.checklist_texts))
    for part in (*parts, *map(str, declared)):
        digest.update((part or "").encode() + b"\0")
    return f"{repo.full_name}@{head_sha}:{digest.hexdigest()[:16]}"


def _approvals_note(decision: Decision) -> str:
    """The gate's state in the comment; escaped, so updating the comment pings nobody."""
    lines = [f"**{md_text(decision.title)}**"]
    lines += [f"- {md_text(reason)}" for reason in decision.reasons]
    return "\n".join(lines)
