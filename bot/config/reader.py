"""The bounded YAML reader: config text in, plain values and the position of each out.

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

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

import yaml

from bot.config.issues import (
    ConfigError,
    ConfigIssue,
    KeyPath,
    Position,
    describe_value,
    format_path,
    quote,
    refuse,
)
from bot.config.scalars import CORE_TAG, ScalarError, scalar_value, shown_tag

MAX_BYTES = 256 * 1024
MAX_NODES = 100_000
MAX_ALIASES = 100
MAX_DEPTH = 32
MAX_ITEMS = 10_000


_LOADER: type[yaml.SafeLoader | yaml.CSafeLoader] = (
    yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
)


# --- positions ------------------------------------------------------------------------------


class _Node(NamedTuple):
    """Where a value is written, and where its children and (for a mapping) its keys are.

    An alias shares the anchored value's children, so expanding one costs nothing here."""

    position: Position
    children: Mapping[str | int, _Node]
    keys: Mapping[str, Position]


_LEAF: Mapping[Any, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Document:
    value: object
    root: _Node | None
    issues: tuple[ConfigIssue, ...]

    def position_of_value(self, path: KeyPath) -> Position | None:
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

    def lines_of_value(self, path: KeyPath) -> tuple[int, int] | None:
        """The first line of the value at `path` and the last line a value inside it starts
        on, or None when nothing is written there."""
        node = self.root
        for step in path:
            node = node.children.get(step) if node is not None else None
        if node is None:
            return None
        first = last = node.position.line
        # An alias shares its anchor's nodes: each is visited once.
        seen: set[int] = set()
        pending = [node]
        while pending:
            current = pending.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            last = max(last, current.position.line)
            pending.extend(current.children.values())
        return first, last

    def position_of_key(self, path: KeyPath) -> Position | None:
        """Where the last key of `path` is written, else where its mapping is."""
        node = self.root
        for step in path[:-1]:
            node = node.children.get(step) if node is not None else None
        if node is not None and path and isinstance(path[-1], str) and path[-1] in node.keys:
            return node.keys[path[-1]]
        return self.position_of_value(path[:-1])


def _position_in(text: str, index: int) -> Position:
    line_start = text.rfind("\n", 0, index) + 1
    return Position(text.count("\n", 0, index) + 1, index - line_start + 1)


# --- decoding -------------------------------------------------------------------------------

# Characters YAML does not allow in a stream (c-printable's complement), found here so that the
# message can say where; tab, LF, CR and NEL are fine.
_FORBIDDEN_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")


def _too_large(source: str, size: int) -> ConfigError:
    return refuse(source, f"the file is {size:,} bytes; the limit is {MAX_BYTES:,} bytes (256 KiB)")


def _decode(text: str | bytes, source: str) -> str:
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise _too_large(source, len(text))
        try:
            decoded = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            prefix = text[: exc.start].decode("utf-8", "replace")
            raise refuse(
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
            raise refuse(
                source, "is not UTF-8 text (a lone surrogate)", _position_in(text, exc.start)
            ) from None
        if size > MAX_BYTES:
            raise _too_large(source, size)
        decoded = text
    decoded = decoded.removeprefix("\ufeff")
    bad = _FORBIDDEN_CHARACTER.search(decoded)
    if bad is not None:
        raise refuse(
            source,
            f"the control character U+{ord(bad.group()):04X} is not allowed in YAML",
            _position_in(decoded, bad.start()),
        )
    return decoded


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
    keys: dict[str, Position]  # node.keys, writable
    path: KeyPath  # for messages
    anchor: str | None
    first_node: int
    height: int = 1
    has_key: bool = False  # a mapping read a key and waits for its value
    key: str | None = None  # that key; None when it was rejected, and its value is dropped


def _position_of(event: yaml.Event) -> Position:
    mark = event.start_mark
    return Position(mark.line + 1, mark.column + 1) if mark is not None else Position(1, 1)


class _Builder:
    """Turns one stream of parser events into plain Python values plus their positions."""

    def __init__(self, source: str, *, stream: bool = False) -> None:
        self.source = source
        # A stream (`---` between documents, as Kubernetes manifests are written) keeps each
        # document; a config file holds one. The limits count the whole stream.
        self.stream = stream
        self.finished: list[Document] = []
        self.stack: list[_Collection] = []
        self.anchors: dict[str, _Anchor] = {}
        self.open_anchors: set[str] = set()
        self.issues: list[ConfigIssue] = []
        self.root: object = None
        self.root_node: _Node | None = None
        self.nodes = 0
        self.aliases = 0
        self.documents = 0

    def document(self) -> Document:
        return Document(self.root, self.root_node, tuple(self.issues))

    def feed(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.ScalarEvent):
            self._scalar(event)
        elif isinstance(event, yaml.AliasEvent):
            self._alias(event)
        elif isinstance(event, yaml.SequenceStartEvent):
            self._start(event, [], f"{CORE_TAG}seq")
        elif isinstance(event, yaml.MappingStartEvent):
            self._start(event, {}, f"{CORE_TAG}map")
        elif isinstance(event, yaml.CollectionEndEvent):
            self._end()
        elif isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1 and not self.stream:
                raise self._error(
                    _position_of(event), "a config file holds one YAML document; remove the '---'"
                )
        elif isinstance(event, yaml.DocumentEndEvent) and self.stream:
            self.finished.append(self.document())
            # Anchors belong to their document; an alias to another's is an error.
            self.root, self.root_node, self.issues, self.anchors = None, None, [], {}

    # -- events

    def _scalar(self, event: yaml.ScalarEvent) -> None:
        position = _position_of(event)
        try:
            value = scalar_value(event)
        except ScalarError as exc:
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
                f"the tag {shown_tag(event.tag)} is not allowed: only strings, numbers, "
                "booleans, null, lists and mappings",
            )
        if len(self.stack) >= MAX_DEPTH:
            raise self._depth_error(position)
        self._count(position, 1)
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        children: dict[str | int, _Node] = {}
        keys: dict[str, Position] = {}
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

    def _key(self, key: object, position: Position, *, merge: bool) -> None:
        mapping = self.stack[-1]
        assert isinstance(mapping.value, dict)
        mapping.has_key = True
        mapping.key = None
        if not isinstance(key, str):
            message = f"keys must be strings, got {describe_value(key)}; put the key in quotes"
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
                f"duplicate key {quote(key)} (first on line {first.line}); each key may appear "
                "once",
            )
        else:
            if len(mapping.value) >= MAX_ITEMS:
                raise self._error(position, f"a mapping may hold at most {MAX_ITEMS:,} keys")
            mapping.keys[key] = position
        mapping.key = key

    def _check_room(self, items: list[object], position: Position) -> None:
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

    def _count(self, position: Position, nodes: int) -> None:
        self.nodes += nodes
        if self.nodes > MAX_NODES:
            raise self._error(position, f"the document holds more than {MAX_NODES:,} values")

    def _issue(self, position: Position, path: KeyPath, message: str) -> None:
        self.issues.append(ConfigIssue(position.line, position.column, format_path(path), message))

    def _error(self, position: Position, message: str) -> ConfigError:
        return refuse(self.source, message, position)

    def _depth_error(self, position: Position) -> ConfigError:
        return _depth_error(self.source, position)


def _depth_error(source: str, position: Position) -> ConfigError:
    return refuse(source, f"lists and mappings nest deeper than {MAX_DEPTH} levels", position)


def _syntax_error(exc: yaml.MarkedYAMLError, text: str, source: str) -> ConfigError:
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return refuse(source, f"YAML syntax error: {exc.problem or exc.context or exc}")
    position = Position(mark.line + 1, mark.column + 1)
    lines = text.split("\n")
    line_text = lines[mark.line] if mark.line < len(lines) else ""
    if line_text[mark.column : mark.column + 1] == "\t":
        return refuse(source, "a tab character: YAML indents with spaces only", position)
    message = f"YAML syntax error: {exc.problem or exc.context or 'not valid YAML'}"
    context = exc.context_mark
    if exc.problem and exc.context and context is not None and context is not mark:
        where = Position(context.line + 1, context.column + 1)
        if where != position:
            message += f" ({exc.context} at line {where.line}, column {where.column})"
    return refuse(source, message, position)


class _LibraryDepthLimit(Exception):
    """The YAML library stopped at a nesting limit of its own before the builder saw MAX_DEPTH."""


def _is_depth_limit(exc: yaml.MarkedYAMLError) -> bool:
    # libyaml 0.2.5 as bundled by PyYAML 6.0.4 says "exceeded maximum nesting depth".
    return "nesting depth" in (exc.problem or "")


def _events(
    decoded: str,
    source: str,
    loader: type[yaml.SafeLoader | yaml.CSafeLoader],
    *,
    stream: bool = False,
) -> _Builder:
    builder = _Builder(source, stream=stream)
    try:
        for event in yaml.parse(decoded, Loader=loader):
            builder.feed(event)
    except yaml.MarkedYAMLError as exc:
        if not _is_depth_limit(exc):
            raise _syntax_error(exc, decoded, source) from None
        if loader is not yaml.SafeLoader:
            raise _LibraryDepthLimit from None
        mark = exc.problem_mark or exc.context_mark
        position = Position(mark.line + 1, mark.column + 1) if mark else None
        raise _depth_error(source, position or Position(1, 1)) from None
    except yaml.YAMLError as exc:
        raise refuse(source, f"cannot be read as YAML: {str(exc).splitlines()[0]}") from None
    return builder


def parse_document(text: str | bytes, source: str) -> Document:
    return _parse(text, source, stream=False).document()


def parse_documents(text: str | bytes, source: str) -> tuple[Document, ...]:
    """Every document of a YAML stream (`---` between them), under the same limits as one
    config file: its size, and the values, aliases and nesting of the whole stream."""
    return tuple(_parse(text, source, stream=True).finished)


def _parse(text: str | bytes, source: str, *, stream: bool) -> _Builder:
    decoded = _decode(text, source)
    try:
        return _events(decoded, source, _LOADER, stream=stream)
    except _LibraryDepthLimit:
        # libyaml scans ahead and may stop at its own depth limit (PyYAML >= 6.0.4) before the
        # builder has seen level MAX_DEPTH + 1. The pure parser reads lazily, so the builder's
        # own bound, message and position apply whatever the library's version does. Only
        # documents deeper than libyaml's limit (hundreds of levels) take this slower path.
        return _events(decoded, source, yaml.SafeLoader, stream=stream)
