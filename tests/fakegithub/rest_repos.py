"""Repository metadata, file contents, team memberships and collaborator permissions."""

from __future__ import annotations

import asyncio
import base64
from urllib.parse import quote

from aiohttp import web

from tests.fakegithub import shapes
from tests.fakegithub.diff import pull_diff
from tests.fakegithub.errors import not_found
from tests.fakegithub.gitdata import (
    GitObject,
    commit_info,
    commits_between,
    github_revision,
    merge_base,
    object_sizes,
    read_objects,
    resolve_commit,
    tree_entries,
)
from tests.fakegithub.models import Permission, RepoState, Team
from tests.fakegithub.routing import (
    Routes,
    caller_of,
    github_of,
    json_response,
    paged_response,
    repo_of,
    site_of,
)

routes = Routes()
METADATA = ("metadata", "read")
CONTENTS = ("contents", "read")
MEMBERS = ("members", "read")
DOCS_CONTENTS = "https://docs.github.com/rest/repos/contents#get-repository-content"
DOCS_MEMBERSHIP = "https://docs.github.com/rest/teams/members#get-team-membership-for-a-user"
# Larger files come back without content in the JSON form, as on GitHub.
MAX_INLINE_BYTES = 1024 * 1024
_LEGACY = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
}
_RANK = ("read", "triage", "write", "maintain", "admin")


@routes.get("/repos/{owner}/{repo}", METADATA)
async def get_repo(request: web.Request) -> web.Response:
    return json_response(shapes.repository(github_of(request), site_of(request), repo_of(request)))


def _content_base64(data: bytes) -> str:
    """Base64 in 60-character lines, each ending in a newline, as GitHub sends file content."""
    encoded = base64.b64encode(data).decode()
    return "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))


def _entry(
    site: shapes.Site, repo: RepoState, ref: str, path: str, kind: str, oid: str, size: int
) -> shapes.Json:
    api = f"{site.api}/repos/{repo.full_name}"
    url = f"{api}/contents/{quote(path)}?ref={quote(ref)}"
    git_url = f"{api}/git/{'trees' if kind == 'dir' else 'blobs'}/{oid}"
    html_url = f"{site.web}/{repo.full_name}/{'tree' if kind == 'dir' else 'blob'}/{ref}/{path}"
    return {
        "type": kind,
        "size": size,
        "name": path.rpartition("/")[2],
        "path": path,
        "sha": oid,
        "url": url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": None
        if kind == "dir"
        else f"https://raw.githubusercontent.com/{repo.full_name}/{ref}/{path}",
        "_links": {"self": url, "git": git_url, "html": html_url},
    }


def _file(site: shapes.Site, repo: RepoState, ref: str, path: str, blob: GitObject) -> shapes.Json:
    shown = _entry(site, repo, ref, path, "file", blob.oid, blob.size)
    inline = blob.size <= MAX_INLINE_BYTES
    shown["encoding"] = "base64" if inline else "none"
    shown["content"] = _content_base64(blob.data) if inline else ""
    return shown


def _directory(repo: RepoState, tree: GitObject) -> list[tuple[str, str, str, int]]:
    """(name, kind, oid, size) of each entry; one batch call sizes the blobs."""
    entries = tree_entries(tree)
    sizes = object_sizes(repo.path, [e.oid for e in entries if e.type == "blob"])
    kinds = {"tree": "dir", "commit": "submodule", "blob": "file"}
    return [(e.name, kinds[e.type], e.oid, sizes.get(e.oid, 0)) for e in entries]


@routes.get("/repos/{owner}/{repo}/contents", CONTENTS)
@routes.get("/repos/{owner}/{repo}/contents/{path:.*}", CONTENTS)
async def get_contents(request: web.Request) -> web.Response:
    repo, site = repo_of(request, DOCS_CONTENTS), site_of(request)
    path = request.match_info.get("path", "").strip("/")
    ref = request.query.get("ref") or repo.default_branch
    revision = github_revision(ref, repo.default_branch)
    [found] = await asyncio.to_thread(read_objects, repo.path, [f"{revision}:{path}"])
    if found is None or found.type not in ("blob", "tree"):
        raise not_found(DOCS_CONTENTS)
    if found.type == "tree":
        listing = await asyncio.to_thread(_directory, repo, found)
        prefix = f"{path}/" if path else ""
        return json_response(
            [
                _entry(site, repo, ref, prefix + name, kind, oid, size)
                for name, kind, oid, size in listing
            ]
        )
    if "vnd.github.raw" in request.headers.get("Accept", ""):
        return web.Response(
            body=found.data, headers={"Content-Type": "application/vnd.github.raw; charset=utf-8"}
        )
    return json_response(_file(site, repo, ref, path, found))


def _team(request: web.Request) -> Team:
    org, slug = request.match_info["org"], request.match_info["team_slug"]
    team = github_of(request).find_team(org, slug)
    if team is None or not caller_of(request).owns(org):
        raise not_found(DOCS_MEMBERSHIP)
    return team


@routes.get("/orgs/{org}/teams/{team_slug}/memberships/{username}", MEMBERS)
async def get_membership(request: web.Request) -> web.Response:
    team, site = _team(request), site_of(request)
    login = request.match_info["username"]
    member = team.members.get(login.casefold())
    if member is None:
        raise not_found(DOCS_MEMBERSHIP)
    return json_response(
        {
            "url": f"{site.api}/teams/{team.id}/memberships/{quote(login)}",
            "role": member.role,
            "state": member.state,
        }
    )


@routes.get("/orgs/{org}/teams/{team_slug}/members", MEMBERS)
async def list_members(request: web.Request) -> web.Response:
    github, team, site = github_of(request), _team(request), site_of(request)
    role = request.query.get("role", "all")
    logins = [
        github.account(login).login
        for login, member in team.members.items()
        if member.state == "active" and role in ("all", member.role)
    ]
    return paged_response(request, logins, lambda login: shapes.user(github, site, login))


def _permission_flags(role: Permission | None) -> dict[str, bool]:
    rank = -1 if role is None else _RANK.index(role)
    return {
        "admin": rank >= _RANK.index("admin"),
        "maintain": rank >= _RANK.index("maintain"),
        "push": rank >= _RANK.index("write"),
        "triage": rank >= _RANK.index("triage"),
        "pull": rank >= _RANK.index("read"),
    }


@routes.get("/repos/{owner}/{repo}/collaborators/{username}/permission", METADATA)
async def get_permission(request: web.Request) -> web.Response:
    """A collaborator's role; someone with no role on the repository gets "none"."""
    github, site, repo = github_of(request), site_of(request), repo_of(request)
    login = request.match_info["username"]
    role = repo.permissions.get(login.casefold())
    shown_user = {
        **shapes.user(github, site, login),
        "permissions": _permission_flags(role),
        "role_name": role or "none",
    }
    return json_response(
        {
            "permission": _LEGACY[role] if role else "none",
            "role_name": role or "none",
            "user": shown_user,
        }
    )


@routes.get("/repos/{owner}/{repo}/compare/{basehead}", CONTENTS)
async def compare(request: web.Request) -> web.Response:
    """GitHub's compare of BASE...HEAD: how far each is ahead of their merge-base, and the
    commits and files from that merge-base to HEAD."""
    github, repo, site = github_of(request), repo_of(request), site_of(request)
    basehead = request.match_info["basehead"]
    base, sep, head = basehead.partition("...")
    base_sha, head_sha = resolve_commit(repo.path, base), resolve_commit(repo.path, head)
    if not sep or base_sha is None or head_sha is None:
        raise not_found()
    since = merge_base(repo.path, base_sha, head_sha)
    if since is None:
        raise not_found()
    ahead = await asyncio.to_thread(commits_between, repo.path, since, head_sha)
    behind = await asyncio.to_thread(commits_between, repo.path, since, base_sha)
    diff = await asyncio.to_thread(pull_diff, repo.path, since, head_sha)
    base_info, since_info = [
        await asyncio.to_thread(commit_info, repo.path, sha) for sha in (base_sha, since)
    ]
    if base_info is None or since_info is None:
        raise not_found()
    status = {
        (False, False): "identical",
        (True, False): "ahead",
        (False, True): "behind",
        (True, True): "diverged",
    }[(bool(ahead), bool(behind))]
    api = f"{site.api}/repos/{repo.full_name}"
    html = f"{site.web}/{repo.full_name}/compare/{basehead}"
    return json_response(
        {
            "url": f"{api}/compare/{basehead}",
            "html_url": html,
            "permalink_url": f"{site.web}/{repo.full_name}/compare/{base_sha}...{head_sha}",
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "base_commit": shapes.commit(github, site, repo, base_info),
            "merge_base_commit": shapes.commit(github, site, repo, since_info),
            "status": status,
            "ahead_by": len(ahead),
            "behind_by": len(behind),
            "total_commits": len(ahead),
            "commits": [shapes.commit(github, site, repo, info) for info in ahead[:250]],
            "files": [shapes.pull_file(site, repo, head_sha, f) for f in diff.files[:300]],
        }
    )
