"""The container: the Dockerfile lints clean and says what a reviewer looks for, the commands
it runs work, and compose.yaml wires the scaled-out mode.

There is no container daemon here (nor in CI), so the image itself is never built. Instead the
builder stage's RUN commands, exactly as the Dockerfile writes them, run in a temporary folder
that stands in for the image's filesystem, installing offline from the wheelhouse
(tests/wheelhouse.py). The image's CMD and HEALTHCHECK, and compose's worker and redis
commands, then run with that venv and the image's ENV. Not covered: the base image, the final
stage's RUN (its user and the ownership of /data), and `docker build` itself.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from packaging.utils import canonicalize_name

from tests.redis_kit import free_port
from tests.test_lock import PYPROJECT, read_lock
from tests.wheelhouse import ROOT, offline_env

DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
HADOLINT = Path(sys.executable).parent / "hadolint"
PYTHON_TAG = "3.11"  # the Python CI tests on; the image runs the same
CHECKLISTS = sorted(path.name for path in (ROOT / "checklists").glob("*.yml"))

# -- reading a Dockerfile -----------------------------------------------------------------------

# Instructions that take --name=value flags before their arguments.
FLAGGED = {"FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"}


@dataclass(frozen=True, slots=True)
class Instruction:
    line: int
    keyword: str  # upper case
    flags: Mapping[str, str]
    value: str  # what follows the keyword and its flags, continuation lines joined

    def exec_form(self) -> list[str] | None:
        """The JSON array form (`CMD ["a", "b"]`), or None for the shell form."""
        return _json_array(self.value)

    def words(self) -> list[str]:
        """COPY's and VOLUME's arguments, in either form."""
        return self.exec_form() or self.value.split()


@dataclass(frozen=True, slots=True)
class Stage:
    base: str
    name: str | None
    instructions: tuple[Instruction, ...]

    def all(self, keyword: str) -> list[Instruction]:
        return [instruction for instruction in self.instructions if instruction.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        assert found, f"stage {self.name or self.base} has no {keyword}"
        return found[-1]

    def env(self) -> dict[str, str]:
        """Its ENV values as written (no substitution)."""
        return {name: value for ins in self.all("ENV") for name, value in env_pairs(ins)}

    def volumes(self) -> list[str]:
        return [path for instruction in self.all("VOLUME") for path in instruction.words()]

    def commands(self) -> list[list[str]]:
        """The simple commands of its shell-form RUNs."""
        return [command for ins in self.all("RUN") for command in shell_commands(ins.value)]


def _json_array(text: str) -> list[str] | None:
    if not text.startswith("["):
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None  # Docker too reads a malformed array as the shell form
    if isinstance(parsed, list) and all(isinstance(word, str) for word in parsed):
        return parsed
    return None


def parse_dockerfile(text: str) -> list[Stage]:
    """A Dockerfile's stages, read as Docker reads them: parser directives; comment and blank
    lines skipped, inside a continuation too; lines continued by the escape character."""
    lines = text.splitlines()
    escape = "\\"
    for line in lines:
        directive = re.fullmatch(r"#\s*(\w+)\s*=\s*(\S+)\s*", line)
        if directive is None:
            break
        if directive[1].lower() == "escape":
            escape = directive[2]
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not pending:
            start = number
        if line.rstrip().endswith(escape):
            pending.append(line.rstrip().removesuffix(escape))
            continue
        pending.append(line)
        instructions.append(_instruction("".join(pending).strip(), start))
        pending = []
    assert not pending, "the Dockerfile ends inside a line continuation"

    stages: list[Stage] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            words = instruction.value.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            assert len(words) == 1 or name, f"line {instruction.line}: FROM {instruction.value}"
            stages.append(Stage(words[0], name, ()))
        else:
            assert stages, f"line {instruction.line}: {instruction.keyword} before any FROM"
            stage = stages[-1]
            stages[-1] = Stage(stage.base, stage.name, (*stage.instructions, instruction))
    return stages


def _instruction(text: str, line: int) -> Instruction:
    keyword, _, rest = text.partition(" ")
    keyword = keyword.upper()
    flags: dict[str, str] = {}
    while keyword in FLAGGED and (flag := re.match(r"--([\w-]+)=(\S*)\s+", rest)):
        flags[flag[1]] = flag[2]
        rest = rest[flag.end() :]
    return Instruction(line, keyword, flags, rest.strip())


def env_pairs(instruction: Instruction) -> list[tuple[str, str]]:
    assert "'" not in instruction.value, "single quotes (no substitution) are not emulated"
    pairs = []
    for word in shlex.split(instruction.value):
        name, equals, value = word.partition("=")
        assert equals, f"line {instruction.line}: write ENV NAME=value, not the legacy form"
        pairs.append((name, value))
    return pairs


def healthcheck_command(stage: Stage) -> list[str]:
    """The HEALTHCHECK's command as Docker runs it (exec form, or `sh -c` for shell form)."""
    instruction = stage.last("HEALTHCHECK")
    word, _, rest = instruction.value.partition(" ")
    assert word.upper() == "CMD", f"HEALTHCHECK {instruction.value}"
    return _json_array(rest.strip()) or ["/bin/sh", "-c", rest.strip()]


def seconds(duration: str) -> float:
    """A Docker duration (`30s`, `1m30s`, `500ms`) in seconds."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", duration)
    assert "".join(number + unit for number, unit in parts) == duration, duration
    return sum(float(number) * units[unit] for number, unit in parts)


def shell_commands(script: str) -> list[list[str]]:
    """A shell script's simple commands, split at `&&`, `||`, `;` and `|`."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for token in lexer:
        if token in {"&&", "||", ";", "|"}:
            commands.append([])
        else:
            commands[-1].append(token)
    return [command for command in commands if command]


# -- the build context --------------------------------------------------------------------------


def dockerignore_patterns(text: str) -> list[tuple[re.Pattern[str], bool]]:
    """.dockerignore as Docker reads it: a pattern a line, relative to the context root; `#`
    comments; `!` re-includes; `**` spans folders. Pairs of (pattern, excludes)."""
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        glob = os.path.normpath(line.removeprefix("!").lstrip("/"))
        regex = ""
        for token in re.findall(r"\*\*/|\*\*|\*|\?|\[[^\]]*\]|[^*?\[]+", glob):
            if token == "**/":
                regex += "(?:.*/)?"
            elif token == "**":
                regex += ".*"
            elif token == "*":
                regex += "[^/]*"
            elif token == "?":
                regex += "[^/]"
            elif token.startswith("["):
                regex += token.replace("[!", "[^")
            else:
                regex += re.escape(token)
        patterns.append((re.compile(regex), not line.startswith("!")))
    return patterns


def ignored(relative: str, patterns: Sequence[tuple[re.Pattern[str], bool]]) -> bool:
    """Whether .dockerignore keeps `relative` out: the last pattern matching it or one of its
    parent folders decides."""
    parts = relative.split("/")
    candidates = ["/".join(parts[: length + 1]) for length in range(len(parts))]
    verdict = False
    for pattern, excludes in patterns:
        if any(pattern.fullmatch(candidate) for candidate in candidates):
            verdict = excludes
    return verdict


def build_context(context: Path, under: str = ".") -> list[str]:
    """The files and links `docker build` sends from `context` (below `under`), as relative
    paths; a link to a folder is sent as a link."""
    patterns = dockerignore_patterns((context / ".dockerignore").read_text(encoding="utf-8"))
    can_prune = all(excludes for _, excludes in patterns)  # no `!` could bring a file back
    start = context / under
    if not start.is_dir() or start.is_symlink():
        return [] if ignored(under, patterns) else [under]
    found = []
    for folder, folders, files in os.walk(start):
        here = Path(folder).relative_to(context)
        for name in list(folders):
            if (Path(folder) / name).is_symlink():
                folders.remove(name)
                files.append(name)
            elif can_prune and ignored((here / name).as_posix(), patterns):
                folders.remove(name)
        found += [(here / name).as_posix() for name in files]
    return sorted(path for path in found if not ignored(path, patterns))


# -- the image's filesystem, stood in for by a folder -------------------------------------------

_VARIABLE = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_]\w*)\}|(?P<plain>[A-Za-z_]\w*))")
# What an emulated stage may hold besides ENV, WORKDIR, VOLUME, COPY, SHELL and RUN: nothing
# that changes the files or how a command starts.
METADATA = {"LABEL", "USER", "EXPOSE", "HEALTHCHECK", "CMD", "STOPSIGNAL"}


def expand(text: str, env: Mapping[str, str]) -> str:
    """Docker's substitution of $NAME and ${NAME} (in ENV, WORKDIR, COPY)."""
    assert not re.search(r"\$\{\w*[^\w}]", text), f"{text!r}: ${{NAME:-...}} is not emulated"
    return _VARIABLE.sub(lambda match: env.get(match["braced"] or match["plain"], ""), text)


@dataclass
class ImageRoot:
    """The filesystem of the stage being built, in a temporary folder, `root`.

    The folders the Dockerfile itself puts things in (its WORKDIRs, VOLUMEs, absolute COPY
    destinations and ENV values that are absolute paths, such as the venv's) are moved under
    `root` wherever ENV, WORKDIR and COPY name them. RUN commands run as written, so they must
    reach those folders through ENV or WORKDIR. The base image is this machine: its `python`
    is the interpreter running these tests. A new stage starts from the base again, in the same
    place: the stage before is set aside, and only what COPY --from takes comes along.
    """

    root: Path
    owned: tuple[str, ...]
    _pattern: re.Pattern[str] = field(init=False)
    _stages: dict[str, Path] = field(init=False, default_factory=dict)  # set aside, by name
    _current: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        alternatives = "|".join(map(re.escape, sorted(self.owned, key=len, reverse=True)))
        self._pattern = re.compile(rf"(?<![\w.-])(?:{alternatives})(?=/|:|$)")

    @classmethod
    def for_stages(cls, root: Path, stages: Sequence[Stage]) -> ImageRoot:
        owned: set[str] = set()
        for stage in stages:
            owned.update(stage.volumes())
            owned.update(instruction.value for instruction in stage.all("WORKDIR"))
            owned.update(instruction.words()[-1] for instruction in stage.all("COPY"))
            owned.update(stage.env().values())
        absolute = {path.rstrip("/") for path in owned if re.fullmatch(r"/[\w.-][\w./-]*", path)}
        return cls(root, tuple(sorted(absolute)))

    def base_env(self) -> dict[str, str]:
        """The python image's own ENV, as far as the commands here care."""
        return {"PATH": f"{self.root}/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}

    def reroot(self, text: str, root: Path | None = None) -> str:
        return self._pattern.sub(lambda match: f"{root or self.root}{match[0]}", text)

    def path(self, image_path: str, cwd: Path) -> Path:
        return Path(self.reroot(image_path)) if image_path.startswith("/") else cwd / image_path

    def _start(self, stage: Stage) -> None:
        if self._current is not None:
            aside = self.root.with_name(f"{self.root.name}-{self._current}")
            self.root.rename(aside)
            self._stages[self._current] = aside
        base_bin = self.root / "usr" / "local" / "bin"
        base_bin.mkdir(parents=True)
        (base_bin / "python").symlink_to(os.path.realpath(sys.executable))
        self._current = stage.name or str(len(self._stages))

    def enter(
        self, stage: Stage, *, run: bool, run_env: Mapping[str, str] | None = None
    ) -> tuple[dict[str, str], Path]:
        """Follow a stage's ENV, WORKDIR, VOLUME and COPY and, with `run`, run its RUN commands
        (with `run_env` added). Returns the environment and the folder it ends with."""
        self._start(stage)
        env = self.base_env()
        cwd = self.root
        shell = ["/bin/sh", "-c"]
        for instruction in stage.instructions:
            keyword = instruction.keyword
            if keyword == "ENV":
                before = dict(env)  # one ENV's values all substitute from what was before it
                for name, value in env_pairs(instruction):
                    env[name] = expand(self.reroot(value), before)
            elif keyword == "WORKDIR":
                cwd = self.path(expand(instruction.value, env), cwd)
                cwd.mkdir(parents=True, exist_ok=True)
            elif keyword == "VOLUME":
                for path in instruction.words():
                    self.path(path, cwd).mkdir(parents=True, exist_ok=True)
            elif keyword == "COPY":
                self.copy(instruction, env, cwd)
            elif keyword == "SHELL":
                shell = instruction.exec_form() or []
            elif keyword == "RUN":
                if run:
                    self.run(instruction, shell, {**env, **(run_env or {})}, cwd)
            else:
                assert keyword in METADATA, f"line {instruction.line}: {keyword} is not emulated"
        return env, cwd

    def run(
        self, instruction: Instruction, shell: list[str], env: Mapping[str, str], cwd: Path
    ) -> None:
        named = self._pattern.search(instruction.value)
        assert named is None, (
            f"line {instruction.line}: RUN names {named[0]}; reach it through ENV or WORKDIR, "
            "so that the test can run the line as it is written"
        )
        done = subprocess.run(
            instruction.exec_form() or [*shell, instruction.value],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, (
            f"line {instruction.line}: {instruction.value}\n{done.stdout}\n{done.stderr}"
        )

    def copy(self, instruction: Instruction, env: Mapping[str, str], cwd: Path) -> None:
        *sources, target = (expand(word, env) for word in instruction.words())
        destination = self.path(target, cwd)
        if "from" in instruction.flags:
            (source,) = sources
            stage_root = self._stages[instruction.flags["from"]]
            built = Path(self.reroot(source, stage_root))
            assert built.is_relative_to(stage_root), f"COPY --from {source}: not emulated"
            shutil.copytree(built, destination, symlinks=True)
            return
        into_folder = target.endswith("/") or len(sources) > 1
        for source in sources:
            assert not re.search(r"[*?\[]", source), f"COPY {source}: wildcards are not emulated"
            relative = os.path.normpath(source.lstrip("/"))
            found = build_context(ROOT, relative)
            assert found, f"COPY {source}: not in the build context (see .dockerignore)"
            if found == [relative]:
                name = Path(relative).name
                _copy_entry(ROOT / relative, destination / name if into_folder else destination)
            else:  # a folder: its contents go into the destination
                for entry in found:
                    inside = Path(entry) if relative == "." else Path(entry).relative_to(relative)
                    _copy_entry(ROOT / entry, destination / inside)


def _copy_entry(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    if source.is_symlink():  # COPY keeps a link inside a copied folder as a link
        destination.symlink_to(os.readlink(source))
    else:
        shutil.copy2(source, destination)


# -- fixtures and processes ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def builder(stages: list[Stage]) -> Stage:
    (stage,) = [stage for stage in stages if stage.name == "builder"]
    return stage


@pytest.fixture(scope="module")
def final(stages: list[Stage]) -> Stage:
    return stages[-1]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    return services


@dataclass(frozen=True)
class Container:
    """How a container of the image starts: its ENV (paths in the stand-in root), WORKDIR,
    CMD and HEALTHCHECK."""

    root: Path
    env: Mapping[str, str]
    workdir: Path
    cmd: list[str]
    healthcheck: list[str]
    healthcheck_timeout: float

    def healthy(self, env: Mapping[str, str]) -> bool:
        """The HEALTHCHECK, run as Docker runs it: in the container's environment, and a
        failure once it takes longer than its --timeout."""
        try:
            done = subprocess.run(
                self.healthcheck,
                env=env,
                cwd=self.workdir,
                capture_output=True,
                timeout=self.healthcheck_timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0


@pytest.fixture(scope="module")
def container(
    tmp_path_factory: pytest.TempPathFactory, stages: list[Stage], builder: Stage, final: Stage
) -> Container:
    """The builder stage's commands run for real, offline; then the final stage, whose RUN
    (its user and /data) needs root and is left out."""
    pip_offline = {key: value for key, value in offline_env().items() if key.startswith("PIP_")}
    image = ImageRoot.for_stages(tmp_path_factory.mktemp("image"), stages)
    home = image.root / "root"  # the builder runs as root
    home.mkdir()
    image.enter(builder, run=True, run_env={"HOME": str(home), **pip_offline})
    env, workdir = image.enter(final, run=False)
    return Container(
        root=image.root,
        env={**env, "HOME": str(image.root / "nonexistent")},  # the image's user has no home
        workdir=workdir,
        cmd=final.last("CMD").exec_form() or [],
        healthcheck=healthcheck_command(final),
        healthcheck_timeout=seconds(final.last("HEALTHCHECK").flags.get("timeout", "30s")),
    )


def app_settings() -> dict[str, str]:
    """An App's settings as `ai-review-bot register` writes them to ai-review.env, the key as
    base64 of its PEM. GitHub's API is a closed loopback port: nothing reaches the internet."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return {
        "GITHUB_APP_ID": "424242",
        "GITHUB_PRIVATE_KEY": base64.b64encode(pem).decode("ascii"),
        "GITHUB_WEBHOOK_SECRET": "container-test-secret",
        "GITHUB_API_URL": f"http://127.0.0.1:{free_port()}",
    }


@contextmanager
def running(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A process started as Docker starts a container's exec-form command (found on the
    container's PATH); stopped when the block ends."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=output, stderr=output
        )
    try:
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM, as `docker stop` sends; SIGKILL after 30 s. Returns the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def wait_for(
    ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert process.poll() is None, f"exited {process.returncode}:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"not ready after {timeout} s:\n{log.read_text()}"
        time.sleep(0.05)


def answers_health(port: int) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def service_env(service: Mapping[str, Any]) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {str(name): str(value) for name, value in environment.items()}


def container_port(service: Mapping[str, Any], final: Stage) -> str:
    """The PORT a service's container sees: compose's environment, else the image's ENV."""
    return service_env(service).get("PORT", final.env().get("PORT", "3000"))


@pytest.fixture(name="compose_redis", scope="module")
def compose_redis_fixture(
    compose: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A redis-server started with compose's redis command; the arguments added after it only
    keep it on loopback, off the fixed port and in a temporary folder. Its URL."""
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed; .ci/run installs it with apt-get")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    folder = tmp_path_factory.mktemp("redis")
    port = free_port()
    argv = [*compose["redis"]["command"], "--bind", "127.0.0.1", "--port", str(port)]
    argv += ["--dir", str(folder)]
    log = folder / "redis.log"
    with redis.Redis(port=port) as client, running(argv, os.environ, folder, log) as server:

        def pong() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        wait_for(pong, server, log)
        yield f"redis://127.0.0.1:{port}/0"


# -- the Dockerfile -----------------------------------------------------------------------------


def hadolint(dockerfile: Path, tmp_path: Path) -> list[dict[str, Any]]:
    """hadolint's findings at every level, style included, whatever configuration the machine
    has (an explicit empty one replaces any .hadolint.yaml or ~/.config/hadolint.yaml)."""
    config = tmp_path / "hadolint.yaml"
    config.write_text("ignored: []\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("HADOLINT_")}
    done = subprocess.run(
        [str(HADOLINT), "--config", str(config), "--no-color", "--format", "json",
         "--failure-threshold", "style", str(dockerfile)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip
    assert done.stdout.strip(), done.stderr
    findings: list[dict[str, Any]] = json.loads(done.stdout)
    assert done.returncode == (1 if findings else 0), done.stderr
    return findings


def test_hadolint_finds_nothing_in_the_dockerfile(tmp_path: Path) -> None:
    assert hadolint(DOCKERFILE, tmp_path) == []
    # A rule that does not apply is ignored on its line, with a reason; none for the file.
    assert "global ignore" not in DOCKERFILE.read_text(encoding="utf-8")


def test_hadolint_flags_an_unpinned_image_and_an_unpinned_install(tmp_path: Path) -> None:
    # Proof that the test above runs a linter that checks something.
    unpinned = tmp_path / "Dockerfile"
    unpinned.write_text("FROM python:latest\nRUN pip install aiohttp\n")
    assert {finding["code"] for finding in hadolint(unpinned, tmp_path)} >= {"DL3007", "DL3013"}


def test_the_dockerfile_reader_joins_continuations_and_skips_comments() -> None:
    (stage,) = parse_dockerfile(
        "# escape=\\\nFROM base:1 AS one\nRUN a \\\n  # a comment inside\n\n  && b\n"
        'HEALTHCHECK --timeout=2s CMD ["x", "y"]\nENV A=1 B="two words"\nCMD ["run"]\n'
    )
    assert (stage.base, stage.name) == ("base:1", "one")
    assert stage.commands() == [["a"], ["b"]]
    assert stage.last("HEALTHCHECK").flags == {"timeout": "2s"}
    assert healthcheck_command(stage) == ["x", "y"]
    assert stage.env() == {"A": "1", "B": "two words"}
    assert stage.last("CMD").exec_form() == ["run"]


def test_the_final_image_takes_only_the_venv_from_the_builder(
    stages: list[Stage], builder: Stage, final: Stage
) -> None:
    assert stages == [builder, final]
    (copy,) = final.all("COPY")
    assert copy.flags == {"from": "builder"}
    # A venv's scripts name its interpreter by absolute path: it cannot move.
    assert copy.words() == [builder.env()["VIRTUAL_ENV"]] * 2


def test_both_stages_start_from_one_pinned_image_of_the_python_ci_tests(
    stages: list[Stage],
) -> None:
    # One base: the venv's interpreter is the base image's /usr/local/bin/python. A Debian
    # release, not `latest`; a digest may pin it further.
    (base,) = {stage.base for stage in stages}
    assert re.fullmatch(
        rf"python:{re.escape(PYTHON_TAG)}-slim-bookworm(@sha256:[0-9a-f]{{64}})?", base
    )


def test_the_builder_installs_the_hash_pinned_lock_then_the_project_without_deps(
    builder: Stage,
) -> None:
    installs = [
        command
        for command in builder.commands()
        if command[:2] == ["pip", "install"] or command[1:4] == ["-m", "pip", "install"]
    ]
    # CI's two installs, word for word: nothing unpinned comes from the index.
    assert installs == [
        ["pip", "install", "--require-hashes", "-r", "requirements/app.txt"],
        ["pip", "install", "--no-deps", "--no-build-isolation", "."],
    ]


def test_the_image_runs_as_a_fixed_non_root_uid(final: Stage) -> None:
    uid, _, gid = final.last("USER").value.partition(":")
    # Numeric, so that Kubernetes' runAsNonRoot can check it.
    assert uid.isdigit()
    assert int(uid) != 0
    assert gid not in {"0", "root"}
    (useradd,) = [command for command in final.commands() if command[0] == "useradd"]
    assert useradd[useradd.index("--uid") + 1] == uid


def test_the_image_serves_on_its_port_and_checks_its_health(final: Stage) -> None:
    env = final.env()
    assert final.last("CMD").exec_form() == ["ai-review-bot", "serve"]
    assert final.last("EXPOSE").value == env["PORT"]
    healthcheck = final.last("HEALTHCHECK")
    assert seconds(healthcheck.flags["timeout"]) <= 10
    assert any("/healthz" in word for word in healthcheck_command(final))


def test_the_embedded_store_lives_in_the_volume(final: Stage) -> None:
    database = Path(final.env()["DATABASE_URL"].removeprefix("sqlite:///"))
    assert database.is_absolute()
    assert final.volumes() == [str(database.parent)]
    assert final.last("WORKDIR").value == str(database.parent)


def test_the_build_context_holds_what_the_image_needs_and_nothing_local() -> None:
    context = build_context(ROOT)
    assert {"pyproject.toml", "README.md", "LICENSE", "requirements/app.txt"} <= set(context)
    assert {"bot/cli.py", "bot/checklists"} <= set(context)  # the link, and what it points to:
    assert {f"checklists/{name}" for name in CHECKLISTS} <= set(context)
    local = re.compile(
        r"(^|/)(\.git|\.venv|\.wheelhouse|node_modules|__pycache__)/|^(tests|bench)/"
        r"|\.sqlite3|\.pem$|(^|/)ai-review\.env$"
    )
    assert [path for path in context if local.search(path)] == []


# -- the Dockerfile's commands, run outside a container -----------------------------------------


def test_the_venv_holds_exactly_the_lock_and_the_project(container: Container) -> None:
    listed = subprocess.run(
        ["python", "-m", "pip", "list", "--format", "json"],
        env=container.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    installed = {
        canonicalize_name(item["name"]): item["version"] for item in json.loads(listed.stdout)
    }
    locked = {
        pin.name: pin.version
        for pin in read_lock("app.txt").values()
        if pin.marker is None or pin.marker.evaluate()
    }
    assert installed.pop("ai-review-bot") == PYPROJECT["project"]["version"]
    installed.pop("pip")  # the venv's own
    assert installed == locked


def test_the_installed_app_has_its_checklists(container: Container) -> None:
    shown = subprocess.run(
        ["python", "-c", "import bot; print(bot.__file__)"],
        env=container.env,
        cwd=container.workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    package = Path(shown.stdout.strip()).parent
    assert package.is_relative_to(container.root)
    assert package.parent.name == "site-packages"
    checklists = package / "checklists"
    assert checklists.is_dir()
    assert not checklists.is_symlink()
    assert sorted(path.name for path in checklists.glob("*.yml")) == CHECKLISTS


def test_the_image_cmd_serves_and_the_healthcheck_follows_it(
    container: Container, tmp_path: Path
) -> None:
    port = free_port()  # as `docker run -e PORT=...` would
    env = {**container.env, **app_settings(), "PORT": str(port)}
    log = tmp_path / "serve.log"
    with running(container.cmd, env, container.workdir, log) as server:
        wait_for(lambda: answers_health(port), server, log)
        assert container.healthy(env)
        assert stop(server) == 0, log.read_text()
    assert not container.healthy(env)
    # The embedded store is where the image's DATABASE_URL puts it: in its volume.
    assert Path(env["DATABASE_URL"].removeprefix("sqlite:///")).is_file()


def test_the_compose_worker_command_runs_and_answers_the_image_healthcheck(
    compose: dict[str, Any], container: Container, compose_redis: str, tmp_path: Path
) -> None:
    worker = compose["worker"]
    compose_env = service_env(worker)
    assert urlsplit(compose_env["REDIS_URL"]).hostname in compose  # a service's name
    port = free_port()  # moved off 3000, as `-p` would map it
    env = {
        **container.env,
        **app_settings(),  # its env_file
        **compose_env,
        "REDIS_URL": compose_redis,
        "PORT": str(port),
    }
    argv = list(worker["command"])
    argv[argv.index("--port") + 1] = str(port)
    log = tmp_path / "worker.log"
    with running(argv, env, container.workdir, log) as process:
        wait_for(lambda: answers_health(port), process, log)
        assert container.healthy(env)
        assert stop(process) == 0, log.read_text()
    assert not container.healthy(env)


# -- compose.yaml -------------------------------------------------------------------------------


def test_compose_runs_web_and_workers_from_one_image_beside_redis(compose: dict[str, Any]) -> None:
    assert set(compose) == {"web", "worker", "redis"}
    web, worker = compose["web"], compose["worker"]
    assert web["build"] == worker["build"] == "."
    assert web["image"] == worker["image"]
    assert web["command"] == ["ai-review-bot", "serve"]
    assert worker["command"][:2] == ["ai-review-bot", "worker"]
    for service in (web, worker):
        assert service["env_file"] == "ai-review.env"
        assert service["depends_on"] == {"redis": {"condition": "service_healthy"}}
        assert service["restart"] == "unless-stopped"
        # Jobs in flight get 25 s on SIGTERM; Docker's default of 10 s would cut them short.
        assert seconds(service["stop_grace_period"]) > 25


def test_compose_web_and_workers_share_the_redis_service(compose: dict[str, Any]) -> None:
    (url,) = {service_env(compose[name])["REDIS_URL"] for name in ("web", "worker")}
    assert (urlsplit(url).hostname, urlsplit(url).port) == ("redis", 6379)


def test_compose_redis_is_pinned_persistent_and_health_checked(compose: dict[str, Any]) -> None:
    service = compose["redis"]
    assert re.fullmatch(r"redis:7\.\d+(\.\d+)?(-\w+)?", service["image"])
    command = service["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] == "everysec"
    assert service["volumes"] == ["redis-data:/data"]
    assert "redis-data" in yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["volumes"]
    assert "redis-cli ping" in " ".join(service["healthcheck"]["test"])


def test_compose_redis_command_turns_aof_on(compose_redis: str) -> None:
    with redis.Redis.from_url(compose_redis) as client:
        config = client.config_get("append*")
    assert (config["appendonly"], config["appendfsync"]) == ("yes", "everysec")


def test_compose_publishes_the_port_the_web_listens_on(
    compose: dict[str, Any], final: Stage
) -> None:
    web = compose["web"]
    (published,) = web["ports"]
    target = str(published).rsplit(":", 1)[-1].removesuffix("/tcp")
    assert target == container_port(web, final)


def test_compose_workers_serve_probes_where_the_image_healthcheck_looks(
    compose: dict[str, Any], final: Stage
) -> None:
    worker = compose["worker"]
    command = worker["command"]
    assert command[command.index("--port") + 1] == container_port(worker, final)
