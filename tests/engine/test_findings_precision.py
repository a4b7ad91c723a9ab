"""What a finding is for: code a change wrote, in production code (docs/rules.md).

Each fix that real history called for (bench/realworld/findings_judged.csv) has a true case and a
look-alike here, through `ai-review-bot analyze` on a repository built in the test: secrets in
tests, docs and placeholders; bandit's attribution and look-alikes; lines a change only moved,
reformatted or version-bumped; vendored copies; critical paths of tests and routine tooling;
missing tests on bumps; dependencies that only developing the project needs.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from tests.conftest import CliResult, Repo

Cli = Callable[..., CliResult]

# Built at run time so this file holds no secret-shaped literal for scanners to trip on.
GITHUB_TOKEN = "ghp_" + "Kq8zR2lm9Tx4Vb7Nw3Yp" + "Hs6Dj1Gc5Fa0Eu2Qi8Ro"
AWS_EXAMPLE_KEY = "AKIA" + "IOSFODNN7EXAMPLE"


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def analyze(
    repo: Repo,
    cli: Cli,
    before: Mapping[str, str],
    after: Mapping[str, str],
    *,
    delete: tuple[str, ...] = (),
    rename: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """`before` committed on main, then `after` on a branch; the branch's analysis."""
    if before:
        repo.commit("Base", dict(before))
    repo.branch("feature/change")
    repo.commit("Change", dict(after), delete=delete, rename=rename)
    result = cli("analyze", "--repo", str(repo.path), "--base", "main", "--format", "json")
    assert result.code == 0, result.err
    report: dict[str, Any] = result.json()
    return report


def signal(report: dict[str, Any], signal_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in report["risk"]["signals"] if s["id"] == signal_id)
    return found


def findings(report: dict[str, Any], signal_id: str = "patterns") -> list[tuple[Any, ...]]:
    """(path, line, rule, severity, counted) of a signal's locations."""
    return [
        (
            loc["path"],
            loc["line"],
            loc.get("rule"),
            loc.get("severity"),
            loc.get("counted", True),
        )
        for loc in signal(report, signal_id)["locations"]
    ]


def paths(report: dict[str, Any], signal_id: str) -> list[str]:
    return [loc["path"] for loc in signal(report, signal_id)["locations"]]


# --- secrets: where they are, and what they are -------------------------------------------------


def test_token_in_production_code_is_high_and_counted(repo: Repo, cli: Cli) -> None:
    report = analyze(repo, cli, {}, {"app/deploy.py": f'TOKEN = "{GITHUB_TOKEN}"\n'})

    assert findings(report) == [("app/deploy.py", 1, "hardcoded-secret", "high", True)]
    assert "rotate it" in signal(report, "patterns")["locations"][0]["message"]
    assert report["risk"]["level"] == "high"


def test_token_in_a_test_fixture_is_low_not_counted_and_says_what_to_do_there(
    repo: Repo, cli: Cli
) -> None:
    report = analyze(repo, cli, {}, {"tests/test_deploy.py": f'TOKEN = "{GITHUB_TOKEN}"\n'})

    assert findings(report) == [("tests/test_deploy.py", 1, "hardcoded-secret", "low", False)]
    message = signal(report, "patterns")["locations"][0]["message"]
    assert "rotate" not in message
    assert "obvious fake" in message
    assert signal(report, "patterns")["score"] == 0
    assert report["risk"]["level"] == "low"


@pytest.mark.parametrize(
    "line",
    [
        f'key = "{AWS_EXAMPLE_KEY}"',  # AWS's documented example key
        'url = "https://user:pass@proxy.acme-corp.io:8080"',
        'url = "https://deploy:Kq8zR2lm9@example.com/repo.git"',
        'token = "ghp_' + "ABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890" + '"',
        'token = "xoxb-' + "1234567890-abcdefghijkl-mnopqrstuvwx" + '"',
        "# GitHub user tokens look like ghu_" + "X" * 36,
    ],
)
def test_placeholder_credential_is_not_reported(repo: Repo, cli: Cli, line: str) -> None:
    report = analyze(repo, cli, {}, {"app/settings.py": line + "\n"})

    assert findings(report) == []


def test_credential_with_a_real_looking_password_is_reported(repo: Repo, cli: Cli) -> None:
    line = 'url = "https://deploy:Kq8zR2lm9@git.acme-corp.io/repo.git"\n'

    report = analyze(repo, cli, {}, {"app/settings.py": line})

    assert findings(report) == [("app/settings.py", 1, "hardcoded-secret", "high", True)]


def test_credential_in_a_docstring_example_is_not_reported(repo: Repo, cli: Cli) -> None:
    source = code(
        '''
        class URL:
            """url = URL("https://jo%40email.com:a%20secret@example.org:1234/path")"""
        '''
    )

    report = analyze(repo, cli, {}, {"app/urls.py": source})

    assert findings(report) == []


# --- bandit's password tests ------------------------------------------------------------------


CONFIG_BEFORE = code(
    """
    DEFAULTS = {
        "SECRET_KEY": None,
        "DEBUG": False,
    }
    """
)


def test_new_key_beside_a_password_key_of_a_dict_is_not_a_finding(repo: Repo, cli: Cli) -> None:
    after = CONFIG_BEFORE.replace('"DEBUG": False,', '"DEBUG": False,\n    "TRUSTED_HOSTS": None,')

    report = analyze(repo, cli, {"app/config.py": CONFIG_BEFORE}, {"app/config.py": after})

    assert findings(report) == []


def test_password_key_added_to_a_dict_is_shown_on_its_own_line(repo: Repo, cli: Cli) -> None:
    after = CONFIG_BEFORE.replace(
        '"DEBUG": False,', '"DEBUG": False,\n    "API_TOKEN": "Zq8rT2wLx5Kd",'
    )

    report = analyze(repo, cli, {"app/config.py": CONFIG_BEFORE}, {"app/config.py": after})

    assert findings(report) == [("app/config.py", 4, "hardcoded-secret", "low", False)]


@pytest.mark.parametrize(
    "line",
    [
        'token = ""',
        'password = "test"',
        "secret = None",
        'token_type = "Bearer"',
        'PASSWORD_FIELD = "password"',
        'connect(password="xxx")',
    ],
)
def test_empty_placeholder_or_name_assigned_to_a_password_name_is_not_reported(
    repo: Repo, cli: Cli, line: str
) -> None:
    report = analyze(repo, cli, {}, {"app/auth_client.py": line + "\n"})

    assert [f for f in findings(report) if f[2] == "hardcoded-secret"] == []


def test_string_assigned_to_a_password_name_is_shown_not_counted(repo: Repo, cli: Cli) -> None:
    report = analyze(repo, cli, {}, {"app/db.py": 'password = "Zq8rT2wLx5"\n'})

    assert findings(report) == [("app/db.py", 1, "hardcoded-secret", "low", False)]


# --- bandit B113 and the other rules outside production -----------------------------------------


def test_request_without_timeout_in_production_code_is_counted(repo: Repo, cli: Cli) -> None:
    source = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"

    report = analyze(repo, cli, {}, {"app/client.py": source})

    assert findings(report) == [("app/client.py", 5, "http-no-timeout", "medium", True)]


def test_status_code_lookup_is_not_a_request(repo: Repo, cli: Cli) -> None:
    source = 'import requests\n\nTOO_EARLY = requests.codes.get("TOO_EARLY")\n'

    report = analyze(repo, cli, {}, {"app/codes.py": source})

    assert findings(report) == []


def test_request_without_timeout_in_a_test_is_not_reported(repo: Repo, cli: Cli) -> None:
    source = 'import requests\n\n\ndef test_get(httpbin):\n    requests.get(httpbin("get"))\n'

    report = analyze(repo, cli, {}, {"tests/test_client.py": source})

    assert findings(report) == []


def test_debug_switch_in_docs_is_not_reported(repo: Repo, cli: Cli) -> None:
    report = analyze(repo, cli, {}, {"docs/quickstart.rst": "    $ FLASK_DEBUG=1 flask run\n"})

    assert findings(report) == []


def test_debug_switch_in_deployed_settings_is_reported(repo: Repo, cli: Cli) -> None:
    report = analyze(repo, cli, {}, {"deploy/app.env": "FLASK_DEBUG=1\n"})

    assert [f[2] for f in findings(report)] == ["debug-enabled"]


def test_bidi_control_in_test_data_is_low_not_counted(repo: Repo, cli: Cli) -> None:
    vectors = '[{"input": "http://example.com/\u202e/foo"}]\n'

    report = analyze(repo, cli, {}, {"tests/models/vectors.json": vectors})

    assert findings(report) == [("tests/models/vectors.json", 1, "bidi-control", "low", False)]


def test_bidi_control_in_code_is_high(repo: Repo, cli: Cli) -> None:
    source = 'access = "user\u202e \u2066// admin\u2069"\n'

    report = analyze(repo, cli, {}, {"app/access.js": source})

    assert findings(report) == [("app/access.js", 1, "bidi-control", "high", True)]


# --- lines the change only moved, reformatted or bumped ----------------------------------------

CLIENT = code(
    """
    import requests


    def fetch(url, headers):
        r = requests.get(url, headers=headers)
        token = 'ghp_TOKEN'
        return r
    """
).replace("ghp_TOKEN", GITHUB_TOKEN)


def test_reformatted_code_gives_no_findings(repo: Repo, cli: Cli) -> None:
    reformatted = code(
        """
        import requests


        def fetch(url, headers):
            r = requests.get(
                url,
                headers=headers,
            )
            token = "ghp_TOKEN"
            return r
        """
    ).replace("ghp_TOKEN", GITHUB_TOKEN)

    report = analyze(repo, cli, {"app/client.py": CLIENT}, {"app/client.py": reformatted})

    assert findings(report) == []
    assert signal(report, "missing_tests")["score"] == 0


def test_reformat_that_also_drops_a_timeout_is_reported(repo: Repo, cli: Cli) -> None:
    before = CLIENT.replace("headers=headers)", "headers=headers, timeout=5)")
    reformatted = code(
        """
        import requests


        def fetch(url, headers):
            r = requests.get(
                url,
                headers=headers,
            )
            token = "ghp_TOKEN"
            return r
        """
    ).replace("ghp_TOKEN", GITHUB_TOKEN)

    report = analyze(repo, cli, {"app/client.py": before}, {"app/client.py": reformatted})

    assert [f[:3] for f in findings(report)] == [("app/client.py", 5, "http-no-timeout")]


def test_code_moved_to_another_file_gives_no_findings(repo: Repo, cli: Cli) -> None:
    report = analyze(
        repo,
        cli,
        {"app/client.py": CLIENT, "app/__init__.py": ""},
        {"app/http/fetching.py": CLIENT},
        delete=("app/client.py",),
    )

    assert findings(report) == []


def test_copied_code_is_new_where_it_was_copied(repo: Repo, cli: Cli) -> None:
    report = analyze(repo, cli, {"app/client.py": CLIENT}, {"app/copy.py": CLIENT})

    assert ("app/copy.py", 6, "hardcoded-secret", "high", True) in findings(report)


def test_code_that_was_commented_out_and_is_now_live_is_new(repo: Repo, cli: Cli) -> None:
    commented = "import os\n\n\ndef run(cmd):\n    # os.system(cmd)\n    return None\n"
    live = "import os\n\n\ndef run(cmd):\n    os.system(cmd)\n    return None\n"

    report = analyze(repo, cli, {"app/run.py": commented}, {"app/run.py": live})

    assert [f[2] for f in findings(report)] == ["shell-injection"]


# --- vendored copies -----------------------------------------------------------------------------


def test_vendored_copy_inside_a_python_package_is_skipped(repo: Repo, cli: Cli) -> None:
    path = "src/requests/packages/urllib3/util.py"

    report = analyze(repo, cli, {}, {path: "import os\n\nos.system(cmd)\n"})

    assert findings(report) == []
    assert path in [s["path"] for s in signal(report, "size").get("skipped", [])]


def test_workspace_package_of_a_monorepo_is_analysed(repo: Repo, cli: Cli) -> None:
    report = analyze(repo, cli, {}, {"packages/web/src/calc.js": "const r = eval(input);\n"})

    assert [f[2] for f in findings(report)] == ["eval-exec"]


# --- complexity ----------------------------------------------------------------------------------

COMPLEX = code(
    """
    def route(kind, value, strict, fallback):
        if kind == "a" and value:
            return 1
        if kind == "b" or strict:
            return 2
        if kind == "c":
            return 3
        if kind == "d":
            return 4
        if kind == "e":
            return 5
        if kind == "f" and fallback:
            return 6
        for item in value:
            if item:
                return 7
        return 0
    """
)


def test_new_complex_function_in_production_code_is_reported(repo: Repo, cli: Cli) -> None:
    report = analyze(repo, cli, {}, {"app/router.py": COMPLEX})

    assert [f[:3] for f in findings(report, "complexity")] == [("app/router.py", 1, "complexity")]


def test_complex_function_moved_to_another_module_is_not_new(repo: Repo, cli: Cli) -> None:
    report = analyze(
        repo,
        cli,
        {"app/router.py": COMPLEX},
        {"app/routing/core.py": "import os\n\n\n" + COMPLEX},
        delete=("app/router.py",),
    )

    assert findings(report, "complexity") == []


def test_test_function_full_of_asserts_is_not_measured(repo: Repo, cli: Cli) -> None:
    checks = "".join(f"    assert route({i}) and check({i}) or other({i})\n" for i in range(12))

    report = analyze(repo, cli, {}, {"tests/test_router.py": "def test_all():\n" + checks})

    assert findings(report, "complexity") == []


def test_maintainability_drop_is_shown_not_counted(repo: Repo, cli: Cli) -> None:
    documented = '"""Routing.\n\nMany words about routing.\n"""\n\n' + COMPLEX.replace(
        "route", "simple"
    )
    dense = documented.split('"""\n\n', 1)[1] + COMPLEX.replace("route", "other")

    report = analyze(repo, cli, {"app/router.py": documented}, {"app/router.py": dense})

    assert [f for f in findings(report, "complexity") if f[2] == "maintainability"] == [
        ("app/router.py", None, "maintainability", None, False)
    ]


# --- critical paths ------------------------------------------------------------------------------

SANITIZER = "export function sanitize(text: string): string {\n  return text;\n}\n"


def test_test_of_a_critical_area_is_not_the_area(repo: Repo, cli: Cli) -> None:
    test = 'import { sanitize } from "../src/sanitizer";\ntest("strips", () => {});\n'

    report = analyze(repo, cli, {}, {"test/sanitizer.test.ts": test})

    assert paths(report, "critical_paths") == []


def test_the_critical_area_itself_is_touched(repo: Repo, cli: Cli) -> None:
    report = analyze(repo, cli, {}, {"src/sanitizer.ts": SANITIZER})

    assert paths(report, "critical_paths") == ["src/sanitizer.ts"]


def test_docs_and_examples_of_a_critical_area_are_not_the_area(repo: Repo, cli: Cli) -> None:
    report = analyze(
        repo,
        cli,
        {},
        {"docs/auth.md": "# Logging in\n", "examples/auth/index.js": "app.get('/', login);\n"},
    )

    assert paths(report, "critical_paths") == []


AUTH = code(
    """
    def check(user, password):
        if user.locked:  # noqa: B950
            return False
        return user.verify(password)
    """
)


@pytest.mark.parametrize(
    "edited",
    [
        AUTH.replace("  # noqa: B950", ""),  # a comment removed
        AUTH.replace("def check(user, password):", "def check(user: User, password: str) -> bool:"),
        AUTH.replace("        return False", "        return (False)"),
    ],
    ids=["comment", "annotations", "parentheses"],
)
def test_critical_file_whose_code_did_not_change_is_not_touched(
    repo: Repo, cli: Cli, edited: str
) -> None:
    report = analyze(repo, cli, {"app/auth.py": AUTH}, {"app/auth.py": edited})

    assert paths(report, "critical_paths") == []


def test_critical_file_only_renamed_is_not_touched(repo: Repo, cli: Cli) -> None:
    report = analyze(
        repo, cli, {"app/auth.py": AUTH}, {}, rename={"app/auth.py": "src/app/auth.py"}
    )

    assert paths(report, "critical_paths") == []


def test_critical_file_whose_logic_changed_is_touched(repo: Repo, cli: Cli) -> None:
    edited = AUTH.replace("if user.locked:", "if user.locked or user.expired:")

    report = analyze(repo, cli, {"app/auth.py": AUTH}, {"app/auth.py": edited})

    assert paths(report, "critical_paths") == ["app/auth.py"]


def test_line_moved_and_also_copied_counts_once_as_new(repo: Repo, cli: Cli) -> None:
    before = 'def save(response, session):\n    response.vary.add("Cookie")\n    return 1\n'
    after = (
        "def save(response, session):\n    if session:\n"
        '        response.vary.add("Cookie")\n'
        '    response.vary.add("Cookie")\n    return 1\n'
    )

    report = analyze(repo, cli, {"app/sessions.py": before}, {"app/sessions.py": after})

    assert paths(report, "critical_paths") == ["app/sessions.py"]


WORKFLOW = code(
    """
    name: tests
    on: [push]
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: make test
    """
)


@pytest.mark.parametrize(
    "edited",
    [
        WORKFLOW.replace("actions/checkout@v4", "actions/checkout@v5"),
        WORKFLOW.replace(
            "actions/checkout@v4", "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8"
        ),
        WORKFLOW.replace(
            "runs-on: ubuntu-latest", "runs-on: ubuntu-latest\n    timeout-minutes: 5"
        ),
        WORKFLOW.replace("      - run: make test\n", ""),
    ],
    ids=["action bump", "pinned to a commit", "timeout", "step removed"],
)
def test_routine_workflow_edit_is_not_a_critical_path(repo: Repo, cli: Cli, edited: str) -> None:
    path = ".github/workflows/tests.yml"

    report = analyze(repo, cli, {path: WORKFLOW}, {path: edited})

    assert paths(report, "critical_paths") == []
    assert report["risk"]["level"] == "low"


@pytest.mark.parametrize(
    "edited",
    [
        WORKFLOW.replace("on: [push]", "on: [push]\npermissions:\n  contents: write"),
        WORKFLOW.replace("on: [push]", "on: [pull_request_target]"),
        WORKFLOW.replace("- run: make test", "- run: make test\n      - uses: someone/deploy@v1"),
        WORKFLOW.replace("- run: make test", "- run: twine upload dist/*"),
        WORKFLOW.replace(
            "- run: make test", "- run: make test\n        env:\n          KEY: ${{ secrets.KEY }}"
        ),
    ],
    ids=["permissions", "trigger", "new action", "publish", "secrets"],
)
def test_workflow_edit_touching_credentials_triggers_or_actions_is_a_critical_path(
    repo: Repo, cli: Cli, edited: str
) -> None:
    path = ".github/workflows/tests.yml"

    report = analyze(repo, cli, {path: WORKFLOW}, {path: edited})

    assert paths(report, "critical_paths") == [path]


def test_pre_commit_autoupdate_is_not_a_critical_path(repo: Repo, cli: Cli) -> None:
    config = "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n    rev: v0.11.9\n"

    report = analyze(
        repo,
        cli,
        {".pre-commit-config.yaml": config},
        {".pre-commit-config.yaml": config.replace("v0.11.9", "v0.12.0")},
    )

    assert paths(report, "critical_paths") == []


def test_code_owners_are_a_critical_path(repo: Repo, cli: Cli) -> None:
    report = analyze(repo, cli, {}, {".github/CODEOWNERS": "* @acme/maintainers\n"})

    assert paths(report, "critical_paths") == [".github/CODEOWNERS"]


# --- missing tests -------------------------------------------------------------------------------


def test_version_bump_needs_no_test(repo: Repo, cli: Cli) -> None:
    report = analyze(
        repo,
        cli,
        {"src/pkg/__init__.py": '__version__ = "2.31.0"\n'},
        {"src/pkg/__init__.py": '__version__ = "2.32.0"\n'},
    )

    assert signal(report, "missing_tests")["score"] == 0


def test_change_with_no_source_code_needs_no_test(repo: Repo, cli: Cli) -> None:
    report = analyze(repo, cli, {}, {"docs/index.md": "# Usage\n" * 40, "app.yml": "a: 1\n" * 9})

    assert signal(report, "missing_tests")["score"] == 0


def test_two_line_edit_needs_no_test(repo: Repo, cli: Cli) -> None:
    edited = COMPLEX.replace("return 1", "return 10").replace("return 2", "return 20")

    report = analyze(repo, cli, {"app/router.py": COMPLEX}, {"app/router.py": edited})

    assert signal(report, "missing_tests")["score"] == 0


LIMIT = "def limit(n):\n    return n\n"
FOUR_LINES = "\n\ndef lower(n):\n    return n - 1\n\n\ndef upper(n):\n    return n + 1\n"


def test_four_code_lines_need_no_test(repo: Repo, cli: Cli) -> None:
    report = analyze(repo, cli, {"app/limits.py": LIMIT}, {"app/limits.py": LIMIT + FOUR_LINES})

    assert signal(report, "missing_tests")["score"] == 0


def test_five_code_lines_want_a_test(repo: Repo, cli: Cli) -> None:
    five = LIMIT + FOUR_LINES + "\n\nCEILING = 10\n"

    report = analyze(repo, cli, {"app/limits.py": LIMIT}, {"app/limits.py": five})

    assert signal(report, "missing_tests")["score"] > 0
    assert paths(report, "missing_tests") == ["app/limits.py"]


def test_typing_only_change_needs_no_test(repo: Repo, cli: Cli) -> None:
    typed = "from __future__ import annotations\n\nimport typing as t\n\n" + COMPLEX.replace(
        "def route(kind, value, strict, fallback):",
        "def route(kind: str, value: t.Any, strict: bool, fallback: bool) -> int:",
    ).replace("for item in value:", "for item in t.cast(list, value):")
    typed = typed.replace(
        "import typing as t\n",
        "import typing as t\n\nif t.TYPE_CHECKING:\n    from .app import App\n",
    )

    report = analyze(repo, cli, {"app/router.py": COMPLEX}, {"app/router.py": typed})

    assert signal(report, "missing_tests")["score"] == 0


def test_new_logic_without_a_test_is_reported(repo: Repo, cli: Cli) -> None:
    report = analyze(repo, cli, {}, {"app/router.py": COMPLEX})

    assert signal(report, "missing_tests")["score"] > 0
    assert paths(report, "missing_tests") == ["app/router.py"]


# --- dependencies --------------------------------------------------------------------------------

PACKAGE = code(
    """
    {
      "name": "web",
      "dependencies": {"send": "0.2.0", "etag": "^1.8.1"},
      "devDependencies": {"mocha": "^10.7.3"}
    }
    """
)


def _counted_dependencies(report: dict[str, Any]) -> list[str]:
    return [
        loc["message"]
        for loc in signal(report, "dependencies")["locations"]
        if loc.get("counted", True)
    ]


def test_routine_and_development_dependency_bumps_are_shown_not_counted(
    repo: Repo, cli: Cli
) -> None:
    edited = PACKAGE.replace("^1.8.1", "^1.8.2").replace("^10.7.3", "^11.7.5")

    report = analyze(repo, cli, {"package.json": PACKAGE}, {"package.json": edited})

    assert len(signal(report, "dependencies")["locations"]) == 2
    assert _counted_dependencies(report) == []
    assert signal(report, "dependencies")["score"] == 0


def test_runtime_dependency_major_bump_and_addition_are_counted(repo: Repo, cli: Cli) -> None:
    edited = PACKAGE.replace('"send": "0.2.0"', '"send": "0.3.0", "qs": "6.11.0"')

    report = analyze(repo, cli, {"package.json": PACKAGE}, {"package.json": edited})

    assert _counted_dependencies(report) == ["npm: send 0.2.0 -> 0.3.0", "npm: added qs 6.11.0"]


def test_requirements_that_install_the_project_are_development_only(repo: Repo, cli: Cli) -> None:
    before = "-e .[http2]\n\n# Tests\npytest==8.3.3\n"

    report = analyze(
        repo,
        cli,
        {"requirements.txt": before},
        {"requirements.txt": before + "uvicorn==0.32.1\n"},
    )

    assert _counted_dependencies(report) == []


def test_plain_requirements_file_addition_is_counted(repo: Repo, cli: Cli) -> None:
    report = analyze(
        repo,
        cli,
        {"requirements.txt": "flask==3.0.0\n"},
        {"requirements.txt": "flask==3.0.0\nrequests==2.32.3\n"},
    )

    assert _counted_dependencies(report) == ["pypi: added requests ==2.32.3"]


# --- the whole change ----------------------------------------------------------------------------


def test_change_touching_only_tests_docs_and_tooling_needs_no_senior(repo: Repo, cli: Cli) -> None:
    """The dependabot-and-fixtures case of real history: not a single counted finding."""
    path = ".github/workflows/tests.yml"
    report = analyze(
        repo,
        cli,
        {path: WORKFLOW},
        {
            path: WORKFLOW.replace("checkout@v4", "checkout@v5"),
            "tests/test_auth.py": f'TOKEN = "{GITHUB_TOKEN}"\npassword = "test"\n',
            "docs/security.md": "Use `https://user:pass@proxy:8080`.\n",
        },
    )

    assert report["risk"]["level"] == "low"
    assert [s["id"] for s in report["risk"]["signals"] if s["score"] and s["id"] != "size"] == []
