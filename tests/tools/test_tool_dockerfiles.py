"""Dockerfiles through hadolint: a floating base image and a root user, and their look-alikes
(real hadolint, through the engine)."""

from __future__ import annotations

import pytest

from tests.tools.kit import code, findings, notes, run


@pytest.mark.parametrize("base", ["python:latest", "ubuntu"])
def test_a_floating_base_image_is_flagged(base: str) -> None:
    dockerfile = f'FROM {base}\nUSER app\nCMD ["python", "app.py"]\n'

    assert findings(run({"Dockerfile": dockerfile}), "dockerfile-") == [
        ("Dockerfile", 1, "dockerfile-unpinned-base")
    ]


def test_tagged_bases_build_stages_arguments_and_scratch_are_not_flagged() -> None:
    dockerfile = code(
        """
        ARG BASE=python:3.12-slim
        FROM ${BASE} AS build
        RUN pip wheel -w /wheels .
        FROM build AS test
        FROM scratch AS assets
        FROM python:3.12-slim@sha256:0b93645e9fea7318ecaed2b359559ac225c90a2b0b93645e9fea73
        COPY --from=build /wheels /wheels
        USER app
        """
    )

    assert findings(run({"Dockerfile": dockerfile}), "dockerfile-") == []


def test_an_image_that_ends_as_root_is_flagged_at_the_user_line() -> None:
    dockerfile = 'FROM python:3.12\nUSER root\nCMD ["python"]\n'

    assert findings(run({"api/Dockerfile": dockerfile}), "dockerfile-") == [
        ("api/Dockerfile", 2, "dockerfile-root-user")
    ]


def test_root_for_installing_then_an_unprivileged_user_is_not_flagged() -> None:
    dockerfile = "FROM python:3.12\nUSER root\nRUN pip install .\nUSER app\n"

    assert findings(run({"Dockerfile.prod": dockerfile}), "dockerfile-") == []


def test_dockerfiles_of_tests_and_examples_are_not_read() -> None:
    analysis = run({"examples/Dockerfile": "FROM ubuntu\n", "tests/Dockerfile": "FROM ubuntu\n"})

    assert findings(analysis, "dockerfile-") == []


def test_a_dockerfile_hadolint_cannot_parse_is_noted() -> None:
    analysis = run({"Dockerfile": "FROM python:3.12\nRUNN make\n"})

    [(path, reason)] = notes(analysis)
    assert (path, reason.split(": ", 1)[0]) == (
        "Dockerfile",
        "not checked by hadolint (Dockerfile checks)",
    )
    assert "hadolint could not parse it (line 2" in reason
