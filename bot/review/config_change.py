"""A pull request that changes the review config: its proposal validated, and compared with the
base branch's config on other open pull requests. Pure.

The proposal (the config and checklist files at the pull request's head) never decides the
pull request that makes it: that one's `ai-review` check reads the base branch, as every
review does (compose.rules). Here the proposal is only validated, file by file, and put in
place of the base branch's files in other pull requests' contexts, to show what merging it
would change (bot/app/config_change.py gathers them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from bot.config import CHECKLISTS_DIR, CONFIG_PATH
from bot.config.checklists import ChecklistDef
from bot.config.issues import ConfigError, ConfigIssue, refuse
from bot.config.load import load_model
from bot.config.model import CheckConfig
from bot.engine.policy import Conclusion
from bot.engine.resolve import effective_config, repo_ruleset
from bot.github.context import PullRequestContext
from bot.github.proposals import MAX_CHECKLIST_FILES, Proposal, is_config_path
from bot.render import config_check
from bot.render.config_check import DryRun, Tried
from bot.render.posting import Posting
from bot.render.preview_output import Preview, PreviewedPull, config_diff
from bot.review import room

CHECK_SUFFIX = "/config"


@dataclass(frozen=True, slots=True)
class BaseSettings:
    """What the base branch's config says of the config check: its name (the gate's own
    name and `/config`), the gate's name, and how many pull requests to try a proposal on."""

    check_name: str
    gate_name: str
    pulls: int


def touches_config(paths: Iterable[str]) -> bool:
    """Whether a change to these paths changes the review config or a checklist file."""
    return any(is_config_path(path) for path in paths)


def base_settings(proposal: Proposal, owner: str) -> BaseSettings:
    """The config check's settings from the base branch (the defaults when its config is
    invalid: the gate says so on every pull request)."""
    try:
        check = effective_config(
            proposal.org_config_text,
            f"{owner}/.github:{CONFIG_PATH}",
            proposal.base_config_text,
            CONFIG_PATH,
        ).check
    except ConfigError:
        check = CheckConfig()
    return BaseSettings(f"{check.name}{CHECK_SUFFIX}", check.name, check.dry_run_pulls)


def validate(proposal: Proposal, owner: str) -> tuple[ConfigError, ...]:
    """Every mistake in the proposal, file by file (each file read on its own, so one bad
    checklist does not hide another), then what the files refer to that does not exist."""
    errors: list[ConfigError] = [
        refuse(path, "GitHub does not serve it as text (binary, or too large): it cannot be read")
        for path in proposal.unreadable
    ]
    if proposal.checklist_files > MAX_CHECKLIST_FILES:
        errors.append(
            ConfigError(
                CHECKLISTS_DIR,
                (
                    ConfigIssue(
                        None,
                        None,
                        "",
                        f"{proposal.checklist_files} checklist files; at most "
                        f"{MAX_CHECKLIST_FILES} are read",
                    ),
                ),
            )
        )
    config = None
    try:
        config = effective_config(
            proposal.org_config_text,
            f"{owner}/.github:{CONFIG_PATH}",
            proposal.config_text,
            CONFIG_PATH,
        )
    except ConfigError as exc:
        errors.append(exc)
    for path, text in proposal.checklist_texts:
        try:
            load_model(text, path, ChecklistDef)
        except ConfigError as exc:
            errors.append(exc)
    if config is not None and not errors:
        try:
            repo_ruleset(config, proposal.checklist_texts)
        except ConfigError as exc:
            errors.append(exc)
    return tuple(errors)


def own_files(proposal: Proposal) -> tuple[str, ...]:
    """The files of this repository a proposal's issue can be annotated on."""
    return (CONFIG_PATH, *(path for path, _ in proposal.checklist_texts), *proposal.unreadable)


def proposed_context(context: PullRequestContext, proposal: Proposal) -> PullRequestContext:
    """Another pull request's context with the proposal in place of its base branch's config
    and checklist files (the org's config stays under it, as it would after the merge)."""
    return replace(
        context, config_text=proposal.config_text, checklist_texts=proposal.checklist_texts
    )


def previewed(context: PullRequestContext) -> PreviewedPull:
    """The pull request a preview is of, as its output names it."""
    snapshot = context.snapshot
    return PreviewedPull(
        repo=context.repo.full_name,
        number=context.number,
        head_sha=snapshot.head_sha,
        base_sha=snapshot.base_sha,
        head_branch=snapshot.head_branch,
        base_branch=snapshot.base_branch,
        comment=context.bot_comment.body if context.bot_comment else None,
    )


def preview_of(
    context: PullRequestContext, source: str, reviewed: room.Reviewed | Posting
) -> Preview:
    """What the App would post on the pull request under one config (a Posting alone: the
    config is invalid there)."""
    if isinstance(reviewed, Posting):
        return Preview(previewed(context), source, reviewed, None)
    return Preview(previewed(context), source, reviewed.posting, reviewed.analysis)


def tried(
    context: PullRequestContext,
    title: str,
    before: room.Reviewed | Posting,
    after: room.Reviewed | Posting,
) -> Tried:
    """The pull request compared under the base branch's config and the proposal."""
    base = context.snapshot.base_branch
    return Tried(
        context.number,
        title,
        config_diff(
            preview_of(context, f"{CONFIG_PATH} at {base}", before),
            preview_of(context, "this pull request's config", after),
        ),
    )


def invalid(settings: BaseSettings, proposal: Proposal, errors: tuple[ConfigError, ...]) -> Posting:
    """An invalid proposal fails the config check, each issue listed and annotated."""
    output = config_check.invalid_output(
        errors, own_files(proposal), proposal.base_branch, settings.gate_name
    )
    return Posting(settings.check_name, Conclusion.FAILURE, output.title, output, None)


def dry_run(settings: BaseSettings, run: DryRun) -> Posting:
    """A valid proposal passes the config check, whatever it changes (the check informs; the
    gate of each pull request decides it)."""
    output = config_check.dry_run_output(run)
    return Posting(settings.check_name, Conclusion.SUCCESS, output.title, output, None)


def undecided(settings: BaseSettings, error_id: str) -> Posting:
    """An internal error: neutral, as the config check never blocks but for an invalid
    config."""
    output = config_check.undecided_output(error_id)
    return Posting(settings.check_name, Conclusion.NEUTRAL, output.title, output, None)
