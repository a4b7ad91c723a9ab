"""The webhook edge: what is refused before any handler or queue sees it, and why."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import pytest

from bot.app import web as web_module
from bot.logs import JsonFormatter, log_context
from tests.appkit import SECRET, Bot, bot_fixture  # noqa: F401  (registers `bot`)
from tests.fakegithub import webhooks
from tests.fakegithub.fixtures import (  # noqa: F401  (registers the fixtures)
    fake_github_fixture,
    github_repo_fixture,
)


def _nested(depth: int) -> bytes:
    return ("[" * (depth - 1) + "{}" + "]" * (depth - 1)).encode()


async def _post(bot: Bot, body: bytes, **changes: str | None) -> tuple[int, str]:
    headers = webhooks.Webhook("pull_request", {}, 1).headers(body, SECRET)
    for name, value in changes.items():
        header = name.replace("_", "-")
        if value is None:
            headers.pop(header, None)
        else:
            headers[header] = value
    response = await bot.client.post("/webhook", data=body, headers=headers)
    return response.status, (await response.json())["message"]


async def test_sha1_signature_alone_is_refused(bot: Bot) -> None:
    status, message = await _post(bot, b'{"action": "opened"}', **{"X_Hub_Signature_256": None})

    assert status == 401
    assert "X-Hub-Signature-256" in message


async def test_signature_of_another_body_is_refused(bot: Bot) -> None:
    headers = webhooks.Webhook("pull_request", {}, 1).headers(b"{}", SECRET)

    response = await bot.client.post("/webhook", data=b'{"a": 1}', headers=headers)

    assert response.status == 401


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X_GitHub_Event", None),
        ("X_GitHub_Event", "pull request; forged=yes"),
        ("X_GitHub_Event", "x" * 65),
        ("X_GitHub_Delivery", None),
        ("X_GitHub_Delivery", "../../etc/passwd"),
        ("X_GitHub_Delivery", "a" * 101),
    ],
)
async def test_missing_or_odd_github_headers_are_400(
    bot: Bot, header: str, value: str | None
) -> None:
    status, _ = await _post(bot, b'{"action": "opened"}', **{header: value})

    assert status == 400


async def test_a_body_that_is_not_json_content_is_400(bot: Bot) -> None:
    status, message = await _post(
        bot, b"payload=%7B%7D", Content_Type="application/x-www-form-urlencoded"
    )

    assert status == 400
    assert "content type" in message


async def test_json_nested_past_64_is_400_and_64_is_read(bot: Bot) -> None:
    deep, refused = await _post(bot, b'{"a": ' + _nested(64) + b"}")
    _, read = await _post(bot, b'{"a": ' + _nested(63) + b"}")

    assert (deep, refused) == (400, "malformed webhook: nested over 64 deep")
    assert "nested" not in read


async def test_json_nested_past_the_interpreters_limit_is_400_not_500(bot: Bot) -> None:
    status, message = await _post(bot, _nested(200_000))

    assert status == 400
    assert "not JSON" in message


async def test_a_json_array_body_is_400(bot: Bot) -> None:
    status, message = await _post(bot, b"[1, 2]")

    assert status == 400
    assert "JSON object" in message


async def test_refusals_are_counted_without_labels_a_stranger_chooses(bot: Bot) -> None:
    for index in range(50):
        await _post(bot, b"{}", X_GitHub_Event=f"made_up_{index}", X_Hub_Signature_256="sha256=00")
    await _post(bot, b"{}", X_Hub_Signature_256="sha256=" + "0" * 64)

    text = await (await bot.client.get("/metrics")).text()

    assert 'ai_review_webhooks_total{event="unverified",outcome="bad_signature"} 51.0' in text
    assert "made_up" not in text


async def test_an_unsigned_request_is_refused_before_its_body_is_read(bot: Bot) -> None:
    async def endless() -> AsyncIterator[bytes]:
        for _ in range(25 * 1024):  # 25 MiB, never sent when refused at the headers
            yield b"x" * 1024

    response = await bot.client.post(
        "/webhook",
        data=endless(),
        headers={"X-GitHub-Event": "push", "Content-Type": "application/json"},
    )

    assert response.status == 401


async def test_bad_signatures_are_logged_once_per_ten_seconds_with_the_delivery_id(
    bot: Bot, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.app.web._REFUSED_LOG", web_module._RateLimitedLog())
    caplog.set_level(logging.WARNING, logger="bot.app.web")
    for index in range(20):
        await _post(
            bot, b"{}", X_GitHub_Delivery=f"delivery-{index}", X_Hub_Signature_256="sha256=00"
        )

    (refused,) = [r for r in caplog.records if "signature" in r.getMessage()]
    assert refused.delivery == "delivery-0"  # type: ignore[attr-defined]


def test_log_lines_are_one_ascii_json_object_whatever_the_payload_says() -> None:
    title = 'evil\n{"level": "error"}\u202e\x1b[31m'
    record = logging.makeLogRecord({"msg": "title %s", "args": (title,)})

    with log_context(repo="acme/\u2028widgets"):
        line = JsonFormatter().format(record)

    assert "\n" not in line
    assert line.isascii()
    assert json.loads(line)["message"] == f"title {title}"
