"""CODEOWNERS read as GitHub reads it ("About code owners"): the last matching line wins, a
line without owners leaves a path with none, and the lines GitHub skips are skipped and said."""

from __future__ import annotations

import pytest

from bot.config.codeowners import NOT_FOUND, CodeOwners, CodeOwnersFile, read_codeowners


def owners_file(text: str, path: str = ".github/CODEOWNERS") -> CodeOwners:
    return read_codeowners(CodeOwnersFile(path, text))


# The example of GitHub's documentation, the lines the tests use.
GITHUB_EXAMPLE = """\
# This is a comment.
*       @global-owner1 @global-owner2
*.js    @js-owner #This is an inline comment.
*.go docs@example.com
*.txt @octo-org/octocats
/build/logs/ @doctocat
docs/*  docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
/src/ @rishabhkumar
/src/Go @doctocat
"""


@pytest.mark.parametrize(
    ("path", "owners"),
    [
        ("README.md", ("global-owner1", "global-owner2")),
        ("web/app.js", ("js-owner",)),
        ("notes.txt", ("@octo-org/octocats",)),
        ("build/logs/today.log", ("octocat",)),  # `**/logs` comes after `/build/logs/`
        ("docs/guide/intro.md", ("doctocat",)),
        ("scripts/deploy.sh", ("doctocat", "octocat")),
        ("apps/main.py", ("octocat",)),
        ("src/Go/main.go", ("doctocat",)),
    ],
)
def test_the_last_matching_line_of_githubs_example_decides(
    path: str, owners: tuple[str, ...]
) -> None:
    assert owners_file(GITHUB_EXAMPLE).owner_of(path).owners == owners


def test_a_later_line_without_owners_leaves_the_path_with_none() -> None:
    owned = owners_file(GITHUB_EXAMPLE).owner_of("apps/github/app.py")

    assert owned.owners == ()
    assert owned.none_because == ".github/CODEOWNERS line 13 (`/apps/github`) gives it no owner"


def test_an_email_owner_cannot_be_asked_and_says_so() -> None:
    owned = owners_file(GITHUB_EXAMPLE).owner_of("cmd/main.go")

    assert owned.owners == ()
    assert "names only e-mail addresses (docs@example.com)" in owned.none_because


def test_a_path_no_line_matches_has_no_owner() -> None:
    owned = owners_file("/payments/ @acme/payments\n").owner_of("auth/login.py")

    assert (owned.owners, owned.none_because) == ((), "no line of .github/CODEOWNERS matches it")


def test_star_matches_within_a_folder_and_a_folder_with_slash_everything_below() -> None:
    codeowners = owners_file("docs/* @writer\n/db/ @dba\n")

    assert codeowners.owner_of("docs/intro.md").owners == ("writer",)
    assert codeowners.owner_of("docs/guides/setup.md").owners == ()  # `*` stops at a `/`
    assert codeowners.owner_of("db/migrations/0001.sql").owners == ("dba",)
    assert codeowners.owner_of("app/db/models.py").owners == ()  # `/db/` is anchored


def test_paths_are_case_sensitive() -> None:
    assert owners_file("/Payments/ @acme/payments\n").owner_of("payments/api.py").owners == ()


def test_an_escaped_space_is_part_of_the_pattern_at_any_depth() -> None:
    codeowners = owners_file("my\\ file.txt @alice\n")

    assert codeowners.owner_of("my file.txt").owners == ("alice",)
    assert codeowners.owner_of("sub/my file.txt").owners == ("alice",)
    assert codeowners.owner_of("my").owners == ()


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("!payments/legacy.py @bob", "negation (`!`) does not work in CODEOWNERS"),
        ("payments/[ab].py @bob", "character ranges (`[ ]`) do not work in CODEOWNERS"),
        ("\\#notes.md @bob", "escaping a leading `#` does not work in CODEOWNERS"),
        ("payments/ @bob TODO", "'TODO' is not an owner: @user, @org/team or an e-mail address"),
    ],
)
def test_a_line_github_skips_is_skipped_and_said(line: str, why: str) -> None:
    codeowners = owners_file(f"payments/ @acme/payments\n{line}\n")

    assert [str(issue) for issue in codeowners.skipped] == [f"2:1: {why}; GitHub skips this line"]
    # The earlier line still decides, as on GitHub.
    assert codeowners.owner_of("payments/legacy.py").owners == ("@acme/payments",)


def test_comment_and_blank_lines_are_not_rules() -> None:
    codeowners = owners_file("\n# payments/ @mallory\n   \n  # indented comment\n")

    assert (codeowners.lines, codeowners.skipped) == ((), ())


def test_no_file_and_an_unreadable_one_say_why() -> None:
    assert read_codeowners(None).owner_of("a.py").none_because == NOT_FOUND
    binary = read_codeowners(CodeOwnersFile("CODEOWNERS", None, "it is not text"))
    assert binary.owner_of("a.py").none_because == "CODEOWNERS cannot be read: it is not text"


def test_a_file_of_3_mb_or_more_is_not_loaded() -> None:
    text = "* @alice\n" + "#" * (3 * 1024 * 1024)

    owned = owners_file(text).owner_of("a.py")

    assert owned.owners == ()
    assert "GitHub loads CODEOWNERS files only under 3 MB" in owned.none_because


def test_a_pattern_cannot_hang_the_bot() -> None:
    # A pattern of many stars against a long path: RE2 answers in linear time.
    codeowners = owners_file("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b @alice\n")

    assert codeowners.owner_of("a" * 5000).owners == ()
