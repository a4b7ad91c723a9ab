"""`ai-review-bot preview`: what the App would post on a real pull request, with your config.

Reads the pull request with your token through PyGithub, gathers the same snapshot the App
gathers (bot/github/gather.py's steps, bot/github/pygithub_adapter.py's transport), and composes
the same check run and comment (bot/app/compose.py). Nothing is written to GitHub.

Every way GitHub can say no (no token, a refused token, no access, no such pull request, a
used-up rate limit, no answer) becomes one PreviewError line that says what to do.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from github import GithubException

from bot.config import CONFIG_PATH
from bot.config.issues import ConfigError
from bot.config.model import RepoConfig
from bot.engine.files import needs_text
from bot.engine.pipeline import analyze
from bot.engine.pull_state import PullState
from bot.engine.ruleset import Ruleset
from bot.engine.snapshot import Snapshot
from bot.github import gather, meaning, questions
from bot.github import pygithub_adapter as adapter_module
from bot.github.context import PullRequestContext, RepoRef
from bot.github.pygithub_adapter import PyGithubAdapter
from bot.render import preview_output as render
from bot.render.markdown import MARKER
from bot.render.preview_output import Preview
from bot.render.state import ShownState, read_state_line, state_key, state_line
from bot.review import compose, room
from bot.review.config_change import previewed
from bot.settings import SettingsError, app_private_key
from bot.tools import default_tools

PUBLIC_API = "https://api.github.com"
_PULL_URL = re.compile(
    r"^(?P<scheme>https?)://(?P<host>[^/\s]+)/(?P<owner>[\w.-]+)/(?P<name>[\w.-]+)"
    r"/pull/(?P<number>\d+)(?:[/?#]\S*)?$"
)
_PULL_SHORT = re.compile(r"^(?P<owner>[\w.-]+)/(?P<name>[\w.-]+)#(?P<number>\d+)$")


class PreviewError(Exception):
    """Something the person must fix or wait for; the message is one line saying what."""


@dataclass(frozen=True, slots=True)
class PullRequestRef:
    """A pull request as the person named it; `site` is the web root a URL gave, if any."""

    owner: str
    name: str
    number: int
    site: str | None = None

    @property
    def repo(self) -> RepoRef:
        return RepoRef(self.owner, self.name)

    def __str__(self) -> str:
        return f"{self.owner}/{self.name}#{self.number}"


@dataclass(frozen=True, slots=True)
class ConfigChoice:
    """A config to preview with: a local file's text, or (text None) the base branch's.
    `source` names it in error messages."""

    source: str = CONFIG_PATH
    text: str | None = None

    def label(self, base_branch: str) -> str:
        return self.source if self.text is not None else f"{self.source} at {base_branch}"


def parse_pull_request(text: str) -> PullRequestRef:
    """`https://HOST/OWNER/REPO/pull/N` or `OWNER/REPO#N`; raises PreviewError otherwise."""
    text = text.strip()
    found = _PULL_URL.match(text) or _PULL_SHORT.match(text)
    if found is None:
        raise PreviewError(
            f"{text!r} is not a pull request: give its URL "
            "(https://github.com/OWNER/REPO/pull/N) or OWNER/REPO#N"
        )
    parts = found.groupdict()
    site = f"{parts['scheme']}://{parts['host']}" if "host" in parts else None
    return PullRequestRef(parts["owner"], parts["name"], int(parts["number"]), site)


def api_url_for(pull: PullRequestRef, env: Mapping[str, str]) -> str:
    """GITHUB_API_URL when set; else the API of the site the URL names (GitHub Enterprise
    Server: https://HOST/api/v3); else api.github.com."""
    configured = env.get("GITHUB_API_URL", "").strip().rstrip("/")
    if configured:
        if not configured.startswith(("https://", "http://")):
            raise PreviewError(f"GITHUB_API_URL must be an http(s) URL, not {configured!r}")
        return configured
    if pull.site is None or pull.site.split("://", 1)[1] in ("github.com", "www.github.com"):
        return PUBLIC_API
    return f"{pull.site}/api/v3"


def _host(api_url: str) -> str:
    """The host `gh` knows the API by: github.com for api.github.com, else the API's host."""
    host = urlsplit(api_url).hostname or api_url
    return "github.com" if host == "api.github.com" else host


def find_token(env: Mapping[str, str], api_url: str) -> str:
    """GITHUB_TOKEN, else what `gh auth token` gives for the API's host."""
    token = env.get("GITHUB_TOKEN", "").strip()
    if token:
        return token
    host = _host(api_url)
    try:
        done = subprocess.run(  # noqa: S603  (a fixed argument list, no shell)
            ["gh", "auth", "token", "--hostname", host],  # noqa: S607  (gh from PATH, as typed)
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        done = None
    if done is not None and done.returncode == 0 and done.stdout.strip():
        return done.stdout.strip()
    raise PreviewError(
        f"no GitHub token for {host}: set GITHUB_TOKEN to a token that can read the "
        "repository, or run `gh auth login`"
    )


def read_config(path: str) -> ConfigChoice:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PreviewError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise PreviewError(f"cannot read {path}: it is not UTF-8 text") from None
    return ConfigChoice(path, text)


# -- gathering and composing ------------------------------------------------------------------


def _context(adapter: PyGithubAdapter, pull: PullRequestRef) -> PullRequestContext:
    try:
        base_ref = adapter.base_ref(pull.repo, pull.number)
    except GithubException as exc:
        if exc.status != 404:
            raise
        if adapter.can_see(pull.repo):
            raise PreviewError(
                f"{pull.repo.full_name} has no pull request #{pull.number}"
            ) from None
        raise PreviewError(
            f"{pull.repo.full_name} was not found, or your token cannot read it (GitHub answers "
            "404 for private repositories a token has no access to)"
        ) from None
    return adapter.run(
        gather.pull_request(
            pull.repo, pull.number, base_ref=base_ref, bot_login=None, marker=MARKER
        )
    )


def _with_config(context: PullRequestContext, choice: ConfigChoice) -> PullRequestContext:
    """The context as the App would see it with `choice` as the base branch's config."""
    return context if choice.text is None else replace(context, config_text=choice.text)


class _Session:
    """One preview run: answers asked once even when two configs need them."""

    def __init__(
        self, adapter: PyGithubAdapter, context: PullRequestContext, app_id: int | None = None
    ) -> None:
        self.adapter = adapter
        self.context = context
        self.app_id = app_id
        self._changed: dict[str, list[str] | None] = {}
        self._members: dict[compose.Membership, bool | None] = {}

    def changed_since(self, shas: Sequence[str]) -> dict[str, list[str] | None]:
        missing = [sha for sha in shas if sha not in self._changed]
        head = self.context.snapshot.head_sha
        self._changed |= self.adapter.run(
            questions.files_changed_since(self.context.repo, missing, head)
        )
        return {sha: self._changed[sha] for sha in shas}

    def clean_merges(self, since: str | None) -> frozenset[str]:
        snapshot = self.context.snapshot
        return self.adapter.run(
            questions.clean_update_merges(
                self.context.repo, snapshot.commits, snapshot.base_sha, since
            )
        )

    def permissions(self, logins: Iterable[str]) -> dict[str, str] | None:
        """Each person's permission, or None when the token may not read them."""
        try:
            return self.adapter.run(questions.permissions(self.context.repo, logins))
        except GithubException as exc:
            if exc.status == 403:
                return None
            raise

    def requirement(self, branch: str, name: str) -> meaning.CheckRequirement | None:
        """Whether the base branch requires the check from the App; None (nothing said) when
        the App's id is not known here (GITHUB_APP_ID) or the token may not read the branch."""
        if self.app_id is None:
            return None
        steps = questions.check_requirement(self.context.repo, branch, name, self.app_id)
        try:
            return self.adapter.run(steps)
        except GithubException as exc:
            if exc.status in (403, 404):
                return None
            raise

    def is_member(self, question: compose.Membership) -> bool | None:
        if question not in self._members:
            self._members[question] = self.adapter.is_member(*question)
        return self._members[question]


def _compose(
    session: _Session,
    choice: ConfigChoice,
    rules: tuple[RepoConfig, Ruleset],
    snapshot: Snapshot,
    shown: ShownState | None,
    key: bytes | None,
) -> Preview:
    config, ruleset = rules
    context = _with_config(session.context, choice)
    texts = gather.only_texts(snapshot, lambda f: needs_text(f, ruleset))
    line_notes: list[str] = []

    def answer(question: room.Question) -> Any:
        match question:
            case room.CleanMerges(since):
                return session.clean_merges(since)
            case room.Analyze(declared):
                return analyze(texts, ruleset, declared=declared, tools=default_tools())
            case room.ChangedSince(shas):
                return session.changed_since(shas)
            case room.Memberships(questions):
                return {q: session.is_member(q) for q in questions}
            case room.Permissions(logins):
                return session.permissions(logins)
            case room.RequiredCheck(branch, name):
                return session.requirement(branch, name)
            case room.StateLine(state):
                line, notes = _state_line(context, state, shown, key)
                line_notes.extend(notes)
                return line

    initial = shown.state if shown else PullState()
    reviewed = room.answer_sync(room.review_head(context, config, ruleset, initial), answer)
    notes = _notes(reviewed, shown) + tuple(line_notes)
    label = choice.label(context.snapshot.base_branch)
    return Preview(previewed(context), label, reviewed.posting, reviewed.analysis, notes)


def _notes(reviewed: room.Reviewed, shown: ShownState | None) -> tuple[str, ...]:
    """What the preview could not see as the App does, in the order a reader needs it."""
    notes = tuple(
        f"your token cannot see team {team}: approvals by its members count here as not from "
        "a senior (the App, with its members permission, may count them)"
        for team in reviewed.hidden_teams
    )
    if shown is not None and shown.verified is None:
        notes += (
            "declarations, overrides and ticks are as the App's comment shows them, unverified "
            "(the App keeps them in its store; with the App's private key in "
            "GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_PATH the preview checks their signature)",
        )
    if reviewed.permissions_unread:
        notes += (
            "your token cannot read collaborators' permissions: approvals count here as not "
            "from someone with write access (the App can read them)",
        )
    return notes


def _state_line(
    context: PullRequestContext, state: PullState, shown: ShownState | None, key: bytes | None
) -> tuple[str, tuple[str, ...]]:
    """The comment's last line as the App would write it: signed with the App's key when the
    preview has it; else the line already there when the state did not change; else none."""
    head = context.snapshot.head_sha
    if key is not None:
        return state_line(state, context.repo.full_name, context.number, head, key), ()
    if shown is not None and shown.head_sha == head and shown.state == state:
        return shown.line, ()
    if shown is None:
        return "", ()  # no line yet: the comment would be new, its last line signed by the App
    return "", (
        "the App would sign a new state line in its comment; without the App's private key "
        "the preview shows the comment without it",
    )


def preview(
    adapter: PyGithubAdapter,
    pull: PullRequestRef,
    choices: Sequence[ConfigChoice],
    key: bytes | None = None,
    app_id: int | None = None,
) -> list[Preview]:
    """What the App would post under each config: one gather, one analysis per config. `key`
    (from the App's private key) checks the state line of the App's comment; `app_id` lets the
    preview say, as the App does, when the base branch does not require its check."""
    context = _context(adapter, pull)
    resolved: list[tuple[ConfigChoice, tuple[RepoConfig, Ruleset] | ConfigError]] = []
    for choice in choices:
        try:
            rules = compose.rules(_with_config(context, choice), choice.source)
        except ConfigError as exc:
            resolved.append((choice, exc))
        else:
            resolved.append((choice, rules))
    rulesets = [outcome[1] for _, outcome in resolved if not isinstance(outcome, ConfigError)]
    session = _Session(adapter, context, app_id)
    snapshot = context.snapshot
    if rulesets:
        snapshot = adapter.run(
            gather.changes(context, lambda f: any(needs_text(f, r) for r in rulesets))
        )
    shown = read_state_line(
        context.bot_comment.body if context.bot_comment else None,
        context.repo.full_name,
        context.number,
        key,
    )
    previews = []
    for choice, outcome in resolved:
        if isinstance(outcome, ConfigError):
            label = choice.label(context.snapshot.base_branch)
            invalid = compose.invalid_config(outcome)
            previews.append(Preview(previewed(context), label, invalid, None))
        else:
            previews.append(_compose(session, choice, outcome, snapshot, shown, key))
    return previews


def run_preview(
    pull_text: str,
    *,
    config: str | None,
    diff_config: str | None,
    output_format: str,
    write: Callable[[str], Any],
    env: Mapping[str, str] | None = None,
) -> int:
    """The `preview` command: writes the output; 0, or 1 when a config is invalid. Raises
    PreviewError for anything the person must fix or wait for."""
    env = os.environ if env is None else env
    pull = parse_pull_request(pull_text)
    choices = [read_config(config) if config else ConfigChoice()]
    if diff_config:
        choices.append(read_config(diff_config))
    api_url = api_url_for(pull, env)
    adapter = PyGithubAdapter(adapter_module.connect(api_url, find_token(env, api_url)))
    try:
        previews = preview(adapter, pull, choices, _state_key(env), _app_id(env))
    except adapter_module.FAILURES as exc:
        raise PreviewError(adapter_module.explain(exc, api_url)) from None
    except LookupError:
        raise PreviewError(f"{pull} was not found") from None
    finally:
        adapter.close()
    write(_render(previews, output_format))
    return 1 if any(p.analysis is None for p in previews) else 0


def _app_id(env: Mapping[str, str]) -> int | None:
    """The App's id, when the environment names it (as `serve` reads it)."""
    found = (env.get("GITHUB_APP_ID") or env.get("APP_ID") or "").strip()
    return int(found) if found.isdigit() else None


def _state_key(env: Mapping[str, str]) -> bytes | None:
    """The key that checks the App's state line, when the App's private key is at hand."""
    try:
        key = app_private_key(env)
    except SettingsError as exc:
        raise PreviewError(f"the App's private key cannot be used: {exc}") from None
    return None if key is None else state_key(key)


def _render(previews: Sequence[Preview], output_format: str) -> str:
    if len(previews) == 2:
        diff = render.config_diff(*previews)
        if output_format == "json":
            return render.dumps(render.diff_json(diff))
        if output_format == "markdown":
            return render.diff_markdown(diff)
        return render.diff_text(diff)
    (only,) = previews
    if output_format == "json":
        return render.dumps(render.preview_json(only))
    if output_format == "markdown":
        return render.preview_markdown(only)
    return render.preview_text(only)
