"""The community's example webhook payloads (@octokit/webhooks-examples), as GitHub sends them.

Each example is a delivery captured from GitHub. Those captured from a repository's webhook
rather than an App's lack `installation`; GitHub adds it to every delivery to an App, so
`for_app` adds it too, and nothing else is changed.
"""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conformance import specs

DEFAULT_INSTALLATION_ID = 1


@dataclass(frozen=True, slots=True)
class Example:
    event: str
    index: int
    """Its place among the examples of its event, from 0."""
    payload: dict[str, Any]

    @property
    def action(self) -> str | None:
        action = self.payload.get("action")
        return action if isinstance(action, str) else None

    @property
    def id(self) -> str:
        """`pull_request.opened#3`: stable while the pinned package is."""
        return f"{self.event}{'.' + self.action if self.action else ''}#{self.index}"

    @property
    def installation_id(self) -> int:
        installation = self.payload.get("installation") or {}
        return int(installation.get("id", DEFAULT_INSTALLATION_ID))

    def for_app(self) -> dict[str, Any]:
        """The payload as delivered to an App: with `installation` (its id and node id)."""
        payload = copy.deepcopy(self.payload)
        payload.setdefault(
            "installation", {"id": DEFAULT_INSTALLATION_ID, "node_id": "MDIzOkludGVncmF0aW9uMQ=="}
        )
        return payload


@functools.cache
def _load(path: Path) -> tuple[Example, ...]:
    events = json.loads(path.read_text(encoding="utf-8"))
    return tuple(
        Example(event["name"], index, payload)
        for event in events
        for index, payload in enumerate(event["examples"])
    )


def examples() -> tuple[Example, ...]:
    """Every example of every event; () when the package is not installed."""
    if not specs.WEBHOOK_EXAMPLES.is_file():
        return ()
    return _load(specs.WEBHOOK_EXAMPLES)
