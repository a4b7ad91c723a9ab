"""Prometheus metrics of one process (web or worker), in a registry of its own."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bot.engine.result import Analysis


@dataclass
class Metrics:
    registry: CollectorRegistry
    webhooks: Counter
    queue_depth: Gauge
    queue_oldest: Gauge
    job_seconds: Histogram
    job_errors: Counter
    github_requests: Counter
    rate_limit_remaining: Gauge
    analysis_skips: Counter

    def observe_github(self, status: int, headers: Mapping[str, str]) -> None:
        self.github_requests.labels(str(status) if status else "no_answer").inc()
        remaining = headers.get("x-ratelimit-remaining", "")
        if remaining.isdigit():
            resource = headers.get("x-ratelimit-resource", "core")[:32]
            self.rate_limit_remaining.labels(resource).set(int(remaining))

    def observe_analysis(self, analysis: Analysis) -> None:
        """Count the files each signal left unmeasured (budget, binary, unparsable, ...)."""
        for signal in analysis.risk.signals:
            if signal.skipped:
                self.analysis_skips.labels(signal.id).inc(len(signal.skipped))

    @classmethod
    def create(cls) -> Metrics:
        registry = CollectorRegistry()
        return cls(
            registry=registry,
            webhooks=Counter(
                "ai_review_webhooks",
                "Webhook deliveries by event and outcome",
                ["event", "outcome"],
                registry=registry,
            ),
            queue_depth=Gauge("ai_review_queue_depth", "Jobs queued or running", registry=registry),
            queue_oldest=Gauge(
                "ai_review_queue_oldest_job_seconds",
                "How long the oldest waiting job has waited",
                registry=registry,
            ),
            job_seconds=Histogram(
                "ai_review_job_seconds",
                "Time to run one job, by kind",
                ["kind"],
                buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
                registry=registry,
            ),
            job_errors=Counter(
                "ai_review_job_errors",
                "Jobs that raised past the review's own error handling, by kind",
                ["kind"],
                registry=registry,
            ),
            github_requests=Counter(
                "ai_review_github_requests",
                "Requests to GitHub by answer status (no_answer: timeout or connection error)",
                ["status"],
                registry=registry,
            ),
            rate_limit_remaining=Gauge(
                "ai_review_github_rate_limit_remaining",
                "Requests left in GitHub's rate-limit window, by resource",
                ["resource"],
                registry=registry,
            ),
            analysis_skips=Counter(
                "ai_review_analysis_skipped_files",
                "Files a signal could not measure (over budget, binary, unparsable), by signal",
                ["signal"],
                registry=registry,
            ),
        )
