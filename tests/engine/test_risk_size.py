"""The size signal and the default weights, as docs/risk.md "Does the score predict defects"
measured them: size is production code written, by orders of magnitude."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.conftest import CLAUDE, CliResult, Repo

Cli = Callable[..., CliResult]


TESTS = "".join(f"def test_{n}():\n    assert {n}\n" for n in range(100))


def _code(count: int, prefix: str = "value") -> str:
    return "".join(f"{prefix}_{n} = {n}\n" for n in range(count))


def _analyze(repo: Repo, cli: Cli) -> dict[str, Any]:
    result = cli("analyze", "--repo", str(repo.path), "--format", "json")
    assert result.code == 0, result.err
    report: dict[str, Any] = result.json()
    return report


def _signal(report: dict[str, Any], signal_id: str) -> dict[str, Any]:
    return next(s for s in report["risk"]["signals"] if s["id"] == signal_id)


def test_size_points_grow_with_the_order_of_magnitude_of_code_written(repo: Repo, cli: Cli) -> None:
    points = {}
    for count in (10, 100):
        repo.checkout("main")
        repo.branch(f"feature/code-{count}")
        repo.commit(f"Add {count} lines", {f"app/values_{count}.py": _code(count)})
        points[count] = _signal(_analyze(repo, cli), "size")["score"]

    # 60 x log(1 + lines) / log(1 + 1000): a third of the weight for 10 lines, two thirds for 100.
    assert points == {10: 21, 100: 40}


def test_tests_and_docs_are_not_size(repo: Repo, cli: Cli) -> None:
    repo.branch("feature/docs-and-tests")
    repo.commit(
        "Document and test",
        {
            "docs/guide.md": "".join(f"Step {n}: do thing {n}.\n" for n in range(300)),
            "tests/test_values.py": TESTS,
        },
    )

    size = _signal(_analyze(repo, cli), "size")

    assert size["score"] == 0
    assert size["detail"] == "0 code lines written in 0 files (500 lines changed in 2 files)"


def test_moved_code_is_not_size(repo: Repo, cli: Cli) -> None:
    repo.commit("Base", {"app/old.py": _code(200)})
    repo.branch("feature/move")
    repo.commit("Move", {"app/new.py": _code(200)}, delete=("app/old.py",))

    size = _signal(_analyze(repo, cli), "size")

    assert size["score"] == 0
    assert size["detail"].startswith("0 code lines written")


def test_a_thousand_code_lines_alone_make_a_change_high(repo: Repo, cli: Cli) -> None:
    repo.branch("feature/big")
    repo.commit("Big", {"app/big.py": _code(1000)})

    report = _analyze(repo, cli)

    assert _signal(report, "size")["score"] == 60
    assert report["ai"]["assisted"] is False
    assert report["risk"]["level"] == "high"


def test_a_small_agent_change_needs_no_senior_and_a_larger_one_does(repo: Repo, cli: Cli) -> None:
    repo.branch("feature/small")
    repo.commit("Small", {"app/small.py": _code(3)}, trailers=(CLAUDE,))
    small = _analyze(repo, cli)
    repo.commit("Larger", {"app/larger.py": _code(40, "more")}, trailers=(CLAUDE,))
    larger = _analyze(repo, cli)

    # 10 points for the agent, 12 for 3 lines; 10 and 33 for 43 lines, plus untested code.
    assert (small["risk"]["level"], small["approvals"]["required"]) == ("low", 0)
    assert (larger["risk"]["level"], larger["approvals"]["required"]) == ("medium", 1)
