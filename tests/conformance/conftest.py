"""The closing line of a test run: what was checked against GitHub's published descriptions."""

from __future__ import annotations

import pytest

from tests.conformance import graphql_description, rest_description, specs, webhook_examples


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    rest = list(rest_description.LOADED.values())
    graphql = list(graphql_description.LOADED.values())
    if not rest and not graphql:
        return
    requests = sum(sum(d.requests.values()) for d in rest)
    responses = sum(sum(d.responses.values()) for d in rest)
    operations = sorted({operation for d in rest for operation in d.requests})
    bot_operations = sorted({operation for d in rest for operation in d.bot_requests})
    bot_requests = sum(sum(d.bot_requests.values()) for d in rest)
    queries = sum(d.queries for d in graphql)
    seconds = sum(d.seconds for d in rest) + sum(d.seconds for d in graphql)
    graphql_operations = sorted({name for d in graphql for name in d.operations})
    terminalreporter.write_sep("-", "conformance with GitHub's published descriptions")
    terminalreporter.write_line(
        f"REST (@octokit/openapi {specs.package_version('openapi')}): {requests} requests and "
        f"{responses} answers, {len(operations)} operations; from the bot {bot_requests} "
        f"requests, {len(bot_operations)} operations: {', '.join(bot_operations)}"
    )
    terminalreporter.write_line(
        f"GraphQL (@octokit/graphql-schema {specs.package_version('graphql-schema')}): "
        f"{queries} queries, operations {', '.join(graphql_operations)}"
    )
    terminalreporter.write_line(
        f"webhooks (@octokit/webhooks-examples {specs.package_version('webhooks-examples')}): "
        f"{len(webhook_examples.examples())} examples"
    )
    terminalreporter.write_line(f"loading and checking took {seconds:.1f} s")
