"""A pull request that may change the review config: which files it changes, the config its
head proposes, and the open pull requests the proposal is tried on.

Sans-I/O steps, as in gather.py and questions.py. The head's files are read only to be
validated and tried on other pull requests (bot/app/config_change.py), never to decide the
pull request that proposes them: its own gate reads the base branch (gather.pull_request).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from bot.config import CHECKLISTS_DIR, CONFIG_PATH
from bot.github.context import RepoRef
from bot.github.gather import MAX_FILES, base_branch_ref
from bot.github.questions import pull_path
from bot.github.steps import Steps, graphql, listing

# Open pull requests read to choose the most recently updated (GitHub's pages of 100).
MAX_OPEN_PULLS = 1000
# A config needs a handful of checklist files; more is refused rather than read.
MAX_CHECKLIST_FILES = 100


@dataclass(frozen=True, slots=True)
class ChangedPaths:
    """The files a pull request changes (a rename counts both names); `complete` False when
    GitHub's list stopped at MAX_FILES and the rest is unknown."""

    paths: frozenset[str]
    complete: bool


@dataclass(frozen=True, slots=True)
class Proposal:
    """The config files at a pull request's head, with what its base branch and the org say.

    `config_text` None: the head has no config file (the built-in defaults). `unreadable` names
    the files GitHub would not give whole (binary, or larger than it serves as text); a proposal
    with any is invalid."""

    state: str  # OPEN, CLOSED or MERGED
    head_sha: str
    base_branch: str
    base_config_text: str | None
    org_config_text: str | None
    config_text: str | None
    checklist_texts: tuple[tuple[str, str], ...]
    unreadable: tuple[str, ...] = ()
    checklist_files: int = 0


@dataclass(frozen=True, slots=True)
class OpenPull:
    number: int
    title: str
    head_sha: str


@dataclass(frozen=True, slots=True)
class OpenPulls:
    """Open pull requests into a branch, most recently updated first; `complete` False when
    there were more than MAX_OPEN_PULLS."""

    pulls: tuple[OpenPull, ...]
    complete: bool


def is_config_path(path: str) -> bool:
    """The review config or one of the repository's checklist files (the `.yml` files right
    in the checklists folder, as the gather reads them)."""
    if path == CONFIG_PATH:
        return True
    name = path.removeprefix(f"{CHECKLISTS_DIR}/")
    return name != path and "/" not in name and name.endswith(".yml")


CONFIG_OIDS_QUERY = """
query ConfigOids($owner: String!, $name: String!, $headConfig: String!,
                 $headChecklists: String!, $baseConfig: String!, $baseChecklists: String!) {
  repository(owner: $owner, name: $name) {
    headConfig: object(expression: $headConfig) { oid }
    headChecklists: object(expression: $headChecklists) { oid }
    baseConfig: object(expression: $baseConfig) { oid }
    baseChecklists: object(expression: $baseChecklists) { oid }
  }
}
"""


def config_differs(repo: RepoRef, head_sha: str, base_ref: str) -> Steps[bool]:
    """Whether the config file or the checklists folder at `head_sha` differ from the base
    branch's (their git object ids, in one query whatever the pull request's size). When they
    do not, merging the pull request leaves the config as it is; when they do, the pull request
    may have changed them, or may be behind a change on the base branch (changed_paths says)."""
    base = base_branch_ref(base_ref)
    data = yield from graphql(
        CONFIG_OIDS_QUERY,
        owner=repo.owner,
        name=repo.name,
        headConfig=f"{head_sha}:{CONFIG_PATH}",
        headChecklists=f"{head_sha}:{CHECKLISTS_DIR}",
        baseConfig=f"{base}:{CONFIG_PATH}",
        baseChecklists=f"{base}:{CHECKLISTS_DIR}",
    )
    found = data.get("repository") or {}

    def oid(alias: str) -> str | None:
        return (found.get(alias) or {}).get("oid")

    return oid("headConfig") != oid("baseConfig") or oid("headChecklists") != oid("baseChecklists")


def changed_paths(repo: RepoRef, number: int) -> Steps[ChangedPaths]:
    """The paths the pull request changes, from GitHub's file list (100 a page)."""
    items = yield from listing(f"{pull_path(repo, number)}/files", MAX_FILES)
    paths = {str(item["filename"]) for item in items}
    paths |= {str(item["previous_filename"]) for item in items if item.get("previous_filename")}
    return ChangedPaths(frozenset(paths), len(items) < MAX_FILES)


_BLOB = "... on Blob { text isBinary isTruncated }"

PROPOSAL_QUERY = f"""
query Proposal($owner: String!, $name: String!, $number: Int!, $baseConfig: String!,
               $config: String!, $checklists: String!, $orgConfig: String!) {{
  repository(owner: $owner, name: $name) {{
    pullRequest(number: $number) {{ state headRefOid baseRefName }}
    baseConfig: object(expression: $baseConfig) {{ ... on Blob {{ text }} }}
    config: object(expression: $config) {{ {_BLOB} }}
    checklists: object(expression: $checklists) {{
      ... on Tree {{ entries {{ name type object {{ {_BLOB} }} }} }}
    }}
  }}
  org: repository(owner: $owner, name: ".github") {{
    config: object(expression: $orgConfig) {{ ... on Blob {{ text }} }}
  }}
}}
"""


def _whole_text(blob: dict[str, Any] | None) -> str | None:
    blob = blob or {}
    if blob.get("isBinary") or blob.get("isTruncated"):
        return None
    text = blob.get("text")
    return None if text is None else str(text)


def proposal(repo: RepoRef, number: int, head_sha: str, base_ref: str) -> Steps[Proposal | None]:
    """The config files at `head_sha` (the head a push named) of the pull request, and the
    base branch's and the org's config; None when there is no such pull request."""
    data = yield from graphql(
        PROPOSAL_QUERY,
        owner=repo.owner,
        name=repo.name,
        number=number,
        baseConfig=f"{base_branch_ref(base_ref)}:{CONFIG_PATH}",
        config=f"{head_sha}:{CONFIG_PATH}",
        checklists=f"{head_sha}:{CHECKLISTS_DIR}",
        orgConfig=f"HEAD:{CONFIG_PATH}",
    )
    repository = data.get("repository") or {}
    pull = repository.get("pullRequest")
    if pull is None:
        return None
    unreadable = []
    config_blob = repository.get("config")
    config_text = _whole_text(config_blob)
    if config_blob is not None and config_text is None:
        unreadable.append(CONFIG_PATH)
    entries = [
        entry
        for entry in (repository.get("checklists") or {}).get("entries") or []
        if entry.get("type") == "blob" and str(entry.get("name", "")).endswith(".yml")
    ]
    checklists = []
    for entry in entries[:MAX_CHECKLIST_FILES]:
        path = f"{CHECKLISTS_DIR}/{entry['name']}"
        text = _whole_text(entry.get("object"))
        if text is None:
            unreadable.append(path)
        else:
            checklists.append((path, text))
    org = (data.get("org") or {}).get("config") or {}
    return Proposal(
        state=str(pull.get("state") or ""),
        head_sha=str(pull.get("headRefOid") or ""),
        base_branch=str(pull.get("baseRefName") or base_ref),
        base_config_text=(repository.get("baseConfig") or {}).get("text"),
        org_config_text=org.get("text"),
        config_text=config_text,
        checklist_texts=tuple(sorted(checklists)),
        unreadable=tuple(unreadable),
        checklist_files=len(entries),
    )


def open_pulls(repo: RepoRef, base_branch: str) -> Steps[OpenPulls]:
    """The open pull requests into `base_branch`, most recently updated first."""
    query = urlencode(
        {"state": "open", "base": base_branch, "sort": "updated", "direction": "desc"},
        quote_via=quote,
    )
    items = yield from listing(f"/repos/{repo.full_name}/pulls?{query}", MAX_OPEN_PULLS + 1)
    pulls = tuple(
        OpenPull(
            int(item["number"]),
            str(item.get("title") or ""),
            str((item.get("head") or {}).get("sha") or ""),
        )
        for item in items[:MAX_OPEN_PULLS]
    )
    return OpenPulls(pulls, len(items) <= MAX_OPEN_PULLS)
