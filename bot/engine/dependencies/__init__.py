"""Which dependencies a change added, changed or removed, and which it left unpinned.

Manifests (what people write: requirements.txt, package.json, Cargo.toml, ...) and lockfiles
(what tools resolve: package-lock.json, Cargo.lock, ...) are parsed whole at base and at head,
and the two sets of dependencies are compared by name, so reformatting, reordering and
comments never count as a change.

Rules that hold across ecosystems:
- A dependency is identified by its (normalized) name within one file. When a file lists a
  name more than once (several sections, environment markers, nested lockfile copies), its
  specs are joined with " | "; moving a dependency between sections with the same spec is no
  change.
- A spec is the constraint as written, whitespace removed where the format ignores it; ""
  means the manifest gives no version.
- `unpinned` means the manifest lets the version float: anything but an exact version per the
  ecosystem's convention (PEP 440 `==`, npm/Cargo `=1.2.3`, Gemfile `"1.2.3"`, ...). Cargo's and
  npm's bare or caret versions are ranges, hence unpinned. A git source pins only with a commit
  hash (branches and tags move). Local paths and workspace references are not unpinned: they
  name code in the repository. A Maven or Gradle dependency without a version is managed
  elsewhere (the build fails otherwise), so it is not unpinned either; go.mod is always pinned.
  Lockfile entries are resolved versions and never unpinned.
- Lockfiles report at most LOCKFILE_CHANGE_LIMIT changes per file, direct dependencies first
  where the lockfile tells them apart; DependencyReport.omitted counts the rest.
- A manifest whose text is missing (not fetched) or cannot be parsed yields no changes; the
  report lists it instead of guessing. A Python requirement that is not PEP 508 (as packaging
  reads it) makes its file malformed, as it does for pip; XML manifests with a DTD are refused.

This package holds one module per ecosystem (python_requirements, python_projects,
python_locks, npm, go, cargo, ruby, jvm, php, dotnet), each turning a file's text into
entries; registry says which file is which, and report compares base and head.
"""

from bot.engine.dependencies.model import DependencyChange, DependencyReport
from bot.engine.dependencies.registry import is_manifest
from bot.engine.dependencies.report import (
    LOCKFILE_CHANGE_LIMIT,
    dependency_changes,
    dependency_report,
)

__all__ = [
    "LOCKFILE_CHANGE_LIMIT",
    "DependencyChange",
    "DependencyReport",
    "dependency_changes",
    "dependency_report",
    "is_manifest",
]
