"""Benchmark the App as deployed: webhook ack latency under load, and end-to-end throughput.

Both run real processes (`ai-review-bot serve`, and `worker`s on a real redis-server) against
the project's fake GitHub on loopback, for each backend:

- embedded: one `serve` process, its SQLite queue and 4 in-process job runners;
- redis: one `serve` process and 2 `worker` processes (4 pull requests at once each), all on
  the same machine;
- redis-web (ack latency only): the `serve` process alone, as when workers run on other
  machines; jobs wait in Redis.

(a) Ack latency: a separate load-generator process sends signed deliveries open-loop at a fixed
    rate (default 200/s for 10 s) to /webhook while the App works through them; latency counts
    from each delivery's scheduled time (no coordinated omission) to the answer. The first
    second warms the server up (its worst is shown apart) and is not in the percentiles.
(b) Throughput: N pull requests are opened at once (one `opened` delivery each), with the fake
    GitHub adding 50 ms to every call; the figure is pull request events per second from the
    first delivery to the last final check run. Mutating requests of one installation go one at
    a time (GitHub's rule), so the run is made with the pull requests in 1 installation and
    spread over 4.

    .venv/bin/python bench/service_bench.py
    .venv/bin/python bench/service_bench.py --modes redis --rate 200 --seconds 10 --prs 80
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.appkit import REPO, SECRET  # noqa: E402
from tests.conftest import CLAUDE, Repo  # noqa: E402
from tests.fakegithub import webhooks  # noqa: E402
from tests.fakegithub.server import serve  # noqa: E402
from tests.fakegithub.state import FakeGitHub  # noqa: E402
from tests.processes import Deployment, until  # noqa: E402
from tests.redis_kit import RedisServer  # noqa: E402
from tests.scenarios import SENIORS, build_burst  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# -- the load generator (its own process, so its timing is not disturbed by the fake) ---------


async def _generate(url: str, deliveries: Path, rate: float, out: Path) -> None:
    import aiohttp

    items = [json.loads(line) for line in deliveries.read_text().splitlines()]
    results: list[tuple[float, float, int]] = [(0.0, 0.0, 0)] * len(items)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.2

        async def one(index: int, item: dict[str, object]) -> None:
            scheduled = start + index / rate
            await asyncio.sleep(max(0.0, scheduled - loop.time()))
            sent = loop.time()
            body = str(item["body"]).encode()
            async with session.post(url, data=body, headers=item["headers"]) as answer:  # type: ignore[arg-type]
                await answer.read()
                done = loop.time()
                results[index] = (done - scheduled, done - sent, answer.status)

        await asyncio.gather(*(one(i, item) for i, item in enumerate(items)))
    out.write_text(json.dumps(results))


# -- the scenarios -----------------------------------------------------------------------------


def _git_repo(tmp: Path) -> Repo:
    os.environ["GIT_CONFIG_GLOBAL"] = str(tmp / "gitconfig")
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    (tmp / "gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    path = tmp / "repo"
    path.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=path, check=True)
    repo = Repo(path)
    repo.commit("Start", {"README.md": "bench\n"})
    return repo


async def _deploy(github: FakeGitHub, tmp: Path, mode: str, redis_url: str | None) -> Deployment:
    deployment = Deployment(github, tmp, redis_url if mode.startswith("redis") else None)
    await deployment.web()
    if mode == "redis":
        await deployment.worker("worker-1")
        await deployment.worker("worker-2")
    return deployment


async def ack_latency(
    mode: str, rate: float, seconds: float, redis_url: str | None
) -> dict[str, object]:
    count = int(rate * seconds)
    with tempfile.TemporaryDirectory() as raw:
        tmp = Path(raw)
        repo = _git_repo(tmp)
        github = FakeGitHub()
        async with serve(github):
            github.install("acme")
            github.add_repo(REPO, repo)
            per_pull = 20
            burst = build_burst(
                github, repo, pulls=count // per_pull + 1, pushes=2, reviews=6, edits=6,
                labels=per_pull - 14, redelivered=0,
            )  # fmt: skip
            lines = []
            for delivery in burst.deliveries[:count]:
                body, headers = delivery.hook.signed(SECRET, delivery.delivery_id)
                lines.append(json.dumps({"body": body.decode(), "headers": headers}))
            file = tmp / "deliveries.jsonl"
            file.write_text("\n".join(lines))
            deployment = await _deploy(github, tmp, mode, redis_url)
            try:
                out = tmp / "latencies.json"
                generator = await asyncio.create_subprocess_exec(
                    sys.executable, __file__, "--loadgen", deployment.url + "/webhook",
                    str(file), str(rate), str(out),
                )  # fmt: skip
                await generator.wait()
                results = json.loads(out.read_text())
            finally:
                await deployment.close()
    warm = int(rate)  # the first second
    corrected = [r[0] * 1000 for r in results[warm:]]
    service = [r[1] * 1000 for r in results[warm:]]
    statuses: dict[str, int] = {}
    for _, _, status in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "deliveries": count,
        "rate": rate,
        "cold_max_ms": round(max(r[0] for r in results[:warm]) * 1000, 2),
        "p50_ms": round(percentile(corrected, 0.50), 2),
        "p99_ms": round(percentile(corrected, 0.99), 2),
        "max_ms": round(max(corrected), 2),
        "p99_from_send_ms": round(percentile(service, 0.99), 2),
        "statuses": statuses,
    }


async def throughput(
    mode: str, prs: int, latency: float, redis_url: str | None, installations: int = 1
) -> dict[str, object]:
    """`prs` pull requests opened at once, spread over `installations` organizations."""
    with tempfile.TemporaryDirectory() as raw:
        tmp = Path(raw)
        repo = _git_repo(tmp)
        github = FakeGitHub()
        async with serve(github):
            names = [REPO] + [f"org{i}/widgets" for i in range(1, installations)]
            for name in names:
                github.install(name.split("/")[0])
                github.add_repo(name, repo)  # one git repository behind every name
            repo.commit("Configure", {".github/ai-review.yml": SENIORS})
            heads, hooks = [], []
            for index in range(prs):
                name = names[index % len(names)]
                repo.branch(f"t/{index}")
                body = "".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(20))
                head = repo.commit("Change", {f"app/t{index}.py": body}, trailers=(CLAUDE,))
                heads.append((name, head))
                repo.checkout("main")
                number = github.add_pull(name, f"t/{index}").number
                hooks.append(webhooks.pull_request(github, name, number, "opened"))
            deployment = await _deploy(github, tmp, mode, redis_url)

            def finished() -> bool:
                return all(
                    any(run.status == "completed" for run in github.check_runs(name, head_sha=h))
                    for name, h in heads
                )

            try:
                github.latency = latency
                github.clear_log()
                started = time.monotonic()
                statuses = await asyncio.gather(*(deployment.send(hook) for hook in hooks))
                await until(finished, 600, poll=0.05)
                elapsed = time.monotonic() - started
                calls = github.count()
            finally:
                await deployment.close()
    assert set(statuses) == {202}, statuses
    return {
        "prs": prs,
        "installations": installations,
        "latency_ms": latency * 1000,
        "seconds": round(elapsed, 2),
        "events_per_second": round(prs / elapsed, 2),
        "github_calls_per_pr": round(calls / prs, 1),
    }


async def main(args: argparse.Namespace) -> None:
    scaled = any(mode.startswith("redis") for mode in args.modes)
    server = RedisServer(Path(tempfile.mkdtemp())) if scaled else None
    try:
        report: dict[str, object] = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}",
        }
        for mode in args.modes:
            url = server.url if server else None
            if server:
                server.flush()
            result: dict[str, object] = {
                "ack": await ack_latency(mode, args.rate, args.seconds, url)
            }
            if server:
                server.flush()
            if mode != "redis-web":
                for count in args.installations:
                    if server:
                        server.flush()
                    result[f"throughput_{count}_installations"] = await throughput(
                        mode, args.prs, args.latency, url, count
                    )
            report[mode] = result
            print(json.dumps({mode: report[mode]}), flush=True)
        print(json.dumps(report, indent=2))
    finally:
        if server:
            server.stop()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--loadgen":
        url, file, rate, out = sys.argv[2:6]
        asyncio.run(_generate(url, Path(file), float(rate), Path(out)))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--modes", type=lambda s: s.split(","), default=["embedded", "redis", "redis-web"]
    )
    parser.add_argument("--rate", type=float, default=200.0, help="deliveries per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--prs", type=int, default=80)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per GitHub call")
    parser.add_argument(
        "--installations",
        type=lambda s: [int(n) for n in s.split(",")],
        default=[1, 4],
        help="throughput runs with the pull requests spread over this many installations",
    )
    asyncio.run(main(parser.parse_args()))
