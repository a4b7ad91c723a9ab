"""Running one command-line tool over a change's files: the one place a tool process starts.

The files are written, under their repository paths, into a private temporary directory that
holds nothing else; the tool runs there with a scrubbed environment (no tokens, no user config:
each tool gets the pinned config its adapter writes), a timeout and a cap on what it may print.
Whatever goes wrong (not installed, crashed, timed out, printed too much or something we cannot
read) becomes a note on every file it was given, saying what was not checked and why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, ClassVar

from bot.engine.files import FileJob
from bot.engine.result import Skipped
from bot.engine.tool_table import ToolLimits, ToolSpec, tool_table
from bot.engine.tooling import ToolReport

_CHUNK = 64 * 1024
_POLL_SECONDS = 0.05
# Tools say little on stderr; a reason for a failure quotes its first line.
_MAX_REASON = 200


class ToolFailed(Exception):
    """The tool gave no report we can use; the message says why, in words."""


@dataclass(frozen=True, slots=True)
class Run:
    """What a finished run printed, and where the files it read were written."""

    stdout: str
    stderr: str
    exit_code: int
    root: Path  # the folder the repository paths are relative to (the tool's working folder)

    def repo_path(self, reported: str) -> str:
        """A path as the tool reported it (relative, `./`-prefixed or absolute), as git names it."""
        path = Path(reported)
        if path.is_absolute():
            try:
                return path.relative_to(self.root).as_posix()
            except ValueError:
                return reported
        return reported.removeprefix("./")


def find_binary(name: str) -> str | None:
    """The tool's executable: the one installed beside this Python (the package depends on it),
    else the first on PATH."""
    beside = shutil.which(name, path=str(Path(sys.executable).parent))
    return beside or shutil.which(name)


def safe_path(path: str) -> bool:
    """Whether a repository path can be written below the work folder and nowhere else."""
    if not path or "\x00" in path or "\\" in path:
        return False
    parts = PurePosixPath(path).parts
    return not PurePosixPath(path).is_absolute() and all(p not in ("", ".", "..") for p in parts)


class CommandTool:
    """A tool run as one process per change. Subclasses say how to call it and read its report."""

    name: ClassVar[str]
    binary: ClassVar[str]
    # Pinned configuration files, written under `config/` in the work folder.
    configs: ClassVar[Mapping[str, str]] = {}
    ok_exit_codes: ClassVar[frozenset[int]] = frozenset({0})

    def __init__(self, limits: ToolLimits | None = None, executable: str | None = None) -> None:
        """`executable`: where the tool is, when not beside this Python or on PATH."""
        self.limits = limits or tool_table().limits
        self.executable = executable

    def argv(self, paths: Sequence[str], config_dir: Path) -> list[str]:
        """The arguments after the executable (paths are relative to the working folder)."""
        raise NotImplementedError

    def parse(self, run: Run, jobs: Sequence[FileJob]) -> ToolReport:
        """The findings in the tool's report; ValueError when the report cannot be read."""
        raise NotImplementedError

    def on_failure(self, stderr: str, jobs: Sequence[FileJob]) -> ToolReport | None:
        """A report for a failure the adapter understands (e.g. no file was readable), else
        None: the run failed."""
        return None

    def prepare(self, text: str) -> str:
        """The text the tool reads for a file; it must keep every line where it is."""
        return text

    @property
    def spec(self) -> ToolSpec:
        return tool_table().spec(self.name)

    def scan(self, files: Sequence[FileJob]) -> ToolReport:
        """Run the tool once over these files; a failure is a note on each of them."""
        writable = [job for job in files if safe_path(job.path)]
        unsafe = tuple(
            self.not_checked(job.path, "its path cannot be written to a folder safely")
            for job in files
            if not safe_path(job.path)
        )
        if not writable:
            return ToolReport(skipped=unsafe)
        try:
            report = self._run(writable)
        except ToolFailed as exc:
            failed = tuple(self.not_checked(job.path, str(exc)) for job in writable)
            return ToolReport(skipped=unsafe + failed)
        return ToolReport(report.findings, unsafe + report.skipped)

    def not_checked(self, path: str, reason: str) -> Skipped:
        said = " ".join(reason.split())  # a tool's message may span lines
        return Skipped(path, f"not checked by {self.name} ({self.spec.what}): {said}")

    def _run(self, jobs: Sequence[FileJob]) -> ToolReport:
        executable = self.executable or find_binary(self.binary)
        if executable is None:
            raise ToolFailed(f"{self.binary} is not installed (it comes with ai-review-bot)")
        with tempfile.TemporaryDirectory(prefix=f"ai-review-{self.name}-") as work:
            root = Path(work) / "src"
            config_dir = Path(work) / "config"
            home = Path(work) / "home"
            for folder in (root, config_dir, home):
                folder.mkdir()
            for name, text in self.configs.items():
                (config_dir / name).write_text(text, encoding="utf-8")
            for job in jobs:
                target = root / job.path
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("w", encoding="utf-8", errors="replace", newline="") as out:
                    out.write(self.prepare(job.head_text or ""))
            argv = [executable, *self.argv([job.path for job in jobs], config_dir)]
            code, stdout, stderr = _execute(argv, root, _environment(executable, home), self.limits)
            if code not in self.ok_exit_codes:
                understood = self.on_failure(stderr, jobs)
                if understood is not None:
                    return understood
                raise ToolFailed(f"{self.name} failed (exit {code}{_first_line(stderr)})")
            run = Run(stdout, stderr, code, root)
            try:
                return self.parse(run, jobs)
            except (ValueError, KeyError, TypeError) as exc:
                raise ToolFailed(f"{self.name}'s report could not be read ({exc})") from None


def _environment(executable: str, home: Path) -> dict[str, str]:
    """Only what a tool needs to start: no token, proxy or tool setting of ours leaks in, and
    no user or system config of the tool is found (its home is the empty work folder's)."""
    env = {
        "PATH": os.pathsep.join([str(Path(executable).parent), os.defpath]),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "NO_COLOR": "1",
    }
    for name in ("SYSTEMROOT", "TMPDIR", "TEMP", "TMP"):  # Windows needs SYSTEMROOT to start
        if name in os.environ:
            env[name] = os.environ[name]
    return env


class _Capped:
    """Reads a pipe to its end in a thread, keeping at most `limit` bytes; past it, calls
    `overflow` (which stops the tool) and reads no more."""

    def __init__(self, pipe: IO[bytes], limit: int, overflow: threading.Event) -> None:
        self.data = bytearray()
        self._pipe = pipe
        self._limit = limit
        self._overflow = overflow
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while chunk := self._pipe.read(_CHUNK):
            if len(self.data) + len(chunk) > self._limit:
                self._overflow.set()
                return
            self.data.extend(chunk)

    def join(self) -> str:
        self._thread.join()
        return self.data.decode("utf-8", errors="replace")


def _execute(
    argv: list[str], cwd: Path, env: dict[str, str], limits: ToolLimits
) -> tuple[int, str, str]:
    """Run to completion within the limits: (exit code, stdout, stderr), else ToolFailed."""
    overflow = threading.Event()
    try:
        proc = subprocess.Popen(  # noqa: S603 - our own argv: the tool and file paths, no shell
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        raise ToolFailed(f"{Path(argv[0]).name} could not be started ({exc.strerror})") from None
    with proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        stdout = _Capped(proc.stdout, limits.max_output_bytes, overflow)
        stderr = _Capped(proc.stderr, limits.max_output_bytes, overflow)
        finished = _wait(proc, limits.timeout_seconds, overflow)
        out, err = stdout.join(), stderr.join()
    if overflow.is_set():
        mebibytes = limits.max_output_bytes / (1024 * 1024)
        raise ToolFailed(f"{Path(argv[0]).name} printed more than {mebibytes:g} MiB; stopped")
    if not finished:
        raise ToolFailed(
            f"{Path(argv[0]).name} did not finish within {limits.timeout_seconds} s; stopped"
        )
    return proc.returncode, out, err


def _wait(proc: subprocess.Popen[bytes], timeout: int, overflow: threading.Event) -> bool:
    """Wait for the process; stop it at the timeout or when a pipe overflows. True: it ended."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0 and not overflow.is_set():
        try:
            proc.wait(timeout=min(left, _POLL_SECONDS))
        except subprocess.TimeoutExpired:
            continue
        return not overflow.is_set()
    proc.kill()
    proc.wait()
    return False


def _first_line(stderr: str) -> str:
    """The line of stderr that says what went wrong: the first naming an error, else the last."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if not lines:
        return ""
    named = [line for line in lines if "error" in line.lower() or "fatal" in line.lower()]
    return ": " + (named[0] if named else lines[-1])[:_MAX_REASON]
