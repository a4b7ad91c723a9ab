"""AI detection: evidence per commit and per pull request, from the resolved signatures.

`share` is the fraction of changed lines (additions + deletions, as each commit reports them)
that AI-tagged commits account for, over all non-merge commits of the range. PR-level evidence
(author, branch, label, body, declared) covers the whole change, so it makes the share 1.0.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from bot.config.detection import AuthorSignature, BranchSignature, Signatures, TrailerSignature
from bot.config.regex import Match, compile_pattern
from bot.engine.result import AIDetection, Evidence
from bot.engine.snapshot import Commit, Snapshot
from bot.engine.trailers import Trailer, message_trailers


def _normal_login(login: str | None) -> str:
    if not login:
        return ""
    lowered = login.lower()
    return lowered.removesuffix("[bot]")


class Detector:
    """Applies one set of signatures; build once per ruleset, call for each snapshot."""

    def __init__(self, signatures: Signatures, labels: Iterable[str]) -> None:
        self._signatures = signatures
        self._labels = {label.lower() for label in labels}

    def tool_in(self, text: str) -> str | None:
        """The first known tool whose name appears in `text`."""
        for tool in self._signatures.tools:
            if compile_pattern(tool.match).search(text.strip()):
                return tool.id
        return None

    def tool_name(self, tool_id: str) -> str:
        for tool in self._signatures.tools:
            if tool.id == tool_id:
                return tool.name
        return tool_id

    def _trailer_tool(self, signature: TrailerSignature, trailer: Trailer) -> str | None:
        if trailer.normalized_key not in {key.lower() for key in signature.keys}:
            return None
        if signature.value is not None and not compile_pattern(signature.value).search(
            trailer.value
        ):
            return None
        return signature.tool or self.tool_in(_named_part(trailer.value))

    def _commit_evidence(self, commit: Commit) -> Iterator[Evidence]:
        for trailer in message_trailers(commit.message):
            for signature in self._signatures.trailers:
                tool = self._trailer_tool(signature, trailer)
                if tool is not None:
                    yield Evidence("trailer", tool, str(trailer), commit.sha)
                    break
        for author_sig in self._signatures.authors:
            if _author_matches(author_sig, commit):
                person = commit.author
                detail = f"author {person.name} <{person.email}>"
                yield Evidence("author", author_sig.tool, detail, commit.sha)
        for marker in self._signatures.markers:
            if "message" not in marker.where:
                continue
            found = compile_pattern(marker.pattern).search(commit.message)
            if found is not None:
                yield Evidence("message", marker.tool, _line_of(commit.message, found), commit.sha)

    def _pull_request_evidence(self, snapshot: Snapshot) -> Iterator[Evidence]:
        author = _normal_login(snapshot.author)
        if author:
            for author_sig in self._signatures.authors:
                if author in {_normal_login(login) for login in author_sig.logins}:
                    detail = f"pull request opened by {snapshot.author}"
                    yield Evidence("author", author_sig.tool, detail)
        for branch in self._signatures.branches:
            if _branch_matches(branch, snapshot.head_branch):
                yield Evidence("branch", branch.tool, f"head branch {snapshot.head_branch}")
        for label in snapshot.labels:
            if label.lower() in self._labels:
                yield Evidence("label", "unspecified", f"label {label}")
        for marker in self._signatures.markers:
            if "body" not in marker.where:
                continue
            found = compile_pattern(marker.pattern).search(snapshot.body)
            if found is not None:
                yield Evidence("body", marker.tool, _line_of(snapshot.body, found))

    def detect(self, snapshot: Snapshot, declared: Iterable[Evidence] = ()) -> AIDetection:
        evidence: list[Evidence] = []
        ai_commits: list[str] = []
        for commit in snapshot.commits:
            found = list(dict.fromkeys(self._commit_evidence(commit)))
            if found:
                ai_commits.append(commit.sha)
                evidence.extend(found)
        pr_level = list(dict.fromkeys(self._pull_request_evidence(snapshot)))
        pr_level.extend(declared)
        evidence.extend(pr_level)
        assisted = bool(evidence)
        return AIDetection(
            assisted=assisted,
            share=_share(snapshot.commits, set(ai_commits), whole=bool(pr_level)),
            evidence=tuple(evidence),
            ai_commits=tuple(ai_commits),
        )


def _author_matches(signature: AuthorSignature, commit: Commit) -> bool:
    checks: list[bool] = []
    if signature.logins:
        wanted = {_normal_login(login) for login in signature.logins}
        checks.append(
            _normal_login(commit.author.login) in wanted
            or _normal_login(commit.committer.login) in wanted
        )
    if signature.name is not None:
        checks.append(compile_pattern(signature.name).search(commit.author.name) is not None)
    if signature.email is not None:
        checks.append(compile_pattern(signature.email).search(commit.author.email) is not None)
    if signature.committer_name is not None:
        checks.append(
            compile_pattern(signature.committer_name).search(commit.committer.name) is not None
        )
    return bool(checks) and all(checks)


def _named_part(value: str) -> str:
    """The name of an identity `Name <e-mail>`, else the whole value: a tool is recognised by
    name, never by the domain of someone's e-mail (people at anthropic.com, openai.com)."""
    name, bracket, _ = value.partition("<")
    return name.strip() if bracket and name.strip() else value


def _branch_matches(signature: BranchSignature, branch: str) -> bool:
    if not branch:
        return False
    if signature.prefix is not None:
        return branch.lower().startswith(signature.prefix.lower())
    return signature.pattern is not None and bool(compile_pattern(signature.pattern).search(branch))


def _line_of(text: str, found: Match) -> str:
    """The line holding a match, trimmed: what evidence shows a reader."""
    start = found.start()
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line = text[line_start : line_end if line_end != -1 else len(text)].strip()
    return line[:200]


def _share(commits: tuple[Commit, ...], ai_commits: set[str], whole: bool) -> float:
    authored = [c for c in commits if not c.is_merge]
    if whole:
        return 1.0
    if not authored or not ai_commits:
        return 0.0
    total = sum(c.additions + c.deletions for c in authored)
    if total == 0:
        return round(sum(1 for c in authored if c.sha in ai_commits) / len(authored), 2)
    ai_lines = sum(c.additions + c.deletions for c in authored if c.sha in ai_commits)
    return round(ai_lines / total, 2)
