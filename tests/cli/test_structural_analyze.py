"""The structural rules end to end: `ai-review-bot analyze` on a real git repository whose branch
writes each failure mode beside a look-alike, moves old code, and touches a test."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

from tests.conftest import CliResult, Repo

Cli = Callable[..., CliResult]

STRUCTURAL = {
    "query-in-loop",
    "write-in-loop",
    "unbounded-query",
    "secret-in-log",
    "print-debug",
    "money-float",
    "payment-no-idempotency",
    "blocking-in-async",
    "xss-sink",
}


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


LEGACY = code(
    """
    def order_counts(users):
        counts = {}
        for user in users:
            counts[user.id] = Order.objects.filter(user=user).count()
        return counts
    """
)
VIEWS = code(
    """
    def invoice_totals(invoices):
        totals = []
        for invoice in invoices:
            totals.append(Payment.objects.filter(invoice=invoice).count())
        return totals


    def invoice_totals_batched(invoices):
        payments = Payment.objects.filter(invoice__in=invoices)
        return payments.values("invoice").annotate(n=Count("id"))
    """
)
PAYOUTS = code(
    """
    export async function payPartner(partner: Partner) {
      await stripe.transfers.create({ amount: partner.due, destination: partner.account });
    }

    export async function payPartnerOnce(partner: Partner) {
      await stripe.transfers.create(
        { amount: partner.due, destination: partner.account },
        { idempotencyKey: `payout-${partner.payoutId}` },
      );
    }
    """
)
AUTH = code(
    """
    import logging

    logger = logging.getLogger(__name__)


    def sign_in(user, access_token):
        logger.info("signed in %s with %s", user.id, access_token)
        logger.info("token of %d characters", len(access_token))
    """
)
WIDGET = code(
    """
    export function showName(el: HTMLElement, name: string) {
      el.innerHTML = `<b>${name}</b>`;
      el.title = name;
    }
    """
)
TEST_VIEWS = code(
    """
    def test_totals(invoices):
        for invoice in invoices:
            assert Payment.objects.filter(invoice=invoice).count() == 1
    """
)


def analyze(repo: Repo, cli: Cli) -> dict[str, Any]:
    repo.commit("Base", {"shop/legacy.py": LEGACY})
    repo.branch("feature/payments")
    repo.commit(
        "Payments, sign-in and a moved report",
        {
            "shop/summaries.py": VIEWS,
            "src/partners.ts": PAYOUTS,
            "app/people.py": AUTH,
            "src/widget.ts": WIDGET,
            "tests/test_views.py": TEST_VIEWS,
            "shop/reports.py": LEGACY,
        },
        delete=("shop/legacy.py",),
    )
    result = cli("analyze", "--repo", str(repo.path), "--base", "main", "--format", "json")
    assert result.code == 0, result.err
    report: dict[str, Any] = result.json()
    return report


def structural_findings(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    signal = next(s for s in report["risk"]["signals"] if s["id"] == "patterns")
    return [
        (loc["path"], loc["line"], loc["rule"], loc["severity"], loc.get("counted", True))
        for loc in signal["locations"]
        if loc.get("rule") in STRUCTURAL
    ]


def test_each_failure_mode_is_found_and_its_look_alike_is_not(repo: Repo, cli: Cli) -> None:
    report = analyze(repo, cli)

    assert sorted(structural_findings(report)) == [
        ("app/people.py", 7, "secret-in-log", "medium", True),
        ("shop/summaries.py", 4, "query-in-loop", "medium", True),
        ("src/partners.ts", 2, "payment-no-idempotency", "medium", True),
        ("src/widget.ts", 2, "xss-sink", "low", False),
    ]


def test_findings_carry_their_cwe_and_say_what_to_do(repo: Repo, cli: Cli) -> None:
    report = analyze(repo, cli)
    signal = next(s for s in report["risk"]["signals"] if s["id"] == "patterns")
    by_rule = {loc["rule"]: loc for loc in signal["locations"] if loc.get("rule") in STRUCTURAL}

    assert {rule: loc["cwe"] for rule, loc in by_rule.items()} == {
        "secret-in-log": 532,
        "query-in-loop": 1050,
        "payment-no-idempotency": 837,
        "xss-sink": 79,
    }
    assert "idempotencyKey" in by_rule["payment-no-idempotency"]["message"]


def test_counted_findings_select_their_checklist_items(repo: Repo, cli: Cli) -> None:
    # The files' paths name no area (payments, auth, api, db): the findings select the items.
    report = analyze(repo, cli)
    selected = {item["id"] for checklist in report["checklist"] for item in checklist["items"]}

    assert {"n-plus-one", "payment-idempotency", "no-sensitive-logs"} <= selected


def test_rules_turned_off_in_the_config_neither_report_nor_select(repo: Repo, cli: Cli) -> None:
    repo.commit(
        "Config",
        {
            ".github/ai-review.yml": "risk:\n  patterns:\n    disable: [query-in-loop, "
            "payment-no-idempotency, secret-in-log]\n"
        },
    )
    report = analyze(repo, cli)
    selected = {item["id"] for checklist in report["checklist"] for item in checklist["items"]}

    assert structural_findings(report) == [("src/widget.ts", 2, "xss-sink", "low", False)]
    assert {"n-plus-one", "payment-idempotency", "no-sensitive-logs"} & selected == set()
