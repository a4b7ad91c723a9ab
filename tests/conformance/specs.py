"""Where GitHub's published descriptions live once `npm ci` has installed them here.

The versions are pinned in package.json and package-lock.json beside this file; .ci/run
installs them. Tests that need them fail in CI (CI=true) when they are missing, and are
skipped locally with the command that installs them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
MODULES = HERE / "node_modules" / "@octokit"

OPENAPI = MODULES / "openapi" / "generated" / "api.github.com.json"
OPENAPI_GHES = MODULES / "openapi" / "generated" / "ghes-3.19.json"
"""The newest GitHub Enterprise Server the package describes: requests under /api/v3."""
GRAPHQL = MODULES / "graphql-schema" / "schema.json"
"""The introspection result of GitHub's public GraphQL schema (schema.graphql as JSON)."""
WEBHOOK_EXAMPLES = MODULES / "webhooks-examples" / "api.github.com" / "index.json"

INSTALL = "cd tests/conformance && npm ci"


def missing() -> list[Path]:
    return [
        path for path in (OPENAPI, OPENAPI_GHES, GRAPHQL, WEBHOOK_EXAMPLES) if not path.is_file()
    ]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


def require() -> None:
    """Fail the calling test in CI, or skip it locally, unless every description is installed."""
    absent = missing()
    if not absent:
        return
    message = (
        "GitHub's published API descriptions are not installed "
        f"({', '.join(str(p.relative_to(HERE)) for p in absent)}); run: {INSTALL}"
    )
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def package_version(name: str) -> str:
    """The installed version of @octokit/`name` (as pinned in package-lock.json)."""
    manifest = json.loads((MODULES / name / "package.json").read_text(encoding="utf-8"))
    return str(manifest["version"])
