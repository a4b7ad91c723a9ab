"""`migration-fk-no-index`: a foreign key a Postgres migration adds on columns it creates,
with no index that leads with those columns.

Postgres indexes the referenced side of a foreign key (its primary key or unique constraint),
never the referencing side: without an index there, every delete or key update of a parent row
scans the child table under lock, and every join from parent to children scans it too. squawk
has no rule for it (its rules are about locks), so this reads the migration's SQL itself.

The SQL is tokenized (strings, quoted identifiers, dollar quoting, comments, template
placeholders as names) and split into statements; `CREATE TABLE`, `ALTER TABLE ... ADD` and
`CREATE INDEX` are read for the columns a migration creates, the foreign keys it declares and
the indexes it builds (explicit ones, primary keys and unique constraints: each indexes its
leading columns). A foreign key is reported when:
- it is on columns the same migration creates: an older column may have an index an earlier
  migration made, which one file cannot see;
- no index of the migration, but a partial or an expression one, leads with its columns (in any
  order);
- the columns are not an audit trail's (`created_by`, `creatorId`, `lastModifiedByUserId`):
  written once, rarely queried by, their user rarely deleted.
The files are those squawk reads (bot/data/tools.yml: Postgres migrations the change creates);
Django's `ForeignKey` and Rails' `add_reference` make the index themselves and are not SQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from bot.config.levels import Severity
from bot.engine.files import FileJob
from bot.engine.result import Location
from bot.engine.tool_table import tool_table

RULE = "migration-fk-no-index"
CWE = 1067  # excessive execution of sequential searches of a data resource
MESSAGE = (
    "Foreign key on {column} with no index that leads with it, and Postgres does not make one: "
    "every delete or key change of a {parent} row scans {table}, as does every join to it. "
    "Create an index on the referencing column in this migration."
)
# The files squawk reads: Postgres migrations.
_MIGRATIONS_OF = "squawk"

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<comment>--[^\n]*)
    | (?P<block>/\*)
    | (?P<placeholder>\{\{[^{}\n]*\}\}|\$\{[^{}\n]*\})
    | (?P<dollar>\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$)
    | (?P<string>[EeBbXxNnUu]?'(?:[^']|'')*')
    | (?P<quoted>"(?:[^"]|"")*")
    | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_SAFE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}")
# Who made or last changed a row: written once, rarely queried by, and their user rarely deleted
# (a missing index there was never worth a review on the corpus). Matched without underscores.
_AUDIT_COLUMN = re.compile(
    r"(created|updated|modified|lastmodified|deleted|changed)by(id|user|userid)?"
    r"|(creator|modifier|updater)(id|userid)?"
)
_CONSTRAINT_KINDS = frozenset({"primary", "unique", "foreign", "check", "exclude"})


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # a name as Postgres resolves it: unquoted folded to lower case
    line: int
    quoted: bool = False

    def is_(self, *words: str) -> bool:
        return not self.quoted and self.text in words


@dataclass(slots=True)
class _Migration:
    created: dict[str, set[str]] = field(default_factory=dict)  # table -> columns
    indexed: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)  # leading columns
    foreign_keys: list[tuple[str, tuple[str, ...], str, int]] = field(default_factory=list)

    def index(self, table: str, columns: tuple[str, ...]) -> None:
        if columns:
            self.indexed.setdefault(table, []).append(columns)

    def covered(self, table: str, columns: tuple[str, ...]) -> bool:
        wanted = set(columns)
        return any(set(index[: len(columns)]) == wanted for index in self.indexed.get(table, []))


def scan_foreign_keys(job: FileJob, disabled: frozenset[str]) -> tuple[Location, ...]:
    """Foreign keys without an index in a Postgres migration the change creates."""
    if (
        RULE in disabled
        or not job.production
        or not job.created
        or job.head_text is None
        or "references" not in job.head_text.lower()
        or not tool_table().spec(_MIGRATIONS_OF).reads(job.path, job.language)
    ):
        return ()
    migration = read_migration(job.head_text)
    found = []
    for table, columns, parent, line in migration.foreign_keys:
        if line not in job.added_lines:
            continue
        if not set(columns) <= migration.created.get(table, set()):
            continue  # an older column may have an index this file cannot see
        if migration.covered(table, columns):
            continue
        if all(_AUDIT_COLUMN.fullmatch(column.lower().replace("_", "")) for column in columns):
            continue
        found.append(
            Location(
                path=job.path,
                line=line,
                message=MESSAGE.format(
                    column=_shown(f"{table}.{', '.join(columns)}", columns=True),
                    parent=_shown(parent),
                    table=_shown(table),
                ),
                rule=RULE,
                # Shown, not counted: 0.66 on real migrations (docs/rules.md); the index matters
                # on a large child table, and a migration cannot tell a large one.
                severity=Severity.LOW,
                cwe=CWE,
                counted=False,
                fingerprint=job.added_text.get(line),
            )
        )
    return tuple(found)


def read_migration(sql: str) -> _Migration:
    """The columns, indexes and foreign keys a migration's statements create."""
    migration = _Migration()
    for statement in _statements(tokenize(sql)):
        if _starts(statement, "create") and _find(statement[:8], "table") is not None:
            _create_table(statement, migration)
        elif _starts(statement, "alter", "table"):
            _alter_table(statement, migration)
        elif _starts(statement, "create") and _find(statement[:4], "index") is not None:
            _create_index(statement, migration)
    return migration


def tokenize(sql: str) -> list[Token]:
    """Names, keywords and punctuation, with their lines; no strings, comments or spaces."""
    tokens: list[Token] = []
    position, line = 0, 1
    while position < len(sql):
        match = _TOKEN.match(sql, position)
        assert match is not None  # `other` takes any one character
        kind, text = match.lastgroup, match.group()
        end = match.end()
        if kind == "block":
            end = _block_end(sql, end)
        elif kind == "dollar":
            closing = sql.find(text, end)
            end = len(sql) if closing == -1 else closing + len(text)
        elif kind == "word":
            tokens.append(Token(text.lower(), line))
        elif kind == "quoted":
            tokens.append(Token(text[1:-1].replace('""', '"'), line, quoted=True))
        elif kind == "placeholder":
            tokens.append(Token("t", line, quoted=True))
        elif kind == "string":
            tokens.append(Token("'", line, quoted=True))  # its text is no name
        elif kind == "other":
            tokens.append(Token(text, line))
        line += sql.count("\n", position, end)
        position = end
    return tokens


def _block_end(sql: str, position: int) -> int:
    """The end of a /* */ comment, which nests in Postgres."""
    depth = 1
    while depth and position < len(sql):
        opening, closing = sql.find("/*", position), sql.find("*/", position)
        if closing == -1:
            return len(sql)
        if opening != -1 and opening < closing:
            depth, position = depth + 1, opening + 2
        else:
            depth, position = depth - 1, closing + 2
    return position


def _statements(tokens: list[Token]) -> Iterator[list[Token]]:
    current: list[Token] = []
    for token in tokens:
        if token.is_(";"):
            if current:
                yield current
            current = []
        else:
            current.append(token)
    if current:
        yield current


def _starts(tokens: list[Token], *words: str) -> bool:
    return len(tokens) >= len(words) and all(t.is_(w) for t, w in zip(tokens, words, strict=False))


def _find(tokens: list[Token], word: str) -> int | None:
    return next((i for i, token in enumerate(tokens) if token.is_(word)), None)


def _split(tokens: list[Token]) -> list[list[Token]]:
    """The comma-separated parts of a list, at its own nesting level."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.is_("("):
            depth += 1
        elif token.is_(")"):
            depth -= 1
        if token.is_(",") and depth == 0:
            parts.append([])
        else:
            parts[-1].append(token)
    return [part for part in parts if part]


def _parenthesized(tokens: list[Token], start: int) -> tuple[list[Token], int] | None:
    """The tokens inside the parentheses that open at `start`, and the index after them."""
    if start >= len(tokens) or not tokens[start].is_("("):
        return None
    depth = 0
    for index in range(start, len(tokens)):
        if tokens[index].is_("("):
            depth += 1
        elif tokens[index].is_(")"):
            depth -= 1
            if depth == 0:
                return tokens[start + 1 : index], index + 1
    return None


def _name(tokens: list[Token], start: int) -> tuple[str, int]:
    """A possibly schema-qualified name at `start`: its last part, and the index after it."""
    index = start
    name = tokens[index].text if index < len(tokens) else ""
    while index + 2 < len(tokens) and tokens[index + 1].is_("."):
        index += 2
        name = tokens[index].text
    return name, index + 1


def _skip(tokens: list[Token], index: int, *words: str) -> int:
    while index < len(tokens) and tokens[index].is_(*words):
        index += 1
    return index


def _columns(tokens: list[Token]) -> tuple[str, ...]:
    """The leading names of a column list: up to the first element that is an expression."""
    names: list[str] = []
    for part in _split(tokens):
        if len(part) > 1 and part[1].is_("("):
            break  # a function of the column
        if part[0].is_("(") or not (part[0].quoted or _SAFE_NAME.fullmatch(part[0].text)):
            break
        names.append(part[0].text)
    return tuple(names)


def _create_table(statement: list[Token], migration: _Migration) -> None:
    index = _find(statement, "table")
    assert index is not None
    index = _skip(statement, index + 1, "if", "not", "exists")
    table, index = _name(statement, index)
    body = _parenthesized(statement, index)
    if body is None:
        return  # CREATE TABLE ... AS, PARTITION OF without columns
    columns = migration.created.setdefault(table, set())
    for element in _split(body[0]):
        _table_element(table, element, migration, columns)


def _alter_table(statement: list[Token], migration: _Migration) -> None:
    index = _skip(statement, 2, "if", "exists", "only")
    table, index = _name(statement, index)
    for action in _split(statement[index:]):
        if not action[0].is_("add"):
            continue
        rest = action[1:]
        if rest and rest[0].is_("column"):
            rest = rest[1:]
        if _starts(rest, "if", "not", "exists"):
            rest = rest[3:]
        _table_element(table, rest, migration, migration.created.setdefault(table, set()))


def _table_element(
    table: str, element: list[Token], migration: _Migration, columns: set[str]
) -> None:
    """A column definition or a table constraint of CREATE TABLE or ALTER TABLE ... ADD."""
    if not element:
        return
    start = 2 if element[0].is_("constraint") else 0
    head = element[start] if start < len(element) else None
    if head is not None and head.is_(*_CONSTRAINT_KINDS):
        _table_constraint(table, element[start:], migration)
        return
    if element[0].is_("like") or head is None:
        return
    column = element[0].text
    columns.add(column)
    for position, token in enumerate(element[1:], start=1):
        if token.is_("primary", "unique"):
            migration.index(table, (column,))
        elif token.is_("references"):
            parent, _ = _name(element, position + 1)
            migration.foreign_keys.append((table, (column,), parent, token.line))


def _table_constraint(table: str, constraint: list[Token], migration: _Migration) -> None:
    head = constraint[0]
    opening = _find(constraint, "(")
    listed = _parenthesized(constraint, opening) if opening is not None else None
    if listed is None:
        return
    columns = _columns(listed[0])
    if head.is_("primary", "unique"):
        migration.index(table, columns)
    elif head.is_("foreign"):
        after = listed[1]
        if after < len(constraint) and constraint[after].is_("references"):
            parent, _ = _name(constraint, after + 1)
            migration.foreign_keys.append((table, columns, parent, head.line))


def _create_index(statement: list[Token], migration: _Migration) -> None:
    on = _find(statement, "on")
    if on is None:
        return
    table, index = _name(statement, _skip(statement, on + 1, "only"))
    if index < len(statement) and statement[index].is_("using"):
        index += 2
    listed = _parenthesized(statement, index)
    if listed is None:
        return
    if _find(statement[listed[1] :], "where") is not None:
        return  # a partial index serves only the rows it holds
    migration.index(table, _columns(listed[0]))


def _shown(name: str, *, columns: bool = False) -> str:
    """A name from the migration, in backticks when it looks like one; else a plain word."""
    parts = re.split(r"[., ]+", name)
    if all(_SAFE_NAME.fullmatch(part) for part in parts if part):
        return f"`{name}`"
    return "the column" if columns else "the table"
