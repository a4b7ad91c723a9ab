"""The rules GitHub applies to a check run's create and update bodies.

Schema violations (a missing field, a value outside an enum, a string over its length) answer
422 "Invalid request." with a detail line, as GitHub's JSON-schema layer does; rules checked
later by the model (byte sizes, column pairs) answer 422 "Validation Failed" with `errors`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.fakegithub.errors import GitHubError, invalid_request, not_supplied, validation_failed

STATUSES = ("queued", "in_progress", "completed")
ACTIONS_ONLY_STATUSES = ("waiting", "requested", "pending")
CONCLUSIONS = (
    "action_required", "cancelled", "failure", "neutral", "success", "skipped", "timed_out",
)  # fmt: skip
ANNOTATION_LEVELS = ("notice", "warning", "failure")
MAX_TEXT = 65535
MAX_ANNOTATIONS = 50
MAX_ACTIONS = 3
_ANNOTATION_REQUIRED = ("path", "start_line", "end_line", "annotation_level", "message")
_ACTION_LIMITS = {"label": 20, "description": 40, "identifier": 20}


def _not_member(key: str, value: Any, allowed: tuple[str, ...], docs: str) -> GitHubError:
    options = ", ".join(f'"{a}"' for a in allowed)
    return invalid_request(
        f"For 'properties/{key}', {_show(value)} is not a member of [{options}].", docs
    )


def _show(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _check_string(body: dict[str, Any], key: str, docs: str) -> None:
    if key in body and body[key] is not None and not isinstance(body[key], str):
        raise invalid_request(f"For 'properties/{key}', {_show(body[key])} is not a string.", docs)


def _check_time(body: dict[str, Any], key: str, docs: str) -> None:
    _check_string(body, key, docs)
    value = body.get(key)
    if value is None:
        return
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_request(
            f"For 'properties/{key}', {_show(value)} is not a valid date-time.", docs
        ) from None


def _check_text(output: dict[str, Any], key: str, docs: str) -> None:
    value = output.get(key)
    if value is None:
        return
    if not isinstance(value, str):
        raise invalid_request(f"For 'properties/{key}', {_show(value)} is not a string.", docs)
    if len(value) > MAX_TEXT:
        raise invalid_request(
            f"Only {MAX_TEXT} characters are allowed; {len(value)} were supplied.", docs
        )
    if len(value.encode("utf-8")) > MAX_TEXT:
        raise validation_failed(
            "CheckRun", key, f"{key} exceeds a maximum bytesize of {MAX_TEXT}", docs
        )


def _check_annotation(annotation: Any, docs: str) -> None:
    if not isinstance(annotation, dict):
        raise invalid_request(f"For 'items', {_show(annotation)} is not an object.", docs)
    missing = [k for k in _ANNOTATION_REQUIRED if annotation.get(k) is None]
    if missing:
        raise not_supplied(missing, docs)
    level = annotation["annotation_level"]
    if level not in ANNOTATION_LEVELS:
        raise _not_member("annotation_level", level, ANNOTATION_LEVELS, docs)
    for key in ("start_line", "end_line", "start_column", "end_column"):
        value = annotation.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise invalid_request(
                f"For 'properties/{key}', {_show(value)} is not an integer.", docs
            )
    columns = annotation.get("start_column") is not None or annotation.get("end_column") is not None
    if columns and annotation["start_line"] != annotation["end_line"]:
        raise validation_failed(
            "CheckRun",
            "annotations",
            "start_column and end_column may only be set when start_line and end_line are the same",
            docs,
        )


def _check_output(output: Any, docs: str) -> None:
    if not isinstance(output, dict):
        raise invalid_request(f"For 'properties/output', {_show(output)} is not an object.", docs)
    missing = [k for k in ("title", "summary") if output.get(k) is None]
    if missing:
        raise not_supplied(missing, docs)
    for key in ("title", "summary", "text"):
        _check_text(output, key, docs)
    annotations = output.get("annotations", [])
    if not isinstance(annotations, list):
        raise invalid_request(
            f"For 'properties/annotations', {_show(annotations)} is not an array.", docs
        )
    if len(annotations) > MAX_ANNOTATIONS:
        raise invalid_request(
            f"For 'properties/annotations', the array has {len(annotations)} items; "
            f"at most {MAX_ANNOTATIONS} are allowed.",
            docs,
        )
    for annotation in annotations:
        _check_annotation(annotation, docs)


def _check_actions(actions: Any, docs: str) -> None:
    if not isinstance(actions, list) or len(actions) > MAX_ACTIONS:
        raise invalid_request(
            f"For 'properties/actions', at most {MAX_ACTIONS} actions are allowed.", docs
        )
    for action in actions:
        if not isinstance(action, dict):
            raise invalid_request(f"For 'items', {_show(action)} is not an object.", docs)
        missing = [k for k in _ACTION_LIMITS if not isinstance(action.get(k), str)]
        if missing:
            raise not_supplied(missing, docs)
        for key, limit in _ACTION_LIMITS.items():
            if len(action[key]) > limit:
                raise invalid_request(
                    f"Only {limit} characters are allowed; {len(action[key])} were supplied.", docs
                )


def validate_check_run(
    body: dict[str, Any], *, creating: bool, has_conclusion: bool, docs: str
) -> None:
    """Raise GitHub's 422 for a body GitHub would refuse; `has_conclusion` for updates."""
    if creating:
        missing = [k for k in ("name", "head_sha") if body.get(k) is None]
        if missing:
            raise not_supplied(missing, docs)
    for key in ("name", "head_sha", "details_url", "external_id"):
        _check_string(body, key, docs)
    for key in ("started_at", "completed_at"):
        _check_time(body, key, docs)
    status = body.get("status")
    if status in ACTIONS_ONLY_STATUSES:
        raise invalid_request(
            "Only GitHub Actions can set a status of waiting, pending, or requested.", docs
        )
    if status is not None and status not in STATUSES:
        raise _not_member("status", status, STATUSES, docs)
    conclusion = body.get("conclusion")
    if conclusion is not None and conclusion not in CONCLUSIONS:
        raise _not_member("conclusion", conclusion, CONCLUSIONS, docs)
    completing = status == "completed" or body.get("completed_at") is not None
    if completing and conclusion is None and not has_conclusion:
        raise not_supplied(["conclusion"], docs)
    if body.get("output") is not None:
        _check_output(body["output"], docs)
    if body.get("actions") is not None:
        _check_actions(body["actions"], docs)
