"""Resolve built-ins and a validated repo config into the Ruleset the engine applies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from bot.config import CONFIG_PATH
from bot.config.checklists import ChecklistDef, ChecklistItemDef
from bot.config.codeowners import CodeOwnersFile, read_codeowners
from bot.config.detection import (
    AuthorSignature,
    BranchSignature,
    MarkerSignature,
    Signatures,
    TrailerSignature,
)
from bot.config.issues import ConfigError, ConfigIssue
from bot.config.load import load_model, load_repo_config
from bot.config.model import RepoConfig
from bot.config.reader import parse_document
from bot.engine.builtins import Builtins, load_builtins
from bot.engine.references import (
    checklist_issues,
    clashing_item_ids,
    known_pattern_ids,
    placed,
    unknown_ids,
)
from bot.engine.ruleset import Ruleset

_Sig = TypeVar("_Sig", TrailerSignature, AuthorSignature, BranchSignature, MarkerSignature)


def _named(items: Sequence[_Sig], prefix: str) -> list[_Sig]:
    """Give repo-defined signatures without an id a stable one (`repo-trailer-1`)."""
    return [
        item if item.id else item.model_copy(update={"id": f"{prefix}-{index}"})
        for index, item in enumerate(items, 1)
    ]


def _kept(items: Sequence[_Sig], disabled: set[str]) -> list[_Sig]:
    return [item for item in items if item.id not in disabled and item.tool not in disabled]


def _merge_signatures(builtin: Signatures, config: RepoConfig) -> Signatures:
    detect = config.detect
    disabled = set(detect.disable)
    base = builtin if detect.builtin else Signatures()
    # Repo tools come first so a repo can narrow or rename a built-in tool's match.
    return Signatures.model_construct(
        tools=[*detect.tools, *base.tools],
        trailers=_kept([*base.trailers, *_named(detect.trailers, "repo-trailer")], disabled),
        authors=_kept([*base.authors, *_named(detect.authors, "repo-author")], disabled),
        branches=_kept([*base.branches, *_named(detect.branches, "repo-branch")], disabled),
        markers=_kept([*base.markers, *_named(detect.markers, "repo-marker")], disabled),
    )


def _checklists(
    builtins: Builtins,
    config: RepoConfig,
    repo_checklists: Sequence[ChecklistDef],
    config_source: str,
) -> tuple[ChecklistDef, ...]:
    wanted = config.checklists.builtin
    chosen: dict[str, ChecklistDef] = {}
    for checklist in builtins.checklists:
        if wanted is True or (isinstance(wanted, list) and checklist.id in wanted):
            chosen[checklist.id] = checklist
    # A repo checklist with a built-in's id replaces it: that is how a team rewrites one.
    for checklist in [*repo_checklists, *config.checklists.extra]:
        chosen[checklist.id] = checklist

    issues: list[ConfigIssue] = []
    for index, extra in enumerate(config.checklists.items):
        target = chosen.get(extra.checklist)
        if target is None:
            issues.append(
                ConfigIssue(
                    line=None,
                    column=None,
                    path=f"checklists.items[{index}].checklist",
                    message=f"no checklist {extra.checklist!r} is enabled; "
                    f"known: {', '.join(sorted(chosen)) or 'none'}",
                )
            )
            continue
        item = extra.model_dump(exclude={"checklist"}, exclude_unset=True)
        merged = [*target.items, ChecklistItemDef.model_validate(item)]
        chosen[extra.checklist] = target.model_copy(update={"items": merged})
    patterns = known_pattern_ids(rule.id for rule in config.risk.patterns.rules)
    found = unknown_ids(config, [*builtins.checklists, *chosen.values()])
    for index, extra_list in enumerate(config.checklists.extra):
        found += checklist_issues(extra_list, "", ("checklists", "extra", index), patterns)
    for index, extra in enumerate(config.checklists.items):
        as_list = ChecklistDef(id=extra.checklist, title="-", items=[extra])
        found += [
            replace(unplaced, path=("checklists", "items", index, *unplaced.path[2:]))
            for unplaced in checklist_issues(as_list, "", (), patterns)
        ]
    issues += [unplaced.issue() for unplaced in found]
    issues += [
        ConfigIssue(None, None, "", clash) for clash in clashing_item_ids(list(chosen.values()))
    ]
    if issues:
        raise ConfigError(config_source, tuple(issues))

    disabled = set(config.checklists.disable)
    resolved: list[ChecklistDef] = []
    for checklist in chosen.values():
        if checklist.id in disabled:
            continue
        items = [item for item in checklist.items if item.id not in disabled]
        if items:
            resolved.append(checklist.model_copy(update={"items": items}))
    return tuple(resolved)


def build_ruleset(
    config: RepoConfig,
    builtins: Builtins,
    repo_checklists: Sequence[ChecklistDef] = (),
    config_source: str = CONFIG_PATH,
) -> Ruleset:
    """Merge built-ins with the repo's config; raise ConfigError for references to nothing."""
    risk = config.risk
    critical = (builtins.critical_paths if risk.builtin_critical_paths else ()) + tuple(
        risk.critical_paths
    )
    require = config.checklists.require
    non_production = risk.non_production
    return Ruleset(
        config=config,
        signatures=_merge_signatures(builtins.signatures, config),
        languages=builtins.languages,
        critical_paths=critical,
        test_globs=tuple(risk.tests.paths),
        non_production_globs=(builtins.non_production_globs if non_production.builtin else ())
        + tuple(non_production.paths),
        skip_globs=builtins.skip_globs + tuple(risk.limits.skip),
        pattern_rules=builtins.pattern_rules + tuple(risk.patterns.rules),
        disabled_patterns=frozenset(risk.patterns.disable),
        checklists=_checklists(builtins, config, repo_checklists, config_source),
        required_items=None if require == "all" else frozenset(require),
    )


def uses_codeowners(config: RepoConfig) -> bool:
    """Whether a critical path takes its owners from CODEOWNERS."""
    return any(area.from_codeowners for area in config.risk.critical_paths)


def load_checklist(text: str | bytes, source: str, patterns: frozenset[str]) -> ChecklistDef:
    """One checklist file, validated, its `when.patterns` naming rules that exist; raises
    ConfigError with each mistake's line."""
    checklist = load_model(text, source, ChecklistDef)
    found = checklist_issues(checklist, source, (), patterns)
    if found:
        document = parse_document(text, source)
        raise ConfigError(source, (placed(document, unplaced) for unplaced in found))
    return checklist


def repo_ruleset(
    config: RepoConfig,
    checklist_texts: Iterable[tuple[str, str]],
    codeowners: CodeOwnersFile | None = None,
    config_source: str = CONFIG_PATH,
) -> Ruleset:
    """The ruleset a repository reviews with: the built-ins, its validated config, its own
    checklist files, given as (path, text) from the base branch, and the base branch's
    CODEOWNERS (None: it has none), read only when a critical path takes its owners from it;
    raises ConfigError naming the file of any mistake. The App, `preview` and `analyze` all
    resolve through here."""
    patterns = known_pattern_ids(rule.id for rule in config.risk.patterns.rules)
    checklists = [load_checklist(text, path, patterns) for path, text in checklist_texts]
    ruleset = build_ruleset(config, load_builtins(), checklists, config_source)
    if not uses_codeowners(config):
        return ruleset
    return replace(ruleset, codeowners=read_codeowners(codeowners))


def _deep_merge(under: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(under)
    for key, value in over.items():
        below = merged.get(key)
        if isinstance(value, dict) and isinstance(below, dict):
            merged[key] = _deep_merge(below, value)
        else:
            merged[key] = value
    return merged


def effective_config(
    org_text: str | None, org_source: str, repo_text: str | None, repo_source: str
) -> RepoConfig:
    """The org-wide config with the repo's merged over it, key by key (lists are replaced).

    Each file is validated on its own first, so an error names the file and line it is on.
    """
    org = load_repo_config(org_text, org_source)
    repo = load_repo_config(repo_text, repo_source)
    if org_text is None:
        return repo
    merged = _deep_merge(
        org.model_dump(mode="json", exclude_unset=True),
        repo.model_dump(mode="json", exclude_unset=True),
    )
    return RepoConfig.model_validate(merged)
