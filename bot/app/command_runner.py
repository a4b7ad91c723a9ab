"""Running one `/ai-review` command: who asked, may they, do it, answer on the pull request.

Who may do what is decided from GitHub (the commenter's collaborator permission and senior
team membership), never from the comment's text. Accepted commands get a +1 reaction; refused
or unknown ones a reply saying why and how to do it right. Each command comment is acted on
once, whatever delivery brings it, and binds to the head the pull request had when it was
made. Declarations, overrides and ticks go to the store (the bot's comment only shows them)
and to the audit log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, replace

from bot.app.service import Outcome, ReviewService
from bot.config.issues import ConfigError
from bot.config.model import RepoConfig
from bot.engine.builtins import load_builtins
from bot.engine.detect import Detector
from bot.engine.policy import Override, is_senior
from bot.engine.pull_state import Declaration, PullState
from bot.github import writer
from bot.github.client import GitHubClient
from bot.github.context import PullRequestContext, RepoRef
from bot.github.meaning import WRITE_PERMISSIONS
from bot.queue.jobs import Job, JobKind
from bot.queue.store import Store
from bot.render.escape import md_code, md_text
from bot.render.replies import explain
from bot.review.commands import (
    COMMANDS,
    Command,
    Role,
    TickEdit,
    apply_tick_edit,
    describe_config,
    help_text,
    invalid_config_reply,
    may_loosen,
    may_run,
)

log = logging.getLogger(__name__)
audit_log = logging.getLogger("ai_review.audit")

# People without write access get this many replies per pull request, then silence (logged).
MAX_OUTSIDER_REPLIES = 3
COALESCE_SECONDS = 60.0


@dataclass(slots=True)
class _Replies:
    quiet: bool
    posted: list[str]


# The replies of the command being run (commands of several pull requests run at once).
_JOB_REPLIES: ContextVar[_Replies | None] = ContextVar("job_replies", default=None)
NO_WORDS = frozenset({"no", "not", "off", "false", "none"})


Runner = Callable[
    ["CommandRunner", GitHubClient, RepoRef, Job, PullRequestContext, frozenset[Role], PullState],
    Awaitable[None],
]
# Each command's runner, by the name review/commands.py gives it; checked below against COMMANDS.
RUNNERS: dict[str, Runner] = {}


def runs(name: str) -> Callable[[Runner], Runner]:
    """Register the method that runs the command `name`."""

    def register(method: Runner) -> Runner:
        if name not in COMMANDS or name in RUNNERS:
            raise RuntimeError(f"command {name!r}: not in COMMANDS, or run twice")
        RUNNERS[name] = method
        return method

    return register


class CommandRunner:
    def __init__(self, service: ReviewService, store: Store) -> None:
        self._service = service
        self._store = store
        self._recent: dict[tuple[str, str, str, str], float] = {}

    async def run(self, job: Job) -> None:
        client = await self._service.client_for(job.installation_id)
        repo = RepoRef(job.owner, job.repo, job.installation_id)
        state = await self._service.pull_state(repo, job.number)
        if state.command_seen(job.comment_id):
            log.info(
                "command already acted on",
                extra={"repo": repo.full_name, "pr": job.number, "comment": job.comment_id},
            )
            return
        # Recorded first: whatever happens next, this comment is not acted on again.
        state = state.with_command(job.comment_id)
        await self._service.save_pull_state(repo, job.number, state)
        permission = await self._service.people.permission(client, repo, job.sender)
        outsider = permission not in WRITE_PERMISSIONS
        if outsider and not self._first_of_its_kind(job):
            log.info("same command again within a minute: skipped", extra={"pr": job.number})
            return
        replies: list[str] = []
        quiet = outsider and state.replies_to(job.sender) >= MAX_OUTSIDER_REPLIES
        token = _JOB_REPLIES.set(_Replies(quiet, replies))
        try:
            await self._run_command(client, repo, job, state)
        finally:
            _JOB_REPLIES.reset(token)
        if outsider and replies:
            # Read again: the command's own review may have saved the state meanwhile.
            state = await self._service.pull_state(repo, job.number)
            for _ in replies:
                state = state.replied_to_outsider(job.sender)
            await self._service.save_pull_state(repo, job.number, state)

    def _first_of_its_kind(self, job: Job) -> bool:
        """Coalesce a burst: the same command by the same person on the same pull request
        within COALESCE_SECONDS runs once."""
        now = time.monotonic()
        key = (job.pr_key, job.sender.lower(), job.command, job.args)
        seen = self._recent.get(key)
        self._recent[key] = now
        if len(self._recent) > 10_000:
            self._recent = {k: t for k, t in self._recent.items() if now - t < COALESCE_SECONDS}
        return seen is None or now - seen >= COALESCE_SECONDS

    async def _run_command(
        self, client: GitHubClient, repo: RepoRef, job: Job, state: PullState
    ) -> None:
        command = Command(job.command, job.args)
        spec = command.spec
        if spec is None:
            await self._reply(
                client,
                repo,
                job,
                f"Unknown command {md_code(command.name)}. The commands are:\n\n{help_text()}",
            )
            return
        context = await self._service.context(client, repo, job)
        try:
            config, _ = self._service.rules(context)
        except ConfigError:
            config = RepoConfig()  # permissions below need no config; the check run says why
        roles = await self._roles(client, repo, job.sender, context, config)
        if not may_run(spec, roles):
            who = ", ".join(role.value for role in spec.allowed)
            await self._reply(
                client,
                repo,
                job,
                f"@{job.sender}, `{spec.usage}` is for {who}; GitHub says you are "
                f"{_describe(roles)}. Ask one of them to run it.",
            )
            return
        await RUNNERS[spec.name](self, client, repo, job, context, roles, state)

    async def run_ticks(self, job: Job) -> None:
        """Apply a senior's ticks to the recorded state; re-render the comment from the state
        either way, which undoes anyone else's edit of it."""
        client = await self._service.client_for(job.installation_id)
        repo = RepoRef(job.owner, job.repo, job.installation_id)
        context = await self._service.context(client, repo, job)
        state = await self._service.pull_state(repo, job.number)
        ours = state.comment_id if state.comment_id is not None else _found_id(context)
        if ours != job.comment_id:
            return  # another bot's comment, or not ours any more
        edit = TickEdit.from_args(job.args)
        if edit.edited_at and edit.edited_at < state.edited_until:
            log.info(
                "comment edit older than one already applied",
                extra={"repo": repo.full_name, "pr": job.number, "delivery": job.delivery_id},
            )
            return
        changed = sorted({*edit.ticked, *edit.unticked})
        try:
            config, _ = self._service.rules(context)
        except ConfigError:
            config = RepoConfig()
        roles = await self._roles(client, repo, job.sender, context, config)
        state, may_tick = apply_tick_edit(state, edit, job.sender, roles, _bound_head(job, context))
        if changed and may_tick:
            await self._record(job, "checklist ticks", items=", ".join(changed))
        await self._review(client, repo, job, context, state, JobKind.GATE)
        if changed and not may_tick:
            seniors = ", ".join(config.approvals.seniors) or "people with write access"
            why = (
                "the pull request's author cannot tick its review checklist"
                if Role.AUTHOR in roles
                else f"only senior reviewers ({md_text(seniors)}) can tick the review checklist"
            )
            await self._reply(
                client,
                repo,
                job,
                f"@{job.sender}, {why}; your change to "
                # item ids are [a-z0-9._-] (parse_ticks reads nothing else): safe in code spans
                f"{', '.join(f'`{item}`' for item in changed)} was reverted.",
            )

    async def _roles(
        self,
        client: GitHubClient,
        repo: RepoRef,
        login: str,
        context: PullRequestContext,
        config: RepoConfig,
    ) -> frozenset[Role]:
        roles = {Role.ANYONE}
        if login.lower() == (context.snapshot.author or "").lower():
            roles.add(Role.AUTHOR)
        permission = await self._service.people.permission(client, repo, login)
        if permission in WRITE_PERMISSIONS:
            roles.add(Role.WRITE)
        if permission == "admin":
            roles.add(Role.ADMIN)
        approvals = config.approvals
        membership = await self._service.people.memberships(client, [login], approvals.seniors)
        member_of = membership.get(login.lower(), frozenset())
        if is_senior(
            login, member_of=member_of, can_write=Role.WRITE in roles, approvals=approvals
        ):
            roles.add(Role.SENIOR)
        return frozenset(roles)

    async def _reply(self, client: GitHubClient, repo: RepoRef, job: Job, text: str) -> None:
        replies = _JOB_REPLIES.get()
        if replies is not None and replies.quiet:
            log.info(
                "no reply: this person without write access had their share here",
                extra={"pr": job.number, "sender": job.sender},
            )
            return
        await writer.reply(client, repo, job.number, text)
        if replies is not None:
            replies.posted.append(text)

    async def _accept(self, client: GitHubClient, repo: RepoRef, job: Job) -> None:
        replies = _JOB_REPLIES.get()
        if replies is not None and replies.quiet:
            return
        await writer.react(client, repo, job.comment_id, "+1")

    async def _record(self, job: Job, action: str, **details: str) -> None:
        entry = {
            "repo": f"{job.owner}/{job.repo}",
            "pr": str(job.number),
            "by": job.sender,
            "action": action,
            "delivery": job.delivery_id,
            **details,
        }
        await self._store.audit(entry)
        audit_log.info(action, extra=entry)

    async def _review(
        self,
        client: GitHubClient,
        repo: RepoRef,
        job: Job,
        context: PullRequestContext,
        state: PullState | None = None,
        kind: JobKind = JobKind.ANALYZE,
    ) -> Outcome | None:
        review_job = replace(job, kind=kind, head_sha=context.snapshot.head_sha)
        return await self._service.review(client, repo, review_job, context, state)

    # -- the commands ---------------------------------------------------------------------------

    @runs("help")
    async def _help(
        self,
        client: GitHubClient,
        repo: RepoRef,
        job: Job,
        context: PullRequestContext,
        roles: frozenset[Role],
        state: PullState,
    ) -> None:
        await self._reply(client, repo, job, f"ai-review commands:\n\n{help_text()}")

    @runs("recheck")
    async def _recheck(
        self,
        client: GitHubClient,
        repo: RepoRef,
        job: Job,
        context: PullRequestContext,
        roles: frozenset[Role],
        state: PullState,
    ) -> None:
        await self._accept(client, repo, job)
        await self._review(client, repo, job, context)

    @runs("explain")
    async def _explain(
        self,
        client: GitHubClient,
        repo: RepoRef,
        job: Job,
        context: PullRequestContext,
        roles: frozenset[Role],
        state: PullState,
    ) -> None:
        try:
            _, ruleset = self._service.rules(context)
        except ConfigError as exc:
            await self._reply(client, repo, job, invalid_config_reply(exc))
            return
        # Read-only: an analysis computed here never touches the check run.
        analysis = await self._service.analysis(
            client, replace(job, kind=JobKind.GATE), context, ruleset, state
        )
        await self._accept(client, repo, job)
        await self._reply(client, repo, job, explain(analysis))

    @runs("config")
    async def _config(
        self,
        client: GitHubClient,
        repo: RepoRef,
        job: Job,
        context: PullRequestContext,
        roles: frozenset[Role],
        state: PullState,
    ) -> None:
        try:
            check_name = self._service.rules(context)[0].check.name
        except ConfigError:
            check_name = "ai-review"
        note = await self._service.followups.setup_note(client, context, check_name)
        await self._accept(client, repo, job)
        await self._reply(client, repo, job, describe_config(context, note))

    @runs("ai-assisted")
    async def _ai_assisted(
        self,
        client: GitHubClient,
        repo: RepoRef,
        job: Job,
        context: PullRequestContext,
        roles: frozenset[Role],
        state: PullState,
    ) -> None:
        first, _, rest = job.args.partition(" ")
        head = context.snapshot.head_sha
        if first.lower() in NO_WORDS:
            if not may_loosen(roles):
                why = (
                    "the pull request's author cannot say it is not AI-assisted"
                    if Role.AUTHOR in roles
                    else "only a senior reviewer can say a pull request is not AI-assisted or "
                    "undo a declaration"
                )
                await self._reply(client, repo, job, f"@{job.sender}, {why}: it loosens the gate.")
                return
            if not rest.strip():
                await self._reply(
                    client,
                    repo,
                    job,
                    "Say why: `/ai-review ai-assisted no REASON` (the reason is recorded).",
                )
                return
            if not await self._still_at_head(client, repo, job, context):
                return
            declaration = Declaration(job.sender, None, rest.strip(), head)
            await self._record(
                job, "declared not AI-assisted", reason=declaration.reason, head_sha=head
            )
            # A senior's judgement replaces the earlier sighting of AI use, for this head.
            state = replace(state, declaration=declaration, ai_seen=None)
        else:
            # The repository's own agents count too (its config's signatures), when it is valid.
            try:
                signatures = self._service.rules(context)[1].signatures
            except ConfigError:
                signatures = load_builtins().signatures
            detector = Detector(signatures, ())
            tool = detector.tool_in(job.args) or "unspecified" if job.args else "unspecified"
            declaration = Declaration(job.sender, tool, "", head)
            await self._record(job, "declared AI-assisted", tool=tool)
            state = replace(state, declaration=declaration)
        await self._accept(client, repo, job)
        await self._review(client, repo, job, context, state)

    @runs("override")
    async def _override(
        self,
        client: GitHubClient,
        repo: RepoRef,
        job: Job,
        context: PullRequestContext,
        roles: frozenset[Role],
        state: PullState,
    ) -> None:
        reason = job.args.strip()
        if not reason:
            await self._reply(
                client,
                repo,
                job,
                "An override needs a reason: `/ai-review override REASON` (it is recorded).",
            )
            return
        if not await self._still_at_head(client, repo, job, context):
            return
        override = Override(job.sender, reason, context.snapshot.head_sha)
        await self._record(job, "override", reason=reason, head_sha=override.head_sha)
        await self._accept(client, repo, job)
        await self._review(
            client, repo, job, context, replace(state, override=override), JobKind.GATE
        )

    async def _still_at_head(
        self, client: GitHubClient, repo: RepoRef, job: Job, context: PullRequestContext
    ) -> bool:
        """A command that loosens the gate applies to the head it was made at: when the pull
        request moved on since, it is refused and its author asked to look again."""
        made_at, head = job.head_sha, context.snapshot.head_sha
        if not made_at or made_at == head:
            return True
        await self._reply(
            client,
            repo,
            job,
            f"@{job.sender}, the pull request changed after your command (it was at "
            f"`{made_at[:10]}`, it is now at `{head[:10]}`), so it was not "
            "applied. Look at the new commits and run it again if it still holds.",
        )
        return False


def _found_id(context: PullRequestContext) -> int | None:
    return context.bot_comment.id if context.bot_comment is not None else None


def _bound_head(job: Job, context: PullRequestContext) -> str:
    """The head a person acted at: the one the App had seen when the delivery came, else the
    head now."""
    return job.head_sha or context.snapshot.head_sha


_AS_SOMEONE = {
    Role.ADMIN: "a repository admin",
    Role.SENIOR: "a senior reviewer",
    Role.WRITE: "someone with write access",
    Role.AUTHOR: "the pull request's author",
}


def _describe(roles: frozenset[Role]) -> str:
    named = [phrase for role, phrase in _AS_SOMEONE.items() if role in roles]
    return " and ".join(named) if named else "without write access to this repository"


if RUNNERS.keys() != COMMANDS.keys():
    raise RuntimeError(f"commands without a runner: {sorted(COMMANDS.keys() - RUNNERS.keys())}")
