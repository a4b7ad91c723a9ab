"""Which CODEOWNERS file the gather's three `object` nodes mean, as GitHub picks it."""

from __future__ import annotations

from bot.config.codeowners import CodeOwnersFile
from bot.github.context import codeowners_file


def blob(text: str | None, *, truncated: bool = False, binary: bool = False) -> dict[str, object]:
    return {
        "__typename": "Blob",
        "text": text,
        "byteSize": 5_000_000 if truncated else len(text or ""),
        "isBinary": binary,
        "isTruncated": truncated,
    }


def test_the_first_place_that_holds_a_file_is_used_even_when_a_later_one_exists() -> None:
    nodes = [None, blob("* @root\n"), blob("* @docs\n")]

    assert codeowners_file(nodes) == CodeOwnersFile("CODEOWNERS", "* @root\n")


def test_a_folder_named_codeowners_is_not_the_file() -> None:
    nodes = [{"__typename": "Tree"}, None, blob("* @docs\n")]

    assert codeowners_file(nodes) == CodeOwnersFile("docs/CODEOWNERS", "* @docs\n")


def test_none_found_is_none() -> None:
    assert codeowners_file([None, None, None]) is None


def test_a_file_github_cuts_short_or_cannot_show_as_text_is_found_but_unreadable() -> None:
    cut = codeowners_file([blob("* @a\n", truncated=True), None, None])
    binary = codeowners_file([blob(None, binary=True), None, None])

    assert cut == CodeOwnersFile(
        ".github/CODEOWNERS", None, "GitHub's API gives only part of its 5,000,000 bytes"
    )
    assert binary == CodeOwnersFile(".github/CODEOWNERS", None, "it is not text")
