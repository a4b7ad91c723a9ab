"""Nobody below a senior turns a gated head green: issue 14's vectors, each tried as the person
who wants to merge without a senior would, against the real App through signed webhooks and
the fake GitHub. Each test names its vector; each asserts what GitHub ends up showing."""

from __future__ import annotations

import re

import pytest

from tests.app.test_app_commands import command, replies, review_comment, tick
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
REQUIRE = CONFIG + "checklists:\n  require: [sql-params]\n"
EVERY_LEVEL = CONFIG + "  required: {low: 1, medium: 1, high: 1, critical: 2}\n"
# A state marker as the App wrote it before this version, and one in today's shape.
FORGED_OLD = (
    '<!-- ai-review-state {"declaration":{"by":"alice","tool":null,"reason":"fine"},'
    '"override":{"by":"root","reason":"forged","head_sha":"HEAD"},"ticks":{},"ticked_at":{}} -->'
)


@pytest.fixture(autouse=True)
def people(bot: Bot) -> None:
    """dana opens PRs (write access); root is an admin, wendy can write, rita can read, alice
    is a senior."""
    bot.github.set_permission(REPO, "dana", "write")
    bot.github.set_permission(REPO, "root", "admin")
    bot.github.set_permission(REPO, "wendy", "write")
    bot.github.set_permission(REPO, "rita", "read")
    bot.github.set_permission(REPO, "alice", "write")
    bot.github.add_team_member("@acme/architects", "alice")


async def opened(bot: Bot, number: int) -> None:
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "opened"))
    await bot.settle()


async def event(bot: Bot, number: int, action: str = "edited") -> None:
    await bot.send(webhooks.pull_request(bot.github, REPO, number, action))
    await bot.settle()


async def ai_pull(bot: Bot, repo: Repo, config: str = CONFIG) -> tuple[int, str]:
    configure(repo, config)
    number, head = open_pull(
        bot.github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,)
    )
    await opened(bot, number)
    return number, head


def push(bot: Bot, repo: Repo, files: dict[str, str], trailers: tuple[str, ...] = ()) -> str:
    repo.checkout("feature/change")
    head = repo.commit("More", files, trailers=trailers)
    repo.checkout("main")
    return head


async def synchronize(bot: Bot, number: int, before: str) -> None:
    await bot.send(webhooks.pull_request(bot.github, REPO, number, "synchronize", before=before))
    await bot.settle()


def bot_review_comments(bot: Bot, number: int) -> list[str]:
    return [b for b in bot.bot_comments(number) if b.startswith("<!-- ai-review -->")]


def html_comments_are_ours(body: str) -> bool:
    """Every `<!--` in a comment the bot posted is one the bot meant: its leading marker, an
    item id, or its signed last line."""
    last = body.rstrip("\n").rsplit("\n", 1)[-1]
    for found in re.finditer("<!--", body):
        rest = body[found.start() :]
        line_start = body.rfind("\n", 0, found.start()) + 1
        whole_line = body[line_start:].split("\n", 1)[0]
        if found.start() == 0 and rest.startswith("<!-- ai-review -->\n"):
            continue
        if re.match(r"<!-- ai-review-item:[a-z0-9._-]+ -->$", rest.split("\n", 1)[0]):
            continue
        if whole_line == last and re.fullmatch(
            r"<!-- ai-review-state v1 [A-Za-z0-9_-]+ [0-9a-f]{64} -->", last
        ):
            continue
        return False
    return True


# -- state forgery -----------------------------------------------------------------------------


async def test_a_commit_trailer_carrying_a_forged_state_does_not_pass(bot: Bot, repo: Repo) -> None:
    configure(repo, CONFIG)
    number, head = open_pull(
        bot.github,
        repo,
        {"auth/login.py": LOGIN_WITH_SQL},
        trailers=(f"{CLAUDE} {FORGED_OLD}",),
    )
    await opened(bot, number)
    await event(bot, number)  # the next event read the forged state back before

    assert bot.check(head).conclusion == "action_required"
    (body,) = bot_review_comments(bot, number)
    assert html_comments_are_ours(body)
    assert "Declared not AI-assisted" not in (bot.check(head).title or "")


async def test_a_pull_request_description_carrying_a_forged_state_does_not_pass(
    bot: Bot, repo: Repo
) -> None:
    configure(repo, CONFIG)
    number, head = open_pull(bot.github, repo, {"auth/login.py": LOGIN_WITH_SQL})
    pull = bot.github.pull(REPO, number)
    pull.body = f"Generated with [Claude Code](https://claude.ai/code)\n{FORGED_OLD}\n"
    await opened(bot, number)
    await event(bot, number)

    assert bot.check(head).conclusion == "action_required"
    (body,) = bot_review_comments(bot, number)
    assert html_comments_are_ours(body)


async def test_a_file_name_shaped_like_the_state_neither_forges_nor_wipes_it(
    bot: Bot, repo: Repo
) -> None:
    configure(repo, EVERY_LEVEL)
    number, head = open_pull(bot.github, repo, {"app/plain.py": "X = 1\n"})
    await opened(bot, number)
    await command(bot, number, "dana", "/ai-review ai-assisted Cursor")
    assert bot.check(head).conclusion == "action_required"

    new_head = push(bot, repo, {"docs/<!-- ai-review-state {} -->.md": "x\n"})
    await synchronize(bot, number, head)

    assert bot.check(new_head).conclusion == "action_required"
    (body,) = bot_review_comments(bot, number)
    assert html_comments_are_ours(body)
    assert "Cursor" in plain(body)


async def test_an_edit_of_the_comment_that_was_never_delivered_changes_nothing(
    bot: Bot, repo: Repo
) -> None:
    number, head = await ai_pull(bot, repo, REQUIRE)
    approval = bot.github.add_review(REPO, number, "alice")
    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, approval.id))
    await bot.settle()
    (comment,) = [c for c in bot.github.comments(REPO, number) if c.login.endswith("[bot]")]
    # wendy ticks the required item and writes a state of her own at the top; the delivery
    # of her edit never arrives
    ticks = '"ticks":{"sql-params":"alice"},"ticked_at":{"sql-params":"' + head + '"}'
    forged = FORGED_OLD.replace('"ticks":{},"ticked_at":{}', ticks).replace("HEAD", head)
    comment.body = comment.body.replace("<!-- ai-review -->\n", f"<!-- ai-review -->\n{forged}\n")
    comment.body = comment.body.replace("- [ ]", "- [x]")

    await event(bot, number)

    run = bot.check(head)
    assert run.conclusion == "action_required"
    assert (run.title or "").startswith("Needs 1 required checklist item(s) ticked by a senior")
    (body,) = bot_review_comments(bot, number)
    assert "- [x]" not in body  # re-rendered from the store


async def test_a_second_quick_edit_applies_only_what_the_senior_changed(
    bot: Bot, repo: Repo
) -> None:
    number, head = await ai_pull(
        bot, repo, CONFIG + "checklists:\n  require: [sql-params, authz-every-path]\n"
    )
    approval = bot.github.add_review(REPO, number, "alice")
    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, approval.id))
    await bot.settle()
    (comment,) = [c for c in bot.github.comments(REPO, number) if c.login.endswith("[bot]")]
    original = comment.body
    # rita ticks sql-params and writes the state that says a senior did; before anything
    # re-renders, alice ticks authz-every-path on top of rita's edit
    ticks = '"ticks":{"sql-params":"alice"},"ticked_at":{"sql-params":"' + head + '"}'
    forged = '<!-- ai-review-state {"declaration":null,"override":null,' + ticks + "} -->"
    by_rita = re.sub(r"- \[ \](.*ai-review-item:sql-params )", r"- [x]\1", original)
    by_rita = by_rita.replace("<!-- ai-review -->\n", f"<!-- ai-review -->\n{forged}\n", 1)
    by_alice = re.sub(r"- \[ \](.*ai-review-item:authz-every-path )", r"- [x]\1", by_rita)
    assert original != by_rita != by_alice
    comment.body = by_alice
    comment.updated_at = bot.github.now()
    await bot.send(
        webhooks.issue_comment(
            bot.github,
            REPO,
            comment.id,
            "edited",
            sender="alice",
            changes={"body": {"from": by_rita}},
        )
    )
    await bot.settle()

    run = bot.check(head)
    assert run.conclusion == "action_required"
    assert "Not yet ticked: sql-params" in plain(run.summary)


async def test_a_trivial_edit_right_after_a_senior_unticks_does_not_restore_the_tick(
    bot: Bot, repo: Repo
) -> None:
    number, head = await ai_pull(bot, repo, REQUIRE)
    approval = bot.github.add_review(REPO, number, "alice")
    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, approval.id))
    await bot.settle()
    await tick(bot, number, "alice", "sql-params")
    assert bot.check(head).conclusion == "success"
    (comment,) = [c for c in bot.github.comments(REPO, number) if c.login.endswith("[bot]")]
    ticked = comment.body
    unticked = re.sub(r"- \[x\](.*ai-review-item:sql-params )", r"- [ ]\1", ticked)
    trivial = unticked.replace("## AI review", "## AI  review")
    comment.body, comment.updated_at = trivial, bot.github.now()

    for sender, before in (("alice", ticked), ("wendy", unticked)):
        await bot.send(
            webhooks.issue_comment(
                bot.github,
                REPO,
                comment.id,
                "edited",
                sender=sender,
                changes={"body": {"from": before}},
            )
        )
    await bot.settle()

    assert bot.check(head).conclusion == "action_required"


async def test_deleting_the_comment_keeps_the_declarations_others_made(
    bot: Bot, repo: Repo
) -> None:
    number, head = await ai_pull(bot, repo)
    await command(bot, number, "alice", "/ai-review ai-assisted no pair-programmed, no agent")
    assert bot.check(head).conclusion == "success"
    (comment,) = [c for c in bot.github.comments(REPO, number) if c.login.endswith("[bot]")]
    del bot.github.repo(REPO).comments[comment.id]

    await event(bot, number)

    assert bot.check(head).conclusion == "success"
    assert (bot.check(head).title or "").startswith("Declared not AI-assisted by @alice")
    assert len(bot_review_comments(bot, number)) == 1


async def test_breaking_the_leading_marker_keeps_one_comment_and_the_state(
    bot: Bot, repo: Repo
) -> None:
    number, head = await ai_pull(bot, repo)
    await command(bot, number, "alice", "/ai-review ai-assisted no reviewed line by line")
    (comment,) = [c for c in bot.github.comments(REPO, number) if c.login.endswith("[bot]")]
    comment.body = comment.body.replace("<!-- ai-review -->", "<!-- ai-revieww -->", 1)

    await event(bot, number)

    assert bot.check(head).conclusion == "success"
    bodies = [c.body for c in bot.github.comments(REPO, number) if c.login.endswith("[bot]")]
    assert [b for b in bodies if "AI review:" in b] == [bodies[0]]
    assert bodies[0].startswith("<!-- ai-review -->")


async def test_a_hundred_comments_before_the_bots_do_not_lose_it(bot: Bot, repo: Repo) -> None:
    configure(repo, CONFIG)
    number, head = open_pull(bot.github, repo, {"app/plain.py": "X = 1\n"})
    await opened(bot, number)
    for index in range(100):
        bot.github.add_comment(REPO, number, "rita", f"note {index}")
    new_head = push(bot, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,))
    await synchronize(bot, number, head)
    await command(bot, number, "dana", "/ai-review ai-assisted Claude Code")

    await event(bot, number)

    assert bot.check(new_head).conclusion == "action_required"
    assert len(bot_review_comments(bot, number)) == 1


# -- gate decisions ------------------------------------------------------------------------------


async def test_the_same_head_in_a_pull_request_into_a_permissive_branch_keeps_the_check(
    bot: Bot, repo: Repo
) -> None:
    number, head = await ai_pull(bot, repo)
    # The author opens a second pull request with the same head into a branch she controls,
    # one that already holds the AI commits: there, the change is empty and not AI-assisted.
    repo.git("branch", "playground", head)
    second = bot.github.add_pull(REPO, "feature/change", "playground").number
    await opened(bot, second)

    run = bot.check(head)
    assert run.conclusion == "action_required"
    assert (run.title or "").startswith(f"#{number}: Needs 1 more approval")
    assert f"#{number}: action_required" in plain(run.summary)

    approval = bot.github.add_review(REPO, number, "alice")
    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, approval.id))
    await bot.settle()
    assert bot.check(head).conclusion == "success"


async def test_a_seniors_not_ai_declaration_ends_with_the_next_push(bot: Bot, repo: Repo) -> None:
    number, head = await ai_pull(bot, repo)
    await command(bot, number, "alice", "/ai-review ai-assisted no written by hand")
    assert bot.check(head).conclusion == "success"

    new_head = push(bot, repo, {"app/extra.py": "Y = 2\n"})  # a human commit, no trailer
    await synchronize(bot, number, head)

    assert bot.check(new_head).conclusion == "action_required"


async def test_a_force_push_of_the_same_tree_without_trailers_stays_gated(
    bot: Bot, repo: Repo
) -> None:
    number, head = await ai_pull(bot, repo)
    repo.checkout("feature/change")
    repo.git("reset", "-q", "--soft", "HEAD~1")
    new_head = repo.commit("Change")  # the same tree, no trailer
    repo.checkout("main")
    assert bot.github.pull(REPO, number)  # still open

    await bot.send(webhooks.pull_request(bot.github, REPO, number, "synchronize", before=head))
    await bot.settle()

    run = bot.check(new_head)
    assert run.conclusion == "action_required"
    assert "stays so until a senior declares otherwise" in plain(
        bot_review_comments(bot, number)[0]
    )


async def test_a_replayed_override_delivery_is_not_applied_again(bot: Bot, repo: Repo) -> None:
    number, head = await ai_pull(bot, repo)
    comment = bot.github.add_comment(REPO, number, "root", "/ai-review override prod is down")
    delivery = webhooks.issue_comment(bot.github, REPO, comment.id, "created", sender="root")
    await bot.send(delivery)
    await bot.settle()
    assert bot.check(head).conclusion == "success"

    new_head = push(bot, repo, {"app/extra.py": "Y = 2\n"})
    await synchronize(bot, number, head)
    assert bot.check(new_head).conclusion == "action_required"  # the push ended it
    status = await bot.send(delivery, delivery_id="replayed-with-a-new-id")
    await bot.settle()

    assert status == 202
    assert bot.check(new_head).conclusion == "action_required"


async def test_a_command_made_before_a_push_is_not_applied_to_the_new_head(
    bot: Bot, repo: Repo
) -> None:
    number, head = await ai_pull(bot, repo)
    comment = bot.github.add_comment(REPO, number, "root", "/ai-review override hotfix")
    delivery = webhooks.issue_comment(bot.github, REPO, comment.id, "created", sender="root")
    # The push lands on GitHub before the command's job runs.
    new_head = push(bot, repo, {"app/extra.py": "Y = 2\n"}, trailers=(CLAUDE,))
    await bot.send(delivery)
    await bot.settle()
    await synchronize(bot, number, head)

    assert bot.check(new_head).conclusion == "action_required"
    assert any("the pull request changed after your command" in r for r in replies(bot, number))


async def test_the_author_may_not_declare_her_own_pull_request_not_ai_assisted(
    bot: Bot, repo: Repo
) -> None:
    number, head = await ai_pull(bot, repo, "approvals:\n  required: {high: 1}\n")

    await command(bot, number, "dana", "/ai-review ai-assisted no I wrote it")

    assert bot.check(head).conclusion == "action_required"
    assert replies(bot, number) == [
        "@dana, the pull request's author cannot say it is not AI-assisted: it loosens the gate."
    ]


async def test_the_author_may_not_tick_her_own_required_items(bot: Bot, repo: Repo) -> None:
    number, head = await ai_pull(bot, repo, "checklists:\n  require: [sql-params]\n")

    await tick(bot, number, "dana", "sql-params")

    assert "sql-params" in plain(bot.check(head).summary)
    assert "[x]" not in review_comment(bot, number)
    assert replies(bot, number)[-1].startswith(
        "@dana, the pull request's author cannot tick its review checklist"
    )


# -- pushes after an approval -----------------------------------------------------------------


async def approved_ai_pull(bot: Bot, repo: Repo, config: str = CONFIG) -> tuple[int, str]:
    number, head = await ai_pull(bot, repo, config)
    approval = bot.github.add_review(REPO, number, "alice")
    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, approval.id))
    await bot.settle()
    assert bot.check(head).conclusion == "success"
    return number, head


def main_moves_on(repo: Repo) -> None:
    repo.checkout("main")
    repo.commit("Meanwhile on main", {"docs/notes.md": "notes\n"})


async def test_a_clean_update_branch_merge_keeps_the_approval(bot: Bot, repo: Repo) -> None:
    number, head = await approved_ai_pull(bot, repo)
    main_moves_on(repo)

    merged = bot.github.update_branch(REPO, number)
    await synchronize(bot, number, head)

    assert bot.check(merged).conclusion == "success"


async def test_a_github_signed_merge_carrying_an_extra_edit_dismisses_the_approval(
    bot: Bot, repo: Repo
) -> None:
    number, head = await approved_ai_pull(bot, repo)
    main_moves_on(repo)

    merged = bot.github.update_branch(
        REPO, number, files={"auth/login.py": LOGIN_WITH_SQL + "ADMIN = True\n"}
    )
    await synchronize(bot, number, head)

    assert bot.check(merged).conclusion == "action_required"


async def test_a_github_signed_merge_of_another_branch_dismisses_the_approval(
    bot: Bot, repo: Repo
) -> None:
    number, head = await approved_ai_pull(bot, repo)
    repo.checkout("main")
    repo.branch("side")
    repo.commit("Unreviewed", {"auth/backdoor.py": "OPEN = True\n"})
    repo.checkout("main")

    merged = bot.github.web_merge(
        REPO, "feature/change", "side", message="Merge branch 'main' into feature/change"
    )
    await synchronize(bot, number, head)

    assert bot.check(merged).conclusion == "action_required"


async def test_an_ignored_authors_email_on_an_unsigned_commit_dismisses_the_approval(
    bot: Bot, repo: Repo
) -> None:
    config = CONFIG + "  ignored_authors: ['renovate-bot']\n"
    number, head = await approved_ai_pull(bot, repo, config)
    bot.github.link_email("renovate@example.com", "renovate-bot")
    repo.checkout("feature/change")
    pushed = repo.commit(
        "Bump",
        {"auth/login.py": LOGIN_WITH_SQL + "# bump\n"},
        author=("renovate-bot", "renovate@example.com"),
    )
    repo.checkout("main")

    await synchronize(bot, number, head)

    assert bot.check(pushed).conclusion == "action_required"


async def test_a_commit_signed_by_an_ignored_account_keeps_the_approval(
    bot: Bot, repo: Repo
) -> None:
    config = CONFIG + "  ignored_authors: ['renovate-bot']\n"
    number, head = await approved_ai_pull(bot, repo, config)
    repo.checkout("feature/change")
    pushed = repo.commit("Bump", {"requirements.txt": "requests==2.32.3\n"})
    repo.checkout("main")
    bot.github.sign_commit(pushed, "renovate-bot")

    await synchronize(bot, number, head)

    assert bot.check(pushed).conclusion == "success"


async def test_past_githubs_250_commits_an_approval_of_an_older_head_does_not_count(
    bot: Bot, repo: Repo
) -> None:
    number, head = await approved_ai_pull(bot, repo)
    repo.checkout("feature/change")
    for index in range(250):
        last = repo.commit(f"Step {index}", {"app/steps.py": f"STEP = {index}\n"})
    repo.checkout("main")

    await synchronize(bot, number, head)

    run = bot.check(last)
    assert run.conclusion == "action_required"
    assert "more than 250 commits" in (run.title or "")


async def test_past_githubs_250_commits_a_human_pull_request_is_gated_all_the_same(
    bot: Bot, repo: Repo
) -> None:
    configure(repo, CONFIG)
    repo.branch("feature/change")
    for index in range(251):
        last = repo.commit(f"Step {index}", {"app/steps.py": f"STEP = {index}\n"})
    repo.checkout("main")
    number = bot.github.add_pull(REPO, "feature/change").number

    await opened(bot, number)

    run = bot.check(last)
    assert run.conclusion == "action_required"
    assert "cannot see everything: more than 250 commits" in (run.title or "")


async def test_a_change_request_buried_under_99_comment_reviews_still_blocks(
    bot: Bot, repo: Repo
) -> None:
    number, head = await ai_pull(bot, repo)
    bot.github.add_review(REPO, number, "alice", "CHANGES_REQUESTED")
    for _ in range(99):
        bot.github.add_review(REPO, number, "rita", "COMMENTED")
    approval = bot.github.add_review(REPO, number, "wendy")

    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, approval.id))
    await bot.settle()

    assert (bot.check(head).title or "").startswith("Changes requested by @alice")


async def test_a_tag_named_like_the_base_branch_does_not_supply_the_config(
    bot: Bot, repo: Repo
) -> None:
    configure(repo, CONFIG)
    repo.branch("permissive")
    repo.commit("Loosen", {".github/ai-review.yml": "approvals:\n  required: {high: 0}\n"})
    repo.git("tag", "main")  # `main:.github/ai-review.yml` now names the tag's copy
    repo.checkout("main")
    number, head = open_pull(
        bot.github, repo, {"auth/login.py": LOGIN_WITH_SQL}, trailers=(CLAUDE,)
    )

    await opened(bot, number)

    assert bot.check(head).conclusion == "action_required"


# -- who counts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("login", ["stranger", "github-actions[bot]"])
async def test_with_no_seniors_an_approval_without_write_access_does_not_count(
    bot: Bot, repo: Repo, login: str
) -> None:
    number, head = await ai_pull(bot, repo, "approvals:\n  required: {high: 1}\n")
    approval = bot.github.add_review(REPO, number, login)

    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, approval.id))
    await bot.settle()

    assert bot.check(head).conclusion == "action_required"


async def test_with_no_seniors_an_approval_with_write_access_counts(bot: Bot, repo: Repo) -> None:
    number, head = await ai_pull(bot, repo, "approvals:\n  required: {high: 1}\n")
    approval = bot.github.add_review(REPO, number, "wendy")

    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, approval.id))
    await bot.settle()

    assert bot.check(head).conclusion == "success"


async def test_the_author_dismissing_a_seniors_change_request_does_not_pass(
    bot: Bot, repo: Repo
) -> None:
    number, head = await ai_pull(bot, repo)
    request = bot.github.add_review(REPO, number, "alice", "CHANGES_REQUESTED")
    approval = bot.github.add_review(REPO, number, "bob")
    bot.github.add_team_member("@acme/architects", "bob")
    bot.github.set_permission(REPO, "bob", "write")
    bot.github.dismiss_review(REPO, number, request.id, actor="dana")

    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, approval.id))
    await bot.settle()

    assert (bot.check(head).title or "").startswith("Changes requested by @alice")


async def test_a_senior_dismissing_a_seniors_change_request_lifts_it(bot: Bot, repo: Repo) -> None:
    number, head = await ai_pull(bot, repo)
    request = bot.github.add_review(REPO, number, "alice", "CHANGES_REQUESTED")
    bot.github.add_team_member("@acme/architects", "bob")
    bot.github.set_permission(REPO, "bob", "write")
    approval = bot.github.add_review(REPO, number, "bob")
    bot.github.dismiss_review(REPO, number, request.id, actor="bob")

    await bot.send(webhooks.pull_request_review(bot.github, REPO, number, approval.id))
    await bot.settle()

    assert bot.check(head).conclusion == "success"
