"""GitHub's App manifest flow: the manifest built from app.yml, and the code exchange ending it.

https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest:
a form posts the manifest (JSON) to GitHub's "new GitHub App" page with a random `state`; once
the user confirms, GitHub redirects to the manifest's `redirect_url` with a one-time `code` and
the `state`; `POST /app-manifests/{code}/conversions` (no credentials: the code is one, valid
for an hour, once) answers with the App's id, private key and webhook secret.

Everything here is pure except `read_app_yml` (one file) and `exchange_code` (one request).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import aiohttp
import yaml

from bot.github.client import USER_AGENT

DOCS = "https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest"
GITHUB_COM = "https://github.com"
EXCHANGE_ATTEMPTS = 3
EXCHANGE_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)

# The keys GitHub reads from a manifest (the docs' "GitHub App Manifest parameters").
MANIFEST_KEYS = frozenset(
    {
        "name",
        "url",
        "hook_attributes",
        "redirect_url",
        "callback_urls",
        "setup_url",
        "description",
        "public",
        "default_events",
        "default_permissions",
        "request_oauth_on_install",
        "setup_on_update",
    }
)
ACCESS_LEVELS = frozenset({"read", "write", "admin"})
# A GitHub account name: letters, digits and single hyphens, at most 39 characters.
_ACCOUNT = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
_CODE = re.compile(r"[A-Za-z0-9_-]{1,128}")
# What an env file line can hold for docker's --env-file and compose's env_file: (no quoting,
# no interpolation): the webhook secret GitHub generates is hex.
_ENV_SAFE = re.compile(r"[A-Za-z0-9._~+/=-]{1,256}")
# A source checkout's app.yml sits beside the `bot` package and pyproject.toml; an installed
# package has only its copy (bot/data/app.yml, kept equal by tests/app/test_register.py).
_CHECKOUT = Path(__file__).resolve().parent.parent.parent


class ManifestError(Exception):
    """app.yml, or an address given for the manifest, is not usable; the message says why."""


class ExchangeError(Exception):
    """The code could not be exchanged for the App's credentials; the message says what to do."""


@dataclass(frozen=True, slots=True)
class GitHubSite:
    """Where GitHub's web pages are, and where its REST API is."""

    web_url: str
    api_url: str

    @classmethod
    def at(cls, web_url: str, api_url: str | None = None) -> GitHubSite:
        """github.com, or GitHub Enterprise Server at `web_url`; `api_url` overrides the API."""
        web = _http_url(web_url, "--github-url")
        api = _http_url(api_url, "GITHUB_API_URL") if api_url else api_url_for(web)
        return cls(web_url=web, api_url=api)

    @property
    def web_origin(self) -> str:
        parts = urlsplit(self.web_url)
        return f"{parts.scheme}://{parts.netloc}"

    def new_app_url(self, org: str | None, state: str) -> str:
        """GitHub's "new GitHub App" page, for an organization or the signed-in user."""
        owner = f"/organizations/{quote(org, safe='')}" if org else ""
        return f"{self.web_url}{owner}/settings/apps/new?{urlencode({'state': state})}"


def api_url_for(web_url: str) -> str:
    """The REST API of the GitHub whose web pages are at `web_url`.

    github.com's is api.github.com, GHE.com's (data residency) api.SUBDOMAIN.ghe.com, and
    GitHub Enterprise Server's is under /api/v3 on the same host.
    """
    parts = urlsplit(web_url)
    host = (parts.hostname or "").lower()
    if host in ("github.com", "www.github.com"):
        return "https://api.github.com"
    if host.endswith(".ghe.com"):
        return f"{parts.scheme}://api.{parts.netloc}"
    return web_url.rstrip("/") + "/api/v3"


def _http_url(text: str, what: str, *, https_only: bool = False) -> str:
    """`text` without a trailing slash, if it is an absolute http(s) URL with nothing in it an
    env file or a shell would read differently (spaces, quotes, `$`)."""
    parts = urlsplit(text.strip())
    schemes = ("https",) if https_only else ("https", "http")
    odd = any(not c.isprintable() or c.isspace() or c in "\"'`$\\<>" for c in text.strip())
    if parts.scheme not in schemes or not parts.hostname or parts.query or parts.fragment or odd:
        kind = "an https://" if https_only else "an http(s)://"
        raise ManifestError(f"{what} must be {kind} address without ?query or #fragment: {text!r}")
    return text.strip().rstrip("/")


def owner_name(org: str) -> str:
    """`org` if it can be a GitHub organization's login, else ManifestError."""
    if not _ACCOUNT.fullmatch(org):
        raise ManifestError(f"--org {org!r} is not a GitHub organization name")
    return org


def valid_code(code: str) -> bool:
    """Whether `code` looks like a code GitHub hands out (worth sending back to GitHub)."""
    return _CODE.fullmatch(code) is not None


def read_app_yml() -> tuple[str, str]:
    """This project's app.yml: the checkout's when run from one, else the packaged copy.

    Returns its text and where it was read from."""
    packaged = resources.files("bot") / "data" / "app.yml"
    checkout = [_CHECKOUT / "app.yml"] if (_CHECKOUT / "pyproject.toml").is_file() else []
    for found in (*checkout, packaged):
        try:
            return found.read_text(encoding="utf-8"), str(found)
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError) as exc:
            raise ManifestError(f"cannot read {found}: {exc}") from None
    raise ManifestError("app.yml is missing from this installation (bot/data/app.yml)")


def load_app_yml(text: str, source: str) -> dict[str, Any]:
    """app.yml's manifest, checked for what GitHub would refuse: unknown keys, permission
    levels, events that are not names."""
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ManifestError(f"{source} is not YAML: {exc}".replace("\n", " ")) from None
    if not isinstance(loaded, dict):
        raise ManifestError(f"{source} must be a mapping of manifest keys")
    unknown = sorted(str(key) for key in loaded if key not in MANIFEST_KEYS)
    if unknown:
        raise ManifestError(f"{source}: not manifest keys: {', '.join(unknown)}")
    permissions = loaded.get("default_permissions", {})
    if not isinstance(permissions, dict) or not all(
        isinstance(name, str) and level in ACCESS_LEVELS for name, level in permissions.items()
    ):
        raise ManifestError(f"{source}: default_permissions must map names to read/write/admin")
    events = loaded.get("default_events", [])
    if not isinstance(events, list) or not all(
        isinstance(event, str) and re.fullmatch(r"[a-z][a-z0-9_]*", event) for event in events
    ):
        raise ManifestError(f"{source}: default_events must be a list of webhook event names")
    hook = loaded.get("hook_attributes", {})
    if not isinstance(hook, dict):
        raise ManifestError(f"{source}: hook_attributes must be a mapping")
    if not isinstance(loaded.get("name"), str) or not loaded["name"].strip():
        raise ManifestError(f"{source}: name is required")
    return loaded


def server_url(text: str) -> str:
    """The address the App's server will have (https), without a trailing slash."""
    return _http_url(text, "--url", https_only=True)


def build_manifest(app_yml: Mapping[str, Any], *, url: str, redirect_url: str) -> dict[str, Any]:
    """The manifest to post: app.yml with the App's homepage and webhook at `url` (the server
    GitHub will reach), and GitHub sending the browser back to `redirect_url`."""
    homepage = server_url(url)
    hook = {**app_yml.get("hook_attributes", {}), "url": f"{homepage}/webhook"}
    hook.setdefault("active", True)
    return {
        **app_yml,
        "url": homepage,
        "hook_attributes": hook,
        "redirect_url": redirect_url,
    }


def manifest_json(manifest: Mapping[str, Any]) -> str:
    """The manifest as the form field GitHub reads (JSON)."""
    return json.dumps(manifest, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class RegisteredApp:
    """What the code exchange gave: the App and the credentials the bot runs with."""

    id: int
    slug: str
    name: str
    html_url: str
    private_key: str = field(repr=False)
    webhook_secret: str | None = field(repr=False)
    """None when GitHub generated none (it does whenever the manifest has a webhook)."""

    @property
    def install_url(self) -> str:
        return f"{self.html_url}/installations/new"


def conversion_url(api_url: str, code: str) -> str:
    return f"{api_url.rstrip('/')}/app-manifests/{quote(code, safe='')}/conversions"


def conversion_headers() -> dict[str, str]:
    return {
        "Accept": "application/vnd.github+json",
        "User-Agent": USER_AGENT,
        "X-GitHub-Api-Version": "2022-11-28",
    }


def parse_conversion(status: int, body: bytes) -> RegisteredApp:
    """The App in GitHub's answer to the exchange, or ExchangeError saying what went wrong."""
    if status in (404, 410):
        raise ExchangeError(
            "GitHub does not know this code: it has expired or was used already (a code works "
            "once, within an hour); run `ai-review-bot register` again"
        )
    if status == 422:
        raise ExchangeError(
            f"GitHub refused the code ({_message(body)}); run `ai-review-bot register` again"
        )
    if status != 201:
        raise ExchangeError(f"GitHub answered {status} to the code exchange ({_message(body)})")
    try:
        answer = json.loads(body)
        app_id, slug, name = answer["id"], answer["slug"], answer["name"]
        html_url, pem, secret = answer["html_url"], answer["pem"], answer["webhook_secret"]
    except (ValueError, TypeError, KeyError):
        raise ExchangeError("GitHub's answer to the code exchange is not an App") from None
    if not (isinstance(app_id, int) and isinstance(pem, str) and "PRIVATE KEY-----" in pem):
        raise ExchangeError("GitHub's answer to the code exchange has no App id or private key")
    if secret is not None and not (isinstance(secret, str) and _ENV_SAFE.fullmatch(secret)):
        raise ExchangeError("GitHub's answer to the code exchange has an unusable webhook secret")
    return RegisteredApp(
        id=app_id,
        slug=str(slug),
        name=str(name),
        html_url=str(html_url).rstrip("/"),
        private_key=pem,
        webhook_secret=secret,
    )


def _message(body: bytes) -> str:
    """GitHub's error message, on one line and short; never anything else from the body."""
    try:
        message = json.loads(body).get("message", "")
    except (ValueError, AttributeError):
        message = ""
    text = " ".join(str(message).split())[:200]
    return text or "no message"


async def exchange_code(api_url: str, code: str) -> RegisteredApp:
    """Trade the code GitHub redirected with for the App's credentials.

    5xx answers, timeouts and connection errors are tried again (3 tries in all, backing off
    with jitter); a code GitHub no longer knows after such a failure may have been spent by it.
    """
    async with aiohttp.ClientSession() as session:
        return await _exchange(session, conversion_url(api_url, code), api_url)


async def _exchange(session: aiohttp.ClientSession, url: str, api_url: str) -> RegisteredApp:
    failure = ""
    for attempt in range(1, EXCHANGE_ATTEMPTS + 1):
        try:
            async with session.post(
                url, headers=conversion_headers(), timeout=EXCHANGE_TIMEOUT, allow_redirects=False
            ) as response:
                status, body = response.status, await response.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            failure = f"no answer from {api_url} ({_reason(exc)})"
        else:
            if status < 500:
                if failure and status in (404, 410):
                    raise ExchangeError(
                        f"GitHub failed ({failure}), then no longer knew the code: the App may "
                        "exist already; find it under Settings > Developer settings > GitHub "
                        "Apps, delete it, and run `ai-review-bot register` again"
                    )
                return parse_conversion(status, body)
            failure = f"{status} from {api_url}"
        if attempt < EXCHANGE_ATTEMPTS:
            await asyncio.sleep(random.uniform(0, 0.25 * 2**attempt))  # noqa: S311 - jitter
    raise ExchangeError(
        f"GitHub did not complete the code exchange ({failure}, {EXCHANGE_ATTEMPTS} tries); "
        "run `ai-review-bot register` again later"
    )


def _reason(exc: BaseException) -> str:
    """Why a request got no answer, without the request's URL (it holds the code)."""
    os_error = getattr(exc, "os_error", None)
    if isinstance(os_error, OSError) and os_error.strerror:
        return f"{type(exc).__name__}: {os_error.strerror}"
    return type(exc).__name__
