"""GitHub Actions workflows through zizmor: each rule fires on what it names and not on its
look-alike, on the lines a change added (real zizmor, through the engine)."""

from __future__ import annotations

from bot.config.levels import Severity
from tests.tools.kit import code, findings, notes, run

PATH = ".github/workflows/ci.yml"


def workflow(steps: str, on: str = "pull_request", header: str = "permissions: {}\n") -> str:
    indented = "\n".join("      " + line if line else "" for line in code(steps).splitlines())
    return (
        f"name: ci\non: {on}\n{header}jobs:\n  build:\n    runs-on: ubuntu-latest\n"
        f"    steps:\n{indented}\n"
    )


def test_a_third_party_action_on_a_tag_is_flagged_at_its_line() -> None:
    after = workflow("- uses: actions/checkout@v4\n- uses: some-org/deploy-action@v2\n")

    analysis = run({PATH: after})

    assert findings(analysis, "actions-") == [(PATH, 9, "actions-unpinned-uses")]
    [location] = analysis.risk.signal("patterns").locations
    assert location.severity == Severity.MEDIUM
    assert "`some-org/deploy-action@v2` is not pinned to a commit" in location.message


def test_actions_pinned_to_a_sha_githubs_own_and_local_ones_are_not_flagged() -> None:
    after = workflow(
        """
        - uses: some-org/deploy-action@0b93645e9fea7318ecaed2b359559ac225c90a2b  # v2.1.0
        - uses: actions/setup-python@v5
        - uses: github/codeql-action/init@v3
        - uses: ./.github/actions/build
        """
    )

    assert findings(run({PATH: after}), "actions-") == []


def test_an_unpinned_action_the_change_only_bumped_is_not_flagged_again() -> None:
    before = workflow("- uses: some-org/deploy-action@v1\n")
    after = workflow("- uses: some-org/deploy-action@v2\n")

    assert findings(run({PATH: after}, {PATH: before}), "actions-") == []


def test_event_text_pasted_into_a_script_is_a_high_finding() -> None:
    after = workflow('- run: echo "${{ github.event.issue.title }}"\n', on="issues")

    analysis = run({PATH: after})

    assert findings(analysis, "actions-") == [(PATH, 8, "actions-template-injection")]
    [location] = analysis.risk.signal("patterns").locations
    assert location.severity == Severity.HIGH
    assert location.message.startswith("`${{ github.event.issue.title }}` is pasted into a script")
    assert analysis.risk.level.value == "high"


def test_event_text_in_a_pull_request_workflow_is_shown_low_and_not_counted() -> None:
    # Who writes a pull request's title already runs code in its workflow: not an escalation.
    after = workflow('- run: echo "${{ github.event.pull_request.title }}"\n')

    [location] = run({PATH: after}).risk.signal("patterns").locations

    assert (location.rule, location.severity, location.counted) == (
        "actions-template-injection",
        Severity.LOW,
        False,
    )


def test_event_text_passed_through_env_or_trusted_expressions_are_not_flagged() -> None:
    after = workflow(
        """
        - env:
            TITLE: ${{ github.event.issue.title }}
          run: echo "$TITLE"
        - run: echo "${{ github.sha }} ${{ inputs.version }} ${{ matrix.python }}"
        """,
        on="issues",
    )

    assert findings(run({PATH: after}), "actions-") == []


def test_a_pull_request_target_checkout_of_the_head_is_flagged_at_the_checkout() -> None:
    after = workflow(
        """
        - uses: actions/checkout@v4
          with:
            ref: ${{ github.event.pull_request.head.sha }}
        - run: npm ci && npm test
        """,
        on="pull_request_target",
    )

    assert findings(run({PATH: after}), "actions-") == [(PATH, 10, "actions-pr-target-checkout")]


def test_pull_request_target_without_checking_out_the_head_is_not_flagged() -> None:
    labeler = workflow(
        "- uses: actions/labeler@v5\n", on="pull_request_target", header="permissions: {}\n"
    )
    head_under_pull_request = workflow(
        """
        - uses: actions/checkout@v4
          with:
            ref: ${{ github.event.pull_request.head.sha }}
        """
    )

    assert findings(run({PATH: labeler}), "actions-") == []
    assert findings(run({PATH: head_under_pull_request}), "actions-") == []


def test_a_new_job_without_permissions_is_a_low_finding_not_counted_toward_the_level() -> None:
    after = workflow("- run: make test\n", header="")

    analysis = run({PATH: after})

    assert findings(analysis, "actions-") == [(PATH, 4, "actions-missing-permissions")]
    [location] = analysis.risk.signal("patterns").locations
    assert (location.severity, location.counted) == (Severity.LOW, False)


def test_declared_permissions_or_a_step_added_to_an_old_job_are_not_flagged() -> None:
    declared = workflow("- run: make test\n", header="permissions:\n  contents: read\n")
    before = workflow("- run: make lint\n", header="")
    grown = workflow("- run: make lint\n- run: make test\n", header="")

    assert findings(run({PATH: declared}), "actions-") == []
    assert findings(run({PATH: grown}, {PATH: before}), "actions-") == []


def test_a_workflow_zizmor_cannot_read_is_noted_as_not_checked() -> None:
    broken = "name: ci\non: push\njobs: [\n"

    analysis = run({PATH: broken})

    assert findings(analysis, "actions-") == []
    assert notes(analysis) == [
        (
            PATH,
            "not checked by zizmor (GitHub Actions workflow and action checks): "
            "zizmor could not read it as a workflow or an action",
        )
    ]


def test_a_composite_action_anywhere_is_read() -> None:
    action = code(
        """
        name: deploy
        runs:
          using: composite
          steps:
            - uses: some-org/setup@v3
        """
    )

    assert findings(run({"deploy/action.yml": action}), "actions-") == [
        ("deploy/action.yml", 5, "actions-unpinned-uses")
    ]


def test_a_commit_pin_replaced_by_a_tag_is_flagged_though_it_looks_like_a_bump() -> None:
    before = workflow("- uses: some-org/deploy-action@0b93645e9fea7318ecaed2b359559ac225c90a2b\n")
    after = workflow("- uses: some-org/deploy-action@v2\n")

    assert findings(run({PATH: after}, {PATH: before}), "actions-") == [
        (PATH, 8, "actions-unpinned-uses")
    ]


def test_the_slsa_generator_which_must_be_called_by_its_tag_is_not_flagged() -> None:
    after = (
        "on: push\npermissions: {}\njobs:\n  provenance:\n    uses: slsa-framework/"
        "slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@v2.1.0\n"
    )

    assert findings(run({PATH: after}), "actions-") == []
