"""The comment markdown: escaping untrusted text, ticks read back, GitHub's size limit."""

from __future__ import annotations

import re

import pytest

from bot.config.levels import Level
from bot.engine.result import (
    AIDetection,
    Analysis,
    ApprovalRequirement,
    ChecklistItem,
    Evidence,
    Location,
    Risk,
    SelectedChecklist,
    Signal,
)
from bot.render.escape import md_code, md_text
from bot.render.markdown import MARKER, MAX_COMMENT, parse_ticks, render_comment, truncate


def analysis(
    evidence: tuple[Evidence, ...] = (),
    locations: tuple[Location, ...] = (),
    items: tuple[ChecklistItem, ...] = (
        ChecklistItem("sql-params", "Is every query parameterized?", "Injection."),
        ChecklistItem("authz-check", "Is the caller's permission checked?", "", required=True),
    ),
) -> Analysis:
    signals = tuple(
        Signal(
            sid, 5 if sid == "patterns" else 0, 10, "detail", locations if sid == "patterns" else ()
        )
        for sid in (
            "ai_share",
            "size",
            "complexity",
            "critical_paths",
            "missing_tests",
            "dependencies",
            "patterns",
        )
    )
    return Analysis(
        base_sha="0" * 40,
        head_sha="f" * 40,
        ai=AIDetection(bool(evidence), 1.0 if evidence else 0.0, evidence),
        risk=Risk(5, Level.LOW, signals),
        checklist=(SelectedChecklist("security", "Security", items),),
        approvals=ApprovalRequirement(1, ("@acme/architects", "alice")),
    )


def test_text_cannot_mention_anyone_or_inject_markup() -> None:
    escaped = md_text("ping @octocat <img src=x> [link](http://evil) **bold** | pipe")

    assert "@octocat" not in escaped
    assert "<img" not in escaped
    assert "](http" not in escaped
    assert "**" not in escaped


def test_code_holds_backticks_and_pipes_and_stays_one_line() -> None:
    assert md_code("a`b\nc") == "<code>a\\`b c</code>"
    assert md_code("x|y") == "<code>x\\|y</code>"


@pytest.mark.parametrize(
    "hostile",
    [
        '<!-- ai-review-state {"override":{"by":"root"}} -->',
        "<!-- ai-review -->",
        "x --> <!-- y",
        "<!--x-->",
    ],
)
def test_no_html_comment_or_marker_can_be_echoed_raw(hostile: str) -> None:
    for rendered in (md_text(hostile), md_code(hostile)):
        assert "<!--" not in rendered
        assert "-->" not in rendered
        assert "ai-review -->" not in rendered


def test_bidi_and_zero_width_characters_are_shown_by_code_point() -> None:
    login = "al\u202eice\u200b"

    assert md_text(login) == "al&lt;U\\+202E&gt;ice&lt;U\\+200B&gt;"
    assert "\u202e" not in md_code(login)


def test_untrusted_evidence_and_paths_are_escaped_in_the_comment() -> None:
    hostile = Evidence(
        "trailer", "claude-code", "Co-Authored-By: @everyone <x>\n# heading", "a" * 40
    )
    where = Location("src/@admin`x.py", 3, "<script>alert(1)</script>", rule="sql-string")

    body = render_comment(analysis((hostile,), (where,)))
    outside_code = re.sub(r"(`+).*?\1", "", body)

    assert "@everyone" not in outside_code
    assert "<script>" not in body
    assert "\n# heading" not in body


def test_comment_starts_with_the_marker_and_lists_items_unticked() -> None:
    body = render_comment(analysis())

    assert body.startswith(MARKER + "\n")
    assert parse_ticks(body) == {"sql-params": False, "authz-check": False}
    assert "*(required)*" in body
    assert "Needs 1 approval(s) from @acme/architects, @alice." in body


def test_ticks_round_trip_through_edited_markdown() -> None:
    body = render_comment(analysis())
    edited = body.replace("- [ ] Is every query", "- [x] Is every query")

    assert parse_ticks(edited) == {"sql-params": True, "authz-check": False}
    rerendered = render_comment(analysis(), ticked={"sql-params": "alice"})
    assert parse_ticks(rerendered) == {"sql-params": True, "authz-check": False}
    assert "ticked by alice" in rerendered


def test_a_huge_comment_is_truncated_under_githubs_limit_with_a_note() -> None:
    many = tuple(ChecklistItem(f"item-{i}", "Question " + "x" * 400) for i in range(400))

    body = render_comment(analysis(items=many))

    assert len(body) <= MAX_COMMENT
    assert body.rstrip().endswith("longer than GitHub allows in one comment.")


def test_truncate_leaves_short_bodies_alone() -> None:
    assert truncate("short\n") == "short\n"


def test_items_the_cap_left_out_are_counted_and_named_never_dropped_silently() -> None:
    from dataclasses import replace

    capped = replace(analysis(), checklist_omitted=("data/migration-locks", "business/refunds"))

    body = render_comment(capped)

    assert "2 more applicable item(s) left out by <code>checklists.max_items</code>" in body
    assert "- <code>data/migration-locks</code>" in body
    assert "- <code>business/refunds</code>" in body
    assert "left out" not in render_comment(analysis())


def test_counted_findings_come_first_and_notes_say_they_are_not_counted() -> None:
    notes = tuple(
        Location("app/svc.py", line, "print() in application code", "print-debug", counted=False)
        for line in range(1, 9)
    )
    counted = Location("app/svc.py", 20, "query inside a loop", "query-in-loop")

    body = render_comment(analysis(locations=(*notes, counted)))
    found = [line for line in body.splitlines() if line.startswith("- <code>app/svc.py")]

    assert "query-in-loop" in found[0]
    assert "not counted" not in found[0]
    assert all("*(not counted)*" in line for line in found[1:])
    assert "- … and 4 more" in body
