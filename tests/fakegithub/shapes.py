"""GitHub's REST JSON shapes, built from the fake's records (also used in webhook payloads).

Field names and nesting follow GitHub's REST API; URLs point at the fake's API root (`Site.api`)
and at github.com-style web pages (`Site.web`).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from tests.fakegithub.diff import FileChange
from tests.fakegithub.gitdata import CommitInfo, GitPerson
from tests.fakegithub.models import (
    CheckRun,
    CheckSuite,
    Installation,
    IssueComment,
    PullRequest,
    RepoState,
    Review,
    Team,
    iso,
)
from tests.fakegithub.state import FakeGitHub
from tests.fakegithub.views import PullRefs, PullView

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Site:
    api: str
    web: str


def node_id(prefix: str, number: int | str) -> str:
    return f"{prefix}_{base64.b64encode(str(number).encode()).decode().rstrip('=')}"


def user(github: FakeGitHub, site: Site, login: str) -> Json:
    account = github.account(login)
    html = f"{site.web}/apps/{github.app_slug}" if account.type == "Bot" else f"{site.web}/{login}"
    api = f"{site.api}/users/{quote(account.login)}"
    return {
        "login": account.login,
        "id": account.id,
        "node_id": node_id("U", account.id),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{account.id}?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": html,
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": account.type,
        "site_admin": False,
    }


# URL templates GitHub lists in every repository object, as (key, path after the repo's URL).
_REPO_URLS = (
    ("archive_url", "/{archive_format}{/ref}"),
    ("assignees_url", "/assignees{/user}"),
    ("blobs_url", "/git/blobs{/sha}"),
    ("branches_url", "/branches{/branch}"),
    ("collaborators_url", "/collaborators{/collaborator}"),
    ("comments_url", "/comments{/number}"),
    ("commits_url", "/commits{/sha}"),
    ("compare_url", "/compare/{base}...{head}"),
    ("contents_url", "/contents/{+path}"),
    ("contributors_url", "/contributors"),
    ("deployments_url", "/deployments"),
    ("downloads_url", "/downloads"),
    ("events_url", "/events"),
    ("forks_url", "/forks"),
    ("git_commits_url", "/git/commits{/sha}"),
    ("git_refs_url", "/git/refs{/sha}"),
    ("git_tags_url", "/git/tags{/sha}"),
    ("hooks_url", "/hooks"),
    ("issue_comment_url", "/issues/comments{/number}"),
    ("issue_events_url", "/issues/events{/number}"),
    ("issues_url", "/issues{/number}"),
    ("keys_url", "/keys{/key_id}"),
    ("labels_url", "/labels{/name}"),
    ("languages_url", "/languages"),
    ("merges_url", "/merges"),
    ("milestones_url", "/milestones{/number}"),
    ("notifications_url", "/notifications{?since,all,participating}"),
    ("pulls_url", "/pulls{/number}"),
    ("releases_url", "/releases{/id}"),
    ("stargazers_url", "/stargazers"),
    ("statuses_url", "/statuses/{sha}"),
    ("subscribers_url", "/subscribers"),
    ("subscription_url", "/subscription"),
    ("tags_url", "/tags"),
    ("teams_url", "/teams"),
    ("trees_url", "/git/trees{/sha}"),
)


def repository(github: FakeGitHub, site: Site, repo: RepoState) -> Json:
    """GitHub's full repository object (GET /repos/{owner}/{repo}; webhooks carry it too)."""
    api = f"{site.api}/repos/{repo.full_name}"
    html = f"{site.web}/{repo.full_name}"
    host = site.web.split("://", 1)[-1]
    created = iso(repo.created_at)
    open_issues = sum(1 for pull in repo.pulls.values() if pull.state == "open")
    return {
        "id": repo.id,
        "node_id": node_id("R", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "private": repo.private,
        "owner": user(github, site, repo.owner),
        "html_url": html,
        "description": None,
        "fork": False,
        "url": api,
        **{key: api + path for key, path in _REPO_URLS},
        "git_url": f"git://{host}/{repo.full_name}.git",
        "ssh_url": f"git@{host}:{repo.full_name}.git",
        "clone_url": f"{html}.git",
        "svn_url": html,
        "mirror_url": None,
        "homepage": None,
        "language": None,
        "size": 0,
        "default_branch": repo.default_branch,
        "visibility": "private" if repo.private else "public",
        "forks": 0,
        "forks_count": 0,
        "network_count": 0,
        "open_issues": open_issues,
        "open_issues_count": open_issues,
        "stargazers_count": 0,
        "subscribers_count": 0,
        "watchers": 0,
        "watchers_count": 0,
        "has_issues": True,
        "has_projects": False,
        "has_wiki": False,
        "has_pages": False,
        "has_downloads": False,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "license": None,
        "topics": [],
        "created_at": created,
        "updated_at": created,
        "pushed_at": created,
    }


def label(site: Site, repo: RepoState, name: str) -> Json:
    """A label as GitHub shows it: the repository's own when it has one by that name."""
    known = repo.labels.get(name.casefold())
    label_id = (
        known.id
        if known is not None
        else int.from_bytes(hashlib.sha256(f"{repo.id}:{name}".encode()).digest()[:4])
    )
    return {
        "id": label_id,
        "node_id": node_id("LA", label_id),
        "url": f"{site.api}/repos/{repo.full_name}/labels/{quote(name, safe='')}",
        "name": known.name if known is not None else name,
        "color": known.color if known is not None else "ededed",
        "default": False,
        # Nullable in the full pull request, a string in the simple one (lists): "" fits both.
        "description": (known.description if known is not None else None) or "",
    }


def team(site: Site, found: Team) -> Json:
    """A team as GitHub lists it (team-simple, with the `parent` the full team has)."""
    api = f"{site.api}/organizations/{found.org}/team/{found.id}"
    return {
        "id": found.id,
        "node_id": node_id("T", found.id),
        "url": api,
        "members_url": f"{api}/members{{/member}}",
        "name": found.slug,
        "description": None,
        "permission": "pull",
        "privacy": "closed",
        "html_url": f"{site.web}/orgs/{found.org}/teams/{found.slug}",
        "repositories_url": f"{api}/repos",
        "slug": found.slug,
        "type": "organization",
        "parent": None,
    }


def _branch(
    github: FakeGitHub, site: Site, repo: RepoState, ref: str, sha: str, owner_repo: str | None
) -> Json:
    owner = (owner_repo or repo.full_name).partition("/")[0]
    shown = repository(github, site, repo)
    if owner_repo is not None and owner_repo != repo.full_name:
        fork_owner, _, fork_name = owner_repo.partition("/")
        # The fork's URLs are the base repository's with the fork's name in them.
        moved = {
            key: value.replace(f"/{repo.full_name}", f"/{owner_repo}")
            for key, value in shown.items()
            if isinstance(value, str) and f"/{repo.full_name}" in value
        }
        shown = {
            **shown,
            **moved,
            "name": fork_name,
            "full_name": owner_repo,
            "owner": user(github, site, fork_owner),
            "fork": True,
        }
    return {
        "label": f"{owner}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": user(github, site, owner),
        "repo": shown,
    }


def pull_request(
    github: FakeGitHub, site: Site, repo: RepoState, pull: PullRequest, view: PullView
) -> Json:
    api = f"{site.api}/repos/{repo.full_name}"
    html = f"{site.web}/{repo.full_name}/pull/{pull.number}"
    comment_count = len(github.comments(repo.full_name, pull.number))
    links = {
        "self": f"{api}/pulls/{pull.number}",
        "html": html,
        "issue": f"{api}/issues/{pull.number}",
        "comments": f"{api}/issues/{pull.number}/comments",
        "review_comments": f"{api}/pulls/{pull.number}/comments",
        "review_comment": f"{api}/pulls/comments{{/number}}",
        "commits": f"{api}/pulls/{pull.number}/commits",
        "statuses": f"{api}/statuses/{view.refs.head_sha}",
    }
    return {
        "url": links["self"],
        "id": pull.id,
        "node_id": node_id("PR", pull.id),
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": links["issue"],
        "commits_url": links["commits"],
        "review_comments_url": links["review_comments"],
        "review_comment_url": links["review_comment"],
        "comments_url": links["comments"],
        "statuses_url": links["statuses"],
        "number": pull.number,
        "state": pull.state,
        "locked": False,
        "title": pull.title,
        "user": user(github, site, pull.author),
        "body": pull.body or None,
        "labels": [label(site, repo, name) for name in pull.labels],
        "milestone": None,
        "created_at": iso(pull.created_at),
        "updated_at": iso(pull.updated_at),
        "closed_at": None if pull.state == "open" else iso(pull.updated_at),
        "merged_at": iso(pull.updated_at) if pull.merged else None,
        "merge_commit_sha": None,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [user(github, site, login) for login in pull.requested_reviewers],
        "requested_teams": [
            team(site, found)
            for slug in pull.requested_teams
            if (found := github.find_team(repo.owner, slug)) is not None
        ],
        "head": _branch(github, site, repo, pull.head_ref, view.refs.head_sha, pull.head_repo),
        "base": _branch(github, site, repo, pull.base_ref, view.refs.base_sha, None),
        "author_association": "MEMBER",
        "auto_merge": None,
        "draft": pull.draft,
        "merged": pull.merged,
        "mergeable": None,
        "rebaseable": None,
        "mergeable_state": "unknown",
        "merged_by": None,
        "comments": comment_count,
        "review_comments": 0,
        "maintainer_can_modify": False,
        "commits": len(view.commits),
        "additions": view.diff.additions,
        "deletions": view.diff.deletions,
        "changed_files": len(view.diff.files),
        "_links": {name: {"href": href} for name, href in links.items()},
    }


def review(
    github: FakeGitHub, site: Site, repo: RepoState, pull: PullRequest, found: Review
) -> Json:
    html = f"{site.web}/{repo.full_name}/pull/{pull.number}"
    return {
        "id": found.id,
        "node_id": node_id("PRR", found.id),
        "user": user(github, site, found.login),
        "body": found.body,
        "state": found.state,
        "html_url": f"{html}#pullrequestreview-{found.id}",
        "pull_request_url": f"{site.api}/repos/{repo.full_name}/pulls/{pull.number}",
        "author_association": "MEMBER",
        "submitted_at": iso(found.submitted_at),
        "commit_id": found.commit_id,
        "_links": {
            "html": {"href": f"{html}#pullrequestreview-{found.id}"},
            "pull_request": {"href": f"{site.api}/repos/{repo.full_name}/pulls/{pull.number}"},
        },
    }


def _reaction_counts(comment: IssueComment, url: str) -> Json:
    counts: Json = {
        "url": url,
        "total_count": len(comment.reactions),
        "+1": 0, "-1": 0, "laugh": 0, "hooray": 0,
        "confused": 0, "heart": 0, "rocket": 0, "eyes": 0,
    }  # fmt: skip
    for _login, content in comment.reactions:
        counts[content] += 1
    return counts


def comment(github: FakeGitHub, site: Site, repo: RepoState, found: IssueComment) -> Json:
    api = f"{site.api}/repos/{repo.full_name}"
    url = f"{api}/issues/comments/{found.id}"
    kind = "pull" if found.issue_number in repo.pulls else "issues"
    return {
        "id": found.id,
        "node_id": node_id("IC", found.id),
        "url": url,
        "html_url": f"{site.web}/{repo.full_name}/{kind}/{found.issue_number}"
        f"#issuecomment-{found.id}",
        "body": found.body,
        "user": user(github, site, found.login),
        "created_at": iso(found.created_at),
        "updated_at": iso(found.updated_at),
        "issue_url": f"{api}/issues/{found.issue_number}",
        "author_association": "NONE" if found.login == github.bot_login else "MEMBER",
        "performed_via_github_app": app(github, site) if found.login == github.bot_login else None,
        "reactions": _reaction_counts(found, f"{url}/reactions"),
    }


def app(github: FakeGitHub, site: Site) -> Json:
    return {
        "id": github.app_id,
        "slug": github.app_slug,
        "node_id": node_id("A", github.app_id),
        "owner": user(github, site, github.app_owner),
        "name": github.app_name,
        "description": "",
        "external_url": f"{site.web}/apps/{github.app_slug}",
        "html_url": f"{site.web}/apps/{github.app_slug}",
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "permissions": {},
        "events": [
            "check_run", "check_suite", "issue_comment", "pull_request",
            "pull_request_review", "installation",
        ],
    }  # fmt: skip


def installation(github: FakeGitHub, site: Site, found: Installation) -> Json:
    account = github.account(found.account)
    return {
        "id": found.id,
        "account": user(github, site, account.login),
        "repository_selection": "all",
        "access_tokens_url": f"{site.api}/app/installations/{found.id}/access_tokens",
        "repositories_url": f"{site.api}/installation/repositories",
        "html_url": f"{site.web}/organizations/{account.login}/settings/installations/{found.id}",
        "app_id": github.app_id,
        "app_slug": github.app_slug,
        "target_id": account.id,
        "target_type": account.type,
        "permissions": dict(found.permissions),
        "events": app(github, site)["events"],
        "created_at": iso(found.created_at),
        "updated_at": iso(found.created_at),
        "single_file_name": None,
        "suspended_at": iso(found.created_at) if found.suspended else None,
        "suspended_by": None,
    }


def _git_person(person: GitPerson) -> Json:
    return {"name": person.name, "email": person.email, "date": iso(person.date)}


def commit(github: FakeGitHub, site: Site, repo: RepoState, info: CommitInfo) -> Json:
    api = f"{site.api}/repos/{repo.full_name}"
    author_login = github.user_for_email(info.author.email)
    committer_login = github.user_for_email(info.committer.email)
    verified = github.signer_of(info.sha) is not None
    return {
        "sha": info.sha,
        "node_id": node_id("C", info.sha),
        "commit": {
            "author": _git_person(info.author),
            "committer": _git_person(info.committer),
            "message": info.message,
            "tree": {"sha": info.tree, "url": f"{api}/git/trees/{info.tree}"},
            "url": f"{api}/git/commits/{info.sha}",
            "comment_count": 0,
            "verification": {
                "verified": verified,
                "reason": "valid" if verified else "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": _git_person(info.committer)["date"] if verified else None,
            },
        },
        "url": f"{api}/commits/{info.sha}",
        "html_url": f"{site.web}/{repo.full_name}/commit/{info.sha}",
        "comments_url": f"{api}/commits/{info.sha}/comments",
        "author": user(github, site, author_login) if author_login else None,
        "committer": user(github, site, committer_login) if committer_login else None,
        "parents": [
            {
                "sha": parent,
                "url": f"{api}/commits/{parent}",
                "html_url": f"{site.web}/{repo.full_name}/commit/{parent}",
            }
            for parent in info.parents
        ],
    }


def pull_file(site: Site, repo: RepoState, head_sha: str, change: FileChange) -> Json:
    path = quote(change.filename)
    shown: Json = {
        "sha": change.sha,
        "filename": change.filename,
        "status": change.status,
        "additions": change.additions,
        "deletions": change.deletions,
        "changes": change.additions + change.deletions,
        "blob_url": f"{site.web}/{repo.full_name}/blob/{head_sha}/{path}",
        "raw_url": f"{site.web}/{repo.full_name}/raw/{head_sha}/{path}",
        "contents_url": f"{site.api}/repos/{repo.full_name}/contents/{path}?ref={head_sha}",
    }
    if change.patch is not None:
        shown["patch"] = change.patch
    if change.previous_filename is not None:
        shown["previous_filename"] = change.previous_filename
    return shown


def _pull_summary(site: Site, repo: RepoState, pull: PullRequest, refs: PullRefs) -> Json:
    api = f"{site.api}/repos/{repo.full_name}"
    repo_ref = {"id": repo.id, "url": api, "name": repo.name}
    return {
        "url": f"{api}/pulls/{pull.number}",
        "id": pull.id,
        "number": pull.number,
        "head": {"ref": pull.head_ref, "sha": refs.head_sha, "repo": repo_ref},
        "base": {"ref": pull.base_ref, "sha": refs.base_sha, "repo": repo_ref},
    }


def check_suite(
    github: FakeGitHub,
    site: Site,
    repo: RepoState,
    suite: CheckSuite,
    pulls: list[tuple[PullRequest, PullRefs]],
) -> Json:
    runs = [r for r in repo.check_runs.values() if r.suite_id == suite.id]
    done = bool(runs) and all(r.status == "completed" for r in runs)
    status = "completed" if done else ("in_progress" if runs else "queued")
    return {
        "id": suite.id,
        "node_id": node_id("CS", suite.id),
        "head_branch": suite.head_branch,
        "head_sha": suite.head_sha,
        "status": status,
        "conclusion": _suite_conclusion(runs) if done else None,
        "url": f"{site.api}/repos/{repo.full_name}/check-suites/{suite.id}",
        "before": None,
        "after": suite.head_sha,
        "pull_requests": [_pull_summary(site, repo, p, refs) for p, refs in pulls],
        "app": app(github, site),
        "created_at": iso(suite.created_at),
        "updated_at": iso(suite.created_at),
        "latest_check_runs_count": len(runs),
        "check_runs_url": f"{site.api}/repos/{repo.full_name}/check-suites/{suite.id}/check-runs",
    }


_CONCLUSION_ORDER = (
    "action_required", "cancelled", "timed_out", "failure", "neutral", "skipped", "stale",
    "success",
)  # fmt: skip


def _suite_conclusion(runs: list[CheckRun]) -> str | None:
    conclusions = {r.conclusion for r in runs}
    return next((c for c in _CONCLUSION_ORDER if c in conclusions), None)


def check_run(
    github: FakeGitHub,
    site: Site,
    repo: RepoState,
    run: CheckRun,
    pulls: list[tuple[PullRequest, PullRefs]],
) -> Json:
    api = f"{site.api}/repos/{repo.full_name}"
    suite = next(s for s in repo.check_suites.values() if s.id == run.suite_id)
    return {
        "id": run.id,
        "head_sha": run.head_sha,
        "node_id": node_id("CR", run.id),
        "external_id": run.external_id or "",
        "url": f"{api}/check-runs/{run.id}",
        "html_url": f"{site.web}/{repo.full_name}/runs/{run.id}",
        "details_url": run.details_url or f"{site.web}/apps/{github.app_slug}",
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": iso(run.started_at) if run.started_at else None,
        "completed_at": iso(run.completed_at) if run.completed_at else None,
        "output": {
            "title": run.title,
            "summary": run.summary,
            "text": run.text,
            "annotations_count": len(run.annotations),
            "annotations_url": f"{api}/check-runs/{run.id}/annotations",
        },
        "name": run.name,
        "check_suite": check_suite(github, site, repo, suite, pulls),
        "app": app(github, site),
        "pull_requests": [_pull_summary(site, repo, p, refs) for p, refs in pulls],
    }


def issue(github: FakeGitHub, site: Site, repo: RepoState, pull: PullRequest) -> Json:
    """A pull request seen as an issue (issue_comment payloads carry this)."""
    api = f"{site.api}/repos/{repo.full_name}"
    html = f"{site.web}/{repo.full_name}/pull/{pull.number}"
    return {
        "url": f"{api}/issues/{pull.number}",
        "repository_url": api,
        "comments_url": f"{api}/issues/{pull.number}/comments",
        "html_url": html,
        "id": pull.id,
        "node_id": node_id("PR", pull.id),
        "number": pull.number,
        "title": pull.title,
        "user": user(github, site, pull.author),
        "labels": [label(site, repo, name) for name in pull.labels],
        "state": pull.state,
        "locked": False,
        "assignee": None,
        "assignees": [],
        "comments": len(github.comments(repo.full_name, pull.number)),
        "created_at": iso(pull.created_at),
        "updated_at": iso(pull.updated_at),
        "closed_at": None if pull.state == "open" else iso(pull.updated_at),
        "author_association": "MEMBER",
        "draft": pull.draft,
        "body": pull.body or None,
        "pull_request": {
            "url": f"{api}/pulls/{pull.number}",
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "merged_at": iso(pull.updated_at) if pull.merged else None,
        },
    }
