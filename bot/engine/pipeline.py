"""The engine's one entry point: snapshot + ruleset in, Analysis out.

Per-file work goes through `map_files`, so a caller with several cores can pass a process
pool's map; the default runs in this process. The result is the same either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from bot.config.risk import ComplexityConfig, PatternRule
from bot.engine import signals
from bot.engine.carried import ChangeText
from bot.engine.change import Change
from bot.engine.checklist import ChangeFacts, select
from bot.engine.dependencies import dependency_report
from bot.engine.detect import Detector
from bot.engine.files import FileJob, FileReport, plan_jobs
from bot.engine.owners import owner_rules, touched_areas
from bot.engine.result import Analysis, ApprovalRequirement, Evidence, Skipped
from bot.engine.risk import Unmeasured, score_risk
from bot.engine.ruleset import Ruleset
from bot.engine.snapshot import Snapshot
from bot.engine.tooling import ChangeTool, ToolResults, run_tools, unpins

FileMapper = Callable[[Callable[[FileJob], FileReport], Iterable[FileJob]], Iterator[FileReport]]


@dataclass(frozen=True, slots=True)
class FileAnalyzer:
    """Per-file analysis with its settings; picklable, so it can run in worker processes."""

    complexity: ComplexityConfig
    rules: tuple[PatternRule, ...]
    disabled: frozenset[str]

    def __call__(self, job: FileJob) -> FileReport:
        # Imported here: a process that hands files to workers never pays for these imports.
        from bot.engine.carried import same_python_code
        from bot.engine.complexity import ComplexityScan, measure
        from bot.engine.patterns import scan_file

        # Prose, data and config files have no complexity to measure: not worth a "skipped" line;
        # tests, docs and examples have none worth a senior's time (a test's asserts are branches).
        if (job.language is not None and job.meter is None) or not job.production:
            measured = ComplexityScan((), None, None)
        else:
            measured = measure(job, self.complexity)
        scanned = scan_file(job, self.rules, self.disabled)
        same_code = (
            job.meter == "radon"
            and job.base_text is not None
            and job.head_text is not None
            and same_python_code(job.base_text, job.head_text)
        )
        return FileReport(
            path=job.path,
            functions=measured.functions,
            maintainability_drop=measured.maintainability_drop,
            findings=scanned.findings,
            unmeasured=measured.skipped,
            unscanned=scanned.skipped,
            same_code=same_code,
            hollow_lines=scanned.hollow,
        )


def file_analyzer(ruleset: Ruleset) -> FileAnalyzer:
    return FileAnalyzer(ruleset.complexity, ruleset.pattern_rules, ruleset.disabled_patterns)


def _with_tools(report: FileReport, found: ToolResults, change: Change) -> FileReport:
    """A file's report with what the tools found in it and what they could not check: only
    findings on lines the change wrote (not moved, reformatted or version-bumped, unless the
    bump dropped a commit pin)."""
    changed = change.file(report.path)
    written = change.text.written.get(report.path, frozenset())
    findings = [
        f
        for f in found.findings.get(report.path, [])
        if f.line is not None
        and (f.line in written or (changed is not None and unpins(changed, f.line)))
    ]
    skipped = found.skipped.get(report.path, [])
    if not findings and not skipped:
        return report
    # One finding per rule and line: a tool's is dropped where the file's scanners had it.
    merged = {(f.rule, f.line): f for f in report.findings}
    for finding in findings:
        merged.setdefault((finding.rule, finding.line), finding)
    return replace(
        report,
        findings=tuple(sorted(merged.values(), key=lambda f: (f.line or 0, f.rule or ""))),
        unscanned=(*report.unscanned, *skipped),
    )


def _split(
    snapshot: Snapshot,
    skipped: Sequence[Skipped],
    ruleset: Ruleset,
    reports: Sequence[FileReport],
) -> Change:
    left_out = {s.path for s in skipped}
    files = tuple(f for f in snapshot.files if f.path not in left_out)
    return Change(
        files=files,
        skipped=tuple(skipped),
        touched=snapshot.files,
        text=ChangeText.of(files, ruleset.languages.id_of, ruleset.is_production),
        same_code=frozenset(report.path for report in reports if report.same_code),
    )


def analyze(
    snapshot: Snapshot,
    ruleset: Ruleset,
    *,
    declared: Sequence[Evidence] = (),
    map_files: FileMapper = map,
    tools: Sequence[ChangeTool] = (),
) -> Analysis:
    """Detect AI assistance, score the risk and select the checklist for one change.

    `tools` run once each over the change's files they read (bot/engine/tooling.py); their
    findings join the `patterns` signal's. None by default: the engine starts no process.
    """
    config = ruleset.config
    ai = Detector(ruleset.signatures, config.detect.labels).detect(snapshot, declared)
    plan = plan_jobs(snapshot, ruleset)
    reports = list(map_files(file_analyzer(ruleset), plan.jobs))
    change = _split(snapshot, plan.skipped, ruleset, reports)
    if tools:
        found = run_tools(tools, plan.jobs, ruleset.disabled_patterns)
        reports = [_with_tools(report, found, change) for report in reports]
    areas = touched_areas(change, ruleset)
    findings = signals.measure(
        signals.SignalInputs(
            ai=ai,
            change=change,
            reports=tuple(reports),
            dependencies=dependency_report(
                snapshot.files, snapshot.base_texts, snapshot.head_texts
            ),
            ruleset=ruleset,
            areas=areas,
        )
    )
    notes = snapshot.truncation.notes(len(snapshot.commits), len(snapshot.files))
    files_unseen = snapshot.truncation.files_total is not None and (
        snapshot.truncation.files_total > len(snapshot.files)
    )
    risk = score_risk(
        findings,
        ruleset,
        notes,
        unmeasured=Unmeasured(tuple(plan.unmeasured), files_unseen),
    )
    facts = ChangeFacts(
        level=risk.level,
        signals=frozenset(s.id for s in risk.signals if s.score > 0),
        patterns=risk.signal("patterns").tags,
        paths=tuple(dict.fromkeys(p for f in snapshot.files for p in (f.path, f.old_path) if p)),
        languages=frozenset(
            lang.id for f in snapshot.files if (lang := ruleset.languages.of(f.path)) is not None
        ),
        ai=ai.assisted,
    )
    selection = select(
        ruleset.checklists, facts, config.checklists.max_items, ruleset.required_items
    )
    gated = ai.assisted or config.detect.gate_all
    required = config.approvals.required.for_level(risk.level) if gated else 0
    return Analysis(
        base_sha=snapshot.base_sha,
        head_sha=snapshot.head_sha,
        ai=ai,
        risk=risk,
        checklist=selection.checklists,
        checklist_omitted=selection.omitted,
        approvals=ApprovalRequirement(
            required, tuple(config.approvals.seniors), owner_rules(ruleset, areas)
        ),
        gated=gated,
    )
