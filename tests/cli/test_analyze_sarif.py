"""`analyze --format sarif` is SARIF 2.1.0 that GitHub code scanning takes.

Validated against the published SARIF 2.1.0 JSON schema (sarif-2.1.0-rtm.5, the schema
SchemaStore serves for `$schema` https://json.schemastore.org/sarif-2.1.0.json), pinned with its
integrity hash in tests/conformance/package-lock.json (npm @microsoft/jest-sarif ships it) and
checked here by its sha256; never fetched at test time. Then the rules GitHub's upload applies
beyond the schema: one run, rule ids and indexes that resolve, relative URIs, line numbers,
numeric security severities, unique fingerprints.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from jsonschema import Draft4Validator, FormatChecker

from bot.local.pull_range import BASE_BRANCH_VARIABLES, HEAD_BRANCH_VARIABLES
from tests.conformance import specs
from tests.conftest import CLAUDE, CliResult, Repo

Cli = Callable[..., CliResult]

SCHEMA = (
    specs.HERE
    / "node_modules"
    / "@microsoft"
    / "jest-sarif"
    / "lib"
    / "schemas"
    / "sarif-2.1.0-rtm.5.json"
)
SCHEMA_SHA256 = "2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8"

RISKY = {
    "app/run.py": "import os\n\n\ndef run(name):\n    os.system('ls ' + name)\n",
    "app/odd name#1.py": "import os\n\n\ndef go(arg):\n    os.system('rm ' + arg)\n",
    "tests/test_run.py": "import os\n\n\ndef test_run():\n    os.system('ls ' + 'x')\n",
    "requirements.txt": "flask==3.0.0\nrequests>=2\n",
}


@pytest.fixture(autouse=True)
def _outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (*HEAD_BRANCH_VARIABLES, *BASE_BRANCH_VARIABLES):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    if not SCHEMA.is_file():
        message = f"the SARIF 2.1.0 schema is not installed ({SCHEMA}); run: {specs.INSTALL}"
        if specs.in_ci():
            pytest.fail(message)
        pytest.skip(message)
    raw = SCHEMA.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256, "not the pinned SARIF schema"
    schema = json.loads(raw)
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=FormatChecker())


def _sarif(repo: Repo, cli: Cli, *args: str) -> dict[str, Any]:
    result = cli("analyze", "--repo", str(repo.path), "--format", "sarif", *args)
    assert result.code == 0, result.err
    return result.json()


def _github_accepts(log: dict[str, Any]) -> None:
    """What code scanning's upload checks beyond the schema, and what its alerts rely on."""
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len({rule["id"] for rule in rules}) == len(rules)
    for rule in rules:
        assert rule["shortDescription"]["text"]
        assert rule["help"]["text"]
        tags = rule["properties"]["tags"]
        assert len(set(tags)) == len(tags)
        if "security" in tags:
            assert 0.0 <= float(rule["properties"]["security-severity"]) <= 10.0
            assert any(tag.startswith("external/cwe/cwe-") for tag in tags)
    fingerprints = set()
    assert len(run["results"]) <= 25_000
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"]
        [location] = result["locations"]
        physical = location["physicalLocation"]
        uri = urlsplit(physical["artifactLocation"]["uri"])
        assert not uri.scheme
        assert not uri.netloc
        assert not uri.path.startswith("/")
        assert physical["region"]["startLine"] >= 1
        fingerprints.add(json.dumps(result["partialFingerprints"], sort_keys=True))
    assert len(fingerprints) == len(run["results"])


def test_findings_validate_against_the_sarif_schema_and_githubs_rules(
    repo: Repo, cli: Cli, validator: Draft4Validator
) -> None:
    repo.commit("Pin deps", {"requirements.txt": "flask==3.0.0\n"})
    repo.branch("feature/run")
    repo.commit("Run things", RISKY, trailers=(CLAUDE,))

    log = _sarif(repo, cli)

    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    _github_accepts(log)
    results = log["runs"][0]["results"]
    where = {
        (unquote(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]), r["ruleId"])
        for r in results
    }
    assert {
        ("app/run.py", "shell-injection"),
        ("app/odd name#1.py", "shell-injection"),
        ("requirements.txt", "dependency"),
    } <= where
    odd = next(r for r in results if "odd" in json.dumps(r["locations"]))
    assert odd["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "app/odd%20name%231.py"
    )


def test_rule_carries_help_cwe_tags_and_the_level_from_the_severity(
    repo: Repo, cli: Cli, validator: Draft4Validator
) -> None:
    repo.branch("feature/run")
    repo.commit("Run things", {"app/run.py": RISKY["app/run.py"]})

    run = _sarif(repo, cli)["runs"][0]

    [rule] = [r for r in run["tool"]["driver"]["rules"] if r["id"] == "shell-injection"]
    assert rule["help"]["text"].startswith(rule["fullDescription"]["text"])
    assert "shell" in rule["help"]["text"]
    assert {"security", "external/cwe/cwe-78"} <= set(rule["properties"]["tags"])
    assert rule["properties"]["security-severity"] == "8.0"
    assert rule["defaultConfiguration"]["level"] == "error"
    [result] = [r for r in run["results"] if r["ruleId"] == "shell-injection"]
    assert result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 5}
    assert result["message"]["text"].endswith("CWE-78)")


def test_change_without_findings_is_a_valid_log_with_no_results(
    repo: Repo, cli: Cli, validator: Draft4Validator
) -> None:
    repo.branch("feature/docs")
    repo.commit("Docs", {"docs/setup.md": "Run make.\n"})

    log = _sarif(repo, cli)

    assert not list(validator.iter_errors(log))
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["tool"]["driver"]["rules"] == []


def test_run_properties_name_the_risk_the_range_and_the_config(
    repo: Repo, cli: Cli, validator: Draft4Validator
) -> None:
    repo.commit("Config", {".github/ai-review.yml": "approvals:\n  seniors: [alice]\n"})
    repo.branch("feature/run")
    repo.commit("Run things", {"app/run.py": RISKY["app/run.py"]}, trailers=(CLAUDE,))

    properties = _sarif(repo, cli)["runs"][0]["properties"]

    assert properties["config"] == {
        "source": "base",
        "path": ".github/ai-review.yml",
        "ref": repo.sha("main"),
        "working_tree_differs": False,
    }
    assert properties["range"]["merge_base"] == repo.sha("main")
    assert properties["ai"]["tools"] == ["Claude Code"]
    assert properties["risk"]["level"] in ("medium", "high", "critical")


def test_sarif_file_is_written_beside_the_text_report(
    repo: Repo, cli: Cli, tmp_path: Path, validator: Draft4Validator
) -> None:
    repo.branch("feature/run")
    repo.commit("Run things", {"app/run.py": RISKY["app/run.py"]})
    target = tmp_path / "out.sarif"

    result = cli("analyze", "--repo", str(repo.path), "--sarif-file", str(target))

    assert result.code == 0, result.err
    assert result.out.startswith("Risk: ")
    log = json.loads(target.read_text(encoding="utf-8"))
    assert not list(validator.iter_errors(log))
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["shell-injection"]


def test_unwritable_sarif_file_is_a_one_line_error(repo: Repo, cli: Cli, tmp_path: Path) -> None:
    repo.branch("feature/run")
    repo.commit("Run things", {"app/run.py": RISKY["app/run.py"]})
    target = tmp_path / "no-such-folder" / "out.sarif"

    result = cli("analyze", "--repo", str(repo.path), "--sarif-file", str(target))

    assert result.code == 2
    assert result.err == (
        f"ai-review-bot: error: cannot write {target}: No such file or directory\n"
    )
