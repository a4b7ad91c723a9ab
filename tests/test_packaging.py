"""The distribution: what `python -m build` makes, and that it works installed on its own.

The sdist and the wheel are built from this checkout, checked by twine, and the wheel is
installed into a clean venv with only `requirements/analyze.txt` (what `pip install
ai-review-bot` gives), offline from the wheelhouse (tests/wheelhouse.py). There it must run
`analyze`, `check-config` and `schema` on a real repository, with the built-in checklists and
data files from the wheel, not from this checkout.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest

from tests.conftest import CLAUDE, Repo
from tests.wheelhouse import ROOT, clean_venv, offline_env, run_pip

CHECKLISTS = sorted(path.name for path in (ROOT / "checklists").glob("*.yml"))
DATA_FILES = sorted(path.name for path in (ROOT / "bot" / "data").glob("*.yml"))


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An sdist and a wheel built from this checkout, without the network (the build backend
    comes from the test lock: --no-isolation)."""
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return out


def only(directory: Path, pattern: str) -> Path:
    found = sorted(directory.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def test_twine_accepts_the_sdist_and_the_wheel(dist: Path) -> None:
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, sorted(dist.iterdir()))],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("PASSED") == 2


def test_the_wheel_holds_the_code_the_data_the_checklists_and_the_license(dist: Path) -> None:
    with zipfile.ZipFile(only(dist, "*.whl")) as wheel:
        names = set(wheel.namelist())
        metadata = HeaderParser().parsestr(
            wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        )
    assert {f"bot/checklists/{name}" for name in CHECKLISTS} <= names
    assert {f"bot/data/{name}" for name in DATA_FILES} <= names
    assert any(re.fullmatch(r"[^/]+\.dist-info/licenses/LICENSE", name) for name in names)
    assert "bot/cli.py" in names
    assert not any(name.startswith(("tests/", "bench/")) for name in names)

    assert metadata["Name"] == "ai-review-bot"
    assert metadata["License-Expression"] == "MIT"
    assert metadata["Requires-Python"] == ">=3.11"
    urls = {value.split(",")[0] for value in metadata.get_all("Project-URL") or []}
    assert {"Homepage", "Source", "Issues"} <= urls
    classifiers = metadata.get_all("Classifier") or []
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert metadata.get_all("Provides-Extra") == ["app", "bench", "test"]
    # pyproject's ranges, bounded above, not the lock's pins
    requires = metadata.get_all("Requires-Dist") or []
    assert "pyyaml<7,>=6.0.1" in [r.lower() for r in requires]


def test_the_sdist_holds_what_the_wheel_is_built_from(dist: Path) -> None:
    # `python -m build` builds the wheel from the sdist, so the wheel test covers its contents;
    # bot/checklists is a symlink to checklists/ in the repository and a folder in the sdist.
    with tarfile.open(only(dist, "*.tar.gz")) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {f"bot/checklists/{name}" for name in CHECKLISTS} <= names
    assert {f"bot/data/{name}" for name in DATA_FILES} <= names
    assert {"LICENSE", "README.md", "pyproject.toml"} <= names


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bin/ of a clean venv holding the analyze lock and the built wheel, nothing else."""
    bin_dir = clean_venv(tmp_path_factory.mktemp("venv"), "analyze.txt")
    run_pip(bin_dir, "install", "--no-deps", str(only(dist, "*.whl")))
    return bin_dir


def run(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # Outside this checkout, so nothing can be imported from it by accident.
    env = {**offline_env(), "NO_COLOR": "1"}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [str(bin_dir / "ai-review-bot"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    return workdir


def test_the_installed_package_is_the_wheel_not_this_checkout(installed: Path) -> None:
    where = subprocess.run(
        [str(installed / "python"), "-c", "import bot; print(bot.__file__)"],
        cwd=installed,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(installed.parent)


def test_version_is_the_package_version(installed: Path, outside: Path) -> None:
    done = run(installed, "--version", cwd=outside)
    assert (done.returncode, done.stdout) == (0, "ai-review-bot 0.1.0\n")


def test_installed_analyze_reviews_a_real_repository(installed: Path, repo: Repo) -> None:
    base = repo.sha("HEAD")
    repo.branch("feature")
    repo.commit(
        "Add login",
        {
            "auth/login.py": (
                "def find(db, name):\n"
                "    return db.execute(f\"SELECT * FROM users WHERE name = '{name}'\")\n"
            )
        },
        trailers=(CLAUDE,),
    )

    done = run(installed, "analyze", "--base", base, "--format", "json", cwd=repo.path)

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ai"]["assisted"] is True
    assert result["risk"]["level"] in {"high", "critical"}
    signals = {signal["id"]: signal["score"] for signal in result["risk"]["signals"]}
    assert signals["critical_paths"] > 0
    assert signals["patterns"] > 0
    # the built-in checklists came with the wheel
    items = {item["id"] for group in result["checklist"] for item in group["items"]}
    assert "sql-params" in items


def test_installed_check_config_validates_and_reports(installed: Path, outside: Path) -> None:
    (outside / "good.yml").write_text("approvals:\n  required: {high: 2}\n")
    (outside / "bad.yml").write_text("risk:\n  weights:\n    ai_shar: 3\n")

    good = run(installed, "check-config", "good.yml", cwd=outside)
    bad = run(installed, "check-config", "bad.yml", cwd=outside)

    assert (good.returncode, good.stdout) == (0, "good.yml: valid\n")
    assert bad.returncode == 1
    assert bad.stdout.startswith(
        "bad.yml:3:5: risk.weights.ai_shar: unknown key 'ai_shar'; did you mean 'ai_share'?\n"
    )


def test_installed_schema_is_the_checkouts_schema(installed: Path, outside: Path) -> None:
    done = run(installed, "schema", cwd=outside)
    here = subprocess.run(
        [sys.executable, "-m", "bot.cli", "schema"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0
    assert json.loads(done.stdout) == json.loads(here.stdout)


def test_without_the_app_extra_serve_says_what_to_install(installed: Path, outside: Path) -> None:
    done = run(installed, "serve", cwd=outside)

    assert done.returncode == 2
    assert done.stderr.startswith("ai-review-bot: error: the App's server needs aiohttp")
    assert "pip install 'ai-review-bot[app]'" in done.stderr
    assert done.stderr.count("\n") == 1
