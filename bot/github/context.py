"""A pull request as gathered from GitHub, and the GraphQL nodes it is read from.

`PullRequestContext` is everything the gate needs of one pull request at one head; the
functions below turn GitHub's GraphQL nodes (commits, reviews, dismissals, comments, the
checklists tree) into the engine's values, so the pull request gather (bot/github/gather.py)
only asks and pages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.config import CHECKLISTS_DIR
from bot.config.codeowners import CODEOWNERS_PATHS, CodeOwnersFile
from bot.engine.reviews import Review, ReviewState, is_bot_login
from bot.engine.snapshot import Commit, Person, Snapshot


@dataclass(frozen=True, slots=True)
class RepoRef:
    owner: str
    name: str
    installation_id: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True, slots=True)
class BotComment:
    id: int
    body: str


@dataclass(frozen=True, slots=True)
class PullRequestContext:
    """Everything gathered for one pull request at one head.

    `incomplete` says, each in a short phrase, what the bot could not see (lists past GitHub's
    or the bot's caps): the gate fails closed on it. `comments_capped`: the bot's comment was
    looked for through `gather.MAX_COMMENTS` comments and not found (worth a log line; a new one is
    posted).
    """

    repo: RepoRef
    number: int
    snapshot: Snapshot
    reviews: tuple[Review, ...]
    config_text: str | None
    org_config_text: str | None
    checklist_texts: tuple[tuple[str, str], ...]
    bot_comment: BotComment | None
    incomplete: tuple[str, ...] = ()
    comments_capped: bool = False
    # The base branch's CODEOWNERS (None: it has none).
    codeowners: CodeOwnersFile | None = None


def _person(raw: dict[str, Any] | None) -> Person:
    raw = raw or {}
    user = raw.get("user") or {}
    return Person(raw.get("name") or "", raw.get("email") or "", user.get("login"))


def commit_of(node: dict[str, Any]) -> Commit:
    """A pull request's commit node as the engine's Commit."""
    raw = node["commit"]
    signature = raw.get("signature") or {}
    signer = (signature.get("signer") or {}).get("login")
    return Commit(
        sha=raw["oid"],
        message=raw.get("message") or "",
        author=_person(raw.get("author")),
        committer=_person(raw.get("committer")),
        parents=tuple(p["oid"] for p in (raw.get("parents") or {}).get("nodes") or []),
        additions=int(raw.get("additions") or 0),
        deletions=int(raw.get("deletions") or 0),
        signed_by=signer if signature.get("isValid") and signer else None,
    )


def _actor(raw: dict[str, Any] | None) -> tuple[str, bool] | None:
    """(login, is an App) of a GraphQL actor, an App's login as REST spells it ("name[bot]");
    None for a deleted account."""
    login = (raw or {}).get("login")
    if not login:
        return None
    is_bot = (raw or {}).get("__typename") == "Bot" or is_bot_login(login)
    if is_bot and not is_bot_login(login):
        login = f"{login}[bot]"
    return str(login), is_bot


def _review_state(raw: Any) -> ReviewState | None:
    return ReviewState(raw) if raw in ReviewState.__members__ else None


def review_of(node: dict[str, Any], dismissals: Mapping[int, tuple[str, str]]) -> Review | None:
    """A review node as the engine's Review, with who dismissed it and what it was (from
    `dismissals`, by review databaseId); None for a deleted author or an unknown state."""
    author = _actor(node.get("author"))
    state = _review_state(node.get("state"))
    if author is None or state is None:
        return None
    login, is_bot = author
    review = Review(login, state, (node.get("commit") or {}).get("oid"), is_bot)
    dismissal = dismissals.get(int(node.get("databaseId") or 0))
    if state is ReviewState.DISMISSED and dismissal is not None:
        by, previous = dismissal
        review = replace(review, dismissed_by=by, previous_state=_review_state(previous))
    return review


def dismissal_of(node: dict[str, Any]) -> tuple[int, tuple[str, str]] | None:
    """review databaseId -> (who dismissed it, what it was), from a ReviewDismissedEvent; None
    when GitHub no longer says which review or who."""
    review_id = (node.get("review") or {}).get("databaseId")
    actor = _actor(node.get("actor"))
    if review_id is None or actor is None:
        return None
    return int(review_id), (actor[0], str(node.get("previousReviewState") or ""))


def is_ours(author: dict[str, Any], bot_login: str | None) -> bool:
    """The App's own account (an App, GraphQL type Bot; a user named like the App is not);
    with no login known, any App."""
    if author.get("__typename") != "Bot":
        return False
    if bot_login is None:
        return True
    # GraphQL names an App's account without the "[bot]" suffix REST uses.
    login = author.get("login") or ""
    return bool(login.removesuffix("[bot]") == bot_login.removesuffix("[bot]"))


def checklist_texts(raw: dict[str, Any] | None) -> tuple[tuple[str, str], ...]:
    """(path, text) of each checklist file in the checklists folder's tree, sorted."""
    entries = (raw or {}).get("entries") or []
    found = []
    for entry in entries:
        text = (entry.get("object") or {}).get("text")
        if entry.get("type") == "blob" and entry["name"].endswith(".yml") and text is not None:
            found.append((f"{CHECKLISTS_DIR}/{entry['name']}", text))
    return tuple(sorted(found))


def codeowners_file(nodes: Sequence[dict[str, Any] | None]) -> CodeOwnersFile | None:
    """The CODEOWNERS file GitHub uses: the first of CODEOWNERS_PATHS that is a file, given
    each path's object node at the base branch in that order; None when none is."""
    for path, node in zip(CODEOWNERS_PATHS, nodes, strict=True):
        if not node or node.get("__typename") != "Blob":
            continue
        size = int(node.get("byteSize") or 0)
        if node.get("isBinary") or node.get("text") is None:
            return CodeOwnersFile(path, None, "it is not text")
        if node.get("isTruncated"):
            return CodeOwnersFile(path, None, f"GitHub's API gives only part of its {size:,} bytes")
        return CodeOwnersFile(path, node["text"])
    return None
