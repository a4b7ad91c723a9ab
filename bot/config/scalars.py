"""Plain scalars under the YAML 1.2 core schema: strings, numbers, booleans and null only.

No tag can construct a Python object, and `yes`/`on`/`2024-01-01` stay strings.
"""

from __future__ import annotations

import re

import yaml

from bot.config.issues import quote

MAX_INT_DIGITS = 100

CORE_TAG = "tag:yaml.org,2002:"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUES = frozenset({"true", "True", "TRUE"})
_FALSES = frozenset({"false", "False", "FALSE"})
_DECIMAL = re.compile(r"[-+]?[0-9]+\Z")
_OCTAL = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_INFINITY = re.compile(r"([-+]?)\.(?:inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)\Z")
# Most plain scalars are words; only these first characters can begin anything else.
_NON_STRING_STARTS = frozenset("~nNtTfF.+-0123456789")


class ScalarError(ValueError):
    """A scalar the core schema cannot read."""


def _resolve_plain(text: str) -> object:
    """The value of an untagged plain scalar under the YAML 1.2 core schema."""
    value: object = text
    if text and text[0] not in _NON_STRING_STARTS:
        return value
    if text in _NULLS:
        value = None
    elif text in _TRUES:
        value = True
    elif text in _FALSES:
        value = False
    elif _DECIMAL.match(text) or _OCTAL.match(text) or _HEX.match(text):
        if len(text) > MAX_INT_DIGITS:
            raise ScalarError(f"the number {quote(text)} has too many digits")
        value = int(text, 0) if text[:2] in ("0o", "0x") else int(text, 10)
    elif _FLOAT.match(text):
        value = float(text)
    elif infinity := _INFINITY.match(text):
        value = float(f"{infinity.group(1)}inf")
    elif _NAN.match(text):
        value = float("nan")
    return value


_TAG_TYPES: dict[str, type] = {
    f"{CORE_TAG}null": type(None),
    f"{CORE_TAG}bool": bool,
    f"{CORE_TAG}int": int,
    f"{CORE_TAG}float": float,
}


def shown_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(CORE_TAG) if tag.startswith(CORE_TAG) else tag


def scalar_value(event: yaml.ScalarEvent) -> object:
    tag, text = event.tag, event.value
    if tag is None:
        # libyaml marks a plain scalar with style "", the pure parser with None.
        return _resolve_plain(text) if not event.style else text
    if tag in ("!", f"{CORE_TAG}str"):
        return text
    expected = _TAG_TYPES.get(tag)
    if expected is None:
        raise ScalarError(
            f"the tag {shown_tag(tag)} is not allowed: only strings, numbers, booleans, null, "
            "lists and mappings"
        )
    value = _resolve_plain(text)
    if expected is float and type(value) is int:
        value = float(value)
    if type(value) is not expected:
        raise ScalarError(f"{quote(text)} is not a valid {shown_tag(tag)}")
    return value
