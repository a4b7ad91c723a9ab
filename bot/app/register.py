"""`ai-review-bot register`: the GitHub App registered from app.yml, as Probot users do it.

The command serves one page on 127.0.0.1 (never on another address). Its form posts the manifest
to GitHub's "new GitHub App" page with a random `state`; the user confirms there, and GitHub
sends the browser back to http://127.0.0.1:PORT/callback with a one-time code and the state. An
answer without our state is refused and the command keeps waiting; with it, the code is
exchanged for the App's id, private key and webhook secret (bot/github/manifest.py), which are
written to an env file that is created readable by its owner only (0600), and the command ends.

The private key, the webhook secret and the code are never printed, logged or put on a page.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import hmac
import html
import os
import secrets
import sys
import webbrowser
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.github.manifest import (
    ExchangeError,
    GitHubSite,
    ManifestError,
    RegisteredApp,
    build_manifest,
    exchange_code,
    load_app_yml,
    manifest_json,
    owner_name,
    read_app_yml,
    server_url,
    valid_code,
)

LOOPBACK = "127.0.0.1"
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
ANSWER_SECONDS = 5.0  # how long the browser's last page may take to be sent before we exit
DEFAULT_API_URL = "https://api.github.com"


class RegisterError(Exception):
    """The registration cannot go on; the message is one line that says what to do."""


@dataclass(frozen=True, slots=True)
class RegisterOptions:
    site: GitHubSite
    url: str
    """Where the App's server will be: its homepage, and webhooks at URL/webhook."""
    org: str | None
    """The organization to own the App; None: the signed-in user's personal account."""
    output: Path
    force: bool = False
    port: int = 0
    timeout: float = 900.0
    open_browser: bool = True

    @classmethod
    def from_args(cls, args: argparse.Namespace, env: Mapping[str, str]) -> RegisterOptions:
        """The command line's options; GITHUB_API_URL overrides the API, as for `serve`."""
        if not 0 <= args.port < 65536:
            raise RegisterError(
                f"--port must be a TCP port number (0: any free one), not {args.port}"
            )
        try:
            site = GitHubSite.at(args.github_url, env.get("GITHUB_API_URL") or None)
            url = server_url(args.url)
            org = owner_name(args.org) if args.org is not None else None
        except ManifestError as exc:
            raise RegisterError(str(exc)) from None
        return cls(
            site=site,
            url=url,
            org=org,
            output=Path(args.output),
            force=args.force,
            port=args.port,
            timeout=float(args.timeout),
            open_browser=not args.no_browser,
        )


def run(args: argparse.Namespace) -> int:
    """The `register` command: 0 once the App's settings are written, EXIT_INTERRUPTED on Ctrl-C;
    RegisterError for anything that stops it."""
    options = RegisterOptions.from_args(args, os.environ)
    check_output(options.output, force=options.force)
    try:
        app_yml = load_app_yml(*read_app_yml())
    except ManifestError as exc:
        raise RegisterError(str(exc)) from None
    try:
        registered = asyncio.run(register(options, app_yml))
    except KeyboardInterrupt:
        print("ai-review-bot: register interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    _say(next_steps(registered, options))
    return 0


def check_output(path: Path, *, force: bool) -> None:
    """Refuse, before GitHub is asked, an output the credentials could not be written to."""
    if path.is_dir():
        raise RegisterError(f"--output {path} is a directory; give a file name")
    if os.path.lexists(path) and not force:
        raise RegisterError(f"{path} exists: pass --force to replace it, or --output another file")
    parent = path.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise RegisterError(f"cannot write {path}: {parent} is not a writable directory")


async def register(options: RegisterOptions, app_yml: Mapping[str, Any]) -> RegisteredApp:
    """Serve the page, wait for GitHub's answer, exchange its code and write the settings."""
    flow = _Flow(options, app_yml)
    # No access log: the callback's URL holds the code.
    runner = web.AppRunner(flow.web_app(), access_log=None, shutdown_timeout=ANSWER_SECONDS)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, LOOPBACK, options.port).start()
        except OSError as exc:
            raise RegisterError(
                f"cannot listen on {LOOPBACK}:{options.port}: {exc.strerror or exc}"
            ) from None
        page_url = flow.listening(runner.addresses[0][1])
        _say(_invitation(options, page_url))
        if options.open_browser:
            await _open_browser(page_url)
        code = await flow.code_from_github(options.timeout)
        try:
            registered = await exchange_code(options.site.api_url, code)
        except ExchangeError as exc:
            await flow.answer(_failure_page(str(exc)))
            raise RegisterError(str(exc)) from None
        try:
            write_private_file(
                options.output, env_file_text(registered, options.site), replace=options.force
            )
        except OSError as exc:
            message = (
                f"cannot write {options.output}: {exc.strerror or exc}; the App exists: generate "
                f"a private key at {app_settings_url(registered, options)} and write the file "
                "by hand"
            )
            await flow.answer(_failure_page(message))
            raise RegisterError(message) from None
        await flow.answer(_success_page(registered, options))
        return registered
    finally:
        if not flow.result.done():  # stopped (Ctrl-C) while a browser waits for its page
            flow.result.set_result(_failure_page("The command stopped; see the terminal."))
        await runner.cleanup()


class _Flow:
    """The local server's state: the page, and the one answer from GitHub it waits for."""

    def __init__(self, options: RegisterOptions, app_yml: Mapping[str, Any]) -> None:
        self.options = options
        self.app_yml = app_yml
        self.state = secrets.token_urlsafe(32)
        # The page's path is secret too: another local user, or a web page rebinding its DNS
        # name to 127.0.0.1, cannot read the state from it.
        self.page_token = secrets.token_urlsafe(16)
        self.host = ""
        self.manifest: dict[str, Any] = {}
        loop = asyncio.get_running_loop()
        self.code: asyncio.Future[str] = loop.create_future()
        self.result: asyncio.Future[web.Response] = loop.create_future()
        self.answered = asyncio.Event()

    def web_app(self) -> web.Application:
        app = web.Application(middlewares=[self._loopback_host_only])
        app.router.add_get(f"/{self.page_token}", self.form)
        app.router.add_get("/callback", self.callback)
        app.on_response_prepare.append(_secure_headers)
        return app

    def listening(self, port: int) -> str:
        """Now serving on `port`: the manifest can name the callback; returns the page's URL."""
        self.host = f"{LOOPBACK}:{port}"
        self.manifest = build_manifest(
            self.app_yml, url=self.options.url, redirect_url=f"http://{self.host}/callback"
        )
        return f"http://{self.host}/{self.page_token}"

    async def code_from_github(self, timeout: float) -> str:
        try:
            return await asyncio.wait_for(asyncio.shield(self.code), timeout)
        except TimeoutError:
            raise RegisterError(
                f"GitHub did not send the browser back within {timeout:g} s; nothing was "
                "written: run `ai-review-bot register` again"
            ) from None

    async def answer(self, page: web.Response) -> None:
        """Show `page` to the browser that brought the code, and wait (briefly) until it has."""
        self.result.set_result(page)
        # If the browser went away meanwhile, the terminal still says it all.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.answered.wait(), ANSWER_SECONDS)

    @web.middleware
    async def _loopback_host_only(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        """Only requests for 127.0.0.1:PORT: a web page whose name an attacker points at
        127.0.0.1 (DNS rebinding) is refused even though the browser connects here."""
        if request.host != self.host:
            return _page(421, "Wrong address", f"<p>This page is at {html.escape(self.host)}.</p>")
        return await handler(request)

    async def form(self, request: web.Request) -> web.Response:
        return _form_page(self.manifest, self.options, self.state)

    async def callback(self, request: web.Request) -> web.StreamResponse:
        if self.code.done():
            return _page(
                409,
                "Already answered",
                "<p>This registration was answered already; see the terminal.</p>",
            )
        state = request.query.get("state", "")
        if not hmac.compare_digest(state.encode(), self.state.encode()):
            return _page(
                400,
                "Not this registration",
                "<p>This answer does not come from the registration that <code>ai-review-bot "
                "register</code> started, so it was ignored. The command is still waiting: "
                "go back to its page and start again from there.</p>",
            )
        code = request.query.get("code", "")
        if not valid_code(code):
            return _page(
                400,
                "No code",
                "<p>GitHub's answer holds no code. The command is "
                "still waiting: go back to its page and start again from there.</p>",
            )
        self.code.set_result(code)
        response = await self.result
        with contextlib.suppress(ConnectionError):  # the browser left; the terminal says it all
            await response.prepare(request)
            await response.write_eof()
        self.answered.set()
        return response


def env_file_text(app: RegisteredApp, site: GitHubSite, now: datetime | None = None) -> str:
    """The App's settings as an env file: for `docker run --env-file`, compose's `env_file:`,
    or `set -a; . ./FILE; set +a` in a shell. The key is the PEM in base64, on one line."""
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# The GitHub App {_printable(app.name)} ({_printable(app.slug)}), written by "
        f"`ai-review-bot register` on {when}",
        f"# {_printable(app.html_url)} - install it: {_printable(app.install_url)}",
        "# Secrets: keep this file to yourself (mode 0600), out of git and out of images.",
        f"GITHUB_APP_ID={app.id}",
        "GITHUB_PRIVATE_KEY=" + base64.b64encode(app.private_key.encode("ascii")).decode("ascii"),
    ]
    if app.webhook_secret is not None:
        lines.append(f"GITHUB_WEBHOOK_SECRET={app.webhook_secret}")
    else:
        lines.append("# GitHub generated no webhook secret: set one in the App's settings, then")
        lines.append("# GITHUB_WEBHOOK_SECRET=the same value")
    if site.api_url != DEFAULT_API_URL:
        lines.append(f"GITHUB_API_URL={site.api_url}")
    return "\n".join(lines) + "\n"


def write_private_file(path: Path, text: str, *, replace: bool) -> None:
    """Write `text` to `path`, readable by its owner only from the moment it exists.

    Without `replace`, `path` must not exist (O_EXCL: nor may a symlink stand there); with it,
    the text goes to a new file beside it that then takes its place in one rename.
    """
    target = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp") if replace else path
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    with os.fdopen(os.open(target, flags, 0o600), "w", encoding="utf-8") as out:
        try:
            os.fchmod(out.fileno(), 0o600)  # whatever the umask left
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        except BaseException:
            target.unlink(missing_ok=True)
            raise
    if replace:
        try:
            os.replace(target, path)
        except OSError:
            target.unlink(missing_ok=True)
            raise


def app_settings_url(app: RegisteredApp, options: RegisterOptions) -> str:
    """The App's settings page on GitHub (where keys are generated)."""
    owner = f"/organizations/{options.org}" if options.org else ""
    return f"{options.site.web_url}{owner}/settings/apps/{_printable(app.slug)}"


def next_steps(app: RegisteredApp, options: RegisterOptions) -> str:
    where = f"the organization {options.org}" if options.org else "your account"
    output = options.output
    secret_note = (
        ""
        if app.webhook_secret is not None
        else f"\n   GitHub generated no webhook secret: set one at "
        f"{app_settings_url(app, options)} and add GITHUB_WEBHOOK_SECRET to {output}."
    )
    return (
        f"Registered the GitHub App {_printable(app.name)} (id {app.id}, slug "
        f"{_printable(app.slug)}): {_printable(app.html_url)}\n"
        f"Wrote its id, private key and webhook secret to {output} (mode 0600; keep it "
        f"private).{secret_note}\n"
        "Next:\n"
        f"  1. Install it on {where}: {_printable(app.install_url)}\n"
        f"  2. Run the server where GitHub reaches {options.url}/webhook, with these settings:\n"
        f"       set -a; . {_shell_path(output)}; set +a; ai-review-bot serve\n"
        f"     or: docker run --env-file {output} ... (compose: env_file: {output})"
    )


def _invitation(options: RegisterOptions, page_url: str) -> str:
    owner = f"the organization {options.org}" if options.org else "your personal account"
    minutes = options.timeout / 60
    return (
        f"Registering the GitHub App from app.yml for {owner} on {options.site.web_url} "
        f"(API: {options.site.api_url}).\n"
        "Open this page in a browser on this machine and follow it to GitHub:\n\n"
        f"    {page_url}\n\n"
        f"Waiting up to {minutes:g} min for GitHub to send you back (Ctrl-C to stop)..."
    )


async def _open_browser(url: str) -> None:
    """Open the page for the user where a desktop browser is likely: a terminal on a desktop
    (over SSH, `webbrowser` would take the terminal over with a text browser)."""
    desktop = sys.platform in ("darwin", "win32") or any(
        os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY")
    )
    if not (desktop and sys.stdout.isatty()):
        return
    with contextlib.suppress(webbrowser.Error):  # the address is printed: this is a convenience
        await asyncio.to_thread(webbrowser.open, url)


def _say(text: str) -> None:
    print(text, flush=True)


def _printable(text: str, limit: int = 200) -> str:
    """Text from GitHub made safe for one terminal or env-file line (no control characters)."""
    return "".join(c if c.isprintable() else "?" for c in text[:limit])


def _shell_path(path: Path) -> str:
    text = str(path)
    return text if "/" in text else f"./{text}"


# -- the pages ---------------------------------------------------------------------------------

_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;"
    "color:#1f2328}code{background:#f6f8fa;padding:0 .2em}button{font:inherit;padding:.5rem 1rem;"
    "background:#1f883d;color:#fff;border:0;border-radius:6px;cursor:pointer}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()


def _csp(form_action: str) -> str:
    """Nothing may load or run on the page but its own style; its form posts only to GitHub."""
    return (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action {form_action}; "
        "base-uri 'none'; frame-ancestors 'none'"
    )


async def _secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("Content-Security-Policy", _csp("'none'"))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the page's path is a secret
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"


def _page(status: int, title: str, body: str, *, form_action: str = "'none'") -> web.Response:
    """An HTML page; `title` is escaped here, `body` must be escaped HTML already."""
    text = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} - ai-review-bot</title><style>{_STYLE}</style></head>\n"
        f"<body><main><h1>{html.escape(title)}</h1>\n{body}\n</main></body></html>\n"
    )
    return web.Response(
        status=status,
        text=text,
        content_type="text/html",
        charset="utf-8",
        headers={"Content-Security-Policy": _csp(form_action)},
    )


def _form_page(manifest: Mapping[str, Any], options: RegisterOptions, state: str) -> web.Response:
    site = options.site
    owner = (
        f"the organization <strong>{html.escape(options.org)}</strong>"
        if options.org
        else "your personal account"
    )
    permissions = ", ".join(
        f"{html.escape(str(name))}: {html.escape(str(level))}"
        for name, level in manifest.get("default_permissions", {}).items()
    )
    events = ", ".join(html.escape(str(event)) for event in manifest.get("default_events", []))
    action = site.new_app_url(options.org, state)
    return _page(
        200,
        f"Register {manifest.get('name', 'the App')} on GitHub",
        f"<p>This creates the GitHub App described by <code>app.yml</code>, owned by {owner} "
        f"on <strong>{html.escape(site.web_url)}</strong>. GitHub asks you to confirm it and "
        "then sends you back here.</p>\n"
        f"<p>Webhooks go to <code>{html.escape(manifest['hook_attributes']['url'])}</code>.<br>"
        f"Permissions: {permissions or 'none'}.<br>Events: {events or 'none'}.</p>\n"
        f'<form action="{html.escape(action)}" method="post">'
        f'<input type="hidden" name="manifest" value="{html.escape(manifest_json(manifest))}">'
        '<button type="submit">Create on GitHub</button></form>',
        form_action=site.web_origin,
    )


def _success_page(app: RegisteredApp, options: RegisterOptions) -> web.Response:
    install = html.escape(app.install_url)
    if app.install_url.startswith(("https://", "http://")):
        install = f'<a href="{install}">{install}</a>'
    return _page(
        200,
        f"{app.name} is registered",
        f"<p>The GitHub App <strong>{html.escape(app.name)}</strong> (id {app.id}) exists, and "
        f"its settings are written to <code>{html.escape(str(options.output))}</code>. You can "
        "close this tab; the terminal shows the next steps.</p>\n"
        f"<p>Next: install it, at {install}</p>",
    )


def _failure_page(message: str) -> web.Response:
    return _page(502, "Registration failed", f"<p>{html.escape(message)}</p>")
