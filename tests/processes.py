"""The App as operators run it: `ai-review-bot serve` and `worker` as real processes, talking
to the fake GitHub (served by the test) over loopback."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import aiohttp

from tests.appkit import REPO, SECRET
from tests.fakegithub import webhooks
from tests.fakegithub.models import CheckRun
from tests.fakegithub.state import FakeGitHub
from tests.redis_kit import free_port

ROOT = Path(__file__).resolve().parent.parent


class BotProcess:
    """One `ai-review-bot` process; its JSON log lines are kept in a file."""

    def __init__(self, name: str, args: Sequence[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.args = list(args)
        self.env = env
        self.log_path = logs / f"{name}.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> BotProcess:
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                *self.args,
                env=self.env,
                cwd=ROOT,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        return self

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    async def wait(self, timeout: float = 60) -> int:
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited within 10 s."""
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    def lines(self) -> list[dict[str, object]]:
        """The JSON log lines written so far (anything else it printed is skipped)."""
        found = []
        for raw in self.log_path.read_text(errors="replace").splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if isinstance(line, dict):
                found.append(line)
        return found


class Deployment:
    """A web process (and, with Redis, workers) pointed at the fake GitHub."""

    def __init__(self, github: FakeGitHub, tmp: Path, redis_url: str | None = None) -> None:
        self.github = github
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logs = tmp / "logs"
        self.logs.mkdir(exist_ok=True)
        self.env = {
            **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")},
            **github.settings_env(SECRET),
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": f"sqlite:///{tmp / 'bot.sqlite3'}",
            "PORT": str(self.port),
        }
        if redis_url is not None:
            self.env["REDIS_URL"] = redis_url
        self.processes: list[BotProcess] = []
        self._session: aiohttp.ClientSession | None = None

    async def web(self, name: str = "web") -> BotProcess:
        process = await BotProcess(
            name, ["serve", "--host", "127.0.0.1"], self.env, self.logs
        ).start()
        self.processes.append(process)
        await self.until_ready()
        return process

    async def worker(self, name: str, *args: str) -> BotProcess:
        process = await BotProcess(name, ["worker", *args], self.env, self.logs).start()
        self.processes.append(process)
        await until(
            lambda: any("Starting worker" in str(line.get("message")) for line in process.lines()),
            30,
        )
        return process

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def until_ready(self, timeout: float = 30) -> None:
        async def ready() -> bool:
            try:
                async with self.session.get(self.url + "/readyz") as response:
                    return response.status == 200
            except aiohttp.ClientConnectionError:
                return False

        await until_async(ready, timeout)

    async def send(self, hook: webhooks.Webhook, delivery_id: str | None = None) -> int:
        body, headers = hook.signed(SECRET, delivery_id)
        async with self.session.post(self.url + "/webhook", data=body, headers=headers) as answer:
            return answer.status

    async def queue_depth(self) -> int:
        """Jobs queued or running, as the web process's /metrics says."""
        async with self.session.get(self.url + "/metrics") as answer:
            text = await answer.text()
        match = re.search(r"^ai_review_queue_depth (\S+)$", text, re.MULTILINE)
        assert match is not None
        return int(float(match.group(1)))

    async def settle(self, heads: Sequence[str], timeout: float = 120) -> None:
        """Wait until every head has a completed check run and no job is queued or running."""

        async def done() -> bool:
            finals = all(self.completed(head) for head in heads)
            return finals and await self.queue_depth() == 0

        await until_async(done, timeout, poll=0.1)

    async def close(self) -> None:
        for process in self.processes:
            await process.stop()
        if self._session is not None:
            await self._session.close()

    def completed(self, head: str) -> list[CheckRun]:
        return [
            run
            for run in self.github.check_runs(REPO, head_sha=head, name="ai-review")
            if run.status == "completed"
        ]


async def until(condition: Callable[[], bool], timeout: float, poll: float = 0.05) -> None:
    """Wait until `condition()` holds; fail the test after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still waiting after {timeout} s")
        await asyncio.sleep(poll)


async def until_async(condition: Callable[[], object], timeout: float, poll: float = 0.05) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():  # type: ignore[misc]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still waiting after {timeout} s")
        await asyncio.sleep(poll)
