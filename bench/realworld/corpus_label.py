"""Label every change of the detection corpus AI-assisted or not, from the raw commit data.

These rules are this script's own, written from reading the corpus's histories (authors,
committers, every `Key: value` line, message markers, branch names of merges); they do not read
the bot's signatures (bot/data/signatures.yml), so the bot is measured against an independent
judgement. Each rule says why it means AI. A change is AI-assisted when one of its commits is, or
its merge names an agent's branch; the tools are the union of what the rules name.

Rules read more than git's trailer block: a `Co-authored-by:` line anywhere in a message counts
(squash merges and long agent messages put them mid-message), and so does anything after a `---`
line. People are never AI for their e-mail's domain (anthropic.com, openai.com, google.com staff)
or for a word in their name or login (`km-anthropic`, `ulofiai`, `[플레이스 AI]`).

Where rules cannot decide, MANUAL holds a judgement made by reading the change, with its reason.

    .venv/bin/python bench/realworld/corpus_label.py            # writes corpus_labels.csv
    .venv/bin/python bench/realworld/corpus_label.py --audit    # human-labelled changes that
                                                                # mention AI words, to read
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import DEFAULT_MIRRORS, HERE, Change, RawCommit, changes, load_windows

LABELS_FILE = HERE / "corpus_labels.csv"
LABEL_FIELDS = ("repo", "change", "kind", "branch", "commits", "ai", "tools", "rules", "evidence")


@dataclass(frozen=True)
class Rule:
    id: str
    tool: str
    pattern: re.Pattern[str]
    why: str


def _rule(rule_id: str, tool: str, pattern: str, why: str) -> Rule:
    return Rule(rule_id, tool, re.compile(pattern, re.IGNORECASE), why)


# An identity is `Name <e-mail>`: a commit's author or committer, or the value of a
# `Co-authored-by:` (or similar) line. These match the whole identity string.
IDENTITIES = (
    _rule(
        "anthropic-noreply",
        "claude-code",
        r"<noreply@anthropic\.com>$",
        "Claude Code signs its co-author line `Claude <model> <noreply@anthropic.com>`; no "
        "person writes from noreply@",
    ),
    _rule(
        "claude-app",
        "claude-code",
        r"\+claude\[bot\]@users\.noreply\.github\.com>$|^claude\[bot\] <",
        "the Claude GitHub App (claude-code-action) commits as claude[bot]",
    ),
    _rule(
        "copilot-noreply",
        "copilot",
        r"\+copilot@users\.noreply\.github\.com>$|\+copilot-swe-agent\[bot\]@|<copilot@github\.com>$",
        "GitHub's Copilot account (coding agent 198982749, suggestions and autofix 175728472, "
        "the Copilot app and CLI 223556219) has the login Copilot, which no person can hold",
    ),
    _rule(
        "copilot-autofix",
        "copilot",
        r"^copilot autofix powered by ai <",
        "Copilot Autofix commits its suggested fixes under this name",
    ),
    _rule(
        "cursor-agent",
        "cursor",
        r"<cursoragent@cursor\.com>$",
        "Cursor's agents (background and CLI) commit and co-author as cursoragent@cursor.com",
    ),
    _rule(
        "devin-bot",
        "devin",
        r"devin-ai-integration\[bot\]@users\.noreply\.github\.com>$",
        "Devin's GitHub App account",
    ),
    _rule(
        "jules-bot",
        "jules",
        r"google-labs-jules\[bot\]@users\.noreply\.github\.com>$",
        "Jules' GitHub App account",
    ),
    _rule(
        "aider-address",
        "aider",
        r"<(noreply|aider)@aider\.(chat|dev)>$|^aider \(",
        "aider's co-author line, `aider (<model>) <aider@aider.chat>` (also noreply@aider.chat, "
        "noreply@aider.dev); the maintainer's own paul@aider.chat is a person",
    ),
    _rule(
        "aider-name-suffix",
        "aider",
        r"^[^<]*\(aider\) <",
        "aider's default attribution appends ` (aider)` to the author's name",
    ),
    _rule(
        "model-name-suffix",
        "other",
        r"^[^<]*\(claude-[a-z0-9.-]+\) <",
        "the author's name with a Claude model in parentheses: a tool's attribution, not a name",
    ),
    _rule(
        "codex-address",
        "codex",
        r"<(codex|noreply)@openai\.com>$",
        "Codex's co-author line (`Codex <codex@openai.com>`, `Codex <noreply@openai.com>`); "
        "OpenAI's staff write from their own names",
    ),
    _rule(
        "codex-name",
        "codex",
        r"^codex <",
        "a co-author named just `Codex` (one repository's runtime writes `codex@local.invalid`): "
        "a product, not a person",
    ),
    _rule(
        "gemini-code-assist",
        "gemini",
        r"gemini-code-assist\[bot\]@users\.noreply\.github\.com>$",
        "an accepted Gemini Code Assist review suggestion: lines the model wrote",
    ),
    _rule(
        "gemini-cli-action",
        "gemini",
        r"gemini-cli\[bot\]@users\.noreply\.github\.com>$",
        "the Gemini CLI GitHub Action's account (run-gemini-cli), which writes the changes",
    ),
    _rule(
        "cubic-suggestion",
        "other",
        r"cubic-dev-ai\[bot\]@users\.noreply\.github\.com>$",
        "an accepted cubic (AI reviewer) suggestion",
    ),
    _rule(
        "moonmind-runtime",
        "repository-specific",
        r"<(agent|codex|codex-agent)@moonmind\.local>$",
        "MoonMind is an agent orchestrator; its agents commit and co-author as `MoonMind Agent` "
        "and `MoonMind Codex` at moonmind.local (only this repository). Not `MoonMind "
        "<noreply@moonmind.local>`: the runtime's default identity, people's terse commits too",
    ),
    _rule(
        "factory-droid",
        "other",
        r"factory-droid\[bot\]@",
        "Factory's Droid agent",
    ),
)

# `Key: value` lines anywhere in a message (after the subject).
IDENTITY_KEYS = {"co-authored-by", "co-developed-by", "assisted-by", "generated-by"}
KEYS = (
    _rule(
        "copilot-session",
        "copilot",
        r"^copilot-session$",
        "the Copilot CLI stamps the session id on each commit it makes",
    ),
    _rule(
        "agent-logs-url",
        "copilot",
        r"^agent-logs-url$",
        "Copilot's coding agent links its session logs (github.com/OWNER/REPO/sessions/...)",
    ),
    _rule(
        "claude-code-stats",
        "claude-code",
        r"^claude-(generated-by|steers|plan|permission-prompts|escapes)$",
        "Claude Code's commit statistics trailers (claude-code-action's own history)",
    ),
    _rule(
        "made-with-cursor",
        "cursor",
        r"^made-with$",
        "Cursor's `Made-with: Cursor` trailer (value checked below)",
    ),
)
_AI_VALUE = re.compile(
    r"\bclaude\b|\bcopilot\b|\bcursor\b|\bcodex\b|\bgemini\b|\baider\b|\bdevin\b|\bjules\b"
    r"|\bgpt-?\d|\bchatgpt\b|\bllm\b",
    re.IGNORECASE,
)
_KEY_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9-]{1,40})[ \t]*:[ \t]*(.*?)\s*$")

# Text anywhere in a commit message (or a merge commit's message: the pull request's title).
MARKERS = (
    _rule(
        "claude-code-footer",
        "claude-code",
        r"generated with \[?claude code",
        "Claude Code's footer, `🤖 Generated with [Claude Code](...)`",
    ),
    _rule(
        "claude-session-link",
        "claude-code",
        r"claude\.ai/code/session_",
        "a link to the Claude Code (web) session that wrote the change",
    ),
    _rule(
        "codex-task-link",
        "codex",
        r"chatgpt\.com/codex/tasks/",
        "a link to the Codex cloud task that wrote the change",
    ),
    _rule(
        "cursor-agent-link",
        "cursor",
        r"cursor\.com/(agents|background-agent)",
        "a link to the Cursor background agent that wrote the change",
    ),
    _rule(
        "devin-session-link",
        "devin",
        r"app\.devin\.ai/sessions/",
        "a link to the Devin session that wrote the change",
    ),
    _rule(
        "jules-task-link",
        "jules",
        r"jules\.google\.com/task",
        "a link to the Jules task that wrote the change",
    ),
    _rule(
        "jules-unfinished",
        "jules",
        r"^jules was unable to complete the task in time",
        "the subject Jules gives a pull request it could not finish",
    ),
    _rule(
        "codex-app-title",
        "codex",
        r"^\[codex\] ",
        "the Codex app titles the pull requests it opens `[codex] ...` (read in MoonMind: the "
        "prefix is on changes of every area, so it is no topic tag)",
    ),
    _rule(
        "moonmind-task-result",
        "repository-specific",
        r"moonmind task result for run mm:",
        "MoonMind's runtime names its commits after the agent run that made them",
    ),
    _rule(
        "aider-subject",
        "aider",
        r"^aider: ",
        "aider's first convention: the subject starts `aider: `",
    ),
    _rule(
        "aider-chat",
        "aider",
        r"^# aider chat conversation:",
        "aider's first convention: the chat transcript in the message",
    ),
)

# Branch names of merges (the pull request's head branch).
BRANCHES = (
    _rule(
        "agent-branch",
        "",
        r"^(codex|claude|copilot|cursor|devin)/",
        "the branch prefix each agent pushes to (the tool is the prefix)",
    ),
    _rule(
        "codex-retry-branch",
        "codex",
        r"^[a-z0-9]{6}-codex/",
        "Codex cloud names a retried task's branch `<6 characters>-codex/...`",
    ),
    _rule(
        "jules-wip-branch",
        "jules",
        r"^jules_wip_\d+$",
        "Jules pushes unfinished work to `jules_wip_<task id>`",
    ),
)
_BRANCH_TOOL = {"claude": "claude-code"}

# Judgements by reading, where the rules cannot decide: (repo, change SHA prefix) -> reason.
# `ai` True/False overrides the rules; `tool` names the tool when True.
MANUAL: dict[tuple[str, str], tuple[bool, str, str]] = {
    ("github/github-mcp-server", "30600ba335"): (
        True,
        "copilot",
        "`Co-authored-by: Copilot App <223556219+Copilot@...>` is in the message, but glued to "
        "the paragraph before it by a literal `\\n\\n` (a tool escaped the newlines)",
    ),
}


@dataclass(frozen=True)
class Finding:
    rule: str
    tool: str
    evidence: str


def _identity_findings(identity: str) -> Iterator[Finding]:
    for rule in IDENTITIES:
        if rule.pattern.search(identity):
            yield Finding(rule.id, rule.tool, identity)


def commit_findings(commit: RawCommit) -> Iterator[Finding]:
    """Why one commit is AI-assisted (nothing when it is not)."""
    # The author wrote the change; the committer only made the commit (aider marks itself the
    # committer of a person's own edits it commits), so committers are never evidence.
    yield from _identity_findings(f"{commit.author_name} <{commit.author_email}>")
    lines = commit.message.split("\n")
    for line in lines[1:]:
        found = _KEY_LINE.match(line.strip())
        if found is None:
            continue
        key, value = found.group(1).lower(), found.group(2)
        if key in IDENTITY_KEYS:
            yield from (
                Finding(f.rule, f.tool, f"{found.group(1)}: {value}")
                for f in _identity_findings(value)
            )
        for rule in KEYS:
            if rule.pattern.search(key) and (
                rule.id != "made-with-cursor" or re.match(r"cursor\b", value, re.IGNORECASE)
            ):
                yield Finding(rule.id, rule.tool, line.strip()[:120])
        if key == "coding-agent" and _AI_VALUE.search(value):
            yield Finding("coding-agent", _tool_of(value), line.strip()[:120])
        if key in IDENTITY_KEYS - {"co-authored-by"} and _AI_VALUE.search(value):
            yield Finding("ai-tool-trailer", _tool_of(value), line.strip()[:120])
    yield from text_findings(commit.message)


def text_findings(text: str) -> Iterator[Finding]:
    for line in text.split("\n"):
        for rule in MARKERS:
            if rule.pattern.search(line.strip()):
                yield Finding(rule.id, rule.tool, line.strip()[:120])


def _tool_of(value: str) -> str:
    lowered = value.lower()
    for word, tool in (
        ("claude", "claude-code"),
        ("copilot", "copilot"),
        ("cursor", "cursor"),
        ("codex", "codex"),
        ("gpt", "codex"),
        ("gemini", "gemini"),
        ("aider", "aider"),
        ("devin", "devin"),
        ("jules", "jules"),
    ):
        if word in lowered:
            return tool
    return "other"


def change_findings(change: Change) -> list[Finding]:
    found: list[Finding] = []
    for commit in change.commits:
        found.extend(commit_findings(commit))
    if change.merge is not None:
        for rule in BRANCHES:
            hit = rule.pattern.search(change.branch)
            if hit:
                prefix = change.branch.split("/", 1)[0]
                tool = rule.tool or _BRANCH_TOOL.get(prefix, prefix)
                found.append(Finding(rule.id, tool, f"branch {change.branch}"))
        found.extend(text_findings(change.merge.message))
    return found


def label(change: Change) -> dict[str, str]:
    findings = change_findings(change)
    manual = next(
        (
            v
            for (repo, sha), v in MANUAL.items()
            if repo == change.repo and change.sha.startswith(sha)
        ),
        None,
    )
    ai = bool(findings)
    tools = sorted({f.tool for f in findings})
    rules = sorted({f.rule for f in findings})
    evidence = findings[0].evidence if findings else ""
    if manual is not None:
        ai, tool, reason = manual
        tools = [tool] if ai else []
        rules = ["manual"]
        evidence = reason
    return {
        "repo": change.repo,
        "change": change.sha,
        "kind": "merge" if change.merge is not None else "commit",
        "branch": change.branch,
        "commits": str(len(change.commits)),
        "ai": "yes" if ai else "no",
        "tools": ";".join(tools),
        "rules": ";".join(rules),
        "evidence": evidence[:160],
    }


# Words that make a human-labelled change worth reading again (--audit).
_AUDIT = re.compile(
    r"claude|anthropic|copilot|cursor|codex|chatgpt|openai|devin|jules|gemini|aider|🤖"
    r"|generated (by|with)|\bllm\b|\bgpt|agent|\[bot\]|\bai\b",
    re.IGNORECASE,
)


def audit(change: Change) -> list[str]:
    """Lines of a change that mention AI words: authors, keys, markers."""
    out = []
    for commit in change.commits:
        for identity in (
            f"author {commit.author_name} <{commit.author_email}>",
            f"committer {commit.committer_name} <{commit.committer_email}>",
        ):
            if _AUDIT.search(identity):
                out.append(identity)
        for line in commit.message.split("\n"):
            if _AUDIT.search(line):
                out.append(line.strip()[:160])
    if change.merge is not None and _AUDIT.search(change.merge.message):
        out.append(f"merge: {change.merge.subject[:150]}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS)
    parser.add_argument("--audit", action="store_true", help="print human-labelled changes")
    parser.add_argument("--repo", help="only this repository (OWNER/NAME)")
    parser.add_argument("--split", choices=("tuning", "held-out"), help="only these windows")
    args = parser.parse_args()
    rows: list[dict[str, str]] = []
    missing = 0
    for window in load_windows():
        if (args.repo and window.repo != args.repo) or (args.split and window.split != args.split):
            continue
        clone = window.clone(args.mirrors)
        if not clone.exists():
            print(f"skipped {window.repo}: no clone at {clone}", file=sys.stderr)
            missing += 1
            continue
        for change in changes(window, clone):
            row = label(change)
            rows.append(row)
            if args.audit and row["ai"] == "no":
                lines = audit(change)
                if lines:
                    print(f"### {change.repo} {change.sha[:10]} {change.branch}")
                    print("\n".join(f"    {line}" for line in dict.fromkeys(lines)))
    if args.audit or args.repo or args.split:
        return 0  # the labels file always holds the whole corpus
    if missing:
        print(f"{LABELS_FILE.name} left as it is: {missing} window(s) without a clone")
        return 1
    with LABELS_FILE.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, LABEL_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    counts = Counter((row["repo"], row["ai"]) for row in rows)
    for repo in dict.fromkeys(row["repo"] for row in rows):
        print(f"{repo}: {counts[(repo, 'yes')]} AI-assisted, {counts[(repo, 'no')]} not")
    print(f"wrote {len(rows)} labels to {LABELS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
