"""Webhook deliveries built from the fake's state, signed and addressed as GitHub sends them.

Payloads carry the fields GitHub sends for an App: `action`, the event's object (the same JSON
as the REST API returns for it), `repository`, `organization`, `installation {id}` and
`sender`. Build one, then `deliver` it to the bot's web app:

    hook = webhooks.pull_request(fake_github, "acme/widgets", 1, "opened")
    response = await webhooks.deliver(client, hook, secret)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient

from tests.fakegithub import shapes
from tests.fakegithub.gitdata import commit_info
from tests.fakegithub.models import RepoState, iso
from tests.fakegithub.state import FakeGitHub
from tests.fakegithub.views import open_pulls_at, pull_view

HOOK_ID = 109_948_940
USER_AGENT = "GitHub-Hookshot/8d33975"


def sign(body: bytes, secret: str) -> str:
    """The X-Hub-Signature-256 value for `body`: "sha256=" and the HMAC-SHA256 hex digest."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Webhook:
    event: str
    payload: dict[str, Any]
    target_id: int

    def body(self) -> bytes:
        return json.dumps(self.payload).encode()

    def headers(
        self, body: bytes, secret: str | None, delivery_id: str | None = None
    ) -> dict[str, str]:
        """GitHub's delivery headers; `secret` None sends no signature (an unsigned hook)."""
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-GitHub-Event": self.event,
            "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
            "X-GitHub-Hook-ID": str(HOOK_ID),
            "X-GitHub-Hook-Installation-Target-ID": str(self.target_id),
            "X-GitHub-Hook-Installation-Target-Type": "integration",
        }
        if secret is not None:
            headers["X-Hub-Signature"] = (
                "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
            )
            headers["X-Hub-Signature-256"] = sign(body, secret)
        return headers

    def signed(
        self, secret: str | None, delivery_id: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of one delivery."""
        body = self.body()
        return body, self.headers(body, secret, delivery_id)


async def deliver(
    client: TestClient[web.Request, web.Application],
    webhook: Webhook,
    secret: str | None,
    *,
    path: str = "/webhook",
    delivery_id: str | None = None,
) -> ClientResponse:
    """POST the delivery to the app under test, as GitHub's hookshot does."""
    body, headers = webhook.signed(secret, delivery_id)
    return await client.post(path, data=body, headers=headers)


def _site(github: FakeGitHub) -> shapes.Site:
    return shapes.Site(api=github.url, web=github.web_url)


def _envelope(
    github: FakeGitHub, repo: RepoState, action: str, sender: str | None
) -> dict[str, Any]:
    site = _site(github)
    envelope: dict[str, Any] = {
        "action": action,
        "repository": shapes.repository(github, site, repo),
        "sender": shapes.user(github, site, sender or repo.owner),
    }
    owner = github.account(repo.owner)
    if owner.type == "Organization":
        envelope["organization"] = {
            "login": owner.login,
            "id": owner.id,
            "node_id": shapes.node_id("O", owner.id),
            "url": f"{site.api}/orgs/{owner.login}",
            "description": None,
        }
    installation = github.installation_for(repo.owner)
    if installation is not None:
        envelope["installation"] = {
            "id": installation.id,
            "node_id": shapes.node_id("MDIz", installation.id),
        }
    return envelope


def pull_request(
    github: FakeGitHub,
    full_name: str,
    number: int,
    action: str = "opened",
    *,
    sender: str | None = None,
    before: str | None = None,
    label: str | None = None,
    changes: dict[str, Any] | None = None,
) -> Webhook:
    """pull_request: opened, synchronize (`before` = the old head), labeled/unlabeled
    (`label`), edited (`changes`), reopened, ready_for_review, converted_to_draft, closed."""
    repo = github.repo(full_name)
    pull = repo.pulls[number]
    view = pull_view(repo, pull)
    site = _site(github)
    payload = {
        **_envelope(github, repo, action, sender or pull.author),
        "number": number,
        "pull_request": shapes.pull_request(github, site, repo, pull, view),
    }
    if action == "synchronize":
        payload["before"] = before or view.refs.merge_base
        payload["after"] = view.refs.head_sha
    if label is not None:
        payload["label"] = shapes.label(site, repo, label)
    if changes is not None:
        payload["changes"] = changes
    return Webhook("pull_request", payload, github.app_id)


def pull_request_review(
    github: FakeGitHub,
    full_name: str,
    number: int,
    review_id: int,
    action: str = "submitted",
    *,
    sender: str | None = None,
    changes: dict[str, Any] | None = None,
) -> Webhook:
    """pull_request_review: submitted, edited, dismissed. The review's state is lower case in
    webhooks ("approved"), unlike the REST API ("APPROVED")."""
    repo = github.repo(full_name)
    pull = repo.pulls[number]
    review = next(r for r in pull.reviews if r.id == review_id)
    site = _site(github)
    shown = shapes.review(github, site, repo, pull, review)
    shown["state"] = review.state.lower()
    payload = {
        **_envelope(github, repo, action, sender or review.login),
        "review": shown,
        "pull_request": shapes.pull_request(github, site, repo, pull, pull_view(repo, pull)),
    }
    if changes is not None:
        payload["changes"] = changes
    return Webhook("pull_request_review", payload, github.app_id)


def check_run(
    github: FakeGitHub,
    full_name: str,
    check_run_id: int,
    action: str = "rerequested",
    *,
    sender: str | None = None,
    requested_action: str | None = None,
) -> Webhook:
    """check_run: rerequested, requested_action (`requested_action` = the identifier),
    created, completed."""
    repo = github.repo(full_name)
    run = repo.check_runs[check_run_id]
    pulls = open_pulls_at(repo, run.head_sha)
    payload = {
        **_envelope(github, repo, action, sender),
        "check_run": shapes.check_run(github, _site(github), repo, run, pulls),
    }
    if requested_action is not None:
        payload["requested_action"] = {"identifier": requested_action}
    return Webhook("check_run", payload, github.app_id)


def check_suite(
    github: FakeGitHub,
    full_name: str,
    head_sha: str,
    action: str = "rerequested",
    *,
    sender: str | None = None,
) -> Webhook:
    """check_suite: requested, rerequested, completed, for the App's suite on `head_sha`."""
    repo = github.repo(full_name)
    pulls = open_pulls_at(repo, head_sha)
    suite = github.check_suite(repo, head_sha, pulls[0][0].head_ref if pulls else None)
    payload = {
        **_envelope(github, repo, action, sender),
        "check_suite": shapes.check_suite(github, _site(github), repo, suite, pulls),
    }
    return Webhook("check_suite", payload, github.app_id)


def issue_comment(
    github: FakeGitHub,
    full_name: str,
    comment_id: int,
    action: str = "created",
    *,
    sender: str | None = None,
    changes: dict[str, Any] | None = None,
) -> Webhook:
    """issue_comment: created, edited (`changes`, e.g. {"body": {"from": old}}), deleted,
    on a pull request (the issue carries `pull_request`)."""
    repo = github.repo(full_name)
    comment = repo.comments[comment_id]
    pull = repo.pulls[comment.issue_number]
    site = _site(github)
    payload = {
        **_envelope(github, repo, action, sender or comment.login),
        "issue": shapes.issue(github, site, repo, pull),
        "comment": shapes.comment(github, site, repo, comment),
    }
    if changes is not None:
        payload["changes"] = changes
    return Webhook("issue_comment", payload, github.app_id)


def installation(
    github: FakeGitHub, installation_id: int, action: str = "created", *, sender: str = "dana"
) -> Webhook:
    """installation: created (lists the account's repositories), deleted, suspend, unsuspend,
    new_permissions_accepted."""
    site = _site(github)
    found = github.installations[installation_id]
    repos = [r for r in github.repos.values() if r.owner.casefold() == found.account.casefold()]
    payload: dict[str, Any] = {
        "action": action,
        "installation": shapes.installation(github, site, found),
        "sender": shapes.user(github, site, sender),
        "requester": None,
    }
    if action in ("created", "deleted"):
        payload["repositories"] = [
            {
                "id": r.id,
                "node_id": shapes.node_id("R", r.id),
                "name": r.name,
                "full_name": r.full_name,
                "private": r.private,
            }
            for r in repos
        ]
    return Webhook("installation", payload, github.app_id)


def ping(github: FakeGitHub) -> Webhook:
    """The ping GitHub sends when the App's webhook is set up (no installation)."""
    site = _site(github)
    payload = {
        "zen": "Design for failure.",
        "hook_id": HOOK_ID,
        "hook": {
            "type": "App",
            "id": HOOK_ID,
            "name": "web",
            "active": True,
            "events": shapes.app(github, site)["events"],
            "config": {"content_type": "json", "insecure_ssl": "0", "url": "http://bot/webhook"},
            "updated_at": "2024-01-01T00:00:00Z",
            "created_at": "2024-01-01T00:00:00Z",
            "app_id": github.app_id,
        },
        "sender": shapes.user(github, site, github.app_owner),
    }
    return Webhook("ping", payload, github.app_id)


def merge_group(
    github: FakeGitHub,
    full_name: str,
    head_sha: str,
    action: str = "checks_requested",
    *,
    sender: str | None = None,
    reason: str | None = None,
) -> Webhook:
    """merge_group: checks_requested (the queue built a group and asks for its checks) or
    destroyed (`reason`: merged, invalidated, dequeued), for the group whose commit is
    `head_sha`, in the shape of GitHub's published examples."""
    repo = github.repo(full_name)
    entry = next(
        entry
        for queue in repo.merge_queues.values()
        for entry in queue
        if entry.head_sha == head_sha
    )
    info = commit_info(repo.path, head_sha)
    assert info is not None, head_sha
    payload: dict[str, Any] = {
        **_envelope(github, repo, action, sender or github.app_owner),
        "merge_group": {
            "head_sha": head_sha,
            "head_ref": entry.head_ref,
            "base_sha": entry.base_sha,
            "base_ref": f"refs/heads/{repo.pulls[entry.number].base_ref}",
            "head_commit": {
                "id": info.sha,
                "tree_id": info.tree,
                "message": info.message,
                "timestamp": iso(info.committer.date),
                "author": {"name": info.author.name, "email": info.author.email},
                "committer": {"name": info.committer.name, "email": info.committer.email},
            },
        },
    }
    if reason is not None:
        payload["reason"] = reason
    return Webhook("merge_group", payload, github.app_id)
