"""Per-file analysis on worker processes started before the change is even known.

Importing the analyzers (bandit, detect-secrets, radon) costs about as much as a small
analysis itself. A worker forked at start-up imports them while this process reads git and
the config, so the two costs overlap instead of adding up. On a big change this process works
through the jobs too, beside the workers, so every core is busy.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType

from bot.engine.files import FileJob, FileReport

# Below this much text the workers alone are quicker than this process importing analyzers.
HELP_MIN_BYTES = 512 * 1024
_CHUNK_BYTES = 256 * 1024

Analyzer = Callable[[FileJob], FileReport]
# Told (files done, files in all) as reports come back: the progress line of a slow change.
Progress = Callable[[int, int], None]


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _warm_up() -> None:
    """Import the per-file analyzers in a worker before any job arrives."""
    import bot.engine.complexity
    import bot.engine.patterns  # noqa: F401


def _weight(job: FileJob) -> int:
    return len(job.head_text or "") + len(job.base_text or "") + 512


def _run_chunk(analyze_file: Analyzer, chunk: Sequence[FileJob]) -> list[FileReport]:
    return [analyze_file(job) for job in chunk]


def _chunks(jobs: Sequence[FileJob], parts: int) -> list[list[FileJob]]:
    """Heaviest first, in chunks small enough to balance, big enough to keep IPC cheap."""
    ordered = sorted(jobs, key=_weight, reverse=True)
    total = sum(_weight(job) for job in ordered)
    target = max(_CHUNK_BYTES // 8, min(_CHUNK_BYTES, total // (parts * 6) or 1))
    chunks: list[list[FileJob]] = [[]]
    size = 0
    for job in ordered:
        if size >= target and chunks[-1]:
            chunks.append([])
            size = 0
        chunks[-1].append(job)
        size += _weight(job)
    return [chunk for chunk in chunks if chunk]


class FilePool:
    """Worker processes for FileJobs; with one core everything runs in this process."""

    def __init__(
        self,
        workers: int | None = None,
        help_min_bytes: int = HELP_MIN_BYTES,
        progress: Progress | None = None,
    ) -> None:
        self._help_min_bytes = help_min_bytes
        self._progress = progress
        self._workers = max(1, min(8, cores() - 1 if workers is None else workers))
        self._executor: ProcessPoolExecutor | None = None
        if cores() > 1 and "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            self._executor = ProcessPoolExecutor(self._workers, context, initializer=_warm_up)
            # With fork every worker starts on the first submit: start them now.
            self._executor.submit(int)

    def map(self, analyze_file: Analyzer, jobs: Iterable[FileJob]) -> Iterator[FileReport]:
        """One report per job, in the jobs' order."""
        job_list = list(jobs)
        if self._executor is None or not job_list:
            for done, job in enumerate(job_list, 1):
                yield analyze_file(job)
                self._tell(done, len(job_list))
            return
        helping = sum(_weight(job) for job in job_list) >= self._help_min_bytes
        chunks = deque(_chunks(job_list, self._workers + helping))
        reports: dict[int, FileReport] = {}
        pending: list[tuple[list[FileJob], Future[list[FileReport]]]] = []

        def collect(chunk: list[FileJob], done: list[FileReport]) -> None:
            for job, report in zip(chunk, done, strict=True):
                reports[id(job)] = report
            self._tell(len(reports), len(job_list))

        while chunks:
            # Keep each worker two chunks ahead; this process takes the next one itself.
            while chunks and len([p for p in pending if not p[1].done()]) < 2 * self._workers:
                chunk = chunks.popleft()
                pending.append((chunk, self._executor.submit(_run_chunk, analyze_file, chunk)))
            if helping and chunks:
                chunk = chunks.popleft()
                collect(chunk, _run_chunk(analyze_file, chunk))
            elif chunks:
                pending[0][1].result()
                finished = [p for p in pending if p[1].done()]
                for chunk, future in finished:
                    collect(chunk, future.result())
                pending = [p for p in pending if not p[1].done()]
        for chunk, future in pending:
            collect(chunk, future.result())
        for job in job_list:
            yield reports[id(job)]

    def _tell(self, done: int, total: int) -> None:
        if self._progress is not None:
            self._progress(done, total)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> FilePool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
