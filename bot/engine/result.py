"""The analysis result: what `analyze --format json` prints and what the App posts from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.config.levels import Level, Severity

EVIDENCE_SIGNALS = ("trailer", "message", "author", "branch", "label", "body", "declared")


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reason to think the change is AI-assisted. `sha` is None for PR-level evidence."""

    signal: str
    tool: str
    detail: str
    sha: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"sha": self.sha, "signal": self.signal, "tool": self.tool, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class AIDetection:
    assisted: bool
    share: float
    evidence: tuple[Evidence, ...] = ()
    ai_commits: tuple[str, ...] = ()

    @property
    def tools(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.tool for e in self.evidence))

    def to_json(self) -> dict[str, Any]:
        return {
            "assisted": self.assisted,
            "share": self.share,
            "evidence": [e.to_json() for e in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class Location:
    """A place in the head version that explains a signal; `line` None means the whole file."""

    path: str
    line: int | None = None
    message: str = ""
    rule: str | None = None
    severity: Severity | None = None
    # Where a finding came from when a third-party rule set found it, e.g. "bandit B608".
    source: str | None = None
    cwe: int | None = None
    # False: shown to the reviewer, but weighs nothing toward the score and the level (a finding
    # in a test or a doc, a rule whose measured precision is too low to gate on).
    counted: bool = True
    # The code the finding was found in, to tell code a change wrote from code it only moved or
    # reformatted (bot/engine/carried.py); not part of the output.
    fingerprint: str | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "line": self.line}
        if self.rule:
            out["rule"] = self.rule
        if self.severity:
            out["severity"] = self.severity.value
        if self.source:
            out["source"] = self.source
        if self.cwe is not None:
            out["cwe"] = self.cwe
        if not self.counted:
            out["counted"] = False
        if self.message:
            out["message"] = self.message
        return out


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file a signal could not measure, and why (said in the output, never silent)."""

    path: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class SignalFinding:
    """What one signal found, before weighting. `intensity` is 0..1 of the signal's weight."""

    id: str
    intensity: float
    detail: str
    locations: tuple[Location, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    # Facts selectors can match on, such as the pattern rule ids that fired.
    tags: frozenset[str] = frozenset()
    min_level: Level = Level.LOW


@dataclass(frozen=True, slots=True)
class Signal:
    id: str
    score: int
    weight: int
    detail: str
    locations: tuple[Location, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    tags: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "score": self.score,
            "detail": self.detail,
            "locations": [loc.to_json() for loc in self.locations],
        }
        if self.skipped:
            out["skipped"] = [s.to_json() for s in self.skipped]
        return out


@dataclass(frozen=True, slots=True)
class Risk:
    score: int
    level: Level
    signals: tuple[Signal, ...]
    notes: tuple[str, ...] = ()

    def signal(self, signal_id: str) -> Signal:
        for signal in self.signals:
            if signal.id == signal_id:
                return signal
        raise KeyError(signal_id)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "score": self.score,
            "level": self.level.value,
            "signals": [s.to_json() for s in self.signals],
        }
        if self.notes:
            out["notes"] = list(self.notes)
        return out


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    id: str
    text: str
    why: str = ""
    required: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "text": self.text}
        if self.why:
            out["why"] = self.why
        if self.required:
            out["required"] = True
        return out


@dataclass(frozen=True, slots=True)
class SelectedChecklist:
    id: str
    title: str
    items: tuple[ChecklistItem, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "items": [i.to_json() for i in self.items]}


@dataclass(frozen=True, slots=True)
class OwnerRule:
    """A touched critical area whose own owners must approve too: one of `owners` (logins,
    `@org/team`). From CODEOWNERS, one rule per set of owners, naming the files (`paths`) it
    owns; `none_because` says why a file has no owner the bot can ask, and such a rule is never
    met (fail closed) until the base branch names one."""

    area: str
    owners: tuple[str, ...]
    paths: tuple[str, ...] = ()
    none_because: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"area": self.area, "from": list(self.owners)}
        if self.paths:
            out["paths"] = list(self.paths)
        if self.none_because:
            out["none_because"] = self.none_because
        return out


@dataclass(frozen=True, slots=True)
class ApprovalRequirement:
    required: int
    seniors: tuple[str, ...]
    # The touched critical areas whose own owners must approve too.
    owners: tuple[OwnerRule, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"required": self.required, "from": list(self.seniors)}
        if self.owners:
            out["owners"] = [rule.to_json() for rule in self.owners]
        return out


@dataclass(frozen=True, slots=True)
class Analysis:
    """The engine's whole answer for one snapshot and one config."""

    base_sha: str
    head_sha: str
    ai: AIDetection
    risk: Risk
    checklist: tuple[SelectedChecklist, ...]
    approvals: ApprovalRequirement
    gated: bool = field(default=True)
    # Applicable items `checklists.max_items` left out, as `checklist/item`.
    checklist_omitted: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "ai": self.ai.to_json(),
            "risk": self.risk.to_json(),
            "checklist": [c.to_json() for c in self.checklist],
            "checklist_omitted": list(self.checklist_omitted),
            "approvals": self.approvals.to_json(),
        }
