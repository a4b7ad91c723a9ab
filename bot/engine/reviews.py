"""The reviews GitHub lists on a pull request, as the gate reads them: each person's latest
verdict, and the people whose team memberships and permissions the gate needs to know."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class ReviewState(StrEnum):
    APPROVED = "APPROVED"
    CHANGES_REQUESTED = "CHANGES_REQUESTED"
    COMMENTED = "COMMENTED"
    DISMISSED = "DISMISSED"
    PENDING = "PENDING"


WEB_FLOW = "web-flow"  # the account GitHub signs the commits it makes with (web UI, merges)


def is_bot_login(login: str) -> bool:
    """An App's account as REST names it (GraphQL drops the suffix; its type says Bot)."""
    return login.lower().endswith("[bot]")


@dataclass(frozen=True, slots=True)
class Review:
    """One submitted review, in the order GitHub lists them (oldest first).

    `is_bot`: an App wrote it (GraphQL type Bot; a login ending in "[bot]" counts too). A
    DISMISSED review says who dismissed it (an App's login as REST spells it, with "[bot]")
    and what it was before, when GitHub says so.
    """

    login: str
    state: ReviewState
    commit_id: str | None
    is_bot: bool = False
    dismissed_by: str | None = None
    previous_state: ReviewState | None = None

    @property
    def by_bot(self) -> bool:
        return self.is_bot or is_bot_login(self.login)


def latest_reviews(reviews: Sequence[Review]) -> dict[str, Review]:
    """Each person's latest review that states a verdict; comments do not replace a verdict."""
    latest: dict[str, Review] = {}
    for review in reviews:
        if review.state in (ReviewState.COMMENTED, ReviewState.PENDING):
            continue
        latest[review.login.lower()] = review
    return latest


def deciding_people(reviews: Iterable[Review]) -> set[str]:
    """Everyone whose review can move the gate, as GitHub spells their logins: approvers,
    change requesters, and who dismissed a review. The caller looks up their team memberships
    and permissions; bots are left out (they never count)."""
    people: set[str] = set()
    for review in reviews:
        if review.by_bot or review.state in (ReviewState.COMMENTED, ReviewState.PENDING):
            continue
        people.add(review.login)
        dismisser = review.dismissed_by
        if review.state is ReviewState.DISMISSED and dismisser and not is_bot_login(dismisser):
            people.add(dismisser)
    return people
