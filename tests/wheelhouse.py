"""Clean virtual environments installed from a lock, offline, for the packaging tests.

`.ci/run` downloads the wheels of requirements/app.txt (hash-checked) into `.wheelhouse/`; a
test installs a lock from there with the index switched off, so it sees exactly what a user's
`pip install` of that lock gets, and never reaches the network. Locally: run the same
`pip download` line from .ci/run once, or these tests skip (under CI=true they fail).
"""

from __future__ import annotations

import os
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WHEELHOUSE = ROOT / ".wheelhouse"


def wheelhouse() -> Path:
    """The downloaded wheels; skip the test (fail under CI) when they are not there."""
    if WHEELHOUSE.is_dir() and any(WHEELHOUSE.glob("*.whl")):
        return WHEELHOUSE
    how = "python3 -m pip download --require-hashes -r requirements/app.txt -d .wheelhouse"
    if os.environ.get("CI"):
        pytest.fail(f"{WHEELHOUSE} is empty; .ci/run fills it with: {how}")
    pytest.skip(f"no wheelhouse for offline installs; run once: {how}")


def offline_env() -> dict[str, str]:
    """pip settings that install only from the wheelhouse, whatever the user's pip.conf says."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheelhouse()),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_CACHE_DIR="1",
    )
    return env


def clean_venv(directory: Path, lock: str) -> Path:
    """A new venv in `directory` with `requirements/<lock>` installed hash-checked, offline.
    Returns its bin/ folder."""
    venv.EnvBuilder(with_pip=True, clear=True).create(directory)
    bin_dir = directory / "bin"
    run_pip(bin_dir, "install", "--require-hashes", "-r", str(ROOT / "requirements" / lock))
    return bin_dir


def run_pip(bin_dir: Path, *args: str) -> None:
    done = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "--quiet", *args],
        env=offline_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"pip {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
