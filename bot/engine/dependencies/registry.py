"""Which file is which: the manifest format of a path, by its name, extension or folder."""

from __future__ import annotations

from collections.abc import Callable

from bot.engine.dependencies import cargo, dotnet, go, jvm, npm, php, python_locks, ruby
from bot.engine.dependencies.model import ManifestFormat
from bot.engine.dependencies.python_projects import parse_pipfile, parse_pyproject
from bot.engine.dependencies.python_requirements import REQUIREMENTS, parse_setup_cfg

_MSBUILD = ManifestFormat("nuget", False, dotnet.parse_msbuild)
_PYLOCK = ManifestFormat("pypi", True, python_locks.parse_pylock)
_BY_NAME: dict[str, ManifestFormat] = {
    "pyproject.toml": ManifestFormat("pypi", False, parse_pyproject),
    "Pipfile": ManifestFormat("pypi", False, parse_pipfile),
    "setup.cfg": ManifestFormat("pypi", False, parse_setup_cfg),
    "poetry.lock": ManifestFormat("pypi", True, python_locks.parse_poetry_lock),
    "uv.lock": ManifestFormat("pypi", True, python_locks.parse_uv_lock),
    "pylock.toml": _PYLOCK,
    "Pipfile.lock": ManifestFormat("pypi", True, python_locks.parse_pipfile_lock),
    "package.json": ManifestFormat("npm", False, npm.parse_package_json),
    "package-lock.json": ManifestFormat("npm", True, npm.parse_package_lock),
    "npm-shrinkwrap.json": ManifestFormat("npm", True, npm.parse_package_lock),
    "yarn.lock": ManifestFormat("npm", True, npm.parse_yarn_lock),
    "pnpm-lock.yaml": ManifestFormat("npm", True, npm.parse_pnpm_lock),
    "go.mod": ManifestFormat("go", False, go.parse_go_mod),
    "Cargo.toml": ManifestFormat("cargo", False, cargo.parse_cargo_toml),
    "Cargo.lock": ManifestFormat("cargo", True, cargo.parse_cargo_lock),
    "Gemfile": ManifestFormat("rubygems", False, ruby.parse_gemfile),
    "gems.rb": ManifestFormat("rubygems", False, ruby.parse_gemfile),
    "Gemfile.lock": ManifestFormat("rubygems", True, ruby.parse_gemfile_lock),
    "gems.locked": ManifestFormat("rubygems", True, ruby.parse_gemfile_lock),
    "pom.xml": ManifestFormat("maven", False, jvm.parse_pom),
    "build.gradle": ManifestFormat("gradle", False, jvm.parse_gradle),
    "build.gradle.kts": ManifestFormat("gradle", False, jvm.parse_gradle),
    "composer.json": ManifestFormat("composer", False, php.parse_composer_json),
    "composer.lock": ManifestFormat("composer", True, php.parse_composer_lock),
    "Directory.Packages.props": _MSBUILD,
    "Directory.Build.props": _MSBUILD,
    "packages.config": ManifestFormat("nuget", False, dotnet.parse_packages_config),
    "packages.lock.json": ManifestFormat("nuget", True, dotnet.parse_nuget_lock),
}
_BY_EXTENSION: dict[str, ManifestFormat] = {
    "gemspec": ManifestFormat("rubygems", False, ruby.parse_gemspec),
    "csproj": _MSBUILD,
    "fsproj": _MSBUILD,
    "vbproj": _MSBUILD,
}


def _is_requirements(folders: list[str], stem: str, extension: str) -> bool:
    # requirements*.txt, dev-requirements.in, constraints.txt, requirements/base.txt; not
    # MANIFEST.in or Makefile.in.
    return extension in ("txt", "in") and (
        "requirements" in stem or stem.startswith("constraints") or "requirements" in folders
    )


def _is_version_catalog(folders: list[str], stem: str, extension: str) -> bool:
    return extension == "toml" and stem.endswith(".versions")  # gradle/libs.versions.toml


def _is_gradle_lockfile(folders: list[str], stem: str, extension: str) -> bool:
    return f"{stem}.{extension}".endswith("gradle.lockfile") or (
        extension == "lockfile" and "dependency-locks" in folders
    )


def _is_pylock(folders: list[str], stem: str, extension: str) -> bool:
    return extension == "toml" and stem.startswith("pylock.")  # PEP 751 named lockfiles


_BY_PATTERN: tuple[tuple[Callable[[list[str], str, str], bool], ManifestFormat], ...] = (
    (_is_requirements, REQUIREMENTS),
    (_is_version_catalog, ManifestFormat("gradle", False, jvm.parse_version_catalog)),
    (_is_gradle_lockfile, ManifestFormat("gradle", True, jvm.parse_gradle_lockfile)),
    (_is_pylock, _PYLOCK),
)


def format_of(path: str) -> ManifestFormat | None:
    """The format of the manifest or lockfile at `path`; None when it is neither."""
    folders, _, name = path.rpartition("/")
    folder_names = folders.split("/") if folders else []
    if "node_modules" in folder_names:  # vendored packages' manifests are not the project's
        return None
    if name in _BY_NAME:
        return _BY_NAME[name]
    stem, _, extension = name.rpartition(".")
    if extension in _BY_EXTENSION:
        return _BY_EXTENSION[extension]
    return next((fmt for test, fmt in _BY_PATTERN if test(folder_names, stem, extension)), None)


def is_manifest(path: str) -> bool:
    """Whether `path` is a manifest or lockfile this package reads (so adapters fetch its texts).

    Adapters should ask for both sides of a rename: the old path may be a manifest when the
    new one is not.
    """
    return format_of(path) is not None
