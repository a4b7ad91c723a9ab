"""The config check, pure: which paths are the config, a proposal validated file by file, the
check's settings from the base branch, and its output with hostile text kept inert."""

from __future__ import annotations

import re

import pytest

from bot.config import CHECKLISTS_DIR, CONFIG_PATH
from bot.config.issues import ConfigError, refuse
from bot.engine.policy import Conclusion
from bot.github.proposals import MAX_CHECKLIST_FILES, Proposal, is_config_path
from bot.render.checkrun import CheckOutput
from bot.render.config_check import DryRun, NotTried, Tried
from bot.render.posting import Posting
from bot.render.preview_output import Preview, PreviewedPull, config_diff
from bot.review import compose
from bot.review.config_change import BaseSettings, base_settings, dry_run, invalid, validate

OURS = f"{CHECKLISTS_DIR}/ours.yml"
GOOD_CHECKLIST = "id: ours\ntitle: Ours\nitems:\n  - {id: one, text: 'Is it one?'}\n"
SETTINGS = BaseSettings("ai-review/config", "ai-review", 10)


def proposal(
    config: str | None = None,
    checklists: tuple[tuple[str, str], ...] = (),
    *,
    base: str | None = None,
    unreadable: tuple[str, ...] = (),
    files: int | None = None,
) -> Proposal:
    return Proposal(
        state="OPEN",
        head_sha="a" * 40,
        base_branch="main",
        base_config_text=base,
        org_config_text=None,
        config_text=config,
        checklist_texts=checklists,
        unreadable=unreadable,
        checklist_files=len(checklists) if files is None else files,
    )


@pytest.mark.parametrize(
    ("path", "is_config"),
    [
        (CONFIG_PATH, True),
        (OURS, True),
        (f"{CHECKLISTS_DIR}/README.md", False),
        (f"{CHECKLISTS_DIR}/old/ours.yml", False),
        ("docs/ai-review.yml", False),
        (f"{CHECKLISTS_DIR}.yml", False),
    ],
)
def test_the_config_is_its_file_and_the_checklist_files_the_gather_reads(
    path: str, is_config: bool
) -> None:
    assert is_config_path(path) is is_config


def test_each_file_is_validated_on_its_own_so_one_mistake_hides_no_other() -> None:
    errors = validate(
        proposal(
            "approvals:\n  required: {low: none}\n",
            ((OURS, "id: ours\ntitle: Ours\nitems:\n  - id: one\n"),),
        ),
        "acme",
    )

    assert [(e.source, [str(i) for i in e.issues]) for e in errors] == [
        (CONFIG_PATH, ["2:19: approvals.required.low: expected a whole number, got a string"]),
        (OURS, ["4:5: items[0].text: is required"]),
    ]


def test_a_reference_to_nothing_is_found_once_every_file_reads() -> None:
    config = "checklists:\n  items:\n    - {checklist: nowhere, id: x, text: 'X?'}\n"
    (error,) = validate(proposal(config, ((OURS, GOOD_CHECKLIST),)), "acme")

    assert error.source == CONFIG_PATH
    assert "no checklist 'nowhere' is enabled" in error.issues[0].message


def test_files_github_will_not_serve_whole_and_too_many_checklists_are_errors() -> None:
    errors = validate(
        proposal(None, unreadable=(CONFIG_PATH,), files=MAX_CHECKLIST_FILES + 1), "acme"
    )

    assert [e.source for e in errors] == [CONFIG_PATH, CHECKLISTS_DIR]
    assert "at most 100 are read" in errors[1].issues[0].message


def test_no_config_file_at_the_head_is_the_defaults_and_valid() -> None:
    assert validate(proposal(None, ((OURS, GOOD_CHECKLIST),)), "acme") == ()


def test_the_check_is_named_after_the_gate_and_sized_by_the_base_branch() -> None:
    settings = base_settings(
        proposal(base="check:\n  name: senior-review\n  dry_run_pulls: 3\n"), "acme"
    )
    assert settings == BaseSettings("senior-review/config", "senior-review", 3)
    # an invalid base config: the defaults (its gate says what is wrong)
    assert base_settings(proposal(base="check: [\n"), "acme") == SETTINGS


def test_an_invalid_proposal_fails_with_each_issue_annotated_where_it_is() -> None:
    errors = validate(proposal("risk:\n  wieghts: {}\n"), "acme")
    posted = invalid(SETTINGS, proposal("risk:\n  wieghts: {}\n"), errors)

    assert (posted.check_name, posted.conclusion) == ("ai-review/config", Conclusion.FAILURE)
    (annotation,) = posted.output.annotations
    assert annotation == {
        "path": CONFIG_PATH,
        "start_line": 2,
        "end_line": 2,
        "start_column": 3,
        "end_column": 3,
        "annotation_level": "failure",
        "title": "Invalid review config",
        "message": "risk.wieghts: unknown key 'wieghts'; did you mean 'weights'?",
    }


def test_an_issue_in_the_orgs_config_is_listed_but_not_annotated_in_this_repository() -> None:
    org_error = refuse("acme/.github:.github/ai-review.yml", "broken", None)
    posted = invalid(SETTINGS, proposal(), (org_error,))

    assert posted.output.annotations == ()
    assert "<code>acme/.github:.github/ai-review.yml</code> broken" in posted.output.summary


def _preview(number: int, title: str) -> Preview:
    pull = PreviewedPull("acme/widgets", number, "b" * 40, "c" * 40, "x", "main", None)
    failing = compose.invalid_config(ConfigError(CONFIG_PATH, ()))
    passing = Posting("ai-review", Conclusion.SUCCESS, title, CheckOutput(title, "", ()), None)
    return Preview(pull, CONFIG_PATH, passing if number % 2 else failing, None)


def test_hostile_titles_and_reasons_cannot_break_the_table_or_mention_anyone() -> None:
    hostile = "x | y <!-- @org/everyone --> [link](https://evil)"
    diff = config_diff(_preview(2, hostile), _preview(3, hostile))
    run = DryRun(
        "main",
        "ai-review",
        2,
        (Tried(7, hostile, diff), NotTried(8, hostile, hostile)),
        (1,),
    )

    summary = dry_run(SETTINGS, run).output.summary
    rows = [line for line in summary.splitlines() if line.startswith("| #")]

    assert len(rows) == 2
    assert [len(re.findall(r"(?<!\\)\|", row)) for row in rows] == [6, 6]  # six cells each
    assert "<!--" not in summary
    assert "@org" not in summary  # the mention is broken by a zero-width space
    assert "](https" not in summary
    assert "Left out, not among the 2 most recently updated: #1." in summary
