"""Endpoints `ai-review-bot preview` reads besides the App's: a team by its slug.

Preview asks it to tell "not a member" from "this token cannot see the team", which GitHub
answers alike (404) on the membership endpoint.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from tests.fakegithub import shapes
from tests.fakegithub.errors import not_found
from tests.fakegithub.models import iso
from tests.fakegithub.routing import Routes, caller_of, github_of, json_response, site_of

routes = Routes()
MEMBERS = ("members", "read")
DOCS_TEAM = "https://docs.github.com/rest/teams/teams#get-a-team-by-name"


@routes.get("/orgs/{org}/teams/{team_slug}", MEMBERS)
async def get_team(request: web.Request) -> web.Response:
    github, site = github_of(request), site_of(request)
    org, slug = request.match_info["org"], request.match_info["team_slug"]
    team = github.find_team(org, slug)
    if team is None or not caller_of(request).owns(org):
        raise not_found(DOCS_TEAM)
    account = github.account(team.org, "Organization")
    org_api = f"{site.api}/orgs/{quote(account.login)}"
    team_api = f"{site.api}/organizations/{account.id}/team/{team.id}"
    now = iso(github.now())
    organization = {
        "login": account.login,
        "id": account.id,
        "node_id": shapes.node_id("O", account.id),
        "url": org_api,
        "repos_url": f"{org_api}/repos",
        "events_url": f"{org_api}/events",
        "hooks_url": f"{org_api}/hooks",
        "issues_url": f"{org_api}/issues",
        "members_url": f"{org_api}/members{{/member}}",
        "public_members_url": f"{org_api}/public_members{{/member}}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{account.id}?v=4",
        "description": None,
        "html_url": f"{site.web}/{quote(account.login)}",
        "has_organization_projects": True,
        "has_repository_projects": True,
        "public_repos": 0,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "type": "Organization",
        "created_at": now,
        "updated_at": now,
        "archived_at": None,
    }
    return json_response(
        {
            "id": team.id,
            "node_id": shapes.node_id("T", team.id),
            "url": team_api,
            "html_url": f"{site.web}/orgs/{quote(account.login)}/teams/{quote(team.slug)}",
            "name": team.slug,
            "slug": team.slug,
            "description": None,
            "privacy": "closed",
            "notification_setting": "notifications_enabled",
            "permission": "pull",
            "members_url": f"{team_api}/members{{/member}}",
            "repositories_url": f"{team_api}/repos",
            "parent": None,
            "members_count": sum(m.state == "active" for m in team.members.values()),
            "repos_count": 0,
            "created_at": now,
            "updated_at": now,
            "organization": organization,
            "type": "organization",
        }
    )
