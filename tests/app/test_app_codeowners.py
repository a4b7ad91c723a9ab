"""`owners: codeowners` in the App: the owners come from the base branch's CODEOWNERS (never the
pull request's, which its author writes), are asked for a review and must approve; a file
CODEOWNERS names nobody for holds the gate and the check says why."""

from __future__ import annotations

from tests.appkit import (  # noqa: F401  (bot_fixture registers the fixture)
    LOGIN_WITH_SQL,
    REPO,
    Bot,
    bot_fixture,
    open_pull,
    plain,
)
from tests.conftest import CLAUDE, Repo
from tests.fakegithub import webhooks
from tests.fakegithub.fixtures import (  # noqa: F401  (registers the fixtures)
    fake_github_fixture,
    github_repo_fixture,
)

CONFIG = (
    "approvals:\n"
    "  seniors: ['@acme/architects']\n"
    "risk:\n"
    "  critical_paths:\n"
    "    - name: billing\n"
    "      paths: ['billing/**']\n"
    "      owners: codeowners\n"
)
CODEOWNERS = "*  @acme/everyone\n/billing/  @acme/payments @paula\n/billing/legacy/\n"


def people(bot: Bot) -> None:
    bot.github.add_team_member("@acme/architects", "alice")
    bot.github.add_team_member("@acme/payments", "pat")
    # An owner's approval counts once it counts at all: from a senior.
    bot.github.add_team_member("@acme/architects", "pat")
    for login in ("alice", "pat", "paula", "mallory"):
        bot.github.set_permission(REPO, login, "write")


async def open_gated(bot: Bot, repo: Repo, files: dict[str, str]) -> tuple[int, str]:
    number, head = open_pull(bot.github, repo, files, trailers=(CLAUDE,))
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()
    return number, head


async def review(bot: Bot, number: int, login: str) -> None:
    approval = bot.github.add_review(REPO, number, login)
    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, approval.id))
    await bot.settle()


async def test_the_base_branchs_codeowners_are_asked_not_those_the_author_wrote(
    bot: Bot, repo: Repo
) -> None:
    repo.commit(
        "Review config", {".github/ai-review.yml": CONFIG, ".github/CODEOWNERS": CODEOWNERS}
    )
    people(bot)

    number, head = await open_gated(
        bot,
        repo,
        {"billing/charge.py": LOGIN_WITH_SQL, ".github/CODEOWNERS": "* @mallory\n"},
    )

    pull = bot.github.pull(REPO, number)
    assert (pull.requested_teams, pull.requested_reviewers) == (
        ["payments", "architects"],
        ["paula"],
    )
    run = bot.check(head)
    assert run.conclusion == "action_required"
    assert "an approval from @acme/payments, @paula (billing: billing/charge.py)" in run.title

    await review(bot, number, "mallory")  # an owner only on the pull request's own CODEOWNERS
    await review(bot, number, "alice")
    assert bot.check(head).conclusion == "action_required"

    await review(bot, number, "pat")  # in @acme/payments, as the base branch's CODEOWNERS says
    assert bot.check(head).conclusion == "success"


async def test_a_file_codeowners_names_nobody_for_holds_the_gate_and_says_why(
    bot: Bot, repo: Repo
) -> None:
    repo.commit(
        "Review config", {".github/ai-review.yml": CONFIG, ".github/CODEOWNERS": CODEOWNERS}
    )
    people(bot)

    number, head = await open_gated(bot, repo, {"billing/legacy/charge.py": LOGIN_WITH_SQL})
    await review(bot, number, "alice")
    await review(bot, number, "pat")

    run = bot.check(head)
    assert run.conclusion == "action_required"
    assert "an owner for billing: billing/legacy/charge.py, which has none the bot can ask" in (
        run.title
    )
    assert (
        "No owner for billing: billing/legacy/charge.py: .github/CODEOWNERS line 3 "
        "(`/billing/legacy/`) gives it no owner"
    ) in plain(run.summary)

    # The base branch names an owner: the next review of the same head reads it (the analysis
    # of that head is not reused across a CODEOWNERS change).
    repo.commit("Own legacy", {".github/CODEOWNERS": CODEOWNERS + "/billing/legacy/ @pat\n"})
    await review(bot, number, "alice")
    assert bot.check(head).conclusion == "success"


async def test_without_codeowners_on_the_base_the_gate_holds_and_says_where_it_looked(
    bot: Bot, repo: Repo
) -> None:
    repo.commit("Review config", {".github/ai-review.yml": CONFIG})
    people(bot)

    number, head = await open_gated(
        bot, repo, {"billing/charge.py": LOGIN_WITH_SQL, "CODEOWNERS": "* @mallory\n"}
    )
    await review(bot, number, "alice")

    run = bot.check(head)
    assert run.conclusion == "action_required"
    assert (
        "No owner for billing: billing/charge.py: no CODEOWNERS file on the base branch (GitHub "
        "looks for .github/CODEOWNERS, CODEOWNERS, docs/CODEOWNERS, in that order)"
    ) in plain(run.summary)


async def test_the_config_command_names_the_codeowners_file_it_reads(bot: Bot, repo: Repo) -> None:
    repo.commit("Review config", {".github/ai-review.yml": CONFIG, "docs/CODEOWNERS": CODEOWNERS})
    people(bot)
    number, _ = await open_gated(bot, repo, {"billing/charge.py": LOGIN_WITH_SQL})

    comment = bot.github.add_comment(REPO, number, "alice", "/ai-review config")
    await bot.send(webhooks.issue_comment(bot.github, REPO, comment.id, "created", sender="alice"))
    await bot.settle()

    (reply,) = [b for b in bot.bot_comments(number) if not b.startswith("<!-- ai-review -->")]
    assert "- critical path owners from docs/CODEOWNERS\n" in reply
