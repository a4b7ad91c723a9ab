"""ruff and mypy (strict on bot/) are part of the test suite, so CI cannot skip them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_reports_nothing() -> None:
    done = _run("ruff", "check", "--no-cache", ".")

    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_is_clean() -> None:
    done = _run("ruff", "format", "--check", "--no-cache", ".")

    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict_on_bot_reports_nothing() -> None:
    done = _run("mypy")

    assert done.returncode == 0, done.stdout + done.stderr
