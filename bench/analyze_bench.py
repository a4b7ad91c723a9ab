"""Benchmark the whole `ai-review-bot analyze` command against the library floor.

For each profile (bench/build_repos.py builds the repositories, deterministic from a seed):

- the pipeline: `ai-review-bot analyze --repo R --base main --format json` as a subprocess,
  start-up included; wall clock per run, CPU (user + system of the whole process tree);
- the floor: bench/floor.py, the same libraries called directly on the same files in one
  process, also as a subprocess with its start-up;
- memory: the peak RSS of the largest single process of the tree (wait4's ru_maxrss, which
  covers every waited-for descendant: pool workers, git), and in separate runs a sampled
  peak of the whole tree summed (RSS, and PSS, which counts pages shared by fork once).

Timing runs alternate pipeline and floor, after one warm-up of each that is not counted.
A time budget (default 300 s) bounds the whole script: when the next run would not fit, it
stops and says how many runs it made.

    .venv/bin/python bench/analyze_bench.py                      # both profiles, 5 runs
    .venv/bin/python bench/analyze_bench.py --profiles typical --runs 9
    .venv/bin/python bench/analyze_bench.py --hotspots --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import dataclasses
import io
import json
import os
import platform
import pstats
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_repos import BASE_BRANCH, PROFILES, WORK_DIR, diff_stats, ensure_repo

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
FLOOR = Path(__file__).resolve().parent / "floor.py"
BEGIN = "<!-- bench:begin (written by bench/analyze_bench.py --write) -->"
END = "<!-- bench:end -->"
PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024
# A round (analyze + floor) longer than this counts its first runs: warming up is noise there.
WARM_UP_COUNTS_BELOW = 20.0


# --- running one measured process -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    wall: float
    cpu: float  # user + system seconds of the process and every descendant it waited for
    max_rss: int  # bytes, the largest single process of the tree
    returncode: int
    stdout: str
    stderr: str
    tree_rss: int = 0  # bytes, sampled peak of the tree's summed RSS (0: not sampled)
    tree_pss: int = 0


def _descendants(root: int) -> list[int]:
    """`root` and its live descendants, from /proc (new processes have higher pids)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) < root:
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces or parentheses: fields start after the last ')'.
        parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [root], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        tree.extend(children)
        frontier = children
    return tree


def _memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in bytes; (0, 0) once it is gone."""
    try:
        rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        pss = 0
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) * 1024
                break
    except (OSError, IndexError, ValueError):
        return 0, 0
    return rss, pss


class TreeSampler(threading.Thread):
    """Samples the summed RSS and PSS of a process tree until stopped; keeps the peaks."""

    def __init__(self, root: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_rss = self.peak_pss = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            samples = [_memory(pid) for pid in _descendants(self.root)]
            self.peak_rss = max(self.peak_rss, sum(rss for rss, _ in samples))
            self.peak_pss = max(self.peak_pss, sum(pss for _, pss in samples))
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()


@contextlib.contextmanager
def cpus(count: int | None) -> Iterator[None]:
    """Processes started inside see only `count` CPUs (None: all); they inherit the affinity."""
    every = os.sched_getaffinity(0)
    if count is not None:
        os.sched_setaffinity(0, sorted(every)[:count])
    try:
        yield
    finally:
        os.sched_setaffinity(0, every)


def measure(
    command: Sequence[str], timeout: float, sample_tree: bool = False, cores: int | None = None
) -> Run:
    """Run `command` once; wall clock, CPU and peak memory of its whole process tree."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        with cpus(cores):
            process = subprocess.Popen(command, stdout=out, stderr=err, start_new_session=True)
        sampler = TreeSampler(process.pid) if sample_tree else None
        if sampler is not None:
            sampler.start()
        # Past the timeout, end the process group this call started (and only that group).
        killer = threading.Timer(timeout, os.killpg, (process.pid, signal.SIGKILL))
        killer.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        killer.cancel()
        if sampler is not None:
            sampler.stop()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            wall=wall,
            cpu=usage.ru_utime + usage.ru_stime,
            max_rss=usage.ru_maxrss * 1024,
            returncode=process.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            tree_rss=sampler.peak_rss if sampler else 0,
            tree_pss=sampler.peak_pss if sampler else 0,
        )


def pipeline_command(repo: Path) -> list[str]:
    script = VENV_BIN / "ai-review-bot"
    return [str(script), "analyze", "--repo", str(repo), "--base", BASE_BRANCH, "--format", "json"]


def floor_command(repo: Path) -> list[str]:
    return [sys.executable, str(FLOOR), "--repo", str(repo), "--base", BASE_BRANCH]


# --- one profile ------------------------------------------------------------------------------


@dataclass(slots=True)
class Series:
    """Repeated runs of one command."""

    runs: list[Run] = field(default_factory=list)
    memory_runs: list[Run] = field(default_factory=list)
    failure: str = ""  # the end of stderr of a failed run

    @property
    def walls(self) -> list[float]:
        return [run.wall for run in self.runs]

    def median(self) -> float:
        return statistics.median(self.walls)

    def cpu(self) -> float:
        return statistics.median(run.cpu for run in self.runs)

    def max_rss(self) -> int:
        return max(run.max_rss for run in [*self.runs, *self.memory_runs])

    def tree_rss(self) -> int:
        return max((run.tree_rss for run in self.memory_runs), default=0)

    def tree_pss(self) -> int:
        return max((run.tree_pss for run in self.memory_runs), default=0)


@dataclass(slots=True)
class Measured:
    """One command of a profile, and its runs."""

    label: str
    command: list[str]
    analyze: bool  # an `ai-review-bot analyze` run (else the floor)
    cores: int | None = None  # CPUs it may use; None: all
    series: Series = field(default_factory=Series)
    risk: str = ""  # what the analysis concluded, as a check that it analysed the change


@dataclass(slots=True)
class ProfileResult:
    name: str
    repo: Path
    stats: dict[str, int]
    commands: list[Measured]
    floor_stages: dict[str, float] = field(default_factory=dict)
    floor_counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def floor(self) -> Series:
        return next(m.series for m in self.commands if not m.analyze)


class Budget:
    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def fits(self, estimate: float) -> bool:
        return time.monotonic() + estimate <= self.deadline


def _tail(text: str, lines: int = 12) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _why(stderr: str) -> str:
    """A failed run in short: the innermost frames in bot/ of its traceback, and the error."""
    lines = stderr.strip().splitlines()
    frames = [
        f"{line.strip()}\n    {lines[i + 1].strip() if i + 1 < len(lines) else ''}"
        for i, line in enumerate(lines)
        if line.strip().startswith("File ") and f"{ROOT}/bot/" in line
    ]
    return "\n".join([*frames[-3:], *lines[-1:]])


def _record(series: Series, run: Run, memory: bool = False) -> bool:
    """Keep a successful run; remember why a failed one failed. True when it succeeded."""
    if run.returncode != 0:
        series.failure = f"exit code {run.returncode}\n{_why(run.stderr)}"
        return False
    (series.memory_runs if memory else series.runs).append(run)
    return True


def _summary_of(run: Run) -> str:
    """`risk level (score)` from the pipeline's JSON, to show what was analyzed."""
    result = json.loads(run.stdout)
    return f"{result['risk']['level']} ({result['risk']['score']})"


def _first_run(measured: Measured, timeout: float, name: str) -> Run | None:
    """The first run of a command; an `analyze` that fails is tried again on one core, where it
    analyses every file in its own process, so the engine's cost is still known."""
    run = measure(measured.command, timeout, cores=measured.cores)
    if not _record(measured.series, run) and measured.analyze and measured.cores is None:
        log(f"[{name}] {measured.label} failed: {measured.series.failure}")
        measured.label += " on 1 core (it failed on 2)"
        measured.cores = 1
        run = measure(measured.command, timeout, cores=1)
        _record(measured.series, run)
    if not measured.series.runs:
        log(f"[{name}] {measured.label} failed: {measured.series.failure}")
        return None
    if measured.analyze:
        measured.risk = _summary_of(run)
    return run


def bench_profile(
    name: str,
    settings: argparse.Namespace,
    budget: Budget,
    unbudgeted: bool,
) -> ProfileResult:
    repo = ensure_repo(name, settings.seed)
    commands = [Measured("analyze", pipeline_command(repo), analyze=True)]
    if unbudgeted:
        commands.append(
            Measured(
                "analyze, no analysis budget",
                [*pipeline_command(repo), "--config", str(unbudgeted_config())],
                analyze=True,
            )
        )
    commands.append(Measured("floor", floor_command(repo), analyze=False))
    result = ProfileResult(name, repo, diff_stats(repo), commands)
    log(f"[{name}] {repo}: {result.stats}")

    firsts = {m.label: _first_run(m, settings.timeout, name) for m in commands}
    if not result.floor.runs:
        raise RuntimeError(f"the floor failed on {repo}: {result.floor.failure}")
    log(f"[{name}] first runs: " + ", ".join(_wall(label, run) for label, run in firsts.items()))
    working = [m for m in commands if m.series.runs]
    one_round = sum(run.wall for run in firsts.values() if run is not None)
    if one_round < WARM_UP_COUNTS_BELOW:
        # Short runs feel a cold page cache and fresh bytecode: the first ones do not count.
        for measured in working:
            measured.series.runs.clear()
    runs, memory_runs = settings.runs, settings.memory_runs
    for index in range(len(result.floor.runs), runs):
        if not budget.fits(one_round * (1 + memory_runs / max(runs, 1))):
            result.notes.append(f"time budget reached: {index} of {runs} timing runs made")
            break
        for measured in list(working):
            run = measure(measured.command, settings.timeout, cores=measured.cores)
            if not _record(measured.series, run):
                working.remove(measured)
        log(f"[{name}] run {index + 1}: " + ", ".join(_wall(m.label, m.series) for m in commands))
    for _ in range(memory_runs):
        if not budget.fits(one_round * 1.2):
            result.notes.append("time budget reached: tree memory not sampled")
            break
        for measured in working:
            run = measure(measured.command, settings.timeout, True, measured.cores)
            _record(measured.series, run, memory=True)

    if result.floor.runs:
        last = json.loads(result.floor.runs[-1].stdout)
        result.floor_stages, result.floor_counts = last["stages"], last["counts"]
    return result


def _wall(label: str, source: Run | Series | None) -> str:
    if isinstance(source, Series):
        source = source.runs[-1] if source.runs else None
    return f"{label} {source.wall:.2f} s" if source is not None else f"{label} failed"


def unbudgeted_config() -> Path:
    """A repo config that lifts the per-change analysis budget to its maximum, so that
    `analyze` reads every file whole, as the floor does."""
    path = WORK_DIR / "unbudgeted.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("risk:\n  limits:\n    analysis_bytes: 268435456\n", encoding="utf-8")
    return path


# --- hot spots (cProfile of one in-process, serial run) ---------------------------------------


def _area(filename: str, function: str) -> str:
    """Where a profiled function lives: a third-party package, a bot module, the stdlib, C."""
    if filename == "~":
        if any(word in function for word in ("poll", "posix.read", "waitpid", "fork_exec")):
            return "waiting on git (subprocess I/O)"
        # `<built-in method builtins.compile>`, `<method 'match' of 're.Pattern' objects>`
        method = re.match(r"<method '(\w+)' of '([\w.]+)' objects>", function)
        if method:
            return f"C: {method.group(2)}.{method.group(1)}"
        return "C: " + function.removeprefix("<built-in method ").removesuffix(">")
    if "/site-packages/" in filename:
        return filename.split("/site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if f"{ROOT}/bot/" in filename:
        module = filename.split(f"{ROOT}/", 1)[1].removesuffix(".py").replace("/", ".")
        return module.removesuffix(".__init__")
    if filename.startswith("<frozen"):
        return "import machinery"
    stdlib = re.search(r"/lib/python3\.\d+/(.+)\.py$", filename)
    return "stdlib " + (stdlib.group(1).removesuffix("/__init__") if stdlib else filename)


@dataclass(frozen=True, slots=True)
class Hotspots:
    """What a cProfile'd run spent its time on; `failure` set when it could not run."""

    total: float = 0.0
    areas: list[tuple[str, float]] = field(default_factory=list)  # own time per area
    own: list[tuple[float, float, str]] = field(default_factory=list)  # (own, cumulative, where)
    bot_cumulative: list[tuple[float, float, str]] = field(default_factory=list)
    failure: str = ""


def profile_in_process(repo: str, output: str) -> None:
    """Run `analyze` in this process under cProfile, on one core: the command then analyses
    every file itself (a process pool would hide the per-file work from the profiler)."""
    import bot.cli

    profiler = cProfile.Profile()
    started = time.perf_counter()
    arguments = ["analyze", "--repo", repo, "--base", BASE_BRANCH, "--format", "json"]
    with contextlib.redirect_stdout(io.StringIO()), cpus(1):
        profiler.enable()
        code = bot.cli.main(arguments)
        profiler.disable()
    if code != 0:
        raise RuntimeError(f"analyze exited with {code}")
    total = time.perf_counter() - started
    by_area: defaultdict[str, float] = defaultdict(float)
    functions: list[tuple[float, float, str]] = []
    rows: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for (filename, line, name), row in rows.items():
        own, cumulative = float(row[2]), float(row[3])
        by_area[_area(filename, name)] += own
        where = filename.split("/site-packages/")[-1].replace(f"{ROOT}/", "")
        functions.append((own, cumulative, f"{where}:{line}({name})"))
    bot_functions = sorted((f for f in functions if f[2].startswith("bot/")), key=lambda f: -f[1])
    report = Hotspots(
        total=total,
        areas=sorted(by_area.items(), key=lambda item: -item[1])[:14],
        own=sorted(functions, reverse=True)[:12],
        bot_cumulative=bot_functions[:16],
    )
    Path(output).write_text(json.dumps(dataclasses.asdict(report)))


def hotspots(repo: Path, timeout: float) -> Hotspots:
    with tempfile.NamedTemporaryFile(suffix=".json") as output:
        command = [sys.executable, __file__, "--profile-in-process", str(repo), output.name]
        run = measure(command, timeout)
        if run.returncode != 0:
            return Hotspots(failure=_tail(run.stderr))
        report = json.loads(Path(output.name).read_text())
    return Hotspots(
        total=report["total"],
        areas=[(area, seconds) for area, seconds in report["areas"]],
        own=[(own, cumulative, where) for own, cumulative, where in report["own"]],
        bot_cumulative=[(own, cum, where) for own, cum, where in report["bot_cumulative"]],
    )


@dataclass(frozen=True, slots=True)
class Imports:
    total: float
    top_level: list[tuple[str, float]]  # imported by the program itself, cumulative seconds
    own: list[tuple[str, float]]  # any module, its own seconds


def import_times(repo: Path, timeout: float) -> Imports:
    """Start-up imports of `analyze` under `python -X importtime`."""
    script = str(VENV_BIN / "ai-review-bot")
    command = [sys.executable, "-X", "importtime", script, *pipeline_command(repo)[1:]]
    run = measure(command, timeout)
    top_level: list[tuple[str, float]] = []
    own: list[tuple[str, float]] = []
    for line in run.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S.*)$", line)
        if match is None:
            continue
        module = match.group(4)
        own.append((module, int(match.group(1)) / 1e6))
        if not match.group(3):  # no indent: imported by the program, not by another module
            top_level.append((module, int(match.group(2)) / 1e6))
    return Imports(
        total=sum(seconds for _, seconds in top_level),
        top_level=sorted(top_level, key=lambda item: -item[1])[:8],
        own=sorted(own, key=lambda item: -item[1])[:12],
    )


# --- report -----------------------------------------------------------------------------------


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _mib(size: int) -> str:
    return f"{size / MIB:.0f} MiB" if size else "-"


def machine() -> dict[str, str]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return {
        "cores": f"{os.cpu_count()} (nproc {len(os.sched_getaffinity(0))})",
        "cpu": model,
        "python": platform.python_version(),
        "git": subprocess.run(
            ["git", "--version"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "load average at start": load,
        "code measured": _code_version(),
    }


def _code_version() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    dirty = git("status", "--porcelain", "--", "bot")
    return git("rev-parse", "--short", "HEAD") + (
        " with uncommitted changes in bot/" if dirty else ""
    )


def table(results: Iterable[ProfileResult]) -> list[str]:
    rows = [
        "| profile | change | command | runs | median | min | max | CPU (median) "
        "| peak RSS, largest process | peak tree RSS / PSS (sampled) | ratio to floor |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        stats = result.stats
        change = f"{stats['files']} files, +{stats['added']} -{stats['removed']}"
        floor_median = result.floor.median() if result.floor.runs else 0.0
        for measured in result.commands:
            series, label = measured.series, measured.label
            if not series.runs:
                state = "failed" if series.failure else "not measured (time budget)"
                rows.append(f"| {result.name} | {change} | {label} | 0 | {state} | | | | | | |")
                continue
            ratio = f"{series.median() / floor_median:.2f}x" if measured.analyze else ""
            rows.append(
                f"| {result.name} | {change} | {label} | {len(series.runs)} "
                f"| {series.median():.2f} s | {min(series.walls):.2f} s "
                f"| {max(series.walls):.2f} s "
                f"| {series.cpu():.2f} s | {_mib(series.max_rss())} "
                f"| {_mib(series.tree_rss())} / {_mib(series.tree_pss())} | {ratio} |"
            )
    return rows


def floor_stages(results: Iterable[ProfileResult]) -> list[str]:
    rows: list[str] = []
    for result in results:
        if not result.floor_stages:
            continue
        stages = ", ".join(
            f"{name} {seconds:.2f} s" for name, seconds in result.floor_stages.items()
        )
        counts = ", ".join(f"{name} {value}" for name, value in result.floor_counts.items())
        rows.append(f"- **{result.name}** floor (last run): {stages}.  \n  Saw: {counts}.")
    return rows


def import_lines(report: Imports) -> list[str]:
    lines = [
        f"### Start-up imports: {report.total:.2f} s under `-X importtime`",
        "",
        "Imported by the program (cumulative):",
        "",
    ]
    lines += [f"- `{name}`: {seconds:.3f} s" for name, seconds in report.top_level]
    lines += ["", "Costliest modules on their own (self):", ""]
    lines += [f"- `{name}`: {seconds:.3f} s" for name, seconds in report.own]
    return [*lines, ""]


def hotspot_lines(name: str, report: Hotspots) -> list[str]:
    if report.failure:
        return [f"- **{name}**: profiling failed:", "", "```", report.failure, "```"]
    lines = [
        f"**{name}**, serial in-process run under cProfile: {report.total:.2f} s. "
        "Own time by area:",
        "",
    ]
    lines += [
        f"- {area}: {seconds:.2f} s ({seconds / report.total:.0%})"
        for area, seconds in report.areas
    ]
    lines += ["", "Costliest bot functions, cumulative:", ""]
    lines += [f"- `{where}`: {cumulative:.2f} s" for _, cumulative, where in report.bot_cumulative]
    lines += ["", "Costliest functions, own time:", ""]
    lines += [f"- `{where}`: {own:.2f} s" for own, _, where in report.own]
    return [*lines, ""]


def markdown(
    results: Sequence[ProfileResult],
    info: dict[str, str],
    command: str,
    extra: Sequence[str],
) -> str:
    lines = ["## Figures", "", "Machine:", ""]
    lines += [f"- {key}: {value}" for key, value in info.items()]
    lines += ["", f"Command: `{command}`", "", *table(results), ""]
    lines += [
        "Times are wall clock of the whole process, start-up included, median of the runs. "
        "CPU is user + system of the whole process tree. `peak RSS, largest process` is wait4's "
        "ru_maxrss (the largest single process among the command and its waited-for children); "
        "the tree figures sum every live process of the tree, sampled every 20 ms in separate "
        "runs (RSS counts pages shared after fork once per process; PSS splits them).",
        "",
    ]
    for result in results:
        for measured in result.commands:
            if not measured.analyze:
                continue
            detail = f"risk {measured.risk}" if measured.risk else "no result"
            if measured.series.failure:
                detail += (
                    ". It failed:\n\n  ```\n  "
                    + measured.series.failure.replace("\n", "\n  ")
                    + "\n  ```"
                )
            lines.append(f"- **{result.name}**, {measured.label}: {detail}")
        lines.extend(f"  - {note}" for note in result.notes)
    lines += ["", *floor_stages(results), "", *extra]
    return "\n".join(lines).rstrip() + "\n"


def write_section(path: Path, section: str) -> None:
    """Replace the generated section of `path` (between the markers), keeping the rest."""
    text = (
        path.read_text(encoding="utf-8") if path.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    )
    if BEGIN not in text or END not in text:
        text = text.rstrip() + f"\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{BEGIN}\n{section}{END}{tail}", encoding="utf-8")


# --- command line -----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark `ai-review-bot analyze`.")
    parser.add_argument("--profiles", default="typical,large", help="comma-separated")
    parser.add_argument("--runs", type=int, default=5, help="timing runs per command")
    parser.add_argument("--memory-runs", type=int, default=1, help="tree-sampled runs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget", type=float, default=300, help="seconds for everything")
    parser.add_argument("--timeout", type=float, default=240, help="seconds per run")
    parser.add_argument(
        "--unbudgeted",
        default="large",
        help="profiles also timed with the analysis budget lifted (comma-separated)",
    )
    parser.add_argument("--hotspots", action="store_true", help="cProfile a serial run")
    parser.add_argument("--write", type=Path, help="replace the figures section of this file")
    parser.add_argument("--profile-in-process", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.profile_in_process:
        profile_in_process(*args.profile_in_process)
        return 0

    budget = Budget(args.budget)
    info = machine()
    names = [name.strip() for name in args.profiles.split(",") if name.strip()]
    unknown = [name for name in names if name not in PROFILES]
    if unknown:
        parser.error(f"unknown profile(s) {', '.join(unknown)}; known: {', '.join(PROFILES)}")
    unbudgeted = {name.strip() for name in args.unbudgeted.split(",")}
    results = [bench_profile(name, args, budget, name in unbudgeted) for name in names]
    extra: list[str] = []
    if args.hotspots:
        extra += import_lines(import_times(results[0].repo, args.timeout))
        extra += ["", "### Hot spots", ""]
        for result in results:
            if budget.fits(result.floor.median() * 2 if result.floor.runs else 0):
                extra += hotspot_lines(result.name, hotspots(result.repo, args.timeout))
            else:
                extra.append(f"- **{result.name}**: not profiled, the time budget was spent")

    command = "ai-review-bot analyze --repo REPO --base main --format json"
    section = markdown(results, info, command, extra)
    print(section)
    if args.write:
        write_section(args.write, section)
        log(f"wrote the figures into {args.write}")
    measured_all = all(m.series.runs for result in results for m in result.commands)
    return 0 if measured_all else 1


if __name__ == "__main__":
    sys.exit(main())
