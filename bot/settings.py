"""The App's settings, read once from the environment (CONTRACT.md) and validated."""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


class SettingsError(Exception):
    """Settings the process cannot run with: every problem found, each saying what to do."""

    problems: tuple[str, ...]

    def __init__(self, *problems: str) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


# Probot's names, which people bring along from other Apps, are read as aliases of ours.
ALIASES = {
    "GITHUB_APP_ID": "APP_ID",
    "GITHUB_PRIVATE_KEY": "PRIVATE_KEY",
    "GITHUB_PRIVATE_KEY_PATH": "PRIVATE_KEY_PATH",
    "GITHUB_WEBHOOK_SECRET": "WEBHOOK_SECRET",
}


@dataclass(frozen=True, slots=True)
class Settings:
    app_id: str
    private_key: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    api_url: str = "https://api.github.com"
    port: int = 3000
    database_url: str = "sqlite:///ai-review.sqlite3"
    redis_url: str | None = field(default=None, repr=False)  # may hold a password

    @property
    def graphql_url(self) -> str:
        """github.com: api.github.com/graphql; GitHub Enterprise Server: HOST/api/graphql."""
        base = self.api_url.rstrip("/")
        if base.endswith("/api/v3"):
            return base.removesuffix("/v3") + "/graphql"
        return base + "/graphql"


class _Reader:
    """Reads settings by name (or by alias), noting every problem instead of stopping at one."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def get(self, name: str, default: str = "") -> str:
        value = self.env.get(name, "")
        alias = ALIASES.get(name)
        alias_value = self.env.get(alias, "") if alias else ""
        if value and alias_value and value != alias_value:
            self.problems.append(f"{name} and {alias} are both set, to different values; keep one")
        return value or alias_value or default

    def problem(self, message: str) -> None:
        self.problems.append(message)


def _decoded_key(text: str) -> str:
    """A PEM key as given, with "\\n" for newlines, or base64 of the PEM (one line, as
    `ai-review-bot register` writes it and as env files and some platforms need)."""
    if "-----BEGIN" in text:
        # Platforms that cannot hold newlines in a variable often store them as "\\n".
        return text.replace("\\n", "\n")
    try:
        decoded = base64.b64decode("".join(text.split()), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return text
    return decoded if "-----BEGIN" in decoded else text


def _private_key(read: _Reader) -> str:
    """The key's text, or "" after noting why there is none."""
    text = read.get("GITHUB_PRIVATE_KEY")
    path = read.get("GITHUB_PRIVATE_KEY_PATH")
    if text:
        key = _decoded_key(text)
        where = "GITHUB_PRIVATE_KEY"
    elif path:
        try:
            key = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not text"
            read.problem(f"cannot read GITHUB_PRIVATE_KEY_PATH {path}: {reason}")
            return ""
        where = f"GITHUB_PRIVATE_KEY_PATH {path}"
    else:
        read.problem(
            "set GITHUB_PRIVATE_KEY (PEM, or base64 of it) or GITHUB_PRIVATE_KEY_PATH to the "
            "App's private key"
        )
        return ""
    if "PRIVATE KEY-----" not in key:
        read.problem(f"{where} is not a PEM private key (BEGIN ... PRIVATE KEY), nor base64 of one")
        return ""
    return key


def app_private_key(env: Mapping[str, str]) -> str | None:
    """The App's private key when one is set (GITHUB_PRIVATE_KEY, GITHUB_PRIVATE_KEY_PATH or
    Probot's names), None when none is; raises SettingsError when one is set but unusable."""
    read = _Reader(env)
    if not read.get("GITHUB_PRIVATE_KEY") and not read.get("GITHUB_PRIVATE_KEY_PATH"):
        return None
    key = _private_key(read)
    if read.problems:
        raise SettingsError(*read.problems)
    return key


def load_settings(env: Mapping[str, str] | None = None, *, worker: bool = False) -> Settings:
    """Settings from the environment; raise SettingsError naming everything missing or wrong.

    The web server needs the webhook secret; a `worker` needs REDIS_URL instead (it never sees
    a webhook). Probot's APP_ID, PRIVATE_KEY, PRIVATE_KEY_PATH and WEBHOOK_SECRET are read when
    the GITHUB_ names are not set.
    """
    read = _Reader(os.environ if env is None else env)
    secret = read.get("GITHUB_WEBHOOK_SECRET")
    redis_url = read.get("REDIS_URL") or None
    if worker and redis_url is None:
        read.problem(
            "REDIS_URL is required: workers take their jobs from Redis (without it, "
            "`ai-review-bot serve` runs the jobs itself)"
        )
    if not secret and not worker:
        read.problem(
            "GITHUB_WEBHOOK_SECRET is required: the server will not accept unsigned webhooks"
        )
    app_id = read.get("GITHUB_APP_ID").strip()
    if not app_id.isdigit():
        read.problem("GITHUB_APP_ID must be the App's numeric id")
    key = _private_key(read)
    port_text = read.get("PORT", "3000")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        read.problem(f"PORT must be a TCP port number, not {port_text!r}")
    api_url = read.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    if not api_url.startswith(("https://", "http://")):
        read.problem("GITHUB_API_URL must be an http(s) URL")
    database_url = read.get("DATABASE_URL", "sqlite:///ai-review.sqlite3")
    if not database_url.startswith("sqlite:///") or database_url == "sqlite:///":
        read.problem(
            "DATABASE_URL must be sqlite:///PATH (the embedded store); use REDIS_URL to scale out"
        )
    if redis_url is not None and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        read.problem("REDIS_URL must be a redis://, rediss:// or unix:// URL")
    if read.problems:
        raise SettingsError(*read.problems)
    return Settings(
        app_id=app_id,
        private_key=key,
        webhook_secret=secret,
        api_url=api_url,
        port=int(port_text),
        database_url=database_url,
        redis_url=redis_url,
    )
