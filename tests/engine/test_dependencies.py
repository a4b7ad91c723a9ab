"""Dependency changes across ecosystems: added, changed, removed, unpinned, bounded."""

from __future__ import annotations

import json
import time
from textwrap import dedent

import pytest

from bot.engine.dependencies import (
    LOCKFILE_CHANGE_LIMIT,
    DependencyChange,
    DependencyReport,
    dependency_changes,
    dependency_report,
    is_manifest,
)
from bot.engine.snapshot import ChangedFile, FileStatus

SHA = "0123456789abcdef0123456789abcdef01234567"


def report(
    path: str,
    base: str | None,
    head: str | None,
    *,
    status: FileStatus = FileStatus.MODIFIED,
    old_path: str | None = None,
) -> DependencyReport:
    changed = ChangedFile(path=path, status=status, old_path=old_path)
    base_texts = {} if base is None else {old_path or path: dedent(base)}
    head_texts = {} if head is None else {path: dedent(head)}
    return dependency_report([changed], base_texts, head_texts)


def changes(
    path: str,
    base: str | None,
    head: str | None,
    *,
    status: FileStatus = FileStatus.MODIFIED,
    old_path: str | None = None,
) -> tuple[DependencyChange, ...]:
    return report(path, base, head, status=status, old_path=old_path).changes


def summary(found: tuple[DependencyChange, ...]) -> list[tuple[str, str | None, str | None]]:
    return [(c.name, c.old_spec, c.new_spec) for c in found]


def unpinned_names(found: tuple[DependencyChange, ...]) -> list[str]:
    return [c.name for c in found if c.unpinned]


# --- Which files are manifests ----------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "requirements.txt",
        "requirements-dev.txt",
        "dev-requirements.in",
        "requirements/base.txt",
        "constraints.txt",
        "pyproject.toml",
        "Pipfile",
        "Pipfile.lock",
        "setup.cfg",
        "poetry.lock",
        "uv.lock",
        "web/package.json",
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "go.mod",
        "crates/core/Cargo.toml",
        "Cargo.lock",
        "Gemfile",
        "Gemfile.lock",
        "mygem.gemspec",
        "pom.xml",
        "app/build.gradle",
        "build.gradle.kts",
        "gradle/libs.versions.toml",
        "gradle.lockfile",
        "composer.json",
        "composer.lock",
        "src/App/App.csproj",
        "packages.lock.json",
    ],
)
def test_is_manifest_recognizes_manifests_and_lockfiles(path: str) -> None:
    assert is_manifest(path)


@pytest.mark.parametrize(
    "path",
    [
        "MANIFEST.in",
        "Makefile.in",
        "notes.txt",
        "go.sum",
        "README.md",
        "src/package.py",
        "node_modules/left-pad/package.json",
    ],
)
def test_is_manifest_rejects_other_files(path: str) -> None:
    assert not is_manifest(path)


# --- Python: requirements files ---------------------------------------------------------


def test_requirements_added_dependency_is_reported_at_its_line() -> None:
    found = changes("requirements.txt", "flask==3.0.0\n", "flask==3.0.0\n\nrequests>=2.31\n")
    assert found == (
        DependencyChange(
            path="requirements.txt",
            line=3,
            ecosystem="pypi",
            name="requests",
            old_spec=None,
            new_spec=">=2.31",
            unpinned=True,
            lockfile=False,
        ),
    )


def test_requirements_version_change_reports_old_and_new_spec() -> None:
    found = changes("requirements.txt", "flask==2.3.0\n", "flask==3.0.0\n")
    assert summary(found) == [("flask", "==2.3.0", "==3.0.0")]
    assert found[0].line == 1
    assert not found[0].unpinned


def test_requirements_removed_dependency_has_no_new_spec_and_no_line() -> None:
    found = changes("requirements.txt", "flask==3.0.0\nsix\n", "flask==3.0.0\n")
    assert found == (
        DependencyChange("requirements.txt", None, "pypi", "six", "", None, False, False),
    )


@pytest.mark.parametrize(
    ("requirement", "unpinned"),
    [
        ("pkg==1.0", False),
        ("pkg===1.0", False),
        ("pkg>=1.0,==1.4", False),
        ("pkg>=1.0", True),
        ("pkg~=1.0", True),
        ("pkg==1.*", True),
        ("pkg", True),
        ("pkg @ https://files.example.com/pkg-1.0-py3-none-any.whl", False),
        ("pkg @ https://github.com/o/pkg/archive/main.zip", True),
        ("pkg @ git+https://github.com/o/pkg@main", True),
        (f"pkg @ git+https://github.com/o/pkg@{SHA}", False),
    ],
)
def test_requirements_unpinned_follows_pep_440(requirement: str, unpinned: bool) -> None:
    (found,) = changes("requirements.txt", "", requirement + "\n")
    assert found.unpinned is unpinned


def test_requirements_skip_includes_options_comments_and_local_paths() -> None:
    head = """\
        # the web stack
        -r base.txt
        -c constraints.txt
        --index-url https://pypi.example.com/simple
        -e .
        ./vendor/tool-1.0.whl
        flask==3.0.0  # pinned for the session API
    """
    assert summary(changes("requirements.txt", "", head)) == [("flask", None, "==3.0.0")]


def test_requirements_hashes_and_continuations_form_one_requirement() -> None:
    head = """\
        cryptography==42.0.5 \\
            --hash=sha256:aaaa \\
            --hash=sha256:bbbb
        idna==3.6 --hash=sha256:cccc
    """
    found = changes("requirements.txt", "", head)
    assert [(c.name, c.new_spec, c.line) for c in found] == [
        ("cryptography", "==42.0.5", 1),
        ("idna", "==3.6", 4),
    ]


def test_requirements_editable_vcs_url_takes_its_name_from_egg() -> None:
    head = f"-e git+https://github.com/o/tool.git@{SHA}#egg=tool\n"
    (found,) = changes("requirements.txt", "", head)
    assert (found.name, found.unpinned) == ("tool", False)


def test_requirements_environment_marker_is_part_of_the_spec() -> None:
    found = changes(
        "requirements.txt",
        "tomli==2.0.1\n",
        "tomli==2.0.1 ; python_version < '3.11'\n",
    )
    assert summary(found) == [("tomli", "==2.0.1", '==2.0.1; python_version<"3.11"')]


def test_requirements_whitespace_quotes_and_name_spelling_are_not_a_change() -> None:
    base = "Foo_Bar >= 1.0 ; python_version < '3.11'\nflask==3.0.0\n"
    head = 'foo-bar>=1.0;python_version<"3.11"\n\n\nflask == 3.0.0   # web\n'
    assert changes("requirements.txt", base, head) == ()


def test_requirements_in_a_requirements_folder_are_read() -> None:
    found = changes("requirements/dev.in", "", "pytest>=8\n")
    assert summary(found) == [("pytest", None, ">=8")]


# --- Python: pyproject.toml, Pipfile, setup.cfg -----------------------------------------


def test_pyproject_reads_project_optional_groups_and_build_requirements() -> None:
    head = """\
        [build-system]
        requires = ["setuptools>=69"]

        [project]
        name = "app"
        dependencies = ["httpx==0.27.0"]

        [project.optional-dependencies]
        test = ["pytest>=8"]

        [dependency-groups]
        lint = ["ruff==0.8.0", {include-group = "test"}]

        [tool.uv]
        dev-dependencies = ["mypy>=1.13"]
    """
    found = changes("pyproject.toml", None, head, status=FileStatus.ADDED)
    assert [(c.name, c.new_spec, c.unpinned) for c in found] == [
        ("httpx", "==0.27.0", False),
        ("pytest", ">=8", True),
        ("setuptools", ">=69", True),
        ("ruff", "==0.8.0", False),
        ("mypy", ">=1.13", True),
    ]


def test_pyproject_line_points_at_the_dependency_in_its_section() -> None:
    base = """\
        [project]
        name = "httpx-client"
        dependencies = [
            "click==8.1.7",
        ]
    """
    head = """\
        [project]
        name = "httpx-client"
        dependencies = [
            "click==8.1.7",
            "httpx==0.27.0",
        ]
    """
    (found,) = changes("pyproject.toml", base, head)
    assert (found.name, found.line) == ("httpx", 5)


def test_poetry_bare_version_is_exact_and_caret_is_unpinned() -> None:
    head = """\
        [tool.poetry.dependencies]
        python = "^3.11"
        requests = "2.31.0"
        rich = "^13.0"

        [tool.poetry.group.dev.dependencies]
        pytest = { version = "^8.0", extras = ["testing"] }
    """
    found = changes("pyproject.toml", None, head, status=FileStatus.ADDED)
    assert [(c.name, c.new_spec, c.unpinned, c.line) for c in found] == [
        ("requests", "2.31.0", False, 3),
        ("rich", "^13.0", True, 4),
        ("pytest", "[testing]^8.0", True, 7),
    ]


def test_poetry_git_dependency_pins_only_with_a_commit() -> None:
    head = f"""\
        [tool.poetry.dependencies]
        lib = {{ git = "https://github.com/o/lib.git", branch = "main" }}
        tool = {{ git = "https://github.com/o/tool.git", rev = "{SHA}" }}
    """
    found = changes("pyproject.toml", None, head, status=FileStatus.ADDED)
    assert [(c.new_spec, c.unpinned) for c in found] == [
        ("git https://github.com/o/lib.git@main", True),
        (f"git https://github.com/o/tool.git@{SHA}", False),
    ]


def test_pipfile_star_is_unpinned_and_exact_is_pinned() -> None:
    base = """\
        [packages]
        requests = "==2.31.0"
    """
    head = """\
        [[source]]
        url = "https://pypi.org/simple"
        name = "pypi"

        [packages]
        requests = "==2.32.3"

        [dev-packages]
        pytest = "*"
    """
    found = changes("Pipfile", base, head)
    assert [(c.name, c.old_spec, c.new_spec, c.unpinned, c.line) for c in found] == [
        ("requests", "==2.31.0", "==2.32.3", False, 6),
        ("pytest", None, "*", True, 9),
    ]


def test_setup_cfg_reads_install_requires_and_extras() -> None:
    head = """\
        [metadata]
        name = app

        [options]
        install_requires =
            click>=8
            # a comment line
            attrs==23.2.0

        [options.extras_require]
        test = pytest==8.0.0
    """
    found = changes("setup.cfg", None, head, status=FileStatus.ADDED)
    assert [(c.name, c.new_spec, c.unpinned, c.line) for c in found] == [
        ("click", ">=8", True, 6),
        ("attrs", "==23.2.0", False, 8),
        ("pytest", "==8.0.0", False, 11),
    ]


# --- Python lockfiles -------------------------------------------------------------------


def test_poetry_lock_version_change_is_a_pinned_lockfile_change() -> None:
    base = """\
        [[package]]
        name = "certifi"
        version = "2024.2.2"
        description = "Mozilla's CA bundle"

        [package.dependencies]
        name = ">=1"
    """
    head = base.replace("2024.2.2", "2024.7.4")
    assert changes("poetry.lock", base, head) == (
        DependencyChange("poetry.lock", 2, "pypi", "certifi", "2024.2.2", "2024.7.4", False, True),
    )


def test_uv_lock_skips_the_project_and_lists_its_direct_dependencies_first() -> None:
    base = """\
        version = 1

        [[package]]
        name = "app"
        version = "0.1.0"
        source = { editable = "." }
        dependencies = [
            { name = "httpx" },
        ]

        [[package]]
        name = "anyio"
        version = "4.3.0"
        source = { registry = "https://pypi.org/simple" }

        [[package]]
        name = "httpx"
        version = "0.26.0"
        source = { registry = "https://pypi.org/simple" }
        dependencies = [
            { name = "anyio" },
        ]
    """
    head = base.replace("0.1.0", "0.2.0").replace("4.3.0", "4.4.0").replace("0.26.0", "0.27.0")
    found = changes("uv.lock", base, head)
    assert summary(found) == [("httpx", "0.26.0", "0.27.0"), ("anyio", "4.3.0", "4.4.0")]


def test_pipfile_lock_reports_versions_without_the_equals_prefix() -> None:
    base = json.dumps({"_meta": {}, "default": {"idna": {"version": "==3.6"}}, "develop": {}})
    head = json.dumps({"_meta": {}, "default": {"idna": {"version": "==3.7"}}, "develop": {}})
    assert summary(changes("Pipfile.lock", base, head)) == [("idna", "3.6", "3.7")]


# --- JavaScript -------------------------------------------------------------------------


def test_package_json_reports_each_section_and_lines() -> None:
    base = """\
        {
          "name": "web",
          "dependencies": {
            "react": "18.2.0",
            "left-pad": "1.3.0"
          }
        }
    """
    head = """\
        {
          "name": "web",
          "dependencies": {
            "react": "18.3.1"
          },
          "devDependencies": {
            "vitest": "^1.6.0"
          }
        }
    """
    found = changes("package.json", base, head)
    assert found == (
        DependencyChange("package.json", 4, "npm", "react", "18.2.0", "18.3.1", False, False),
        DependencyChange(
            "package.json", 7, "npm", "vitest", None, "^1.6.0", True, False, development=True
        ),
        DependencyChange("package.json", None, "npm", "left-pad", "1.3.0", None, False, False),
    )


def test_package_json_line_is_in_the_dependency_section_not_in_scripts() -> None:
    head = """\
        {
          "scripts": {
            "vitest": "vitest run"
          },
          "devDependencies": {
            "vitest": "^1.6.0"
          }
        }
    """
    (found,) = changes("package.json", '{"devDependencies": {}}', head)
    assert (found.name, found.line) == ("vitest", 6)


@pytest.mark.parametrize(
    ("spec", "unpinned"),
    [
        ("1.2.3", False),
        ("=1.2.3", False),
        ("1.2.3-beta.1", False),
        ("npm:other@1.2.3", False),
        (f"github:o/repo#{SHA[:7]}", False),
        ("file:../shared", False),
        ("workspace:*", False),
        ("https://registry.example.com/pkg-1.2.3.tgz", False),
        ("^1.2.3", True),
        ("~1.2.3", True),
        ("1.2", True),
        ("1.x", True),
        ("*", True),
        ("", True),
        ("latest", True),
        (">=1.0.0 <2.0.0", True),
        ("o/repo", True),
        ("git+https://github.com/o/repo.git#main", True),
    ],
)
def test_package_json_unpinned_follows_npm_ranges(spec: str, unpinned: bool) -> None:
    head = json.dumps({"dependencies": {"pkg": spec}})
    (found,) = changes("package.json", None, head, status=FileStatus.ADDED)
    assert found.unpinned is unpinned


def test_package_json_reformatting_reports_nothing() -> None:
    base = '{"dependencies": {"react": "18.2.0", "vue": "^3.4.0"}}'
    head = """\
        {
            "devDependencies": {},
            "dependencies": {
                "vue": "^3.4.0",
                "react": "18.2.0"
            }
        }
    """
    assert changes("package.json", base, head) == ()


def test_package_json_move_to_another_section_with_same_spec_is_no_change() -> None:
    base = '{"devDependencies": {"zod": "3.23.8"}}'
    head = '{"dependencies": {"zod": "3.23.8"}}'
    assert changes("package.json", base, head) == ()


def test_package_lock_v3_lists_top_level_packages_before_nested_ones() -> None:
    base = {
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "web", "dependencies": {"a": "^1.0.0"}},
            "node_modules/b/node_modules/c": {"version": "1.0.0"},
            "node_modules/a": {"version": "1.0.0"},
            "node_modules/web-ui": {"link": True, "resolved": "packages/ui"},
        },
    }
    head = json.loads(json.dumps(base))
    head["packages"]["node_modules/b/node_modules/c"]["version"] = "1.1.0"
    head["packages"]["node_modules/a"]["version"] = "1.2.0"
    found = changes("package-lock.json", json.dumps(base), json.dumps(head, indent=2))
    assert [(c.name, c.old_spec, c.new_spec, c.lockfile) for c in found] == [
        ("a", "1.0.0", "1.2.0", True),
        ("c", "1.0.0", "1.1.0", True),
    ]
    assert found[0].line == 13


def test_package_lock_v1_dependency_tree_is_read() -> None:
    base = {"lockfileVersion": 1, "dependencies": {"a": {"version": "1.0.0"}}}
    head = {
        "lockfileVersion": 1,
        "dependencies": {
            "a": {"version": "1.0.0", "dependencies": {"b": {"version": "2.0.0"}}},
        },
    }
    found = changes("package-lock.json", json.dumps(base), json.dumps(head))
    assert summary(found) == [("b", None, "2.0.0")]


def test_package_lock_with_several_copies_joins_their_versions() -> None:
    base = {"packages": {"node_modules/ms": {"version": "2.1.3"}}}
    head = {
        "packages": {
            "node_modules/ms": {"version": "2.1.3"},
            "node_modules/debug/node_modules/ms": {"version": "2.0.0"},
        }
    }
    found = changes("package-lock.json", json.dumps(base), json.dumps(head))
    assert summary(found) == [("ms", "2.1.3", "2.0.0 | 2.1.3")]


def test_yarn_lock_v1_reports_version_changes_at_the_entry_line() -> None:
    base = """\
        # yarn lockfile v1


        "@babel/core@^7.0.0", "@babel/core@^7.1.0":
          version "7.24.0"
          resolved "https://registry.yarnpkg.com/@babel/core/-/core-7.24.0.tgz"

        lodash@^4.17.20:
          version "4.17.20"
    """
    head = base.replace('version "4.17.20"', 'version "4.17.21"')
    found = changes("yarn.lock", base, head)
    assert found == (
        DependencyChange("yarn.lock", 8, "npm", "lodash", "4.17.20", "4.17.21", False, True),
    )


def test_yarn_berry_lock_skips_workspaces() -> None:
    head = """\
        __metadata:
          version: 8

        "lodash@npm:^4.17.21":
          version: 4.17.21
          resolution: "lodash@npm:4.17.21"

        "web@workspace:.":
          version: 0.0.0-use.local
    """
    found = changes("yarn.lock", None, head, status=FileStatus.ADDED)
    assert summary(found) == [("lodash", None, "4.17.21")]


def test_pnpm_lock_v9_lists_importer_dependencies_first() -> None:
    base = """\
        lockfileVersion: '9.0'

        importers:

          .:
            dependencies:
              react:
                specifier: ^18.2.0
                version: 18.2.0

        packages:

          js-tokens@4.0.0:
            resolution: {integrity: sha512-aaa}

          react@18.2.0:
            resolution: {integrity: sha512-bbb}

        snapshots:

          react@18.2.0:
            dependencies:
              js-tokens: 4.0.0
    """
    head = base.replace("18.2.0", "18.3.1").replace("4.0.0", "4.0.1")
    found = changes("pnpm-lock.yaml", base, head)
    assert [(c.name, c.old_spec, c.new_spec, c.line) for c in found] == [
        ("react", "18.2.0", "18.3.1", 16),
        ("js-tokens", "4.0.0", "4.0.1", 13),
    ]


def test_pnpm_lock_v5_and_v6_keys_are_read() -> None:
    v5 = """\
        lockfileVersion: 5.4

        packages:

          /@babel/core/7.24.0_react@18.2.0:
            resolution: {integrity: sha512-aaa}

          /snake_case/1.0.0_@types+react@18.2.0:
            resolution: {integrity: sha512-bbb}
    """
    v6 = """\
        lockfileVersion: '6.0'

        packages:

          /@babel/core@7.24.5(react@18.2.0):
            resolution: {integrity: sha512-aaa}

          /snake_case@1.0.0(@types/react@18.2.0):
            resolution: {integrity: sha512-bbb}
    """
    assert summary(changes("pnpm-lock.yaml", v5, v6)) == [("@babel/core", "7.24.0", "7.24.5")]


# --- Lockfile bounds --------------------------------------------------------------------


def _package_lock(count: int, version: str, direct: tuple[str, ...] = ()) -> str:
    packages = {
        f"node_modules/dep/node_modules/pkg-{i:04}": {"version": version} for i in range(count)
    }
    packages.update({f"node_modules/{name}": {"version": version} for name in direct})
    return json.dumps({"lockfileVersion": 3, "packages": packages}, indent=2)


def test_huge_lockfile_reports_at_most_the_limit_and_counts_the_rest() -> None:
    found = report("package-lock.json", _package_lock(300, "1.0.0"), _package_lock(300, "2.0.0"))
    assert len(found.changes) == LOCKFILE_CHANGE_LIMIT
    assert dict(found.omitted) == {"package-lock.json": 300 - LOCKFILE_CHANGE_LIMIT}


def test_capped_lockfile_keeps_direct_dependencies() -> None:
    base = _package_lock(300, "1.0.0", direct=("express",))
    head = _package_lock(300, "2.0.0", direct=("express",))
    found = report("package-lock.json", base, head)
    assert found.changes[0].name == "express"


def test_lockfile_under_the_limit_omits_nothing() -> None:
    found = report("package-lock.json", _package_lock(3, "1.0.0"), _package_lock(3, "2.0.0"))
    assert (len(found.changes), dict(found.omitted)) == (3, {})


# --- Go ---------------------------------------------------------------------------------


def test_go_mod_requires_are_read_and_always_pinned() -> None:
    base = """\
        module example.com/app

        go 1.22

        require (
        \tgithub.com/google/uuid v1.5.0
        \tgolang.org/x/sync v0.6.0 // indirect
        )
    """
    head = """\
        module example.com/app

        go 1.22

        require (
        \tgithub.com/google/uuid v1.6.0
        \tgolang.org/x/sync v0.6.0 // indirect
        )

        require github.com/stretchr/testify v1.9.0
    """
    found = changes("go.mod", base, head)
    assert [(c.name, c.old_spec, c.new_spec, c.line, c.unpinned) for c in found] == [
        ("github.com/google/uuid", "v1.5.0", "v1.6.0", 6, False),
        ("github.com/stretchr/testify", None, "v1.9.0", 10, False),
    ]


def test_go_mod_replace_is_reported_for_its_module() -> None:
    head = """\
        module example.com/app

        require github.com/o/lib v1.0.0

        replace github.com/o/lib => github.com/fork/lib v1.0.1
    """
    base = head.partition("replace")[0]
    found = changes("go.mod", base, head)
    assert summary(found) == [("github.com/o/lib", None, "=> github.com/fork/lib v1.0.1")]


def test_go_mod_comment_only_change_reports_nothing() -> None:
    base = "module m\n\nrequire golang.org/x/sync v0.6.0\n"
    head = "module m\n\nrequire golang.org/x/sync v0.6.0 // indirect\n"
    assert changes("go.mod", base, head) == ()


# --- Rust -------------------------------------------------------------------------------


def test_cargo_toml_bare_version_is_a_range_and_equals_pins() -> None:
    head = """\
        [package]
        name = "app"

        [dependencies]
        serde = "1.0"
        tokio = { version = "=1.37.0", features = ["full"] }
    """
    found = changes("Cargo.toml", None, head, status=FileStatus.ADDED)
    assert [(c.name, c.new_spec, c.unpinned, c.line) for c in found] == [
        ("serde", "1.0", True, 5),
        ("tokio", "=1.37.0", False, 6),
    ]


def test_cargo_toml_sources_git_path_and_workspace() -> None:
    head = f"""\
        [dependencies]
        fork = {{ git = "https://github.com/o/fork", branch = "main" }}
        fixed = {{ git = "https://github.com/o/fixed", rev = "{SHA}" }}
        local = {{ path = "../local" }}
        shared = {{ workspace = true }}
    """
    found = changes("Cargo.toml", None, head, status=FileStatus.ADDED)
    assert [(c.name, c.new_spec, c.unpinned) for c in found] == [
        ("fork", "git https://github.com/o/fork@main", True),
        ("fixed", f"git https://github.com/o/fixed@{SHA}", False),
        ("local", "path ../local", False),
        ("shared", "workspace", False),
    ]


def test_cargo_toml_reads_dev_build_target_and_workspace_sections() -> None:
    head = """\
        [workspace.dependencies]
        anyhow = "1"

        [dev-dependencies]
        proptest = "1.4"

        [build-dependencies]
        cc = "1.0"

        [target.'cfg(unix)'.dependencies]
        nix = "0.28"

        [dependencies.regex]
        version = "1.10"
    """
    found = changes("Cargo.toml", None, head, status=FileStatus.ADDED)
    assert [(c.name, c.line) for c in found] == [
        ("regex", 13),
        ("proptest", 5),
        ("cc", 8),
        ("anyhow", 2),
        ("nix", 11),
    ]


def test_cargo_lock_reports_crates_and_skips_workspace_members() -> None:
    base = """\
        version = 3

        [[package]]
        name = "app"
        version = "0.1.0"
        dependencies = [
         "serde",
        ]

        [[package]]
        name = "serde"
        version = "1.0.197"
        source = "registry+https://github.com/rust-lang/crates.io-index"
        checksum = "aaaa"
    """
    head = base.replace("0.1.0", "0.2.0").replace("1.0.197", "1.0.203")
    assert changes("Cargo.lock", base, head) == (
        DependencyChange("Cargo.lock", 11, "cargo", "serde", "1.0.197", "1.0.203", False, True),
    )


# --- Ruby -------------------------------------------------------------------------------


def test_gemfile_exact_version_pins_and_pessimistic_constraint_does_not() -> None:
    base = """\
        source "https://rubygems.org"

        gem "rails", "7.1.3"
    """
    head = """\
        source "https://rubygems.org"

        gem "rails", "7.1.3.4"
        gem 'puma', '~> 6.4', '>= 6.4.2'
        gem "bootsnap", require: false
    """
    found = changes("Gemfile", base, head)
    assert [(c.name, c.old_spec, c.new_spec, c.unpinned, c.line) for c in found] == [
        ("rails", "7.1.3", "7.1.3.4", False, 3),
        ("puma", None, "~> 6.4, >= 6.4.2", True, 4),
        ("bootsnap", None, "", True, 5),
    ]


def test_gemfile_git_source_across_lines_is_unpinned_on_a_branch() -> None:
    head = """\
        gem "devise",
          github: "heartcombo/devise",
          branch: "main"
        gem "pundit", path: "vendor/pundit"
    """
    found = changes("Gemfile", None, head, status=FileStatus.ADDED)
    assert [(c.name, c.new_spec, c.unpinned, c.line) for c in found] == [
        ("devise", "git https://github.com/heartcombo/devise@main", True, 1),
        ("pundit", "path vendor/pundit", False, 4),
    ]


def test_gemfile_lock_lists_direct_gems_first() -> None:
    base = """\
        GEM
          remote: https://rubygems.org/
          specs:
            actionpack (7.1.3)
              rack (>= 2.2.4)
            rack (3.0.9)

        PLATFORMS
          ruby

        DEPENDENCIES
          rack (~> 3.0)

        BUNDLED WITH
           2.5.6
    """
    head = base.replace("7.1.3", "7.1.4").replace("3.0.9", "3.0.10")
    found = changes("Gemfile.lock", base, head)
    assert [(c.name, c.old_spec, c.new_spec, c.line) for c in found] == [
        ("rack", "3.0.9", "3.0.10", 6),
        ("actionpack", "7.1.3", "7.1.4", 4),
    ]


def test_gemspec_dependencies_are_read() -> None:
    head = """\
        Gem::Specification.new do |spec|
          spec.name = "tool"
          spec.add_dependency "thor", "~> 1.3"
          spec.add_development_dependency("rspec", "3.13.0")
        end
    """
    found = changes("tool.gemspec", None, head, status=FileStatus.ADDED)
    assert [(c.name, c.new_spec, c.unpinned) for c in found] == [
        ("thor", "~> 1.3", True),
        ("rspec", "3.13.0", False),
    ]


# --- Java and the JVM -------------------------------------------------------------------

POM = """\
    <?xml version="1.0" encoding="UTF-8"?>
    <project xmlns="http://maven.apache.org/POM/4.0.0">
      <artifactId>app</artifactId>
      <properties>
        <jackson.version>{jackson}</jackson.version>
      </properties>
      <dependencies>
        <dependency>
          <groupId>com.fasterxml.jackson.core</groupId>
          <artifactId>jackson-databind</artifactId>
          <version>${{jackson.version}}</version>
        </dependency>
        {extra}
      </dependencies>
    </project>
"""


def test_pom_property_bump_changes_the_dependency_that_uses_it() -> None:
    base = POM.format(jackson="2.16.1", extra="")
    head = POM.format(jackson="2.17.0", extra="")
    assert changes("pom.xml", base, head) == (
        DependencyChange(
            "pom.xml",
            10,
            "maven",
            "com.fasterxml.jackson.core:jackson-databind",
            "2.16.1",
            "2.17.0",
            False,
            False,
        ),
    )


@pytest.mark.parametrize(
    ("version", "unpinned"),
    [
        ("<version>1.2.3</version>", False),
        ("<version>[1.2.3]</version>", False),
        ("", False),
        ("<version>[1.0,2.0)</version>", True),
        ("<version>LATEST</version>", True),
        ("<version>1.0-SNAPSHOT</version>", True),
    ],
)
def test_pom_unpinned_versions(version: str, unpinned: bool) -> None:
    extra = f"<dependency><groupId>g</groupId><artifactId>a</artifactId>{version}</dependency>"
    base = POM.format(jackson="2.17.0", extra="")
    head = POM.format(jackson="2.17.0", extra=extra)
    (found,) = changes("pom.xml", base, head)
    assert (found.name, found.unpinned) == ("g:a", unpinned)


def test_pom_missing_version_takes_the_managed_one() -> None:
    head = """\
        <project>
          <dependencyManagement>
            <dependencies>
              <dependency><groupId>g</groupId><artifactId>a</artifactId><version>2.0</version></dependency>
            </dependencies>
          </dependencyManagement>
          <dependencies>
            <dependency><groupId>g</groupId><artifactId>a</artifactId></dependency>
          </dependencies>
        </project>
    """
    found = changes("pom.xml", None, head, status=FileStatus.ADDED)
    assert summary(found) == [("g:a", None, "2.0")]


def test_gradle_groovy_and_kotlin_notations_are_read() -> None:
    head = """\
        plugins { id("org.jetbrains.kotlin.jvm") version "1.9.23" }
        repositories { maven { url "https://repo.example.com:8443/maven" } }
        dependencies {
            implementation("com.squareup.okhttp3:okhttp:4.12.0")
            implementation(platform("org.springframework.boot:spring-boot-dependencies:3.2.5"))
            testImplementation 'org.junit.jupiter:junit-jupiter:5.+'
            runtimeOnly group: 'org.postgresql', name: 'postgresql', version: '42.7.3'
            implementation("org.slf4j:slf4j-api")
            implementation(project(":core"))
        }
    """
    found = changes("build.gradle.kts", None, head, status=FileStatus.ADDED)
    assert [(c.name, c.new_spec, c.unpinned, c.line) for c in found] == [
        ("com.squareup.okhttp3:okhttp", "4.12.0", False, 4),
        ("org.springframework.boot:spring-boot-dependencies", "3.2.5", False, 5),
        ("org.junit.jupiter:junit-jupiter", "5.+", True, 6),
        ("org.postgresql:postgresql", "42.7.3", False, 7),
        ("org.slf4j:slf4j-api", "", False, 8),
    ]


def test_version_catalog_resolves_version_references() -> None:
    base = """\
        [versions]
        ktor = "2.3.9"

        [libraries]
        ktor-client = { module = "io.ktor:ktor-client-core", version.ref = "ktor" }
        guava = "com.google.guava:guava:33.1.0-jre"

        [plugins]
        detekt = { id = "io.gitlab.arturbosch.detekt", version = "1.23.6" }
    """
    head = base.replace("2.3.9", "2.3.10")
    found = changes("gradle/libs.versions.toml", base, head)
    assert [(c.name, c.old_spec, c.new_spec, c.line, c.ecosystem) for c in found] == [
        ("io.ktor:ktor-client-core", "2.3.9", "2.3.10", 5, "gradle"),
    ]


def test_gradle_lockfile_reports_resolved_versions() -> None:
    base = "# comment\ncom.google.guava:guava:33.0.0-jre=compileClasspath\nempty=\n"
    head = "# comment\ncom.google.guava:guava:33.1.0-jre=compileClasspath\nempty=\n"
    found = changes("gradle.lockfile", base, head)
    assert [(c.name, c.new_spec, c.line, c.lockfile) for c in found] == [
        ("com.google.guava:guava", "33.1.0-jre", 2, True),
    ]


# --- PHP and .NET -----------------------------------------------------------------------


def test_composer_json_skips_platform_requirements() -> None:
    head = json.dumps(
        {
            "require": {"php": ">=8.2", "ext-json": "*", "monolog/monolog": "^3.5"},
            "require-dev": {"phpunit/phpunit": "11.1.3"},
        }
    )
    found = changes("composer.json", None, head, status=FileStatus.ADDED)
    assert [(c.name, c.unpinned) for c in found] == [
        ("monolog/monolog", True),
        ("phpunit/phpunit", False),
    ]


def test_composer_lock_reports_package_versions() -> None:
    base = json.dumps({"packages": [{"name": "monolog/monolog", "version": "3.5.0"}]})
    head = json.dumps({"packages": [{"name": "monolog/monolog", "version": "3.6.0"}]})
    assert summary(changes("composer.lock", base, head)) == [("monolog/monolog", "3.5.0", "3.6.0")]


def test_csproj_package_references_and_floating_versions() -> None:
    head = """\
        <Project Sdk="Microsoft.NET.Sdk">
          <ItemGroup>
            <PackageReference Include="Newtonsoft.Json" Version="13.0.3" />
            <PackageReference Include="Serilog" Version="3.*" />
            <PackageReference Include="Polly">
              <Version>[8.0,9.0)</Version>
            </PackageReference>
          </ItemGroup>
        </Project>
    """
    found = changes("src/App/App.csproj", None, head, status=FileStatus.ADDED)
    assert [(c.name, c.new_spec, c.unpinned, c.line) for c in found] == [
        ("Newtonsoft.Json", "13.0.3", False, 3),
        ("Serilog", "3.*", True, 4),
        ("Polly", "[8.0,9.0)", True, 5),
    ]


def test_nuget_lock_lists_direct_packages_first_and_skips_projects() -> None:
    def lock(version: str) -> str:
        return json.dumps(
            {
                "version": 1,
                "dependencies": {
                    "net8.0": {
                        "System.Memory": {"type": "Transitive", "resolved": version},
                        "Serilog": {"type": "Direct", "resolved": version},
                        "App.Core": {"type": "Project"},
                    }
                },
            }
        )

    found = changes("packages.lock.json", lock("1.0.0"), lock("1.1.0"))
    assert [c.name for c in found] == ["Serilog", "System.Memory"]


# --- Files as a whole -------------------------------------------------------------------


def test_added_manifest_reports_every_dependency_as_added() -> None:
    found = changes("requirements.txt", None, "a==1\nb==2\n", status=FileStatus.ADDED)
    assert summary(found) == [("a", None, "==1"), ("b", None, "==2")]


def test_removed_manifest_reports_every_dependency_as_removed() -> None:
    found = changes("requirements.txt", "a==1\nb==2\n", None, status=FileStatus.REMOVED)
    assert summary(found) == [("a", "==1", None), ("b", "==2", None)]


def test_renamed_manifest_is_compared_with_its_old_path() -> None:
    found = changes(
        "requirements/base.txt",
        "flask==3.0.0\nrequests==2.31.0\n",
        "flask==3.0.0\nrequests==2.32.3\n",
        status=FileStatus.RENAMED,
        old_path="requirements.txt",
    )
    assert found == (
        DependencyChange(
            "requirements/base.txt", 2, "pypi", "requests", "==2.31.0", "==2.32.3", False, False
        ),
    )


def test_manifest_renamed_to_another_name_loses_its_dependencies() -> None:
    found = changes(
        "requirements.txt.bak",
        "flask==3.0.0\n",
        "flask==3.0.0\n",
        status=FileStatus.RENAMED,
        old_path="requirements.txt",
    )
    assert summary(found) == [("flask", "==3.0.0", None)]


def test_copied_manifest_reports_its_dependencies_as_added() -> None:
    changed = ChangedFile(
        path="services/b/package.json",
        status=FileStatus.COPIED,
        old_path="services/a/package.json",
    )
    manifest = '{"dependencies": {"express": "4.19.2"}}'
    found = dependency_changes(
        [changed],
        {"services/a/package.json": manifest},
        {"services/b/package.json": manifest},
    )
    assert summary(found) == [("express", None, "4.19.2")]


@pytest.mark.parametrize(
    ("path", "base", "head"),
    [
        ("package.json", '{"dependencies": {}}', '{"dependencies": {"react": '),
        ("pyproject.toml", "[project]\n", "[project\ndependencies = ["),
        ("Cargo.toml", "[dependencies]\n", '[dependencies]\nserde = "1"\nserde = "2"\n'),
        ("setup.cfg", "[options]\n", "install_requires = click\n"),
        ("pom.xml", "<project/>", "<project><dependencies></project>"),
        ("pom.xml", "<project/>", '<!DOCTYPE p [<!ENTITY v "1.0">]><project>&v;</project>'),
    ],
)
def test_malformed_manifest_reports_nothing_and_is_listed(path: str, base: str, head: str) -> None:
    found = report(path, base, head)
    assert (found.changes, found.unparsable) == ((), (path,))


def test_malformed_base_also_reports_nothing() -> None:
    found = report("package.json", "{", '{"dependencies": {"react": "18.3.1"}}')
    assert (found.changes, found.unparsable) == ((), ("package.json",))


SPACES = " " * 50_000


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("requirements.txt", f"pkg @ https://x/pkg-1.0.whl{SPACES}x\npkg2{SPACES}--x\n"),
        ("Gemfile", f"gem{SPACES}x\ngem 'a'{SPACES}x\n"),
        ("a.gemspec", f"s.add_dependency{SPACES}x\n"),
        ("build.gradle", f"implementation{SPACES}x\nimplementation{SPACES}group\n"),
        ("pom.xml", "<project><version>" + "${" * 50_000 + "</version></project>"),
    ],
)
def test_hostile_whitespace_runs_are_parsed_in_linear_time(path: str, text: str) -> None:
    # A pull request controls these texts; a backtracking regex would take minutes here.
    started = time.perf_counter()
    report(path, "", text, status=FileStatus.ADDED)
    assert time.perf_counter() - started < 2.0


def test_manifest_without_fetched_text_reports_nothing_and_is_listed() -> None:
    changed = ChangedFile(path="package.json", status=FileStatus.MODIFIED)
    found = dependency_report([changed], {}, {"package.json": '{"dependencies": {"a": "1"}}'})
    assert (found.changes, found.unfetched) == ((), ("package.json",))


def test_non_manifest_and_binary_files_are_ignored() -> None:
    files = [
        ChangedFile(path="src/app.py", status=FileStatus.MODIFIED),
        ChangedFile(path="package.json", status=FileStatus.MODIFIED, binary=True),
    ]
    assert dependency_report(files, {}, {}) == DependencyReport()


def test_changes_keep_the_order_of_the_files() -> None:
    files = [
        ChangedFile(path="web/package.json", status=FileStatus.ADDED),
        ChangedFile(path="go.mod", status=FileStatus.ADDED),
    ]
    head_texts = {
        "web/package.json": '{"dependencies": {"react": "18.3.1"}}',
        "go.mod": "module m\n\nrequire golang.org/x/sync v0.7.0\n",
    }
    found = dependency_changes(files, {}, head_texts)
    assert [(c.path, c.ecosystem) for c in found] == [("web/package.json", "npm"), ("go.mod", "go")]
