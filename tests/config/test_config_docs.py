"""docs/configuration.md stays complete and true: its reference block is a valid config whose
values are the defaults, and it names every key the schema has."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from bot.config.load import load_repo_config
from bot.config.model import RepoConfig

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def reference_block() -> str:
    text = DOC.read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    return max(blocks, key=len)


def leaf_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        annotation: Any = field.annotation
        nested = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        if nested and name not in ("weights", "levels", "required", "size"):
            keys |= leaf_keys(annotation, f"{prefix}{name}.")
        else:
            keys.add(f"{prefix}{name}")
    return keys


def test_reference_block_is_a_valid_config_equal_to_the_defaults() -> None:
    assert load_repo_config(reference_block(), "docs/configuration.md") == RepoConfig()


def test_reference_block_names_every_key() -> None:
    documented = load_repo_config(reference_block(), "docs").model_dump(exclude_unset=True)

    def flatten(value: Any, prefix: str = "") -> set[str]:
        if isinstance(value, dict) and prefix.rstrip(".") not in (
            "risk.weights",
            "risk.levels",
            "approvals.required",
            "risk.size",
        ):
            return set().union(*(flatten(v, f"{prefix}{k}.") for k, v in value.items()))
        return {prefix.rstrip(".")}

    assert flatten(documented) == leaf_keys(RepoConfig)


def test_readme_example_config_is_valid() -> None:
    readme = (DOC.parent.parent / "README.md").read_text()
    example = next(
        block
        for block in re.findall(r"```yaml\n(.*?)```", readme, flags=re.S)
        if block.startswith("detect:")
    )

    config = load_repo_config(example, "README.md")

    assert config.approvals.seniors == ["@acme/architects", "alice"]
