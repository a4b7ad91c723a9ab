"""Pydantic's validation errors placed back in the file and said in a maintainer's words.

Each error is followed through the model's types and the input together, placed at the key
(unknown keys), its mapping (missing keys) or the value (anything else), and worded once.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.config.fields import Identifier, Login, SeniorRef
from bot.config.issues import (
    ConfigIssue,
    KeyPath,
    Position,
    describe_value,
    format_path,
    issue_order,
    quote,
)
from bot.config.reader import Document

MAX_ISSUES = 100


def _strip(annotation: object) -> object:
    """The type under `Annotated[...]` and `X | None`."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _branches(annotation: object) -> tuple[object, ...]:
    """The members of a union of several types (pydantic names each in an error's loc)."""
    if get_origin(annotation) not in (Union, types.UnionType):
        return ()
    return tuple(_strip(arg) for arg in get_args(annotation) if arg is not type(None))


def _is_model(annotation: object) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_list(annotation: object) -> bool:
    return get_origin(annotation) is list


def _branch_for_value(branches: tuple[object, ...], value: object) -> object | None:
    """The union member the input was evidently written for: a mapping for the model, a list
    for the list. A scalar or an unexpected shape matches none, and the errors collapse."""
    if isinstance(value, dict):
        matching = [branch for branch in branches if _is_model(branch)]
    elif isinstance(value, list):
        matching = [branch for branch in branches if _is_list(branch)]
    else:
        return None
    return matching[0] if len(matching) == 1 else None


def _branch_for_tag(branches: tuple[object, ...], tag: str) -> object | None:
    wants_list = tag.startswith("list[")
    matching = [branch for branch in branches if _is_list(branch) == wants_list]
    return matching[0] if len(matching) == 1 else None


_ABSENT = object()


def _child(value: object, step: str | int) -> object:
    if isinstance(value, dict) and isinstance(step, str):
        return value.get(step, _ABSENT)
    if isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
        return value[step]
    return _ABSENT


@dataclass(frozen=True, slots=True)
class _Located:
    path: KeyPath
    annotation: object  # the declared type at `path`, None when unknown
    owner: type[BaseModel] | None  # the model whose field (or unknown key) path[-1] is
    value: object  # the input at `path`
    collapsed: bool  # a union none of whose members fit the input's shape


def _locate(model: type[BaseModel], loc: tuple[str | int, ...], data: object) -> _Located | None:
    """Follow an error's `loc` through the model's types and the input together.

    Union members appear in `loc` as names (`list[...]`, `function-after[..., When]`). Only the
    member matching the input's shape reports; None means this error came from another one.
    """
    annotation: object = model
    owner: type[BaseModel] | None = None
    value = data
    path: list[str | int] = []
    for step in loc:
        annotation = _strip(annotation)
        branches = _branches(annotation)
        if branches:
            chosen = _branch_for_value(branches, value)
            if chosen is None:
                return _Located(tuple(path), annotation, owner, value, collapsed=True)
            if _branch_for_tag(branches, str(step)) is not chosen:
                return None
            annotation = chosen
            continue
        if (
            isinstance(annotation, type)
            and issubclass(annotation, BaseModel)
            and isinstance(step, str)
        ):
            owner = annotation
            model_field = annotation.model_fields.get(step)
            annotation = model_field.annotation if model_field is not None else None
        elif _is_list(annotation) and isinstance(step, int):
            owner = None
            annotation = get_args(annotation)[0]
        else:
            owner = None
            annotation = None
        path.append(step)
        value = _child(value, step)
    return _Located(tuple(path), _strip(annotation), owner, value, collapsed=False)


def _one_of(choices: Iterable[object]) -> str:
    names = [str(choice.value if isinstance(choice, Enum) else choice) for choice in choices]
    return f"'{names[0]}'" if len(names) == 1 else "one of: " + ", ".join(names)


def _choices(annotation: object) -> list[object] | None:
    if get_origin(annotation) is Literal:
        return list(get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return list(annotation)
    return None


_SCALAR_NAMES: dict[type, tuple[str, str]] = {
    bool: ("true or false", "true/false values"),
    int: ("a whole number", "whole numbers"),
    float: ("a number", "numbers"),
    str: ("a string", "strings"),
}


def _expected(annotation: object, *, plural: bool = False) -> str:
    """What a declared type accepts, in words: "a list of strings", "true or false"."""
    branches = _branches(annotation)
    if branches:
        parts = [_expected(branch, plural=plural) for branch in branches]
        return (", or " if any(" or " in part for part in parts) else " or ").join(parts)
    annotation = _strip(annotation)
    if _is_list(annotation):
        return "lists" if plural else "a list of " + _expected(get_args(annotation)[0], plural=True)
    choices = _choices(annotation)
    if choices is not None:
        return "strings" if plural else _one_of(choices)
    if _is_model(annotation):
        return "mappings" if plural else "a mapping"
    for kind, (single, many) in _SCALAR_NAMES.items():
        if annotation is kind:
            return many if plural else single
    return "values of another kind" if plural else "another kind of value"


def _pattern_of(alias: object) -> str:
    for meta in get_args(alias)[1:]:
        pattern = getattr(meta, "pattern", None)
        if isinstance(pattern, str):
            return pattern
    raise LookupError(f"{alias!r} declares no pattern")


_PATTERN_MESSAGES = {
    _pattern_of(SeniorRef): "must be a team (@org/team) or a GitHub login",
    _pattern_of(Login): "must be a GitHub login (apps end in [bot])",
    _pattern_of(Identifier): "must be an id: lowercase letters, digits, '.', '_' and '-', "
    "starting with a letter or digit, at most 64 characters",
}


def _number(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_TYPE_ERRORS = frozenset(
    {
        "string_type",
        "string_sub_type",
        "int_type",
        "int_parsing",
        "int_parsing_size",
        "float_type",
        "float_parsing",
        "bool_type",
        "bool_parsing",
        "list_type",
        "dict_type",
        "model_type",
        "model_attributes_type",
        "none_required",
    }
)


def _wrong_type(annotation: object, given: object) -> str:
    expected = _expected(annotation)
    message = f"expected {expected}, got {describe_value(given)}"
    if expected == "a string" and isinstance(given, int | float):
        message += "; put it in quotes"
    if isinstance(given, str):
        # A misspelt word of a union that also takes one (`owners: codeowner`).
        words = [str(c) for b in _branches(annotation) for c in _choices(b) or ()]
        close = difflib.get_close_matches(given, words, n=1)
        if close:
            message += f"; did you mean '{close[0]}'?"
    return message


_BOUNDS = {
    "greater_than_equal": ("at least", "ge"),
    "less_than_equal": ("at most", "le"),
    "greater_than": ("more than", "gt"),
    "less_than": ("less than", "lt"),
}


def _size_message(kind: str, context: dict[str, Any]) -> str:
    unit = "characters" if kind.startswith("string_") else "items"
    if kind.endswith("too_long"):
        return f"must have at most {context.get('max_length')} {unit}"
    least = int(context.get("min_length", 1))
    return "must not be empty" if least <= 1 else f"must have at least {least} {unit}"


def _message(error: ErrorDetails, located: _Located) -> str:
    """The maintainer's words for one pydantic error at a located value."""
    kind = error["type"]
    context: dict[str, Any] = error.get("ctx") or {}
    given = error["input"]
    fraction = kind == "int_type" and isinstance(given, float)
    if kind in _TYPE_ERRORS and not fraction:
        message = _wrong_type(located.annotation, given)
    elif kind == "int_from_float" or fraction:
        message = f"expected a whole number, got {_number(error['input'])}"
    elif kind in ("enum", "literal_error"):
        choices = _choices(located.annotation)
        expected = context.get("expected", "one of the allowed values")
        message = f"must be {_one_of(choices) if choices is not None else expected}"
    elif kind == "string_pattern_mismatch":
        pattern = str(context.get("pattern", ""))
        message = _PATTERN_MESSAGES.get(pattern, f"must match the pattern {pattern}")
    elif kind in ("string_too_short", "too_short", "string_too_long", "too_long"):
        message = _size_message(kind, context)
    elif kind in _BOUNDS:
        words, key = _BOUNDS[kind]
        message = f"must be {words} {_number(context.get(key))}"
    elif kind in ("value_error", "assertion_error") and "error" in context:
        message = str(context["error"])
    else:
        message = error["msg"].removeprefix("Value error, ")
    return message


def _unknown_key(key: str | int, owner: type[BaseModel] | None) -> str:
    shown = quote(str(key))
    if owner is None:
        return f"unknown key {shown}"
    allowed = list(owner.model_fields)
    close = difflib.get_close_matches(str(key), allowed, n=1)
    if close:
        return f"unknown key {shown}; did you mean '{close[0]}'?"
    return f"unknown key {shown}; allowed keys: {', '.join(allowed)}"


@dataclass(frozen=True, slots=True)
class _Finding:
    """A pydantic error placed in the file; its message is written only if it is reported."""

    position: Position | None
    error: ErrorDetails
    located: _Located

    def issue(self) -> ConfigIssue:
        path = self.located.path
        if self.located.collapsed:
            message = _wrong_type(self.located.annotation, self.located.value)
        elif self.error["type"] == "extra_forbidden" and path:
            message = _unknown_key(path[-1], self.located.owner)
        elif self.error["type"] == "missing" and path:
            message = "is required"
        else:
            message = _message(self.error, self.located)
        line, column = (self.position.line, self.position.column) if self.position else (None, None)
        return ConfigIssue(line, column, format_path(path), message)


def placed_errors(
    exc: ValidationError, model: type[BaseModel], document: Document, data: object
) -> list[_Finding]:
    """Each error once, placed: an unknown key at the key, a missing one at its mapping,
    anything else at the value; the errors of a union collapsed to one per value."""
    findings: list[_Finding] = []
    seen: set[tuple[KeyPath, str]] = set()
    for error in exc.errors(include_url=False):
        located = _locate(model, error["loc"], data)
        if located is None:
            continue
        kind = "union" if located.collapsed else error["type"]
        if (located.path, kind) in seen:
            continue
        seen.add((located.path, kind))
        if kind == "extra_forbidden":
            position = document.position_of_key(located.path)
        elif kind == "missing":
            position = document.position_of_value(located.path[:-1])
        else:
            position = document.position_of_value(located.path)
        findings.append(_Finding(position, error, located))
    return findings


def first_issues(issues: Iterable[ConfigIssue], findings: Iterable[_Finding]) -> list[ConfigIssue]:
    """The first MAX_ISSUES in the file, then one line counting the rest."""

    def order(entry: ConfigIssue | _Finding) -> tuple[bool, int, int]:
        if isinstance(entry, ConfigIssue):
            return issue_order(entry)
        position = entry.position
        return (position is None, *((position.line, position.column) if position else (0, 0)))

    entries: list[ConfigIssue | _Finding] = [*issues, *findings]
    entries.sort(key=order)
    shown = [
        entry if isinstance(entry, ConfigIssue) else entry.issue() for entry in entries[:MAX_ISSUES]
    ]
    if len(entries) > MAX_ISSUES:
        rest = len(entries) - MAX_ISSUES
        shown.append(ConfigIssue(None, None, "", f"{rest:,} more problems after these"))
    return shown
