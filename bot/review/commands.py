"""Comment commands: `/ai-review COMMAND [ARGS]` on the first line of a pull request comment.

Parsing and the table of who may run what are pure; the service asks GitHub who the commenter
is (collaborator permission, senior team membership) and applies this table to the answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from enum import StrEnum

import yaml

from bot.config import CONFIG_PATH
from bot.config.issues import ConfigError
from bot.config.load import parse_yaml
from bot.config.model import RepoConfig
from bot.engine.pull_state import PullState
from bot.engine.resolve import uses_codeowners
from bot.github.context import PullRequestContext
from bot.review import compose

# At most three spaces of indent: four make a markdown code block, `>` a quote.
_COMMAND = re.compile(r"^ {0,3}/ai-review(?:[ \t]+(?P<rest>.*))?$", re.IGNORECASE)
MAX_ARGS = 500


class Role(StrEnum):
    """What a commenter is, from GitHub; later roles include the earlier ones' rights."""

    ANYONE = "anyone"
    AUTHOR = "the pull request's author"
    WRITE = "people with write access"
    SENIOR = "senior reviewers"
    ADMIN = "repository admins"


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    usage: str
    summary: str
    allowed: tuple[Role, ...]


COMMANDS = {
    spec.name: spec
    for spec in (
        CommandSpec(
            "help", "/ai-review help", "list the commands and who may use them", (Role.ANYONE,)
        ),
        CommandSpec(
            "recheck",
            "/ai-review recheck",
            "analyze the current head again, with the config re-read from the base branch",
            (Role.AUTHOR, Role.WRITE),
        ),
        CommandSpec(
            "explain",
            "/ai-review explain",
            "break the risk score down per signal, with the lines and weights behind it",
            (Role.ANYONE,),
        ),
        CommandSpec(
            "config",
            "/ai-review config",
            "show the effective config and where each part came from",
            (Role.ANYONE,),
        ),
        CommandSpec(
            "ai-assisted",
            "/ai-review ai-assisted [TOOL | no REASON]",
            "declare AI use detection missed (author or write access); `no REASON` says "
            "a detected PR is not AI-assisted, for this head (seniors other than the author)",
            (Role.AUTHOR, Role.WRITE),
        ),
        CommandSpec(
            "override",
            "/ai-review override REASON",
            "pass the gate in an emergency, on the record; the next push that adds code ends it",
            (Role.ADMIN,),
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    args: str

    @property
    def spec(self) -> CommandSpec | None:
        return COMMANDS.get(self.name)


def parse_command(body: str) -> Command | None:
    """The command on a comment's first line, or None when the comment is not a command."""
    first = body.replace("\r\n", "\n").split("\n", 1)[0]
    found = _COMMAND.match(first)
    if found is None:
        return None
    rest = (found.group("rest") or "").strip()
    name, _, args = rest.partition(" ")
    return Command(name.lower() or "help", " ".join(args.split())[:MAX_ARGS])


def help_text() -> str:
    rows = ["| Command | What it does | Who may use it |", "| --- | --- | --- |"]
    for spec in COMMANDS.values():
        who = ", ".join(role.value for role in spec.allowed)
        rows.append(f"| `{spec.usage}` | {spec.summary} | {who} |")
    return "\n".join(rows)


def may_run(spec: CommandSpec, roles: frozenset[Role]) -> bool:
    """Whether someone with these roles may run the command; admins may run everything."""
    if Role.ANYONE in spec.allowed or Role.ADMIN in roles:
        return True
    return bool(roles.intersection(spec.allowed))


# -- what a command or an edit may change in the recorded state (pure) -------------------------


def may_loosen(roles: frozenset[Role]) -> bool:
    """Whether someone may say a pull request is not AI-assisted, or tick its checklist:
    a senior who is not its author."""
    return Role.SENIOR in roles and Role.AUTHOR not in roles


@dataclass(frozen=True, slots=True)
class TickEdit:
    """What one edit of the bot's comment changed: checklist items ticked and unticked, and
    GitHub's time of the edit (`comment.updated_at`, ISO 8601 UTC, ordered as text)."""

    ticked: tuple[str, ...] = ()
    unticked: tuple[str, ...] = ()
    edited_at: str = ""

    def to_args(self) -> str:
        return json.dumps(
            {"ticked": list(self.ticked), "unticked": list(self.unticked), "at": self.edited_at}
        )

    @classmethod
    def from_args(cls, args: str) -> TickEdit:
        """The edit a TICKS job carries; an unreadable one (a job queued by an older version,
        which carried the body before the edit) changes nothing."""
        try:
            raw = json.loads(args)
            return cls(
                tuple(str(i) for i in raw["ticked"]),
                tuple(str(i) for i in raw["unticked"]),
                str(raw["at"]),
            )
        except (ValueError, TypeError, KeyError):
            return cls()


def apply_tick_edit(
    state: PullState, edit: TickEdit, sender: str, roles: frozenset[Role], head_sha: str
) -> tuple[PullState, bool]:
    """The state after one edit of the bot's comment, and whether the edit was kept. Only a
    senior who is not the author changes ticks; an edit older than one already applied (a
    replayed delivery) changes nothing."""
    if edit.edited_at and edit.edited_at < state.edited_until:
        return state, False
    kept = may_loosen(roles)
    if kept:
        for item in edit.ticked:
            state = state.tick(item, sender, head_sha)
        state = state.untick(*edit.unticked)
    return replace(state, edited_until=max(state.edited_until, edit.edited_at)), kept


# -- what the read-only commands reply (pure) ---------------------------------------------------


def invalid_config_reply(exc: ConfigError) -> str:
    return f"The config on the base branch is invalid:\n\n```\n{exc.render()}\n```"


def describe_config(context: PullRequestContext, setup_note: str | None = None) -> str:
    """The effective config, and which file each top-level part came from; `setup_note` first
    when the base branch does not require the check (bot/review/setup.py words it)."""
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
        config, ruleset = compose.rules(context)
    except ConfigError as exc:
        return invalid_config_reply(exc)
    effective = yaml.safe_dump(
        config.model_dump(mode="json", exclude_defaults=True) or {}, sort_keys=False
    )
    checklists = ", ".join(path for path, _ in context.checklist_texts) or "none"
    owners = ruleset.codeowners
    if uses_codeowners(config):
        checklists += "\n- critical path owners from " + (
            f"{owners.source}" if not owners.problem else f"CODEOWNERS: none, {owners.problem}"
        )
    return (
        (f"> {setup_note}\n\n" if setup_note else "")
        + "Effective review config (from the base branch):\n\n"
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
