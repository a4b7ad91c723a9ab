"""Labels follow the review: AI-assisted, the tool, the risk level and the gate's state, made
with a colour when the repository lacks them, moved as the gate moves, and people stay in
charge: the App removes only its own, and never puts back, for that head, one they took off."""

from __future__ import annotations

from tests.appkit import (  # noqa: F401  (bot_fixture registers the fixture)
    LOGIN_WITH_SQL,
    REPO,
    SENIORS,
    Bot,
    bot_fixture,
    configure,
    open_pull,
)
from tests.conftest import CLAUDE, Repo
from tests.fakegithub import webhooks
from tests.fakegithub.fixtures import (  # noqa: F401  (registers the fixtures)
    fake_github_fixture,
    github_repo_fixture,
)

WAITING = ["ai-review: assisted", "ai-tool: claude-code", "ai-risk: high", "ai-review: waiting"]


async def open_gated(bot: Bot, repo: Repo, config: str = SENIORS) -> tuple[int, str]:
    configure(repo, config)
    bot.github.add_team_member("@acme/architects", "alice")
    number, head = open_pull(
        bot.github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,)
    )
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()
    return number, head


async def label_event(bot: Bot, number: int, action: str, label: str, sender: str) -> None:
    hook = webhooks.pull_request(bot.github, REPO, number, action, label=label, sender=sender)
    await bot.send(hook)
    await bot.settle()


async def test_labels_follow_the_risk_and_the_gate(bot: Bot, repo: Repo) -> None:
    number, _ = await open_gated(bot, repo)

    assert bot.github.pull(REPO, number).labels == WAITING
    made = bot.github.repo(REPO).labels
    assert (made["ai-risk: high"].color, made["ai-review: waiting"].color) == ("d93f0b", "fbca04")

    approval = bot.github.add_review(REPO, number, "alice")
    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, approval.id))
    await bot.settle()

    assert bot.github.pull(REPO, number).labels == [*WAITING[:3], "ai-review: passed"]


async def test_the_apps_own_label_events_reuse_the_analysis_and_are_no_evidence(
    bot: Bot, repo: Repo
) -> None:
    # The App's AI label named like the label people use to declare AI use (detect.labels).
    number, _ = await open_gated(bot, repo, SENIORS + "labels:\n  ai_assisted: ai-assisted\n")
    assert "ai-assisted" in bot.github.pull(REPO, number).labels
    bot.github.clear_log()

    await label_event(bot, number, "labeled", "ai-assisted", bot.github.bot_login)

    assert bot.github.count("GET", f"/repos/{REPO}/pulls/{number}") == 0  # no diff read again
    [comment] = [c.body for c in bot.github.comments(REPO, number)]
    assert "label ai-assisted" not in comment


async def test_a_label_a_person_took_off_is_not_put_back_for_that_head(
    bot: Bot, repo: Repo
) -> None:
    number, first = await open_gated(bot, repo)
    bot.github.pull(REPO, number).labels.remove("ai-review: waiting")

    await label_event(bot, number, "unlabeled", "ai-review: waiting", "dana")
    assert "ai-review: waiting" not in bot.github.pull(REPO, number).labels

    repo.checkout("feature/change")
    repo.commit("More", {"auth/more.py": "Y = 2\n"}, trailers=(CLAUDE,))
    repo.checkout("main")
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "synchronize", before=first))
    await bot.settle()
    assert "ai-review: waiting" in bot.github.pull(REPO, number).labels


async def test_a_label_people_put_on_stays_when_it_is_not_true(bot: Bot, repo: Repo) -> None:
    number, _ = open_pull(
        bot.github, repo, {"docs/usage.md": "Run it.\n"}, labels=("ai-risk: high",)
    )

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    assert bot.github.pull(REPO, number).labels == ["ai-risk: high"]


async def test_labels_can_be_turned_off(bot: Bot, repo: Repo) -> None:
    configure(repo, "labels:\n  enabled: false\n")
    number, _ = open_pull(bot.github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,))

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()

    assert bot.github.pull(REPO, number).labels == []
    assert bot.github.count(path=f"/repos/{REPO}/labels") == 0
