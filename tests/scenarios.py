"""Bursts of webhook deliveries as GitHub sends them, for the scale-out tests and benchmarks:
many pull requests, each pushed to, edited, labeled and reviewed, some deliveries sent twice,
and a fake GitHub that fails a share of calls."""

from __future__ import annotations

import asyncio
import random
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tests.appkit import REPO, configure
from tests.conftest import CLAUDE, Repo
from tests.fakegithub import webhooks
from tests.fakegithub.faults import Fault, secondary_rate_limit_body
from tests.fakegithub.state import FakeGitHub

# Every AI-assisted change needs a senior, whatever its risk.
SENIORS = (
    "approvals:\n"
    "  seniors: ['@acme/architects']\n"
    "  required: {low: 1, medium: 1, high: 1, critical: 2}\n"
)


@dataclass
class Pull:
    number: int
    ai: bool
    heads: list[str] = field(default_factory=list)

    @property
    def expected(self) -> str:
        """The final head's conclusion: AI-assisted needs a senior (none approve here)."""
        return "action_required" if self.ai else "success"


@dataclass
class Delivery:
    hook: webhooks.Webhook
    delivery_id: str
    redelivery: bool = False


@dataclass
class Burst:
    pulls: list[Pull]
    deliveries: list[Delivery]


def build_burst(
    github: FakeGitHub,
    repo: Repo,
    *,
    pulls: int,
    pushes: int,
    reviews: int,
    edits: int,
    labels: int,
    redelivered: float,
    seed: int = 7,
) -> Burst:
    """Open `pulls` pull requests (every other one AI-assisted), each with its events, and
    interleave all deliveries as a busy installation would send them."""
    rng = random.Random(seed)
    configure(repo, SENIORS)
    made: list[Pull] = []
    per_pull: list[list[Delivery]] = []
    for index in range(pulls):
        ai = index % 2 == 0
        branch = f"burst/{index}"
        repo.branch(branch)
        trailers = (CLAUDE,) if ai else ()
        head = repo.commit("Start", {f"app/m{index}.py": "X = 0\n"}, trailers=trailers)
        repo.checkout("main")
        number = github.add_pull(REPO, branch, title=f"Change {index}").number
        pull = Pull(number, ai, [head])
        events = [_new(webhooks.pull_request(github, REPO, number, "opened"))]
        for push in range(1, pushes):
            repo.checkout(branch)
            before = pull.heads[-1]
            pull.heads.append(
                repo.commit(
                    f"Push {push}", {f"app/m{index}.py": f"X = {push}\n"}, trailers=trailers
                )
            )
            repo.checkout("main")
            events.append(
                _new(webhooks.pull_request(github, REPO, number, "synchronize", before=before))
            )
        for review in range(reviews):
            found = github.add_review(REPO, number, "rita", "COMMENTED", body=f"note {review}")
            events.append(_new(webhooks.pull_request_review(github, REPO, number, found.id)))
        for edit in range(edits):
            changes = {"body": {"from": f"text {edit}"}}
            events.append(
                _new(webhooks.pull_request(github, REPO, number, "edited", changes=changes))
            )
        for label in range(labels):
            events.append(
                _new(webhooks.pull_request(github, REPO, number, "labeled", label=f"area-{label}"))
            )
        made.append(pull)
        per_pull.append(events)
    deliveries = _interleave(per_pull, rng)
    for original in rng.sample(deliveries, int(len(deliveries) * redelivered)):
        later = rng.randrange(deliveries.index(original) + 1, len(deliveries) + 1)
        deliveries.insert(later, Delivery(original.hook, original.delivery_id, redelivery=True))
    return Burst(made, deliveries)


def _new(hook: webhooks.Webhook) -> Delivery:
    return Delivery(hook, str(uuid.uuid4()))


def _interleave(per_pull: list[list[Delivery]], rng: random.Random) -> list[Delivery]:
    """One list, each pull request's events in their order, pull requests mixed."""
    queues = [list(events) for events in per_pull]
    out: list[Delivery] = []
    while any(queues):
        queue = rng.choice([q for q in queues if q])
        out.append(queue.pop(0))
    return out


async def send_all(
    send: Callable[[webhooks.Webhook, str], Awaitable[int]],
    deliveries: list[Delivery],
    in_flight: int = 32,
    per_second: float | None = None,
) -> list[int]:
    """Send every delivery, up to `in_flight` at once (and at most `per_second` started each
    second), each PR's in order; the statuses."""
    gate = asyncio.Semaphore(in_flight)
    loop = asyncio.get_running_loop()
    start = loop.time()
    statuses: list[int] = [0] * len(deliveries)
    previous: dict[str, asyncio.Event] = {}

    async def one(index: int, delivery: Delivery) -> None:
        if per_second is not None:
            await asyncio.sleep(max(0.0, start + index / per_second - loop.time()))
        key = str(
            delivery.hook.payload.get("number") or delivery.hook.payload["pull_request"]["number"]
        )
        before = previous.get(key)
        done = previous[key] = asyncio.Event()
        if before is not None:
            await before.wait()
        try:
            async with gate:
                statuses[index] = await send(delivery.hook, delivery.delivery_id)
        finally:
            done.set()

    await asyncio.gather(*(one(i, d) for i, d in enumerate(deliveries)))
    return statuses


class Flaky(Fault):
    """Answers a random share of matching requests with this fault's status."""

    def __init__(self, share: float, status: int, rng: random.Random, **extra: object) -> None:
        super().__init__(method=None, path=re.compile(""), status=status, times=None, **extra)  # type: ignore[arg-type]
        self._share = share
        self._rng = rng

    def matches(self, method: str, path: str) -> bool:
        return self._rng.random() < self._share


def break_github(github: FakeGitHub, share: float, seed: int = 11) -> list[Flaky]:
    """Fail `share` of all calls: half 502, half 403 secondary rate limit."""
    rng = random.Random(seed)
    faults = [
        Flaky(share / 2, 502, rng),
        # Of the rest, half again: the second rule sees only what the first let through.
        Flaky(share / 2 / (1 - share / 2), 403, rng, body=secondary_rate_limit_body()),
    ]
    for fault in faults:
        github.faults.add(fault)
    return faults
