"""The JSON Schema of the repo config, generated from the models that validate it."""

from __future__ import annotations

from typing import Any

from bot.config.model import RepoConfig


def config_schema() -> dict[str, Any]:
    schema = RepoConfig.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "ai-review-bot repo config (.github/ai-review.yml)",
    }
