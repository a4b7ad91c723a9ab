"""The locks in requirements/ agree with pyproject.toml, with each other, and with this venv.

`requirements/compile` writes them; these tests fail when someone edits pyproject's
dependencies without recompiling, edits a lock by hand, or installs the tests unlocked.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = canonicalize_name(PYPROJECT["project"]["name"])
BUILD_INPUT = "-r requirements/pyproject-build-system.in"
CONSTRAINT = "-c requirements/test.txt"

# Each lock and the extras it is compiled with (requirements/compile).
LOCKS = {
    "analyze.txt": (),
    "app.txt": ("app",),
    "bench.txt": ("bench",),
    "test.txt": ("app", "test"),
}


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    marker: Marker | None
    hashes: frozenset[str]
    via: frozenset[str]


_PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)(?: ; (?P<marker>.+?))? \\$"
)


def read_lock(name: str) -> dict[str, Pin]:
    pins: dict[str, Pin] = {}
    current: dict[str, object] | None = None

    def close() -> None:
        if current is not None:
            pin = Pin(
                name=str(current["name"]),
                version=str(current["version"]),
                marker=current["marker"],  # type: ignore[arg-type]
                hashes=frozenset(current["hashes"]),  # type: ignore[arg-type]
                via=frozenset(current["via"]),  # type: ignore[arg-type]
            )
            assert pin.name not in pins, f"{name}: {pin.name} pinned twice"
            pins[pin.name] = pin

    for number, line in enumerate((ROOT / "requirements" / name).read_text().splitlines(), 1):
        if not line or (line.startswith("#") and not line.startswith("    ")):
            continue
        if match := _PIN.match(line):
            close()
            marker = match["marker"]
            current = {
                "name": canonicalize_name(match["name"]),
                "version": match["version"],
                "marker": Marker(marker) if marker else None,
                "hashes": [],
                "via": [],
            }
            continue
        assert current is not None, f"{name}:{number}: not a pin: {line!r}"
        stripped = line.strip()
        if stripped.startswith("--hash=sha256:"):
            digest = stripped.removeprefix("--hash=sha256:").removesuffix(" \\")
            assert re.fullmatch(r"[0-9a-f]{64}", digest), f"{name}:{number}: {line!r}"
            current["hashes"].append(digest)  # type: ignore[union-attr]
        elif stripped.startswith("# via "):
            current["via"].extend(  # type: ignore[union-attr]
                part.strip() for part in stripped.removeprefix("# via ").split(",")
            )
        else:
            pytest.fail(f"{name}:{number}: unexpected line {line!r}")
    close()
    return pins


def roots(extras: tuple[str, ...]) -> list[Requirement]:
    """What pyproject asks for in a lock compiled with these extras (the project itself aside)."""
    texts = list(PYPROJECT["build-system"]["requires"]) + list(PYPROJECT["project"]["dependencies"])
    for extra in extras:
        texts += PYPROJECT["project"]["optional-dependencies"][extra]
    requirements = [Requirement(text) for text in texts]
    return [req for req in requirements if canonicalize_name(req.name) != PROJECT]


def origin(via: str) -> str:
    """A `# via` entry as a package name, or the project / build-system input it names."""
    if via == BUILD_INPUT or via.startswith(f"{PYPROJECT['project']['name']} ("):
        return "<pyproject>"
    return canonicalize_name(via)


@pytest.mark.parametrize("lock", LOCKS)
def test_every_pin_is_exact_and_hashed(lock: str) -> None:
    pins = read_lock(lock)
    assert pins, f"{lock} pins nothing"
    for pin in pins.values():
        Version(pin.version)  # an exact, valid version
        assert pin.hashes, f"{lock}: {pin.name} has no hash"
        assert pin.via, f"{lock}: {pin.name} does not say what needs it"


@pytest.mark.parametrize("lock", LOCKS)
def test_the_lock_pins_every_requirement_of_pyproject_in_its_range(lock: str) -> None:
    pins = read_lock(lock)
    for requirement in roots(LOCKS[lock]):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{lock} lacks {requirement}: run requirements/compile"
        assert requirement.specifier.contains(pins[name].version, prereleases=True), (
            f"{lock} pins {name}=={pins[name].version}, outside pyproject's "
            f"{requirement.specifier}: run requirements/compile"
        )


@pytest.mark.parametrize("lock", LOCKS)
def test_the_lock_holds_nothing_pyproject_no_longer_needs(lock: str) -> None:
    pins = read_lock(lock)
    wanted = {canonicalize_name(req.name) for req in roots(LOCKS[lock])}
    for pin in pins.values():
        origins = {origin(via) for via in pin.via if via != CONSTRAINT}
        assert origins, f"{lock}: {pin.name} is needed by nothing"
        for parent in origins - {"<pyproject>"}:
            assert parent in pins, f"{lock}: {pin.name} is needed by {parent}, not in the lock"
        if "<pyproject>" in origins:
            assert pin.name in wanted, (
                f"{lock}: {pin.name} is pinned for pyproject, which no longer asks for it: "
                "run requirements/compile"
            )


@pytest.mark.parametrize(
    ("smaller", "larger"), [("analyze.txt", "app.txt"), ("app.txt", "test.txt")]
)
def test_what_users_install_is_what_ci_tested(smaller: str, larger: str) -> None:
    small, large = read_lock(smaller), read_lock(larger)
    for name, pin in small.items():
        assert name in large, f"{smaller} pins {name}, which {larger} lacks"
        assert (pin.version, pin.hashes) == (large[name].version, large[name].hashes), (
            f"{smaller} and {larger} disagree on {name}: run requirements/compile"
        )


def test_this_environment_was_installed_from_the_test_lock() -> None:
    # The README's test command and .ci/run install requirements/test.txt with --require-hashes;
    # a venv installed any other way tests versions no user gets.
    drift = []
    for pin in read_lock("test.txt").values():
        if pin.marker is not None and not pin.marker.evaluate():
            continue
        try:
            installed = metadata.version(pin.name)
        except metadata.PackageNotFoundError:
            drift.append(f"{pin.name} is missing (lock: {pin.version})")
            continue
        if Version(installed) != Version(pin.version):
            drift.append(f"{pin.name} {installed} (lock: {pin.version})")
    assert not drift, "installed from something else than requirements/test.txt: " + "; ".join(
        drift
    )
