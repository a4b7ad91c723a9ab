"""A branch and the rules that apply to it: what an App without the administration permission
can read about what a branch requires ("Get a branch" with contents, "Get rules for a branch"
with metadata)."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from aiohttp import web

from tests.fakegithub import shapes
from tests.fakegithub.errors import GitHubError
from tests.fakegithub.gitdata import branch_tip, commit_info
from tests.fakegithub.merge_queue import rulesets_for
from tests.fakegithub.routing import (
    Routes,
    github_of,
    json_response,
    paged_response,
    repo_of,
    site_of,
)

routes = Routes()
DOCS_BRANCH = "https://docs.github.com/rest/branches/branches#get-a-branch"


@routes.get("/repos/{owner}/{repo}/branches/{branch:.+}", ("contents", "read"))
async def get_branch(request: web.Request) -> web.Response:
    """The branch, with the summary of its protection GitHub shows anyone who can read it."""
    github, site, repo = github_of(request), site_of(request), repo_of(request, DOCS_BRANCH)
    name = request.match_info["branch"]
    sha = branch_tip(repo.path, name)
    info = None if sha is None else await asyncio.to_thread(commit_info, repo.path, sha)
    if info is None:
        raise GitHubError(404, "Branch not found", documentation_url=DOCS_BRANCH)
    required = repo.protections.get(name, [])
    api = f"{site.api}/repos/{repo.full_name}/branches/{quote(name)}"
    checks = {
        "enforcement_level": "non_admins" if required else "off",
        "contexts": [check.context for check in required],
        "checks": [{"context": check.context, "app_id": check.app_id} for check in required],
    }
    return json_response(
        {
            "name": name,
            "commit": shapes.commit(github, site, repo, info),
            "_links": {"self": api, "html": f"{site.web}/{repo.full_name}/tree/{name}"},
            "protected": bool(required),
            "protection": {"enabled": bool(required), "required_status_checks": checks},
            "protection_url": f"{api}/protection",
        }
    )


@routes.get("/repos/{owner}/{repo}/rules/branches/{branch:.+}", ("metadata", "read"))
async def get_branch_rules(request: web.Request) -> web.Response:
    """The rules of every active ruleset that targets the branch (whether or not it exists)."""
    repo = repo_of(request)
    name = request.match_info["branch"]
    rules = []
    for index in rulesets_for(repo, name):
        ruleset = repo.rulesets[index]
        source = {
            "ruleset_source_type": "Repository",
            "ruleset_source": repo.full_name,
            "ruleset_id": ruleset.id,
        }
        if ruleset.checks:
            checks = [
                {"context": check.context}
                if check.app_id is None
                else {"context": check.context, "integration_id": check.app_id}
                for check in ruleset.checks
            ]
            parameters = {
                "strict_required_status_checks_policy": False,
                "required_status_checks": checks,
            }
            rules.append({"type": "required_status_checks", "parameters": parameters, **source})
        if ruleset.merge_queue:
            rules.append({"type": "merge_queue", "parameters": _QUEUE, **source})
    return paged_response(request, rules, lambda rule: rule)


_QUEUE = {
    "check_response_timeout_minutes": 60,
    "grouping_strategy": "ALLGREEN",
    "max_entries_to_build": 5,
    "max_entries_to_merge": 5,
    "merge_method": "MERGE",
    "min_entries_to_merge": 1,
    "min_entries_to_merge_wait_minutes": 5,
}
