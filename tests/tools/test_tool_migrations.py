"""Postgres migrations through squawk: what locks or breaks a table with rows, and its
look-alikes (real squawk, through the engine)."""

from __future__ import annotations

import pytest

from tests.tools.kit import findings, notes, run

PATH = "db/migrations/20260101_change.sql"


@pytest.mark.parametrize(
    ("sql", "rule"),
    [
        ("ALTER TABLE users ADD COLUMN age bigint NOT NULL;", "migration-not-null-without-default"),
        ("CREATE INDEX users_email_idx ON users (email);", "migration-index-not-concurrent"),
        ("ALTER TABLE users DROP COLUMN legacy_name;", "migration-drop-column"),
        ("ALTER TABLE users RENAME COLUMN name TO full_name;", "migration-rename-column"),
        ("ALTER TABLE users ALTER COLUMN age SET NOT NULL;", "migration-set-not-null"),
        ("ALTER TABLE users ALTER COLUMN age TYPE numeric;", "migration-column-type"),
        ("DROP TABLE sessions;", "migration-drop-table"),
    ],
)
def test_a_statement_that_breaks_or_locks_a_table_with_rows_is_flagged(sql: str, rule: str) -> None:
    analysis = run({PATH: f"-- change\n{sql}\n"})

    assert findings(analysis, "migration-") == [(PATH, 2, rule)]


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE users ADD COLUMN age bigint NOT NULL DEFAULT 0;",
        "ALTER TABLE users ADD COLUMN nickname text;",
        "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
        "ALTER TABLE users RENAME CONSTRAINT users_pkey TO users_id_pkey;",
        "-- ALTER TABLE users DROP COLUMN legacy_name;",
    ],
)
def test_the_safe_forms_are_not_flagged(sql: str) -> None:
    assert findings(run({PATH: f"{sql}\n"}), "migration-") == []


def test_a_table_the_same_migration_creates_has_no_rows_to_lock_or_fail_on() -> None:
    sql = (
        "CREATE TABLE invoices (id bigint PRIMARY KEY);\n"
        "CREATE INDEX invoices_id_idx ON invoices (id);\n"
        "ALTER TABLE invoices ADD COLUMN total numeric NOT NULL;\n"
        "CREATE INDEX users_email_idx ON public.users (email);\n"
    )

    assert findings(run({PATH: sql}), "migration-") == [(PATH, 4, "migration-index-not-concurrent")]


def test_template_placeholders_are_read_as_names() -> None:
    sql = 'alter table {{ index .Options "Namespace" }}.users drop column phone_change;\n'

    analysis = run({"migrations/20260101_drop.up.sql": sql})

    assert findings(analysis, "migration-") == [
        ("migrations/20260101_drop.up.sql", 1, "migration-drop-column")
    ]
    assert notes(analysis) == []


def test_only_lines_the_change_added_are_flagged() -> None:
    before = "CREATE INDEX users_email_idx ON users (email);\n"
    after = before + "CREATE INDEX CONCURRENTLY users_name_idx ON users (name);\n"

    assert findings(run({PATH: after}, {PATH: before}), "migration-") == []


@pytest.mark.parametrize(
    "path",
    [
        "db/migrations/mysql/20260101_change.sql",  # another database
        "db/migrations/20260101_change.down.sql",  # the way back
        "queries/report.sql",  # not a migration
        "tests/migrations/20260101_change.sql",  # a test fixture
    ],
)
def test_files_that_are_not_postgres_migrations_are_not_read(path: str) -> None:
    analysis = run({path: "ALTER TABLE users DROP COLUMN legacy_name;\n"})

    assert findings(analysis, "migration-") == []
    assert notes(analysis) == []


def test_sql_squawk_cannot_parse_is_noted_as_not_checked_past_the_error() -> None:
    analysis = run({PATH: "ALTER TABLE `users` DROP COLUMN legacy_name;\n"})  # MySQL's quotes

    assert findings(analysis, "migration-") == []
    [(path, reason)] = notes(analysis)
    assert path == PATH
    assert reason.startswith(
        "not checked by squawk (Postgres migration checks): not Postgres SQL squawk can parse "
        "(line 1: "
    )


def test_a_migration_the_base_branch_already_has_is_not_read() -> None:
    # It has run wherever the base was deployed: editing it (a rename of the schema prefix, a
    # comment) changes nothing there.
    before = "CREATE INDEX users_email_idx ON auth.users (email);\n"
    after = "CREATE INDEX users_email_idx ON {{ .Namespace }}.users (email);\n"

    analysis = run({PATH: after}, {PATH: before})

    assert findings(analysis, "migration-") == []
    assert notes(analysis) == []


def test_a_table_an_earlier_migration_of_the_change_creates_has_no_rows_either() -> None:
    first = "db/migrations/20260101_folders.sql"
    second = "db/migrations/20260102_folder_type.sql"

    analysis = run(
        {
            second: 'ALTER TABLE "Folder" ADD COLUMN "type" text NOT NULL;\n',
            first: 'CREATE TABLE "Folder" (id text PRIMARY KEY);\n',
        }
    )

    assert findings(analysis, "migration-") == []


def test_a_helper_column_of_a_new_table_may_be_dropped_again() -> None:
    sql = (
        "CREATE TABLE groups (id bigint PRIMARY KEY);\n"
        "ALTER TABLE groups ADD COLUMN temp_team_id bigint;\n"
        "ALTER TABLE groups DROP COLUMN temp_team_id;\n"
    )

    assert findings(run({PATH: sql}), "migration-") == []
