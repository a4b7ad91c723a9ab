"""`check-config` checks the ids the config and its checklist files name, not only their shape:
a typo in `disable`, `require` or a `when.patterns` would otherwise do nothing without a word."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def _checkout(tmp_path: Path, config: str, checklists: dict[str, str] | None = None) -> Path:
    root = tmp_path / "checkout"
    (root / ".github" / "ai-review" / "checklists").mkdir(parents=True)
    (root / ".github" / "ai-review.yml").write_text(config)
    for name, text in (checklists or {}).items():
        (root / ".github" / "ai-review" / "checklists" / name).write_text(text)
    return root


def test_unknown_disable_and_require_ids_are_errors_with_the_closest_id(
    tmp_path: Path, cli: Cli
) -> None:
    root = _checkout(
        tmp_path,
        "checklists:\n"
        "  disable: [rolback-plan, observability]\n"
        "  require: [sql-params, sql-parms, zzzz]\n",
    )
    config = str(root / ".github" / "ai-review.yml")

    result = cli("check-config", config, "--repo", str(root))

    assert result.code == 1
    assert result.out.splitlines() == [
        f"{config}:2:13: checklists.disable[0]: no checklist or checklist item has the id "
        "'rolback-plan'; did you mean 'rollback-plan'?",
        f"{config}:3:25: checklists.require[1]: no checklist item has the id 'sql-parms'; did "
        "you mean 'sql-params'?",
        f"{config}:3:36: checklists.require[2]: no checklist item has the id 'zzzz'",
        f"{config}: 3 error(s); the config is rejected whole.",
    ]


def test_an_id_of_the_repos_own_checklist_is_known(tmp_path: Path, cli: Cli) -> None:
    own = "id: tenancy\ntitle: Tenancy\nitems:\n  - id: tenant-filter\n    text: Filtered?\n"
    root = _checkout(tmp_path, "checklists:\n  require: [tenant-filter]\n", {"tenancy.yml": own})

    result = cli("check-config", str(root / ".github/ai-review.yml"), "--repo", str(root))

    assert result.code == 0, result.out


def test_a_checklist_file_naming_no_pattern_rule_is_an_error_at_its_line(
    tmp_path: Path, cli: Cli
) -> None:
    own = (
        "id: tenancy\n"
        "title: Tenancy\n"
        "items:\n"
        "  - id: tenant-filter\n"
        "    text: Does every query filter by tenant?\n"
        "    when: {patterns: [sql-strng]}\n"
    )
    root = _checkout(tmp_path, "{}\n", {"tenancy.yml": own})

    result = cli("check-config", str(root / ".github/ai-review.yml"), "--repo", str(root))

    assert result.code == 1
    assert result.out.splitlines() == [
        ".github/ai-review/checklists/tenancy.yml:6:23: items[0].when.patterns[0]: no pattern "
        "rule has the id 'sql-strng', so this never holds; did you mean 'sql-string'?",
        "in .github/ai-review/checklists/tenancy.yml: 1 error(s); the config is rejected whole.",
    ]


def test_a_pattern_rule_of_the_config_is_a_known_pattern_id(tmp_path: Path, cli: Cli) -> None:
    config = (
        "risk:\n"
        "  patterns:\n"
        "    rules:\n"
        "      - id: raw-tenant\n"
        "        message: a query without the tenant\n"
        "        pattern: 'objects\\.all\\('\n"
        "checklists:\n"
        "  items:\n"
        "    - checklist: data\n"
        "      id: tenant-scope\n"
        "      text: Is every query scoped to the tenant?\n"
        "      when: {patterns: [raw-tenant, bandit-nope]}\n"
    )
    root = _checkout(tmp_path, config)
    file = str(root / ".github/ai-review.yml")

    result = cli("check-config", file, "--repo", str(root))

    assert result.out.splitlines() == [
        f"{file}:12:37: checklists.items[0].when.patterns[1]: no pattern rule has the id "
        "'bandit-nope', so this never holds",
        f"{file}: 1 error(s); the config is rejected whole.",
    ]


def test_an_item_id_used_by_two_checklists_is_an_error(tmp_path: Path, cli: Cli) -> None:
    own = "id: mine\ntitle: Mine\nitems:\n  - id: sql-params\n    text: Parameters?\n"
    root = _checkout(tmp_path, "{}\n", {"mine.yml": own})
    file = str(root / ".github/ai-review.yml")

    result = cli("check-config", file, "--repo", str(root))

    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"{file}: the item id 'sql-params' is in the checklists 'security' and 'mine'; disable, "
        "require and ticks name an item by its id alone"
    )


def test_a_checklist_file_that_is_not_utf8_is_an_error_not_a_guess(
    tmp_path: Path, cli: Cli
) -> None:
    root = _checkout(tmp_path, "{}\n")
    (root / ".github/ai-review/checklists/latin1.yml").write_bytes(b"id: caf\xe9\n")

    result = cli("check-config", str(root / ".github/ai-review.yml"), "--repo", str(root))

    assert result.code == 1
    assert result.out.splitlines()[0] == (
        ".github/ai-review/checklists/latin1.yml:1:8: is not UTF-8 text (byte 0xe9); save the "
        "file as UTF-8"
    )
