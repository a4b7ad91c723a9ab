"""The built-in checklists in checklists/*.yml: valid, consistent, documented, and selective.

Selection is exercised through the engine's `select` on the shipped files, so these tests say
what a reviewer would see for a typical change (an auth module with string-built SQL, a README
edit, a migration) rather than restating the YAML.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
import yaml

from bot.config.checklists import ChecklistDef, ChecklistItemDef, When, WhenClause
from bot.config.levels import Level
from bot.config.load import load_model, load_repo_config
from bot.engine.checklist import ChangeFacts, select
from bot.engine.patterns.bandit_scan import RULE_BY_TEST
from bot.engine.patterns.foreign_keys import RULE as FOREIGN_KEY_RULE
from bot.engine.patterns.structural import builtin_rules
from bot.engine.patterns.weakened import rule_ids as weakened_rule_ids
from bot.engine.tool_table import tool_table
from bot.engine.workloads import RULE_IDS as KUBERNETES_RULES

ROOT = Path(__file__).resolve().parents[2]
CHECKLIST_DIR = ROOT / "checklists"
REFERENCE = ROOT / "docs" / "checklists.md"
LANGUAGES = ROOT / "bot" / "data" / "languages.yml"

OUR_PATTERN_RULES = (
    frozenset(
        {
            "sql-string",
            "eval-exec",
            "shell-injection",
            "tls-verify-off",
            "http-no-timeout",
            "silent-except",
            "hardcoded-secret",
            "unsafe-deserialization",
            "weak-crypto",
            "debug-enabled",
        }
    )
    | tool_table().rule_ids
    | {rule.id for rule in builtin_rules()}
    | weakened_rule_ids()
    | {"xss-sink"}
    | KUBERNETES_RULES
    | {FOREIGN_KEY_RULE}
)
BANDIT_ID = re.compile(r"B\d{3}\Z")
MAX_UNIVERSAL = 3
DEFAULT_MAX_ITEMS = 15
FILES = sorted(CHECKLIST_DIR.glob("*.yml"))


@cache
def checklists() -> tuple[ChecklistDef, ...]:
    return tuple(
        load_model(path.read_text(encoding="utf-8"), f"checklists/{path.name}", ChecklistDef)
        for path in FILES
    )


def items() -> Iterator[tuple[ChecklistDef, ChecklistItemDef]]:
    for checklist in checklists():
        for item in checklist.items:
            yield checklist, item


def alternatives(clause: WhenClause | None) -> list[When]:
    if clause is None:
        return []
    return clause if isinstance(clause, list) else [clause]


def conditions(checklist: ChecklistDef, item: ChecklistItemDef) -> list[When]:
    return alternatives(checklist.when) + alternatives(item.when)


# --- the files ------------------------------------------------------------------------------


def test_the_ten_built_in_checklists_ship() -> None:
    assert [path.stem for path in FILES] == [
        "api",
        "business",
        "concurrency",
        "data",
        "dependencies",
        "deployment",
        "observability",
        "resilience",
        "security",
        "tests",
    ]


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_checklist_file_is_a_valid_checklist_named_for_its_id(path: Path) -> None:
    checklist = load_model(path.read_text(encoding="utf-8"), path.name, ChecklistDef)

    assert checklist.id == path.stem


def test_item_ids_are_unique_across_all_checklists() -> None:
    seen: dict[str, str] = {}
    clashes = []
    for checklist, item in items():
        if item.id in seen:
            clashes.append(f"{item.id} in {seen[item.id]} and {checklist.id}")
        seen[item.id] = checklist.id

    assert clashes == []


def test_item_ids_do_not_reuse_a_checklist_id() -> None:
    # `checklists.disable` takes checklist and item ids alike, so one must not shadow the other.
    checklist_ids = {checklist.id for checklist in checklists()}

    assert [item.id for _, item in items() if item.id in checklist_ids] == []


def test_every_item_explains_why_in_one_line() -> None:
    unexplained = [item.id for _, item in items() if not item.why or "\n" in item.why]

    assert unexplained == []


def test_every_item_is_a_question() -> None:
    assert [item.id for _, item in items() if not item.text.endswith("?")] == []


def test_pattern_ids_are_our_rules_or_bandit_ids() -> None:
    unknown = sorted(
        {
            pattern
            for checklist, item in items()
            for when in conditions(checklist, item)
            for pattern in when.patterns
            if pattern not in OUR_PATTERN_RULES and not BANDIT_ID.match(pattern)
        }
    )

    assert unknown == []


def test_no_condition_names_a_bandit_test_reported_under_our_id() -> None:
    # B608 fires as `sql-string`, never as `B608`: a `when` naming it could never hold.
    dead = sorted(
        {
            pattern
            for checklist, item in items()
            for when in conditions(checklist, item)
            for pattern in when.patterns
            if pattern in RULE_BY_TEST
        }
    )

    assert dead == []


def test_languages_are_in_the_language_table() -> None:
    known = {entry["id"] for entry in yaml.safe_load(LANGUAGES.read_text())["languages"]}
    used = {
        language
        for checklist, item in items()
        for when in conditions(checklist, item)
        for language in when.languages
    }

    assert used - known == set()


def test_no_item_is_offered_for_every_change() -> None:
    ungated = [item.id for checklist, item in items() if not conditions(checklist, item)]

    assert ungated == []


def _touches_content(when: When) -> bool:
    return bool(when.patterns or when.paths or when.languages or when.signals)


def _can_hold_whatever_the_diff(clause: WhenClause | None) -> bool:
    return clause is None or not all(_touches_content(w) for w in alternatives(clause))


def test_at_most_three_items_ignore_what_the_change_touches() -> None:
    # The checklist's `when` ANDs with the item's, so either may tie the item to the diff.
    universal = [
        item.id
        for checklist, item in items()
        if _can_hold_whatever_the_diff(checklist.when) and _can_hold_whatever_the_diff(item.when)
    ]

    assert len(universal) <= MAX_UNIVERSAL, universal


# --- selection on typical changes -----------------------------------------------------------


def change(
    *paths: str,
    level: Level = Level.HIGH,
    patterns: frozenset[str] = frozenset(),
    signals: frozenset[str] = frozenset({"size", "ai_share"}),
    languages: frozenset[str] = frozenset(),
    ai: bool = True,
) -> ChangeFacts:
    return ChangeFacts(
        level=level, signals=signals, patterns=patterns, paths=paths, languages=languages, ai=ai
    )


def selected_ids(facts: ChangeFacts, max_items: int = DEFAULT_MAX_ITEMS) -> set[str]:
    groups = select(checklists(), facts, max_items, frozenset()).checklists
    return {item.id for group in groups for item in group.items}


MONEY_ITEMS = {"money-not-float", "rounding-rules", "currency-explicit", "payment-idempotency"}
MIGRATION_ITEMS = {
    "migration-reversible",
    "migration-compatible",
    "migration-locks",
    "migration-existing-data",
}
CI_ITEMS = {"ci-permissions", "ci-pinned-actions", "ci-checks-kept"}


def test_auth_code_with_string_built_sql_asks_about_injection_and_authorization() -> None:
    facts = change(
        "auth/login.py",
        patterns=frozenset({"sql-string"}),
        signals=frozenset({"size", "ai_share", "critical_paths", "patterns", "missing_tests"}),
        languages=frozenset({"python"}),
    )

    selected = selected_ids(facts)

    assert {"sql-params", "authz-every-path", "token-validation"} - selected == set()
    assert selected.isdisjoint(MONEY_ITEMS | MIGRATION_ITEMS | CI_ITEMS)


def test_readme_edit_selects_nothing_at_low_risk() -> None:
    facts = change("README.md", level=Level.LOW, languages=frozenset({"markdown"}))

    assert selected_ids(facts) == set()


def test_readme_edit_selects_only_universal_questions_even_at_critical_risk() -> None:
    facts = change("README.md", level=Level.CRITICAL, languages=frozenset({"markdown"}))

    assert selected_ids(facts) == {"author-can-explain", "reuses-existing-code"}


def test_payment_change_asks_about_money_not_migrations() -> None:
    facts = change("src/payments/refunds.py", languages=frozenset({"python"}))

    selected = selected_ids(facts, max_items=100)

    assert MONEY_ITEMS - selected == set()
    assert selected.isdisjoint(MIGRATION_ITEMS | {"sql-params"})


def test_pascal_case_payment_class_asks_about_money() -> None:
    facts = change("src/main/java/shop/PaymentService.java", languages=frozenset({"java"}))

    assert MONEY_ITEMS - selected_ids(facts, max_items=100) == set()


def test_migration_asks_about_reversibility_and_locks_not_money() -> None:
    facts = change("db/migrations/0042_orders_index.sql", languages=frozenset({"sql"}))

    selected = selected_ids(facts)

    assert MIGRATION_ITEMS - selected == set()
    assert selected.isdisjoint(MONEY_ITEMS)


def test_workflow_change_asks_about_ci_permissions_and_pinning() -> None:
    facts = change(".github/workflows/release.yml", languages=frozenset({"yaml"}))

    selected = selected_ids(facts)

    assert CI_ITEMS - selected == set()
    assert "dep-exists" not in selected


def test_new_dependency_asks_whether_the_package_really_exists() -> None:
    facts = change("requirements.txt", signals=frozenset({"size", "ai_share", "dependencies"}))

    assert {"dep-exists", "dep-pinned", "dep-vulnerabilities"} - selected_ids(facts) == set()


def test_dependency_questions_need_a_dependency_change() -> None:
    facts = change("src/app/service.py", languages=frozenset({"python"}))

    assert {item.id for c, item in items() if c.id == "dependencies"}.isdisjoint(
        selected_ids(facts, max_items=100)
    )


def test_http_call_without_timeout_asks_for_timeouts_and_retries() -> None:
    facts = change(
        "src/report.py", patterns=frozenset({"http-no-timeout"}), languages=frozenset({"python"})
    )

    assert {"remote-call-timeouts", "retry-backoff"} - selected_ids(facts) == set()


def test_change_to_a_test_file_asks_whether_tests_were_weakened() -> None:
    facts = change("tests/test_refunds.py", languages=frozenset({"python"}))

    assert "tests-not-weakened" in selected_ids(facts)


def test_dockerfile_asks_about_the_image_and_shutdown() -> None:
    facts = change("Dockerfile", languages=frozenset({"dockerfile"}))

    assert {"container-image", "graceful-shutdown"} - selected_ids(facts) == set()


def test_author_named_file_is_not_mistaken_for_auth_code() -> None:
    facts = change("blog/authors.py", languages=frozenset({"python"}))

    assert "token-validation" not in selected_ids(facts, max_items=100)


# --- the reference in docs/checklists.md ----------------------------------------------------


@cache
def reference() -> str:
    return REFERENCE.read_text(encoding="utf-8")


def named_groups(heading: str) -> dict[tuple[str, ...], str]:
    """The named lists of the reference's YAML block under `heading`, keyed by their values."""
    block = re.search(rf"^{re.escape(heading)}\n.*?```yaml\n(.*?)```", reference(), re.M | re.S)
    assert block is not None, f"docs/checklists.md has no yaml block under {heading!r}"
    named: dict[str, list[str]] = yaml.safe_load(block.group(1))
    return {tuple(values): name for name, values in named.items()}


@cache
def path_groups() -> dict[tuple[str, ...], str]:
    return named_groups("## Path groups")


@cache
def language_groups() -> dict[tuple[str, ...], str]:
    return named_groups("### Language groups")


def _code(values: list[str]) -> str:
    return ", ".join(f"`{value}`" for value in values)


def describe_mapping(when: When) -> str:
    """One `when` mapping in the reference's words: keys joined by "and"."""
    parts: list[str] = []
    if when.patterns:
        parts.append(f"patterns {_code(when.patterns)}")
    if when.paths:
        group = path_groups().get(tuple(when.paths))
        parts.append(f"paths _{group}_" if group else f"paths {_code(when.paths)}")
    if when.languages:
        group = language_groups().get(tuple(when.languages))
        parts.append(f"languages _{group}_" if group else f"languages {_code(when.languages)}")
    if when.signals:
        parts.append(f"signals {_code(list(when.signals))}")
    if when.min_level is not None:
        parts.append(f"risk {when.min_level.value} or above")
    if when.ai is not None:
        parts.append("AI-assisted" if when.ai else "not AI-assisted")
    return " and ".join(parts)


def describe(clause: WhenClause | None) -> str:
    """A whole `when` clause: alternatives joined by "or"."""
    if clause is None:
        return "always (within its checklist)"
    return " **or** ".join(describe_mapping(when) for when in alternatives(clause))


def reference_row(item: ChecklistItemDef) -> str:
    return f"| `{item.id}` | {item.text} | {describe(item.when)} |"


def reference_condition(checklist: ChecklistDef) -> str:
    if checklist.when is None:
        return "The checklist has no `when`; each item has its own."
    return f"Considered only when: {describe(checklist.when)}."


def test_reference_lists_every_item_with_its_text_and_when() -> None:
    lines = set(reference().splitlines())

    missing = [reference_row(item) for _, item in items() if reference_row(item) not in lines]

    assert missing == [], "update docs/checklists.md with these rows:\n" + "\n".join(missing)


def test_reference_states_each_checklists_own_condition() -> None:
    lines = set(reference().splitlines())
    expected = [
        line
        for checklist in checklists()
        for line in (f"## `{checklist.id}`: {checklist.title}", reference_condition(checklist))
    ]

    assert [line for line in expected if line not in lines] == []


def test_reference_lists_no_item_that_does_not_exist() -> None:
    documented = set(re.findall(r"^\| `([a-z0-9._-]+)` \|", reference(), re.MULTILINE))

    assert documented - {item.id for _, item in items()} == set()


def test_reference_config_example_is_valid_and_names_real_ids() -> None:
    block = re.search(
        r"^## Tuning them in a repository\n.*?```yaml\n(.*?)```", reference(), re.M | re.S
    )
    assert block is not None

    config = load_repo_config(block.group(1), "docs/checklists.md").checklists

    known = {c.id for c in checklists()} | {item.id for _, item in items()}
    builtin = config.builtin if isinstance(config.builtin, list) else []
    required = config.require if isinstance(config.require, list) else []
    named = {*config.disable, *required, *builtin, *(extra.checklist for extra in config.items)}
    assert named - known == set()


def test_every_documented_group_is_used() -> None:
    whens = [when for checklist, item in items() for when in conditions(checklist, item)]
    used = {tuple(when.paths) for when in whens} | {tuple(when.languages) for when in whens}
    groups = {**path_groups(), **language_groups()}

    assert sorted(name for values, name in groups.items() if values not in used) == []


def test_a_critical_change_to_payments_migrations_and_kubernetes_asks_about_each() -> None:
    facts = change(
        "billing/payments/charge.py",
        "migrations/0042_add_amount.sql",
        "deploy/k8s/deployment.yaml",
        level=Level.CRITICAL,
        signals=frozenset({"size", "ai_share", "critical_paths", "complexity", "missing_tests"}),
        patterns=frozenset({"sql-string"}),
        languages=frozenset({"python", "sql", "yaml"}),
    )
    selection = select(checklists(), facts, DEFAULT_MAX_ITEMS, frozenset())
    selected = {item.id for group in selection.checklists for item in group.items}

    assert selected & MONEY_ITEMS
    assert selected & MIGRATION_ITEMS
    assert selected & {"health-probes", "resource-limits", "rollback-plan", "staged-rollout"}
    assert len(selected) == DEFAULT_MAX_ITEMS
    assert len(selection.omitted) > 0


def test_no_item_waits_for_a_bandit_test_the_scanner_never_runs() -> None:
    from bot.engine.patterns.bandit_scan import EXCLUDED_TESTS

    named = {
        rule
        for checklist in checklists()
        for clause in [checklist.when, *(item.when for item in checklist.items)]
        for when in (clause if isinstance(clause, list) else [clause] if clause else [])
        for rule in when.patterns
    }

    assert named.isdisjoint(EXCLUDED_TESTS)
