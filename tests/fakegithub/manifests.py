"""GitHub Apps registered from a manifest: what GitHub's "new GitHub App" page accepts, the
one-time codes it hands out, and the Apps those codes convert to.

The pages are in web_pages.py, the conversion in rest_manifests.py; both keep their state in
the `AppManifests` of their FakeGitHub (`manifests_of(github)`).
"""

from __future__ import annotations

import json
import re
import secrets
import string
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakegithub.auth import AppKey
from tests.fakegithub.state import FakeGitHub

CODE_LIFETIME = 60 * 60
"""GitHub: "You must complete all three steps in the GitHub App Manifest flow within one hour."""
NAME_LIMIT = 34
"""GitHub refuses App names longer than this."""
LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")

# GitHub's App permissions and the access each can be given: the `app-permissions` schema of
# GitHub's REST description (tests/app/test_register.py compares them when it is installed).
PERMISSIONS: dict[str, frozenset[str]] = {
    **{
        name: frozenset({"read", "write"})
        for name in (
            "actions",
            "administration",
            "artifact_metadata",
            "attestations",
            "checks",
            "code_quality",
            "codespaces",
            "contents",
            "dependabot_secrets",
            "deployments",
            "discussions",
            "environments",
            "issues",
            "merge_queues",
            "metadata",
            "packages",
            "pages",
            "pull_requests",
            "repository_custom_properties",
            "repository_hooks",
            "secret_scanning_alerts",
            "secrets",
            "security_events",
            "single_file",
            "statuses",
            "vulnerability_alerts",
            "custom_properties_for_organizations",
            "members",
            "organization_administration",
            "organization_custom_roles",
            "organization_custom_org_roles",
            "organization_copilot_seat_management",
            "organization_copilot_agent_settings",
            "organization_announcement_banners",
            "organization_hooks",
            "organization_personal_access_tokens",
            "organization_personal_access_token_requests",
            "organization_packages",
            "organization_secrets",
            "organization_self_hosted_runners",
            "organization_user_blocking",
            "email_addresses",
            "followers",
            "git_ssh_keys",
            "gpg_keys",
            "interaction_limits",
            "starring",
        )
    },
    **{
        name: frozenset({"read", "write", "admin"})
        for name in (
            "repository_projects",
            "organization_projects",
            "organization_custom_properties",
            "enterprise_custom_properties_for_organizations",
        )
    },
    "workflows": frozenset({"write"}),
    "profile": frozenset({"write"}),
    "organization_events": frozenset({"read"}),
    "organization_plan": frozenset({"read"}),
}

# Webhook events an App can subscribe to, each with the permissions of which it needs one
# (GitHub's "Webhook events and payloads": the availability of each event to Apps).
EVENTS: dict[str, tuple[str, ...]] = {
    "branch_protection_rule": ("administration",),
    "check_run": ("checks",),
    "check_suite": ("checks",),
    "code_scanning_alert": ("security_events",),
    "commit_comment": ("contents",),
    "create": ("contents",),
    "delete": ("contents",),
    "dependabot_alert": ("vulnerability_alerts",),
    "deployment": ("deployments",),
    "deployment_status": ("deployments",),
    "discussion": ("discussions",),
    "discussion_comment": ("discussions",),
    "fork": ("contents",),
    "gollum": ("contents",),
    "issue_comment": ("issues", "pull_requests"),
    "issues": ("issues",),
    "label": ("metadata",),
    "member": ("members",),
    "membership": ("members",),
    "merge_group": ("merge_queues",),
    "meta": (),
    "milestone": ("issues", "pull_requests"),
    "organization": ("members",),
    "page_build": ("pages",),
    "public": ("metadata",),
    "pull_request": ("pull_requests",),
    "pull_request_review": ("pull_requests",),
    "pull_request_review_comment": ("pull_requests",),
    "pull_request_review_thread": ("pull_requests",),
    "push": ("contents",),
    "release": ("contents",),
    "repository": ("metadata",),
    "repository_dispatch": ("contents",),
    "star": ("metadata",),
    "status": ("statuses",),
    "team": ("members",),
    "team_add": ("members",),
    "watch": ("metadata",),
    "workflow_job": ("actions",),
    "workflow_run": ("actions",),
}

_CLIENT_ID_ALPHABET = string.ascii_letters + string.digits


class ManifestRefused(Exception):
    """GitHub's page refuses the manifest (or the name); `problems` says why, as GitHub does."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class ManifestForm:
    """A manifest GitHub accepted, waiting on its confirmation page."""

    token: str
    owner: str
    owner_type: Literal["User", "Organization"]
    manifest: dict[str, Any]
    state: str | None


@dataclass(frozen=True, slots=True)
class CreatedApp:
    id: int
    slug: str
    name: str
    owner: str
    manifest: dict[str, Any]
    key: AppKey = field(repr=False)
    client_id: str
    client_secret: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    created_at: datetime

    @property
    def permissions(self) -> dict[str, str]:
        """The manifest's, and metadata: read, which every App has."""
        return {"metadata": "read", **self.manifest.get("default_permissions", {})}

    @property
    def events(self) -> list[str]:
        return list(self.manifest.get("default_events", []))


@dataclass(slots=True)
class AppManifests:
    posted: list[str] = field(default_factory=list)
    """The `manifest` field of every form posted to GitHub's page, accepted or not."""
    forms: dict[str, ManifestForm] = field(default_factory=dict)
    apps: list[CreatedApp] = field(default_factory=list)
    codes: dict[str, tuple[CreatedApp, float]] = field(default_factory=dict)
    """One-time code -> the App it converts to, and when it stops converting (epoch)."""

    def receive(
        self,
        owner: str,
        owner_type: Literal["User", "Organization"],
        posted: str,
        state: str | None,
    ) -> ManifestForm:
        """The form GitHub's "new GitHub App" page got; ManifestRefused if GitHub would."""
        self.posted.append(posted)
        manifest = _parsed(posted)
        form = ManifestForm(secrets.token_urlsafe(16), owner, owner_type, manifest, state)
        self.forms[form.token] = form
        return form

    def create(
        self, form: ManifestForm, name: str, app_id: int, now: datetime, expires: float
    ) -> tuple[CreatedApp, str]:
        """The user confirmed: the App exists, and a code converts to it until `expires`."""
        name = name.strip()
        if not name:
            raise ManifestRefused(["Name can't be blank"])
        if len(name) > NAME_LIMIT:
            raise ManifestRefused([f"Name is too long (maximum is {NAME_LIMIT} characters)"])
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        if not slug or any(app.slug == slug for app in self.apps):
            raise ManifestRefused(["Name is already in use"])
        del self.forms[form.token]
        app = CreatedApp(
            id=app_id,
            slug=slug,
            name=name,
            owner=form.owner,
            manifest=form.manifest,
            key=fresh_key(),
            client_id="Iv23li" + "".join(secrets.choice(_CLIENT_ID_ALPHABET) for _ in range(14)),
            client_secret=secrets.token_hex(20),
            webhook_secret=secrets.token_hex(20),
            created_at=now,
        )
        self.apps.append(app)
        code = secrets.token_hex(20)
        self.codes[code] = (app, expires)
        return app, code

    def redeem(self, code: str, now: float) -> CreatedApp | None:
        """The App `code` converts to, once and before it expires; else None (GitHub's 404)."""
        found = self.codes.pop(code, None)
        if found is None or now >= found[1]:
            return None
        return found[0]


def _parsed(posted: str) -> dict[str, Any]:
    try:
        manifest = json.loads(posted)
    except json.JSONDecodeError:
        raise ManifestRefused(["The manifest is not valid JSON"]) from None
    if not isinstance(manifest, dict):
        raise ManifestRefused(["The manifest must be a JSON object"])
    problems = manifest_problems(manifest)
    if problems:
        raise ManifestRefused(problems)
    return manifest


def manifest_problems(manifest: dict[str, Any]) -> list[str]:
    """What GitHub's page says is wrong with a manifest; [] when it would accept it."""
    problems = []
    if not _is_url(manifest.get("url")):
        problems.append("Url can't be blank, and must be an http(s) URL")
    hook = manifest.get("hook_attributes")
    if not isinstance(hook, dict) or not _is_url(hook.get("url")):
        problems.append("Hook url can't be blank, and must be an http(s) URL")
    if "redirect_url" in manifest and not _is_url(manifest["redirect_url"]):
        problems.append("Redirect url must be an http(s) URL")
    permissions = manifest.get("default_permissions", {})
    if not isinstance(permissions, dict):
        problems.append("Default permissions must be an object")
        permissions = {}
    for name, level in permissions.items():
        if name not in PERMISSIONS:
            problems.append(f"Default permission {name!r} is not a GitHub App permission")
        elif level not in PERMISSIONS[name]:
            problems.append(f"Default permission {name!r} cannot be {level!r}")
    events = manifest.get("default_events", [])
    if not isinstance(events, list):
        problems.append("Default events must be a list")
        events = []
    granted = {"metadata", *permissions}
    for event in events:
        if event not in EVENTS:
            problems.append(f"Default event {event!r} is not a webhook event")
        elif EVENTS[event] and not granted.intersection(EVENTS[event]):
            needs = " or ".join(EVENTS[event])
            problems.append(f"Default event {event!r} needs the {needs} permission")
    return problems


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def fresh_key() -> AppKey:
    """A new RSA key, its private half as GitHub hands it out (PKCS#1 PEM)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return AppKey(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode(),
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
    )


_MANIFESTS: weakref.WeakKeyDictionary[FakeGitHub, AppManifests] = weakref.WeakKeyDictionary()


def manifests_of(github: FakeGitHub) -> AppManifests:
    """The manifest flow's state in `github`."""
    found = _MANIFESTS.get(github)
    if found is None:
        found = _MANIFESTS[github] = AppManifests()
    return found
