"""`check-config` and `schema` through the command line, as a maintainer or CI runs them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from bot.config.model import RepoConfig
from tests.conftest import CliResult

Cli = Callable[..., CliResult]

THREE_MISTAKES = """\
detect:
  labels: [ai-assisted]
risk:
  weights:
    ai_shar: 10
  critical_paths:
    - paths: ["auth/**"]
      owners: ["not a login!"]
approvals:
  required: {low: 0, medium: 1, high: lots}
"""

VALID = """\
detect:
  labels: [ai-assisted, copilot]
risk:
  critical_paths:
    - name: billing
      paths: ["**/billing/**"]
      owners: ["@acme/payments"]
approvals:
  seniors: ["@acme/architects", alice]
  required: {low: 0, medium: 1, high: 1, critical: 2}
checklists:
  disable: [rollback-plan]
"""


def test_three_mistakes_are_all_reported_with_line_and_column(tmp_path: Path, cli: Cli) -> None:
    config = tmp_path / "ai-review.yml"
    config.write_text(THREE_MISTAKES)

    result = cli("check-config", str(config))

    assert result.code == 1
    assert result.out.splitlines() == [
        f"{config}:5:5: risk.weights.ai_shar: unknown key 'ai_shar'; did you mean 'ai_share'?",
        f"{config}:8:16: risk.critical_paths[0].owners[0]: must be a team (@org/team) or a "
        "GitHub login",
        f"{config}:10:39: approvals.required.high: expected a whole number, got a string",
        f"{config}: 3 error(s); the config is rejected whole.",
    ]


def test_valid_config_exits_0(tmp_path: Path, cli: Cli) -> None:
    config = tmp_path / "ai-review.yml"
    config.write_text(VALID)

    result = cli("check-config", str(config))

    assert (result.code, result.out) == (0, f"{config}: valid\n")


def test_missing_file_is_a_usage_error(tmp_path: Path, cli: Cli) -> None:
    result = cli("check-config", str(tmp_path / "nope.yml"))

    assert result.code == 2
    assert (
        result.err
        == f"ai-review-bot: error: cannot read {tmp_path / 'nope.yml'}: No such file or directory\n"
    )


def test_default_path_is_the_repo_config(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "ai-review.yml").write_text(VALID)
    monkeypatch.chdir(tmp_path)

    assert cli("check-config").code == 0


def test_schema_is_valid_draft_2020_12(cli: Cli) -> None:
    schema = json.loads(cli("schema").out)

    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_and_validator_agree_on_valid_and_invalid_configs(cli: Cli) -> None:
    validator = Draft202012Validator(json.loads(cli("schema").out))

    assert list(validator.iter_errors(yaml.safe_load(VALID))) == []
    assert list(validator.iter_errors(RepoConfig().model_dump(mode="json"))) == []
    wrong = [e.json_path for e in validator.iter_errors(yaml.safe_load(THREE_MISTAKES))]
    # `owners` is a list of logins and teams or `codeowners`: neither branch of it holds.
    assert sorted(wrong) == [
        "$.approvals.required.high",
        "$.risk.critical_paths[0].owners",
        "$.risk.weights",
    ]
    codeowners = {"risk": {"critical_paths": [{"paths": ["a/**"], "owners": "codeowners"}]}}
    assert list(validator.iter_errors(codeowners)) == []
    codeowner = {"risk": {"critical_paths": [{"paths": ["a/**"], "owners": "codeowner"}]}}
    assert [e.json_path for e in validator.iter_errors(codeowner)] == [
        "$.risk.critical_paths[0].owners"
    ]
