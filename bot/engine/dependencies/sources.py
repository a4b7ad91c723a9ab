"""Whether a dependency taken from git, a URL or a local path pins one artifact."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


def is_commit(ref: str | None) -> bool:
    """Whether `ref` is a commit hash (abbreviated or full), unlike a branch or a tag."""
    return ref is not None and re.fullmatch(r"[0-9a-fA-F]{7,40}", ref) is not None


_VERSIONED_FILE = re.compile(r"\d+\.\d+|[0-9a-fA-F]{40}")


def url_pins(url: str) -> bool:
    """Whether a direct URL names one artifact: a VCS commit, a hash, or a versioned file."""
    base, _, fragment = url.partition("#")
    location = base.split("://", 1)[-1]
    last_segment = location.rstrip("/").rsplit("/", 1)[-1]
    if re.match(r"(git|hg|svn|bzr)\+", base):
        return "@" in last_segment and is_commit(last_segment.rpartition("@")[2])
    if re.search(r"(sha1|sha256|sha384|sha512|md5)=", fragment):
        return True
    return base.startswith("file:") or _VERSIONED_FILE.search(last_segment) is not None


def is_remote_url(location: str) -> bool:
    """Whether `location` is a URL of another host (a `file:` URL is a local path)."""
    return re.match(r"[a-z][a-z0-9+.-]*://", location) is not None and not location.startswith(
        "file:"
    )


def source_spec(source: Mapping[str, Any]) -> tuple[str, bool] | None:
    """Spec and unpinned flag of a git, path or URL source (Cargo, Poetry, Pipfile, Gemfile).

    None when the table names no such source (a registry version, say).
    """
    git = source.get("git")
    if isinstance(git, str):
        commit = next(
            (v for k in ("rev", "ref", "commit") if isinstance(v := source.get(k), str)), None
        )
        ref = commit or next(
            (v for k in ("tag", "branch") if isinstance(v := source.get(k), str)), None
        )
        return f"git {git}" + (f"@{ref}" if ref else ""), not is_commit(commit)
    for key in ("path", "file", "url"):
        location = source.get(key)
        if isinstance(location, str):
            if is_remote_url(location):
                return f"@ {location}", not url_pins(location)
            return f"path {location}", False
    return None
