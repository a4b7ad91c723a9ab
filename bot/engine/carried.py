"""Which lines a change really wrote, apart from the lines it only moved, reformatted or bumped.

Findings, critical paths and the code that wants tests are about what a change wrote. A line the
change removed and added again elsewhere (moved within a file or to another, re-indented,
re-wrapped by a formatter, its quotes or trailing commas changed) is old code; so is a line that
differs from a removed line only in its version numbers (a dependency or action bump), and a
blank or comment line.

Lines are compared normalized: comments cut, whitespace removed, one quote character, no comma
before a closing bracket. Two comparisons use that form:
- a line is *carried* when its normalized text equals a removed line's (an added line) or an
  added line's (a removed line), or does so once version numbers are masked;
- a finding is *carried* when the text it was found in (its fingerprint: the matched code, the
  secret's value, the statement bandit flagged) appears in the change's removed text of the same
  kind of file (production, or tests/docs/examples), read as one stream per hunk, so that lines
  a formatter joined or split still meet. Commented-out lines are not in that stream: code that
  was commented out and is now live is new.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from bot.engine.snapshot import ChangedFile

MAX_COMMENT_SCAN = 4096
MAX_NORMALIZED = 64 * 1024
# Fingerprints shorter than this (normalized) say too little to be found in other text.
MIN_FINGERPRINT = 12
# Past this much normalized removed text, a fingerprint is compared with whole removed lines only,
# so the cost per finding stays bounded on huge changes.
MAX_STREAM_CHARS = 4 * 1024 * 1024

_HASH_COMMENTS = frozenset({"python", "shell", "ruby", "yaml", "toml", "dockerfile", "terraform"})
_SLASH_COMMENTS = frozenset(
    {
        "javascript",
        "typescript",
        "go",
        "java",
        "kotlin",
        "scala",
        "csharp",
        "c",
        "cpp",
        "rust",
        "php",
        "swift",
        "objc",
    }
)
_DASH_COMMENTS = frozenset({"sql", "lua"})

_WHITESPACE = re.compile(r"\s+")
_COMMA_BEFORE_CLOSE = re.compile(r",([)\]}])")
# Version numbers and commit ids: 1.2.3 and 2.1.165-beta.1 (two dots at least: 1.5 may be a
# timeout), v4 and v3.12, @4, a 7..40-digit hex id holding a digit and a letter.
_VERSION = re.compile(
    r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b|\d+(?:\.\d+){2,}(?:[-+.]?[0-9A-Za-z]+)*"
    r"|\bv\d+(?:\.\d+)*|@\d+(?:\.\d+)*\b"
)


def _no_language(_: str) -> str | None:
    return None


def _everywhere(_: str) -> bool:
    return True


def comment_style(language: str | None) -> str:
    if language in _HASH_COMMENTS:
        return "#"
    if language in _SLASH_COMMENTS:
        return "//"
    if language in _DASH_COMMENTS:
        return "--"
    return ""


def strip_comment(line: str, style: str) -> str:
    """`line` without its comment, for a language whose line comments start with `style`.

    Quotes are followed so that a `#` or `//` inside a string (a URL) is kept; a line that opens
    or continues a block comment (`/*`, ` * `) is all comment.
    """
    stripped = line.lstrip()
    if style == "//" and stripped.startswith(("/*", "*")):
        return ""
    # Past MAX_COMMENT_SCAN characters (minified code, data) a line is compared whole: walking
    # it character by character would cost seconds on a crafted line.
    if style == "" or style not in line or len(line) > MAX_COMMENT_SCAN:
        return line
    quote = ""
    index = 0
    while index < len(line):
        char = line[index]
        if quote:
            if char == "\\":
                index += 2
                continue
            if char == quote:
                quote = ""
        elif char in "\"'`":
            quote = char
        elif line.startswith(style, index) and (style != "//" or line[index - 1 : index] != ":"):
            return line[:index]
        index += 1
    return line


def normalize(text: str) -> str:
    """Code text in a form formatters do not change: no whitespace, one quote character, no
    comma before a closing bracket, no parentheses around a whole assigned or returned value."""
    flat = _WHITESPACE.sub("", text).replace("'", '"')
    return _unwrapped(_COMMA_BEFORE_CLOSE.sub(r"\1", flat))


_WRAPPED_VALUE = re.compile(r"(?:[^=!<>]=|\breturn)\(")


def _unwrapped(flat: str) -> str:
    """`x=(a+b)` as `x=a+b`: formatters add and drop such parentheses."""
    opened = _WRAPPED_VALUE.search(flat)
    if opened is None or not flat.endswith(")"):
        return flat
    start = opened.end() - 1
    depth = 0
    for index in range(start, len(flat)):
        depth += {"(": 1, ")": -1}.get(flat[index], 0)
        if depth == 0:
            if index != len(flat) - 1:
                return flat
            return flat[:start] + flat[start + 1 : -1]
    return flat


def versionless(normalized: str) -> str:
    return _VERSION.sub("\x00", normalized)


def _normalized_lines(lines: Mapping[int, str], style: str) -> Iterable[tuple[int, str]]:
    for number in sorted(lines):
        line = lines[number]
        # A huge line (minified code, data) is compared as it is: normalizing it would cost
        # about a second per 10 MiB, and a formatter does not re-wrap such lines anyway.
        yield (
            number,
            line.strip() if len(line) > MAX_NORMALIZED else normalize(strip_comment(line, style)),
        )


@dataclass(frozen=True, slots=True)
class ChangeText:
    """The removed and added text of a whole change, normalized, to tell new lines from old.

    Lines pair one to one: a removed line carries one added line of the same text, so a line
    the change moved and also copied twice more is once old and twice new.
    """

    # The lines each file's change really wrote and really removed, by path.
    written: Mapping[str, frozenset[int]]
    taken: Mapping[str, frozenset[int]]
    removed: frozenset[str]
    # Normalized removed text, one stream per hunk, for production files (True) and the rest.
    streams: Mapping[bool, str]
    languages: Callable[[str], str | None]
    is_production: Callable[[str], bool]

    @classmethod
    def empty(cls) -> ChangeText:
        return cls.of((), _no_language, _everywhere)

    @classmethod
    def of(
        cls,
        files: Iterable[ChangedFile],
        language_of: Callable[[str], str | None],
        is_production: Callable[[str], bool],
    ) -> ChangeText:
        added: list[tuple[str, int, str]] = []
        removed: list[tuple[str, int, str]] = []
        streams: dict[bool, list[str]] = {True: [], False: []}
        for changed in files:
            style = comment_style(language_of(changed.path))
            added.extend(
                (changed.path, number, text)
                for number, text in _normalized_lines(changed.added_text, style)
                if text
            )
            stream = streams[is_production(changed.old_path or changed.path)]
            previous = -1
            for number, text in _normalized_lines(changed.removed_text, style):
                if not text:
                    continue
                removed.append((changed.path, number, text))
                stream.append(text if number == previous + 1 else "\n" + text)
                previous = number
            stream.append("\n")
        return cls(
            written=_unpaired(added, removed),
            taken=_unpaired(removed, added),
            removed=frozenset(text for _, _, text in removed),
            streams={place: _joined(parts) for place, parts in streams.items()},
            languages=language_of,
            is_production=is_production,
        )

    def carried(self, fingerprint: str, path: str) -> bool:
        """Whether the code a finding in `path` was found in was already in the change's removed
        text, of files of the same kind (production, or tests, docs and examples)."""
        style = comment_style(self.languages(path))
        normalized = _joined(
            normalize(strip_comment(line, style)) for line in fingerprint.split("\n")
        )
        if len(normalized) < MIN_FINGERPRINT:
            return False
        stream = self.streams.get(self.is_production(path), "")
        if len(stream) > MAX_STREAM_CHARS:
            return normalized in self.removed
        return normalized in stream

    def new_lines(self, changed: ChangedFile) -> list[int]:
        """The added lines of `changed` the change really wrote: not blank or comment, not the
        text of a removed line, not a removed line with other version numbers."""
        written = self.written.get(changed.path, frozenset())
        return [number for number in sorted(changed.added_text) if number in written]

    def gone_lines(self, changed: ChangedFile) -> list[int]:
        """The removed lines of `changed` the change really took away (not moved, not bumped)."""
        taken = self.taken.get(changed.path, frozenset())
        return [number for number in sorted(changed.removed_text) if number in taken]

    def substantive(self, changed: ChangedFile) -> bool:
        """Whether the change wrote or removed any line of `changed` for real. A file with no
        text diff (binary, too large to show) counts: what it holds cannot be told."""
        if changed.binary:
            return True
        return bool(self.written.get(changed.path) or self.taken.get(changed.path))


def _versionless(text: str) -> str:
    return text if len(text) > MAX_NORMALIZED else versionless(text)


def _joined(lines: Iterable[str]) -> str:
    """Normalized lines as one text; a formatter's trailing comma ends up before its bracket."""
    return _COMMA_BEFORE_CLOSE.sub(r"\1", "".join(lines))


def _unpaired(
    lines: list[tuple[str, int, str]], others: list[tuple[str, int, str]]
) -> dict[str, frozenset[int]]:
    """The `lines` that no line of `others` pairs with, by path: first by equal text, then, for
    lines holding a version number, by equal text once versions are masked (a bump)."""
    available = Counter(text for _, _, text in others)
    left: list[tuple[str, int, str]] = []
    for entry in lines:
        if available[entry[2]] > 0:
            available[entry[2]] -= 1
        else:
            left.append(entry)
    # Versions are compared among what exact text left unpaired on both sides.
    others_left = Counter(
        _versionless(text) for text, count in available.items() for _ in range(count)
    )
    unpaired: dict[str, set[int]] = {}
    for path, number, text in left:
        masked = _versionless(text)
        if masked != text and others_left[masked] > 0:
            others_left[masked] -= 1
            continue
        unpaired.setdefault(path, set()).add(number)
    return {path: frozenset(numbers) for path, numbers in unpaired.items()}


# --- Python: the same program with other annotations, docstrings or formatting -----------------

_TYPING_MODULES = frozenset({"typing", "typing_extensions", "__future__", "collections.abc"})


class _Untyped(ast.NodeTransformer):
    """A syntax tree without what does not change what the code does: type annotations,
    `cast(...)`, `if TYPE_CHECKING:` blocks, `@overload` stubs, typing imports, docstrings and
    a function's last bare `return`."""

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.annotation = None
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST | None:
        if any(_names_overload(decorator) for decorator in node.decorator_list):
            return None  # a typing stub: the implementation follows it
        node.returns = None
        node.body = _without_final_return(_without_docstring(node.body))
        return self.generic_visit(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        node.returns = None
        node.body = _without_final_return(_without_docstring(node.body))
        return self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.body = _without_docstring(node.body)
        return self.generic_visit(node)

    def visit_Module(self, node: ast.Module) -> ast.AST:
        node.body = _without_docstring(node.body)
        return self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST | None:
        if node.value is None:
            return None
        assigned: ast.AST = self.visit(ast.Assign(targets=[node.target], value=node.value))
        return assigned

    def visit_Import(self, node: ast.Import) -> ast.AST | None:
        return None if all(a.name in _TYPING_MODULES for a in node.names) else node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST | None:
        return None if node.module in _TYPING_MODULES else node

    def visit_If(self, node: ast.If) -> ast.AST | list[ast.stmt] | None:
        test = node.test
        name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", None)
        if name == "TYPE_CHECKING":
            # What runs is the `else` branch, if any.
            return [self.visit(statement) for statement in node.orelse] or None
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name == "cast" and len(node.args) == 2 and not node.keywords:
            value: ast.AST = self.visit(node.args[1])
            return value
        return self.generic_visit(node)


def _names_overload(decorator: ast.expr) -> bool:
    name = decorator.attr if isinstance(decorator, ast.Attribute) else getattr(decorator, "id", "")
    return name == "overload"


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return body[1:] or [ast.Pass()]
    return body


def _without_final_return(body: list[ast.stmt]) -> list[ast.stmt]:
    """A function's body without a last `return` or `return None`, which a type checker may
    want written and which changes nothing."""
    last = body[-1] if body else None
    if isinstance(last, ast.Return) and (
        last.value is None or (isinstance(last.value, ast.Constant) and last.value.value is None)
    ):
        return body[:-1] or [ast.Pass()]
    return body


def same_python_code(base_text: str, head_text: str) -> bool:
    """Whether two versions of a Python file are one program: equal syntax trees once type
    annotations, casts, typing imports and docstrings are left out. False when either does not
    parse."""
    try:
        trees = [_Untyped().visit(ast.parse(text)) for text in (base_text, head_text)]
        dumps = [ast.dump(_without_unused_names(tree)) for tree in trees]
    except (SyntaxError, ValueError, RecursionError):
        return False
    return dumps[0] == dumps[1]


def _without_unused_names(tree: ast.AST) -> ast.AST:
    """The tree without `from x import y` names it no longer uses (those only annotations
    needed); `import x` statements stay, as they may be imported for what they do."""
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        kept: list[ast.stmt] = []
        for statement in body:
            if isinstance(statement, ast.ImportFrom):
                names = [a for a in statement.names if (a.asname or a.name) in used]
                if not names:
                    continue
                statement.names = names
            kept.append(statement)
        setattr(node, "body", kept or [ast.Pass()])  # noqa: B010  (any node with a body)
    return tree
