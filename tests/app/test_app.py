"""The GitHub App end to end: signed webhooks into the real aiohttp app, a fake GitHub behind it.

Every test drives the App through HTTP as GitHub would and asserts what a user would see on
the pull request: the `ai-review` check run and the bot's one comment.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from pytest_aiohttp import AiohttpClient

from bot.app.web import create_app
from tests.appkit import (  # noqa: F401  (bot_fixture registers the fixture)
    LOGIN_WITH_SQL,
    REPO,
    SECRET,
    SENIORS,
    Bot,
    app_settings,
    bot_fixture,
    configure,
    open_pull,
    plain,
)
from tests.conftest import CLAUDE, Repo
from tests.fakegithub import webhooks
from tests.fakegithub.fixtures import (  # noqa: F401  (registers the fixtures)
    fake_github_fixture,
    github_repo_fixture,
)
from tests.fakegithub.models import RepoState
from tests.fakegithub.state import FakeGitHub


async def test_ai_pull_request_gets_a_blocking_check_and_one_comment(bot: Bot, repo: Repo) -> None:
    configure(repo, SENIORS)
    number, head = open_pull(
        bot.github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,)
    )

    assert await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened")) == 202
    await bot.settle()

    run = bot.check(head)
    assert (run.status, run.conclusion) == ("completed", "action_required")
    assert (run.title or "").startswith("Needs 1 more approval from @acme/architects (risk ")
    assert any(a.path == "auth/login.py" for a in run.annotations)
    (comment,) = bot.bot_comments(number)
    assert comment.startswith("<!-- ai-review -->")
    assert "sql-params" in comment


async def test_non_ai_pull_request_passes_without_a_comment(bot: Bot, repo: Repo) -> None:
    number, head = open_pull(bot.github, repo, {"docs/usage.md": "Run it.\n"})

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    run = bot.check(head)
    assert (run.conclusion, run.title) == ("success", "Not AI-assisted: no senior review required")
    assert bot.bot_comments(number) == []


async def test_label_marks_a_pull_request_ai_assisted(bot: Bot, repo: Repo) -> None:
    number, _ = open_pull(bot.github, repo, {"app/util.py": "X = 1\n"}, labels=("ai-assisted",))

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "labeled", label="ai-assisted"))
    await bot.settle()

    assert len(bot.bot_comments(number)) == 1
    assert "label ai-assisted" in bot.bot_comments(number)[0]


async def test_senior_approval_passes_and_non_senior_does_not(bot: Bot, repo: Repo) -> None:
    configure(repo, SENIORS)
    bot.github.add_team_member("@acme/architects", "alice")
    number, head = open_pull(
        bot.github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,)
    )
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    outsider = bot.github.add_review(REPO, number, "bob")
    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, outsider.id))
    await bot.settle()
    assert bot.check(head).conclusion == "action_required"

    senior = bot.github.add_review(REPO, number, "alice")
    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, senior.id))
    await bot.settle()

    run = bot.check(head)
    assert run.conclusion == "success"
    assert (run.title or "").startswith("Approved by @alice (risk ")
    assert "@bob's approval does not count: not in @acme/architects" in plain(run.summary)


async def test_review_event_reuses_the_analysis_of_the_head(bot: Bot, repo: Repo) -> None:
    configure(repo, SENIORS)
    number, _ = open_pull(bot.github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,))
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()
    bot.github.clear_log()

    review = bot.github.add_review(REPO, number, "bob")
    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, review.id))
    await bot.settle()

    assert bot.github.count(path=f"/repos/{REPO}/pulls/{number}") == 0
    assert bot.github.count("POST", "/graphql") == 1


async def test_push_dismisses_an_earlier_approval_and_says_why(bot: Bot, repo: Repo) -> None:
    configure(repo, SENIORS)
    bot.github.add_team_member("@acme/architects", "alice")
    number, first = open_pull(
        bot.github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,)
    )
    bot.github.add_review(REPO, number, "alice")
    repo.checkout("feature/change")
    second = repo.commit("More", {"auth/more.py": "Y = 2\n"}, trailers=(CLAUDE,))
    repo.checkout("main")

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "synchronize", before=first))
    await bot.settle()

    run = bot.check(second)
    assert run.conclusion == "action_required"
    assert "@alice's approval no longer counts: 1 new commit(s) pushed since" in plain(run.summary)


async def test_config_edited_inside_the_pull_request_does_not_change_its_gate(
    bot: Bot, repo: Repo
) -> None:
    configure(repo, SENIORS)
    number, head = open_pull(
        bot.github,
        repo,
        {
            "auth/login.py": LOGIN_WITH_SQL,
            ".github/ai-review.yml": "approvals:\n  required: {high: 0, critical: 0}\n",
        },
        trailers=(CLAUDE,),
    )

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    assert bot.check(head).conclusion == "action_required"


async def test_invalid_base_config_fails_the_check_with_every_error(bot: Bot, repo: Repo) -> None:
    configure(repo, "risk:\n  weights: {sizee: 3}\napprovals:\n  seniors: ['not valid!']\n")
    number, head = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    run = bot.check(head)
    assert (run.conclusion, run.title) == ("failure", "Invalid .github/ai-review.yml: 2 error(s)")
    assert (
        ".github/ai-review.yml:2:13: risk.weights.sizee: unknown key 'sizee'; did you mean 'size'?"
        in (run.summary or "")
    )


async def test_redelivered_event_has_no_second_effect(bot: Bot, repo: Repo) -> None:
    number, head = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    hook = webhooks.pull_request(bot.github, REPO, number, "opened")

    assert await bot.send(hook, delivery_id="delivery-1") == 202
    await bot.settle()
    assert await bot.send(hook, delivery_id="delivery-1") == 200
    await bot.settle()

    assert len(bot.bot_comments(number)) == 1
    assert len(bot.github.check_runs(REPO, head_sha=head)) == 1
    assert bot.github.count("POST", f"/repos/{REPO}/check-runs") == 1


async def test_reopen_updates_the_same_comment_and_check_run(bot: Bot, repo: Repo) -> None:
    number, head = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "reopened"))
    await bot.settle()

    assert len(bot.bot_comments(number)) == 1
    assert len(bot.github.check_runs(REPO, head_sha=head)) == 1


async def test_check_run_rerequest_analyzes_again(bot: Bot, repo: Repo) -> None:
    number, head = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()
    run = bot.check(head)
    bot.github.clear_log()

    assert await bot.send(webhooks.check_run(bot.github, REPO, run.id, "rerequested")) == 202
    await bot.settle()

    assert bot.github.count("GET", f"/repos/{REPO}/pulls/{number}") == 1
    assert bot.check(head).status == "completed"


async def test_bad_signature_is_401_and_queues_nothing(bot: Bot, repo: Repo) -> None:
    number, _ = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"})
    hook = webhooks.pull_request(bot.github, REPO, number, "opened")
    body, headers = hook.signed("wrong-secret")

    response = await bot.client.post("/webhook", data=body, headers=headers)
    unsigned = await webhooks.deliver(bot.client, hook, None)

    assert (response.status, unsigned.status) == (401, 401)
    assert bot.github.count() == 0


async def test_malformed_body_is_400(bot: Bot) -> None:
    body = b"{not json"
    headers = webhooks.Webhook("pull_request", {}, 1).headers(body, SECRET)

    response = await bot.client.post("/webhook", data=body, headers=headers)

    assert response.status == 400


async def test_ping_and_unhandled_events_answer_200(bot: Bot, repo: Repo) -> None:
    assert await bot.send(webhooks.ping(bot.github)) == 200
    number, _ = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"})
    assert await bot.send(webhooks.pull_request(bot.github, REPO, number, "assigned")) == 200


async def test_oversized_body_is_413(bot: Bot) -> None:
    body = b" " * (25 * 1024 * 1024 + 1)
    headers = webhooks.Webhook("pull_request", {}, 1).headers(body, SECRET)

    response = await bot.client.post("/webhook", data=body, headers=headers)

    assert response.status == 413


async def test_health_readiness_and_metrics(bot: Bot, repo: Repo) -> None:
    number, _ = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"})
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    assert (await bot.client.get("/healthz")).status == 200
    assert (await bot.client.get("/readyz")).status == 200
    metrics = await (await bot.client.get("/metrics")).text()
    assert 'ai_review_webhooks_total{event="pull_request",outcome="queued"} 1.0' in metrics
    assert 'ai_review_github_requests_total{status="200"}' in metrics
    assert 'ai_review_job_seconds_count{kind="analyze"} 1.0' in metrics
    assert 'ai_review_github_rate_limit_remaining{resource="core"}' in metrics
    assert "ai_review_queue_oldest_job_seconds 0.0" in metrics
    assert "ai_review_queue_depth 0.0" in metrics


async def test_files_an_analysis_could_not_measure_are_counted(bot: Bot, repo: Repo) -> None:
    files = {"app/ok.py": "X = 1\n", "app/broken.py": "def f(:\n    pass\n"}
    number, _ = open_pull(bot.github, repo, files, trailers=(CLAUDE,))

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    metrics = await (await bot.client.get("/metrics")).text()
    assert 'ai_review_analysis_skipped_files_total{signal="complexity"} 1.0' in metrics


async def test_github_5xx_is_retried(bot: Bot, repo: Repo) -> None:
    number, head = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    bot.github.fail("POST", "/graphql", 502, times=2)

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    assert bot.check(head).status == "completed"
    assert len(bot.bot_comments(number)) == 1
    assert bot.github.count("POST", "/graphql") >= 4


async def test_request_budget_for_one_file(bot: Bot, repo: Repo) -> None:
    number, head = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))

    started = time.monotonic()
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()
    elapsed = time.monotonic() - started

    print(f"1-file PR: {bot.github.count()} requests, {elapsed:.2f} s")
    follow_ups = bot.github.count(path=re.compile(r"/labels|/branches/|/rules/"))
    # token + App identity once, then at most 7; and one asking whether the push changed the
    # review config (bot/app/config_change.py)
    assert bot.github.count() - follow_ups <= 10
    # The base branch's required checks (then cached), each of the 4 labels made once per
    # process, and one request putting them on.
    assert follow_ups <= 2 + 4 + 1
    assert bot.check(head).status == "completed"


def many_files(count: int) -> dict[str, str]:
    return {f"pkg/mod_{i:04d}.py": f"VALUE_{i} = {i}\n" for i in range(count)}


async def test_request_budget_for_300_files(bot: Bot, repo: Repo) -> None:
    number, head = open_pull(bot.github, repo, many_files(300), trailers=(CLAUDE,))
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()
    first = bot.github.count()
    bot.github.clear_log()

    repo.checkout("feature/change")
    second = repo.commit("One more", {"pkg/mod_0000.py": "VALUE_0 = -1\n"}, trailers=(CLAUDE,))
    repo.checkout("main")
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "synchronize", before=head))
    await bot.settle()

    print(f"300-file PR: {first} requests on the first event, {bot.github.count()} after")
    assert bot.check(second).status == "completed"
    assert bot.github.count() <= 8
    assert bot.github.count(path=re.compile(r"/pulls/\d+/files")) == 0


async def test_3000_file_cap_is_handled_and_reported(bot: Bot, repo: Repo) -> None:
    number, head = open_pull(bot.github, repo, many_files(3005), trailers=(CLAUDE,))

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    run = bot.check(head)
    assert run.status == "completed"
    assert "only 3000 of 3005 changed files could be read" in plain(run.summary)
    assert bot.github.count("GET", re.compile(r"/pulls/\d+/files")) == 30


async def test_exhausted_graphql_budget_fails_closed_with_an_error_id(
    bot: Bot, repo: Repo, caplog: pytest.LogCaptureFixture
) -> None:
    number, head = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    installation = bot.github.installation_for("acme")
    assert installation is not None
    bot.github.set_rate_limit_remaining(0, installation_id=installation.id, resource="graphql")

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    run = bot.check(head)
    match = re.fullmatch(r"ai-review could not finish \(error ([0-9a-f]{12})\)", run.title or "")
    assert run.conclusion == "failure"
    assert match is not None
    logged = [r for r in caplog.records if getattr(r, "error_id", None) == match.group(1)]
    assert [r.getMessage() for r in logged] == ["review failed"]


async def test_fail_open_config_turns_an_internal_error_neutral(bot: Bot, repo: Repo) -> None:
    configure(repo, "check:\n  on_error: open\n")
    number, head = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    bot.github.fail("GET", rf"/repos/{REPO}/pulls/\d+$", 500, times=None)

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    assert bot.check(head).conclusion == "neutral"


async def test_enterprise_server_urls_and_a_real_analysis_process(
    fake_github: FakeGitHub,
    github_repo: RepoState,
    aiohttp_client: AiohttpClient,
    repo: Repo,
    tmp_path: Path,
) -> None:
    settings = app_settings(fake_github, tmp_path / "bot.sqlite3", enterprise=True)
    bot = Bot(await aiohttp_client(create_app(settings, analysis_workers=1)), fake_github)
    number, head = open_pull(
        fake_github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,)
    )

    await bot.send(webhooks.pull_request(fake_github, REPO, number, "opened"))
    await bot.settle()

    assert settings.graphql_url == f"{fake_github.url}/api/graphql"
    assert bot.check(head).status == "completed"
    assert len(bot.bot_comments(number)) == 1
    assert {r.raw_path.split("/")[1] for r in fake_github.requests()} == {"api"}


@pytest.mark.parametrize(
    "action", ["synchronize", "reopened", "ready_for_review", "edited", "labeled", "unlabeled"]
)
async def test_each_pull_request_action_reviews_the_head(bot: Bot, repo: Repo, action: str) -> None:
    number, head = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    extra = {"label": "bug"} if action in ("labeled", "unlabeled") else {}

    status = await bot.send(webhooks.pull_request(bot.github, REPO, number, action, **extra))
    await bot.settle()

    assert status == 202
    assert bot.check(head).status == "completed"


@pytest.mark.parametrize("action", ["edited", "dismissed"])
async def test_review_edits_and_dismissals_move_the_gate(bot: Bot, repo: Repo, action: str) -> None:
    configure(repo, SENIORS)
    bot.github.add_team_member("@acme/architects", "alice")
    number, head = open_pull(
        bot.github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,)
    )
    review = bot.github.add_review(REPO, number, "alice")
    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, review.id))
    await bot.settle()
    assert bot.check(head).conclusion == "success"
    if action == "dismissed":
        bot.github.dismiss_review(REPO, number, review.id)

    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, review.id, action))
    await bot.settle()

    expected = "action_required" if action == "dismissed" else "success"
    assert bot.check(head).conclusion == expected


async def test_check_suite_rerequest_analyzes_again(bot: Bot, repo: Repo) -> None:
    number, head = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()
    bot.github.clear_log()

    assert await bot.send(webhooks.check_suite(bot.github, REPO, head)) == 202
    await bot.settle()

    assert bot.github.count("GET", f"/repos/{REPO}/pulls/{number}") == 1


async def test_installation_event_is_acknowledged_without_calling_github(bot: Bot) -> None:
    installation = bot.github.installation_for("acme")
    assert installation is not None

    status = await bot.send(webhooks.installation(bot.github, installation.id))

    assert status == 200
    assert bot.github.count() == 0


async def test_org_defaults_apply_under_the_repo_config(
    bot: Bot, repo: Repo, tmp_path: Path
) -> None:
    org_path = tmp_path / "org-dot-github"
    org_path.mkdir()
    org_repo = Repo(org_path)
    org_repo.git("init", "-q", "-b", "main")
    org_repo.commit(
        "Org defaults",
        {
            ".github/ai-review.yml": "approvals:\n  seniors: ['@acme/architects']\n"
            "  required: {low: 2, medium: 2, high: 2, critical: 2}\n"
        },
    )
    bot.github.add_repo("acme/.github", org_repo)
    configure(repo, "approvals:\n  required: {low: 1}\n")
    number, head = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"}, trailers=(CLAUDE,))

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    # The repo lowers only `low`; the org's seniors and its other counts still apply.
    assert (bot.check(head).title or "").startswith(
        "Needs 1 more approval from @acme/architects (risk low, "
    )


async def test_annotations_beyond_50_go_in_further_updates(bot: Bot, repo: Repo) -> None:
    many_evals = "".join(f"value_{i} = eval(text_{i})\n" for i in range(60))
    number, head = open_pull(bot.github, repo, {"app/evals.py": many_evals}, trailers=(CLAUDE,))

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    run = bot.check(head)
    patches = bot.github.requests("PATCH", f"/repos/{REPO}/check-runs/{run.id}")
    assert len(run.annotations) == 60
    assert [len(p.json["output"]["annotations"]) for p in patches] == [10, 50]
