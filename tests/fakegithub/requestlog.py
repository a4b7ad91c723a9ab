"""Every request the fake received, for tests to assert on what the bot sent."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class RecordedRequest:
    method: str
    path: str
    """The API path without a GitHub Enterprise prefix: /api/v3/repos/... is /repos/..."""
    query: dict[str, str]
    headers: dict[str, str]
    """Lower-case names; the Authorization header is kept apart, out of repr."""
    body: bytes = field(repr=False)
    json: Any = None
    status: int = 0
    authorization: str = field(default="", repr=False)
    raw_path: str = ""
    """The path as requested, GitHub Enterprise prefix included."""

    @property
    def auth_scheme(self) -> str:
        """ "token", "bearer" or "" (the credential itself is never shown)."""
        return self.authorization.partition(" ")[0].lower()


def _parse_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


class RequestLog:
    def __init__(self) -> None:
        self._entries: list[RecordedRequest] = []

    def record(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        raw_path: str = "",
    ) -> RecordedRequest:
        headers = {name.lower(): value for name, value in headers.items()}
        authorization = headers.pop("authorization", "")
        entry = RecordedRequest(
            method=method,
            path=path,
            query=query,
            headers=headers,
            body=body,
            json=_parse_json(body),
            authorization=authorization,
            raw_path=raw_path or path,
        )
        self._entries.append(entry)
        return entry

    def find(
        self, method: str | None = None, path: str | re.Pattern[str] | None = None
    ) -> list[RecordedRequest]:
        """Requests in arrival order; a str path matches exactly, a Pattern by search."""
        return [
            entry
            for entry in self._entries
            if (method is None or entry.method == method.upper()) and _path_matches(entry, path)
        ]

    def clear(self) -> None:
        self._entries.clear()


def _path_matches(entry: RecordedRequest, path: str | re.Pattern[str] | None) -> bool:
    if path is None:
        return True
    if isinstance(path, str):
        return entry.path == path
    return path.search(entry.path) is not None
