"""The App's settings: our names, Probot's aliases, a key as PEM or base64, every error at once."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.settings import SettingsError, load_settings
from tests.conftest import CliResult

PEM = (
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    .private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    .decode()
)
BASE64_PEM = base64.b64encode(PEM.encode()).decode()


def problems(env: dict[str, str], *, worker: bool = False) -> tuple[str, ...]:
    with pytest.raises(SettingsError) as refused:
        load_settings(env, worker=worker)
    return refused.value.problems


def test_probot_names_are_read_as_aliases() -> None:
    settings = load_settings({"APP_ID": "42", "PRIVATE_KEY": PEM, "WEBHOOK_SECRET": "s3cret"})

    assert (settings.app_id, settings.private_key, settings.webhook_secret) == ("42", PEM, "s3cret")


def test_probot_private_key_path_is_read_as_an_alias(tmp_path: Path) -> None:
    key_file = tmp_path / "app.pem"
    key_file.write_text(PEM)

    settings = load_settings(
        {"APP_ID": "42", "PRIVATE_KEY_PATH": str(key_file), "WEBHOOK_SECRET": "s3cret"}
    )

    assert settings.private_key == PEM


@pytest.mark.parametrize("name", ["GITHUB_PRIVATE_KEY", "PRIVATE_KEY"])
def test_a_base64_private_key_is_decoded(name: str) -> None:
    settings = load_settings({"GITHUB_APP_ID": "42", name: BASE64_PEM, "WEBHOOK_SECRET": "s"})

    assert settings.private_key == PEM


def test_a_pem_with_escaped_newlines_is_restored() -> None:
    escaped = PEM.replace("\n", "\\n")

    settings = load_settings({"APP_ID": "1", "PRIVATE_KEY": escaped, "WEBHOOK_SECRET": "s"})

    assert settings.private_key == PEM


def test_our_name_and_its_alias_may_agree() -> None:
    env = {"GITHUB_APP_ID": "7", "APP_ID": "7", "PRIVATE_KEY": PEM, "WEBHOOK_SECRET": "s"}

    assert load_settings(env).app_id == "7"


def test_our_name_and_its_alias_must_not_disagree() -> None:
    env = {"GITHUB_APP_ID": "7", "APP_ID": "8", "PRIVATE_KEY": PEM, "WEBHOOK_SECRET": "s"}

    assert problems(env) == (
        "GITHUB_APP_ID and APP_ID are both set, to different values; keep one",
    )


def test_base64_of_something_else_is_not_a_key() -> None:
    not_a_key = base64.b64encode(b"hello world").decode()

    assert problems({"APP_ID": "1", "PRIVATE_KEY": not_a_key, "WEBHOOK_SECRET": "s"}) == (
        "GITHUB_PRIVATE_KEY is not a PEM private key (BEGIN ... PRIVATE KEY), nor base64 of one",
    )


def test_every_problem_is_reported_at_once() -> None:
    env = {"APP_ID": "my-app", "PORT": "http", "GITHUB_API_URL": "api.github.com"}

    assert problems(env) == (
        "GITHUB_WEBHOOK_SECRET is required: the server will not accept unsigned webhooks",
        "GITHUB_APP_ID must be the App's numeric id",
        "set GITHUB_PRIVATE_KEY (PEM, or base64 of it) or GITHUB_PRIVATE_KEY_PATH to the App's "
        "private key",
        "PORT must be a TCP port number, not 'http'",
        "GITHUB_API_URL must be an http(s) URL",
    )


def test_serve_names_every_problem_in_one_line(
    cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GITHUB_APP_ID", "APP_ID", "GITHUB_PRIVATE_KEY", "PRIVATE_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name in ("GITHUB_PRIVATE_KEY_PATH", "PRIVATE_KEY_PATH", "GITHUB_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WEBHOOK_SECRET", "s3cret-value")
    monkeypatch.setenv("REDIS_URL", "http://localhost:6379")

    result = cli("serve")

    assert result.code == 2
    assert result.err == (
        "ai-review-bot: error: GITHUB_APP_ID must be the App's numeric id; set GITHUB_PRIVATE_KEY "
        "(PEM, or base64 of it) or GITHUB_PRIVATE_KEY_PATH to the App's private key; REDIS_URL "
        "must be a redis://, rediss:// or unix:// URL\n"
    )
    assert "s3cret-value" not in result.err
