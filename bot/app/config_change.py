"""The config check: a pull request that changes the review config is shown what it would do.

On a push (opened, synchronize, reopened) the App compares the config files at the head with
the base branch's (one query); when they differ and the pull request's own changes include
`.github/ai-review.yml` or a checklist file (not only the base's, for a branch behind), it reads
the config its head proposes, validates it, and tries it on the most recently updated other
open pull requests into the same branch: each is reviewed, without writing anything on it,
under the base branch's config and under the proposal, and compared as `preview --diff-config`
compares them. The result is a second check run on the head, `ai-review/config` (the gate's
name and `/config`), that fails only when the proposal is invalid. The proposal never governs
the pull request that makes it: that one's `ai-review` check is the gate's, from the base
branch.

Bounded: at most `check.dry_run_pulls` pull requests (the base branch's config), within
DRY_RUN_SECONDS in all, each within the diff limits every review has; the analyses the store
already holds are reused. One pull request failing is reported in its row. One check run per
head: a completed one is never posted again (a redelivery, a second push of the same head),
unless someone re-runs it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import replace

from gidgethub import HTTPException

from bot.app.analyses import Changes
from bot.app.retries import retry_if_refused_or_transient
from bot.app.service import ReviewService
from bot.config.issues import ConfigError
from bot.engine.files import needs_text
from bot.engine.ruleset import Ruleset
from bot.engine.snapshot import ChangedFile, Snapshot
from bot.github import gather, proposals, questions, writer
from bot.github.client import GitHubClient, GitHubUnavailable, token_refused
from bot.github.context import PullRequestContext, RepoRef
from bot.github.fetch import fetch_changes
from bot.github.fetch import run as run_steps
from bot.github.proposals import OpenPull, Proposal
from bot.queue.jobs import RERUN, Job, JobKind
from bot.render.config_check import DryRun, NotTried, Tried
from bot.render.posting import Posting
from bot.review import config_change
from bot.review.config_change import BaseSettings

log = logging.getLogger(__name__)

# Time for trying a proposal on other pull requests, all of them; those not reached are named.
DRY_RUN_SECONDS = 120.0
TRYING = (
    "Validating the proposed review config",
    "The config this pull request proposes is being validated and tried on other open pull "
    "requests.",
)


def _reason(exc: BaseException) -> str:
    """Why a pull request could not be tried, in words for its row."""
    if isinstance(exc, TimeoutError):
        return f"it took longer than the {DRY_RUN_SECONDS:.0f} s the App gives a dry run"
    if isinstance(exc, HTTPException):
        return f"GitHub answered {exc.status_code.value} {exc.status_code.phrase}"
    if isinstance(exc, GitHubUnavailable):
        return "GitHub did not answer"
    if isinstance(exc, LookupError):
        return "it is no longer on GitHub"
    return f"an internal error ({type(exc).__name__}; the App's logs have it)"


class ConfigChange:
    def __init__(self, service: ReviewService) -> None:
        self._service = service

    async def run(self, job: Job) -> None:
        """Post the config check of the head `job.head_sha`, when it changes the config."""
        client = await self._service.client_for(job.installation_id)
        repo = RepoRef(job.owner, job.repo, job.installation_id)
        differs = proposals.config_differs(repo, job.head_sha, job.base_ref)
        if not await run_steps(client, differs):
            return  # the config is the base branch's: the usual case costs this one query
        changed = await run_steps(client, proposals.changed_paths(repo, job.number))
        if not config_change.touches_config(changed.paths):
            if not changed.complete:
                log.info(
                    "too many changed files to tell whether the review config changed",
                    extra={"repo": repo.full_name, "pr": job.number},
                )
            return
        proposal = await run_steps(
            client, proposals.proposal(repo, job.number, job.head_sha, job.base_ref)
        )
        if proposal is None or proposal.state != "OPEN" or proposal.head_sha != job.head_sha:
            return  # closed, or moved on: the job of its new head checks that one
        settings = config_change.base_settings(proposal, repo.owner)
        name = settings.check_name
        existing = await run_steps(client, questions.latest_check_run(repo, job.head_sha, name))
        if existing is not None and existing[1] and job.args != RERUN:
            return  # this head has its config check already
        check_id = await writer.start_check(
            client, repo, job.head_sha, name, existing[0] if existing else None, TRYING
        )
        try:
            posting = await self._check(client, repo, job, proposal, settings)
        except Exception as exc:  # the check must not stay in progress
            retry_if_refused_or_transient(job, exc)
            error_id = uuid.uuid4().hex[:12]
            log.exception(
                "config check failed",
                extra={"error_id": error_id, "repo": repo.full_name, "pr": job.number},
            )
            posting = config_change.undecided(settings, error_id)
        await writer.finish_check(client, repo, check_id, posting.conclusion, posting.output)
        log.info(
            "config check done",
            extra={
                "repo": repo.full_name,
                "pr": job.number,
                "head_sha": job.head_sha,
                "conclusion": posting.conclusion.value,
                "title": posting.title,
                "requests": client.request_count,
            },
        )

    async def _check(
        self,
        client: GitHubClient,
        repo: RepoRef,
        job: Job,
        proposal: Proposal,
        settings: BaseSettings,
    ) -> Posting:
        errors = config_change.validate(proposal, repo.owner)
        if errors:
            return config_change.invalid(settings, proposal, errors)
        base = proposal.base_branch
        if settings.pulls == 0:
            return config_change.dry_run(settings, DryRun(base, settings.gate_name, 0, (), ()))
        listed = await run_steps(client, proposals.open_pulls(repo, base))
        others = [pull for pull in listed.pulls if pull.number != job.number]
        chosen, left_out = others[: settings.pulls], others[settings.pulls :]
        results = await self._try_all(client, repo, job, proposal, chosen)
        run = DryRun(
            base,
            settings.gate_name,
            settings.pulls,
            tuple(results),
            tuple(pull.number for pull in left_out),
            listed.complete,
        )
        return config_change.dry_run(settings, run)

    async def _try_all(
        self,
        client: GitHubClient,
        repo: RepoRef,
        job: Job,
        proposal: Proposal,
        pulls: list[OpenPull],
    ) -> list[Tried | NotTried]:
        """Each pull request tried in turn, within the time budget left."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DRY_RUN_SECONDS
        results: list[Tried | NotTried] = []
        for pull in pulls:
            left = deadline - loop.time()
            if left <= 0:
                reason = f"the {DRY_RUN_SECONDS:.0f} s the App gives a dry run were used up"
                results.append(NotTried(pull.number, pull.title, reason))
                continue
            try:
                async with asyncio.timeout(left):
                    results.append(await self._try(client, repo, job, proposal, pull))
            except Exception as exc:  # one pull request's trouble is reported in its row
                if token_refused(exc):
                    raise
                log.warning(
                    "could not try the proposed config on a pull request",
                    exc_info=exc,
                    extra={"repo": repo.full_name, "pr": job.number, "other": pull.number},
                )
                results.append(NotTried(pull.number, pull.title, _reason(exc)))
        return results

    async def _try(
        self, client: GitHubClient, repo: RepoRef, job: Job, proposal: Proposal, pull: OpenPull
    ) -> Tried:
        """The pull request reviewed under the base branch's config and under the proposal,
        written nowhere, with its own recorded state (declarations, overrides, ticks)."""
        other = replace(
            job,
            kind=JobKind.GATE,  # reuse the analysis the store has of its head
            number=pull.number,
            head_sha=pull.head_sha,
            base_ref=proposal.base_branch,
            args="",
        )
        service = self._service
        context = await service.context(client, repo, other)
        proposed = config_change.proposed_context(context, proposal)
        changes = self._one_gather(client, (context, proposed))
        before = await service.reviewed_of(client, other, context, progress=False, changes=changes)
        after = await service.reviewed_of(client, other, proposed, progress=False, changes=changes)
        return config_change.tried(context, pull.title, before, after)

    def _one_gather(
        self, client: GitHubClient, contexts: tuple[PullRequestContext, ...]
    ) -> Changes:
        """The pull request's diff and texts read at most once for both configs (an analysis
        the store has needs none): the texts either config reads, each analysis given its own."""
        rulesets = []
        for context in contexts:
            try:
                rulesets.append(self._service.rules(context)[1])
            except ConfigError:
                continue  # that side is the invalid-config posting: it analyzes nothing
        gathered: list[Snapshot] = []

        async def changes(context: PullRequestContext, ruleset: Ruleset) -> Snapshot:
            if not gathered:

                def either(changed: ChangedFile) -> bool:
                    return any(needs_text(changed, each) for each in rulesets)

                gathered.append(await fetch_changes(client, context, either))
            return gather.only_texts(gathered[0], lambda f: needs_text(f, ruleset))

        return changes
