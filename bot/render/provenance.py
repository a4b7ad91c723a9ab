"""Where a local report came from: the range analyzed and the config used, said in every
format, so a CI log shows what was measured against what policy."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.config import CONFIG_PATH
from bot.render.escape import md_text


@dataclass(frozen=True, slots=True)
class RangeUsed:
    """The change analyzed: merge_base..head_sha, as a pull request from head into base."""

    base_ref: str  # the base as named: origin/main, main, HEAD (staged)
    base_from: str  # who named it: --base, GITHUB_BASE_REF, default branch, --staged
    base_sha: str  # the base branch's tip: where the config is read, as the App reads it
    merge_base: str
    head_ref: str
    head_sha: str
    head_branch: str  # '' when neither the head nor the CI names a branch
    head_branch_from: str | None
    commits: int

    @property
    def staged(self) -> bool:
        return self.base_from == "--staged"

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base_ref,
            "base_from": self.base_from,
            "base_sha": self.base_sha,
            "merge_base": self.merge_base,
            "head": self.head_ref,
            "head_sha": self.head_sha,
            "head_branch": self.head_branch or None,
            "head_branch_from": self.head_branch_from,
            "commits": self.commits,
        }


class ConfigSource(StrEnum):
    FILE = "file"  # --config
    BASE = "base"  # .github/ai-review.yml at the base branch's tip
    DEFAULTS = "defaults"  # none at the base: the built-in defaults


@dataclass(frozen=True, slots=True)
class ConfigUsed:
    source: ConfigSource
    path: str | None
    ref: str | None = None  # the commit it was read at (BASE, and DEFAULTS: where none was)
    # The working tree holds a .github/ai-review.yml other than the one used: say so, or an
    # edit someone is trying out is silently ignored.
    working_tree_differs: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source.value,
            "path": self.path,
            "ref": self.ref,
            "working_tree_differs": self.working_tree_differs,
        }


@dataclass(frozen=True, slots=True)
class Provenance:
    range: RangeUsed
    config: ConfigUsed

    def to_json(self) -> dict[str, Any]:
        return {"range": self.range.to_json(), "config": self.config.to_json()}


def range_line(used: RangeUsed) -> str:
    span = f"{used.merge_base[:10]}..{used.head_sha[:10]}"
    branch = f" on branch {used.head_branch}" if used.head_branch else ""
    if used.head_branch_from and used.head_branch_from not in ("--head", "checked out"):
        branch += f" (from {used.head_branch_from})"
    if used.staged:
        return f"Range: the staged change on top of HEAD ({used.base_sha[:10]}){branch}"
    if used.base_from == "default branch":
        named = f"{used.base_ref}, the default branch"
    elif used.base_from == "--base":
        named = used.base_ref
    else:
        named = f"{used.base_ref}, from {used.base_from}"
    commits = f"{used.commits} commit{'' if used.commits == 1 else 's'}"
    return f"Range: {span} ({commits}): {used.head_ref}{branch}, from its merge-base with {named}"


def config_line(config: ConfigUsed, base_ref: str) -> str:
    at = f"{base_ref} ({config.ref[:10]})" if config.ref else base_ref
    if config.source is ConfigSource.FILE:
        return f"Config: {config.path} (--config)"
    if config.source is ConfigSource.BASE:
        return f"Config: {CONFIG_PATH} at {at}, as the App reads it"
    return f"Config: built-in defaults: no {CONFIG_PATH} at {at}"


def provenance_lines(provenance: Provenance) -> list[str]:
    """Plain lines for the text, markdown and annotation formats (paths are the user's own or
    git's ref names, printable; the caller escapes for its format)."""
    config = provenance.config
    lines = [
        _printable(range_line(provenance.range)),
        _printable(config_line(config, provenance.range.base_ref)),
    ]
    if config.working_tree_differs:
        lines.append(
            f"Note: the working tree's {CONFIG_PATH} differs from the one used and is ignored "
            f"(a change never loosens its own gate); try it with --config {CONFIG_PATH}"
        )
    return lines


def provenance_markdown(provenance: Provenance) -> str:
    """The same lines, closing a markdown report (escaped: branch names are the author's)."""
    lines = [md_text(line, 500) for line in provenance_lines(provenance)]
    return "\n---\n<sub>" + "<br>\n".join(lines) + "</sub>\n"


def _printable(text: str) -> str:
    """One line, no control characters: a branch name from the CI's environment is untrusted."""
    return "".join(ch if ch.isprintable() else " " for ch in " ".join(text.split()))
