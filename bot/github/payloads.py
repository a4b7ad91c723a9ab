"""Webhook payloads to Jobs: the only place that reads a payload's fields."""

from __future__ import annotations

from typing import Any

from bot.app.commands import parse_command
from bot.app.jobs import Job, JobKind


class PayloadError(ValueError):
    """A payload without the fields its event always has."""


def _field(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            raise PayloadError(f"payload has no {'.'.join(path)}")
        data = data[key]
    return data


def _repo(data: dict[str, Any]) -> tuple[str, str, str]:
    installation = str(_field(data, "installation", "id"))
    owner = str(_field(data, "repository", "owner", "login"))
    name = str(_field(data, "repository", "name"))
    return installation, owner, name


def pull_request_job(data: dict[str, Any], kind: JobKind, delivery_id: str) -> Job | None:
    """A job for `pull_request` and `pull_request_review` events; None for closed PRs."""
    pull = _field(data, "pull_request")
    if pull.get("state") == "closed":
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


def check_jobs(data: dict[str, Any], key: str, delivery_id: str) -> list[Job]:
    """Jobs for a re-requested `check_run` or `check_suite` (key names which), one per PR."""
    installation, owner, name = _repo(data)
    jobs = []
    for pull in _field(data, key).get("pull_requests") or []:
        jobs.append(
            Job(
                kind=JobKind.ANALYZE,
                installation_id=installation,
                owner=owner,
                repo=name,
                number=int(_field(pull, "number")),
                base_ref=str(_field(pull, "base", "ref")),
                head_sha=str(_field(pull, "head", "sha")),
                delivery_id=delivery_id,
            )
        )
    return jobs


def app_id_of_check_run(data: dict[str, Any]) -> str | None:
    app = (data.get("check_run") or {}).get("app") or {}
    return str(app["id"]) if "id" in app else None


def command_job(data: dict[str, Any], delivery_id: str) -> Job | None:
    """A job for a `/ai-review` comment on a pull request; None for anything else.

    Comments by bots (this App included) never run commands, so the bot cannot loop.
    """
    issue = _field(data, "issue")
    comment = _field(data, "comment")
    sender = _field(data, "sender")
    if "pull_request" not in issue or sender.get("type") == "Bot":
        return None
    login = str(sender.get("login") or "")
    if not login or login.endswith("[bot]"):
        return None
    command = parse_command(str(comment.get("body") or ""))
    if command is None:
        return None
    installation, owner, name = _repo(data)
    return Job(
        kind=JobKind.COMMAND,
        installation_id=installation,
        owner=owner,
        repo=name,
        number=int(_field(issue, "number")),
        base_ref="",
        head_sha="",
        delivery_id=delivery_id,
        command=command.name,
        args=command.args,
        comment_id=int(_field(comment, "id")),
        sender=login,
    )


def ticks_job(data: dict[str, Any], delivery_id: str, marker: str) -> Job | None:
    """A job for a person's edit of the bot's comment (a tick); None for any other edit.

    The body before the edit comes from GitHub's signed payload: it is what the bot last wrote,
    so the state it carries is trusted, whatever the edit did to the hidden marker.
    """
    issue = _field(data, "issue")
    comment = _field(data, "comment")
    sender = _field(data, "sender")
    login = str(sender.get("login") or "")
    author = str((comment.get("user") or {}).get("login") or "")
    before = ((data.get("changes") or {}).get("body") or {}).get("from")
    if (
        "pull_request" not in issue
        or sender.get("type") == "Bot"
        or not login
        or login.endswith("[bot]")
        or not author.endswith("[bot]")
        or not isinstance(before, str)
        or not before.startswith(marker)
    ):
        return None
    installation, owner, name = _repo(data)
    return Job(
        kind=JobKind.TICKS,
        installation_id=installation,
        owner=owner,
        repo=name,
        number=int(_field(issue, "number")),
        base_ref="",
        head_sha="",
        delivery_id=delivery_id,
        args=before,
        comment_id=int(_field(comment, "id")),
        sender=login,
    )
