"""The base every config model shares, and the validated field types the models are made of.

Every model forbids unknown keys and is frozen. Regexes, globs, ids, logins and senior
references are checked by their field types here, so no model checks one by hand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from bot.config.globs import GlobError, compile_glob
from bot.config.regex import RegexError, compile_pattern
from bot.config.signals import SIGNAL_IDS

MAX_LIST = 500


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


def _check_regex(pattern: str) -> str:
    try:
        compile_pattern(pattern)
    except RegexError as exc:
        raise ValueError(str(exc)) from None
    return pattern


def _check_glob(pattern: str) -> str:
    try:
        compile_glob(pattern)
    except GlobError as exc:
        raise ValueError(str(exc)) from None
    return pattern


Regex = Annotated[
    str,
    StringConstraints(min_length=1, max_length=1000),
    AfterValidator(_check_regex),
    Field(description="A regular expression in RE2 syntax, matched case-insensitively."),
]
Glob = Annotated[
    str,
    StringConstraints(min_length=1, max_length=500),
    AfterValidator(_check_glob),
    Field(description="A path glob: `*` within a folder, `**` across folders (gitignore style)."),
]
Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$"),
    Field(description="A stable id: lowercase letters, digits, '.', '_' and '-'."),
]
SeniorRef = Annotated[
    str,
    StringConstraints(
        pattern=r"^(@[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9][A-Za-z0-9._-]{0,99}"
        r"|[A-Za-z0-9][A-Za-z0-9-]{0,38})$"
    ),
    Field(description="A team as `@org/team-slug`, or a user by GitHub login."),
]
Login = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}(\[bot\])?$"),
    Field(description="A GitHub login; apps end in `[bot]`."),
]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
# Built from the declared signals (bot/config/signals.py); the type checker, which cannot read a
# Literal built at run time, sees a plain string.
if TYPE_CHECKING:
    SignalId = str
else:
    SignalId = Literal[SIGNAL_IDS]
