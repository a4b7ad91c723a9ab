"""`analyze --format sarif`: SARIF 2.1.0 as GitHub code scanning takes it.

One result per finding on a line (bot.render.located), under a rule per rule id with its help
(the message says what to do), CWE tags and, for security rules, a `security-severity` GitHub
ranks alerts by. Files a signal could not measure, and the analysis' own notes, are tool
notifications: said, never silently dropped. The risk, the AI detection, the range and the
config ride in the run's property bag.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from bot.config.levels import Severity
from bot.engine.result import Analysis
from bot.render.located import Located, described, located_findings
from bot.render.markdown import SIGNAL_TITLES
from bot.render.provenance import Provenance

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "ai-review-bot"
# GitHub keeps up to 25,000 results of a run; a change with more is no review anyway.
MAX_RESULTS = 5_000
MAX_NOTIFICATIONS = 200
# GitHub ranks security alerts by this score: over 9 critical, 7 to 8.9 high, 4 to 6.9 medium.
_SECURITY_SEVERITY = {Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0"}
_FINGERPRINT = "aiReviewBotFinding/v1"


def render_sarif(
    analysis: Analysis,
    provenance: Provenance,
    version: str,
    tool_name: Callable[[str], str] = str,
) -> dict[str, Any]:
    """The SARIF log of one analysis: one run, the tool's rules, one result per finding."""
    findings = located_findings(analysis)
    rules = _rules(findings)
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    results = [_result(found, index[found.rule]) for found in findings[:MAX_RESULTS]]
    _fingerprint(findings[:MAX_RESULTS], results)
    notes = _notifications(analysis)
    if len(findings) > MAX_RESULTS:
        notes.insert(
            0, _notification("warning", f"{len(findings) - MAX_RESULTS} more findings left out")
        )
    ai = analysis.ai
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": version,
                        "informationUri": "https://pypi.org/project/ai-review-bot/",
                        "rules": rules,
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": notes[:MAX_NOTIFICATIONS],
                    }
                ],
                "results": results,
                "properties": {
                    "risk": {"level": analysis.risk.level.value, "score": analysis.risk.score},
                    "ai": {
                        "assisted": ai.assisted,
                        "share": ai.share,
                        "tools": [tool_name(tool) for tool in ai.tools],
                    },
                    "approvals": analysis.approvals.to_json(),
                    **provenance.to_json(),
                },
            }
        ],
    }


def _rules(findings: list[Located]) -> list[dict[str, Any]]:
    """One reportingDescriptor per rule id, described by its first (most severe) finding."""
    first: dict[str, Located] = {}
    worst: dict[str, Severity] = {}
    for found in findings:
        first.setdefault(found.rule, found)
        severity = found.location.severity
        if severity is not None and (
            found.rule not in worst or severity.rank > worst[found.rule].rank
        ):
            worst[found.rule] = severity
    rules = []
    for rule_id, found in first.items():
        location = found.location
        message = location.message or rule_id
        signal = SIGNAL_TITLES.get(found.signal, found.signal)
        help_text = (
            f"{message}\n\nRule `{rule_id}` of the {signal} signal"
            + (f", found by {location.source}" if location.source else "")
            + ". Its measured precision and what to do about it: docs/rules.md of ai-review-bot."
        )
        tags = ["ai-review", found.signal]
        properties: dict[str, Any] = {"tags": tags}
        if location.cwe is not None:
            tags += ["security", f"external/cwe/cwe-{location.cwe}"]
            properties["security-severity"] = _SECURITY_SEVERITY[
                worst.get(rule_id, Severity.MEDIUM)
            ]
        rules.append(
            {
                "id": rule_id,
                "name": "".join(part.capitalize() for part in rule_id.replace("_", "-").split("-")),
                "shortDescription": {"text": _first_sentence(message)},
                "fullDescription": {"text": message},
                "help": {"text": help_text, "markdown": help_text},
                "defaultConfiguration": {"level": found.level.value},
                "properties": properties,
            }
        )
    return rules


def _result(found: Located, rule_index: int) -> dict[str, Any]:
    location = found.location
    properties: dict[str, Any] = {"signal": found.signal}
    if location.severity is not None:
        properties["severity"] = location.severity.value
    if location.source:
        properties["source"] = location.source
    if not location.counted:
        properties["counted"] = False
    return {
        "ruleId": found.rule,
        "ruleIndex": rule_index,
        "level": found.level.value,
        "message": {"text": described(location)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(location.path), "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": found.line},
                }
            }
        ],
        "properties": properties,
    }


def _fingerprint(findings: list[Located], results: list[dict[str, Any]]) -> None:
    """A fingerprint that survives lines moving: rule, path and the code (or message), with an
    occurrence count telling identical findings in one file apart."""
    seen: dict[str, int] = {}
    for found, result in zip(findings, results, strict=True):
        location = found.location
        what = location.fingerprint or location.message
        key = f"{found.rule}\0{location.path}\0{what}"
        seen[key] = seen.get(key, 0) + 1
        digest = hashlib.sha256(f"{key}\0{seen[key]}".encode()).hexdigest()[:32]
        result["partialFingerprints"] = {_FINGERPRINT: digest}


def _notifications(analysis: Analysis) -> list[dict[str, Any]]:
    notes = [_notification("note", note) for note in analysis.risk.notes]
    for signal in analysis.risk.signals:
        title = SIGNAL_TITLES.get(signal.id, signal.id)
        for skipped in signal.skipped:
            text = f"{title}: not measured: {skipped.path} ({skipped.reason})"
            notes.append(_notification("warning", text))
    return notes


def _notification(level: str, text: str) -> dict[str, Any]:
    return {"level": level, "message": {"text": text}}


def _uri(path: str) -> str:
    """A repository path as a relative URI reference: '/' kept, everything a URI reserves
    escaped (a ':' would read as a scheme, a '#' as a fragment)."""
    return quote(path, safe="/-._~")


def _first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return (head + dot).strip() or text
