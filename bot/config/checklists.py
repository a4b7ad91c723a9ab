"""The checklist file format (`checklists/*.yml`, `.github/ai-review/checklists/*.yml`), the
`when` conditions that select a checklist or an item, and the config's `checklists`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from bot.config.fields import MAX_LIST, Glob, Identifier, Model, SignalId, Text
from bot.config.levels import Level


class When(Model):
    """Conditions that select a checklist or an item. All keys given must hold; a list of
    values holds when any one does."""

    min_level: Level | None = Field(default=None, description="Risk level at least this.")
    signals: list[SignalId] = Field(
        default_factory=list, max_length=10, description="Any of these signals scored above 0."
    )
    patterns: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=100, description="Any of these pattern rules fired."
    )
    paths: list[Glob] = Field(
        default_factory=list, max_length=100, description="Any changed file matches."
    )
    languages: list[Identifier] = Field(
        default_factory=list, max_length=50, description="Any changed file is in one of these."
    )
    ai: bool | None = Field(
        strict=True, default=None, description="The change is (or is not) AI-assisted."
    )

    @model_validator(mode="after")
    def _not_empty(self) -> When:
        if not self.model_fields_set:
            raise ValueError("an empty `when` selects nothing: give at least one condition")
        return self


WhenClause = When | list[When]


class ChecklistItemDef(Model):
    id: Identifier
    text: Text = Field(description="A yes/no question a senior answers from the diff.")
    why: Text | None = Field(default=None, description="One line a junior can learn from.")
    when: WhenClause | None = None
    required: bool = Field(
        strict=True, default=False, description="Must be ticked before the gate passes."
    )


class ChecklistDef(Model):
    """One checklist file (`checklists/*.yml`, `.github/ai-review/checklists/*.yml`)."""

    id: Identifier
    title: Text
    when: WhenClause | None = None
    items: list[ChecklistItemDef] = Field(min_length=1, max_length=100)

    @field_validator("items")
    @classmethod
    def _unique_item_ids(cls, items: list[ChecklistItemDef]) -> list[ChecklistItemDef]:
        seen: set[str] = set()
        for item in items:
            if item.id in seen:
                raise ValueError(f"item id {item.id!r} is used twice")
            seen.add(item.id)
        return items


class ExtraItem(ChecklistItemDef):
    checklist: Identifier = Field(description="The checklist this item joins.")


class ChecklistsConfig(Model):
    builtin: bool | list[Identifier] = Field(
        default=True, description="All built-in checklists, none, or these ids."
    )
    disable: list[Identifier] = Field(
        default_factory=list, max_length=MAX_LIST, description="Checklist or item ids to drop."
    )
    items: list[ExtraItem] = Field(
        default_factory=list, max_length=MAX_LIST, description="Items added to a checklist."
    )
    extra: list[ChecklistDef] = Field(
        default_factory=list, max_length=50, description="Whole checklists, inline."
    )
    require: list[Identifier] | Literal["all"] = Field(
        default_factory=list,
        description="Item ids (or `all`) a senior must tick before the gate passes.",
    )
    max_items: int = Field(
        strict=True, default=15, ge=1, le=100, description="At most this many items are selected."
    )
