"""Checklist selection: `when` semantics, specificity under the cap, required items."""

from __future__ import annotations

from typing import Any

from bot.config.checklists import ChecklistDef
from bot.config.levels import Level
from bot.engine.checklist import ChangeFacts, select


def checklist(cid: str, items: list[dict[str, Any]], when: Any = None) -> ChecklistDef:
    raw: dict[str, Any] = {"id": cid, "title": cid.title(), "items": items}
    if when is not None:
        raw["when"] = when
    return ChecklistDef.model_validate(raw)


def facts(**overrides: Any) -> ChangeFacts:
    base: dict[str, Any] = {
        "level": Level.HIGH,
        "signals": frozenset({"patterns", "critical_paths"}),
        "patterns": frozenset({"sql-string"}),
        "paths": ("auth/login.py",),
        "languages": frozenset({"python"}),
        "ai": True,
    }
    base.update(overrides)
    return ChangeFacts(**base)


def ids(selected: Any) -> list[str]:
    return [item.id for group in selected for item in group.items]


SECURITY = checklist(
    "security",
    [
        {"id": "sql-params", "text": "Parameterized?", "when": {"patterns": ["sql-string"]}},
        {"id": "authz", "text": "Authorized?", "when": {"paths": ["**/auth/**"]}},
        {"id": "upload", "text": "Upload limits?", "when": {"paths": ["**/upload*"]}},
    ],
)
BUSINESS = checklist(
    "business",
    [{"id": "money-decimal", "text": "Decimals?", "when": {"paths": ["**/payment*/**"]}}],
)


def test_items_whose_conditions_hold_are_selected_and_others_left_out() -> None:
    assert ids(select([SECURITY, BUSINESS], facts(), 15, frozenset()).checklists) == [
        "sql-params",
        "authz",
    ]


def test_keys_in_one_when_must_all_hold() -> None:
    both = checklist(
        "data",
        [{"id": "py-sql", "text": "?", "when": {"languages": ["go"], "patterns": ["sql-string"]}}],
    )

    assert ids(select([both], facts(), 15, frozenset()).checklists) == []


def test_a_list_of_whens_holds_when_any_holds() -> None:
    either = checklist(
        "data",
        [{"id": "q", "text": "?", "when": [{"languages": ["go"]}, {"min_level": "high"}]}],
    )

    assert ids(select([either], facts(), 15, frozenset()).checklists) == ["q"]
    assert ids(select([either], facts(level=Level.MEDIUM), 15, frozenset()).checklists) == []


def test_checklist_level_when_gates_its_items() -> None:
    gated = checklist("tests", [{"id": "t", "text": "?"}], when={"ai": True})

    assert ids(select([gated], facts(ai=False), 15, frozenset()).checklists) == []
    assert ids(select([gated], facts(), 15, frozenset()).checklists) == ["t"]


def test_cap_keeps_the_most_specific_items_in_definition_order() -> None:
    broad = checklist(
        "general",
        [{"id": f"broad-{i}", "text": "?", "when": {"min_level": "low"}} for i in range(5)],
    )

    selected = select([broad, SECURITY], facts(), 3, frozenset()).checklists

    assert ids(selected) == ["broad-0", "sql-params", "authz"]


def test_required_items_are_kept_first_and_marked() -> None:
    broad = checklist(
        "general",
        [{"id": f"broad-{i}", "text": "?", "when": {"patterns": ["sql-string"]}} for i in range(5)],
    )
    tail = checklist("tail", [{"id": "must", "text": "?", "when": {"min_level": "low"}}])

    selected = select([broad, tail], facts(), 2, frozenset({"must"})).checklists

    assert ids(selected) == ["broad-0", "must"]
    assert selected[-1].items[0].required is True


def test_each_part_keeps_a_question_before_the_cap_fills_and_the_rest_is_named() -> None:
    specific = checklist(
        "general",
        [
            {"id": f"specific-{i}", "text": "?", "when": {"patterns": ["sql-string"]}}
            for i in range(5)
        ],
    )
    money = checklist("money", [{"id": "float", "text": "?", "when": {"min_level": "low"}}])
    data = checklist("data", [{"id": "lock", "text": "?", "when": {"min_level": "low"}}])

    selection = select([specific, money, data], facts(), 3, frozenset())

    assert ids(selection.checklists) == ["specific-0", "float", "lock"]
    assert selection.omitted == tuple(f"general/specific-{i}" for i in range(1, 5))


def test_nothing_is_omitted_under_the_cap() -> None:
    assert select([SECURITY, BUSINESS], facts(), 15, frozenset()).omitted == ()
