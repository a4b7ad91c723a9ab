"""`serve` and `worker` refuse to start with settings they cannot use, in one line each."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.redis_kit import free_port

KEY = (
    "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA\n"
    "-----END PRIVATE KEY-----\n"
)


@pytest.fixture(autouse=True)
def _app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("GITHUB_WEBHOOK_SECRET", "REDIS_URL", "GITHUB_PRIVATE_KEY_PATH", "PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_APP_ID", "1")
    monkeypatch.setenv("GITHUB_PRIVATE_KEY", KEY)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bot.sqlite3'}")


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """The commands set up JSON logging on the root logger; later tests get theirs back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _one_line(result: CliResult) -> str:
    assert result.code == 2
    assert result.err.count("\n") == 1
    return result.err


def test_serve_without_a_webhook_secret_refuses_to_start(cli: Callable[..., CliResult]) -> None:
    assert "GITHUB_WEBHOOK_SECRET is required" in _one_line(cli("serve"))


def test_worker_without_redis_says_serve_runs_jobs_itself(cli: Callable[..., CliResult]) -> None:
    assert "REDIS_URL is required" in _one_line(cli("worker"))


def test_worker_with_a_redis_that_does_not_answer_says_so(
    cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://:hunter2@127.0.0.1:{free_port()}/0")

    result = cli("worker")

    assert result.code == 2
    # arq's JSON log lines of its retries, then the one line that says what is wrong
    assert result.err.splitlines()[-1].startswith("ai-review-bot: error: cannot reach Redis")
    assert "hunter2" not in result.err


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_worker_concurrency_must_be_a_whole_number_above_zero(
    cli: Callable[..., CliResult], capsys: pytest.CaptureFixture[str], value: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli("worker", "--concurrency", value)

    assert exited.value.code == 2
    assert "expected a whole number above 0" in capsys.readouterr().err
