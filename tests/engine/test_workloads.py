"""Kubernetes workloads without probes or a memory limit (bot/engine/workloads.py): a container
the change wrote, in a complete manifest of production, read as YAML; never a patch, a
template, a Job's probes, or what the base already lacked."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from types import MappingProxyType

import pytest

from bot.config.levels import Severity
from bot.engine.builtins import load_builtins
from bot.engine.files import FileJob, needs_text
from bot.engine.patterns import scan_file
from bot.engine.resolve import build_ruleset
from bot.engine.snapshot import ChangedFile, FileStatus
from bot.engine.workloads import scan_manifest


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def make_job(
    path: str,
    head_text: str | None,
    added: Iterable[int] | None = None,
    *,
    base_text: str | None = None,
    production: bool = True,
) -> FileJob:
    lines = (head_text or "").split("\n")
    numbers = range(1, len(lines) + 1) if added is None else added
    added_text = {n: lines[n - 1] for n in numbers} if head_text is not None else {1: "image: x"}
    language = load_builtins().languages.of(path)
    return FileJob(
        path=path,
        language=language.id if language else None,
        meter=None,
        base_text=base_text,
        head_text=head_text,
        added_lines=frozenset(added_text),
        added_text=MappingProxyType(added_text),
        production=production,
    )


def found(path: str, text: str, **kwargs: object) -> list[tuple[str | None, int | None]]:
    job = make_job(path, text, **kwargs)  # type: ignore[arg-type]
    return [(f.rule, f.line) for f in scan_manifest(job, frozenset()).findings]


DEPLOYMENT = code(
    """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: shop
    spec:
      replicas: 2
      selector:
        matchLabels: {app: shop}
      template:
        metadata:
          labels: {app: shop}
        spec:
          containers:
            - name: web
              image: shop:1.4
              ports:
                - containerPort: 8080
    """
)

HEALTHY = DEPLOYMENT + (
    "          readinessProbe:\n"
    "            httpGet: {path: /ready, port: 8080}\n"
    "          livenessProbe:\n"
    "            httpGet: {path: /live, port: 8080}\n"
    "          resources:\n"
    "            requests: {cpu: 100m, memory: 128Mi}\n"
    "            limits: {memory: 256Mi}\n"
)


# --- true positives -------------------------------------------------------------------------


def test_new_deployment_without_probes_or_limits_gets_both_findings_at_its_container() -> None:
    assert found("deploy/shop.yaml", DEPLOYMENT) == [
        ("k8s-no-limits", 14),
        ("k8s-no-probes", 14),
    ]


def test_finding_names_the_container_and_workload_and_says_what_to_do() -> None:
    job = make_job("deploy/shop.yaml", DEPLOYMENT)

    findings = {f.rule: f for f in scan_manifest(job, frozenset()).findings}

    probes, limits = findings["k8s-no-probes"], findings["k8s-no-limits"]
    assert probes.message.startswith(
        "Container `web` of Deployment `shop` has no readiness or liveness probe"
    )
    assert "readinessProbe" in probes.message
    assert "resources.limits.memory" in limits.message
    # Shown, not counted: under 80% precision on real manifests (docs/rules.md).
    assert (probes.severity, limits.severity, limits.cwe) == (Severity.LOW,) * 2 + (770,)
    assert (probes.counted, limits.counted) == (False, False)


def test_each_document_of_a_stream_is_read() -> None:
    service = "apiVersion: v1\nkind: Service\nmetadata: {name: shop}\nspec: {ports: [{port: 80}]}\n"
    text = service + "---\n" + DEPLOYMENT

    assert found("k8s/all.yaml", text) == [("k8s-no-limits", 19), ("k8s-no-probes", 19)]


def test_a_job_needs_a_memory_limit_but_no_probe() -> None:
    job = code(
        """
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: nightly}
        spec:
          schedule: "0 3 * * *"
          jobTemplate:
            spec:
              template:
                spec:
                  restartPolicy: OnFailure
                  containers:
                    - name: report
                      image: report:2
        """
    )

    assert found("deploy/cron.yaml", job) == [("k8s-no-limits", 12)]


def test_a_container_added_beside_a_healthy_one_is_reported_alone() -> None:
    sidecar = "        - name: proxy\n          image: envoy:1.30\n"
    sidecar += "          ports: [{containerPort: 9901}]\n"
    head = HEALTHY + sidecar
    added = [len(HEALTHY.split("\n")), len(HEALTHY.split("\n")) + 1]

    assert found("deploy/shop.yaml", head, added=added, base_text=HEALTHY) == [
        ("k8s-no-limits", added[0]),
        ("k8s-no-probes", added[0]),
    ]


def test_probe_removed_from_an_edited_container_is_reported() -> None:
    head = HEALTHY.replace(
        "          readinessProbe:\n            httpGet: {path: /ready, port: 8080}\n"
        "          livenessProbe:\n            httpGet: {path: /live, port: 8080}\n",
        "",
    ).replace("shop:1.4", "shop:1.5")

    assert found("deploy/shop.yaml", head, added=[15], base_text=HEALTHY) == [("k8s-no-probes", 15)]


# --- look-alikes ----------------------------------------------------------------------------


def test_healthy_deployment_is_not_reported() -> None:
    assert found("deploy/shop.yaml", HEALTHY) == []


def test_image_bump_of_a_container_that_already_lacked_them_is_not_reported() -> None:
    head = DEPLOYMENT.replace("shop:1.4", "shop:1.5")

    assert found("deploy/shop.yaml", head, added=[15], base_text=DEPLOYMENT) == []


def test_manifest_completed_by_the_change_keeps_what_its_container_lacked() -> None:
    # apps/v1beta1 had no selector: the base is read whole, complete or not.
    base = DEPLOYMENT.replace("  selector:\n    matchLabels: {app: shop}\n", "")

    assert found("deploy/shop.yaml", DEPLOYMENT, added=[7, 8, 15], base_text=base) == []


def test_replication_controller_made_a_deployment_keeps_what_its_container_lacked() -> None:
    base = DEPLOYMENT.replace("apps/v1", "v1").replace("Deployment", "ReplicationController")

    assert found("deploy/shop.yaml", DEPLOYMENT, added=[1, 2, 15], base_text=base) == []


def test_lines_outside_the_container_do_not_report_it() -> None:
    head = DEPLOYMENT.replace("replicas: 2", "replicas: 3")

    assert found("deploy/shop.yaml", head, added=[6]) == []


def test_kustomize_patch_that_sets_only_the_image_is_not_judged() -> None:
    patch = code(
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: shop
        spec:
          template:
            spec:
              containers:
                - name: web
                  image: shop:1.5
        """
    )

    assert found("overlays/prod/deployment.yaml", patch) == []


def test_overlay_patch_without_the_base_probes_is_not_judged() -> None:
    # The probes live in the base; the overlay's patch adds a limit and repeats no probe.
    patch = code(
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: shop}
        spec:
          template:
            spec:
              containers:
                - name: web
                  resources:
                    limits: {memory: 1Gi}
        """
    )

    assert found("overlays/prod/memory.yaml", patch) == []
    assert found("overlays/prod/shop-patch.yaml", DEPLOYMENT) == []


def test_helm_template_is_noted_as_not_checked() -> None:
    template = DEPLOYMENT.replace(
        "shop:1.4", '"{{ .Values.image.repository }}:{{ .Chart.AppVersion }}"'
    )
    job = make_job("charts/shop/templates/deployment.yaml", template)

    scanned = scan_manifest(job, frozenset())

    assert scanned.findings == ()
    assert [s.reason for s in scanned.skipped] == [
        "a template (Helm or Go), not YAML until rendered: Kubernetes probe and limit checks "
        "did not run"
    ]


def test_template_outside_a_chart_that_is_not_yaml_is_noted_too() -> None:
    template = "{{- if .Values.enabled }}\n" + DEPLOYMENT + "{{- end }}\n"

    scanned = scan_manifest(make_job("deploy/shop.yaml", template), frozenset())

    assert [s.reason[:12] for s in scanned.skipped] == ["a template ("]


def test_braces_in_a_configmaps_text_leave_the_manifest_readable() -> None:
    alerts = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: alerts}\ndata:\n"
    alerts += "  rule: 'summary: {{ $labels.instance }} is down'\n---\n"

    assert found("deploy/all.yaml", alerts + DEPLOYMENT) == [
        ("k8s-no-limits", 20),
        ("k8s-no-probes", 20),
    ]


def test_container_with_a_placeholder_is_not_judged() -> None:
    templated = DEPLOYMENT.replace("shop:1.4", '"{{ .Values.image }}"')

    scanned = scan_manifest(make_job("deploy/shop.yaml", templated), frozenset())

    assert scanned == type(scanned)()


def test_yaml_that_is_not_a_workload_is_not_read() -> None:
    values = "image:\n  repository: shop\nresources:\n  limits: {memory: 1Gi}\n"

    scanned = scan_manifest(make_job("charts/shop/values.yaml", values), frozenset())

    assert scanned == type(scanned)()


def test_custom_resource_named_like_a_workload_kind_is_not_judged() -> None:
    rollout = DEPLOYMENT.replace("kind: Deployment", "kind: DeploymentConfig")

    assert found("deploy/shop.yaml", rollout) == []


def test_bare_pod_is_not_judged() -> None:
    pod = code(
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: debug}
        spec:
          containers:
            - name: shell
              image: busybox:1.36
              ports: [{containerPort: 8080}]
        """
    )

    assert found("deploy/debug.yaml", pod) == []


def test_worker_without_a_port_needs_a_limit_but_no_probe() -> None:
    worker = DEPLOYMENT.replace(
        "          ports:\n            - containerPort: 8080\n", "          args: [work]\n"
    )

    assert found("deploy/worker.yaml", worker) == [("k8s-no-limits", 14)]


def test_tests_docs_and_examples_are_not_scanned() -> None:
    assert found("examples/shop.yaml", DEPLOYMENT, production=False) == []


def test_disabled_rule_is_not_reported() -> None:
    job = make_job("deploy/shop.yaml", DEPLOYMENT)

    scanned = scan_manifest(job, frozenset({"k8s-no-probes"}))

    assert [f.rule for f in scanned.findings] == ["k8s-no-limits"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("kind: Deployment\nspec: [\n", "not YAML the reader accepts (line 3: YAML syntax error"),
        (
            "kind: Deployment\n" + "spec:\n  image: x\n" * 2,
            "not YAML the reader accepts (line 4: duplicate key",
        ),
    ],
)
def test_manifest_that_cannot_be_read_is_noted(text: str, reason: str) -> None:
    scanned = scan_manifest(make_job("deploy/shop.yaml", text), frozenset())

    assert scanned.findings == ()
    assert [s.reason[: len(reason)] for s in scanned.skipped] == [reason]


def test_billion_laughs_is_refused_by_the_readers_limits() -> None:
    lines = ["kind: Deployment", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    lines.append("image: x")

    scanned = scan_manifest(make_job("deploy/bomb.yaml", "\n".join(lines)), frozenset())

    assert scanned.findings == ()
    assert "aliases expand the document to more than 100,000 values" in scanned.skipped[0].reason


def test_file_without_its_text_says_the_checks_did_not_run() -> None:
    scanned = scan_manifest(make_job("deploy/shop.yaml", None), frozenset())

    assert [s.reason for s in scanned.skipped] == [
        "head text not available: Kubernetes probe and limit checks did not run"
    ]


# --- through the per-file scanner and what the adapters fetch -------------------------------


def test_scan_file_reports_them_as_pattern_findings() -> None:
    job = make_job("deploy/shop.yaml", DEPLOYMENT)

    assert [(f.rule, f.line) for f in scan_file(job, (), frozenset()).findings] == [
        ("k8s-no-limits", 14),
        ("k8s-no-probes", 14),
    ]


def test_texts_are_fetched_for_yaml_that_may_hold_a_new_container_only() -> None:
    from bot.config.load import load_repo_config

    ruleset = build_ruleset(load_repo_config(None, "built-ins"), load_builtins(), [])

    def changed(path: str, line: str) -> ChangedFile:
        return ChangedFile(
            path=path, status=FileStatus.MODIFIED, added_lines=(3,), added_text={3: line}
        )

    assert needs_text(changed("deploy/shop.yaml", "        image: shop:1.5"), ruleset)
    assert not needs_text(changed("deploy/shop.yaml", "  replicas: 3"), ruleset)
    assert not needs_text(changed("docs/shop.yaml", "        image: shop:1.5"), ruleset)
