"""A foreign key without an index in a Postgres migration (bot/engine/patterns/foreign_keys.py):
fires where the referencing columns a migration creates have no index that leads with them,
never where the migration indexes them, where an older column may be indexed, or outside the
Postgres migrations squawk reads."""

from __future__ import annotations

import textwrap
from types import MappingProxyType

import pytest

from bot.config.levels import Severity
from bot.engine.builtins import load_builtins
from bot.engine.files import FileJob
from bot.engine.patterns import scan_file
from bot.engine.patterns.foreign_keys import read_migration, scan_foreign_keys, tokenize


def sql(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def make_job(path: str, text: str, *, created: bool = True, production: bool = True) -> FileJob:
    lines = text.split("\n")
    language = load_builtins().languages.of(path)
    return FileJob(
        path=path,
        language=language.id if language else None,
        meter=None,
        base_text=None,
        head_text=text,
        added_lines=frozenset(range(1, len(lines) + 1)),
        added_text=MappingProxyType(dict(enumerate(lines, start=1))),
        production=production,
        created=created,
    )


def found(text: str, path: str = "db/migrations/0042_orders.sql", **kwargs: bool) -> list[int]:
    job = make_job(path, sql(text), **kwargs)
    return [f.line or 0 for f in scan_foreign_keys(job, frozenset())]


ORDERS = """
    CREATE TABLE orders (
        id bigserial PRIMARY KEY,
        customer_id bigint NOT NULL REFERENCES customers (id),
        placed_at timestamptz NOT NULL DEFAULT now()
    );
"""


# --- true positives -------------------------------------------------------------------------


def test_column_reference_without_an_index_fires_on_its_line() -> None:
    assert found(ORDERS) == [3]


def test_finding_names_the_column_and_parent_and_says_what_to_do() -> None:
    (finding,) = scan_foreign_keys(make_job("migrations/1.sql", sql(ORDERS)), frozenset())

    assert finding.message == (
        "Foreign key on `orders.customer_id` with no index that leads with it, and Postgres "
        "does not make one: every delete or key change of a `customers` row scans `orders`, "
        "as does every join to it. Create an index on the referencing column in this migration."
    )
    # Shown, not counted: 0.66 on real migrations (docs/rules.md).
    assert (finding.rule, finding.severity, finding.cwe, finding.counted) == (
        "migration-fk-no-index",
        Severity.LOW,
        1067,
        False,
    )


def test_table_constraint_added_by_alter_table_fires_prisma_style() -> None:
    migration = """
        CREATE TABLE "Recipient" (
            "id" SERIAL NOT NULL,
            "documentId" INTEGER NOT NULL,
            "email" TEXT NOT NULL,
            CONSTRAINT "Recipient_pkey" PRIMARY KEY ("id")
        );

        -- AddForeignKey
        ALTER TABLE "Recipient" ADD CONSTRAINT "Recipient_documentId_fkey"
            FOREIGN KEY ("documentId") REFERENCES "Document"("id") ON DELETE CASCADE;
    """

    assert found(migration, "prisma/migrations/20240101_recipient/migration.sql") == [10]


def test_added_column_with_a_reference_fires() -> None:
    migration = "ALTER TABLE public.invoices ADD COLUMN IF NOT EXISTS order_id bigint\n"
    migration += "    REFERENCES public.orders (id) ON DELETE SET NULL;\n"

    assert found(migration) == [2]


def test_second_column_of_a_join_tables_primary_key_is_not_indexed() -> None:
    migration = """
        CREATE TABLE user_groups (
            user_id bigint REFERENCES users (id),
            group_id bigint REFERENCES groups (id),
            PRIMARY KEY (user_id, group_id)
        );
    """

    assert found(migration) == [3]


def test_partial_and_expression_indexes_do_not_serve_the_key() -> None:
    migration = ORDERS + "CREATE INDEX ON orders (customer_id) WHERE placed_at > '2024-01-01';\n"
    migration += "CREATE INDEX orders_customer ON orders ((customer_id + 0));\n"

    assert found(migration) == [3]


# --- look-alikes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "index",
    [
        "CREATE INDEX orders_customer_id_idx ON orders (customer_id);",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix ON ONLY public.orders USING btree "
        "(customer_id, placed_at DESC);",
        'create unique index "ix" on "orders" ("customer_id" text_pattern_ops);',
        "ALTER TABLE orders ADD CONSTRAINT one_per_day UNIQUE (customer_id, placed_at);",
    ],
)
def test_an_index_leading_with_the_column_anywhere_in_the_migration_is_enough(
    index: str,
) -> None:
    assert found(ORDERS + index + "\n") == []


def test_unique_or_primary_key_column_needs_no_other_index() -> None:
    migration = """
        CREATE TABLE profiles (
            user_id bigint PRIMARY KEY REFERENCES users (id),
            avatar_id bigint UNIQUE REFERENCES files (id)
        );
    """

    assert found(migration) == []


def test_composite_key_is_served_by_an_index_on_its_columns_in_any_order() -> None:
    migration = """
        CREATE TABLE lines (
            id bigserial PRIMARY KEY,
            order_id bigint NOT NULL,
            tenant_id bigint NOT NULL,
            FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
        );
        CREATE INDEX ON lines (order_id, tenant_id, id);
    """

    assert found(migration) == []


@pytest.mark.parametrize("column", ["created_by", '"creatorId"', '"lastModifiedByUserId"'])
def test_audit_columns_are_left_alone(column: str) -> None:
    migration = (
        f"CREATE TABLE notes (id bigserial PRIMARY KEY, {column} bigint REFERENCES users);\n"
    )

    assert found(migration) == []


def test_key_on_an_existing_column_is_left_alone() -> None:
    # An earlier migration may have indexed it; one file cannot tell.
    migration = "ALTER TABLE orders ADD CONSTRAINT fk_customer FOREIGN KEY (customer_id)\n"
    migration += "    REFERENCES customers (id) NOT VALID;\n"

    assert found(migration) == []


def test_text_that_only_mentions_references_is_not_read_as_a_key() -> None:
    migration = """
        CREATE TABLE notes (
            id bigserial PRIMARY KEY,
            body text DEFAULT 'see REFERENCES users (id)' -- REFERENCES in a comment
        );
        /* nested /* comment */ REFERENCES users (id) */
        CREATE FUNCTION f() RETURNS void AS $body$
            ALTER TABLE notes ADD COLUMN user_id bigint REFERENCES users (id);
        $body$ LANGUAGE sql;
    """

    assert found(migration) == []


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("db/migrations/0042_orders.sql", {"created": False}),  # the base has run it
        ("db/mysql/migrations/0042_orders.sql", {}),  # InnoDB indexes foreign keys itself
        ("db/migrations/0042_orders.down.sql", {}),
        ("sql/orders.sql", {}),  # not a migration
        ("tests/migrations/0042_orders.sql", {"production": False}),
        ("shop/migrations/0042_orders.py", {}),  # Django's ForeignKey makes its index
    ],
)
def test_files_other_than_new_postgres_migrations_are_not_read(
    path: str, kwargs: dict[str, bool]
) -> None:
    assert found(ORDERS, path, **kwargs) == []


def test_template_placeholders_are_read_as_names() -> None:
    migration = ORDERS.replace("orders", '{{ index .Options "Namespace" }}.orders')
    migration += 'CREATE INDEX ON {{ index .Options "Namespace" }}.orders (customer_id);\n'

    assert found(migration) == []


def test_disabled_rule_is_not_reported() -> None:
    job = make_job("migrations/1.sql", sql(ORDERS))

    assert scan_foreign_keys(job, frozenset({"migration-fk-no-index"})) == ()


def test_scan_file_reports_it_as_a_pattern_finding() -> None:
    job = make_job("migrations/1.sql", sql(ORDERS))

    assert [(f.rule, f.line) for f in scan_file(job, (), frozenset()).findings] == [
        ("migration-fk-no-index", 3)
    ]


def test_tokens_keep_quoted_names_and_their_lines() -> None:
    tokens = tokenize('SELECT "Mixed""Case", plain\n  FROM t; -- x\n')

    assert [(t.text, t.line, t.quoted) for t in tokens][:4] == [
        ("select", 1, False),
        ('Mixed"Case', 1, True),
        (",", 1, False),
        ("plain", 1, False),
    ]


def test_migration_records_created_columns_and_indexes() -> None:
    migration = read_migration(sql(ORDERS) + "CREATE INDEX ON orders (placed_at);\n")

    assert migration.created == {"orders": {"id", "customer_id", "placed_at"}}
    assert migration.indexed == {"orders": [("id",), ("placed_at",)]}
