"""A pull request that changes the review config gets a second check run, `ai-review/config`:
the config its head proposes, validated, and what it would change on the most recently updated
open pull requests into the same branch, each reviewed for real (its diff, its reviews, the
App's records) under both configs and written nothing on. Its own gate keeps the base's config."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.appkit import (  # noqa: F401  (bot_fixture registers the fixture)
    LOGIN_WITH_SQL,
    REPO,
    SENIORS,
    Bot,
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
from tests.fakegithub.models import CheckRun

CONFIG = ".github/ai-review.yml"
CONFIG_CHECK = "ai-review/config"
# The proposal: no approvals needed at any level, and a question for changes to auth/.
LENIENT = (
    SENIORS
    + "  required: {low: 0, medium: 0, high: 0, critical: 0}\n"
    + "checklists:\n"
    + "  items:\n"
    + "    - checklist: security\n"
    + "      id: login-rate-limit\n"
    + "      text: Are failed logins rate limited per account and per address?\n"
    + "      when: {paths: ['auth/**']}\n"
)


def config_check(bot: Bot, head_sha: str) -> CheckRun:
    (run,) = bot.github.check_runs(REPO, head_sha=head_sha, name=CONFIG_CHECK)
    return run


async def opened(bot: Bot, number: int) -> None:
    assert await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened")) == 202
    await bot.settle()


async def two_open_pulls(bot: Bot, repo: Repo) -> tuple[int, int]:
    """An AI-assisted login change the gate holds for a senior, and a human's docs change."""
    configure(repo, SENIORS)
    held, _ = open_pull(
        bot.github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,), branch="login"
    )
    docs, _ = open_pull(bot.github, repo, {"docs/intro.md": "# Intro\n"}, branch="docs")
    for number in (held, docs):
        await opened(bot, number)
    return held, docs


async def test_a_config_change_is_shown_its_effect_on_the_open_pull_requests(
    bot: Bot, repo: Repo
) -> None:
    held, docs = await two_open_pulls(bot, repo)
    number, head = open_pull(
        bot.github, repo, {CONFIG: LENIENT}, trailers=(CLAUDE,), branch="lenient"
    )

    await opened(bot, number)

    run = config_check(bot, head)
    assert (run.status, run.conclusion) == ("completed", "success")
    assert run.title == "Valid config: it changes 1 of the 2 open pull requests tried"
    summary = plain(run.summary)
    assert "Tried on the 2 most recently updated of the 2 other open pull requests" in summary
    assert f"| #{held} Change things | action_required → **success** | high |" in summary
    assert "| 1 from @acme/architects → **0 from @acme/architects** | +1 -0 |" in summary
    assert f"| #{docs} Change things | success | low | 0 from @acme/architects | no change |" in (
        summary
    )
    assert f"#{held}: checklist 1 item added, 0 removed" in summary
    assert (
        "added <code>security/login-rate-limit</code>: Are failed logins rate limited per "
        "account and per address?" in summary
    )


async def test_the_config_pull_request_itself_is_still_gated_by_the_base_config(
    bot: Bot, repo: Repo
) -> None:
    configure(repo, SENIORS)
    number, head = open_pull(
        bot.github,
        repo,
        {CONFIG: LENIENT, "auth/login.py": LOGIN_WITH_SQL},
        trailers=(CLAUDE,),
        branch="lenient",
    )

    await opened(bot, number)

    gate = bot.check(head)
    assert gate.conclusion == "action_required"
    assert (gate.title or "").startswith("Needs 1 more approval from @acme/architects")
    check = config_check(bot, head)
    assert check.conclusion == "success"
    assert "its own <code>ai-review</code> check follows the config of <code>main</code>" in (
        check.summary or ""
    )


async def test_an_invalid_config_fails_the_config_check_with_each_issue_in_place(
    bot: Bot, repo: Repo
) -> None:
    configure(repo, SENIORS)
    broken = "approvals:\n  required: {low: none}\nrisk:\n  wieghts: {}\n"
    checklist = "id: ours\ntitle: Ours\nitems:\n  - id: one\n"
    number, head = open_pull(
        bot.github,
        repo,
        {CONFIG: broken, ".github/ai-review/checklists/ours.yml": checklist},
        branch="broken",
    )
    bot.github.clear_log()

    await opened(bot, number)

    run = config_check(bot, head)
    assert run.conclusion == "failure"
    assert run.title == (
        "Invalid review config: 3 errors in .github/ai-review.yml, "
        ".github/ai-review/checklists/ours.yml"
    )
    placed = sorted((a.path, a.start_line) for a in run.annotations)
    assert placed == [(CONFIG, 2), (CONFIG, 4), (".github/ai-review/checklists/ours.yml", 4)]
    summary = plain(run.summary)
    assert "<code>.github/ai-review.yml:4:3</code> risk.wieghts:" in summary
    # nothing is tried on other pull requests with a config that cannot be read
    assert bot.github.count("GET", re.compile(rf"/repos/{REPO}/pulls$")) == 0
    # and the gate still reviews with the base's config
    assert bot.check(head).conclusion == "success"


async def test_a_pull_request_that_leaves_the_config_alone_gets_no_config_check(
    bot: Bot, repo: Repo
) -> None:
    await two_open_pulls(bot, repo)
    number, head = open_pull(bot.github, repo, {"app/x.py": "X = 1\n"}, branch="other")

    await opened(bot, number)

    assert bot.github.check_runs(REPO, head_sha=head, name=CONFIG_CHECK) == []
    assert bot.check(head).conclusion == "success"
    assert bot.github.count("GET", re.compile(rf"/repos/{REPO}/pulls$")) == 0


async def test_a_redelivery_or_a_second_event_for_the_same_head_posts_nothing_again(
    bot: Bot, repo: Repo
) -> None:
    await two_open_pulls(bot, repo)
    number, head = open_pull(bot.github, repo, {CONFIG: LENIENT}, branch="lenient")
    hook = webhooks.pull_request(bot.github, REPO, number, "opened")
    await bot.send(hook, delivery_id="first")
    await bot.settle()
    bot.github.clear_log()

    await bot.send(hook, delivery_id="first")  # redelivered
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "reopened"))
    await bot.settle()

    assert len(bot.github.check_runs(REPO, head_sha=head, name=CONFIG_CHECK)) == 1
    assert bot.github.count("POST", f"/repos/{REPO}/check-runs") == 0
    assert bot.github.count("GET", re.compile(rf"/repos/{REPO}/pulls$")) == 0


async def test_nothing_is_written_on_the_pull_requests_tried_and_known_analyses_are_reused(
    bot: Bot, repo: Repo
) -> None:
    held, docs = await two_open_pulls(bot, repo)
    number, head = open_pull(bot.github, repo, {CONFIG: LENIENT}, branch="lenient")
    heads = {n: str(bot.github.pull(REPO, n).head_ref) for n in (held, docs)}
    checks = {
        n: bot.github.check_runs(REPO, name="ai-review", head_sha=repo.sha(ref))
        for n, ref in heads.items()
    }
    bot.github.clear_log()

    await opened(bot, number)

    writes = [r for r in bot.github.requests() if r.method in ("POST", "PATCH", "PUT", "DELETE")]
    for request in writes:
        assert not re.search(rf"/(issues|pulls)/({held}|{docs})\b", request.path), request
        if request.path.endswith("/check-runs"):
            assert request.json["head_sha"] == head
    for n, ref in heads.items():
        assert bot.github.check_runs(REPO, name="ai-review", head_sha=repo.sha(ref)) == checks[n]
        assert bot.github.check_runs(REPO, name=CONFIG_CHECK, head_sha=repo.sha(ref)) == []
    # each one's diff is read once: its analysis under the base's config is the store's
    for n in (held, docs):
        assert bot.github.count("GET", f"/repos/{REPO}/pulls/{n}") == 1


async def test_a_pull_request_the_app_never_reviewed_is_read_once_for_both_configs(
    bot: Bot, repo: Repo
) -> None:
    configure(repo, SENIORS)
    unseen, _ = open_pull(
        bot.github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,), branch="login"
    )  # opened before the App was installed: no review, nothing in its store
    number, head = open_pull(bot.github, repo, {CONFIG: LENIENT}, branch="lenient")

    await opened(bot, number)

    assert f"| #{unseen} Change things | action_required → **success** |" in plain(
        config_check(bot, head).summary
    )
    assert bot.github.count("GET", f"/repos/{REPO}/pulls/{unseen}") == 1  # one diff, two configs


async def test_the_most_recently_updated_are_tried_and_the_others_named_across_pages(
    bot: Bot, repo: Repo
) -> None:
    configure(repo, SENIORS + "check:\n  dry_run_pulls: 2\n")
    repo.branch("shared")
    repo.commit("Docs", {"docs/a.md": "# A\n"})
    repo.checkout("main")
    numbers = [bot.github.add_pull(REPO, "shared").number for _ in range(104)]
    start = bot.github.now()
    for offset, n in enumerate(numbers):
        bot.github.pull(REPO, n).updated_at = start + timedelta(seconds=offset)
    # two of the oldest were touched last: they come first
    bot.github.pull(REPO, numbers[3]).updated_at = start + timedelta(hours=2)
    bot.github.pull(REPO, numbers[5]).updated_at = start + timedelta(hours=1)
    number, head = open_pull(bot.github, repo, {CONFIG: LENIENT}, branch="lenient")

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    run = config_check(bot, head)
    summary = plain(run.summary)
    assert "Tried on the 2 most recently updated of the 104 other open pull requests" in summary
    rows = re.findall(r"^\| #(\d+) ", summary, flags=re.M)
    assert rows == [str(numbers[3]), str(numbers[5])]
    left_out = [n for n in reversed(numbers) if n not in (numbers[3], numbers[5])]
    listed = ", ".join(f"#{n}" for n in left_out[:50])
    assert f"Left out, not among the 2 most recently updated: {listed} and 52 more." in summary
    pages = bot.github.requests("GET", re.compile(rf"/repos/{REPO}/pulls$"))
    assert [r.query.get("page", "1") for r in pages] == ["1", "2"]
    assert (pages[0].query["sort"], pages[0].query["direction"]) == ("updated", "desc")


async def test_github_failing_on_one_pull_request_is_reported_in_its_row(
    bot: Bot, repo: Repo
) -> None:
    held, docs = await two_open_pulls(bot, repo)
    number, head = open_pull(bot.github, repo, {CONFIG: LENIENT}, branch="lenient")
    bot.github.fail("GET", rf"/repos/{REPO}/pulls/{docs}$", 502, times=None)

    await opened(bot, number)

    run = config_check(bot, head)
    assert run.conclusion == "success"
    assert run.title == "Valid config: it changes 1 of the 1 open pull request tried (1 not tried)"
    summary = plain(run.summary)
    assert f"| #{docs} Change things | not tried: GitHub answered 502 Bad Gateway |" in summary
    assert f"| #{held} Change things | action_required → **success** |" in summary
