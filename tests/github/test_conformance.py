"""The checks against GitHub's published descriptions: they are installed, they refuse what
GitHub would refuse, and the fake GitHub holds to them.

Every request the bot sends to the fake during the whole suite, and every answer of the fake,
is checked by the fake_github fixture (tests/fakegithub/conformance.py); these tests show that
those checks can fail, and check what is not an exchange: the fake's GraphQL schema itself.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from gidgethub import BadRequest, QueryError
from graphql import build_schema

from bot.github.client import GitHubClient
from tests.conformance import graphql_description, rest_description, specs
from tests.fakegithub.fixtures import (  # noqa: F401  (registers the fixtures)
    fake_github_fixture,
    github_repo_fixture,
)
from tests.fakegithub.graphql_schema import schema as fake_schema
from tests.fakegithub.models import RepoState
from tests.fakegithub.state import FakeGitHub

HEAD_SHA = "a" * 40
JSON = {"content-type": "application/json; charset=utf-8"}


@pytest.fixture(name="rest")
def rest_fixture() -> rest_description.RestDescription:
    specs.require()
    return rest_description.load(specs.OPENAPI)


@pytest.fixture(name="graphql")
def graphql_fixture() -> graphql_description.GraphQLDescription:
    specs.require()
    return graphql_description.load(specs.GRAPHQL)


def _request(method: str, path: str, body: Any = None, **query: str) -> rest_description.Exchange:
    raw = b"" if body is None else json.dumps(body).encode()
    return rest_description.Exchange(method, path, query, JSON, raw)


def _answer(
    method: str, path: str, status: int, body: Any, request_body: Any = None
) -> rest_description.Exchange:
    raw = b"" if request_body is None else json.dumps(request_body).encode()
    return rest_description.Exchange(
        method, path, {}, JSON, raw, status, JSON, json.dumps(body).encode()
    )


def test_the_pinned_descriptions_are_installed() -> None:
    specs.require()

    assert specs.package_version("openapi") == _pinned("@octokit/openapi")
    assert specs.package_version("graphql-schema") == _pinned("@octokit/graphql-schema")
    assert specs.package_version("webhooks-examples") == _pinned("@octokit/webhooks-examples")


def _pinned(name: str) -> str:
    manifest = json.loads((specs.HERE / "package.json").read_text(encoding="utf-8"))
    return str(manifest["dependencies"][name])


def test_a_request_github_describes_passes(rest: rest_description.RestDescription) -> None:
    body = {"name": "ai-review", "head_sha": HEAD_SHA, "status": "in_progress"}

    verdict = rest.check_request(_request("POST", "/repos/acme/widgets/check-runs", body))

    assert verdict == rest_description.Verdict("checks/create", ())


def test_a_body_outside_the_request_schema_is_refused(
    rest: rest_description.RestDescription,
) -> None:
    body = {"head_sha": HEAD_SHA, "conclusion": "passed"}

    verdict = rest.check_request(_request("POST", "/repos/acme/widgets/check-runs", body))

    assert verdict.operation == "checks/create"
    [problem] = verdict.problems
    assert "$.conclusion: 'passed' is not one of" in problem
    assert "'name' is a required property" in problem


def test_a_path_or_method_github_does_not_describe_is_refused(
    rest: rest_description.RestDescription,
) -> None:
    unknown_path = rest.check_request(_request("GET", "/repos/acme/widgets/check-run/1"))
    unknown_method = rest.check_request(_request("DELETE", "/repos/acme/widgets/pulls/1"))

    assert unknown_path.operation is None
    assert unknown_path.problems == (
        "GET /repos/acme/widgets/check-run/1: GitHub describes no such operation",
    )
    assert unknown_method.operation is None


def test_a_path_parameter_of_the_wrong_type_is_refused(
    rest: rest_description.RestDescription,
) -> None:
    verdict = rest.check_request(_request("GET", "/repos/acme/widgets/pulls/one/files"))

    assert verdict.operation == "pulls/list-files"
    [problem] = verdict.problems
    assert problem.startswith("Path parameter error: pull_number")


def test_a_query_parameter_undeclared_or_of_the_wrong_type_is_refused(
    rest: rest_description.RestDescription,
) -> None:
    misspelt = rest.check_request(_request("GET", "/repos/acme/widgets/pulls/1/files", perpage="1"))
    not_a_number = rest.check_request(
        _request("GET", "/repos/acme/widgets/pulls/1/files", per_page="all")
    )

    assert misspelt.problems == (
        "query parameter 'perpage' is not one GitHub describes for pulls/list-files",
    )
    [problem] = not_a_number.problems
    assert problem.startswith("Query parameter error: per_page")


def test_a_file_path_spans_segments_where_github_says_so(
    rest: rest_description.RestDescription,
) -> None:
    verdict = rest.check_request(
        _request("GET", "/repos/acme/widgets/contents/.github/ai-review.yml", ref="main")
    )

    assert verdict == rest_description.Verdict("repos/get-content", ())


def test_a_path_parameter_named_with_a_hyphen_is_passed_on(
    rest: rest_description.RestDescription,
) -> None:
    verdict = rest.check_request(_request("GET", "/enterprises/acme/teams/architects/memberships"))

    assert verdict == rest_description.Verdict("enterprise-team-memberships/list", ())


def test_an_answer_missing_a_required_field_is_refused(
    rest: rest_description.RestDescription,
) -> None:
    answer = {"role": "member", "state": "active"}

    verdict = rest.check_response(
        _answer("GET", "/orgs/acme/teams/architects/memberships/alice", 200, answer)
    )

    assert verdict.problems == ("$: 'url' is a required property",)


def test_null_passes_where_github_marks_a_choice_nullable(
    rest: rest_description.RestDescription,
) -> None:
    reaction = {"id": 1, "node_id": "REA_1", "user": None, "content": "+1", "created_at": "x"}

    verdict = rest.check_response(
        _answer(
            "POST",
            "/repos/acme/widgets/issues/comments/1/reactions",
            201,
            reaction,
            {"content": "+1"},
        )
    )

    assert verdict.problems == ()


def test_an_error_github_does_not_list_must_still_be_its_error_shape(
    rest: rest_description.RestDescription,
) -> None:
    rate_limited = {"message": "API rate limit exceeded", "documentation_url": "https://x"}
    mangled = {"message": ["API rate limit exceeded"]}

    fine = rest.check_response(_answer("GET", "/app", 403, rate_limited))
    refused = rest.check_response(_answer("GET", "/app", 403, mangled))

    assert fine.problems == ()
    assert refused.problems == ("$.message: ['API rate limit exceeded'] is not of type 'string'",)


def test_a_success_github_does_not_list_is_refused(rest: rest_description.RestDescription) -> None:
    verdict = rest.check_response(_answer("GET", "/app", 202, {}))

    assert verdict.problems == ("GitHub describes no 202 answer for apps/get-authenticated",)


async def test_an_off_spec_request_from_the_bot_is_recorded_against_the_test(
    fake_github: FakeGitHub, github_repo: RepoState
) -> None:
    specs.require()
    fake_github.add_pull("acme/widgets", "main")

    async with _bot_client(fake_github) as client:
        await client.post("/repos/acme/widgets/issues/1/comments", data={"body": "fits"})
        with pytest.raises(BadRequest):
            await client.post("/repos/acme/widgets/issues/1/comments", data={"text": "no body"})

    [violation] = _take_violations(fake_github)
    assert violation.startswith(
        "the bot sent POST /repos/acme/widgets/issues/1/comments (issues/create-comment), "
        "which api.github.com.json does not allow: "
    )
    assert "'body' is a required property" in violation


async def test_an_off_spec_graphql_query_from_the_bot_is_recorded_against_the_test(
    fake_github: FakeGitHub, github_repo: RepoState
) -> None:
    specs.require()
    fits = 'query($name: String!) { repository(owner: "acme", name: $name) { nameWithOwner } }'

    async with _bot_client(fake_github) as client:
        await client.graphql(fits, endpoint=client.graphql_url, name="widgets")
        with pytest.raises(QueryError):
            await client.graphql(
                '{ repository(owner: "acme", name: "widgets") { stars } }',
                endpoint=client.graphql_url,
            )

    assert _take_violations(fake_github) == [
        "the bot's GraphQL query: Cannot query field 'stars' on type 'Repository'."
    ]


async def test_a_crash_in_the_checks_fails_the_test_and_the_bot_still_gets_its_answer(
    fake_github: FakeGitHub, github_repo: RepoState, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs.require()
    fake_github.add_pull("acme/widgets", "main")

    def broken(path: object) -> rest_description.RestDescription:
        raise RuntimeError("the description is unreadable")

    monkeypatch.setattr(rest_description, "load", broken)
    async with _bot_client(fake_github) as client:
        created = await client.post("/repos/acme/widgets/issues/1/comments", data={"body": "hi"})

    assert created["body"] == "hi"
    [violation] = _take_violations(fake_github)
    assert violation.startswith("checking POST /repos/acme/widgets/issues/1/comments crashed:")
    assert "RuntimeError: the description is unreadable" in violation


@contextlib.asynccontextmanager
async def _bot_client(github: FakeGitHub) -> AsyncIterator[GitHubClient]:
    """The bot's own GitHub client (its User-Agent included), with an installation token."""
    installation = github.installation_for("acme")
    assert installation is not None
    async with aiohttp.ClientSession() as session:
        yield GitHubClient(
            session,
            oauth_token=github.issue_token(installation.id).value,
            base_url=github.url,
            graphql_url=github.graphql_url,
        )


def _take_violations(github: FakeGitHub) -> list[str]:
    """The violations recorded so far, removed so that the fixture does not fail the test."""
    taken = list(github.spec_checks.violations)
    github.spec_checks.violations.clear()
    return taken


def test_a_query_with_a_field_github_does_not_have_is_refused(
    graphql: graphql_description.GraphQLDescription,
) -> None:
    problems = graphql.check_query('{ repository(owner: "a", name: "b") { stars } }')

    assert problems == ["Cannot query field 'stars' on type 'Repository'."]


def test_a_variable_of_the_wrong_type_is_refused(
    graphql: graphql_description.GraphQLDescription,
) -> None:
    query = (
        "query($owner: String!, $number: Int!) {"
        ' repository(owner: $owner, name: "b") { pullRequest(number: $number) { title } } }'
    )

    problems = graphql.check_query(query, {"owner": "a", "number": "seven"})

    [problem] = problems
    assert problem.startswith("Variable '$number' ")
    assert "'seven'" in problem


def test_the_fakes_graphql_schema_is_part_of_githubs(
    graphql: graphql_description.GraphQLDescription,
) -> None:
    assert graphql.subset_mismatches(fake_schema()) == []


def test_a_fake_schema_that_differs_from_githubs_is_caught(
    graphql: graphql_description.GraphQLDescription,
) -> None:
    drifted = build_schema(
        """
        type Query { repository(owner: String!, name: String!): Repository }
        type Repository { name: String stars: Int! }
        type Widget { id: ID! }
        """
    )

    assert graphql.subset_mismatches(drifted) == [
        "Repository.name: String here, String! on GitHub",
        "Repository.stars: GitHub has no such field",
        "type Widget: GitHub has no such type",
    ]
