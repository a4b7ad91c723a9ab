"""Reading `.github/ai-review.yml` and checklist files: YAML text in, typed models out.

Like a compiler, this reports every mistake at once, each with its line, column and key path,
and an invalid file is rejected whole (the caller keeps the last good config).

The YAML is read as a stream of parser events (libyaml when PyYAML has it, else PyYAML's pure
parser) and built into plain dicts, lists and scalars here, so that:
- only the YAML 1.2 core schema exists: strings, numbers, booleans, null, lists, mappings.
  No tag can construct a Python object, and `yes`/`on`/`2024-01-01` stay strings;
- the position of every key and value is kept in a tree beside the values, to place
  pydantic's errors back in the file;
- hard limits stop hostile input early: size, nesting depth, values reached through aliases
  (a "billion laughs" document is refused after at most MAX_NODES values), list length;
- duplicate keys, which YAML would silently resolve to the last one, are errors.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Annotated, Any, Literal, NamedTuple, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.config.model import Identifier, Login, RepoConfig, SeniorRef

MAX_BYTES = 256 * 1024
MAX_NODES = 100_000
MAX_ALIASES = 100
MAX_DEPTH = 32
MAX_ITEMS = 10_000
MAX_INT_DIGITS = 100
MAX_ISSUES = 100

M = TypeVar("M", bound=BaseModel)
KeyPath = tuple[str | int, ...]

_LOADER: type[yaml.SafeLoader | yaml.CSafeLoader] = (
    yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
)


# --- issues ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One mistake in a config file. `line` and `column` are 1-based; `path` is the key path
    (`risk.weights.ai_share`, `approvals.seniors[1]`), "" for the document as a whole."""

    line: int | None
    column: int | None
    path: str
    message: str

    def __str__(self) -> str:
        parts: list[str] = []
        if self.line is not None:
            column = f":{self.column}" if self.column is not None else ""
            parts.append(f"{self.line}{column}")
        if self.path:
            parts.append(self.path)
        parts.append(self.message)
        return ": ".join(parts)


def _issue_order(issue: ConfigIssue) -> tuple[bool, int, int]:
    return (issue.line is None, issue.line or 0, issue.column or 0)


class ConfigError(Exception):
    """A config file that cannot be used, with every issue found in it, sorted by line."""

    source: str
    issues: tuple[ConfigIssue, ...]

    def __init__(self, source: str, issues: Iterable[ConfigIssue]) -> None:
        self.source = source
        self.issues = tuple(sorted(issues, key=_issue_order))
        super().__init__(self.render())

    def __reduce__(self) -> tuple[type[ConfigError], tuple[str, tuple[ConfigIssue, ...]]]:
        # Rebuilt from its fields, not from the rendered text, when it crosses processes.
        return (ConfigError, (self.source, self.issues))

    def render(self) -> str:
        """One line per issue: `<source>:<line>:<col>: <path>: <message>`."""
        return "\n".join(
            f"{self.source}:{issue}" if issue.line is not None else f"{self.source}: {issue}"
            for issue in self.issues
        )


def _format_path(path: KeyPath) -> str:
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif re.fullmatch(r"[A-Za-z0-9_-]+", step):
            text += f".{step}" if text else step
        else:
            text += f"[{_quote(step)}]"
    return text


def _quote(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


# --- positions ------------------------------------------------------------------------------


# Tuples rather than dataclasses: one of each is made per value in the file.
class _Position(NamedTuple):
    line: int  # 1-based
    column: int  # 1-based


class _Node(NamedTuple):
    """Where a value is written, and where its children and (for a mapping) its keys are.

    An alias shares the anchored value's children, so expanding one costs nothing here."""

    position: _Position
    children: Mapping[str | int, _Node]
    keys: Mapping[str, _Position]


_LEAF: Mapping[Any, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class _Document:
    value: object
    root: _Node | None
    issues: tuple[ConfigIssue, ...]

    def position_of_value(self, path: KeyPath) -> _Position | None:
        """Where the value at `path` is written, else its nearest enclosing value."""
        node = self.root
        if node is None:
            return None
        for step in path:
            child = node.children.get(step)
            if child is None:
                break
            node = child
        return node.position

    def position_of_key(self, path: KeyPath) -> _Position | None:
        """Where the last key of `path` is written, else where its mapping is."""
        node = self.root
        for step in path[:-1]:
            node = node.children.get(step) if node is not None else None
        if node is not None and path and isinstance(path[-1], str) and path[-1] in node.keys:
            return node.keys[path[-1]]
        return self.position_of_value(path[:-1])


def _fail(source: str, message: str, position: _Position | None = None) -> ConfigError:
    """A file refused as a whole: one issue about the document."""
    line, column = (position.line, position.column) if position else (None, None)
    return ConfigError(source, (ConfigIssue(line, column, "", message),))


def _position_in(text: str, index: int) -> _Position:
    line_start = text.rfind("\n", 0, index) + 1
    return _Position(text.count("\n", 0, index) + 1, index - line_start + 1)


# --- decoding -------------------------------------------------------------------------------

# Characters YAML does not allow in a stream (c-printable's complement), found here so that the
# message can say where; tab, LF, CR and NEL are fine.
_FORBIDDEN_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")


def _too_large(source: str, size: int) -> ConfigError:
    return _fail(source, f"the file is {size:,} bytes; the limit is {MAX_BYTES:,} bytes (256 KiB)")


def _decode(text: str | bytes, source: str) -> str:
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise _too_large(source, len(text))
        try:
            decoded = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            prefix = text[: exc.start].decode("utf-8", "replace")
            raise _fail(
                source,
                f"is not UTF-8 text (byte 0x{text[exc.start]:02x}); save the file as UTF-8",
                _position_in(prefix, len(prefix)),
            ) from None
    else:
        # A character is at least one byte, so a long str is refused before encoding it.
        if len(text) > MAX_BYTES:
            raise _too_large(source, len(text))
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError as exc:
            raise _fail(
                source, "is not UTF-8 text (a lone surrogate)", _position_in(text, exc.start)
            ) from None
        if size > MAX_BYTES:
            raise _too_large(source, size)
        decoded = text
    decoded = decoded.removeprefix("\ufeff")
    bad = _FORBIDDEN_CHARACTER.search(decoded)
    if bad is not None:
        raise _fail(
            source,
            f"the control character U+{ord(bad.group()):04X} is not allowed in YAML",
            _position_in(decoded, bad.start()),
        )
    return decoded


# --- scalars: the YAML 1.2 core schema ------------------------------------------------------

_CORE = "tag:yaml.org,2002:"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUES = frozenset({"true", "True", "TRUE"})
_FALSES = frozenset({"false", "False", "FALSE"})
_DECIMAL = re.compile(r"[-+]?[0-9]+\Z")
_OCTAL = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_INFINITY = re.compile(r"([-+]?)\.(?:inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)\Z")
# Most plain scalars are words; only these first characters can begin anything else.
_NON_STRING_STARTS = frozenset("~nNtTfF.+-0123456789")


class _ScalarError(ValueError):
    """A scalar the core schema cannot read."""


def _resolve_plain(text: str) -> object:
    """The value of an untagged plain scalar under the YAML 1.2 core schema."""
    value: object = text
    if text and text[0] not in _NON_STRING_STARTS:
        return value
    if text in _NULLS:
        value = None
    elif text in _TRUES:
        value = True
    elif text in _FALSES:
        value = False
    elif _DECIMAL.match(text) or _OCTAL.match(text) or _HEX.match(text):
        if len(text) > MAX_INT_DIGITS:
            raise _ScalarError(f"the number {_quote(text)} has too many digits")
        value = int(text, 0) if text[:2] in ("0o", "0x") else int(text, 10)
    elif _FLOAT.match(text):
        value = float(text)
    elif infinity := _INFINITY.match(text):
        value = float(f"{infinity.group(1)}inf")
    elif _NAN.match(text):
        value = float("nan")
    return value


_TAG_TYPES: dict[str, type] = {
    f"{_CORE}null": type(None),
    f"{_CORE}bool": bool,
    f"{_CORE}int": int,
    f"{_CORE}float": float,
}


def _shown_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag


def _scalar_value(event: yaml.ScalarEvent) -> object:
    tag, text = event.tag, event.value
    if tag is None:
        # libyaml marks a plain scalar with style "", the pure parser with None.
        return _resolve_plain(text) if not event.style else text
    if tag in ("!", f"{_CORE}str"):
        return text
    expected = _TAG_TYPES.get(tag)
    if expected is None:
        raise _ScalarError(
            f"the tag {_shown_tag(tag)} is not allowed: only strings, numbers, booleans, null, "
            "lists and mappings"
        )
    value = _resolve_plain(text)
    if expected is float and type(value) is int:
        value = float(value)
    if type(value) is not expected:
        raise _ScalarError(f"{_quote(text)} is not a valid {_shown_tag(tag)}")
    return value


# --- building plain values from parser events -----------------------------------------------


@dataclass(frozen=True, slots=True)
class _Anchor:
    value: object
    node: _Node
    nodes: int  # values inside, itself included: what each alias to it adds to the count
    height: int  # levels of nesting inside, 0 for a scalar


@dataclass(slots=True)
class _Collection:
    """A list or mapping whose events are being read."""

    value: dict[str, object] | list[object]
    node: _Node
    children: dict[str | int, _Node]  # node.children, writable
    keys: dict[str, _Position]  # node.keys, writable
    path: KeyPath  # for messages
    anchor: str | None
    first_node: int
    height: int = 1
    has_key: bool = False  # a mapping read a key and waits for its value
    key: str | None = None  # that key; None when it was rejected, and its value is dropped


def _position_of(event: yaml.Event) -> _Position:
    mark = event.start_mark
    return _Position(mark.line + 1, mark.column + 1) if mark is not None else _Position(1, 1)


_KINDS: tuple[tuple[type, str], ...] = (
    (bool, "true or false"),
    (int, "a number"),
    (float, "a number"),
    (str, "a string"),
    (list, "a list"),
    (dict, "a mapping"),
)


def _described(value: object) -> str:
    """A value's kind, as a maintainer would name it."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    return next((name for kind, name in _KINDS if isinstance(value, kind)), type(value).__name__)


class _Builder:
    """Turns one stream of parser events into plain Python values plus their positions."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.stack: list[_Collection] = []
        self.anchors: dict[str, _Anchor] = {}
        self.open_anchors: set[str] = set()
        self.issues: list[ConfigIssue] = []
        self.root: object = None
        self.root_node: _Node | None = None
        self.nodes = 0
        self.aliases = 0
        self.documents = 0

    def document(self) -> _Document:
        return _Document(self.root, self.root_node, tuple(self.issues))

    def feed(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.ScalarEvent):
            self._scalar(event)
        elif isinstance(event, yaml.AliasEvent):
            self._alias(event)
        elif isinstance(event, yaml.SequenceStartEvent):
            self._start(event, [], f"{_CORE}seq")
        elif isinstance(event, yaml.MappingStartEvent):
            self._start(event, {}, f"{_CORE}map")
        elif isinstance(event, yaml.CollectionEndEvent):
            self._end()
        elif isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise self._error(
                    _position_of(event), "a config file holds one YAML document; remove the '---'"
                )

    # -- events

    def _scalar(self, event: yaml.ScalarEvent) -> None:
        position = _position_of(event)
        try:
            value = _scalar_value(event)
        except _ScalarError as exc:
            raise self._error(position, str(exc)) from None
        self._count(position, 1)
        node = _Node(position, _LEAF, _LEAF)
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchor(value, node, 1, 0)
        if self._expects_key():
            self._key(value, position, merge=not event.style and event.tag is None)
        else:
            self._attach(value, node, 0)

    def _alias(self, event: yaml.AliasEvent) -> None:
        position = _position_of(event)
        name = event.anchor or ""
        if name in self.open_anchors:
            raise self._error(position, f"the alias *{name} is inside the value it refers to")
        anchor = self.anchors.get(name)
        if anchor is None:
            raise self._error(position, f"the alias *{name} has no anchor &{name} before it")
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            raise self._error(position, f"more than {MAX_ALIASES} aliases")
        if len(self.stack) + anchor.height > MAX_DEPTH:
            raise self._depth_error(position)
        if self.nodes + anchor.nodes > MAX_NODES:
            raise self._error(
                position, f"aliases expand the document to more than {MAX_NODES:,} values"
            )
        self.nodes += anchor.nodes
        if self._expects_key():
            self._key(anchor.value, position, merge=False)
            return
        # A wrong value at the alias is reported at the alias; what is inside, at the anchor.
        node = _Node(position, anchor.node.children, anchor.node.keys)
        self._attach(anchor.value, node, anchor.height)

    def _start(
        self,
        event: yaml.CollectionStartEvent,
        value: dict[str, object] | list[object],
        core_tag: str,
    ) -> None:
        position = _position_of(event)
        if self._expects_key():
            raise self._error(position, "a key must be a string, not a list or a mapping")
        if event.tag not in (None, "!", core_tag):
            raise self._error(
                position,
                f"the tag {_shown_tag(event.tag)} is not allowed: only strings, numbers, "
                "booleans, null, lists and mappings",
            )
        if len(self.stack) >= MAX_DEPTH:
            raise self._depth_error(position)
        self._count(position, 1)
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        children: dict[str | int, _Node] = {}
        keys: dict[str, _Position] = {}
        node = _Node(position, children, keys)
        self.stack.append(
            _Collection(
                value, node, children, keys, self._child_path(), event.anchor, self.nodes - 1
            )
        )

    def _end(self) -> None:
        collection = self.stack.pop()
        if collection.anchor is not None:
            self.anchors[collection.anchor] = _Anchor(
                collection.value,
                collection.node,
                self.nodes - collection.first_node,
                collection.height,
            )
            self.open_anchors.discard(collection.anchor)
        self._attach(collection.value, collection.node, collection.height)

    # -- helpers

    def _expects_key(self) -> bool:
        if not self.stack:
            return False
        top = self.stack[-1]
        return isinstance(top.value, dict) and not top.has_key

    def _key(self, key: object, position: _Position, *, merge: bool) -> None:
        mapping = self.stack[-1]
        assert isinstance(mapping.value, dict)
        mapping.has_key = True
        mapping.key = None
        if not isinstance(key, str):
            message = f"keys must be strings, got {_described(key)}; put the key in quotes"
            self._issue(position, mapping.path, message)
            return
        if key == "<<" and merge:
            message = "merge keys ('<<') are not supported; write the keys out"
            self._issue(position, mapping.path, message)
            return
        first = mapping.keys.get(key)
        if first is not None:
            self._issue(
                position,
                (*mapping.path, key),
                f"duplicate key {_quote(key)} (first on line {first.line}); each key may appear "
                "once",
            )
        else:
            if len(mapping.value) >= MAX_ITEMS:
                raise self._error(position, f"a mapping may hold at most {MAX_ITEMS:,} keys")
            mapping.keys[key] = position
        mapping.key = key

    def _check_room(self, items: list[object], position: _Position) -> None:
        if len(items) >= MAX_ITEMS:
            raise self._error(position, f"a list may hold at most {MAX_ITEMS:,} items")

    def _child_path(self) -> KeyPath:
        """The key path of the value about to be attached, for messages."""
        if not self.stack:
            return ()
        parent = self.stack[-1]
        if isinstance(parent.value, list):
            return (*parent.path, len(parent.value))
        return (*parent.path, parent.key) if parent.key is not None else parent.path

    def _attach(self, value: object, node: _Node, height: int) -> None:
        if not self.stack:
            self.root, self.root_node = value, node
            return
        parent = self.stack[-1]
        if height >= parent.height:
            parent.height = height + 1
        if isinstance(parent.value, list):
            self._check_room(parent.value, node.position)
            parent.children[len(parent.value)] = node
            parent.value.append(value)
            return
        if parent.key is not None:
            parent.children[parent.key] = node
            parent.value[parent.key] = value
        parent.has_key = False
        parent.key = None

    def _count(self, position: _Position, nodes: int) -> None:
        self.nodes += nodes
        if self.nodes > MAX_NODES:
            raise self._error(position, f"the document holds more than {MAX_NODES:,} values")

    def _issue(self, position: _Position, path: KeyPath, message: str) -> None:
        self.issues.append(ConfigIssue(position.line, position.column, _format_path(path), message))

    def _error(self, position: _Position, message: str) -> ConfigError:
        return _fail(self.source, message, position)

    def _depth_error(self, position: _Position) -> ConfigError:
        return _depth_error(self.source, position)


def _depth_error(source: str, position: _Position) -> ConfigError:
    return _fail(source, f"lists and mappings nest deeper than {MAX_DEPTH} levels", position)


def _syntax_error(exc: yaml.MarkedYAMLError, text: str, source: str) -> ConfigError:
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return _fail(source, f"YAML syntax error: {exc.problem or exc.context or exc}")
    position = _Position(mark.line + 1, mark.column + 1)
    lines = text.split("\n")
    line_text = lines[mark.line] if mark.line < len(lines) else ""
    if line_text[mark.column : mark.column + 1] == "\t":
        return _fail(source, "a tab character: YAML indents with spaces only", position)
    message = f"YAML syntax error: {exc.problem or exc.context or 'not valid YAML'}"
    context = exc.context_mark
    if exc.problem and exc.context and context is not None and context is not mark:
        where = _Position(context.line + 1, context.column + 1)
        if where != position:
            message += f" ({exc.context} at line {where.line}, column {where.column})"
    return _fail(source, message, position)


class _LibraryDepthLimit(Exception):
    """The YAML library stopped at a nesting limit of its own before the builder saw MAX_DEPTH."""


def _is_depth_limit(exc: yaml.MarkedYAMLError) -> bool:
    # libyaml 0.2.5 as bundled by PyYAML 6.0.4 says "exceeded maximum nesting depth".
    return "nesting depth" in (exc.problem or "")


def _events(
    decoded: str, source: str, loader: type[yaml.SafeLoader | yaml.CSafeLoader]
) -> _Document:
    builder = _Builder(source)
    try:
        for event in yaml.parse(decoded, Loader=loader):
            builder.feed(event)
    except yaml.MarkedYAMLError as exc:
        if not _is_depth_limit(exc):
            raise _syntax_error(exc, decoded, source) from None
        if loader is not yaml.SafeLoader:
            raise _LibraryDepthLimit from None
        mark = exc.problem_mark or exc.context_mark
        position = _Position(mark.line + 1, mark.column + 1) if mark else None
        raise _depth_error(source, position or _Position(1, 1)) from None
    except yaml.YAMLError as exc:
        raise _fail(source, f"cannot be read as YAML: {str(exc).splitlines()[0]}") from None
    return builder.document()


def _parse(text: str | bytes, source: str) -> _Document:
    decoded = _decode(text, source)
    try:
        return _events(decoded, source, _LOADER)
    except _LibraryDepthLimit:
        # libyaml scans ahead and may stop at its own depth limit (PyYAML >= 6.0.4) before the
        # builder has seen level MAX_DEPTH + 1. The pure parser reads lazily, so the builder's
        # own bound, message and position apply whatever the library's version does. Only
        # documents deeper than libyaml's limit (hundreds of levels) take this slower path.
        return _events(decoded, source, yaml.SafeLoader)


# --- mapping pydantic's errors back to the file ---------------------------------------------


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
    message = f"expected {expected}, got {_described(given)}"
    if expected == "a string" and isinstance(given, int | float):
        message += "; put it in quotes"
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
    shown = _quote(str(key))
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

    position: _Position | None
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
        return ConfigIssue(line, column, _format_path(path), message)


def _findings(
    exc: ValidationError, model: type[BaseModel], document: _Document, data: object
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


def _first_issues(issues: Iterable[ConfigIssue], findings: Iterable[_Finding]) -> list[ConfigIssue]:
    """The first MAX_ISSUES in the file, then one line counting the rest."""

    def order(entry: ConfigIssue | _Finding) -> tuple[bool, int, int]:
        if isinstance(entry, ConfigIssue):
            return _issue_order(entry)
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


# --- public API -----------------------------------------------------------------------------


def parse_yaml(text: str | bytes, source: str) -> object:
    """Parse one YAML document into plain dicts, lists, strings, numbers, booleans and None,
    within the limits above. An empty document is None. Raises ConfigError."""
    document = _parse(text, source)
    if document.issues:
        raise ConfigError(source, _first_issues(document.issues, ()))
    return document.value


def load_model(text: str | bytes, source: str, model: type[M]) -> M:
    """Parse `text` and validate it as `model`. The document must be a mapping (an empty one is
    `{}`). Raises ConfigError listing every problem, each with its position and key path."""
    document = _parse(text, source)
    data = {} if document.value is None else document.value
    if not isinstance(data, dict):
        raise _fail(
            source,
            f"the file must be a mapping of keys to values, got {_described(data)}",
            document.position_of_value(()),
        )
    try:
        loaded = model.model_validate(data)
    except ValidationError as exc:
        findings = _findings(exc, model, document, data)
        raise ConfigError(source, _first_issues(document.issues, findings)) from None
    if document.issues:
        raise ConfigError(source, _first_issues(document.issues, ()))
    return loaded


def load_repo_config(text: str | bytes | None, source: str = ".github/ai-review.yml") -> RepoConfig:
    """The repo config in `text`; no file (None) or an empty one means the defaults."""
    if text is None:
        return RepoConfig()
    return load_model(text, source, RepoConfig)
