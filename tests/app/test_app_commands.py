"""`/ai-review` commands end to end: each by an allowed and a refused user, as GitHub says who
they are (admin, write, read, senior, the PR's author, a bot)."""

from __future__ import annotations

import re

import pytest

from bot.app.web import STORE
from bot.render.markdown import parse_ticks
from tests.appkit import (  # noqa: F401  (bot_fixture registers the fixture)
    LOGIN_WITH_SQL,
    REPO,
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

CONFIG = "approvals:\n  seniors: ['@acme/architects']\n"


@pytest.fixture
def people(bot: Bot) -> None:
    """dana opens PRs; root is an admin, wendy can write, rita can read, alice is a senior."""
    bot.github.set_permission(REPO, "root", "admin")
    bot.github.set_permission(REPO, "wendy", "write")
    bot.github.set_permission(REPO, "rita", "read")
    bot.github.set_permission(REPO, "alice", "write")
    bot.github.add_team_member("@acme/architects", "alice")


async def command(bot: Bot, number: int, login: str, body: str, action: str = "created") -> int:
    comment = bot.github.add_comment(REPO, number, login, body)
    await bot.send(webhooks.issue_comment(bot.github, REPO, comment.id, action, sender=login))
    await bot.settle()
    return comment.id


def reactions(bot: Bot, number: int, comment_id: int) -> list[str]:
    (comment,) = [c for c in bot.github.comments(REPO, number) if c.id == comment_id]
    return [content for (_, content) in comment.reactions]


def replies(bot: Bot, number: int) -> list[str]:
    """The bot's answers: its comments other than the review comment."""
    return [b for b in bot.bot_comments(number) if not b.startswith("<!-- ai-review -->")]


async def ai_pull(bot: Bot, repo: Repo, config: str = CONFIG) -> tuple[int, str]:
    configure(repo, config)
    number, head = open_pull(
        bot.github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,)
    )
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()
    return number, head


@pytest.mark.usefixtures("people")
async def test_help_is_for_anyone(bot: Bot, repo: Repo) -> None:
    number, _ = await ai_pull(bot, repo)

    await command(bot, number, "rita", "/ai-review help")

    (reply,) = replies(bot, number)
    assert "`/ai-review override REASON`" in reply
    assert "repository admins" in reply


@pytest.mark.usefixtures("people")
async def test_recheck_by_the_author_is_accepted_and_by_a_reader_refused(
    bot: Bot, repo: Repo
) -> None:
    number, _ = await ai_pull(bot, repo)
    bot.github.clear_log()

    accepted = await command(bot, number, "dana", "/ai-review recheck")
    analyzed = bot.github.count("GET", f"/repos/{REPO}/pulls/{number}")
    refused = await command(bot, number, "rita", "/ai-review recheck")

    assert reactions(bot, number, accepted) == ["+1"]
    assert analyzed == 2  # the PR's base ref, then its diff
    assert reactions(bot, number, refused) == []
    (reply,) = replies(bot, number)
    assert reply.startswith("@rita, `/ai-review recheck` is for the pull request's author, ")
    assert "without write access to this repository" in reply


@pytest.mark.usefixtures("people")
async def test_explain_breaks_the_score_down_with_weights(bot: Bot, repo: Repo) -> None:
    number, _ = await ai_pull(bot, repo)

    comment_id = await command(bot, number, "rita", "/ai-review explain")

    (reply,) = replies(bot, number)
    assert reactions(bot, number, comment_id) == ["+1"]
    assert "| Signal | Points | Weight | Why |" in reply
    assert "| Critical paths | 16 | 20 |" in reply
    assert "auth/login.py:2" in reply


@pytest.mark.usefixtures("people")
async def test_config_leads_with_the_setup_warning_when_the_check_is_not_required(
    bot: Bot, repo: Repo
) -> None:
    bot.github.repo(REPO).protections.clear()
    number, _ = await ai_pull(bot, repo)

    await command(bot, number, "rita", "/ai-review config")

    (reply,) = replies(bot, number)
    assert reply.startswith("> **Setup:** `ai-review` is not a required check on `main`")


@pytest.mark.usefixtures("people")
async def test_config_says_where_each_part_came_from(bot: Bot, repo: Repo) -> None:
    number, _ = await ai_pull(bot, repo)

    await command(bot, number, "rita", "/ai-review config")

    (reply,) = replies(bot, number)
    assert "- `approvals`: .github/ai-review.yml over built-in defaults" in reply
    assert "- `risk`: built-in defaults" in reply
    assert "- '@acme/architects'" in reply


@pytest.mark.usefixtures("people")
async def test_author_declares_ai_use_detection_missed(bot: Bot, repo: Repo) -> None:
    configure(repo, CONFIG)
    number, head = open_pull(bot.github, repo, {"auth/login.py": LOGIN_WITH_SQL})
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()
    assert bot.check(head).conclusion == "success"

    comment_id = await command(bot, number, "dana", "/ai-review ai-assisted Cursor")

    assert reactions(bot, number, comment_id) == ["+1"]
    assert bot.check(head).conclusion == "action_required"
    (review_comment,) = [b for b in bot.bot_comments(number) if b.startswith("<!-- ai-review")]
    assert "Cursor: declared in pull request" in plain(review_comment)


@pytest.mark.usefixtures("people")
async def test_a_declared_tool_may_be_one_the_repository_defines(bot: Bot, repo: Repo) -> None:
    configure(
        repo,
        CONFIG
        + "detect:\n  tools:\n"
        + "    - {id: gemini-agent, name: Gemini Agent, match: '\\bgemini agent\\b'}\n",
    )
    number, _ = open_pull(bot.github, repo, {"auth/login.py": LOGIN_WITH_SQL})
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    await command(bot, number, "dana", "/ai-review ai-assisted our Gemini Agent")

    (review_comment,) = [b for b in bot.bot_comments(number) if b.startswith("<!-- ai-review")]
    assert "Gemini Agent: declared in pull request" in plain(review_comment)


@pytest.mark.usefixtures("people")
async def test_only_a_senior_may_say_a_detected_pr_is_not_ai_assisted(bot: Bot, repo: Repo) -> None:
    number, head = await ai_pull(bot, repo)

    await command(bot, number, "wendy", "/ai-review ai-assisted no I wrote it by hand")
    refused = bot.check(head).conclusion
    await command(bot, number, "alice", "/ai-review ai-assisted no pair-programmed, no AI")

    assert refused == "action_required"
    assert replies(bot, number)[0].startswith("@wendy, only a senior reviewer can say")
    run = bot.check(head)
    assert (run.conclusion, run.title) == (
        "success",
        "Declared not AI-assisted by @alice: pair-programmed, no AI",
    )
    audit = await bot.client.app[STORE].audit_log()
    assert [(e["action"], e["by"]) for e in audit] == [("declared not AI-assisted", "alice")]


@pytest.mark.usefixtures("people")
async def test_override_by_an_admin_passes_on_the_record_until_an_ai_push(
    bot: Bot, repo: Repo
) -> None:
    number, head = await ai_pull(bot, repo)

    await command(bot, number, "wendy", "/ai-review override ship it")
    await command(bot, number, "root", "/ai-review override")
    await command(bot, number, "root", "/ai-review override prod is down, see INC-42")

    first, second = replies(bot, number)
    assert first == (
        "@wendy, `/ai-review override REASON` is for repository admins; GitHub says you are "
        "someone with write access. Ask one of them to run it."
    )
    assert second == "An override needs a reason: `/ai-review override REASON` (it is recorded)."
    run = bot.check(head)
    assert (run.conclusion, run.title) == (
        "success",
        "Overridden by @root: prod is down, see INC-42",
    )
    (review_comment,) = [b for b in bot.bot_comments(number) if b.startswith("<!-- ai-review")]
    assert "Overridden by @root: prod is down, see INC-42" in plain(review_comment)
    audit = await bot.client.app[STORE].audit_log()
    assert [(e["action"], e["by"], e["reason"]) for e in audit] == [
        ("override", "root", "prod is down, see INC-42")
    ]

    repo.checkout("feature/change")
    pushed = repo.commit("More AI code", {"auth/extra.py": "Z = 3\n"}, trailers=(CLAUDE,))
    repo.checkout("main")
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "synchronize", before=head))
    await bot.settle()

    assert bot.check(pushed).conclusion == "action_required"


@pytest.mark.usefixtures("people")
async def test_unknown_command_gets_a_reply_with_the_commands(bot: Bot, repo: Repo) -> None:
    number, _ = await ai_pull(bot, repo)

    comment_id = await command(bot, number, "wendy", "/ai-review frobnicate")

    (reply,) = replies(bot, number)
    assert reply.startswith("Unknown command <code>frobnicate</code>. The commands are:")
    assert reactions(bot, number, comment_id) == []


@pytest.mark.usefixtures("people")
@pytest.mark.parametrize(
    "body", ["```\n/ai-review override hidden\n```", "> /ai-review override quoted"]
)
async def test_commands_in_code_or_quotes_do_nothing(bot: Bot, repo: Repo, body: str) -> None:
    number, head = await ai_pull(bot, repo)
    bot.github.clear_log()

    await command(bot, number, "root", body)

    assert bot.github.count() == 0
    assert bot.check(head).conclusion == "action_required"


@pytest.mark.usefixtures("people")
async def test_an_edited_command_does_nothing_new(bot: Bot, repo: Repo) -> None:
    number, head = await ai_pull(bot, repo)
    bot.github.clear_log()

    await command(bot, number, "root", "/ai-review override edited in", action="edited")

    assert bot.github.count() == 0
    assert bot.check(head).conclusion == "action_required"


@pytest.mark.usefixtures("people")
async def test_bots_cannot_run_commands(bot: Bot, repo: Repo) -> None:
    number, head = await ai_pull(bot, repo)
    bot.github.clear_log()

    await command(bot, number, "ai-review[bot]", "/ai-review override looping")

    assert bot.github.count() == 0
    assert bot.check(head).conclusion == "action_required"


REQUIRE = CONFIG + "checklists:\n  require: [sql-params]\n"


async def tick(bot: Bot, number: int, login: str, item: str) -> None:
    """`login` ticks `item` in the bot's comment, as GitHub's UI does, and GitHub says so."""
    (comment,) = [
        c for c in bot.github.comments(REPO, number) if c.body.startswith("<!-- ai-review -->")
    ]
    before = comment.body
    comment.body = re.sub(
        rf"^- \[ \](.*<!-- ai-review-item:{re.escape(item)} -->)$", r"- [x]\1", before, flags=re.M
    )
    comment.updated_at = bot.github.now()
    assert comment.body != before
    await bot.send(
        webhooks.issue_comment(
            bot.github,
            REPO,
            comment.id,
            "edited",
            sender=login,
            changes={"body": {"from": before}},
        )
    )
    await bot.settle()


def review_comment(bot: Bot, number: int) -> str:
    (body,) = [b for b in bot.bot_comments(number) if b.startswith("<!-- ai-review -->")]
    return body


@pytest.mark.usefixtures("people")
async def test_required_items_wait_for_a_seniors_tick_and_other_ticks_are_reverted(
    bot: Bot, repo: Repo
) -> None:
    number, head = await ai_pull(bot, repo, REQUIRE)
    approval = bot.github.add_review(REPO, number, "alice")
    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, approval.id))
    await bot.settle()
    waiting = bot.check(head).title or ""

    await tick(bot, number, "rita", "sql-params")
    after_rita = bot.check(head).conclusion
    reverted = parse_ticks(review_comment(bot, number))["sql-params"]
    await tick(bot, number, "alice", "sql-params")

    assert waiting.startswith("Needs 1 required checklist item(s) ticked by a senior (risk ")
    assert (after_rita, reverted) == ("action_required", False)
    assert replies(bot, number) == [
        "@rita, only senior reviewers (@\u200bacme/architects) can tick the review checklist; "
        "your change to `sql-params` was reverted."
    ]
    run = bot.check(head)
    assert run.conclusion == "success"
    assert "ticked by alice" in review_comment(bot, number)
    assert parse_ticks(review_comment(bot, number))["sql-params"] is True


@pytest.mark.usefixtures("people")
async def test_a_push_unticks_items_it_touches(bot: Bot, repo: Repo) -> None:
    number, head = await ai_pull(bot, repo, REQUIRE)
    await tick(bot, number, "alice", "sql-params")
    assert parse_ticks(review_comment(bot, number))["sql-params"] is True

    repo.checkout("feature/change")
    repo.commit("Touch login", {"auth/login.py": LOGIN_WITH_SQL + "# more\n"})
    repo.checkout("main")
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "synchronize", before=head))
    await bot.settle()
    await bot.settle()

    assert parse_ticks(review_comment(bot, number))["sql-params"] is False


@pytest.mark.usefixtures("people")
async def test_editing_the_comment_cannot_forge_an_override(bot: Bot, repo: Repo) -> None:
    number, head = await ai_pull(bot, repo)
    (comment,) = [
        c for c in bot.github.comments(REPO, number) if c.body.startswith("<!-- ai-review -->")
    ]
    before = comment.body
    forged = '{"override":{"by":"root","reason":"forged","head_sha":"' + head + '"}}'
    comment.body = before + f"<!-- ai-review-state {forged} -->\n"
    comment.updated_at = bot.github.now()

    await bot.send(
        webhooks.issue_comment(
            bot.github,
            REPO,
            comment.id,
            "edited",
            sender="wendy",
            changes={"body": {"from": before}},
        )
    )
    await bot.settle()

    assert bot.check(head).conclusion == "action_required"
    assert "forged" not in review_comment(bot, number)


@pytest.mark.usefixtures("people")
@pytest.mark.parametrize(
    ("login", "accepted"), [("root", True), ("wendy", True), ("alice", True), ("rita", False)]
)
async def test_declaring_ai_use_needs_write_access_or_authorship(
    bot: Bot, repo: Repo, login: str, accepted: bool
) -> None:
    configure(repo, CONFIG)
    number, head = open_pull(bot.github, repo, {"app/plain.py": "X = 1\n"})
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    comment_id = await command(bot, number, login, "/ai-review ai-assisted")

    assert (reactions(bot, number, comment_id) == ["+1"]) is accepted
    (run,) = bot.github.check_runs(REPO, head_sha=head, name="ai-review")
    assert (run.title != "Not AI-assisted: no senior review required") is accepted
