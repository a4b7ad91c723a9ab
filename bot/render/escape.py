"""Escaping what the bot echoes from a pull request into markdown.

File names, commit messages, logins and tool output are untrusted: they must not break the
comment's structure, inject HTML, links or hidden HTML comments, or @-mention anyone. Nothing
echoed can contain a raw `<` or `>`, so no `<!--`, `-->` or marker text from a pull request
reaches what the bot posts; characters that hide or reorder text (bidi controls, zero-width
characters) are shown by their code point.
"""

from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~=])")
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
_ZERO_WIDTH_SPACE = "\u200b"
# Bidi controls and invisible characters (Trojan Source, CVE-2021-42574; look-alike names).
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb]"
)


def visible(text: str) -> str:
    """Characters that hide or reorder text, written as `<U+202E>` so a reader sees them."""
    return _INVISIBLE.sub(lambda found: f"<U+{ord(found.group()):04X}>", text)


def md_text(text: str, limit: int = 300) -> str:
    """Plain text on one line: markdown and HTML inert, mentions broken, length bounded."""
    one_line = " ".join(visible(text).split())
    if len(one_line) > limit:
        one_line = one_line[: limit - 1] + "…"
    html_safe = one_line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", html_safe)
    return _MENTION.sub("@" + _ZERO_WIDTH_SPACE, escaped)


def md_code(text: str, limit: int = 200) -> str:
    """Text shown as code, holding anything: an HTML `<code>` element around escaped text
    (a markdown code span would show `<!--` raw in the comment's source). `|` is escaped
    everywhere, so it is safe in a table too."""
    return f"<code>{md_text(text, limit)}</code>"


def mention(ref: str) -> str:
    """A senior reference the bot itself names on purpose (config-controlled, validated)."""
    return ref if ref.startswith("@") else f"@{ref}"
