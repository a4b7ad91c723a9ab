"""What the engine does with a tool's report (bot/engine/tooling.py), with scripted tools: which
files a tool gets, which findings reach the `patterns` signal, and the notes on what was not
checked. No process starts here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.engine.files import FileJob
from bot.engine.result import Skipped
from bot.engine.tooling import ToolFinding, ToolReport
from tests.tools.kit import code, findings, notes, ruleset_from, run

WORKFLOW = code(
    """
    on: pull_request
    jobs:
      build:
        runs-on: ubuntu-latest
        steps:
          - uses: some-org/deploy@v1
          - run: echo "${{ github.event.pull_request.title }}"
    """
)
PATH = ".github/workflows/ci.yml"


@dataclass
class ScriptedZizmor:
    """Reports what it is told to, and remembers which files it was given."""

    said: Sequence[ToolFinding] = ()
    skipped: Sequence[Skipped] = ()
    given: list[list[str]] = field(default_factory=list)
    name: str = "zizmor"

    def scan(self, files: Sequence[FileJob]) -> ToolReport:
        self.given.append([job.path for job in files])
        return ToolReport(tuple(self.said), tuple(self.skipped))


def test_a_finding_on_an_added_line_is_reported_under_our_id_with_the_tools_as_source() -> None:
    tool = ScriptedZizmor([ToolFinding(PATH, 6, "unpinned-uses", "some-org/deploy@v1")])

    analysis = run({PATH: WORKFLOW}, tools=[tool])

    [location] = analysis.risk.signal("patterns").locations
    assert (location.path, location.line, location.rule) == (PATH, 6, "actions-unpinned-uses")
    assert location.source == "zizmor unpinned-uses"
    assert location.cwe == 829
    assert location.message.startswith("`some-org/deploy@v1` is not pinned to a commit: pin")
    assert "actions-unpinned-uses" in analysis.risk.signal("patterns").tags


def test_a_finding_on_a_line_the_change_did_not_add_is_dropped() -> None:
    before = WORKFLOW.replace('echo "${{ github.event.pull_request.title }}"', "make")
    tool = ScriptedZizmor(
        [
            ToolFinding(PATH, 6, "unpinned-uses", "some-org/deploy@v1"),
            ToolFinding(PATH, 7, "template-injection", "github.event.pull_request.title"),
        ]
    )

    analysis = run({PATH: WORKFLOW}, {PATH: before}, tools=[tool])

    assert findings(analysis) == [(PATH, 7, "actions-template-injection")]


def test_a_tool_finding_no_rule_maps_is_dropped() -> None:
    tool = ScriptedZizmor([ToolFinding(PATH, 7, "artipacked", "persist-credentials")])

    assert findings(run({PATH: WORKFLOW}, tools=[tool])) == []


def test_a_rule_with_a_detail_reports_only_the_findings_whose_detail_matches() -> None:
    tool = ScriptedZizmor(
        [
            ToolFinding(PATH, 7, "template-injection", "github.event.pull_request.title"),
            ToolFinding(PATH, 6, "template-injection", "inputs.version"),
        ]
    )

    assert findings(run({PATH: WORKFLOW}, tools=[tool])) == [
        (PATH, 7, "actions-template-injection")
    ]


def test_tests_docs_and_examples_are_not_handed_to_a_tool() -> None:
    tool = ScriptedZizmor()

    run({"examples/action.yml": WORKFLOW, "docs/action.yml": WORKFLOW}, tools=[tool])

    assert tool.given == []


def test_only_the_files_a_tool_reads_are_handed_to_it_once_per_change() -> None:
    tool = ScriptedZizmor()

    run(
        {PATH: WORKFLOW, ".github/workflows/release.yaml": WORKFLOW, "app/main.py": "x = 1\n"},
        tools=[tool],
    )

    assert tool.given == [[PATH, ".github/workflows/release.yaml"]]


def test_moved_code_is_not_reported_again() -> None:
    # The step moved from one job to another: the change wrote nothing new.
    before = code(
        """
        on: pull_request
        jobs:
          deploy:
            runs-on: ubuntu-latest
            steps:
              - uses: some-org/deploy@v1
          build:
            runs-on: ubuntu-latest
            steps:
              - run: echo hi
        """
    )
    after = code(
        """
        on: pull_request
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: echo hi
              - uses: some-org/deploy@v1
        """
    )
    tool = ScriptedZizmor([ToolFinding(PATH, 7, "unpinned-uses", "some-org/deploy@v1")])

    assert findings(run({PATH: after}, {PATH: before}, tools=[tool])) == []


def test_a_rule_disabled_by_our_id_or_the_tools_is_not_reported() -> None:
    said = [
        ToolFinding(PATH, 6, "unpinned-uses", "some-org/deploy@v1"),
        ToolFinding(PATH, 7, "template-injection", "github.event.pull_request.title"),
    ]
    config = "risk:\n  patterns:\n    disable: [actions-unpinned-uses, TEMPLATE-INJECTION]\n"

    analysis = run({PATH: WORKFLOW}, tools=[ScriptedZizmor(said)], ruleset=ruleset_from(config))

    assert findings(analysis) == []


def test_a_file_without_its_text_is_noted_as_not_checked() -> None:
    tool = ScriptedZizmor()
    config = "risk:\n  limits:\n    max_file_bytes: 1024\n"
    huge = WORKFLOW + "#" * 2000 + "\n"

    analysis = run({PATH: huge}, tools=[tool], ruleset=ruleset_from(config))

    assert tool.given == []
    assert notes(analysis) == [(PATH, "larger than 1 KiB: zizmor did not check it")]


def test_the_tools_notes_reach_the_patterns_signal() -> None:
    tool = ScriptedZizmor(skipped=[Skipped(PATH, "not checked by zizmor (...): it timed out")])

    assert notes(run({PATH: WORKFLOW}, tools=[tool])) == [
        (PATH, "not checked by zizmor (...): it timed out")
    ]


def test_without_tools_the_engine_reports_no_tool_finding() -> None:
    analysis = run({PATH: WORKFLOW}, tools=[])

    assert findings(analysis, "actions-") == []
    assert notes(analysis) == []


def test_a_tool_the_repo_config_turns_off_is_not_run() -> None:
    tool = ScriptedZizmor([ToolFinding(PATH, 6, "unpinned-uses", "some-org/deploy@v1")])
    config = "risk:\n  patterns:\n    disable: [zizmor]\n"

    analysis = run({PATH: WORKFLOW}, tools=[tool], ruleset=ruleset_from(config))

    assert tool.given == []
    assert findings(analysis) == []
