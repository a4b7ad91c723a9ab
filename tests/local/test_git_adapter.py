"""The local git adapter builds the snapshot the engine sees, from a real repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.snapshot import FileStatus
from bot.local.git import GitError, GitRepo
from tests.conftest import CLAUDE, Repo


def always(_: object) -> bool:
    return True


def test_snapshot_carries_statuses_paths_and_line_numbers(repo: Repo) -> None:
    repo.commit(
        "Base",
        {"src/keep.py": "a = 1\nb = 2\nc = 3\n", "src/old.py": "x = 1\n", "src/gone.py": "y = 2\n"},
    )
    base = repo.sha("HEAD")
    repo.branch("feature")
    head = repo.commit(
        "Change",
        {"src/keep.py": "a = 1\nB = 20\nc = 3\nd = 4\n", "img.png": b"\x89PNG\x00\x01\x02"},
        delete=("src/gone.py",),
        rename={"src/old.py": "src/new.py"},
        trailers=(CLAUDE,),
    )

    snapshot = GitRepo(repo.path).snapshot(base, head, always)
    files = {f.path: f for f in snapshot.files}

    assert (snapshot.base_sha, snapshot.head_sha, snapshot.head_branch) == (base, head, "")
    assert files["src/keep.py"].status is FileStatus.MODIFIED
    assert files["src/keep.py"].added_lines == (2, 4)
    assert files["src/keep.py"].removed_lines == (2,)
    assert dict(files["src/keep.py"].added_text) == {2: "B = 20", 4: "d = 4"}
    assert files["src/new.py"].status is FileStatus.RENAMED
    assert files["src/new.py"].old_path == "src/old.py"
    assert files["src/gone.py"].status is FileStatus.REMOVED
    assert files["img.png"].binary is True
    assert snapshot.head_texts["src/keep.py"] == "a = 1\nB = 20\nc = 3\nd = 4\n"
    assert snapshot.base_texts["src/old.py"] == "x = 1\n"
    assert "src/gone.py" not in snapshot.head_texts


def test_commits_are_oldest_first_with_identities_and_line_counts(repo: Repo) -> None:
    base = repo.sha("HEAD")
    repo.branch("feature")
    first = repo.commit("One", {"a.txt": "1\n2\n"}, author=("Ann", "ann@example.com"))
    second = repo.commit(
        "Two\n\nBody line",
        {"a.txt": "1\n"},
        trailers=(CLAUDE,),
        committer=("Bot", "bot@example.com"),
    )

    commits = GitRepo(repo.path).commits(base, second)

    assert [c.sha for c in commits] == [first, second]
    assert (commits[0].author.name, commits[0].author.email) == ("Ann", "ann@example.com")
    assert commits[1].committer.name == "Bot"
    assert commits[1].message == f"Two\n\nBody line\n\n{CLAUDE}"
    assert (commits[0].additions, commits[0].deletions) == (2, 0)
    assert (commits[1].additions, commits[1].deletions) == (0, 1)


def test_non_utf8_text_is_decoded_with_replacement(repo: Repo) -> None:
    base = repo.sha("HEAD")
    head = repo.commit("Latin-1", {"notes.py": "name = 'caf\xe9'\n".encode("latin-1")})

    snapshot = GitRepo(repo.path).snapshot(base, head, always)

    assert snapshot.head_texts["notes.py"] == "name = 'caf\ufffd'\n"
    assert snapshot.files[0].added_text[1] == "name = 'caf\ufffd'"


def test_unusual_file_names_survive(repo: Repo) -> None:
    base = repo.sha("HEAD")
    head = repo.commit("Names", {"dir with space/ünïcode file.py": "x = 1\n"})

    snapshot = GitRepo(repo.path).snapshot(base, head, always)

    assert [f.path for f in snapshot.files] == ["dir with space/ünïcode file.py"]
    assert snapshot.head_texts["dir with space/ünïcode file.py"] == "x = 1\n"


def test_default_branch_falls_back_to_master(tmp_path: Path) -> None:
    built = Repo(tmp_path)
    built.git("init", "-q", "-b", "master")
    built.commit("Init", {"a": "1\n"})

    assert GitRepo(tmp_path).default_branch() == "master"


def test_folder_that_is_not_a_repository_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="failed"):
        GitRepo(tmp_path)


def test_symbolic_links_are_marked_and_left_out_of_content_analysis(repo: Repo) -> None:
    base = repo.sha("HEAD")
    (repo.path / "target.py").write_text("x = 1\n")
    (repo.path / "link.py").symlink_to("target.py")
    head = repo.commit("Link")

    snapshot = GitRepo(repo.path).snapshot(base, head, always)
    files = {f.path: f for f in snapshot.files}

    assert files["link.py"].symlink is True
    assert files["target.py"].symlink is False


def test_commit_messages_holding_separator_characters_are_read_whole(repo: Repo) -> None:
    base = repo.sha("HEAD")
    message = "Odd \x1e record \x1f field\n\nBody \x1f\x1e"
    first = repo.commit(message, {"new\nline.txt": "1\n2\n"}, trailers=(CLAUDE,))
    repo.write({"tab\tname.txt": "x\n"})
    repo.git("add", "-A")
    repo.git("commit", "-q", "--allow-empty-message", "-m", "")
    second = repo.sha("HEAD")

    commits = GitRepo(repo.path).commits(base, second)

    assert [c.sha for c in commits] == [first, second]
    assert commits[0].message == f"{message}\n\n{CLAUDE}"
    assert (commits[0].additions, commits[0].deletions) == (2, 0)
    assert (commits[1].message, commits[1].additions) == ("", 1)


@pytest.mark.parametrize("quote_path", ["true", "false"])
def test_snapshot_of_quoted_names_keys_texts_by_exact_path(repo: Repo, quote_path: str) -> None:
    repo.git("config", "core.quotePath", quote_path)
    names = ['a "quoted".py', "back\\slash.py", "tab\tname.py", "new\nline.py", "é\u202e.py"]
    base = repo.commit("Base", dict.fromkeys(names, "x = 1\n"))
    head = repo.commit("Change", dict.fromkeys(names, "x = 1\ny = 2\n"))

    snapshot = GitRepo(repo.path).snapshot(base, head, always)

    assert sorted(f.path for f in snapshot.files) == sorted(names)
    for changed in snapshot.files:
        assert dict(changed.added_text) == {2: "y = 2"}
    assert snapshot.head_texts == dict.fromkeys(names, "x = 1\ny = 2\n")
    assert snapshot.base_texts == dict.fromkeys(names, "x = 1\n")


def test_user_diff_settings_do_not_change_what_the_adapter_reads(repo: Repo) -> None:
    for key, value in [
        ("diff.noprefix", "true"),
        ("diff.mnemonicPrefix", "true"),
        ("diff.suppressBlankEmpty", "true"),
        ("diff.renames", "false"),
    ]:
        repo.git("config", key, value)
    base = repo.commit("Base", {"with space/a.py": "a = 1\n\nb = 2\n", "old.py": "q = 1\n" * 9})
    head = repo.commit(
        "Change",
        {"with space/a.py": "a = 1\n\nb = 3\n\nc = 4\n"},
        rename={"old.py": "new.py"},
    )

    files = {f.path: f for f in GitRepo(repo.path).snapshot(base, head, always).files}

    assert dict(files["with space/a.py"].added_text) == {3: "b = 3", 4: "", 5: "c = 4"}
    assert (files["new.py"].status, files["new.py"].old_path) == (FileStatus.RENAMED, "old.py")


def test_type_change_to_a_link_is_a_removal_and_an_addition(repo: Repo) -> None:
    base = repo.commit("Base", {"target.py": "x = 1\n", "link.py": "y = 2\n"})
    (repo.path / "link.py").unlink()
    (repo.path / "link.py").symlink_to("target.py")
    head = repo.commit("Link")

    files = GitRepo(repo.path).changed_files(base, head)

    assert [(f.path, f.status, f.symlink) for f in files] == [
        ("link.py", FileStatus.REMOVED, False),
        ("link.py", FileStatus.ADDED, True),
    ]
