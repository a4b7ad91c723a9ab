"""Running one `/ai-review` command: who asked, may they, do it, answer on the pull request.

Who may do what is decided from GitHub (the commenter's collaborator permission and senior
team membership), never from the comment's text. Accepted commands get a +1 reaction; refused
or unknown ones a reply saying why and how to do it right. Declarations and overrides are
recorded in the bot's comment and in the audit log.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import yaml
from gidgethub import BadRequest

from bot.app.commands import Command, Role, help_text, may_run
from bot.app.jobs import Job, JobKind
from bot.app.service import Outcome, ReviewService
from bot.app.store import Store
from bot.builtins import load_builtins
from bot.config import CONFIG_PATH
from bot.config.load import ConfigError, parse_yaml
from bot.config.model import RepoConfig
from bot.engine.detect import Detector
from bot.engine.policy import Override
from bot.engine.result import Analysis
from bot.github.client import GitHubClient
from bot.github.gather import PullRequestContext, RepoRef
from bot.render.escape import md_code, md_text
from bot.render.markdown import SIGNAL_TITLES, parse_ticks
from bot.render.state import CommentState, Declaration, read_state

log = logging.getLogger(__name__)
audit_log = logging.getLogger("ai_review.audit")

WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})
NO_WORDS = frozenset({"no", "not", "off", "false", "none"})
MAX_EXPLAINED_LOCATIONS = 10


class CommandRunner:
    def __init__(self, service: ReviewService, store: Store) -> None:
        self._service = service
        self._store = store

    async def run(self, job: Job) -> None:
        client = await self._service.client_for(job.installation_id)
        repo = RepoRef(job.owner, job.repo, job.installation_id)
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
                f"@{job.sender}, {md_code(spec.usage)} is for {who}; GitHub says you are "
                f"{_describe(roles)}. Ask one of them to run it.",
            )
            return
        handler = getattr(self, "_" + spec.name.replace("-", "_"))
        await handler(client, repo, job, context, roles)

    async def run_ticks(self, job: Job) -> None:
        """Keep ticks by seniors (recorded with who ticked), revert everyone else's."""
        client = await self._service.client_for(job.installation_id)
        repo = RepoRef(job.owner, job.repo, job.installation_id)
        context = await self._service.context(client, repo, job)
        comment = context.bot_comment
        if comment is None or comment.id != job.comment_id:
            return  # another bot's comment, or not ours any more
        trusted = read_state(job.args)
        before, after = parse_ticks(job.args), parse_ticks(comment.body)
        changed = sorted(
            item for item in before.keys() | after.keys() if before.get(item) != after.get(item)
        )
        try:
            config, _ = self._service.rules(context)
        except ConfigError:
            config = RepoConfig()
        roles = await self._roles(client, repo, job.sender, context, config)
        head = context.snapshot.head_sha
        state = trusted
        if changed and Role.SENIOR in roles:
            for item in changed:
                state = (
                    state.tick(item, job.sender, head) if after.get(item) else state.untick(item)
                )
            await self._record(job, "checklist ticks", items=", ".join(changed))
        # Re-rendering from the trusted state also undoes any edit to the hidden marker.
        await self._review(client, repo, job, context, state, JobKind.GATE)
        if changed and Role.SENIOR not in roles:
            seniors = ", ".join(config.approvals.seniors) or "people with write access"
            await self._reply(
                client,
                repo,
                job,
                f"@{job.sender}, only senior reviewers ({md_text(seniors)}) can tick the review "
                f"checklist; your change to {', '.join(md_code(i) for i in changed)} was "
                "reverted.",
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
        permission = await self._permission(client, repo, login)
        if permission in WRITE_PERMISSIONS:
            roles.add(Role.WRITE)
        if permission == "admin":
            roles.add(Role.ADMIN)
        seniors = config.approvals.seniors
        membership = await self._service.memberships(client, {login}, set(seniors))
        # With no seniors configured, anyone with write access acts as one.
        if (seniors and membership.get(login.lower())) or (not seniors and Role.WRITE in roles):
            roles.add(Role.SENIOR)
        return frozenset(roles)

    async def _permission(self, client: GitHubClient, repo: RepoRef, login: str) -> str:
        try:
            answer = await client.getitem(
                f"/repos/{repo.full_name}/collaborators/{login}/permission"
            )
        except BadRequest as exc:
            if exc.status_code == 404:
                return "none"
            raise
        return str(answer.get("permission") or "none")

    async def _reply(self, client: GitHubClient, repo: RepoRef, job: Job, text: str) -> None:
        await client.post(
            f"/repos/{repo.full_name}/issues/{job.number}/comments", data={"body": text}
        )

    async def _accept(self, client: GitHubClient, repo: RepoRef, job: Job) -> None:
        await client.post(
            f"/repos/{repo.full_name}/issues/comments/{job.comment_id}/reactions",
            data={"content": "+1"},
        )

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
        state: CommentState | None = None,
        kind: JobKind = JobKind.ANALYZE,
    ) -> Outcome | None:
        review_job = replace(job, kind=kind, head_sha=context.snapshot.head_sha)
        return await self._service.review(client, repo, review_job, context, state)

    # -- the commands ---------------------------------------------------------------------------

    async def _help(self, client: GitHubClient, repo: RepoRef, job: Job, *_: Any) -> None:
        await self._reply(client, repo, job, f"ai-review commands:\n\n{help_text()}")

    async def _recheck(
        self, client: GitHubClient, repo: RepoRef, job: Job, context: PullRequestContext, *_: Any
    ) -> None:
        await self._accept(client, repo, job)
        await self._review(client, repo, job, context)

    async def _explain(
        self, client: GitHubClient, repo: RepoRef, job: Job, context: PullRequestContext, *_: Any
    ) -> None:
        try:
            config, ruleset = self._service.rules(context)
        except ConfigError as exc:
            await self._reply(client, repo, job, _invalid(exc))
            return
        state = read_state(context.bot_comment.body if context.bot_comment else None)
        analysis = await self._service.analysis(
            client, replace(job, kind=JobKind.GATE), context, ruleset, state, config.check.name
        )
        await self._accept(client, repo, job)
        await self._reply(client, repo, job, explain(analysis))

    async def _config(
        self, client: GitHubClient, repo: RepoRef, job: Job, context: PullRequestContext, *_: Any
    ) -> None:
        await self._accept(client, repo, job)
        await self._reply(client, repo, job, describe_config(self._service, context))

    async def _ai_assisted(
        self,
        client: GitHubClient,
        repo: RepoRef,
        job: Job,
        context: PullRequestContext,
        roles: frozenset[Role],
    ) -> None:
        state = read_state(context.bot_comment.body if context.bot_comment else None)
        first, _, rest = job.args.partition(" ")
        if first.lower() in NO_WORDS:
            if Role.SENIOR not in roles:
                await self._reply(
                    client,
                    repo,
                    job,
                    f"@{job.sender}, only a senior reviewer can say a pull request is not "
                    "AI-assisted or undo a declaration: it loosens the gate.",
                )
                return
            if not rest.strip():
                await self._reply(
                    client,
                    repo,
                    job,
                    "Say why: `/ai-review ai-assisted no REASON` (the reason is recorded).",
                )
                return
            declaration = Declaration(job.sender, None, rest.strip())
            await self._record(job, "declared not AI-assisted", reason=declaration.reason)
        else:
            detector = Detector(load_builtins().signatures, ())
            tool = detector.tool_in(job.args) or "unspecified" if job.args else "unspecified"
            declaration = Declaration(job.sender, tool)
            await self._record(job, "declared AI-assisted", tool=tool)
        await self._accept(client, repo, job)
        await self._review(client, repo, job, context, replace(state, declaration=declaration))

    async def _override(
        self, client: GitHubClient, repo: RepoRef, job: Job, context: PullRequestContext, *_: Any
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
        state = read_state(context.bot_comment.body if context.bot_comment else None)
        override = Override(job.sender, reason, context.snapshot.head_sha)
        await self._record(job, "override", reason=reason, head_sha=override.head_sha)
        await self._accept(client, repo, job)
        await self._review(
            client, repo, job, context, replace(state, override=override), JobKind.GATE
        )


def _invalid(exc: ConfigError) -> str:
    return f"The config on the base branch is invalid:\n\n```\n{exc.render()}\n```"


_AS_SOMEONE = {
    Role.ADMIN: "a repository admin",
    Role.SENIOR: "a senior reviewer",
    Role.WRITE: "someone with write access",
    Role.AUTHOR: "the pull request's author",
}


def _describe(roles: frozenset[Role]) -> str:
    named = [phrase for role, phrase in _AS_SOMEONE.items() if role in roles]
    return " and ".join(named) if named else "without write access to this repository"


def explain(analysis: Analysis) -> str:
    """The score per signal: weight times intensity, and the lines behind each."""
    risk = analysis.risk
    lines = [
        f"**Risk {risk.level}: {risk.score}/100**, the sum of each signal's points "
        "(its weight times how strongly it fired), capped at 100.",
        "",
        "| Signal | Points | Weight | Why |",
        "| --- | ---: | ---: | --- |",
    ]
    for signal in risk.signals:
        lines.append(
            f"| {SIGNAL_TITLES.get(signal.id, signal.id)} | {signal.score} | {signal.weight} "
            f"| {md_text(signal.detail)} |"
        )
    for signal in risk.signals:
        if not signal.locations:
            continue
        lines += ["", f"**{SIGNAL_TITLES.get(signal.id, signal.id)}**"]
        for location in signal.locations[:MAX_EXPLAINED_LOCATIONS]:
            place = location.path + (f":{location.line}" if location.line else "")
            lines.append(f"- {md_code(place)} {md_text(location.message)}")
        if len(signal.locations) > MAX_EXPLAINED_LOCATIONS:
            lines.append(f"- … and {len(signal.locations) - MAX_EXPLAINED_LOCATIONS} more")
    return "\n".join(lines)


def describe_config(service: ReviewService, context: PullRequestContext) -> str:
    """The effective config, and which file each top-level part came from."""
    sources = []
    for name in RepoConfig.model_fields:
        from_org = _sets(context.org_config_text, name)
        from_repo = _sets(context.config_text, name)
        origin = " over ".join(
            where
            for where, used in (
                (".github/ai-review.yml", from_repo),
                (f"{context.repo.owner}/.github", from_org),
            )
            if used
        )
        sources.append(f"- `{name}`: {origin + ' over ' if origin else ''}built-in defaults")
    try:
        config, _ = service.rules(context)
    except ConfigError as exc:
        return _invalid(exc)
    effective = yaml.safe_dump(
        config.model_dump(mode="json", exclude_defaults=True) or {}, sort_keys=False
    )
    checklists = ", ".join(path for path, _ in context.checklist_texts) or "none"
    return (
        "Effective review config (from the base branch):\n\n"
        + "\n".join(sources)
        + f"\n- repo checklists: {checklists}\n\nSettings that differ from the defaults:\n\n"
        + f"```yaml\n{effective}```"
    )


def _sets(text: str | None, key: str) -> bool:
    """Whether a config file sets a top-level key (read with the config's own safe parser)."""
    if not text:
        return False
    try:
        loaded = parse_yaml(text, CONFIG_PATH)
    except ConfigError:
        return False
    return isinstance(loaded, dict) and key in loaded
