"""Webhook payloads to Jobs: the only place that reads a payload's fields.

A payload that asks for nothing gets None, and a debug line saying why ("event ignored", with
the delivery and the reason), so a quiet bot can be told from a deaf one.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.queue.jobs import Job, JobKind
from bot.render.markdown import parse_ticks
from bot.review.commands import TickEdit, parse_command

log = logging.getLogger(__name__)


class PayloadError(ValueError):
    """A payload without the fields its event always has."""


def _field(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            raise PayloadError(f"payload has no {'.'.join(path)}")
        data = data[key]
    return data


def ignored(delivery_id: str, reason: str) -> None:
    """Say at debug level why a delivery asks for nothing."""
    log.debug("event ignored", extra={"delivery": delivery_id, "reason": reason})


def _repo(data: dict[str, Any]) -> tuple[str, str, str]:
    installation = str(_field(data, "installation", "id"))
    owner = str(_field(data, "repository", "owner", "login"))
    name = str(_field(data, "repository", "name"))
    return installation, owner, name


def pull_request_job(data: dict[str, Any], kind: JobKind, delivery_id: str) -> Job | None:
    """A job for `pull_request` and `pull_request_review` events; None for closed PRs."""
    pull = _field(data, "pull_request")
    if pull.get("state") == "closed":
        ignored(delivery_id, "the pull request is closed")
        return None
    installation, owner, name = _repo(data)
    return Job(
        kind=kind,
        installation_id=installation,
        owner=owner,
        repo=name,
        number=int(_field(pull, "number")),
        base_ref=str(_field(pull, "base", "ref")),
        head_sha=str(_field(pull, "head", "sha")),
        delivery_id=delivery_id,
    )


def check_run_name(data: dict[str, Any]) -> str:
    return str(_field(data, "check_run", "name"))


def check_jobs(
    data: dict[str, Any],
    key: str,
    delivery_id: str,
    kind: JobKind = JobKind.ANALYZE,
    args: str = "",
) -> list[Job]:
    """Jobs for a re-requested `check_run` or `check_suite` (key names which), one per PR."""
    installation, owner, name = _repo(data)
    jobs = []
    for pull in _field(data, key).get("pull_requests") or []:
        jobs.append(
            Job(
                kind=kind,
                args=args,
                installation_id=installation,
                owner=owner,
                repo=name,
                number=int(_field(pull, "number")),
                base_ref=str(_field(pull, "base", "ref")),
                head_sha=str(_field(pull, "head", "sha")),
                delivery_id=delivery_id,
            )
        )
    if not jobs:
        ignored(delivery_id, f"the {key.replace('_', ' ')} is on no open pull request")
    return jobs


def app_id_of_check_run(data: dict[str, Any]) -> str | None:
    app = (data.get("check_run") or {}).get("app") or {}
    return str(app["id"]) if "id" in app else None


def _person_on_pull_request(data: dict[str, Any]) -> tuple[str | None, str]:
    """The login of the person behind a comment event on a pull request, or None and why not:
    bots (this App included, so the bot cannot loop) and comments on plain issues."""
    sender = _field(data, "sender")
    login = str(sender.get("login") or "")
    if "pull_request" not in _field(data, "issue"):
        return None, "a comment on an issue, not on a pull request"
    if sender.get("type") == "Bot" or not login or login.endswith("[bot]"):
        return None, "a comment by a bot"
    return login, ""


def _comment_job(
    data: dict[str, Any], kind: JobKind, delivery_id: str, sender: str, args: str, command: str = ""
) -> Job:
    installation, owner, name = _repo(data)
    return Job(
        kind=kind,
        installation_id=installation,
        owner=owner,
        repo=name,
        number=int(_field(data, "issue", "number")),
        base_ref="",
        head_sha="",
        delivery_id=delivery_id,
        command=command,
        args=args,
        comment_id=int(_field(data, "comment", "id")),
        sender=sender,
    )


def command_job(data: dict[str, Any], delivery_id: str) -> Job | None:
    """A job for a `/ai-review` comment on a pull request; None for anything else."""
    login, why_not = _person_on_pull_request(data)
    if login is None:
        ignored(delivery_id, why_not)
        return None
    command = parse_command(str(_field(data, "comment").get("body") or ""))
    if command is None:
        ignored(delivery_id, "the comment is not an /ai-review command")
        return None
    return _comment_job(data, JobKind.COMMAND, delivery_id, login, command.args, command.name)


def ticks_job(data: dict[str, Any], delivery_id: str, marker: str) -> Job | None:
    """A job for a person's edit of the bot's comment (a tick); None for any other edit.

    What the person changed is GitHub's account of this edit: the items whose box differs
    between the body before it (`changes.body.from`) and after it. Anything else in those
    bodies, the hidden lines included, is not read: the bot's state is in its store. The job
    carries the items ticked and unticked and when GitHub says the edit was made (a replayed
    delivery of an older edit changes nothing).
    """
    login, why_not = _person_on_pull_request(data)
    comment = _field(data, "comment")
    author = str((comment.get("user") or {}).get("login") or "")
    before = ((data.get("changes") or {}).get("body") or {}).get("from")
    if login is None:
        ignored(delivery_id, why_not)
        return None
    if not author.endswith("[bot]") or not isinstance(before, str) or not before.startswith(marker):
        ignored(delivery_id, "an edit of a comment other than the bot's checklist")
        return None
    was, now = parse_ticks(before), parse_ticks(str(comment.get("body") or ""))
    edit = TickEdit(
        ticked=tuple(sorted(item for item, on in now.items() if on and not was.get(item))),
        unticked=tuple(sorted(item for item, on in was.items() if on and not now.get(item))),
        edited_at=str(comment.get("updated_at") or ""),
    )
    return _comment_job(data, JobKind.TICKS, delivery_id, login, edit.to_args())


# Installation changes after which a cached token may be refused or lack permissions.
TOKEN_CHANGING_ACTIONS = frozenset({"deleted", "suspend", "unsuspend", "new_permissions_accepted"})


def installation_job(data: dict[str, Any], delivery_id: str) -> Job | None:
    """A job that drops the installation's cached token, for `installation` events that
    change what the token may do; None for others."""
    action = data.get("action")
    if action not in TOKEN_CHANGING_ACTIONS:
        ignored(delivery_id, f"installation {action}: the cached token stays valid")
        return None
    installation = str(_field(data, "installation", "id"))
    account = str((_field(data, "installation").get("account") or {}).get("login") or "")
    return Job(
        kind=JobKind.INSTALLATION,
        installation_id=installation,
        owner=account,
        repo="",
        number=0,
        base_ref="",
        head_sha="",
        delivery_id=delivery_id,
    )


def merge_group_job(data: dict[str, Any], delivery_id: str) -> Job | None:
    """A job for a merge queue's `merge_group.checks_requested`: the check of the group's
    commit; None for a group on something other than a branch."""
    installation, owner, name = _repo(data)
    group = _field(data, "merge_group")
    base_ref = str(_field(group, "base_ref"))
    if not base_ref.startswith("refs/heads/"):
        ignored(delivery_id, f"a merge group into {base_ref[:100]!r}, not a branch")
        return None
    return Job(
        kind=JobKind.MERGE_GROUP,
        installation_id=installation,
        owner=owner,
        repo=name,
        number=0,
        base_ref=base_ref.removeprefix("refs/heads/"),
        head_sha=str(_field(group, "head_sha")),
        delivery_id=delivery_id,
    )
