"""Escaping what the bot echoes from a pull request into markdown.

File names, commit messages, logins and tool output are untrusted: they must not break the
comment's structure, inject HTML or links, or @-mention anyone.
"""

from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~=])")
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
_ZERO_WIDTH_SPACE = "\u200b"


def md_text(text: str, limit: int = 300) -> str:
    """Plain text on one line: markdown and HTML inert, mentions broken, length bounded."""
    one_line = " ".join(text.split())
    if len(one_line) > limit:
        one_line = one_line[: limit - 1] + "…"
    html_safe = one_line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", html_safe)
    return _MENTION.sub("@" + _ZERO_WIDTH_SPACE, escaped)


def md_code(text: str, limit: int = 200, in_table: bool = False) -> str:
    """An inline code span that holds any text, backticks included."""
    one_line = " ".join(text.split())
    if in_table:
        one_line = one_line.replace("|", "\\|")
    if len(one_line) > limit:
        one_line = one_line[: limit - 1] + "…"
    longest = max((len(m) for m in re.findall(r"`+", one_line)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if one_line.startswith("`") or one_line.endswith("`") else ""
    return f"{fence}{pad}{one_line}{pad}{fence}"


def mention(ref: str) -> str:
    """A senior reference the bot itself names on purpose (config-controlled, validated)."""
    return ref if ref.startswith("@") else f"@{ref}"
