"""AI detection over snapshots: each built-in signature, PR-level signals, no false positives."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.config.load import load_repo_config
from bot.config.model import RepoConfig
from bot.engine.builtins import load_builtins
from bot.engine.detect import Detector
from bot.engine.resolve import build_ruleset
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
    "trailer quoted in prose": "Fix\n\nWe stopped writing `Assisted-by: Claude Code` here.",
    "trailer as the subject": "Co-Authored-By: Claude <noreply@anthropic.com>",
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


# --- what real histories taught (bench/realworld/corpus.yml): each signature with a look-alike ---

COPILOT_SWE = Person("copilot-swe-agent[bot]", "198982749+Copilot@users.noreply.github.com")


def _message(text: str) -> tuple[str, Person]:
    return text, HUMAN


# name: (message, author) that must fire with (signal, tool), then (message, author) that must not.
REAL_WORLD: dict[str, tuple[tuple[str, Person], tuple[str, str], tuple[str, Person]]] = {
    "copilot coding agent commits as copilot-swe-agent[bot]": (
        ("Add list-scopes command", COPILOT_SWE),
        ("author", "copilot"),
        (
            "Add list-scopes command",
            Person("Copilot Fan", "12345+copilotfan@users.noreply.github.com"),
        ),
    ),
    "the Copilot app commits under its own id": (
        ("Fix", Person("Copilot", "223556219+Copilot@users.noreply.github.com")),
        ("author", "copilot"),
        ("Fix", Person("Copilot", "copilot@example.com")),
    ),
    "Copilot CLI session after the co-author paragraph": (
        _message(
            "Fix\n\nCo-authored-by: Copilot App <223556219+Copilot@users.noreply.github.com>\n\n"
            "Copilot-Session: 9cdeefb9-91cd-4f65-8eb2-089c9e00a2b8"
        ),
        ("trailer", "copilot"),
        _message("Fix\n\nSession: 9cdeefb9-91cd-4f65-8eb2-089c9e00a2b8"),
    ),
    "Copilot agent's logs link": (
        _message(
            "Tidy\n\nAgent-Logs-Url: https://github.com/o/r/sessions/49811f97\n\n"
            "Co-authored-by: Ann <ann@example.com>"
        ),
        ("trailer", "copilot"),
        _message("Tidy\n\nAgent-Logs-Url: https://ci.example.com/logs/1"),
    ),
    "Claude Code's statistics trailer": (
        _message("Refactor\n\nClaude-Generated-By: Claude Code (cli/claude-opus-4-5=100%)"),
        ("trailer", "claude-code"),
        _message("Refactor\n\nGenerated-By: make docs"),
    ),
    "a Coding-Agent trailer names the model": (
        _message("Fix\n\nCoding-Agent: claude-opus-4-5"),
        ("trailer", "claude-code"),
        _message("Fix\n\nCoding-Agent: none"),
    ),
    "the Claude GitHub App as co-author": (
        _message(
            "Fix link\n\n"
            "Co-authored-by: claude[bot] <209825114+claude[bot]@users.noreply.github.com>"
        ),
        ("trailer", "claude-code"),
        _message("Fix link\n\nCo-authored-by: claudette <claudette@example.com>"),
    ),
    "the Claude GitHub App as author": (
        ("Fix", Person("claude[bot]", "41898282+claude[bot]@users.noreply.github.com")),
        ("author", "claude-code"),
        ("Fix", Person("claude", "12345+claudeuser@users.noreply.github.com")),
    ),
    "Claude Code committing as itself in local history": (
        ("Fix", Person("Claude", "noreply@anthropic.com")),
        ("author", "claude-code"),
        ("Fix", Person("Ashwin Bhat", "ashwin@anthropic.com")),
    ),
    "Factory's droid": (
        (
            "Fix",
            Person("factory-droid[bot]", "138933559+factory-droid[bot]@users.noreply.github.com"),
        ),
        ("author", "factory"),
        _message("Fix\n\nCo-authored-by: Factory Worker <droid@factory.example>"),
    ),
    "trailers below a Markdown rule": (
        _message(
            "Fix\n\n## Summary\n---\n- thing\n\nCo-Authored-By: Claude <noreply@anthropic.com>"
        ),
        ("trailer", "claude-code"),
        _message("Fix\n\n## Summary\n---\n- thing\n\nCo-Authored-By: Ann <ann@example.com>"),
    ),
    "a squash merge's co-author in the middle": (
        _message(
            "Add x (#12)\n\n* Add x\n\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>\n\n"
            "* Review fixes"
        ),
        ("trailer", "cursor"),
        _message("Add x (#12)\n\n* Add x\n\nCo-authored-by: Ann <ann@example.com>\n\n* Review"),
    ),
    "a Claude Code web session link": (
        _message("Fix\n\nhttps://claude.ai/code/session_01L763e4S7zBnzDqmYYEJS1A"),
        ("message", "claude-code"),
        _message("Fix\n\nSee https://claude.ai/new for the discussion"),
    ),
    "a Codex task link in a commit message": (
        _message("Fix\n\nhttps://chatgpt.com/codex/tasks/task_i_68ff73bda0f4832496f3d1fa9103905f"),
        ("message", "codex"),
        _message("Fix\n\nhttps://chatgpt.com/share/68ff73bd"),
    ),
    "a Gemini Code Assist suggestion": (
        _message(
            "Fix\n\nCo-authored-by: gemini-code-assist[bot] "
            "<176961590+gemini-code-assist[bot]@users.noreply.github.com>"
        ),
        ("trailer", "gemini"),
        _message("Release\n\nCo-authored-by: gemini-cli-robot <gemini-cli-robot@google.com>"),
    ),
    "the run-gemini-cli action's commits": (
        ("Fix", Person("gemini-cli[bot]", "218312386+gemini-cli[bot]@users.noreply.github.com")),
        ("author", "gemini"),
        ("Release", Person("gemini-cli-robot", "gemini-cli-robot@google.com")),
    ),
    "an accepted cubic suggestion": (
        _message(
            "Fix\n\nCo-authored-by: cubic-dev-ai[bot] "
            "<191113872+cubic-dev-ai[bot]@users.noreply.github.com>"
        ),
        ("trailer", "cubic"),
        _message("Fix\n\nCo-authored-by: Rubik Cube <cube@example.com>"),
    ),
    "a model id where the author's name goes": (
        ("Fix", Person("Ali Ayas (claude-sonnet-4-20250514)", "ali@example.com")),
        ("author", "llm"),
        ("Fix", Person("Dana Developer (she/her)", "dana@example.com")),
    ),
}


@pytest.mark.parametrize("case", sorted(REAL_WORLD))
def test_real_world_signature_fires(case: str) -> None:
    (message, author), expected, _ = REAL_WORLD[case]

    result = detect(snap(commit(message, author)))

    assert (result.evidence[0].signal, result.evidence[0].tool) == expected


@pytest.mark.parametrize("case", sorted(REAL_WORLD))
def test_real_world_look_alike_does_not_fire(case: str) -> None:
    _, _, (message, author) = REAL_WORLD[case]

    assert detect(snap(commit(message, author))).evidence == ()


VENDOR_STAFF = {
    "anthropic e-mail": "Co-authored-by: Ashwin Bhat <ashwin@anthropic.com>",
    "anthropic login": "Co-authored-by: km-anthropic <km-anthropic@users.noreply.github.com>",
    "openai e-mail": "Co-authored-by: Kazuhiro Sera <seratch@openai.com>",
    "aider maintainer": "Co-authored-by: Paul Gauthier <paul@aider.chat>",
    "google e-mail": "Co-authored-by: Jacob Richman <jacob314@google.com>",
    "AI in a team name": "Co-authored-by: 조상연[플레이스 AI] <sang-yeon.cho@navercorp.com>",
}


@pytest.mark.parametrize("case", sorted(VENDOR_STAFF))
def test_people_at_ai_vendors_are_people(case: str) -> None:
    message = f"Fix\n\n{VENDOR_STAFF[case]}"

    assert detect(snap(commit(message), commit(message, sha="b" * 40))).assisted is False


BRANCHES = {
    "v0ufkf-codex/investigate-embedding-mismatch": "codex",
    "jules_wip_6586025395037542425": "jules",
    "claude/fix-login": "claude-code",
    "copilot/fix-123": "copilot",
}
NOT_AGENT_BRANCHES = ("feature/codex-support", "fix-codex/x", "jules_wip_notes", "claudefix")


@pytest.mark.parametrize("branch", sorted(BRANCHES))
def test_agent_branch_names_are_evidence(branch: str) -> None:
    result = detect(snap(commit("Fix"), head_branch=branch))

    assert [(e.signal, e.tool) for e in result.evidence] == [("branch", BRANCHES[branch])]


@pytest.mark.parametrize("branch", NOT_AGENT_BRANCHES)
def test_look_alike_branch_names_are_not_evidence(branch: str) -> None:
    assert detect(snap(commit("Fix"), head_branch=branch)).assisted is False


def test_config_names_a_repository_own_agent_identity() -> None:
    config = RepoConfig.model_validate(
        {
            "detect": {
                "tools": [{"id": "gemini-agent", "name": "Gemini Agent", "match": "gemini agent"}],
                "authors": [{"tool": "gemini-agent", "email": "^agent@gemini\\.com$"}],
                "trailers": [
                    {
                        "keys": ["co-authored-by"],
                        "value": "<agent@gemini\\.com>",
                        "tool": "gemini-agent",
                    }
                ],
                "markers": [
                    {"pattern": "^\\[agent\\] ", "where": ["message"], "tool": "gemini-agent"}
                ],
                "branches": [{"pattern": "^agent-\\d+/", "tool": "gemini-agent"}],
            }
        }
    )
    agent = Person("Gemini Agent", "agent@gemini.com")

    authored = detect(snap(commit("Fix", agent)), config)
    co_authored = detect(
        snap(commit("Fix\n\nCo-authored-by: Gemini Agent <agent@gemini.com>")), config
    )
    marked = detect(snap(commit("[agent] Fix")), config)
    branch = detect(snap(commit("Fix"), head_branch="agent-42/fix"), config)
    without_config = detect(snap(commit("Fix", agent)))

    assert [(e.signal, e.tool) for e in authored.evidence] == [("author", "gemini-agent")]
    assert [(e.signal, e.tool) for e in co_authored.evidence] == [("trailer", "gemini-agent")]
    assert [(e.signal, e.tool) for e in marked.evidence] == [("message", "gemini-agent")]
    assert [(e.signal, e.tool) for e in branch.evidence] == [("branch", "gemini-agent")]
    assert without_config.assisted is False


@pytest.mark.parametrize("branch", [{"tool": "x"}, {"tool": "x", "prefix": "x/", "pattern": "^x/"}])
def test_branch_signature_needs_exactly_one_of_prefix_and_pattern(branch: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="exactly one of prefix, pattern"):
        RepoConfig.model_validate({"detect": {"branches": [branch]}})


def test_the_documented_example_finds_the_repository_own_agent() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "detection.md").read_text()
    example = next(b for b in re.findall(r"```yaml\n(.*?)```", doc, re.S) if "detect:" in b)
    config = load_repo_config(example, "docs/detection.md")
    agent = Person("Gemini Agent", "agent@gemini.com")

    found = detect(snap(commit("Fix", agent)), config)
    person = detect(snap(commit("Fix", Person("Gemma Human", "gemma@gemini.com"))), config)

    assert [(e.signal, e.tool) for e in found.evidence] == [("author", "gemini-agent")]
    assert person.assisted is False
