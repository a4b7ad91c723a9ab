"""A subset of GitHub's public GraphQL schema: same type, field and argument names.

Only what the bot queries is here, so a query that validates against this schema also
validates on GitHub. Fields keep GitHub's nullability.
"""

from __future__ import annotations

import functools

from graphql import GraphQLSchema, build_schema

SDL = """
scalar DateTime
scalar GitObjectID
scalar GitTimestamp
scalar URI

type Query {
  repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
  rateLimit(dryRun: Boolean = false): RateLimit
}

type RateLimit {
  cost: Int!
  limit: Int!
  nodeCount: Int!
  remaining: Int!
  resetAt: DateTime!
  used: Int!
}

type PageInfo {
  endCursor: String
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
}

interface Node {
  id: ID!
}

interface Actor {
  login: String!
  avatarUrl(size: Int): URI!
  url: URI!
}

interface RepositoryOwner {
  id: ID!
  login: String!
  url: URI!
}

type User implements Node & Actor & RepositoryOwner {
  id: ID!
  databaseId: Int
  login: String!
  avatarUrl(size: Int): URI!
  url: URI!
}

type Bot implements Node & Actor {
  id: ID!
  databaseId: Int
  login: String!
  avatarUrl(size: Int): URI!
  url: URI!
}

type Organization implements Node & Actor & RepositoryOwner {
  id: ID!
  databaseId: Int
  login: String!
  avatarUrl(size: Int): URI!
  url: URI!
}

type Repository implements Node {
  id: ID!
  databaseId: Int
  name: String!
  nameWithOwner: String!
  owner: RepositoryOwner!
  isPrivate: Boolean!
  url: URI!
  defaultBranchRef: Ref
  pullRequest(number: Int!): PullRequest
  object(expression: String, oid: GitObjectID): GitObject
  mergeQueue(branch: String): MergeQueue
}

type MergeQueue implements Node {
  id: ID!
  entries(after: String, before: String, first: Int, last: Int): MergeQueueEntryConnection
  url: URI!
}

enum MergeQueueEntryState {
  AWAITING_CHECKS
  LOCKED
  MERGEABLE
  QUEUED
  UNMERGEABLE
}

type MergeQueueEntry implements Node {
  id: ID!
  position: Int!
  state: MergeQueueEntryState!
  enqueuedAt: DateTime!
  headCommit: Commit
  baseCommit: Commit
  pullRequest: PullRequest
}

type MergeQueueEntryEdge {
  cursor: String!
  node: MergeQueueEntry
}

type MergeQueueEntryConnection {
  edges: [MergeQueueEntryEdge]
  nodes: [MergeQueueEntry]
  pageInfo: PageInfo!
  totalCount: Int!
}

type Ref implements Node {
  id: ID!
  name: String!
  prefix: String!
  target: GitObject
}

enum PullRequestState {
  CLOSED
  MERGED
  OPEN
}

type PullRequest implements Node {
  id: ID!
  databaseId: Int
  number: Int!
  title: String!
  body: String!
  url: URI!
  state: PullRequestState!
  isDraft: Boolean!
  merged: Boolean!
  createdAt: DateTime!
  updatedAt: DateTime!
  author: Actor
  headRefName: String!
  baseRefName: String!
  headRefOid: GitObjectID!
  baseRefOid: GitObjectID!
  changedFiles: Int!
  additions: Int!
  deletions: Int!
  labels(first: Int, after: String, last: Int, before: String): LabelConnection
  commits(first: Int, after: String, last: Int, before: String): PullRequestCommitConnection!
  reviews(
    first: Int
    after: String
    last: Int
    before: String
    states: [PullRequestReviewState!]
    author: String
  ): PullRequestReviewConnection
  comments(first: Int, after: String, last: Int, before: String): IssueCommentConnection!
  timelineItems(
    first: Int
    after: String
    last: Int
    before: String
    itemTypes: [PullRequestTimelineItemsItemType!]
  ): PullRequestTimelineItemsConnection!
}

enum PullRequestTimelineItemsItemType {
  REVIEW_DISMISSED_EVENT
}

union PullRequestTimelineItems = ReviewDismissedEvent

type PullRequestTimelineItemsEdge {
  cursor: String!
  node: PullRequestTimelineItems
}

type PullRequestTimelineItemsConnection {
  edges: [PullRequestTimelineItemsEdge]
  nodes: [PullRequestTimelineItems]
  pageInfo: PageInfo!
  totalCount: Int!
}

type ReviewDismissedEvent implements Node {
  id: ID!
  databaseId: Int
  actor: Actor
  createdAt: DateTime!
  dismissalMessage: String
  previousReviewState: PullRequestReviewState!
  pullRequest: PullRequest!
  review: PullRequestReview
  url: URI!
}

type Label implements Node {
  id: ID!
  name: String!
  color: String!
  description: String
}

type LabelEdge {
  cursor: String!
  node: Label
}

type LabelConnection {
  edges: [LabelEdge]
  nodes: [Label]
  pageInfo: PageInfo!
  totalCount: Int!
}

type PullRequestCommit implements Node {
  id: ID!
  commit: Commit!
  url: URI!
}

type PullRequestCommitEdge {
  cursor: String!
  node: PullRequestCommit
}

type PullRequestCommitConnection {
  edges: [PullRequestCommitEdge]
  nodes: [PullRequestCommit]
  pageInfo: PageInfo!
  totalCount: Int!
}

enum PullRequestReviewState {
  APPROVED
  CHANGES_REQUESTED
  COMMENTED
  DISMISSED
  PENDING
}

type PullRequestReview implements Node {
  id: ID!
  databaseId: Int
  author: Actor
  body: String!
  state: PullRequestReviewState!
  submittedAt: DateTime
  createdAt: DateTime!
  commit: Commit
  url: URI!
}

type PullRequestReviewEdge {
  cursor: String!
  node: PullRequestReview
}

type PullRequestReviewConnection {
  edges: [PullRequestReviewEdge]
  nodes: [PullRequestReview]
  pageInfo: PageInfo!
  totalCount: Int!
}

type IssueComment implements Node {
  id: ID!
  databaseId: Int
  author: Actor
  body: String!
  createdAt: DateTime!
  updatedAt: DateTime!
  url: URI!
}

type IssueCommentEdge {
  cursor: String!
  node: IssueComment
}

type IssueCommentConnection {
  edges: [IssueCommentEdge]
  nodes: [IssueComment]
  pageInfo: PageInfo!
  totalCount: Int!
}

interface GitObject {
  id: ID!
  oid: GitObjectID!
  abbreviatedOid: String!
}

type Blob implements Node & GitObject {
  id: ID!
  oid: GitObjectID!
  abbreviatedOid: String!
  byteSize: Int!
  isBinary: Boolean
  isTruncated: Boolean!
  text: String
}

type Tree implements Node & GitObject {
  id: ID!
  oid: GitObjectID!
  abbreviatedOid: String!
  entries: [TreeEntry!]
}

type TreeEntry {
  name: String!
  path: String
  type: String!
  mode: Int!
  oid: GitObjectID!
  object: GitObject
  extension: String
}

type Commit implements Node & GitObject {
  id: ID!
  oid: GitObjectID!
  abbreviatedOid: String!
  message: String!
  messageHeadline: String!
  messageBody: String!
  additions: Int!
  deletions: Int!
  authoredDate: DateTime!
  committedDate: DateTime!
  author: GitActor
  committer: GitActor
  parents(first: Int, after: String, last: Int, before: String): CommitConnection!
  signature: GitSignature
  tree: Tree!
  url: URI!
}

type CommitEdge {
  cursor: String!
  node: Commit
}

type CommitConnection {
  edges: [CommitEdge]
  nodes: [Commit]
  pageInfo: PageInfo!
  totalCount: Int!
}

type GitActor {
  name: String
  email: String
  date: GitTimestamp
  user: User
}

enum GitSignatureState {
  VALID
  INVALID
  UNSIGNED
}

interface GitSignature {
  email: String!
  isValid: Boolean!
  payload: String!
  signature: String!
  signer: User
  state: GitSignatureState!
  wasSignedByGitHub: Boolean!
}

type GpgSignature implements GitSignature {
  email: String!
  isValid: Boolean!
  keyId: String
  payload: String!
  signature: String!
  signer: User
  state: GitSignatureState!
  wasSignedByGitHub: Boolean!
}
"""


@functools.cache
def schema() -> GraphQLSchema:
    return build_schema(SDL)
