"""JSON log lines carry the job's context fields on every line written while it runs."""

from __future__ import annotations

import io
import json
import logging

from bot.logs import JsonFormatter, log_context


def capture() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("test.logs")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_every_line_in_a_job_carries_its_context_and_none_after() -> None:
    logger, stream = capture()

    with log_context(delivery="d-1", repo="acme/widgets", pr=7, head_sha="abc", installation=""):
        logger.info("fetched", extra={"requests": 3})
    logger.info("idle")

    inside, after = (json.loads(line) for line in stream.getvalue().splitlines())
    assert {
        k: inside[k] for k in ("message", "delivery", "repo", "pr", "head_sha", "requests")
    } == {
        "message": "fetched",
        "delivery": "d-1",
        "repo": "acme/widgets",
        "pr": 7,
        "head_sha": "abc",
        "requests": 3,
    }
    assert "installation" not in inside
    assert "delivery" not in after
