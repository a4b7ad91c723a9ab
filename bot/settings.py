"""The App's settings, read once from the environment (CONTRACT.md) and validated."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


class SettingsError(Exception):
    """A missing or invalid setting; the message says which and what to do."""


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


def _private_key(env: Mapping[str, str]) -> str:
    if env.get("GITHUB_PRIVATE_KEY"):
        # Platforms that cannot hold newlines in a variable often store them as "\n".
        return env["GITHUB_PRIVATE_KEY"].replace("\\n", "\n")
    path = env.get("GITHUB_PRIVATE_KEY_PATH")
    if not path:
        raise SettingsError(
            "set GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_PATH to the App's PEM key"
        )
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"cannot read GITHUB_PRIVATE_KEY_PATH {path}: {exc.strerror}") from None


def load_settings(env: Mapping[str, str] | None = None, *, worker: bool = False) -> Settings:
    """Settings from the environment; raise SettingsError naming what is missing or wrong.

    The web server needs the webhook secret; a `worker` needs REDIS_URL instead (it never sees
    a webhook).
    """
    env = os.environ if env is None else env
    secret = env.get("GITHUB_WEBHOOK_SECRET", "")
    if worker and not env.get("REDIS_URL"):
        raise SettingsError(
            "REDIS_URL is required: workers take their jobs from Redis (without it, "
            "`ai-review-bot serve` runs the jobs itself)"
        )
    if not secret and not worker:
        raise SettingsError(
            "GITHUB_WEBHOOK_SECRET is required: the server will not accept unsigned webhooks"
        )
    app_id = env.get("GITHUB_APP_ID", "")
    if not app_id.isdigit():
        raise SettingsError("GITHUB_APP_ID must be the App's numeric id")
    key = _private_key(env)
    if "PRIVATE KEY-----" not in key:
        raise SettingsError("the App's private key is not a PEM key (BEGIN ... PRIVATE KEY)")
    port_text = env.get("PORT", "3000")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise SettingsError(f"PORT must be a TCP port number, not {port_text!r}")
    api_url = env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    if not api_url.startswith(("https://", "http://")):
        raise SettingsError("GITHUB_API_URL must be an http(s) URL")
    database_url = env.get("DATABASE_URL") or "sqlite:///ai-review.sqlite3"
    if not database_url.startswith("sqlite:///") or database_url == "sqlite:///":
        raise SettingsError(
            "DATABASE_URL must be sqlite:///PATH (the embedded store); use REDIS_URL to scale out"
        )
    redis_url = env.get("REDIS_URL") or None
    if redis_url is not None and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError("REDIS_URL must be a redis://, rediss:// or unix:// URL")
    return Settings(
        app_id=app_id,
        private_key=key,
        webhook_secret=secret,
        api_url=api_url,
        port=int(port_text),
        database_url=database_url,
        redis_url=redis_url,
    )
