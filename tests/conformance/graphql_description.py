"""GitHub's published GraphQL schema, and checking queries and the fake's schema against it.

The schema comes from @octokit/graphql-schema as an introspection result (schema.json). It is
built with `assume_valid=True`: GitHub's own schema breaks two rules graphql-core 3.3 enforces
on schemas (a field defined twice in the SDL file; deprecated implementations of interface
fields that are not deprecated), which says nothing about the queries checked against it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    OperationDefinitionNode,
    StringValueNode,
    Visitor,
    build_client_schema,
    get_operation_ast,
    is_required_argument,
    parse,
    print_ast,
    validate,
    visit,
)
from graphql.error import GraphQLSyntaxError
from graphql.execution.values import get_variable_values


class GraphQLDescription:
    def __init__(self, schema: GraphQLSchema, source: str) -> None:
        self.schema = schema
        self.source = source
        self.seconds = 0.0
        """Time spent checking, over the whole test session."""
        self.queries = 0
        """Queries checked over the whole test session."""
        self.operations: set[str] = set()
        """Names of the operations checked (`PullRequest`, `Commits`, ...)."""
        self._validated: dict[str, tuple[str, ...]] = {}
        self._documents: dict[
            tuple[str, str | None], tuple[tuple[str, ...], OperationDefinitionNode | None]
        ] = {}

    def check_query(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> list[str]:
        """What GitHub would reject in `query` with these `variables`; [] when it validates."""
        started = time.perf_counter()
        try:
            return self._check_query(query, variables, operation_name)
        finally:
            self.seconds += time.perf_counter() - started

    def _check_query(
        self, query: str, variables: dict[str, Any] | None, operation_name: str | None
    ) -> list[str]:
        self.queries += 1
        if (query, operation_name) not in self._documents:
            self._documents[query, operation_name] = self._checked_document(query, operation_name)
        problems, operation = self._documents[query, operation_name]
        if operation is not None:
            self.operations.add(operation.name.value if operation.name else "(anonymous)")
        if operation is None or problems:
            return list(problems)
        coerced = get_variable_values(
            self.schema, operation.variable_definitions or (), variables or {}
        )
        return [error.message for error in coerced] if isinstance(coerced, list) else []

    def _checked_document(
        self, query: str, operation_name: str | None
    ) -> tuple[tuple[str, ...], OperationDefinitionNode | None]:
        """What is wrong with the query's text, and the operation to run; once per text (the
        bot sends the same query text again and again, with other variables)."""
        try:
            document = parse(query)
        except GraphQLSyntaxError as error:
            return (error.message,), None
        problems = self._validate(document)
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return (*problems, f"no operation {operation_name or ''} to run"), None
        return problems, operation

    def _validate(self, document: DocumentNode) -> tuple[str, ...]:
        """graphql-core's validation, once per shape of query: the bot's file-text queries
        differ only in their string literals, and validating one of thousands of fields takes
        most of a second. Any string literal is as valid as another where a String (or, in a
        schema built from introspection, a custom scalar) goes, so they are blanked in the key."""
        key = print_ast(visit(document, _BlankStrings()))
        if key not in self._validated:
            self._validated[key] = tuple(e.message for e in validate(self.schema, document))
        return self._validated[key]

    def subset_mismatches(self, subset: GraphQLSchema) -> list[str]:
        """Where `subset` (the fake's schema) is not a part of GitHub's schema: every type,
        field, argument, enum value, interface and union member it declares must be GitHub's,
        with the same type and nullability, and it may omit no argument GitHub requires."""
        problems: list[str] = []
        for name, mine in sorted(subset.type_map.items()):
            if name.startswith("__"):
                continue
            theirs = self.schema.type_map.get(name)
            if theirs is None:
                problems.append(f"type {name}: GitHub has no such type")
            elif type(theirs) is not type(mine):
                problems.append(f"type {name}: {_kind(mine)} here, {_kind(theirs)} on GitHub")
            else:
                problems.extend(_type_mismatches(mine, theirs))
        return problems


class _BlankStrings(Visitor):
    def enter_string_value(self, node: StringValueNode, *_: Any) -> StringValueNode:
        return StringValueNode(value="", block=False)


def _kind(named: GraphQLNamedType) -> str:
    return type(named).__name__.removeprefix("GraphQL").removesuffix("Type").lower()


def _type_mismatches(mine: GraphQLNamedType, theirs: GraphQLNamedType) -> list[str]:
    problems: list[str] = []
    name = mine.name
    if isinstance(mine, GraphQLObjectType | GraphQLInterfaceType) and isinstance(
        theirs, GraphQLObjectType | GraphQLInterfaceType
    ):
        theirs_interfaces = {i.name for i in theirs.interfaces}
        problems += [
            f"type {name}: GitHub's does not implement {i.name}"
            for i in mine.interfaces
            if i.name not in theirs_interfaces
        ]
        for field_name, field in mine.fields.items():
            other = theirs.fields.get(field_name)
            if other is None:
                problems.append(f"{name}.{field_name}: GitHub has no such field")
                continue
            if str(field.type) != str(other.type):
                problems.append(f"{name}.{field_name}: {field.type} here, {other.type} on GitHub")
            for arg_name, arg in field.args.items():
                other_arg = other.args.get(arg_name)
                if other_arg is None:
                    problems.append(f"{name}.{field_name}({arg_name}): GitHub has no such argument")
                elif str(arg.type) != str(other_arg.type):
                    problems.append(
                        f"{name}.{field_name}({arg_name}): {arg.type} here, "
                        f"{other_arg.type} on GitHub"
                    )
            problems += [
                f"{name}.{field_name}({arg_name}): GitHub requires it, the fake omits it"
                for arg_name, arg in other.args.items()
                if is_required_argument(arg) and arg_name not in field.args
            ]
    elif isinstance(mine, GraphQLEnumType) and isinstance(theirs, GraphQLEnumType):
        problems += [
            f"enum {name}: GitHub has no value {value}"
            for value in mine.values
            if value not in theirs.values
        ]
    elif isinstance(mine, GraphQLUnionType) and isinstance(theirs, GraphQLUnionType):
        members = {t.name for t in theirs.types}
        problems += [
            f"union {name}: GitHub's has no member {t.name}"
            for t in mine.types
            if t.name not in members
        ]
    elif isinstance(mine, GraphQLInputObjectType) and isinstance(theirs, GraphQLInputObjectType):
        for field_name, field in mine.fields.items():
            other_input = theirs.fields.get(field_name)
            if other_input is None or str(field.type) != str(other_input.type):
                problems.append(f"input {name}.{field_name}: not GitHub's")
    return problems


LOADED: dict[Path, GraphQLDescription] = {}
"""The schemas loaded in this test session, by file."""


def load(path: Path) -> GraphQLDescription:
    """The published schema in `path` (an introspection result), loaded once per session."""
    if path not in LOADED:
        started = time.perf_counter()
        introspection = json.loads(path.read_text(encoding="utf-8"))
        result = introspection.get("data", introspection)
        schema = build_client_schema(result, assume_valid=True)
        LOADED[path] = GraphQLDescription(schema, path.name)
        LOADED[path].seconds += time.perf_counter() - started
    return LOADED[path]
