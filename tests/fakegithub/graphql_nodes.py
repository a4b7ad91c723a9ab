"""GraphQL objects over the fake's state and git.

Each class serves one GraphQL type. A field `fooBar` is the attribute or property `foo_bar`;
a field with arguments (or one that reads git) is a method `foo_bar(ctx, **arguments)`, possibly
async. `typename` names the concrete type when a field returns an interface.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar
from urllib.parse import quote

from tests.fakegithub.diff import PullDiff, pull_diff
from tests.fakegithub.gitdata import (
    CommitInfo,
    GitObject,
    GitPerson,
    TreeEntry,
    commits_between,
    github_revision,
    tree_entries,
)
from tests.fakegithub.graphql_support import Connection, Context, TypedError, not_found
from tests.fakegithub.merge_queue import has_queue
from tests.fakegithub.models import (
    Account,
    IssueComment,
    PullRequest,
    QueueEntry,
    RepoState,
    Review,
    ReviewDismissal,
    iso,
)
from tests.fakegithub.shapes import node_id
from tests.fakegithub.views import MAX_LISTED_COMMITS, PullRefs, pull_refs

# GitHub stops serving a blob's text past this size and says so with isTruncated.
MAX_BLOB_TEXT = 512 * 1024


@dataclass(frozen=True, slots=True)
class ActorNode:
    account: Account

    @property
    def typename(self) -> str:
        return self.account.type

    @property
    def id(self) -> str:
        return node_id(self.account.type[0], self.account.id)

    @property
    def database_id(self) -> int:
        return self.account.id

    @property
    def login(self) -> str:
        return self.account.graphql_login

    def avatar_url(self, ctx: Context, size: int | None = None) -> str:
        return f"https://avatars.githubusercontent.com/u/{self.account.id}?v=4"

    def url(self, ctx: Context) -> str:
        return f"{ctx.site.web}/{quote(self.account.login)}"


def actor(ctx: Context, login: str) -> ActorNode:
    return ActorNode(ctx.github.account(login))


# -- git objects ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BlobNode:
    typename: ClassVar[str] = "Blob"
    raw: GitObject

    @property
    def id(self) -> str:
        return node_id("B", self.raw.oid)

    @property
    def oid(self) -> str:
        return self.raw.oid

    @property
    def abbreviated_oid(self) -> str:
        return self.raw.oid[:7]

    @property
    def byte_size(self) -> int:
        return self.raw.size

    @property
    def is_binary(self) -> bool:
        return self.raw.is_binary

    @property
    def is_truncated(self) -> bool:
        return self.raw.size > MAX_BLOB_TEXT

    @property
    def text(self) -> str | None:
        if self.raw.is_binary:
            return None
        return self.raw.data[:MAX_BLOB_TEXT].decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class TreeEntryNode:
    entry: TreeEntry
    repo: RepoState
    folder: str

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def path(self) -> str:
        return f"{self.folder}/{self.entry.name}" if self.folder else self.entry.name

    @property
    def type(self) -> str:
        return self.entry.type

    @property
    def mode(self) -> int:
        return int(self.entry.mode, 8)

    @property
    def oid(self) -> str:
        return self.entry.oid

    @property
    def extension(self) -> str | None:
        stem, dot, suffix = self.entry.name.rpartition(".")
        return f".{suffix}" if dot and stem else None

    async def object(self, ctx: Context) -> BlobNode | TreeNode | CommitNode | None:
        if self.entry.type == "commit":
            return None  # a submodule's commit lives in another repository
        raw = await ctx.objects(self.repo.path).load(self.entry.oid)
        return git_object(self.repo, raw, self.path)


@dataclass(frozen=True, slots=True)
class TreeNode:
    typename: ClassVar[str] = "Tree"
    repo: RepoState
    raw: GitObject
    folder: str

    @property
    def id(self) -> str:
        return node_id("T", self.raw.oid)

    @property
    def oid(self) -> str:
        return self.raw.oid

    @property
    def abbreviated_oid(self) -> str:
        return self.raw.oid[:7]

    @property
    def entries(self) -> list[TreeEntryNode]:
        return [TreeEntryNode(e, self.repo, self.folder) for e in tree_entries(self.raw)]


@dataclass(frozen=True, slots=True)
class GitActorNode:
    person: GitPerson

    @property
    def name(self) -> str:
        return self.person.name

    @property
    def email(self) -> str:
        return self.person.email

    @property
    def date(self) -> str:
        return iso(self.person.date)

    def user(self, ctx: Context) -> ActorNode | None:
        login = ctx.github.user_for_email(self.person.email)
        return None if login is None else actor(ctx, login)


@dataclass(frozen=True, slots=True)
class SignatureNode:
    """A valid signature, verified as `signer_login`'s (web-flow: GitHub signed it)."""

    typename: ClassVar[str] = "GpgSignature"
    signer_login: str = "web-flow"
    is_valid: bool = True
    key_id: str = "B5690EEEBB952194"
    payload: str = ""
    signature: str = ""
    state: str = "VALID"

    @property
    def email(self) -> str:
        if self.was_signed_by_github:
            return "noreply@github.com"
        return f"{self.signer_login}@users.noreply.github.com"

    @property
    def was_signed_by_github(self) -> bool:
        return self.signer_login == "web-flow"

    def signer(self, ctx: Context) -> ActorNode:
        return actor(ctx, self.signer_login)


@dataclass(frozen=True, slots=True)
class CommitNode:
    """A commit; its details are read from git only when a query asks for them."""

    typename: ClassVar[str] = "Commit"
    repo: RepoState
    oid: str

    @property
    def id(self) -> str:
        return node_id("C", self.oid)

    @property
    def abbreviated_oid(self) -> str:
        return self.oid[:7]

    async def _info(self, ctx: Context) -> CommitInfo:
        info = await ctx.commit(self.repo.path, self.oid)
        if info is None:
            raise not_found(f"Could not resolve to a Commit with the oid '{self.oid}'.")
        return info

    async def message(self, ctx: Context) -> str:
        return (await self._info(ctx)).message

    async def message_headline(self, ctx: Context) -> str:
        return (await self._info(ctx)).message.partition("\n")[0]

    async def message_body(self, ctx: Context) -> str:
        return (await self._info(ctx)).message.partition("\n")[2].strip("\n")

    async def additions(self, ctx: Context) -> int:
        return (await self._info(ctx)).additions

    async def deletions(self, ctx: Context) -> int:
        return (await self._info(ctx)).deletions

    async def authored_date(self, ctx: Context) -> str:
        return iso((await self._info(ctx)).author.date)

    async def committed_date(self, ctx: Context) -> str:
        return iso((await self._info(ctx)).committer.date)

    async def author(self, ctx: Context) -> GitActorNode:
        return GitActorNode((await self._info(ctx)).author)

    async def committer(self, ctx: Context) -> GitActorNode:
        return GitActorNode((await self._info(ctx)).committer)

    async def parents(
        self,
        ctx: Context,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[CommitNode]:
        parents = [CommitNode(self.repo, sha) for sha in (await self._info(ctx)).parents]
        return Connection.page(parents, "parents", first, after, last, before)

    def signature(self, ctx: Context) -> SignatureNode | None:
        signer = ctx.github.signer_of(self.oid)
        return None if signer is None else SignatureNode(signer)

    async def tree(self, ctx: Context) -> TreeNode:
        info = await self._info(ctx)
        raw = await ctx.objects(self.repo.path).load(info.tree)
        if raw is None:
            raise not_found(f"Could not resolve to a Tree with the oid '{info.tree}'.")
        return TreeNode(self.repo, raw, "")

    def url(self, ctx: Context) -> str:
        return f"{ctx.site.web}/{self.repo.full_name}/commit/{self.oid}"


def git_object(
    repo: RepoState, raw: GitObject | None, path: str
) -> BlobNode | TreeNode | CommitNode | None:
    if raw is None:
        return None
    if raw.type == "blob":
        return BlobNode(raw)
    if raw.type == "tree":
        return TreeNode(repo, raw, path)
    if raw.type == "commit":
        return CommitNode(repo, raw.oid)
    return None


# -- pull requests -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabelNode:
    name: str
    color: str = "ededed"
    description: str | None = None

    @property
    def id(self) -> str:
        return node_id("LA", self.name)


@dataclass(frozen=True, slots=True)
class ReviewNode:
    repo: RepoState
    pull: PullRequest
    review: Review

    @property
    def id(self) -> str:
        return node_id("PRR", self.review.id)

    @property
    def database_id(self) -> int:
        return self.review.id

    @property
    def body(self) -> str:
        return self.review.body

    @property
    def state(self) -> str:
        return self.review.state

    @property
    def submitted_at(self) -> str:
        return iso(self.review.submitted_at)

    @property
    def created_at(self) -> str:
        return iso(self.review.submitted_at)

    def author(self, ctx: Context) -> ActorNode:
        return actor(ctx, self.review.login)

    def commit(self, ctx: Context) -> CommitNode:
        return CommitNode(self.repo, self.review.commit_id)

    def url(self, ctx: Context) -> str:
        return (
            f"{ctx.site.web}/{self.repo.full_name}/pull/{self.pull.number}"
            f"#pullrequestreview-{self.review.id}"
        )


@dataclass(frozen=True, slots=True)
class ReviewDismissedEventNode:
    typename: ClassVar[str] = "ReviewDismissedEvent"
    repo: RepoState
    pull: PullRequest
    event: ReviewDismissal

    @property
    def id(self) -> str:
        return node_id("RDE", self.event.id)

    @property
    def database_id(self) -> int:
        return self.event.id

    @property
    def created_at(self) -> str:
        return iso(self.event.created_at)

    @property
    def dismissal_message(self) -> str:
        return self.event.message

    @property
    def previous_review_state(self) -> str:
        return self.event.previous_state

    def actor(self, ctx: Context) -> ActorNode:
        return actor(ctx, self.event.actor)

    async def pull_request(self, ctx: Context) -> PullRequestNode:
        refs = await asyncio.to_thread(pull_refs, self.repo, self.pull)
        return PullRequestNode(self.repo, self.pull, refs)

    def review(self, ctx: Context) -> ReviewNode | None:
        for found in self.pull.reviews:
            if found.id == self.event.review_id:
                return ReviewNode(self.repo, self.pull, found)
        return None

    def url(self, ctx: Context) -> str:
        return f"{ctx.site.web}/{self.repo.full_name}/pull/{self.pull.number}#event-{self.event.id}"


@dataclass(frozen=True, slots=True)
class IssueCommentNode:
    repo: RepoState
    comment: IssueComment

    @property
    def id(self) -> str:
        return node_id("IC", self.comment.id)

    @property
    def database_id(self) -> int:
        return self.comment.id

    @property
    def body(self) -> str:
        return self.comment.body

    @property
    def created_at(self) -> str:
        return iso(self.comment.created_at)

    @property
    def updated_at(self) -> str:
        return iso(self.comment.updated_at)

    def author(self, ctx: Context) -> ActorNode:
        return actor(ctx, self.comment.login)

    def url(self, ctx: Context) -> str:
        return (
            f"{ctx.site.web}/{self.repo.full_name}/pull/{self.comment.issue_number}"
            f"#issuecomment-{self.comment.id}"
        )


@dataclass(frozen=True, slots=True)
class PullRequestCommitNode:
    commit: CommitNode

    @property
    def id(self) -> str:
        return node_id("PURC", self.commit.oid)

    def url(self, ctx: Context) -> str:
        return self.commit.url(ctx)


@dataclass(frozen=True, slots=True)
class PullRequestNode:
    repo: RepoState
    pull: PullRequest
    refs: PullRefs

    @property
    def id(self) -> str:
        return node_id("PR", self.pull.id)

    @property
    def database_id(self) -> int:
        return self.pull.id

    @property
    def number(self) -> int:
        return self.pull.number

    @property
    def title(self) -> str:
        return self.pull.title

    @property
    def body(self) -> str:
        return self.pull.body

    @property
    def state(self) -> str:
        return "MERGED" if self.pull.merged else self.pull.state.upper()

    @property
    def is_draft(self) -> bool:
        return self.pull.draft

    @property
    def merged(self) -> bool:
        return self.pull.merged

    @property
    def created_at(self) -> str:
        return iso(self.pull.created_at)

    @property
    def updated_at(self) -> str:
        return iso(self.pull.updated_at)

    @property
    def head_ref_name(self) -> str:
        return self.pull.head_ref

    @property
    def base_ref_name(self) -> str:
        return self.pull.base_ref

    @property
    def head_ref_oid(self) -> str:
        return self.refs.head_sha

    @property
    def base_ref_oid(self) -> str:
        return self.refs.base_sha

    def url(self, ctx: Context) -> str:
        return f"{ctx.site.web}/{self.repo.full_name}/pull/{self.pull.number}"

    def author(self, ctx: Context) -> ActorNode:
        return actor(ctx, self.pull.author)

    async def _diff(self) -> PullDiff:
        return await asyncio.to_thread(
            pull_diff, self.repo.path, self.refs.merge_base, self.refs.head_sha
        )

    async def changed_files(self, ctx: Context) -> int:
        return len((await self._diff()).files)

    async def additions(self, ctx: Context) -> int:
        return (await self._diff()).additions

    async def deletions(self, ctx: Context) -> int:
        return (await self._diff()).deletions

    def labels(
        self,
        ctx: Context,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[LabelNode]:
        labels = [LabelNode(name) for name in self.pull.labels]
        return Connection.page(labels, "labels", first, after, last, before)

    async def commits(
        self,
        ctx: Context,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[PullRequestCommitNode]:
        """The pull request's commits, oldest first; like GitHub, only the first 250 list."""
        infos = await asyncio.to_thread(
            commits_between, self.repo.path, self.refs.merge_base, self.refs.head_sha
        )
        ctx.remember(self.repo.path, infos)
        nodes = [PullRequestCommitNode(CommitNode(self.repo, i.sha)) for i in infos]
        return Connection.page(
            nodes[:MAX_LISTED_COMMITS], "commits", first, after, last, before, total=len(infos)
        )

    def reviews(
        self,
        ctx: Context,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        states: list[str] | None = None,
        author: str | None = None,
    ) -> Connection[ReviewNode]:
        reviews = [
            ReviewNode(self.repo, self.pull, r)
            for r in self.pull.reviews
            if (states is None or r.state in states)
            and (author is None or r.login.casefold() == author.casefold())
        ]
        return Connection.page(reviews, "reviews", first, after, last, before)

    def comments(
        self,
        ctx: Context,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[IssueCommentNode]:
        found = ctx.github.comments(self.repo.full_name, self.pull.number)
        nodes = [IssueCommentNode(self.repo, c) for c in found]
        return Connection.page(nodes, "comments", first, after, last, before)

    def timeline_items(
        self,
        ctx: Context,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        item_types: list[str] | None = None,
    ) -> Connection[ReviewDismissedEventNode]:
        """The timeline, oldest first; this fake records only review dismissals on it."""
        wanted = item_types is None or "REVIEW_DISMISSED_EVENT" in item_types
        events = [
            ReviewDismissedEventNode(self.repo, self.pull, event)
            for event in (self.pull.dismissals if wanted else [])
        ]
        return Connection.page(events, "timelineItems", first, after, last, before)


# -- repositories --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RefNode:
    repo: RepoState
    name: str
    sha: str
    prefix: str = "refs/heads/"

    @property
    def id(self) -> str:
        return node_id("REF", f"{self.repo.id}:{self.name}")

    def target(self, ctx: Context) -> CommitNode:
        return CommitNode(self.repo, self.sha)


@dataclass(frozen=True, slots=True)
class MergeQueueEntryNode:
    repo: RepoState
    entry: QueueEntry
    position: int

    @property
    def id(self) -> str:
        return node_id("MQE", self.entry.id)

    @property
    def state(self) -> str:
        return self.entry.state

    @property
    def enqueued_at(self) -> str:
        return iso(self.entry.enqueued_at)

    def head_commit(self, ctx: Context) -> CommitNode:
        """The merge group's commit for this entry (on the queue's temporary branch)."""
        return CommitNode(self.repo, self.entry.head_sha)

    def base_commit(self, ctx: Context) -> CommitNode:
        return CommitNode(self.repo, self.entry.base_sha)

    async def pull_request(self, ctx: Context) -> PullRequestNode:
        pull = self.repo.pulls[self.entry.number]
        refs = await asyncio.to_thread(pull_refs, self.repo, pull)
        return PullRequestNode(self.repo, pull, refs)


@dataclass(frozen=True, slots=True)
class MergeQueueNode:
    repo: RepoState
    branch: str

    @property
    def id(self) -> str:
        return node_id("MQ", f"{self.repo.id}:{self.branch}")

    def url(self, ctx: Context) -> str:
        return f"{ctx.site.web}/{self.repo.full_name}/queue/{self.branch}"

    def entries(
        self,
        ctx: Context,
        after: str | None = None,
        before: str | None = None,
        first: int | None = None,
        last: int | None = None,
    ) -> Connection[MergeQueueEntryNode]:
        queue = self.repo.merge_queues.get(self.branch, [])
        nodes = [
            MergeQueueEntryNode(self.repo, entry, position)
            for position, entry in enumerate(queue, start=1)
        ]
        return Connection.page(nodes, "entries", first, after, last, before)


@dataclass(frozen=True, slots=True)
class RepositoryNode:
    repo: RepoState

    @property
    def id(self) -> str:
        return node_id("R", self.repo.id)

    @property
    def database_id(self) -> int:
        return self.repo.id

    @property
    def name(self) -> str:
        return self.repo.name

    @property
    def name_with_owner(self) -> str:
        return self.repo.full_name

    @property
    def is_private(self) -> bool:
        return self.repo.private

    def url(self, ctx: Context) -> str:
        return f"{ctx.site.web}/{self.repo.full_name}"

    def owner(self, ctx: Context) -> ActorNode:
        return actor(ctx, self.repo.owner)

    async def default_branch_ref(self, ctx: Context) -> RefNode | None:
        raw = await ctx.objects(self.repo.path).load(f"refs/heads/{self.repo.default_branch}")
        return None if raw is None else RefNode(self.repo, self.repo.default_branch, raw.oid)

    async def pull_request(self, ctx: Context, number: int) -> PullRequestNode:
        pull = self.repo.pulls.get(number)
        if pull is None:
            raise not_found(f"Could not resolve to a PullRequest with the number of {number}.")
        refs = await asyncio.to_thread(pull_refs, self.repo, pull)
        return PullRequestNode(self.repo, pull, refs)

    def merge_queue(self, ctx: Context, branch: str | None = None) -> MergeQueueNode | None:
        """The merge queue of `branch` (default: the default branch); null without one."""
        branch = branch or self.repo.default_branch
        return MergeQueueNode(self.repo, branch) if has_queue(self.repo, branch) else None

    async def object(
        self, ctx: Context, expression: str | None = None, oid: str | None = None
    ) -> BlobNode | TreeNode | CommitNode | None:
        """A git object by "REV:PATH" (GitHub's HEAD is the default branch) or by OID."""
        if expression is None and oid is None:
            raise TypedError("INVALID_ARGUMENTS", "Either an expression or an oid is required.")
        name = oid or github_revision(expression or "", self.repo.default_branch)
        raw = await ctx.objects(self.repo.path).load(name)
        path = "" if expression is None else expression.partition(":")[2].strip("/")
        return git_object(self.repo, raw, path)


@dataclass(frozen=True, slots=True)
class QueryRoot:
    def repository(
        self, ctx: Context, owner: str, name: str, follow_renames: bool = True
    ) -> RepositoryNode:
        repo = ctx.github.find_repo(owner, name)
        if repo is None or not ctx.caller.owns(repo.owner):
            raise not_found(f"Could not resolve to a Repository with the name '{owner}/{name}'.")
        return RepositoryNode(repo)

    def rate_limit(self, ctx: Context, dry_run: bool = False) -> dict[str, object]:
        bucket = ctx.bucket
        return {
            "cost": 1,
            "limit": bucket.limit,
            "node_count": 1,
            "remaining": bucket.remaining,
            "reset_at": iso(datetime.fromtimestamp(bucket.reset, UTC)),
            "used": bucket.used,
        }
