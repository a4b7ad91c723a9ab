"""`labels`: the labels the App keeps on a pull request in step with its review (AI-assisted,
the tool, the risk level, the gate's state), so teams can filter and route by them."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from bot.config.fields import Model

MAX_LABEL_CHARS = 50  # GitHub refuses longer label names
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _placeholders(allowed: frozenset[str]) -> AfterValidator:
    """A label name may use only the placeholders its label fills in."""

    def check(name: str) -> str:
        for found in _PLACEHOLDER.findall(name):
            if found not in allowed:
                offered = ", ".join(f"{{{a}}}" for a in sorted(allowed)) or "none"
                raise ValueError(f"unknown placeholder {{{found}}}; this label takes {offered}")
        if name and not name.strip():
            raise ValueError("a label name cannot be only spaces; '' turns the label off")
        return name

    return AfterValidator(check)


LabelName = Annotated[
    str,
    StringConstraints(max_length=MAX_LABEL_CHARS),
    _placeholders(frozenset()),
    Field(description="A label name; '' turns this label off."),
]
ToolLabel = Annotated[
    str,
    StringConstraints(max_length=MAX_LABEL_CHARS),
    _placeholders(frozenset({"tool"})),
    Field(description="A label name; {tool} is the detected tool's id; '' turns it off."),
]
RiskLabel = Annotated[
    str,
    StringConstraints(max_length=MAX_LABEL_CHARS),
    _placeholders(frozenset({"level"})),
    Field(description="A label name; {level} is low, medium, high or critical; '' turns it off."),
]


class GateLabels(Model):
    """The gate's state on a gated pull request."""

    waiting: LabelName = Field(
        default="ai-review: waiting", description="Waiting for senior approval."
    )
    passed: LabelName = Field(
        default="ai-review: passed",
        description="The gate passed: approved, overridden, or nothing required.",
    )


class LabelsConfig(Model):
    """Labels set on every evaluation and removed when no longer true. The App removes only
    labels it set itself, and does not add again, for the same head, one that a person took
    off."""

    enabled: bool = Field(strict=True, default=True, description="Keep these labels in sync.")
    ai_assisted: LabelName = Field(
        default="ai-review: assisted",
        description=(
            "On a pull request detected or declared AI-assisted. It may be one of "
            "detect.labels: the App's own label is never evidence of AI use."
        ),
    )
    tool: ToolLabel = "ai-tool: {tool}"
    risk: RiskLabel = "ai-risk: {level}"
    gate: GateLabels = Field(default_factory=GateLabels)
