"""Kubernetes workloads a change writes without health probes or a memory limit.

`k8s-no-probes`: a container of a long-running workload (Deployment, StatefulSet, DaemonSet,
ReplicaSet, ReplicationController) that declares a port it serves on and has no readiness,
liveness or startup probe: it gets traffic before it can serve, and stays in rotation when it
hangs. Jobs and CronJobs run to completion, and a container with no port (a worker, an agent,
a load generator) takes no Service's traffic: both are left out. `k8s-no-limits`: a container
of any of those workloads or a Job or CronJob with no `resources.limits.memory`: one leak takes
the node's memory from every pod on it. A bare Pod is not judged: nothing restarts or
reschedules it, so it is a one-off (a debug or demo pod, a volume test), never how a service
runs.

The file is read as YAML, every document of the stream, by the config reader
(bot/config/reader.py: the core schema only, its limits on size, values, aliases and nesting),
never matched line by line. What is reported, and what is not:
- only a container whose lines the change added to: it is reported at the first of them;
- only what the change made: a container the base version of the file already had, under the
  same workload name (of any kind: a ReplicationController made a Deployment) and container
  name, missing the same thing, is old and is left alone (an image bump of
  a legacy Deployment is not the place to ask for its probes);
- only complete objects: a Kustomize patch sets a few fields and inherits the rest from its
  base (no `spec.selector`, a container without `image`, a file named `*patch*`), so it is not
  judged on what it leaves out;
- not Helm or other templates (`{{ ... }}`): they are not YAML before rendering, and the values
  decide the probes and limits. A file of a chart's `templates/` folder, or one with `{{` that
  is not YAML, is noted as not checked; in a file that is YAML (a ConfigMap's alert text may
  hold `{{`), a container with a placeholder in it is not judged.
Production files only; `risk.patterns.disable` takes the two ids.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from bot.config import globs
from bot.config.issues import ConfigError, KeyPath
from bot.config.levels import Severity
from bot.config.reader import Document, parse_documents
from bot.config.regex import compile_pattern
from bot.engine.result import Location, Skipped

if TYPE_CHECKING:  # files.py asks `wants_text` which manifests to fetch
    from bot.engine.files import FileJob

NO_PROBES = "k8s-no-probes"
NO_LIMITS = "k8s-no-limits"
RULE_IDS = frozenset({NO_PROBES, NO_LIMITS})

# Where each kind keeps its pod spec, whether it runs until stopped, and a field every complete
# object of the kind has (a patch usually leaves it to its base).
_PodSpec = tuple[KeyPath, bool, KeyPath]
WORKLOADS: Mapping[str, _PodSpec] = MappingProxyType(
    {
        "Deployment": (("spec", "template", "spec"), True, ("spec", "selector")),
        "StatefulSet": (("spec", "template", "spec"), True, ("spec", "selector")),
        "DaemonSet": (("spec", "template", "spec"), True, ("spec", "selector")),
        "ReplicaSet": (("spec", "template", "spec"), True, ("spec", "selector")),
        "ReplicationController": (("spec", "template", "spec"), True, ("spec", "template")),
        "Job": (("spec", "template", "spec"), False, ("spec", "template")),
        "CronJob": (
            ("spec", "jobTemplate", "spec", "template", "spec"),
            False,
            ("spec", "schedule"),
        ),
    }
)
_PROBES = ("readinessProbe", "livenessProbe", "startupProbe")

# Cheap tests before the file is parsed: an added line that can belong to a container, and a
# workload kind somewhere in the text (RE2, case-insensitive).
_NEEDLE = (
    r"\b(image|containers|resources|limits|memory|readinessProbe|livenessProbe|startupProbe"
    r"|kind)\s*:"
)
_KIND = (
    r"\bkind:\s*[\"']?(Deployment|StatefulSet|DaemonSet|ReplicaSet|ReplicationController|Job"
    r"|CronJob)\b"
)
_CONTAINER = r"\b(containers|image)\s*:|" + _KIND
_TEMPLATE = "{{"
# A Helm chart's templates; elsewhere `{{` may sit in a string (an alert's or a dashboard's
# text in a ConfigMap), and the file is a template only when it is not YAML.
_HELM_TEMPLATES = ("**/templates/**",)
_TEMPLATE_NOTE = (
    "a template (Helm or Go), not YAML until rendered: Kubernetes probe and limit checks did "
    "not run"
)
# A Kubernetes name (RFC 1123): anything else is not echoed into the message.
_NAME = re.compile(r"[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?")


@dataclass(frozen=True, slots=True)
class ManifestRule:
    id: str
    severity: Severity
    cwe: int | None
    counted: bool
    message: str  # {container} and {workload} stand for the names


# Shown, not counted: under 80% precision on real manifests (docs/rules.md), most of whose
# findings were tutorials, demos, vendored upstream copies and installs that leave limits to
# whoever installs them, which no manifest shows.
RULES: Mapping[str, ManifestRule] = MappingProxyType(
    {
        NO_PROBES: ManifestRule(
            NO_PROBES,
            Severity.LOW,
            None,
            False,
            "{container} of {workload} has no readiness or liveness probe: Kubernetes sends it "
            "traffic before it can serve and keeps it in rotation when it hangs. Add a "
            "readinessProbe on what says it can serve and a livenessProbe that checks only "
            "the process.",
        ),
        NO_LIMITS: ManifestRule(
            NO_LIMITS,
            Severity.LOW,
            770,
            False,
            "{container} of {workload} sets no memory limit: one leak takes the node's memory "
            "from every pod on it. Set resources.requests and resources.limits.memory from its "
            "measured peak.",
        ),
    }
)


@dataclass(frozen=True, slots=True)
class ManifestScan:
    findings: tuple[Location, ...] = ()
    skipped: tuple[Skipped, ...] = ()


@dataclass(frozen=True, slots=True)
class _Missing:
    """A container missing what a rule asks for."""

    rule: str
    key: tuple[str, str]  # workload name, container name: the same across a change of kind
    kind: str
    lines: tuple[int, int]


def scan_manifest(job: FileJob, disabled: frozenset[str]) -> ManifestScan:
    """Findings of the two rules on the containers a change wrote in one YAML file
    (`disabled`: case-folded rule ids)."""
    rules = [rule for rule in (NO_PROBES, NO_LIMITS) if rule not in disabled]
    if not job.production or not rules:
        return ManifestScan()
    if not wants_text(job.language, job.added_text):
        return ManifestScan()
    if job.head_text is None:
        if compile_pattern(_CONTAINER).search("\n".join(job.added_text.values())) is None:
            return ManifestScan()
        reason = f"{job.no_text_reason}: Kubernetes probe and limit checks did not run"
        return ManifestScan(skipped=(Skipped(job.path, reason),))
    if compile_pattern(_KIND).search(job.head_text) is None or _is_patch(job.path):
        return ManifestScan()
    template = _TEMPLATE in job.head_text
    if template and globs.match_any(job.path, _HELM_TEMPLATES):
        return ManifestScan(skipped=(Skipped(job.path, _TEMPLATE_NOTE),))
    try:
        head = _missing(_read(job.head_text, job.path), rules)
    except ConfigError as exc:
        if template:
            return ManifestScan(skipped=(Skipped(job.path, _TEMPLATE_NOTE),))
        issue = exc.issues[0] if exc.issues else None
        where = f" (line {issue.line}: {issue.message})" if issue and issue.line else ""
        reason = f"not YAML the reader accepts{where}: Kubernetes checks did not run"
        return ManifestScan(skipped=(Skipped(job.path, reason[:300]),))
    old = _base_missing(job.base_text, job.path, rules) if head else set()
    added = sorted(job.added_lines or job.added_text)
    lines = job.head_text.split("\n")
    found = []
    for missing in head:
        if (missing.rule, missing.key) in old:
            continue
        first, last = missing.lines
        line = next((n for n in added if first <= n <= last), None)
        # A container that is partly a template's placeholder may get anything from its values.
        if line is not None and not any(_TEMPLATE in text for text in lines[first - 1 : last]):
            found.append(_location(job.path, missing, line, lines))
    found.sort(key=lambda f: (f.line or 0, f.rule or ""))
    return ManifestScan(findings=tuple(found))


def _is_patch(path: str) -> bool:
    return "patch" in posixpath.basename(path).lower()


def wants_text(language: str | None, added_text: Mapping[int, str]) -> bool:
    """Whether the change may have written a container in this file, so its texts are read."""
    if language != "yaml" or not added_text:
        return False
    return compile_pattern(_NEEDLE).search("\n".join(added_text.values())) is not None


def _base_missing(
    text: str | None, path: str, rules: list[str]
) -> set[tuple[str, tuple[str, str]]]:
    if text is None:
        return set()
    try:
        # Every object of the base counts, complete or not: an old manifest an edit completes
        # (apps/v1beta1 had no selector) still had what it lacked.
        return {(m.rule, m.key) for m in _missing(_read(text, path), rules, complete=False)}
    except ConfigError:
        return set()  # the base did not parse: nothing in it can be told old


def _read(text: str, path: str) -> tuple[Document, ...]:
    """The stream's documents; one the reader had to bend (a duplicate key, which Kubernetes
    refuses, or a merge key) is refused whole, as a config file is."""
    documents = parse_documents(text, path)
    issues = [issue for document in documents for issue in document.issues]
    if issues:
        raise ConfigError(path, issues)
    return documents


def _missing(
    documents: tuple[Document, ...], rules: list[str], *, complete: bool = True
) -> list[_Missing]:
    """What the containers of the documents' workloads lack (`complete`: of complete objects
    only, not patches)."""
    found = []
    for document in documents:
        for kind, name, spec_path, long_running in _workloads(document, complete):
            containers = _at(document.value, (*spec_path, "containers"))
            if not isinstance(containers, list):
                continue
            for index, container in enumerate(containers):
                # A container without an image is a patch of one (a Kustomize overlay's).
                if not isinstance(container, dict) or (complete and not container.get("image")):
                    continue
                lines = document.lines_of_value((*spec_path, "containers", index))
                if lines is None:
                    continue
                key = (name, str(container.get("name", index)))
                serves = bool(container.get("ports"))
                if NO_PROBES in rules and long_running and serves and not _has_probe(container):
                    found.append(_Missing(NO_PROBES, key, kind, lines))
                if NO_LIMITS in rules and _at(container, ("resources", "limits", "memory")) in (
                    None,
                    "",
                ):
                    found.append(_Missing(NO_LIMITS, key, kind, lines))
    return found


def _workloads(document: Document, complete: bool) -> Iterator[tuple[str, str, KeyPath, bool]]:
    """(kind, name, pod spec's key path, runs until stopped) of each complete workload object
    in a document, and in the `items` of a `kind: List`."""
    value = document.value
    objects: list[tuple[KeyPath, object]] = [((), value)]
    if isinstance(value, dict) and value.get("kind") == "List":
        items = value.get("items")
        if isinstance(items, list):
            objects = [(("items", index), item) for index, item in enumerate(items)]
    for prefix, item in objects:
        if not isinstance(item, dict) or not isinstance(item.get("apiVersion"), str):
            continue
        kind = item.get("kind")
        if not isinstance(kind, str) or kind not in WORKLOADS:
            continue
        spec_path, long_running, required = WORKLOADS[kind]
        if complete and _at(item, required) is None:
            continue
        name = _at(item, ("metadata", "name"))
        yield kind, name if isinstance(name, str) else "", (*prefix, *spec_path), long_running


def _has_probe(container: dict[str, object]) -> bool:
    return any(container.get(probe) not in (None, "") for probe in _PROBES)


def _at(value: object, path: KeyPath) -> object:
    for step in path:
        if isinstance(step, str) and isinstance(value, dict):
            value = value.get(step)
        elif isinstance(step, int) and isinstance(value, list) and step < len(value):
            value = value[step]
        else:
            return None
    return value


def _location(path: str, missing: _Missing, line: int, lines: list[str]) -> Location:
    rule = RULES[missing.rule]
    workload, container = missing.key
    kind = missing.kind
    first, last = missing.lines
    return Location(
        path=path,
        line=line,
        message=rule.message.format(
            container=_named("Container", container),
            workload=_named(kind, workload),
        ),
        rule=rule.id,
        severity=rule.severity,
        cwe=rule.cwe,
        counted=rule.counted,
        # The container as written: one moved from another file is not new.
        fingerprint="\n".join(lines[first - 1 : last]),
    )


def _named(what: str, name: str) -> str:
    return f"{what} `{name}`" if _NAME.fullmatch(name) else what
