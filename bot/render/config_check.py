"""The output of the config check (`ai-review/config`): the config a pull request proposes,
validated, and what it would change on other open pull requests.

Everything a proposal or another pull request controls (titles, checklist ids and texts,
config messages quoting the file) is escaped; the comparison of one pull request under two
configs is preview's (`preview_output.config_diff`), computed once and only shown here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.config.issues import ConfigError
from bot.render.checkrun import MAX_ANNOTATIONS, MAX_TITLE, CheckOutput
from bot.render.escape import md_code, md_text
from bot.render.markdown import truncate
from bot.render.preview_output import ConfigDiff, ItemChange

# Numbers of the pull requests left out are listed up to this many.
MAX_LISTED = 50
_COLUMNS = ("conclusion", "risk level", "approvals")


@dataclass(frozen=True, slots=True)
class Tried:
    """Another open pull request, reviewed under the base branch's config and the proposal."""

    number: int
    title: str
    diff: ConfigDiff


@dataclass(frozen=True, slots=True)
class NotTried:
    """Another open pull request the proposal could not be tried on, and why."""

    number: int
    title: str
    reason: str


@dataclass(frozen=True, slots=True)
class DryRun:
    """The proposal tried on the `limit` most recently updated other open pull requests into
    `base_branch`: `results` in that order; `left_out` the others' numbers; `listed_all`
    False when GitHub's list of open pull requests was longer than the App reads."""

    base_branch: str
    gate_name: str
    limit: int
    results: tuple[Tried | NotTried, ...]
    left_out: tuple[int, ...]
    listed_all: bool = True

    @property
    def tried(self) -> tuple[Tried, ...]:
        return tuple(result for result in self.results if isinstance(result, Tried))

    @property
    def changed(self) -> tuple[Tried, ...]:
        return tuple(result for result in self.tried if not result.diff.same)

    @property
    def not_tried(self) -> tuple[NotTried, ...]:
        return tuple(result for result in self.results if isinstance(result, NotTried))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _does_not_apply(base_branch: str, gate_name: str) -> str:
    return (
        f"It does not apply to this pull request: its own {md_code(gate_name)} check follows "
        f"the config of {md_code(base_branch)} until this change is merged."
    )


# -- an invalid proposal ------------------------------------------------------------------------


def _annotations(errors: Sequence[ConfigError], own_files: Sequence[str]) -> list[dict[str, Any]]:
    """One annotation per issue placed in a file of this repository (not the org's config)."""
    found = []
    for error in errors:
        if error.source not in own_files:
            continue
        for issue in error.issues:
            annotation = {
                "path": error.source,
                "start_line": issue.line or 1,
                "end_line": issue.line or 1,
                "annotation_level": "failure",
                "title": "Invalid review config",
                "message": (f"{issue.path}: {issue.message}" if issue.path else issue.message)[
                    :4000
                ],
            }
            if issue.line is not None and issue.column is not None:
                annotation |= {"start_column": issue.column, "end_column": issue.column}
            found.append(annotation)
    return found[:MAX_ANNOTATIONS]


def invalid_output(
    errors: Sequence[ConfigError], own_files: Sequence[str], base_branch: str, gate_name: str
) -> CheckOutput:
    """The failing check: every issue with its file, line and column, annotated in place."""
    count = sum(len(error.issues) for error in errors)
    files = list(dict.fromkeys(error.source for error in errors))
    title = f"Invalid review config: {_plural(count, 'error')} in {', '.join(files)}"
    lines = [
        "The review config this pull request proposes cannot be used: merged as it is, it "
        f"would fail the {md_code(gate_name)} check of every pull request into "
        f"{md_code(base_branch)}. " + _does_not_apply(base_branch, gate_name),
        "",
    ]
    for error in errors:
        for issue in error.issues:
            place = error.source if issue.line is None else f"{error.source}:{issue.line}"
            if issue.line is not None and issue.column is not None:
                place += f":{issue.column}"
            where = f"{issue.path}: " if issue.path else ""
            lines.append(f"- {md_code(place)} {md_text(where + issue.message, 1000)}")
    return CheckOutput(
        title=title[:MAX_TITLE],
        summary=truncate("\n".join(lines), 65_000),
        annotations=tuple(_annotations(errors, own_files)),
    )


# -- a valid proposal ---------------------------------------------------------------------------


def _cell(diff: ConfigDiff, name: str) -> str:
    row = next((row for row in diff.rows if row.name == name), None)
    if row is None:
        return "-"
    if not row.changed:
        return md_text(row.before, 120)
    return f"{md_text(row.before, 120)} → **{md_text(row.after, 120)}**"


def _items_cell(diff: ConfigDiff) -> str:
    if not diff.added and not diff.removed:
        return "no change"
    return f"+{len(diff.added)} -{len(diff.removed)}"


def _pull_cell(number: int, title: str) -> str:
    return f"#{number} {md_text(title, 80)}"


def _row(result: Tried | NotTried) -> str:
    if isinstance(result, NotTried):
        cells = [f"not tried: {md_text(result.reason, 200)}", "", "", ""]
    else:
        cells = [*(_cell(result.diff, name) for name in _COLUMNS), _items_cell(result.diff)]
    return f"| {_pull_cell(result.number, result.title)} | {' | '.join(cells)} |"


def _item_lines(verb: str, items: Sequence[ItemChange]) -> list[str]:
    return [
        f"- {verb} {md_code(f'{item.checklist}/{item.item}')}: {md_text(item.text, 300)}"
        for item in items
    ]


def _checklist_details(tried: Tried) -> list[str]:
    diff = tried.diff
    if not diff.added and not diff.removed:
        return []
    counts = f"{_plural(len(diff.added), 'item')} added, {len(diff.removed)} removed"
    return [
        f"<details><summary>#{tried.number}: checklist {counts}</summary>",
        "",
        *_item_lines("added", diff.added),
        *_item_lines("removed", diff.removed),
        "",
        "</details>",
        "",
    ]


def _numbers(numbers: Sequence[int]) -> str:
    shown = ", ".join(f"#{number}" for number in numbers[:MAX_LISTED])
    more = len(numbers) - MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _title(run: DryRun) -> str:
    if not run.results:
        return f"Valid config; no other open pull request into {run.base_branch} to try it on"
    tried, changed = len(run.tried), len(run.changed)
    if not tried:
        title = "Valid config; it could not be tried on any open pull request"
    elif changed:
        title = f"Valid config: it changes {changed} of the {_plural(tried, 'open pull request')}"
        title += " tried"
    else:
        title = f"Valid config: no change to the {_plural(tried, 'open pull request')} tried"
    if run.not_tried and tried:
        title += f" ({len(run.not_tried)} not tried)"
    return title


def _scope(run: DryRun) -> str:
    others = len(run.results) + len(run.left_out)
    of = f"{others}+" if not run.listed_all else str(others)
    return (
        f"Tried on the {len(run.results)} most recently updated of the {of} other open "
        f"pull request{'' if others == 1 else 's'} into "
        f"{md_code(run.base_branch)} (at most {run.limit}, `check.dry_run_pulls` on "
        f"{md_code(run.base_branch)}), each under the config of {md_code(run.base_branch)} "
        "and under this one. Nothing was posted on them."
    )


def dry_run_output(run: DryRun) -> CheckOutput:
    """The config check of a valid proposal: the effect on each pull request tried."""
    lines = [
        "The review config this pull request proposes is valid. "
        + _does_not_apply(run.base_branch, run.gate_name),
        "",
    ]
    if run.limit == 0:
        lines.append(
            "`check.dry_run_pulls` is 0 on "
            f"{md_code(run.base_branch)}: it was not tried on other pull requests."
        )
        return CheckOutput("Valid config (not tried on other pull requests)", "\n".join(lines), ())
    if not run.results:
        lines.append(f"No other pull request is open into {md_code(run.base_branch)}.")
        return CheckOutput(_title(run)[:MAX_TITLE], "\n".join(lines), ())
    lines += [
        _scope(run),
        "",
        "| Pull request | Conclusion | Risk level | Approvals required | Checklist items |",
        "| --- | --- | --- | --- | --- |",
        *(_row(result) for result in run.results),
        "",
    ]
    for tried in run.tried:
        lines += _checklist_details(tried)
    if run.left_out:
        lines.append(
            f"Left out, not among the {run.limit} most recently updated: {_numbers(run.left_out)}."
        )
    if not run.listed_all:
        lines.append(
            "GitHub listed more open pull requests than the App reads; the rest were not counted."
        )
    return CheckOutput(_title(run)[:MAX_TITLE], truncate("\n".join(lines), 65_000), ())


def undecided_output(error_id: str) -> CheckOutput:
    return CheckOutput(
        title=f"The review config could not be checked (error {error_id})",
        summary=f"An internal error stopped the check. Error id `{error_id}` is in the App's "
        "logs. Re-run this check to try again.",
        annotations=(),
    )
