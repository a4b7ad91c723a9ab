"""AI detection over snapshots: each built-in signature, PR-level signals, no false positives."""

from __future__ import annotations

from typing import Any

import pytest

from bot.builtins import load_builtins
from bot.config.model import RepoConfig
from bot.config.resolve import build_ruleset
from bot.engine.detect import Detector
from bot.engine.result import AIDetection, Evidence
from bot.engine.snapshot import Commit, Person, Snapshot

HUMAN = Person("Dana Developer", "dana@example.com", "dana")
COPILOT_AGENT = Person("Copilot", "198982749+Copilot@users.noreply.github.com", "Copilot")
GITHUB = Person("GitHub", "noreply@github.com")


def detect(snapshot: Snapshot, config: RepoConfig | None = None) -> AIDetection:
    ruleset = build_ruleset(config or RepoConfig(), load_builtins())
    return Detector(ruleset.signatures, ruleset.config.detect.labels).detect(snapshot)


def commit(
    message: str,
    author: Person = HUMAN,
    committer: Person | None = None,
    sha: str = "a" * 40,
    additions: int = 10,
) -> Commit:
    return Commit(sha, message, author, committer or author, ("0" * 40,), additions, 0)


def snap(
    *commits: Commit,
    author: str | None = None,
    head_branch: str = "",
    labels: tuple[str, ...] = (),
    body: str = "",
) -> Snapshot:
    return Snapshot(
        base_sha="0" * 40,
        head_sha="f" * 40,
        commits=commits,
        author=author,
        head_branch=head_branch,
        labels=labels,
        body=body,
    )


COMMIT_CASES = {
    "claude trailer": (
        "Add x\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
        HUMAN,
        "trailer",
        "claude-code",
    ),
    "claude model trailer": (
        "Add x\n\nCo-Authored-By: Claude Opus 4.5 <noreply@anthropic.com>",
        HUMAN,
        "trailer",
        "claude-code",
    ),
    "claude code message": (
        "Add x\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)",
        HUMAN,
        "message",
        "claude-code",
    ),
    "copilot suggestion trailer": (
        "Add x\n\nCo-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>",
        HUMAN,
        "trailer",
        "copilot",
    ),
    "copilot agent author": ("Initial plan", COPILOT_AGENT, "author", "copilot"),
    "cursor trailer": (
        "Add x\n\nCo-authored-by: Cursor <cursoragent@cursor.com>",
        HUMAN,
        "trailer",
        "cursor",
    ),
    "cursor made-with": ("Add x\n\nMade-with: Cursor", HUMAN, "trailer", "cursor"),
    "cursor agent author": (
        "Add x",
        Person("Cursor Agent", "cursoragent@cursor.com"),
        "author",
        "cursor",
    ),
    "aider author": (
        "Add x",
        Person("Dana Developer (aider)", "dana@example.com"),
        "author",
        "aider",
    ),
    "aider prefix": ("aider: Add x", HUMAN, "message", "aider"),
    "devin author": (
        "Add x",
        Person("Devin AI", "158243242+devin-ai-integration[bot]@users.noreply.github.com"),
        "author",
        "devin",
    ),
    "jules author": (
        "Add x",
        Person(
            "google-labs-jules[bot]", "161369871+google-labs-jules[bot]@users.noreply.github.com"
        ),
        "author",
        "jules",
    ),
    "openhands trailer": (
        "Add x\n\nCo-authored-by: openhands <openhands@all-hands.dev>",
        HUMAN,
        "trailer",
        "openhands",
    ),
    "assisted-by gemini": ("Add x\n\nAssisted-by: Gemini 2.5 Pro", HUMAN, "trailer", "gemini"),
    "generated-by codex": ("Add x\n\nGenerated-by: OpenAI Codex", HUMAN, "trailer", "codex"),
    "ai-assisted yes": ("Add x\n\nAI-assisted: yes", HUMAN, "trailer", "unspecified"),
    "co-developed-by windsurf": (
        "Add x\n\nCo-developed-by: Windsurf Cascade",
        HUMAN,
        "trailer",
        "windsurf",
    ),
    "amazon q trailer": ("Add x\n\nAssisted-by: Amazon Q Developer", HUMAN, "trailer", "amazon-q"),
}


@pytest.mark.parametrize("case", sorted(COMMIT_CASES))
def test_commit_signature_is_detected_with_its_tool(case: str) -> None:
    message, author, signal, tool = COMMIT_CASES[case]

    result = detect(snap(commit(message, author)))

    assert result.assisted is True
    assert (result.evidence[0].signal, result.evidence[0].tool) == (signal, tool)
    assert result.evidence[0].sha == "a" * 40


HUMAN_MESSAGES = {
    "human co-author": "Fix\n\nCo-authored-by: Claude Monet <claude.monet@example.com>",
    "human named devin": "Fix\n\nCo-authored-by: Devin Smith <devin@example.com>",
    "human named jules": "Fix\n\nCo-developed-by: Jules Verne <jules@example.com>",
    "kernel co-developer": "Fix\n\nCo-developed-by: Ann Hacker <ann@example.org>\n"
    "Signed-off-by: Ann Hacker <ann@example.org>",
    "trailer not in last paragraph": "Fix\n\nAssisted-by: Claude Code\n\nMore prose after.",
    "claude in prose": "Explain why Claude Shannon's entropy bound matters here",
    "cursor word": "Move the cursor to the end of the line",
}


@pytest.mark.parametrize("case", sorted(HUMAN_MESSAGES))
def test_human_commit_is_not_evidence(case: str) -> None:
    assert detect(snap(commit(HUMAN_MESSAGES[case]))).assisted is False


PR_CASES: dict[str, tuple[dict[str, Any], str, str]] = {
    "copilot pr author": ({"author": "copilot-swe-agent[bot]"}, "author", "copilot"),
    "copilot login": ({"author": "Copilot"}, "author", "copilot"),
    "codex bot": ({"author": "chatgpt-codex-connector[bot]"}, "author", "codex"),
    "devin bot": ({"author": "devin-ai-integration[bot]"}, "author", "devin"),
    "jules bot": ({"author": "google-labs-jules[bot]"}, "author", "jules"),
    "sweep bot": ({"author": "sweep-ai[bot]"}, "author", "sweep"),
    "cursor branch": ({"head_branch": "cursor/fix-login-1a2b"}, "branch", "cursor"),
    "codex branch": ({"head_branch": "codex/add-retry"}, "branch", "codex"),
    "devin branch": ({"head_branch": "devin/1712345-fix"}, "branch", "devin"),
    "label": ({"labels": ("bug", "AI-Assisted")}, "label", "unspecified"),
    "claude body": (
        {"body": "Summary\n\n🤖 Generated with [Claude Code](https://claude.com)"},
        "body",
        "claude-code",
    ),
    "cursor body link": ({"body": "Open in https://cursor.com/agents?id=bc-123"}, "body", "cursor"),
    "made with cursor body": ({"body": "Made with [Cursor](https://cursor.com)"}, "body", "cursor"),
    "codex task link": (
        {"body": "Codex task: https://chatgpt.com/codex/tasks/task_e_123"},
        "body",
        "codex",
    ),
    "template checkbox": (
        {"body": "## Checklist\n- [x] This change is AI-assisted\n"},
        "body",
        "unspecified",
    ),
}


@pytest.mark.parametrize("case", sorted(PR_CASES))
def test_pull_request_signal_marks_the_whole_change(case: str) -> None:
    fields, signal, tool = PR_CASES[case]

    result = detect(snap(commit("Plain human message"), **fields))

    assert result.assisted is True
    assert [(e.signal, e.tool, e.sha) for e in result.evidence] == [(signal, tool, None)]
    assert result.share == 1.0


def test_unticked_template_box_is_not_evidence() -> None:
    body = "## Checklist\n- [ ] This change is AI-assisted\n"

    assert detect(snap(commit("Fix"), body=body)).assisted is False


def test_share_is_ai_lines_over_all_authored_lines() -> None:
    ai = commit("Add\n\nMade-with: Cursor", sha="1" * 40, additions=30)
    human = commit("Fix", sha="2" * 40, additions=70)

    result = detect(snap(ai, human))

    assert result.share == 0.3
    assert result.ai_commits == ("1" * 40,)


def test_config_adds_a_trailer_and_disables_a_builtin() -> None:
    config = RepoConfig.model_validate(
        {
            "detect": {
                "trailers": [{"keys": ["X-Agent"], "tool": "internal-agent"}],
                "disable": ["cursor"],
            }
        }
    )

    ours = detect(snap(commit("Add\n\nX-Agent: build-bot v2")), config)
    cursor = detect(snap(commit("Add\n\nMade-with: Cursor")), config)

    assert [(e.tool, e.detail) for e in ours.evidence] == [
        ("internal-agent", "X-Agent: build-bot v2")
    ]
    assert cursor.assisted is False


def test_declared_evidence_counts_as_pull_request_level() -> None:
    ruleset = build_ruleset(RepoConfig(), load_builtins())
    declared = Evidence("declared", "claude-code", "declared by @dana")

    result = Detector(ruleset.signatures, ()).detect(snap(commit("Fix")), [declared])

    assert result.assisted is True
    assert result.share == 1.0
