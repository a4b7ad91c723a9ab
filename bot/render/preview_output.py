"""`preview` output: what the App would post, and what changes between two configs.

Text is for a terminal (untrusted text is stripped of control characters), markdown is for
pasting into a pull request (the App's own markdown is shown as it would be posted), JSON is
for scripts.
"""

from __future__ import annotations

import json
import textwrap
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.engine.result import Analysis
from bot.render.escape import md_code, md_text
from bot.render.posting import Posting

# A side-by-side column wraps past this many characters.
COLUMN_WIDTH = 48


@dataclass(frozen=True, slots=True)
class PreviewedPull:
    """The pull request a preview is of, as the output names it, and the App's comment on it
    now (None: it has none yet)."""

    repo: str  # owner/name
    number: int
    head_sha: str
    base_sha: str
    head_branch: str
    base_branch: str
    comment: str | None


@dataclass(frozen=True, slots=True)
class Preview:
    """What the App would post on the pull request `pull` with one config."""

    pull: PreviewedPull
    config_source: str
    posting: Posting
    analysis: Analysis | None  # None when the config is invalid
    notes: tuple[str, ...] = ()

    @property
    def comment_action(self) -> str:
        """What the App would do with its comment: create, update, unchanged, or none."""
        if self.posting.comment is None:
            return "none"
        existing = self.pull.comment
        if existing is None:
            return "create"
        return "unchanged" if existing == self.posting.comment else "update"


_COMMENT_ACTIONS = {
    "none": "none (not AI-assisted, and no comment to update)",
    "create": "the App would post this new comment",
    "update": "the App would update its comment to this",
    "unchanged": "the App's comment already says this (no update)",
}


def _clean_line(text: str) -> str:
    """One line for a terminal: format characters (zero-width, bidi) dropped, other
    unprintable ones (escapes) made spaces."""
    return "".join(
        ch if ch.isprintable() else " " for ch in text if unicodedata.category(ch) != "Cf"
    )


def _clean(text: str) -> str:
    """Untrusted text for a terminal: lines kept, control characters (escapes) removed."""
    return "\n".join(_clean_line(line) for line in text.splitlines())


def _pull_json(pull: PreviewedPull) -> dict[str, Any]:
    return {
        "repo": pull.repo,
        "number": pull.number,
        "head_sha": pull.head_sha,
        "base_sha": pull.base_sha,
        "head": pull.head_branch,
        "base": pull.base_branch,
    }


def preview_json(preview: Preview) -> dict[str, Any]:
    posting = preview.posting
    return {
        "pull_request": _pull_json(preview.pull),
        "config": preview.config_source,
        "check_run": {
            "name": posting.check_name,
            "conclusion": posting.conclusion.value,
            "title": posting.output.title,
            "summary": posting.output.summary,
            "annotations": list(posting.output.annotations),
        },
        "comment": {"action": preview.comment_action, "body": posting.comment},
        "analysis": preview.analysis.to_json() if preview.analysis else None,
        "notes": list(preview.notes),
    }


def _heading(pull: PreviewedPull) -> str:
    return (
        f"{pull.repo}#{pull.number} at {pull.head_sha[:10]} "
        f"({pull.head_branch} into {pull.base_branch})"
    )


def _annotation_line(annotation: dict[str, Any]) -> str:
    place = f"{annotation['path']}:{annotation['start_line']}"
    return f"{place}  {annotation['annotation_level']}  {annotation['title']}: " + " ".join(
        str(annotation["message"]).split()
    )


def preview_text(preview: Preview) -> str:
    posting = preview.posting
    output = posting.output
    out = [
        _clean_line(_heading(preview.pull)),
        f"config: {_clean_line(preview.config_source)}",
        "Nothing was written to GitHub: this is what the App would post.",
        "",
        f"== Check run {posting.check_name}: {posting.conclusion.value} ==",
        _clean_line(output.title),
        "",
        "-- summary --",
        _clean(output.summary),
        "",
        f"-- annotations ({len(output.annotations)}) --",
        *(_clean_line(_annotation_line(a)) for a in output.annotations),
        "",
        f"== Comment: {_COMMENT_ACTIONS[preview.comment_action]} ==",
    ]
    if posting.comment is not None:
        out.append(_clean(posting.comment))
    if preview.notes:
        out += ["", "== Notes ==", *(f"- {_clean_line(note)}" for note in preview.notes)]
    return "\n".join(out).rstrip() + "\n"


def _md_cell(text: str) -> str:
    """Untrusted text in a table cell (md_text escapes `|` too)."""
    return md_text(text, 300)


def preview_markdown(preview: Preview) -> str:
    posting = preview.posting
    output = posting.output
    pull = preview.pull
    out = [
        f"# Preview of {md_text(pull.repo)}#{pull.number} "
        f"at `{pull.head_sha[:10]}`",  # hex: safe in a code span
        "",
        f"Config: {md_code(preview.config_source)}. Nothing was written to GitHub.",
        "",
        f"## Check run {md_code(posting.check_name)}: {posting.conclusion.value}",
        "",
        f"**Title:** {md_text(output.title)}",
        "",
        output.summary,
        "",
        f"### Annotations ({len(output.annotations)})",
        "",
    ]
    if output.annotations:
        out += ["| Where | Level | Title | Message |", "| --- | --- | --- | --- |"]
        out += [
            f"| {md_code(str(a['path']) + ':' + str(a['start_line']))} "
            f"| {a['annotation_level']} | {_md_cell(str(a['title']))} "
            f"| {_md_cell(str(a['message']))} |"
            for a in output.annotations
        ]
        out.append("")
    out += [f"## Comment: {_COMMENT_ACTIONS[preview.comment_action]}", ""]
    if posting.comment is not None:
        out.append(posting.comment)
    if preview.notes:
        out += ["## Notes", "", *(f"- {md_text(note)}" for note in preview.notes)]
    return "\n".join(out).rstrip() + "\n"


# -- two configs ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One compared fact of the two previews."""

    name: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True, slots=True)
class ItemChange:
    checklist: str
    item: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {"checklist": self.checklist, "id": self.item, "text": self.text}


@dataclass(frozen=True, slots=True)
class ConfigDiff:
    """What changes for one pull request from one config to another."""

    before: Preview
    after: Preview
    rows: tuple[Row, ...]
    added: tuple[ItemChange, ...]
    removed: tuple[ItemChange, ...]

    @property
    def changed(self) -> tuple[Row, ...]:
        return tuple(row for row in self.rows if row.changed)

    @property
    def same(self) -> bool:
        return not self.changed and not self.added and not self.removed


def _items(analysis: Analysis | None) -> dict[tuple[str, str], str]:
    if analysis is None:
        return {}
    return {
        (checklist.id, item.id): item.text
        for checklist in analysis.checklist
        for item in checklist.items
    }


def _facts(preview: Preview) -> dict[str, str]:
    posting, analysis = preview.posting, preview.analysis
    facts = {
        "conclusion": posting.conclusion.value,
        "title": posting.output.title,
        "comment": "posted" if posting.comment is not None else "none",
    }
    if analysis is None:
        return {**facts, "risk level": "-", "risk score": "-", "approvals": "-"}
    seniors = ", ".join(analysis.approvals.seniors) or "any reviewer"
    facts |= {
        "risk level": analysis.risk.level.value,
        "risk score": str(analysis.risk.score),
        "approvals": f"{analysis.approvals.required} from {seniors}",
        "AI-assisted": "yes" if analysis.ai.assisted else "no",
    }
    for signal in analysis.risk.signals:
        facts[f"signal {signal.id}"] = f"{signal.score}/{signal.weight}"
    return facts


def config_diff(before: Preview, after: Preview) -> ConfigDiff:
    """Compare the same pull request's previews under two configs."""
    old, new = _facts(before), _facts(after)
    names = list(dict.fromkeys([*old, *new]))
    rows = tuple(Row(name, old.get(name, "-"), new.get(name, "-")) for name in names)
    old_items, new_items = _items(before.analysis), _items(after.analysis)
    return ConfigDiff(
        before,
        after,
        rows,
        added=tuple(ItemChange(*key, new_items[key]) for key in new_items if key not in old_items),
        removed=tuple(
            ItemChange(*key, old_items[key]) for key in old_items if key not in new_items
        ),
    )


def _side(preview: Preview) -> dict[str, Any]:
    analysis = preview.analysis
    side: dict[str, Any] = {
        "config": preview.config_source,
        "conclusion": preview.posting.conclusion.value,
        "title": preview.posting.output.title,
        "comment": preview.posting.comment is not None,
        "risk": None,
        "approvals": None,
        "checklist": [],
    }
    if analysis is not None:
        side["risk"] = {
            "level": analysis.risk.level.value,
            "score": analysis.risk.score,
            "signals": {signal.id: signal.score for signal in analysis.risk.signals},
        }
        side["approvals"] = analysis.approvals.to_json()
        side["checklist"] = [f"{c}/{i}" for c, i in _items(analysis)]
    return side


def diff_json(diff: ConfigDiff) -> dict[str, Any]:
    return {
        "pull_request": _pull_json(diff.before.pull),
        "before": _side(diff.before),
        "after": _side(diff.after),
        "changed": [row.name for row in diff.changed],
        "checklist": {
            "added": [item.to_json() for item in diff.added],
            "removed": [item.to_json() for item in diff.removed],
        },
        "notes": list(dict.fromkeys([*diff.before.notes, *diff.after.notes])),
    }


def _wrapped(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def _side_by_side(rows: Sequence[tuple[str, str, str, str]]) -> list[str]:
    """Rows of (mark, name, before, after) as aligned columns, long values wrapped."""
    name_width = max(len(name) for _, name, _, _ in rows)
    before_width = min(COLUMN_WIDTH, max(len(before) for _, _, before, _ in rows))
    lines = []
    for mark, name, before, after in rows:
        left, right = _wrapped(before, before_width), _wrapped(after, COLUMN_WIDTH)
        for index in range(max(len(left), len(right))):
            first = index == 0
            lines.append(
                f"{mark if first else ' '} {(name if first else ''):<{name_width}}  "
                f"{(left[index] if index < len(left) else ''):<{before_width}}  "
                f"{right[index] if index < len(right) else ''}".rstrip()
            )
    return lines


def _item_lines(sign: str, items: Iterable[ItemChange]) -> list[str]:
    return [
        f"  {sign} {item.checklist}/{item.item}  {' '.join(item.text.split())}" for item in items
    ]


def diff_text(diff: ConfigDiff) -> str:
    before, after = diff.before, diff.after
    out = [
        _clean_line(_heading(before.pull)),
        "Nothing was written to GitHub. Rows marked * change.",
        "",
    ]
    header = (" ", "", _clean_line(before.config_source), _clean_line(after.config_source))
    rows = [
        ("*" if row.changed else " ", row.name, _clean_line(row.before), _clean_line(row.after))
        for row in diff.rows
    ]
    out += _side_by_side([header, *rows])
    out += ["", "Checklist items:"]
    if diff.added or diff.removed:
        out += _item_lines("+", diff.added) + _item_lines("-", diff.removed)
    else:
        out.append("  no change")
    notes = list(dict.fromkeys([*before.notes, *after.notes]))
    if notes:
        out += ["", "Notes:", *(f"- {_clean_line(note)}" for note in notes)]
    if diff.same:
        out += ["", "No difference for this pull request."]
    return "\n".join(_clean_line(line) for line in out) + "\n"


def diff_markdown(diff: ConfigDiff) -> str:
    before, after = diff.before, diff.after
    pull = before.pull
    out = [
        f"# Config change on {md_text(pull.repo)}#{pull.number} "
        f"at `{pull.head_sha[:10]}`",  # hex: safe in a code span
        "",
        f"| | {md_code(before.config_source)} | {md_code(after.config_source)} |",
        "| --- | --- | --- |",
    ]
    for row in diff.rows:
        name = f"**{row.name}**" if row.changed else row.name
        out.append(f"| {name} | {_md_cell(row.before)} | {_md_cell(row.after)} |")
    out += ["", "## Checklist items", ""]
    if diff.added or diff.removed:
        out += [
            f"- added {md_code(f'{i.checklist}/{i.item}')}: {md_text(i.text)}" for i in diff.added
        ]
        out += [
            f"- removed {md_code(f'{i.checklist}/{i.item}')}: {md_text(i.text)}"
            for i in diff.removed
        ]
    else:
        out.append("No change.")
    notes = list(dict.fromkeys([*before.notes, *after.notes]))
    if notes:
        out += ["", "## Notes", "", *(f"- {md_text(note)}" for note in notes)]
    return "\n".join(out) + "\n"


def dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
