"""POST /graphql: GitHub's GraphQL endpoint over the schema subset, answered like GitHub.

Errors come back with HTTP 200: `{"data": ..., "errors": [{"type", "path", "locations",
"message"}]}`, where the failed field is null and the rest of `data` is intact.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from graphql import GraphQLAbstractType, GraphQLError, GraphQLResolveInfo, graphql

from tests.fakegithub.graphql_nodes import QueryRoot
from tests.fakegithub.graphql_schema import schema
from tests.fakegithub.graphql_support import Context, TypedError
from tests.fakegithub.routing import (
    Policy,
    caller_of,
    github_of,
    json_response,
    read_json,
    site_of,
)

POLICY = Policy(auth="token", resource="graphql")
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def snake(name: str) -> str:
    """GraphQL's camelCase as a Python name: wasSignedByGitHub -> was_signed_by_github."""
    return _CAMEL.sub("_", name.replace("GitHub", "Github")).lower()


def resolve_field(source: Any, info: GraphQLResolveInfo[Context], **arguments: Any) -> Any:
    """Field `fooBar` is `source.foo_bar`; a callable is called with the context and arguments."""
    name = snake(info.field_name)
    value = source.get(name) if isinstance(source, Mapping) else getattr(source, name, None)
    if callable(value):
        return value(info.context, **{snake(k): v for k, v in arguments.items()})
    return value


def resolve_type(
    value: Any, info: GraphQLResolveInfo[Context], abstract_type: GraphQLAbstractType
) -> str:
    typename: str = value.typename
    return typename


def _format_error(error: GraphQLError) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    if isinstance(error.original_error, TypedError):
        shown["type"] = error.original_error.type
    if error.path:
        shown["path"] = list(error.path)
    if error.locations:
        shown["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    shown["message"] = error.message
    return shown


def _is_internal(error: GraphQLError) -> bool:
    """A resolver crashed: a bug in the fake or in the test's setup, never GitHub behaviour."""
    return error.original_error is not None and not isinstance(error.original_error, TypedError)


async def graphql_endpoint(request: web.Request) -> web.Response:
    github = github_of(request)
    payload = await read_json(request)
    query = payload.get("query")
    if not isinstance(query, str):
        return json_response(
            {"errors": [{"message": "A query attribute must be specified and must be a string."}]}
        )
    variables = payload.get("variables") or None
    if variables is not None and not isinstance(variables, dict):
        return json_response({"errors": [{"message": "Variables are invalid JSON."}]})
    caller = caller_of(request)
    context = Context(
        github=github,
        caller=caller,
        bucket=github.limits.bucket(caller.bucket, "graphql"),
        site=site_of(request),
    )
    result = await graphql(
        schema(),
        query,
        root_value=QueryRoot(),
        context_value=context,
        variable_values=variables,
        operation_name=payload.get("operationName"),
        field_resolver=resolve_field,
        type_resolver=resolve_type,
    )
    answer: dict[str, Any] = {}
    if result.data is not None or not result.errors:
        answer["data"] = result.data
    if result.errors:
        answer["errors"] = [_format_error(e) for e in result.errors]
        github.server_errors.extend(
            f"GraphQL {e.path}: {e.original_error!r}" for e in result.errors if _is_internal(e)
        )
    return json_response(answer)
