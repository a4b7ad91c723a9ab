"""A merge group's check: success only when every pull request it holds passed the gate at the
head that was queued; otherwise failure, naming the first that did not."""

from __future__ import annotations

from bot.engine.policy import Conclusion
from bot.github.meaning import QueuedPull
from bot.render.checkrun import CheckOutput
from bot.render.posting import Posting
from bot.review.merge_group import Moved, group_posting, not_in_queue, undecided

ONE, TWO = QueuedPull(12, "a" * 40, 1), QueuedPull(13, "b" * 40, 2)


def posting(conclusion: Conclusion, title: str, check: str = "senior-review") -> Posting:
    return Posting(check, conclusion, title, CheckOutput(title, "", ()), None)


APPROVED = posting(Conclusion.SUCCESS, "Approved by @alice (risk high, 64/100)")
WAITING = posting(Conclusion.ACTION_REQUIRED, "Needs 1 more approval from @acme/architects")


def test_a_group_whose_pull_requests_all_passed_passes_under_the_configured_check_name() -> None:
    checked = group_posting("main", (ONE, TWO), {12: APPROVED, 13: APPROVED})

    assert (checked.check_name, checked.conclusion) == ("senior-review", Conclusion.SUCCESS)
    assert checked.title == "All 2 pull requests in this merge group passed the gate"
    assert f"- #12 at `{'a' * 10}`: **passed**" in checked.output.summary


def test_a_group_holding_a_pull_request_that_did_not_pass_fails_and_names_it() -> None:
    checked = group_posting("main", (ONE, TWO), {12: APPROVED, 13: WAITING})

    assert checked.conclusion is Conclusion.FAILURE
    assert checked.title == (
        "#13 has not passed the gate: Needs 1 more approval from @acme/architects"
    )
    assert "- #13 at `bbbbbbbbbb`: **action_required**" in checked.output.summary


def test_a_pull_request_whose_head_moved_after_it_was_queued_fails_the_group() -> None:
    checked = group_posting("main", (ONE,), {12: Moved("a" * 40, "c" * 40)})

    assert (checked.check_name, checked.conclusion) == ("ai-review", Conclusion.FAILURE)
    assert checked.title == "#12 has not passed the gate: its head moved after it was queued"


def test_a_group_the_queue_does_not_list_and_an_error_fail_closed() -> None:
    assert not_in_queue("main", "d" * 40).conclusion is Conclusion.FAILURE
    failed = undecided("abc123")
    assert failed.conclusion is Conclusion.FAILURE
    assert "abc123" in failed.title
