"""merge_group payloads, in the shape of GitHub's published examples, into merge group jobs."""

from __future__ import annotations

import copy

import pytest

from bot.handlers.payloads import merge_group_job
from bot.queue.jobs import JobKind
from tests.conformance import specs
from tests.conformance.webhook_examples import examples


def _example() -> dict[str, object]:
    specs.require()
    [found] = [e for e in examples() if e.event == "merge_group"][:1]
    return found.for_app()


def test_checks_requested_asks_for_the_check_of_the_groups_commit_into_its_branch() -> None:
    payload = _example()

    job = merge_group_job(payload, "delivery-1")

    assert job is not None
    assert (job.kind, job.owner, job.repo, job.number) == (
        JobKind.MERGE_GROUP,
        "octo-org",
        "octo-repo",
        0,
    )
    assert (job.base_ref, job.head_sha) == ("main", "2ffea6db159f6b6c47a24e778fb9ef40cf6b1c7d")


def test_a_group_into_something_other_than_a_branch_is_ignored_with_a_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    payload = copy.deepcopy(_example())
    payload["merge_group"]["base_ref"] = "refs/tags/v1"  # type: ignore[index]

    with caplog.at_level("DEBUG", logger="bot"):
        assert merge_group_job(payload, "delivery-2") is None

    reasons = [getattr(record, "reason", "") for record in caplog.records]
    assert reasons == ["a merge group into 'refs/tags/v1', not a branch"]
