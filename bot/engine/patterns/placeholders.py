"""Values that only stand in for a credential: empty, a word, a documented example, a run.

A secret finding on such a value is not reported: `token = ""`, `password="test"`, `None`,
`xxx`, `user:pass@example.com`, AWS's documented `AKIAIOSFODNN7EXAMPLE`, `ghp_ABCDEF...`,
`xoxb-1234567890-abcdefghijkl`, a JWT whose subject is `1234567890`. A real credential is long
and random; these are what people type when they need the shape of one.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import re

# Words and markers people write where a credential would go.
_MARKERS = re.compile(
    r"example|sample|dummy|fake|placeholder|change_?me|redacted|your[_-]|<[^>]*>|\{\{|\$\{"
    r"|x{4,}|\*{3,}|\.{3,}|test|mock|insert|replace|todo|lorem|john ?doe|jane ?doe|secret"
    r"|passw(?:or)?d",
    re.IGNORECASE,
)
_WORDS = frozenset(
    {
        "none",
        "null",
        "nil",
        "true",
        "false",
        "pass",
        "passwd",
        "password",
        "pwd",
        "secret",
        "token",
        "key",
        "user",
        "username",
        "foo",
        "bar",
        "baz",
        "qux",
        "abc",
        "abc123",
        "admin",
        "root",
        "guest",
        "default",
        "hunter2",
        "letmein",
        "s3cr3t",
        "p@ssw0rd",
        "p4ssw0rd",
    }
)
_SEGMENTS = re.compile(r"[-_.:/+=~]+")
# A name, not a value: `token_type = "Bearer"`, `PASSWORD_FIELD = "password"`, `x-api-key`.
# A dashed run of words is a name only when it names a credential (else it may be a passphrase).
_NAME = re.compile(r"[A-Za-z]{1,20}|[A-Za-z]+(?:_[A-Za-z]+)+")
_DASHED_NAME = re.compile(
    r"(?:[A-Za-z]+-)*(?:x|api|access|auth|bearer|token|key|secret|password)(?:-[A-Za-z]+)*",
    re.IGNORECASE,
)
_USERINFO = re.compile(r"://([^:/\s@'\"]*):([^@\s/'\"]*)@([^/\s:?#'\"]*)")
_EXAMPLE_HOSTS = re.compile(
    r"(?:^|\.)(?:example\.(?:com|org|net)|example|test|invalid|localhost)$", re.IGNORECASE
)


def _runs(segment: str) -> bool:
    """A run of neighbouring characters (`abcdef`, `123456`) or of few characters (`xxxx`)."""
    if len(set(segment.lower())) <= 3:
        return True
    lowered = segment.lower()
    steps = sum(1 for a, b in itertools.pairwise(lowered) if ord(b) - ord(a) == 1)
    return steps >= 0.8 * (len(segment) - 1)


def looks_like_placeholder(value: str) -> bool:
    """Whether a credential-shaped `value` is a stand-in rather than a secret."""
    stripped = value.strip().strip("'\"`")
    if len(stripped) <= 3 or stripped.lower() in _WORDS:
        return True
    return _made_up(stripped) or _sample_jwt(stripped)


def _made_up(text: str) -> bool:
    """A marker word (example, test, xxxx...), or nothing but runs in its longer parts."""
    if _MARKERS.search(text):
        return True
    long_segments = [s for s in _SEGMENTS.split(text) if len(s) >= 6]
    return bool(long_segments) and all(_runs(s) for s in long_segments)


def looks_like_a_name(value: str) -> bool:
    """A word or identifier (no digit): what a field or header is called, not its secret."""
    stripped = value.strip()
    return _NAME.fullmatch(stripped) is not None or _DASHED_NAME.fullmatch(stripped) is not None


def _sample_jwt(value: str) -> bool:
    """A JWT whose claims are placeholders (jwt.io's `1234567890` / `John Doe`)."""
    parts = value.split(".")
    if len(parts) != 3 or not parts[0].startswith("eyJ"):
        return False
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (binascii.Error, ValueError):
        return False
    if not isinstance(claims, dict):
        return False
    strings = [v for v in claims.values() if isinstance(v, str)]
    return any(_made_up(v) for v in strings)


def basic_auth_placeholders(line: str) -> bool:
    """Whether every `user:password@host` on the line is a stand-in: a placeholder password,
    the user name repeated, or a host reserved for examples (example.com, *.test, localhost)."""
    found = _USERINFO.findall(line)
    return bool(found) and all(
        looks_like_placeholder(password)
        or password == user
        or _EXAMPLE_HOSTS.search(host) is not None
        for user, password, host in found
    )
