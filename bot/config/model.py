"""The typed repo config (`.github/ai-review.yml`): the whole document, one section per file.

These models are the single definition of the config and the checklist file format:
validation, defaults and the JSON Schema (`ai-review-bot schema`) all come from them. The
sections live beside this file: fields (the shared base and field types), detection, risk,
approvals, checklists and labels.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from bot.config.approvals import ApprovalsConfig
from bot.config.checklists import ChecklistsConfig
from bot.config.detection import DetectConfig
from bot.config.fields import Model
from bot.config.labels import LabelsConfig
from bot.config.risk import RiskConfig

# Each one tried costs a gather and two analyses.
MAX_DRY_RUN_PULLS = 30


class CheckConfig(Model):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] = "ai-review"
    on_error: Literal["closed", "open"] = Field(
        default="closed",
        description="On an internal error: `closed` fails the check, `open` lets it pass "
        "(neutral).",
    )
    dry_run_pulls: int = Field(
        default=10,
        ge=0,
        le=MAX_DRY_RUN_PULLS,
        description="A pull request that changes this config or a checklist file gets a second "
        "check run, `<name>/config`: the config it proposes, validated, and its effect on this "
        "many of the most recently updated open pull requests into the same branch (0: "
        "validate only).",
    )


class RepoConfig(Model):
    """`.github/ai-review.yml`. Every key is optional: no file means these defaults."""

    detect: DetectConfig = Field(default_factory=DetectConfig)
    risk: RiskConfig = Field(default_factory=RiskConfig)
    approvals: ApprovalsConfig = Field(default_factory=ApprovalsConfig)
    checklists: ChecklistsConfig = Field(default_factory=ChecklistsConfig)
    check: CheckConfig = Field(default_factory=CheckConfig)
    labels: LabelsConfig = Field(default_factory=LabelsConfig)
