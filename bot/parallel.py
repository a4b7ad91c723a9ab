"""Running per-file analysis on every core when the change is big enough to pay for it."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor

from bot.engine.files import FileJob, FileReport

# Below this much text, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 2 * 1024 * 1024
PARALLEL_MIN_FILES = 200


def _weight(job: FileJob) -> int:
    return len(job.head_text or "") + len(job.base_text or "") + 64


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def map_files(
    analyze_file: Callable[[FileJob], FileReport], jobs: Iterable[FileJob]
) -> Iterator[FileReport]:
    """`map` over file jobs, on a process pool when there is enough work for more than one core.

    Jobs are dealt heaviest first into one chunk per worker pass, so a few large files do not
    leave one core idle at the end. Results come back in the jobs' order.
    """
    job_list = list(jobs)
    workers = min(cores(), 8)
    total = sum(_weight(job) for job in job_list)
    if workers < 2 or (total < PARALLEL_MIN_BYTES and len(job_list) < PARALLEL_MIN_FILES):
        yield from map(analyze_file, job_list)
        return
    order = sorted(range(len(job_list)), key=lambda i: -_weight(job_list[i]))
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        chunk = max(1, len(job_list) // (workers * 8))
        results = list(pool.map(analyze_file, (job_list[i] for i in order), chunksize=chunk))
    by_index = dict(zip(order, results, strict=True))
    for index in range(len(job_list)):
        yield by_index[index]
