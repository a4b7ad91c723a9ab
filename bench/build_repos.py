"""Deterministic git repositories for the `analyze` benchmark.

Each profile is one repository: a `main` commit with the existing files, and a feature branch
of three commits that modifies, adds, renames and deletes files (the middle commit carries a
`Co-Authored-By: Claude` trailer). Code is generated from templates with branches, loops, SQL
strings, HTTP calls and the odd risky call, so radon, lizard, bandit and the secret scan all
have real work. Everything comes from one seeded `random.Random` and fixed commit dates: the
same seed gives the same files and the same commit SHAs.

    .venv/bin/python bench/build_repos.py --profile large   # prints the repository's path
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# Bump when the generated content changes, so cached repositories are rebuilt.
GENERATOR_VERSION = 5
WORK_DIR = Path(__file__).resolve().parent / ".work"
BASE_BRANCH = "main"
FEATURE_BRANCH = "feature/orders-sync"
_READY = ".bench-ready"


@dataclass(frozen=True, slots=True)
class Profile:
    """How big a change to generate; see PROFILES."""

    name: str
    untouched: int  # base files the change leaves alone
    modified: int  # code files edited in place
    added: int  # code files the change adds
    renamed: int  # code files moved (every other one also edited)
    deleted: int  # code files removed
    docs: int  # YAML and markdown files changed (half edited, half added)
    code_added_lines: int  # budget of added lines spread over the code files
    languages: tuple[tuple[str, float], ...]  # code language -> share of code files
    extras: bool  # lockfiles, vendored, minified, generated and binary files
    manifests: tuple[str, ...]  # dependency manifests the change edits


PROFILES: dict[str, Profile] = {
    # 20 files, ~500 added lines, mostly Python plus some JS/TS.
    "typical": Profile(
        name="typical",
        untouched=80,
        modified=13,
        added=4,
        renamed=1,
        deleted=1,
        docs=0,
        code_added_lines=450,
        languages=(("python", 0.72), ("typescript", 0.18), ("javascript", 0.10)),
        extras=False,
        manifests=("requirements.txt",),
    ),
    # 3,000 files, ~50,000 added lines, mixed languages plus lockfiles, vendored, minified,
    # generated and binary files.
    "large": Profile(
        name="large",
        untouched=600,
        modified=1580,
        added=900,
        renamed=60,
        deleted=60,
        docs=300,
        code_added_lines=30_000,
        languages=(
            ("python", 0.45),
            ("typescript", 0.18),
            ("javascript", 0.12),
            ("go", 0.13),
            ("java", 0.12),
        ),
        extras=True,
        manifests=("requirements.txt", "package.json", "go.mod"),
    ),
}

# --- words ------------------------------------------------------------------------------------

VERBS = (
    "load", "sync", "fetch", "update", "apply", "build", "resolve", "merge", "export", "import",
    "validate", "refresh", "collect", "settle", "reconcile", "schedule", "render", "archive",
)  # fmt: skip
NOUNS = (
    "orders", "invoice", "account", "ledger", "session", "customer", "refund", "shipment",
    "report", "webhook", "token", "price", "cart", "payment", "profile", "audit", "quota",
    "subscription", "inventory", "coupon", "address", "notification", "batch", "tenant",
)  # fmt: skip
QUALIFIERS = ("", "", "", "batch", "pending", "remote", "cached", "daily", "all", "by_owner")
PACKAGES = (
    "orders", "billing", "payments", "auth", "accounts", "reports", "inventory", "shipping",
    "notifications", "search", "admin", "core", "api", "jobs", "pricing", "users", "audit",
)  # fmt: skip
TABLES = ("orders", "accounts", "invoices", "sessions", "payments", "users", "audit_log")
COLUMNS = ("status", "owner_id", "region", "currency", "email", "state", "kind")
ARGS = ("owner_id", "account_id", "order_id", "region", "tenant", "customer_id", "ref")
URL_WORDS = ("orders", "accounts", "prices", "refunds", "events", "exports", "health")


def snake_to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


def snake_to_pascal(name: str) -> str:
    return "".join(word.title() for word in name.split("_"))


# --- code templates ---------------------------------------------------------------------------
# Templates are written with 4-space indent steps and `@name@` placeholders (so that braces stay
# literal); each language converts the steps to its own indent unit.

PY_STATEMENTS = (
    """if @a@ is None:
    raise ValueError("@fn@: @a@ is required")""",
    """query = f"SELECT id, @c@ FROM @t@ WHERE @c@ = '{@a@}'"
rows = cursor.execute(query).fetchall()""",
    """rows = cursor.execute("SELECT id, @c@ FROM @t@ WHERE id = %s", (@a@,)).fetchall()""",
    """for row in rows:
    if row["@c@"] == "active" and row["count"] > @n@:
        total += row["count"]
    elif row["@c@"] == "pending":
        pending.append(row["id"])
    else:
        continue""",
    """try:
    response = requests.get(f"{BASE_URL}/@u@/{@a@}", timeout=@n@)
    response.raise_for_status()
except requests.RequestException as exc:
    logger.warning("@fn@: request failed: %s", exc)
    return None""",
    """response = requests.post(BASE_URL + "/@u@", json={"id": @a@, "total": total})
if response.status_code >= 400:
    logger.error("@fn@: %s", response.text)""",
    """attempt = 0
while attempt < @n@:
    attempt += 1
    if fetch_status(@a@) == "ready":
        break""",
    """names = [r["@c@"] for r in rows if r.get("@c@") and r["count"] > @n@]
total += len(names)""",
    """done = subprocess.run(["git", "log", "--oneline", str(@a@)], capture_output=True, timeout=30)
if done.returncode != 0:
    return None""",
    """subprocess.call("tar czf /tmp/@u@.tgz " + str(@a@), shell=True)""",
    """digest = hashlib.md5(str(@a@).encode()).hexdigest()
pending.append(digest)""",
    """try:
    total += int(@a@)
except (TypeError, ValueError):
    pass""",
    """with open(f"/tmp/@u@-{@a@}.json", "w", encoding="utf-8") as handle:
    json.dump({"total": total, "pending": pending}, handle)""",
    """if total > @n@ or len(pending) > @n@:
    logger.info("@fn@: %d pending", len(pending))
    total = min(total, @n@ * 10)""",
    """for index, item in enumerate(pending):
    if index % 2 == 0 and item:
        total += 1""",
)

JS_STATEMENTS = (
    """if (!@a@) {
    throw new Error("@fn@: @a@ is required");
}""",
    """const rows@k@ = await db.query(`SELECT id, @c@ FROM @t@ WHERE @c@ = '${@a@}'`);
total += rows@k@.length;""",
    """const rows@k@ = await db.query("SELECT id, @c@ FROM @t@ WHERE id = $1", [@a@]);
for (const row of rows@k@) {
    if (row.@c@ === "active" && row.count > @n@) {
        total += row.count;
    } else if (row.@c@ === "pending") {
        pending.push(row.id);
    } else {
        continue;
    }
}""",
    """try {
    const response = await fetch(`${BASE_URL}/@u@/${@a@}`, { signal: AbortSignal.timeout(@n@000) });
    if (!response.ok) {
        return null;
    }
} catch (err) {
    console.warn("@fn@: request failed", err);
    return null;
}""",
    """const names@k@ = pending.filter((id) => id && id.length > @n@).map((id) => id.trim());
total += names@k@.length;""",
    """switch (mode) {
    case "@u@":
        total += @n@;
        break;
    case "archive":
        total -= 1;
        break;
    default:
        break;
}""",
    """for (let attempt = 0; attempt < @n@; attempt += 1) {
    if (await isReady(@a@)) {
        break;
    }
}""",
    """element.innerHTML = `<span class="@u@">${@a@}</span>`;""",
    """if (total > @n@ || pending.length > @n@) {
    console.info("@fn@: pending", pending.length);
    total = Math.min(total, @n@ * 10);
}""",
    """await fetch(BASE_URL + "/@u@", { method: "POST", body: JSON.stringify({ id: @a@ }) });""",
)

GO_STATEMENTS = (
    """if @a@ == "" {
    return 0, errors.New("@fn@: @a@ is required")
}""",
    """rows@k@, err := db.QueryContext(ctx, "SELECT id, count FROM @t@ WHERE @c@ = $1", @a@)
if err != nil {
    return 0, fmt.Errorf("@fn@: %w", err)
}
defer rows@k@.Close()
for rows@k@.Next() {
    total++
}""",
    """query@k@ := fmt.Sprintf("SELECT id FROM @t@ WHERE @c@ = '%s'", @a@)
if _, err := db.ExecContext(ctx, query@k@); err != nil {
    return 0, err
}""",
    """for i := 0; i < @n@; i++ {
    if total > @n@*i && i%2 == 0 {
        total += i
    } else if total < 0 {
        total = 0
    }
}""",
    """switch @a@ {
case "@u@":
    total += @n@
case "archive":
    total--
default:
    total++
}""",
    """resp@k@, err := http.Get(baseURL + "/@u@/" + @a@)
if err != nil {
    return 0, err
}
defer resp@k@.Body.Close()""",
    """client@k@ := &http.Client{Timeout: @n@ * time.Second}
if _, err := client@k@.Get(baseURL + "/@u@"); err != nil {
    log.Printf("@fn@: %v", err)
}""",
)

JAVA_STATEMENTS = (
    """if (@a@ == null) {
    throw new IllegalArgumentException("@fn@: @a@ is required");
}""",
    """String query@k@ = "SELECT id, @c@ FROM @t@ WHERE @c@ = '" + @a@ + "'";
try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(query@k@)) {
    while (rs.next()) {
        total += rs.getInt("count");
    }
}""",
    """try (PreparedStatement ps = conn.prepareStatement("SELECT count FROM @t@ WHERE id = ?")) {
    ps.setString(1, @a@);
    try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
            total += rs.getInt(1);
        }
    }
}""",
    """for (int i = 0; i < @n@; i++) {
    if (total > i * @n@ && i % 2 == 0) {
        total += i;
    } else if (total < 0) {
        total = 0;
    }
}""",
    """switch (mode) {
    case "@u@":
        total += @n@;
        break;
    default:
        total -= 1;
}""",
    """HttpRequest request@k@ = HttpRequest.newBuilder(URI.create(BASE_URL + "/@u@/" + @a@))
        .timeout(Duration.ofSeconds(@n@)).build();
HttpResponse<String> response@k@ = client.send(request@k@, HttpResponse.BodyHandlers.ofString());
if (response@k@.statusCode() >= 400) {
    return -1;
}""",
    """if (pending.size() > @n@ && !pending.contains(@a@)) {
    pending.add(@a@);
}""",
)

_PLACEHOLDER = re.compile(r"@(\w+)@")


@dataclass(slots=True)
class Block:
    """A function (or class) as lines; statements may be inserted at `insert_at`."""

    lines: list[str]
    insert_at: int
    indent: str
    name: str
    arg: str


@dataclass(slots=True)
class SourceFile:
    """A code file as header, blocks and footer, so an edit can target one function."""

    language: str
    header: list[str]
    blocks: list[Block]
    footer: list[str]
    counter: int = 0

    def text(self) -> str:
        lines = list(self.header)
        for block in self.blocks:
            lines.extend(block.lines)
            lines.append("")
        lines.extend(self.footer)
        return "\n".join(lines).rstrip("\n") + "\n"


@dataclass(frozen=True, slots=True)
class Language:
    id: str
    extension: str
    unit: str  # one indent step
    statements: tuple[str, ...]
    header: Callable[[random.Random, str], list[str]]
    footer: tuple[str, ...]
    function: Callable[[random.Random, str, str], tuple[list[str], int, list[str]]]
    member_indent: int  # indent steps of a function inside the file (Java: inside the class)
    name_style: Callable[[str], str]


def _fill(template: str, rng: random.Random, unit: str, values: dict[str, str]) -> list[str]:
    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in values:
            return values[key]
        if key == "n":
            return str(rng.randint(2, 50))
        if key == "t":
            return rng.choice(TABLES)
        if key == "c":
            return rng.choice(COLUMNS)
        if key == "u":
            return rng.choice(URL_WORDS)
        raise KeyError(key)

    lines = []
    for raw in _PLACEHOLDER.sub(value, template).split("\n"):
        stripped = raw.lstrip(" ")
        steps = (len(raw) - len(stripped)) // 4
        lines.append(unit * steps + stripped)
    return lines


def _py_header(rng: random.Random, title: str) -> list[str]:
    return [
        f'"""{title.replace("_", " ").capitalize()} service helpers."""',
        "",
        "from __future__ import annotations",
        "",
        "import hashlib",
        "import json",
        "import logging",
        "import subprocess",
        "",
        "import requests",
        "",
        "logger = logging.getLogger(__name__)",
        f'BASE_URL = "https://api.example.com/v{rng.randint(1, 3)}"',
        "",
        "",
    ]


def _py_function(rng: random.Random, name: str, arg: str) -> tuple[list[str], int, list[str]]:
    opening = [
        f"def {name}(cursor, {arg}, limit={rng.randint(10, 500)}):",
        f'    """{name.replace("_", " ").capitalize()} for one {arg.split("_", maxsplit=1)[0]}."""',
        "    total = 0",
        "    pending = []",
    ]
    return opening, len(opening), ["    return total"]


def _js_header(rng: random.Random, title: str) -> list[str]:
    return [
        f"// {title.replace('_', ' ')}: data access and remote calls",
        'import { isReady } from "../lib/status.js";',
        "",
        f'const BASE_URL = "https://api.example.com/v{rng.randint(1, 3)}";',
        "",
    ]


def _js_function(rng: random.Random, name: str, arg: str) -> tuple[list[str], int, list[str]]:
    opening = [
        f'export async function {name}(db, {arg}, mode = "{rng.choice(URL_WORDS)}") {{',
        "  let total = 0;",
        "  const pending = [];",
    ]
    return opening, len(opening), ["  return total;", "}"]


def _ts_header(rng: random.Random, title: str) -> list[str]:
    return [
        f"// {title.replace('_', ' ')}: data access and remote calls",
        'import type { Db } from "../db";',
        'import { isReady } from "../lib/status";',
        "",
        f'const BASE_URL = "https://api.example.com/v{rng.randint(1, 3)}";',
        "",
    ]


def _ts_function(rng: random.Random, name: str, arg: str) -> tuple[list[str], int, list[str]]:
    opening = [
        f"export async function {name}(db: Db, {arg}: string, "
        f'mode = "{rng.choice(URL_WORDS)}"): Promise<number | null> {{',
        "  let total = 0;",
        "  const pending: string[] = [];",
    ]
    return opening, len(opening), ["  return total;", "}"]


def _go_header(rng: random.Random, title: str) -> list[str]:
    package = title.split("_", maxsplit=1)[0]
    return [
        f"// Package {package} holds the {title.replace('_', ' ')} handlers.",
        f"package {package}",
        "",
        "import (",
        '\t"context"',
        '\t"database/sql"',
        '\t"errors"',
        '\t"fmt"',
        '\t"log"',
        '\t"net/http"',
        '\t"time"',
        ")",
        "",
        f'const baseURL = "https://api.example.com/v{rng.randint(1, 3)}"',
        "",
    ]


def _go_function(rng: random.Random, name: str, arg: str) -> tuple[list[str], int, list[str]]:
    opening = [
        f"func {name}(ctx context.Context, db *sql.DB, {arg} string) (int, error) {{",
        "\ttotal := 0",
    ]
    return opening, len(opening), ["\treturn total, nil", "}"]


def _java_header(rng: random.Random, title: str) -> list[str]:
    return [
        f"package com.acme.{title.split('_', maxsplit=1)[0]};",
        "",
        "import java.net.URI;",
        "import java.net.http.HttpClient;",
        "import java.net.http.HttpRequest;",
        "import java.net.http.HttpResponse;",
        "import java.sql.Connection;",
        "import java.sql.PreparedStatement;",
        "import java.sql.ResultSet;",
        "import java.sql.Statement;",
        "import java.time.Duration;",
        "import java.util.ArrayList;",
        "import java.util.List;",
        "",
        f"public class {snake_to_pascal(title)} {{",
        "    private static final String BASE_URL = "
        f'"https://api.example.com/v{rng.randint(1, 3)}";',
        "    private final HttpClient client = HttpClient.newHttpClient();",
        "    private final List<String> pending = new ArrayList<>();",
        "",
    ]


def _java_function(rng: random.Random, name: str, arg: str) -> tuple[list[str], int, list[str]]:
    opening = [
        f"    public int {name}(Connection conn, String {arg}, String mode) throws Exception {{",
        "        int total = 0;",
    ]
    return opening, len(opening), ["        return total;", "    }"]


LANGUAGES: dict[str, Language] = {
    language.id: language
    for language in (
        Language("python", ".py", "    ", PY_STATEMENTS, _py_header, (), _py_function, 1, str),
        Language(
            "javascript", ".js", "  ", JS_STATEMENTS, _js_header, (), _js_function, 1,
            snake_to_camel,
        ),
        Language(
            "typescript", ".ts", "  ", JS_STATEMENTS, _ts_header, (), _ts_function, 1,
            snake_to_camel,
        ),
        Language(
            "go", ".go", "\t", GO_STATEMENTS, _go_header, (), _go_function, 1, snake_to_pascal
        ),
        Language(
            "java", ".java", "    ", JAVA_STATEMENTS, _java_header, ("}",), _java_function, 2,
            snake_to_camel,
        ),
    )
}  # fmt: skip


class CodeWriter:
    """Generates and edits SourceFiles of one language from the shared seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def _name(self, source: SourceFile, language: Language) -> str:
        words = [self.rng.choice(VERBS), self.rng.choice(NOUNS)]
        qualifier = self.rng.choice(QUALIFIERS)
        if qualifier:
            words.append(qualifier)
        source.counter += 1
        return language.name_style("_".join([*words, str(source.counter)]))

    def statements(self, source: SourceFile, language: Language, fn: str, arg: str) -> list[str]:
        source.counter += 1
        values = {"fn": fn, "a": arg, "k": str(source.counter)}
        template = self.rng.choice(language.statements)
        return _fill(template, self.rng, language.unit, values)

    def function(self, source: SourceFile, language: Language, lines: int) -> Block:
        name = self._name(source, language)
        arg = language.name_style(self.rng.choice(ARGS))
        opening, insert_at, closing = language.function(self.rng, name, arg)
        indent = language.unit * language.member_indent
        body: list[str] = []
        while len(opening) + len(body) + len(closing) < lines:
            body.extend(indent + line for line in self.statements(source, language, name, arg))
        return Block([*opening, *body, *closing], insert_at, indent, name, arg)

    def new_file(self, language: Language, title: str, lines: int) -> SourceFile:
        source = SourceFile(
            language.id, language.header(self.rng, title), [], list(language.footer)
        )
        used = len(source.header) + len(source.footer)
        while used < lines:
            size = min(max(8, int(self.rng.lognormvariate(2.9, 0.5))), max(8, lines - used))
            block = self.function(source, language, size)
            source.blocks.append(block)
            used += len(block.lines) + 1
        return source

    def grow(self, source: SourceFile, added_lines: int) -> None:
        """Edit in place: one tweaked line, statements inside existing functions, new ones."""
        language = LANGUAGES[source.language]
        if source.blocks:
            self._tweak(self.rng.choice(source.blocks))
        remaining = added_lines - 1
        inside = remaining if remaining < 12 else int(remaining * self.rng.uniform(0.2, 0.5))
        while inside > 0 and source.blocks:
            block = self.rng.choice(source.blocks)
            statements = [
                block.indent + line
                for line in self.statements(source, language, block.name, block.arg)
            ]
            at = block.insert_at + self.rng.randint(0, 2)
            at = min(at, len(block.lines) - 2)
            while at > block.insert_at and not _is_statement_start(block.lines[at], block.indent):
                at -= 1
            block.lines[at:at] = statements
            inside -= len(statements)
            remaining -= len(statements)
        while remaining > 4:
            block = self.function(source, language, min(remaining, self.rng.randint(10, 40)))
            source.blocks.insert(self.rng.randint(0, len(source.blocks)), block)
            remaining -= len(block.lines) + 1

    def _tweak(self, block: Block) -> None:
        numbered = [
            i
            for i, line in enumerate(block.lines)
            if i >= block.insert_at and re.search(r"\b\d+\b", line)
        ]
        if numbered:
            index = self.rng.choice(numbered)
            replacement = str(self.rng.randint(51, 999))
            block.lines[index] = re.sub(r"\b\d+\b", replacement, block.lines[index], count=1)


def _is_statement_start(line: str, indent: str) -> bool:
    """A line at the function body's own indent that opens a statement (safe to insert before)."""
    body = line[len(indent) :]
    return (
        line.startswith(indent)
        and bool(body)
        and not body[0].isspace()
        and not body.startswith(("}", "else", "elif", "except", "finally", "case", "default"))
        and not body.startswith(("catch", "."))
    )


# --- non-code files ---------------------------------------------------------------------------


def yaml_text(rng: random.Random, name: str, lines: int) -> str:
    out = [f"# {name}: service settings", f"service: {name}", "replicas: 2", "env:"]
    index = 0
    while len(out) < lines:
        index += 1
        key = f"{rng.choice(NOUNS)}_{rng.choice(COLUMNS)}_{index}".upper()
        out.append(f"  - name: {key}")
        out.append(f'    value: "{rng.choice(URL_WORDS)}-{rng.randint(1, 9999)}"')
    return "\n".join(out) + "\n"


def yaml_grow(rng: random.Random, text: str, lines: int) -> str:
    extra = [
        f'  - name: NEW_{rng.choice(NOUNS).upper()}_{i}\n    value: "on"' for i in range(lines // 2)
    ]
    return text + "\n".join(extra) + "\n"  # fmt: skip


def markdown_text(rng: random.Random, name: str, lines: int) -> str:
    out = [f"# {name.replace('_', ' ').title()}", ""]
    while len(out) < lines:
        out.append(f"## {rng.choice(VERBS).title()} {rng.choice(NOUNS)}")
        out.append("")
        out.append(
            f"The {rng.choice(NOUNS)} job calls `{rng.choice(VERBS)}_{rng.choice(NOUNS)}` "
            f"every {rng.randint(2, 60)} minutes and retries {rng.randint(1, 5)} times."
        )
        out.append("")
    return "\n".join(out) + "\n"


def markdown_grow(rng: random.Random, text: str, lines: int) -> str:
    return text + markdown_text(rng, f"{rng.choice(VERBS)} notes", lines)


PY_DEPS = ("requests", "flask", "sqlalchemy", "celery", "redis", "boto3", "pydantic", "click")
NEW_PY_DEPS = ("httpx", "tenacity", "orjson")
NPM_DEPS = ("react", "axios", "lodash", "express", "zod", "dayjs", "pg", "ws")
NEW_NPM_DEPS = ("left-pad", "jsonwebtoken")


def requirements(head: bool) -> str:
    deps = [f"{name}=={i + 1}.{i}.0" for i, name in enumerate(PY_DEPS)]
    if head:
        deps[1] = "flask==3.1.0"
        deps.extend([f"{NEW_PY_DEPS[0]}>=0.27", f"{NEW_PY_DEPS[1]}==8.2.3", NEW_PY_DEPS[2]])
    return "\n".join(deps) + "\n"


def package_json(head: bool) -> str:
    deps = {name: f"^{i + 1}.0.0" for i, name in enumerate(NPM_DEPS)}
    if head:
        deps.update(dict.fromkeys(NEW_NPM_DEPS, "*"))
    return json.dumps({"name": "web", "version": "1.0.0", "dependencies": deps}, indent=2) + "\n"


def package_lock(rng: random.Random, packages: int) -> str:
    entries = {"": {"name": "web", "version": "1.0.0"}}
    for i in range(packages):
        name = f"{rng.choice(NOUNS)}-{rng.choice(VERBS)}-{i}"
        entries[f"node_modules/{name}"] = {
            "version": f"{rng.randint(0, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 20)}",
            "resolved": f"https://registry.npmjs.org/{name}/-/{name}.tgz",
            "integrity": "sha512-" + "".join(rng.choices("abcdefABCDEF0123456789+/", k=86)),
            "license": "MIT",
        }
    document = {"name": "web", "lockfileVersion": 3, "requires": True, "packages": entries}
    return json.dumps(document, indent=2) + "\n"


def go_mod(head: bool) -> str:
    requires = ["github.com/lib/pq v1.10.9", "github.com/google/uuid v1.6.0"]
    if head:
        requires.append("golang.org/x/sync v0.7.0")
    body = "\n".join(f"\t{line}" for line in requires)
    return f"module github.com/acme/services\n\ngo 1.22\n\nrequire (\n{body}\n)\n"


def go_sum(rng: random.Random, modules: int) -> str:
    lines = []
    for i in range(modules):
        module = f"github.com/acme/{rng.choice(NOUNS)}{i}"
        digest = "".join(rng.choices("abcdefABCDEF0123456789+/", k=43))
        lines.append(f"{module} v1.{rng.randint(0, 9)}.0 h1:{digest}=")
    return "\n".join(lines) + "\n"


def minified_js(rng: random.Random, writer: CodeWriter) -> str:
    source = writer.new_file(LANGUAGES["javascript"], "bundle", 400)
    return ";".join(line.strip() for line in source.text().splitlines() if line.strip()) + "\n"


def generated_pb2(rng: random.Random, name: str, lines: int) -> str:
    out = [
        "# Generated by the protocol buffer compiler.  DO NOT EDIT!",
        f"# source: {name}.proto",
        "from google.protobuf import descriptor_pool as _descriptor_pool",
        "",
        "DESCRIPTOR = _descriptor_pool.Default().AddSerializedFile(",
    ]
    while len(out) < lines - 1:
        chunk = "".join(rng.choices("abcdefghijklmnop0123456789", k=72))
        out.append(f"    b'\\n{chunk}'")
    out.append(")")
    return "\n".join(out) + "\n"


def binary_blob(rng: random.Random, size: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(size)


def fake_aws_key(rng: random.Random) -> str:
    # Shaped like an AWS access key id so the secret scan has something to find; not a key.
    return "AKIA" + "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", k=16))


# --- the change -------------------------------------------------------------------------------


@dataclass(slots=True)
class Change:
    """The base tree, the head tree, and which commit of the branch brings each path."""

    base: dict[str, bytes] = field(default_factory=dict)
    head: dict[str, bytes] = field(default_factory=dict)
    stage: dict[str, int] = field(default_factory=dict)  # path -> feature commit 0..2

    def keep(self, path: str, content: bytes) -> None:
        self.base[path] = content
        self.head[path] = content

    def modify(self, path: str, before: bytes, after: bytes, stage: int) -> None:
        self.base[path] = before
        self.head[path] = after
        self.stage[path] = stage

    def add(self, path: str, content: bytes, stage: int) -> None:
        self.head[path] = content
        self.stage[path] = stage

    def delete(self, path: str, content: bytes, stage: int) -> None:
        self.base[path] = content
        self.stage[path] = stage

    def rename(self, old: str, new: str, before: bytes, after: bytes, stage: int) -> None:
        self.base[old] = before
        self.head[new] = after
        self.stage[old] = stage
        self.stage[new] = stage


class PathMaker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def code(self, language: str, test: bool = False) -> tuple[str, str]:
        """A fresh path for a code file, and the title its header uses."""
        while True:
            package = self.rng.choice(PACKAGES)
            title = f"{package}_{self.rng.choice(NOUNS)}_{self.rng.randint(1, 999)}"
            if language == "python":
                path = f"tests/{package}/test_{title}.py" if test else f"app/{package}/{title}.py"
            elif language == "go":
                path = f"services/{package}/{title}.go"
            elif language == "java":
                path = f"backend/src/main/java/com/acme/{package}/{snake_to_pascal(title)}.java"
            else:
                path = f"web/src/{package}/{snake_to_camel(title)}{LANGUAGES[language].extension}"
            if path not in self.used:
                self.used.add(path)
                return path, title

    def other(self, folder: str, stem: str, extension: str) -> str:
        while True:
            path = f"{folder}/{stem}_{self.rng.randint(1, 99_999)}{extension}"
            if path not in self.used:
                self.used.add(path)
                return path


def _budgets(rng: random.Random, total: int, count: int) -> list[int]:
    """Split `total` added lines over `count` files with a long tail (most edits are small)."""
    weights = [rng.lognormvariate(0, 0.9) for _ in range(count)]
    scale = total / sum(weights)
    return [max(2, round(weight * scale)) for weight in weights]


def _pick_language(rng: random.Random, profile: Profile) -> str:
    names = [name for name, _ in profile.languages]
    shares = [share for _, share in profile.languages]
    return rng.choices(names, weights=shares)[0]


def _language_plan(rng: random.Random, profile: Profile, count: int) -> list[Language]:
    """`count` languages in the profile's shares exactly (largest remainders), shuffled."""
    quotas = [(name, share * count) for name, share in profile.languages]
    counts = {name: int(quota) for name, quota in quotas}
    by_remainder = sorted(quotas, key=lambda item: item[1] - int(item[1]), reverse=True)
    for name, _ in by_remainder[: count - sum(counts.values())]:
        counts[name] += 1
    plan = [LANGUAGES[name] for name, _ in profile.languages for _ in range(counts[name])]
    rng.shuffle(plan)
    return plan


def _base_lines(rng: random.Random) -> int:
    return min(600, max(25, int(rng.lognormvariate(4.4, 0.6))))


def _encode(text: str) -> bytes:
    return text.encode("utf-8")


def build_change(profile: Profile, seed: int) -> Change:
    """Every file of the base and head trees, from the seed alone."""
    rng = random.Random(f"{seed}:{profile.name}")
    writer = CodeWriter(rng)
    paths = PathMaker(rng)
    change = Change()

    def stage() -> int:
        return rng.randrange(3)

    for _ in range(profile.untouched):
        language = LANGUAGES[_pick_language(rng, profile)]
        path, title = paths.code(language.id)
        change.keep(path, _encode(writer.new_file(language, title, _base_lines(rng)).text()))

    code_files = profile.modified + profile.added + profile.renamed // 2
    budgets = _budgets(rng, profile.code_added_lines, code_files)
    for index, language in enumerate(_language_plan(rng, profile, profile.modified)):
        path, title = paths.code(language.id, test=language.id == "python" and index % 6 == 5)
        source = writer.new_file(language, title, _base_lines(rng))
        before = source.text()
        writer.grow(source, budgets.pop())
        after = source.text()
        if index % 97 == 13:
            after = after.replace("\n", f'\nAWS_KEY = "{fake_aws_key(rng)}"\n', 1)
        change.modify(path, _encode(before), _encode(after), stage())
    for index, language in enumerate(_language_plan(rng, profile, profile.added)):
        path, title = paths.code(language.id, test=language.id == "python" and index % 5 == 4)
        source = writer.new_file(language, title, budgets.pop())
        change.add(path, _encode(source.text()), stage())
    for index in range(profile.renamed):
        language = LANGUAGES[_pick_language(rng, profile)]
        old, title = paths.code(language.id)
        new, _ = paths.code(language.id)
        source = writer.new_file(language, title, _base_lines(rng))
        before = source.text()
        if index % 2 == 1:
            writer.grow(source, min(6, budgets.pop()))
        change.rename(old, new, _encode(before), _encode(source.text()), stage())
    for _ in range(profile.deleted):
        language = LANGUAGES[_pick_language(rng, profile)]
        path, title = paths.code(language.id)
        change.delete(path, _encode(writer.new_file(language, title, _base_lines(rng)).text()), 2)

    for index in range(profile.docs):
        yaml = index % 2 == 0
        edited = index % 4 < 2
        extension = ".yml" if yaml else ".md"
        folder = rng.choice(("config", "deploy/k8s", ".github/workflows")) if yaml else "docs"
        stem = f"{rng.choice(PACKAGES)}_{rng.choice(NOUNS)}"
        path = paths.other(folder, stem, extension)
        size = rng.randint(15, 120) if edited else rng.randint(10, 40)
        text = yaml_text(rng, stem, size) if yaml else markdown_text(rng, stem, size)
        if edited:
            lines = rng.randint(2, 16)
            grown = yaml_grow(rng, text, lines) if yaml else markdown_grow(rng, text, lines)
            change.modify(path, _encode(text), _encode(grown), stage())
        else:
            change.add(path, _encode(text), stage())

    manifests = {
        "requirements.txt": requirements,
        "package.json": package_json,
        "go.mod": go_mod,
    }
    for name in profile.manifests:
        change.modify(name, _encode(manifests[name](False)), _encode(manifests[name](True)), 1)
    change.keep("README.md", _encode(markdown_text(rng, "acme services", 40)))

    if profile.extras:
        _add_extras(rng, writer, paths, change)
    return change


def _add_extras(rng: random.Random, writer: CodeWriter, paths: PathMaker, change: Change) -> None:
    """Files a real large change carries that the engine should not read line by line."""
    lock_rng = random.Random(rng.random())
    base_lock = package_lock(lock_rng, 300)
    lock_rng = random.Random(rng.random())
    head_lock = package_lock(lock_rng, 420)
    change.modify("package-lock.json", _encode(base_lock), _encode(head_lock), 1)
    sum_seed = rng.random()
    change.modify(
        "go.sum",
        _encode(go_sum(random.Random(sum_seed), 200)),
        _encode(go_sum(random.Random(sum_seed), 320)),
        1,
    )
    go = LANGUAGES["go"]
    for _ in range(40):
        path = paths.other("vendor/github.com/acme/kit", "kit", ".go")
        change.add(path, _encode(writer.new_file(go, "kit_vendor", rng.randint(30, 60)).text()), 0)
    for _ in range(5):
        path = paths.other("web/static", "bundle", ".min.js")
        change.add(path, _encode(minified_js(rng, writer)), 0)
    for _ in range(20):
        stem = rng.choice(NOUNS)
        path = paths.other("app/proto", stem, "_pb2.py")
        change.add(path, _encode(generated_pb2(rng, stem, rng.randint(40, 80))), 2)
    for index in range(30):
        path = paths.other("assets/img", rng.choice(NOUNS), ".png")
        before = binary_blob(rng, rng.randint(2_000, 20_000))
        if index % 3 == 0:
            change.modify(path, before, binary_blob(rng, rng.randint(2_000, 20_000)), 0)
        else:
            change.add(path, before, 0)


# --- git --------------------------------------------------------------------------------------

COMMITS = (
    ("Sync orders with the billing service", ""),
    (
        "Add retries and remote lookups to the sync jobs",
        "\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
    ),
    ("Clean up old handlers and docs", ""),
)


def _git_env(day: int) -> dict[str, str]:
    date = f"2024-05-{day:02d}T10:00:00+00:00"
    return {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Dana Developer",
        "GIT_AUTHOR_EMAIL": "dana@example.com",
        "GIT_COMMITTER_NAME": "Dana Developer",
        "GIT_COMMITTER_EMAIL": "dana@example.com",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
    }


def _git(repo: Path, *args: str, day: int = 1) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, env=_git_env(day), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def _write(repo: Path, files: dict[str, bytes]) -> None:
    for path, content in files.items():
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def _commit_all(repo: Path, message: str, day: int) -> None:
    _git(repo, "add", "-A", day=day)
    _git(repo, "commit", "-q", "--no-verify", "-m", message, day=day)


def write_repo(change: Change, repo: Path) -> None:
    """Create the repository: `main` with the base tree, FEATURE_BRANCH three commits ahead."""
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", BASE_BRANCH)
    _write(repo, change.base)
    _commit_all(repo, "Existing services", day=1)
    _git(repo, "checkout", "-q", "-b", FEATURE_BRANCH)
    for stage, (subject, trailer) in enumerate(COMMITS):
        for path in sorted(p for p, s in change.stage.items() if s == stage):
            if path in change.head:
                _write(repo, {path: change.head[path]})
            else:
                (repo / path).unlink()
        _commit_all(repo, subject + trailer, day=2 + stage)


def repo_path(profile: str, seed: int) -> Path:
    return WORK_DIR / f"{profile}-s{seed}-v{GENERATOR_VERSION}"


def ensure_repo(profile: str, seed: int = 1, rebuild: bool = False) -> Path:
    """The repository for `profile` and `seed`, built on first use and reused after."""
    repo = repo_path(profile, seed)
    if (repo / ".git" / _READY).exists() and not rebuild:
        return repo
    if repo.exists():
        shutil.rmtree(repo)
    write_repo(build_change(PROFILES[profile], seed), repo)
    (repo / ".git" / _READY).write_text(f"{profile} seed={seed} v{GENERATOR_VERSION}\n")
    return repo


def diff_stats(repo: Path) -> dict[str, int]:
    """Files changed, added and removed lines of BASE_BRANCH..HEAD, as git counts them."""
    raw = _git(repo, "diff", "--numstat", "--find-renames", BASE_BRANCH, "HEAD")
    files = added = removed = binary = 0
    for line in raw.splitlines():
        plus, minus, _ = line.split("\t", 2)
        files += 1
        if plus == "-":
            binary += 1
            continue
        added += int(plus)
        removed += int(minus)
    return {"files": files, "added": added, "removed": removed, "binary": binary}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="typical")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true", help="build even when cached")
    args = parser.parse_args()
    repo = ensure_repo(args.profile, args.seed, rebuild=args.rebuild)
    stats = diff_stats(repo)
    print(repo)
    print(
        f"{stats['files']} files changed ({stats['binary']} binary), "
        f"+{stats['added']} -{stats['removed']} lines",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
