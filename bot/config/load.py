"""Reading `.github/ai-review.yml` and checklist files: YAML text in, typed models out.

Like a compiler, this reports every mistake at once, each with its line, column and key path,
and an invalid file is rejected whole (the caller keeps the last good config).
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from bot.config.issues import ConfigError, describe_value, refuse
from bot.config.model import RepoConfig
from bot.config.reader import parse_document
from bot.config.wording import first_issues, placed_errors

M = TypeVar("M", bound=BaseModel)


def parse_yaml(text: str | bytes, source: str) -> object:
    """Parse one YAML document into plain dicts, lists, strings, numbers, booleans and None,
    within the limits above. An empty document is None. Raises ConfigError."""
    document = parse_document(text, source)
    if document.issues:
        raise ConfigError(source, first_issues(document.issues, ()))
    return document.value


def load_model(text: str | bytes, source: str, model: type[M]) -> M:
    """Parse `text` and validate it as `model`. The document must be a mapping (an empty one is
    `{}`). Raises ConfigError listing every problem, each with its position and key path."""
    document = parse_document(text, source)
    data = {} if document.value is None else document.value
    if not isinstance(data, dict):
        raise refuse(
            source,
            f"the file must be a mapping of keys to values, got {describe_value(data)}",
            document.position_of_value(()),
        )
    try:
        loaded = model.model_validate(data)
    except ValidationError as exc:
        findings = placed_errors(exc, model, document, data)
        raise ConfigError(source, first_issues(document.issues, findings)) from None
    if document.issues:
        raise ConfigError(source, first_issues(document.issues, ()))
    return loaded


def load_repo_config(text: str | bytes | None, source: str = ".github/ai-review.yml") -> RepoConfig:
    """The repo config in `text`; no file (None) or an empty one means the defaults."""
    if text is None:
        return RepoConfig()
    return load_model(text, source, RepoConfig)
