"""GitHub's own example webhook payloads, signed, into the real App backed by the fake GitHub.

Every example of every event and action the bot handles is acted on, or ignored on purpose with
the reason logged at debug level; none logs an error. Examples of events the bot has no handler
for are answered 200 and cost no GitHub request. The fake serves each example's repository,
installation and pull requests under the example's own names and numbers, so the bot really
acts; the checks of every request it sends meanwhile are the fake_github fixture's.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from gidgethub import sansio
from pytest_aiohttp import AiohttpClient

from bot.app.web import create_app
from bot.handlers import router
from bot.handlers.payloads import TOKEN_CHANGING_ACTIONS
from tests.appkit import Bot, app_settings
from tests.conformance import specs
from tests.conformance.webhook_examples import Example, examples
from tests.conftest import CLAUDE, Repo
from tests.fakegithub import webhooks
from tests.fakegithub.fixtures import fake_github_fixture  # noqa: F401  (registers the fixture)
from tests.fakegithub.gitdata import branch_tip
from tests.fakegithub.state import FakeGitHub

AI_CHANGE = {
    "app/login.py": (
        "def login(db, name):\n"
        "    return db.execute(f\"SELECT id FROM users WHERE name = '{name}'\").fetchone()\n"
    )
}


def _routed(example: Example) -> bool:
    event = sansio.Event(example.payload, event=example.event, delivery_id="routing")
    return bool(router.fetch(event))


WEB_EVENTS = ("ping",)
"""Answered by the web layer itself, before any handler."""
_HANDLED = {e.event for e in examples() if _routed(e)}
HANDLED_EVENTS = sorted(_HANDLED) or ["(not installed)"]
UNHANDLED = [e for e in examples() if e.event not in _HANDLED and e.event not in WEB_EVENTS]


def _pulls(example: Example) -> list[dict[str, Any]]:
    """The pull requests an example names: its own, or those of its check run or suite."""
    payload = example.payload
    if isinstance(payload.get("pull_request"), dict):
        return [payload["pull_request"]]
    check = payload.get(example.event)
    if example.event in ("check_run", "check_suite") and isinstance(check, dict):
        return list(check.get("pull_requests") or [])
    return []


def _serve(github: FakeGitHub, example: Example, root: Path) -> None:
    """Serve what `example` names on the fake: its installation, repository and pull requests,
    each under the example's own owner, name, id and number."""
    repository = example.payload.get("repository")
    if not isinstance(repository, dict):
        return
    owner, name = repository["owner"]["login"], repository["name"]
    if example.installation_id not in github.installations:
        github.install(owner, installation_id=example.installation_id)
    full_name = f"{owner}/{name}"
    if github.find_repo(owner, name) is None:
        git = _repository(root / owner / name, repository["default_branch"])
        github.add_repo(full_name, git, default_branch=repository["default_branch"])
    served = github.repo(full_name)
    for pull in _pulls(example):
        number, head, base = int(pull["number"]), pull["head"]["ref"], pull["base"]["ref"]
        if number in served.pulls:
            continue
        git = Repo(served.path)
        for branch in (base, head):
            if git.git("branch", "--list", branch) == "":
                git.git("branch", branch, served.default_branch)
        git.checkout(head)
        git.commit("Parameterize nothing", AI_CHANGE, trailers=(CLAUDE,))
        git.checkout(served.default_branch)
        head_repo = (pull["head"].get("repo") or {}).get("full_name")
        github.add_pull(
            full_name,
            head,
            base,
            number=number,
            title=str(pull.get("title") or "Change"),
            author=str((pull.get("user") or {}).get("login") or "octocat"),
            head_repo=head_repo if head_repo != full_name else None,
        )


def _repository(path: Path, default_branch: str) -> Repo:
    path.mkdir(parents=True)
    git = Repo(path)
    git.git("init", "-q", "-b", default_branch)
    git.commit("Initial commit", {"README.md": "# Example\n"})
    return git


def _app_id(event: str, handled: Iterable[Example]) -> int | None:
    """The App a check run or suite example was delivered to: the one that owns it."""
    for example in handled:
        check = example.payload.get(event)
        if isinstance(check, dict) and isinstance(check.get("app"), dict):
            return int(check["app"]["id"])
    return None


def _records_of(caplog: pytest.LogCaptureFixture, delivery_id: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "delivery", None) == delivery_id]


async def _deliver(bot: Bot, example: Example) -> tuple[str, int]:
    delivery_id = str(uuid.uuid4())
    hook = webhooks.Webhook(example.event, example.for_app(), bot.github.app_id)
    status = await bot.send(hook, delivery_id)
    await bot.settle()
    return delivery_id, status


@pytest.fixture(name="quiet_logs")
def quiet_logs_fixture(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="bot")
    return caplog


@pytest.mark.parametrize("event", HANDLED_EVENTS)
async def test_every_example_of_a_handled_event_is_acted_on_or_ignored_with_a_reason(
    event: str,
    fake_github: FakeGitHub,
    aiohttp_client: AiohttpClient,
    tmp_path: Path,
    quiet_logs: pytest.LogCaptureFixture,
    subtests: pytest.Subtests,
) -> None:
    specs.require()
    of_event = [e for e in examples() if e.event == event]
    handled = [e for e in of_event if _routed(e)]
    fake_github.app_id = _app_id(event, handled) or fake_github.app_id
    for example in handled:
        _serve(fake_github, example, tmp_path / "repos")
    settings = app_settings(fake_github, tmp_path / "bot.sqlite3")
    bot = Bot(await aiohttp_client(create_app(settings, analysis_workers=0)), fake_github)

    for example in of_event:
        with subtests.test(msg=example.id):
            fake_github.clear_log()
            quiet_logs.clear()
            delivery_id, status = await _deliver(bot, example)

            errors = [r.getMessage() for r in quiet_logs.records if r.levelno >= logging.ERROR]
            assert errors == []
            if status == 202 and event == "installation":
                # A changed installation only drops the token the App cached for it.
                assert example.payload["action"] in TOKEN_CHANGING_ACTIONS
                assert fake_github.count() == 0
            elif status == 202:
                assert fake_github.count() > 0
                for pull in _pulls(example):
                    _assert_reviewed(fake_github, example, int(pull["number"]))
            else:
                assert status == 200
                assert fake_github.count() == 0
                said = _records_of(quiet_logs, delivery_id)
                assert said, "ignored without saying why"
                assert all(
                    r.levelno <= logging.INFO and getattr(r, "reason", r.getMessage()) for r in said
                )


def _assert_reviewed(github: FakeGitHub, example: Example, number: int) -> None:
    """The pull request's head now has a completed ai-review check."""
    repository = example.payload["repository"]
    full_name = f"{repository['owner']['login']}/{repository['name']}"
    served = github.repo(full_name)
    head_sha = branch_tip(served.path, served.pulls[number].head_ref)
    [run] = github.check_runs(full_name, head_sha=head_sha, name="ai-review")
    assert (run.status, run.conclusion is not None) == ("completed", True)


async def test_examples_of_events_without_a_handler_are_answered_200_without_a_github_call(
    fake_github: FakeGitHub,
    aiohttp_client: AiohttpClient,
    tmp_path: Path,
    quiet_logs: pytest.LogCaptureFixture,
    subtests: pytest.Subtests,
) -> None:
    specs.require()
    settings = app_settings(fake_github, tmp_path / "bot.sqlite3")
    bot = Bot(await aiohttp_client(create_app(settings, analysis_workers=0)), fake_github)

    for example in UNHANDLED:
        with subtests.test(msg=example.id):
            quiet_logs.clear()
            delivery_id, status = await _deliver(bot, example)

            assert status == 200
            assert fake_github.count() == 0
            [said] = _records_of(quiet_logs, delivery_id)
            assert (said.levelno, said.getMessage()) == (logging.DEBUG, "event ignored")
            assert str(getattr(said, "reason", "")).startswith("no handler for ")


async def test_ping_examples_are_answered_pong_without_a_github_call(
    fake_github: FakeGitHub, aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    specs.require()
    settings = app_settings(fake_github, tmp_path / "bot.sqlite3")
    bot = Bot(await aiohttp_client(create_app(settings, analysis_workers=0)), fake_github)

    answers = [await _deliver(bot, e) for e in examples() if e.event in WEB_EVENTS]

    assert answers
    assert {status for _, status in answers} == {200}
    assert fake_github.count() == 0
