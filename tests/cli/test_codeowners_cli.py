"""`owners: codeowners` on real git repositories: `analyze` reads CODEOWNERS from the base of
the range (never the branch's), and `check-config` says what it resolves to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.local.pull_range import BASE_BRANCH_VARIABLES, HEAD_BRANCH_VARIABLES
from tests.conftest import CLAUDE, CliResult, Repo

Cli = Callable[..., CliResult]

CONFIG = """\
risk:
  critical_paths:
    - name: payments
      paths: ["payments/**"]
      owners: codeowners
"""

CODEOWNERS = """\
# Payments are the payments team's; the legacy module is frozen and has no owner.
*                  @acme/everyone
/payments/         @acme/payments @alice
/payments/legacy/
"""


@pytest.fixture(autouse=True)
def _outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (*HEAD_BRANCH_VARIABLES, *BASE_BRANCH_VARIABLES):
        monkeypatch.delenv(variable, raising=False)


def _owners(cli: Cli, repo: Repo) -> list[dict[str, Any]]:
    result = cli("analyze", "--repo", str(repo.path), "--format", "json")
    assert result.code == 0, result.err
    approvals: dict[str, Any] = result.json()["approvals"]  # type: ignore[assignment]
    owners: list[dict[str, Any]] = approvals.get("owners", [])
    return owners


def test_analyze_asks_each_files_owners_from_the_base_branchs_codeowners(
    repo: Repo, cli: Cli
) -> None:
    repo.commit("Config", {".github/ai-review.yml": CONFIG, ".github/CODEOWNERS": CODEOWNERS})
    repo.branch("feature/refunds")
    repo.commit(
        "Refunds",
        {
            "payments/refund.py": "def refund(amount):\n    return amount\n",
            "payments/legacy/gateway.py": "def charge(amount):\n    return amount\n",
            # The author makes themselves the owner of everything: the head's CODEOWNERS.
            ".github/CODEOWNERS": "* @mallory\n",
        },
        trailers=(CLAUDE,),
    )

    assert _owners(cli, repo) == [
        {
            "area": "payments: payments/legacy/gateway.py",
            "from": [],
            "paths": ["payments/legacy/gateway.py"],
            "none_because": ".github/CODEOWNERS line 4 (`/payments/legacy/`) gives it no owner",
        },
        {
            "area": "payments: payments/refund.py",
            "from": ["@acme/payments", "alice"],
            "paths": ["payments/refund.py"],
        },
    ]


def test_github_dot_folder_codeowners_comes_before_the_roots(repo: Repo, cli: Cli) -> None:
    repo.commit(
        "Config",
        {
            ".github/ai-review.yml": CONFIG,
            ".github/CODEOWNERS": "/payments/ @acme/payments\n",
            "CODEOWNERS": "/payments/ @someone-else\n",
            "docs/CODEOWNERS": "/payments/ @nobody\n",
        },
    )
    repo.branch("feature/fee")
    repo.commit("Fee", {"payments/fee.py": "FEE = 3\n"}, trailers=(CLAUDE,))

    assert [rule["from"] for rule in _owners(cli, repo)] == [["@acme/payments"]]


def test_no_codeowners_on_the_base_fails_closed_and_says_where_it_looked(
    repo: Repo, cli: Cli
) -> None:
    repo.commit("Config", {".github/ai-review.yml": CONFIG})
    repo.branch("feature/fee")
    repo.commit(
        "Fee", {"payments/fee.py": "FEE = 3\n", "CODEOWNERS": "* @mallory\n"}, trailers=(CLAUDE,)
    )

    [rule] = _owners(cli, repo)

    assert rule["from"] == []
    assert rule["none_because"] == (
        "no CODEOWNERS file on the base branch (GitHub looks for .github/CODEOWNERS, "
        "CODEOWNERS, docs/CODEOWNERS, in that order)"
    )


def test_check_config_says_whom_each_file_of_the_path_waits_for(repo: Repo, cli: Cli) -> None:
    repo.commit(
        "Config",
        {
            ".github/ai-review.yml": CONFIG,
            ".github/CODEOWNERS": CODEOWNERS + "!payments/refund.py @bob\n",
            "payments/refund.py": "x = 1\n",
            "payments/api.py": "x = 1\n",
            "payments/legacy/gateway.py": "x = 1\n",
            "payments/tests/test_refund.py": "x = 1\n",
        },
    )
    config = str(repo.path / ".github" / "ai-review.yml")

    result = cli("check-config", config, "--repo", str(repo.path))

    assert result.code == 0, result.out
    assert result.out.splitlines() == [
        f"{config}: valid",
        "critical path 'payments': owners from .github/CODEOWNERS",
        "  @acme/payments, @alice, by line 3 (`/payments/`): payments/api.py, payments/refund.py",
        "  no owner: payments/legacy/gateway.py",
        "warning: .github/CODEOWNERS:5:1: negation (`!`) does not work in CODEOWNERS; GitHub "
        "skips this line",
        "warning: critical path 'payments': 1 file(s) with no owner to approve them "
        "(.github/CODEOWNERS line 4 (`/payments/legacy/`) gives it no owner), so a change to "
        "them cannot pass: payments/legacy/gateway.py",
    ]


def test_check_config_without_codeowners_warns_that_the_path_cannot_pass(
    repo: Repo, cli: Cli
) -> None:
    repo.commit("Config", {".github/ai-review.yml": CONFIG})

    result = cli("check-config", str(repo.path / ".github/ai-review.yml"), "--repo", str(repo.path))

    assert result.code == 0
    assert result.out.splitlines()[1:] == [
        "warning: critical path 'payments': every file it touches waits for an owner nobody can "
        "be: no CODEOWNERS file on the base branch (GitHub looks for .github/CODEOWNERS, "
        "CODEOWNERS, docs/CODEOWNERS, in that order)"
    ]


def test_a_misspelt_codeowners_is_an_error_with_the_word_it_meant(repo: Repo, cli: Cli) -> None:
    config = repo.path / "ai-review.yml"
    config.write_text(CONFIG.replace("owners: codeowners", "owners: codeowner"))

    result = cli("check-config", str(config), "--repo", str(repo.path))

    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"{config}:5:15: risk.critical_paths[0].owners: expected a list of strings or "
        "'codeowners', got a string; did you mean 'codeowners'?"
    )


def test_files_owned_alike_share_one_approval(repo: Repo, cli: Cli) -> None:
    repo.commit("Config", {".github/ai-review.yml": CONFIG, ".github/CODEOWNERS": CODEOWNERS})
    repo.branch("feature/fees")
    repo.commit(
        "Fees",
        {"payments/fee.py": "FEE = 3\n", "payments/tax.py": "TAX = 20\n"},
        trailers=(CLAUDE,),
    )

    assert _owners(cli, repo) == [
        {
            "area": "payments: payments/fee.py and 1 more",
            "from": ["@acme/payments", "alice"],
            "paths": ["payments/fee.py", "payments/tax.py"],
        }
    ]
