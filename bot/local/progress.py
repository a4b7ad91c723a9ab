"""A progress line on a terminal for a change that takes a while: `files done of total`.

It appears only once the work has taken AFTER_SECONDS (a quick change prints nothing), is
rewritten in place, and is erased when the report is printed. The caller creates it only when
stderr is a terminal, so CI logs and pipes never see it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

AFTER_SECONDS = 1.5
# Rewrite the line at most this often: a terminal is slower than a small file's analysis.
_EVERY_SECONDS = 0.1


class ProgressLine:
    def __init__(
        self,
        stream: TextIO,
        after_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._clock = clock
        self._after = AFTER_SECONDS if after_seconds is None else after_seconds
        self._started = clock()
        self._shown_at: float | None = None

    def __call__(self, done: int, total: int) -> None:
        """Files `done` of `total`; shown once the work is slow, then at most every 0.1 s."""
        now = self._clock()
        if now - self._started < self._after:
            return
        if self._shown_at is not None and now - self._shown_at < _EVERY_SECONDS and done < total:
            return
        self._shown_at = now
        self._stream.write(f"\r\x1b[Kai-review-bot: analyzing files {done}/{total}")
        self._stream.flush()

    def clear(self) -> None:
        """Erase the line, so the report starts on a clean one."""
        if self._shown_at is not None:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._shown_at = None
