"""Python's blocking calls inside `async def` through ruff's ASYNC rules, and their look-alikes
(real ruff, through the engine)."""

from __future__ import annotations

import pytest

from tests.tools.kit import code, findings, notes, run

PATH = "app/handlers.py"


@pytest.mark.parametrize(
    "call",
    [
        "time.sleep(1)",
        "requests.get(url, timeout=5)",
        "httpx.get(url)",
    ],
)
def test_a_blocking_call_inside_async_def_is_flagged(call: str) -> None:
    source = code(
        f"""
        import subprocess
        import time

        import httpx
        import requests


        async def fetch(url):
            return {call}
        """
    )

    analysis = run({PATH: source})

    assert findings(analysis, "blocking-") == [(PATH, 9, "blocking-in-async")]
    assert [loc.counted for loc in analysis.risk.signal("patterns").locations] == [True]


def test_running_a_process_to_its_end_is_shown_but_not_counted() -> None:
    # Not seen on the corpus: shown low until measured (docs/rules.md).
    source = (
        "import subprocess\n\n\nasync def convert(path):\n    subprocess.run(['convert', path])\n"
    )

    [location] = run({PATH: source}).risk.signal("patterns").locations

    assert (location.line, location.rule, location.counted) == (5, "blocking-in-async", False)


def test_a_small_file_read_or_written_inside_async_def_is_not_flagged() -> None:
    # ruff's ASYNC230: on the corpus, cache files, uploads of a few hundred KB and start-up
    # files; a brief block nobody should be asked to rewrite (docs/rules.md).
    source = (
        "async def save(path, data):\n    with open(path, 'w') as out:\n        out.write(data)\n"
    )

    assert findings(run({PATH: source}), "blocking-") == []


def test_the_same_calls_in_sync_code_or_handed_to_a_thread_are_not_flagged() -> None:
    source = code(
        """
        import asyncio
        import time

        import requests


        def fetch(url):
            time.sleep(1)
            return requests.get(url, timeout=5)


        async def fetch_async(url):
            await asyncio.sleep(1)
            return await asyncio.to_thread(requests.get, url, timeout=5)
        """
    )

    assert findings(run({PATH: source}), "blocking-") == []


def test_a_blocking_call_the_change_did_not_write_is_not_flagged() -> None:
    before = "import time\n\n\nasync def tick():\n    time.sleep(1)\n"
    after = before + "\n\nasync def tock():\n    return 1\n"

    assert findings(run({PATH: after}, {PATH: before}), "blocking-") == []


def test_tests_are_not_read() -> None:
    source = "import time\n\n\nasync def test_tick():\n    time.sleep(1)\n"

    assert findings(run({"tests/test_tick.py": source}), "blocking-") == []


def test_a_file_ruff_cannot_parse_is_noted() -> None:
    analysis = run({PATH: "async def broken(:\n    pass\n"})

    assert findings(analysis, "blocking-") == []
    assert (
        PATH,
        "not checked by ruff (Python async checks): ruff could not parse it (line 1: ",
    ) in [
        (
            path,
            reason[
                : len(
                    "not checked by ruff (Python async checks): ruff could not parse it (line 1: "
                )
            ],
        )
        for path, reason in notes(analysis)
    ]
