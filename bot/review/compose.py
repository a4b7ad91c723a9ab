"""What the App posts for one pull request, composed from what was gathered: pure functions.

The App (bot/app/service.py) and `ai-review-bot preview` (bot/preview.py) both call these, so
a preview shows what the App would post by construction: the same config resolution, the same
state adjustments, the same gate decision, the same check-run output and comment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from bot.config import CONFIG_PATH, globs
from bot.config.issues import ConfigError
from bot.config.model import RepoConfig
from bot.engine.detect import Detector
from bot.engine.policy import (
    Conclusion,
    Decision,
    PullRequestFacts,
    decide,
)
from bot.engine.pull_state import AISighting, PullState
from bot.engine.resolve import effective_config, repo_ruleset
from bot.engine.result import Analysis, Evidence
from bot.engine.reviews import ReviewState
from bot.engine.ruleset import Ruleset
from bot.github.context import PullRequestContext
from bot.github.gather import unseen_changes
from bot.github.meaning import WRITE_PERMISSIONS as WRITE
from bot.github.meaning import CheckRequirement
from bot.render.checkrun import CheckOutput, check_output, error_output, with_notes
from bot.render.escape import md_text
from bot.render.markdown import render_comment
from bot.render.posting import Posting
from bot.review import setup
from bot.review.labels import label_changes
from bot.review.requests import asked_at, review_requests

# A team membership the gate needs to know: (`@org/slug`, login).
Membership = tuple[str, str]


def rules(
    context: PullRequestContext, config_source: str = CONFIG_PATH
) -> tuple[RepoConfig, Ruleset]:
    """The gate's config (org defaults under the repo's, both from their base branches) and its
    ruleset; raises ConfigError, naming the repo's config `config_source` in its messages."""
    config = effective_config(
        context.org_config_text,
        f"{context.repo.owner}/.github:{CONFIG_PATH}",
        context.config_text,
        config_source,
    )
    return config, repo_ruleset(config, context.checklist_texts, context.codeowners, config_source)


def invalid_config(exc: ConfigError) -> Posting:
    """The failing check run for a config rejected whole."""
    output = error_output(
        f"Invalid {CONFIG_PATH}: {len(exc.issues)} error(s)",
        "The review config on the base branch is rejected whole; fix it there.\n\n"
        + "```\n"
        + exc.render()
        + "\n```",
    )
    return Posting("ai-review", Conclusion.FAILURE, output.title, output, None)


def declared_evidence(state: PullState) -> tuple[Evidence, ...]:
    """A declaration of AI use the bot recorded, as evidence for the engine."""
    declaration = state.declaration
    if declaration is None or declaration.tool is None:
        return ()
    return (Evidence("declared", declaration.tool, f"declared by @{declaration.by}"),)


def sighting_evidence(state: PullState) -> tuple[Evidence, ...]:
    """The first sighting of AI use, as evidence: a pull request once seen AI-assisted stays so
    until a senior declares otherwise, whatever its commits say after a force-push."""
    sighting = state.ai_seen
    if sighting is None or _declared_human(state):
        return ()
    return (
        Evidence(
            "declared",
            sighting.tool,
            f"seen AI-assisted at {sighting.head_sha[:10]} ({sighting.detail}); stays so "
            "until a senior declares otherwise",
        ),
    )


def _declared_human(state: PullState) -> bool:
    return state.declaration is not None and state.declaration.tool is None


def record_sighting(state: PullState, analysis: Analysis, head_sha: str) -> PullState:
    """Remember the first head seen AI-assisted (unless a senior's declaration says otherwise
    for this head)."""
    if state.ai_seen is not None or not analysis.ai.assisted or _declared_human(state):
        return state
    evidence = analysis.ai.evidence[0] if analysis.ai.evidence else None
    tool = evidence.tool if evidence is not None else "unspecified"
    detail = f"{evidence.signal}: {evidence.detail}" if evidence is not None else "detected"
    return replace(state, ai_seen=AISighting(head_sha, tool, detail[:200]))


def commits_since(context: PullRequestContext, head_sha: str) -> list[str] | None:
    """The commits pushed after `head_sha`, oldest first; None when it is not in the list (a
    force-push rewrote it, or the list is cut short)."""
    shas = [commit.sha for commit in context.snapshot.commits]
    if head_sha not in shas:
        return None
    return shas[shas.index(head_sha) + 1 :]


def end_on_push(
    state: PullState, context: PullRequestContext, clean_merges: frozenset[str]
) -> PullState:
    """A "not AI-assisted" declaration and an override cover the head they were made at: the
    next push that adds code ends them (an "Update branch" merge proven to bring only the
    base's changes does not)."""
    head = context.snapshot.head_sha

    def still_covers(made_at: str) -> bool:
        if made_at == head:
            return True
        since = commits_since(context, made_at)
        return since is not None and all(sha in clean_merges for sha in since)

    declaration, override = state.declaration, state.override
    if (
        declaration is not None
        and declaration.tool is None
        and not still_covers(declaration.head_sha)
    ):
        state = replace(state, declaration=None)
    if override is not None and not still_covers(override.head_sha):
        state = replace(state, override=None)
    return state


def stale_tick_heads(state: PullState, head_sha: str) -> list[str]:
    """The older heads checklist items were ticked at, each compared once with the head."""
    return sorted({sha for sha in state.ticked_at.values() if sha != head_sha})


def untick_after_push(
    state: PullState,
    ruleset: Ruleset,
    head_sha: str,
    changed_since: Mapping[str, Sequence[str] | None],
) -> PullState:
    """Untick items a push touched: a file their paths select, or any file for items that
    apply to the whole change. `changed_since` maps each older head to the files changed from
    it to the head (None: unknown, so everything ticked there is unticked)."""
    stale = {item: sha for item, sha in state.ticked_at.items() if sha != head_sha}
    unticked: list[str] = []
    for since in stale_tick_heads(state, head_sha):
        changed = changed_since.get(since)
        for item, sha in stale.items():
            if sha != since:
                continue
            selecting = _item_paths(ruleset, item)
            if changed is None or any(
                not selecting or globs.match_any(path, selecting) for path in changed
            ):
                unticked.append(item)
    return state.untick(*unticked) if unticked else state


def _item_paths(ruleset: Ruleset, item_id: str) -> tuple[str, ...]:
    """The path globs that alone select an item; () when it can apply to the whole change
    (some alternative of its `when` names no paths), so any changed file counts."""
    for checklist in ruleset.checklists:
        for item in checklist.items:
            if item.id != item_id:
                continue
            found: list[str] = []
            for clause in (checklist.when, item.when):
                whens = clause if isinstance(clause, list) else [clause] if clause else []
                if any(not when.paths for when in whens):
                    return ()
                found.extend(glob for when in whens for glob in when.paths)
            return tuple(found)
    return ()


@dataclass(frozen=True, slots=True)
class GitHubFacts:
    """What the App looked up on GitHub for the gate, beyond the pull request itself."""

    # login -> the senior and owner references (`@org/team`, `login`) each satisfies
    member_of: Mapping[str, frozenset[str]]
    # lowercased logins with write, maintain or admin permission (of `deciding_people`)
    write_access: frozenset[str] = frozenset()
    # merge commits proven to bring only the base branch's changes
    clean_merges: frozenset[str] = frozenset()
    # whether the base branch requires the check (None: the asker cannot tell)
    requirement: CheckRequirement | None = None


def writers(permissions: Mapping[str, str]) -> frozenset[str]:
    """The lowercased logins whose permission lets them write."""
    return frozenset(
        login.lower() for login, permission in permissions.items() if permission in WRITE
    )


def merges_checked_since(context: PullRequestContext, state: PullState) -> str | None:
    """The oldest head that something still depends on (an approval, a declaration, an
    override): "Update branch" merges pushed after it are checked for being clean."""
    shas = [commit.sha for commit in context.snapshot.commits]
    position = {sha: index for index, sha in enumerate(shas)}
    heads = {r.commit_id for r in context.reviews if r.state is ReviewState.APPROVED}
    heads |= {made.head_sha for made in (state.declaration, state.override) if made is not None}
    listed = [sha for sha in heads if sha in position and sha != context.snapshot.head_sha]
    return min(listed, key=position.__getitem__) if listed else None


def approval_refs(ruleset: Ruleset, analysis: Analysis) -> set[str]:
    """Every senior and owner reference (`@org/team`, `login`) the gate may ask about."""
    rules = analysis.approvals.owners
    return {*ruleset.approvals.seniors, *(o for rule in rules for o in rule.owners)}


def membership_questions(logins: Iterable[str], refs: Iterable[str]) -> list[Membership]:
    """The (team, login) memberships to look up, in a stable order."""
    teams = sorted(ref for ref in refs if ref.startswith("@"))
    return [(team, login) for login in sorted(logins) for team in teams]


def memberships(
    logins: Iterable[str], refs: Iterable[str], member: Mapping[Membership, bool]
) -> dict[str, frozenset[str]]:
    """login -> the senior and owner references (`@org/team`, `login`) each satisfies, given
    the answers to `membership_questions`."""
    refs = set(refs)
    found: dict[str, frozenset[str]] = {}
    for login in sorted(logins):
        member_of = {ref for ref in refs if ref.lower() == login.lower()}
        member_of |= {team for (team, who), yes in member.items() if who == login and yes}
        found[login.lower()] = frozenset(member_of)
    return found


def pull_request_facts(
    context: PullRequestContext,
    ruleset: Ruleset,
    analysis: Analysis,
    state: PullState,
    found: GitHubFacts,
) -> PullRequestFacts:
    """What the gate needs from the pull request besides the analysis."""
    return PullRequestFacts(
        author=context.snapshot.author or "",
        head_sha=context.snapshot.head_sha,
        base_branch=context.snapshot.base_branch,
        commits=context.snapshot.commits,
        reviews=context.reviews,
        memberships=found.member_of,
        owner_rules=analysis.approvals.owners,
        override=state.override,
        unticked_required=tuple(
            item.id
            for checklist in analysis.checklist
            for item in checklist.items
            if item.required and item.id not in state.ticks
        ),
        declared_human=(
            (state.declaration.by, state.declaration.reason)
            if state.declaration is not None and state.declaration.tool is None
            else None
        ),
        write_access=found.write_access,
        clean_merges=found.clean_merges,
        incomplete=context.incomplete + unseen_changes(context.snapshot),
        commits_total=context.snapshot.truncation.commits_total,
    )


def compose(
    context: PullRequestContext,
    config: RepoConfig,
    ruleset: Ruleset,
    analysis: Analysis,
    state: PullState,
    found: GitHubFacts,
    state_marker: str = "",
) -> Posting:
    """The check run and comment for the head: the gate's decision over the analysis, the
    reviews and the recorded `state` (after `end_on_push` and `untick_after_push`).
    `state_marker` is the comment's last line (`state_line`: the state, signed, for
    `preview`)."""
    facts = pull_request_facts(context, ruleset, analysis, state, found)
    decision = decide(analysis, config.approvals, facts)
    comment = None
    if analysis.ai.assisted or context.bot_comment is not None or _has_record(state):
        comment = render_comment(
            analysis,
            Detector(ruleset.signatures, ()).tool_name,
            ticked=dict(state.ticks),
            approvals_note=_approvals_note(decision),
            state_marker=state_marker,
        )
    head_sha, base = context.snapshot.head_sha, context.snapshot.base_branch
    asking = review_requests(config.approvals, decision, facts, state, context.repo.owner)
    warning = (
        None
        if found.requirement is None
        else setup.requirement_note(found.requirement, config.check.name, base)
    )
    asked = setup.requests_note(asked_at(state, head_sha, asking))
    output = with_notes(
        check_output(analysis, decision),
        before=[warning] if warning else [],
        after=[asked] if asked else [],
    )
    return Posting(
        check_name=config.check.name,
        conclusion=decision.conclusion,
        title=decision.title,
        output=output,
        comment=comment,
        decision=decision,
        review_requests=asking,
        labels=label_changes(
            config.labels, analysis, decision, state, context.snapshot.labels, head_sha
        ),
    )


def _has_record(state: PullState) -> bool:
    """Whether the pull request has a comment, or a decision to show in one."""
    return bool(state.comment_id is not None or state.declaration or state.override or state.ticks)


def _approvals_note(decision: Decision) -> str:
    """The gate's state in the comment; escaped, so updating the comment pings nobody."""
    lines = [f"**{md_text(decision.title)}**"]
    lines += [f"- {md_text(reason)}" for reason in decision.reasons]
    return "\n".join(lines)


_RESTRICTIVENESS = {
    Conclusion.SUCCESS: 0,
    Conclusion.NEUTRAL: 1,
    Conclusion.ACTION_REQUIRED: 2,
    Conclusion.FAILURE: 3,
}


def most_restrictive(own: Posting, others: Mapping[int, Posting]) -> Posting:
    """The check run of a head that several open pull requests share (check runs belong to a
    commit, not to a pull request): the most restrictive of their decisions, so a permissive
    base branch cannot turn the head green for a stricter one. `others` maps each other pull
    request's number to its posting; `own` keeps its comment."""
    if not others:
        return own
    strictest_number, strictest = max(
        others.items(), key=lambda pair: (_RESTRICTIVENESS[pair[1].conclusion], -pair[0])
    )
    if _RESTRICTIVENESS[strictest.conclusion] <= _RESTRICTIVENESS[own.conclusion]:
        chosen, title = own, own.title
    else:
        chosen = strictest
        title = f"#{strictest_number}: {strictest.title}"
    listing = "\n".join(
        f"- #{number}: {posting.conclusion.value}, {md_text(posting.title)}"
        for number, posting in sorted(others.items())
    )
    note = (
        "This commit is also the head of other open pull requests; its check shows the most "
        f"restrictive of their decisions:\n\n{listing}\n\n"
    )
    output = CheckOutput(
        title=title[:255],
        summary=note + chosen.output.summary,
        annotations=chosen.output.annotations,
        text=own.output.text,  # what this pull request's own writes met
    )
    return replace(own, conclusion=chosen.conclusion, title=title, output=output)
