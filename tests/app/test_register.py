"""`ai-review-bot register`: GitHub's App manifest flow, run for real against the fake GitHub.

The command runs as a process, as a user runs it, with the fake's API as GITHUB_API_URL and the
fake's web pages as --github-url. The tests play the browser: an HTTP client that submits the
page's forms as a browser would, and once a real one (chromium, through playwright).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import signal
import socket
import stat
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import aiohttp
import pytest
import yaml

from bot.github.auth import AppAuth
from bot.github.manifest import api_url_for, read_app_yml
from bot.settings import load_settings
from tests.conformance import specs
from tests.fakegithub.auth import verify_app_jwt
from tests.fakegithub.fixtures import fake_github_fixture  # noqa: F401  (registers the fixture)
from tests.fakegithub.manifests import CODE_LIFETIME, PERMISSIONS, CreatedApp, manifests_of
from tests.fakegithub.state import FakeGitHub
from tests.fakegithub.web_pages import VIEWER, serve_web
from tests.redis_kit import free_port

ROOT = Path(__file__).resolve().parents[2]
APP_YML = yaml.safe_load((ROOT / "app.yml").read_text(encoding="utf-8"))
SERVER = "https://review.example.com"
ORG = "acme"
PAGE_URL = re.compile(r"^ +(http://127\.0\.0\.1:\d+/[A-Za-z0-9_-]+)$")
"""The page's address, on a line of its own."""
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# -- the browser's side: forms as a browser submits them ------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _Forms(HTMLParser):
    """The forms of a page and their fields' values (entities decoded, as a browser does)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(found.get("action", ""), found.get("method", "get").lower()))
        elif tag == "input" and self.forms and "name" in found:
            self.forms[-1].fields[found["name"]] = found.get("value", "")
        elif tag == "script":
            self.scripts += 1


def forms_of(text: str) -> _Forms:
    parser = _Forms()
    parser.feed(text)
    return parser


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str


async def fetch(http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> Answer:
    async with http.request(method, url, allow_redirects=False, **kwargs) as response:
        return Answer(response.status, dict(response.headers), await response.text())


async def through_github(http: aiohttp.ClientSession, page_url: str) -> str:
    """Open the command's page, submit its form to GitHub, confirm the App there, and return
    where GitHub sends the browser back (the command's callback, with the code)."""
    page = await fetch(http, "GET", page_url)
    assert page.status == 200, page.text
    (form,) = forms_of(page.text).forms
    confirmation = await fetch(http, "POST", form.action, data=form.fields)
    assert confirmation.status == 200, confirmation.text
    (confirm,) = forms_of(confirmation.text).forms
    created = await fetch(http, "POST", urljoin(form.action, confirm.action), data=confirm.fields)
    assert created.status == 302, created.text
    return created.headers["Location"]


def code_of(callback: str) -> str:
    return parse_qs(urlsplit(callback).query)["code"][0]


# -- the command's side: one `ai-review-bot register` process -------------------------------------


@dataclass
class Done:
    code: int
    out: str
    err: str


class Register:
    """One `ai-review-bot register` process; `page_url` once it is listening."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.out: list[str] = []
        self.page_url = ""

    @property
    def port(self) -> int:
        return urlsplit(self.page_url).port or 0

    async def listening(self, timeout: float = 30) -> Register:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while not self.page_url:
            line = await asyncio.wait_for(
                self.process.stdout.readline(), deadline - time.monotonic()
            )
            if not line:
                done = await self.finish()
                pytest.fail(f"register ended without serving its page: {done}")
            self.out.append(line.decode())
            found = PAGE_URL.match(self.out[-1].rstrip("\n"))
            if found:
                self.page_url = found.group(1)
        return self

    async def finish(self, timeout: float = 60) -> Done:
        stdout, stderr = await asyncio.wait_for(self.process.communicate(), timeout)
        return Done(
            self.process.returncode or 0, "".join(self.out) + stdout.decode(), stderr.decode()
        )

    def running(self) -> bool:
        return self.process.returncode is None


Start = Callable[..., Awaitable[Register]]


@pytest.fixture
async def github_web(fake_github: FakeGitHub) -> AsyncIterator[str]:
    """github.com's pages of the manifest flow, beside the fake's API (`fake_github.url`)."""
    async with serve_web(fake_github) as url:
        yield url


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def start(fake_github: FakeGitHub, github_web: str, tmp_path: Path) -> AsyncIterator[Start]:
    """Start `ai-review-bot register` against the fake GitHub; `api_url=None`: no
    GITHUB_API_URL, so the API is derived from --github-url."""
    started: list[Register] = []

    async def run(*args: str, api_url: str | None = "", wait: bool = True) -> Register:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
        if api_url is not None:
            env["GITHUB_API_URL"] = api_url or fake_github.url
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "register",
            "--github-url",
            github_web,
            "--no-browser",
            *args,
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        started.append(Register(process))
        return await started[-1].listening() if wait else started[-1]

    yield run
    for register in started:
        if register.running():
            register.process.kill()
            await register.process.wait()


def output_in(tmp_path: Path) -> Path:
    return tmp_path / "ai-review.env"


def env_file(path: Path) -> dict[str, str]:
    """The file as docker's --env-file reads it: KEY=VALUE lines, # comments."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            found[name] = value
    return found


def one_line_error(done: Done) -> str:
    assert done.code == 2, done
    assert done.err.count("\n") == 1, done.err
    assert done.err.startswith("ai-review-bot: error: ")
    return done.err


def secrets_of(app: CreatedApp, *codes: str) -> list[str]:
    pem = app.key.private_pem
    body = "".join(pem.strip().splitlines()[1:-1])  # the key without its BEGIN/END lines
    return [
        pem,
        body[:40],
        base64.b64encode(pem.encode()).decode()[:40],
        app.webhook_secret,
        app.client_secret,
        *codes,
    ]


# -- the packaged manifest and the addresses ------------------------------------------------------


def test_the_packaged_app_yml_is_the_repos() -> None:
    """An installed package registers from bot/data/app.yml: it must say what app.yml says."""
    assert (ROOT / "bot" / "data" / "app.yml").read_bytes() == (ROOT / "app.yml").read_bytes()


def test_outside_a_checkout_the_packaged_app_yml_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "app.yml").write_text("name: not this one\n")  # no pyproject.toml beside it
    monkeypatch.setattr("bot.github.manifest._CHECKOUT", tmp_path)

    text, source = read_app_yml()

    assert Path(source).parts[-3:] == ("bot", "data", "app.yml")
    assert text == (ROOT / "app.yml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("web_url", "api_url"),
    [
        ("https://github.com", "https://api.github.com"),
        ("https://github.com/", "https://api.github.com"),
        ("https://octocorp.ghe.com", "https://api.octocorp.ghe.com"),
        ("https://ghe.example.com", "https://ghe.example.com/api/v3"),
    ],
)
def test_the_api_is_found_from_githubs_address(web_url: str, api_url: str) -> None:
    assert api_url_for(web_url.rstrip("/")) == api_url


def test_the_fakes_permissions_are_githubs() -> None:
    """The fake refuses what GitHub's own description of App permissions does not list."""
    specs.require()
    description = json.loads(specs.OPENAPI.read_text(encoding="utf-8"))
    described = description["components"]["schemas"]["app-permissions"]["properties"]
    assert {name: set(s["enum"]) for name, s in described.items()} == {
        name: set(levels) for name, levels in PERMISSIONS.items()
    }


# -- the exchange ---------------------------------------------------------------------------------


async def test_register_writes_the_apps_settings_to_a_file_only_its_owner_reads(
    start: Start, fake_github: FakeGitHub, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    output = output_in(tmp_path)
    register = await start("--org", ORG, "--url", SERVER, "--output", str(output))

    callback = await through_github(http, register.page_url)
    shown = await fetch(http, "GET", callback)
    done = await register.finish()

    assert done.code == 0, done
    (posted,) = manifests_of(fake_github).posted
    manifest = json.loads(posted)
    assert manifest["url"] == SERVER
    assert manifest["hook_attributes"] == {"url": f"{SERVER}/webhook", "active": True}
    assert manifest["redirect_url"] == f"http://127.0.0.1:{register.port}/callback"
    assert manifest["default_events"] == APP_YML["default_events"]
    assert manifest["default_permissions"] == APP_YML["default_permissions"]
    assert manifest["name"] == APP_YML["name"]

    (app,) = manifests_of(fake_github).apps
    assert app.owner == ORG
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    settings_env = env_file(output)
    assert set(settings_env) == {
        "GITHUB_APP_ID",
        "GITHUB_PRIVATE_KEY",
        "GITHUB_WEBHOOK_SECRET",
        "GITHUB_API_URL",
    }
    settings = load_settings({**settings_env, "DATABASE_URL": f"sqlite:///{tmp_path / 'db'}"})
    assert settings.app_id == str(app.id)
    assert settings.private_key == app.key.private_pem
    assert settings.webhook_secret == app.webhook_secret
    assert settings.api_url == fake_github.url
    # The App's JWT, signed with the key as the server reads it, is one GitHub accepts.
    jwt = AppAuth(settings.app_id, settings.private_key, fetch=_no_fetch).app_jwt()
    verify_app_jwt(jwt, app.key, app.id, time.time())

    assert shown.status == 200
    assert f"{app.name} is registered" in shown.text
    html_url = f"{fake_github.web_url}/apps/{app.slug}"
    assert f"{html_url}/installations/new" in shown.text
    assert f"id {app.id}, slug {app.slug}" in done.out
    assert f"{html_url}/installations/new" in done.out
    assert str(output) in done.out
    assert "ai-review-bot serve" in done.out
    for secret in secrets_of(app, code_of(callback)):
        assert secret not in done.out + done.err
        assert secret not in shown.text
    assert done.err == ""


async def _no_fetch(installation_id: str, jwt: str) -> dict[str, str]:
    raise AssertionError("no installation token is asked for")


async def test_an_answer_without_the_registrations_state_is_refused_and_it_keeps_waiting(
    start: Start, fake_github: FakeGitHub, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    register = await start("--org", ORG, "--url", SERVER, "--output", str(output_in(tmp_path)))
    base = f"http://127.0.0.1:{register.port}/callback"

    wrong = await fetch(http, "GET", f"{base}?code=abc123&state=not-the-state")
    missing = await fetch(http, "GET", f"{base}?code=abc123")
    callback = await through_github(http, register.page_url)
    no_code = await fetch(http, "GET", re.sub(r"code=[^&]+&?", "", callback))
    assert register.running()
    right = await fetch(http, "GET", callback)
    done = await register.finish()

    assert (wrong.status, missing.status, no_code.status, right.status) == (400, 400, 400, 200)
    assert "still waiting" in wrong.text
    assert done.code == 0, done
    assert fake_github.count("POST", re.compile(r"^/app-manifests/")) == 1


@pytest.mark.parametrize("spent", ["used", "expired"])
async def test_a_code_used_already_or_expired_is_one_line_and_exit_2(
    spent: str,
    start: Start,
    fake_github: FakeGitHub,
    http: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    output = output_in(tmp_path)
    register = await start("--org", ORG, "--url", SERVER, "--output", str(output))
    callback = await through_github(http, register.page_url)
    if spent == "used":
        first = await fetch(
            http, "POST", f"{fake_github.url}/app-manifests/{code_of(callback)}/conversions"
        )
        assert first.status == 201
    else:
        fake_github.advance(CODE_LIFETIME + 1)

    shown = await fetch(http, "GET", callback)
    done = await register.finish()

    assert "it has expired or was used already" in one_line_error(done)
    assert shown.status == 502
    assert "Registration failed" in shown.text
    assert not output.exists()


async def test_github_failing_the_exchange_is_one_line_and_exit_2(
    start: Start, fake_github: FakeGitHub, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    fake_github.fail("POST", r"^/app-manifests/", 502, times=None)
    register = await start("--org", ORG, "--url", SERVER, "--output", str(output_in(tmp_path)))

    await fetch(http, "GET", await through_github(http, register.page_url))
    done = await register.finish()

    assert "did not complete the code exchange (502 from" in one_line_error(done)
    assert fake_github.count("POST", re.compile(r"^/app-manifests/")) == 3
    assert not output_in(tmp_path).exists()


async def test_an_api_that_does_not_answer_is_one_line_and_exit_2(
    start: Start, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    register = await start(
        "--org", ORG, "--url", SERVER, "--output", str(output_in(tmp_path)), api_url=nowhere
    )

    await fetch(http, "GET", await through_github(http, register.page_url))
    done = await register.finish()

    assert f"no answer from {nowhere}" in one_line_error(done)


async def test_a_personal_app_on_github_enterprise_server(
    start: Start, fake_github: FakeGitHub, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    output = output_in(tmp_path)
    register = await start(
        "--url", SERVER, "--output", str(output), api_url=fake_github.enterprise_url
    )

    page = await fetch(http, "GET", register.page_url)
    (form,) = forms_of(page.text).forms
    await fetch(http, "GET", await through_github(http, register.page_url))
    done = await register.finish()

    assert done.code == 0, done
    assert urlsplit(form.action).path == "/settings/apps/new"
    (app,) = manifests_of(fake_github).apps
    assert app.owner == VIEWER
    (exchange,) = fake_github.requests("POST", re.compile(r"^/app-manifests/"))
    assert exchange.raw_path.startswith("/api/v3/")
    assert env_file(output)["GITHUB_API_URL"] == fake_github.enterprise_url
    assert "Install it on your account" in done.out


# -- the output file ------------------------------------------------------------------------------


async def test_an_existing_output_is_kept_unless_forced(start: Start, tmp_path: Path) -> None:
    output = output_in(tmp_path)
    output.write_text("GITHUB_APP_ID=1\n")

    register = await start("--org", ORG, "--url", SERVER, "--output", str(output), wait=False)
    done = await register.finish()

    assert "exists: pass --force to replace it" in one_line_error(done)
    assert output.read_text() == "GITHUB_APP_ID=1\n"


async def test_force_replaces_the_output_and_keeps_it_private(
    start: Start, fake_github: FakeGitHub, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    output = output_in(tmp_path)
    output.write_text("GITHUB_APP_ID=1\n")
    output.chmod(0o644)
    register = await start("--org", ORG, "--url", SERVER, "--output", str(output), "--force")

    await fetch(http, "GET", await through_github(http, register.page_url))
    done = await register.finish()

    assert done.code == 0, done
    (app,) = manifests_of(fake_github).apps
    assert env_file(output)["GITHUB_APP_ID"] == str(app.id)
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "gitconfig") == [output.name]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--org", ORG, "--url", "http://review.example.com"), "--url must be an https://"),
        (("--org", "acme/../x", "--url", SERVER), "is not a GitHub organization name"),
        (("--org", ORG, "--url", SERVER, "--port", "70000"), "--port must be a TCP port"),
    ],
)
async def test_bad_arguments_are_one_line_and_exit_2(
    args: tuple[str, ...], says: str, start: Start, tmp_path: Path
) -> None:
    register = await start(*args, "--output", str(output_in(tmp_path)), wait=False)

    assert says in one_line_error(await register.finish())


# -- the local server -----------------------------------------------------------------------------


async def test_the_page_is_served_on_127_0_0_1_only(
    start: Start, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    register = await start("--org", ORG, "--url", SERVER, "--output", str(output_in(tmp_path)))
    port = register.port

    assert _connects("127.0.0.1", port)
    assert not _connects("127.0.0.2", port)  # loopback too, but not the address it listens on
    if socket.has_ipv6:
        assert not _connects("::1", port)
    elsewhere = await fetch(http, "GET", register.page_url, headers={"Host": f"evil.test:{port}"})
    no_token = await fetch(http, "GET", f"http://127.0.0.1:{port}/")

    assert (elsewhere.status, no_token.status) == (421, 404)
    assert (await fetch(http, "GET", register.page_url)).status == 200


def _connects(address: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family) as probe:
        probe.settimeout(2)
        try:
            probe.connect((address, port))
        except OSError:
            return False
        return True


async def test_the_page_escapes_the_manifest_and_allows_nothing_but_its_form(
    start: Start, fake_github: FakeGitHub, github_web: str, http: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:  # fmt: skip
    register = await start("--org", ORG, "--url", SERVER, "--output", str(output_in(tmp_path)))

    page = await fetch(http, "GET", register.page_url)

    found = forms_of(page.text)
    (form,) = found.forms
    assert found.scripts == 0
    assert form.method == "post"
    assert form.action.startswith(f"{github_web}/organizations/{ORG}/settings/apps/new?state=")
    assert json.loads(form.fields["manifest"])["hook_attributes"]["url"] == f"{SERVER}/webhook"
    assert '"hook_attributes"' not in page.text  # quotes are escaped in the attribute
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert f"form-action {github_web};" in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"


async def test_ctrl_c_ends_it_cleanly(start: Start, tmp_path: Path) -> None:
    register = await start("--org", ORG, "--url", SERVER, "--output", str(output_in(tmp_path)))

    register.process.send_signal(signal.SIGINT)
    done = await register.finish()

    assert done.code == 130
    assert done.err == "ai-review-bot: register interrupted\n"
    assert not output_in(tmp_path).exists()


async def test_no_answer_within_the_timeout_is_one_line_and_exit_2(
    start: Start, tmp_path: Path
) -> None:
    register = await start(
        "--org", ORG, "--url", SERVER, "--output", str(output_in(tmp_path)), "--timeout", "1"
    )

    done = await register.finish()

    assert "did not send the browser back within 1 s" in one_line_error(done)


# -- the fake's pages -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"url": None}, "Url can't be blank"),
        ({"hook_attributes": {"active": True}}, "Hook url can't be blank"),
        ({"default_permissions": {"checks": "admin"}}, "'checks' cannot be 'admin'"),
        ({"default_permissions": {"pull_request": "write"}}, "is not a GitHub App permission"),
        ({"default_events": ["workflow_run"]}, "'workflow_run' needs the actions permission"),
    ],
)
async def test_the_fake_refuses_a_manifest_github_would_refuse(
    change: dict[str, Any], says: str, github_web: str, http: aiohttp.ClientSession
) -> None:
    manifest = {**APP_YML, "url": SERVER, "hook_attributes": {"url": f"{SERVER}/webhook"}}
    manifest.update(change)

    page = await fetch(
        http,
        "POST",
        f"{github_web}/organizations/{ORG}/settings/apps/new?state=s",
        data={"manifest": json.dumps({k: v for k, v in manifest.items() if v is not None})},
    )

    assert page.status == 422
    assert says in page.text.replace("&#x27;", "'")


# -- in a real browser ----------------------------------------------------------------------------


def _require_chromium() -> None:
    if Path(CHROMIUM).is_file():
        return
    message = f"{CHROMIUM} is missing (Debian's chromium package; .ci/run installs it)"
    if specs.in_ci():
        pytest.fail(message)
    pytest.skip(message)


async def test_in_a_browser_the_page_leads_through_github_and_back(
    start: Start, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    _require_chromium()
    from playwright.async_api import async_playwright, expect

    output = output_in(tmp_path)
    register = await start("--org", ORG, "--url", SERVER, "--output", str(output))

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await page.goto(register.page_url)
            await page.get_by_role("button", name="Create on GitHub").click()
            await expect(page.get_by_role("heading")).to_have_text(f"Create GitHub App for {ORG}")
            await page.get_by_role("button", name="Create GitHub App").click()
            await expect(page.get_by_role("heading")).to_have_text(
                f"{APP_YML['name']} is registered"
            )
            assert urlsplit(page.url).path == "/callback"
        finally:
            await browser.close()
    done = await register.finish()

    assert done.code == 0, done
    (app,) = manifests_of(fake_github).apps
    assert env_file(output)["GITHUB_APP_ID"] == str(app.id)
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
