"""Kubernetes workloads and foreign keys end to end: `ai-review-bot analyze` on a real git
repository whose branch adds a Deployment without probes or a limit, bumps the image of an old
one that lacked them too, patches a Kustomize overlay, edits a Helm template and adds a Postgres
migration with an unindexed foreign key beside an indexed one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.conftest import CliResult, Repo

Cli = Callable[..., CliResult]

RULES = {"k8s-no-probes", "k8s-no-limits", "migration-fk-no-index"}


def deployment(name: str, image: str) -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        f"  name: {name}\nspec:\n  selector:\n    matchLabels: {{app: {name}}}\n"
        f"  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n"
        f"      containers:\n        - name: web\n          image: {image}\n"
        "          ports:\n            - containerPort: 8080\n"
    )


PATCH = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\nspec:\n  template:\n"
    "    spec:\n      containers:\n        - name: web\n          image: shop:2.0\n"
)
HELM = (
    deployment("cart", "{{ .Values.image }}").replace(
        "apiVersion", "{{- if .Values.on }}\napiVersion"
    )
    + "{{- end }}\n"
)
MIGRATION = (
    "CREATE TABLE orders (\n"
    "    id bigserial PRIMARY KEY,\n"
    "    customer_id bigint NOT NULL REFERENCES customers (id),\n"
    "    store_id bigint NOT NULL REFERENCES stores (id)\n"
    ");\n"
    "CREATE INDEX orders_store_id ON orders (store_id);\n"
)


def findings(repo: Repo, cli: Cli) -> tuple[list[tuple[Any, ...]], list[dict[str, str]]]:
    repo.commit("Base", {"deploy/legacy.yaml": deployment("legacy", "legacy:1.0")})
    repo.branch("feature/shop")
    repo.commit(
        "Shop service",
        {
            "deploy/shop.yaml": deployment("shop", "shop:1.0"),
            "deploy/legacy.yaml": deployment("legacy", "legacy:1.1"),
            "overlays/prod/deployment.yaml": PATCH,
            "charts/cart/templates/deployment.yaml": HELM,
            "db/migrations/0001_orders.sql": MIGRATION,
        },
    )
    result = cli("analyze", "--repo", str(repo.path), "--base", "main", "--format", "json")
    assert result.code == 0, result.err
    signal = next(s for s in result.json()["risk"]["signals"] if s["id"] == "patterns")
    found = [
        (loc["path"], loc["line"], loc["rule"], loc["severity"], loc.get("counted", True))
        for loc in signal["locations"]
        if loc.get("rule") in RULES
    ]
    return sorted(found), signal["skipped"]


def test_each_failure_mode_is_shown_and_its_look_alikes_are_not(repo: Repo, cli: Cli) -> None:
    found, _ = findings(repo, cli)

    assert found == [
        ("db/migrations/0001_orders.sql", 3, "migration-fk-no-index", "low", False),
        ("deploy/shop.yaml", 13, "k8s-no-limits", "low", False),
        ("deploy/shop.yaml", 13, "k8s-no-probes", "low", False),
    ]


def test_helm_template_is_said_to_be_unchecked(repo: Repo, cli: Cli) -> None:
    _, skipped = findings(repo, cli)

    assert {
        "path": "charts/cart/templates/deployment.yaml",
        "reason": (
            "a template (Helm or Go), not YAML until rendered: Kubernetes probe and limit checks "
            "did not run"
        ),
    } in skipped
