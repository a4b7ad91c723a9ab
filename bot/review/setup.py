"""What an admin must fix for the gate to hold, and the notes the follow-up writes leave on the
check run: pure wording from what GitHub answered."""

from __future__ import annotations

from collections.abc import Sequence

from bot.github.meaning import CheckRequirement
from bot.render.escape import md_text, mention

SETTINGS_PATH = "Settings → Rules → Rulesets (or Branches)"


def requirement_note(requirement: CheckRequirement, check_name: str, branch: str) -> str | None:
    """A warning when `branch` does not require the check, so the gate blocks no merge; None
    when it does, or when GitHub would not say."""
    if not requirement.known or requirement.required:
        return None
    check, where = md_text(check_name), md_text(branch)
    if requirement.other_app:
        return (
            f"**Setup:** `{where}` requires a check named `{check}` from another App, not from "
            f"this one, so this check run satisfies nothing. In {SETTINGS_PATH}, set the "
            f"required check `{check}` to come from this App (or from any source)."
        )
    return (
        f"**Setup:** `{check}` is not a required check on `{where}` (neither its branch "
        f"protection nor a ruleset requires it), so this check blocks no merge. In "
        f"{SETTINGS_PATH}, require the status check `{check}` for `{where}`."
    )


def requests_note(asked: Sequence[str]) -> str | None:
    """Whom the head's review requests go to."""
    if not asked:
        return None
    return "Review requested from " + ", ".join(mention(ref) for ref in asked) + "."


def refused_note(refused: Sequence[tuple[str, str]]) -> str | None:
    """The review requests GitHub would not take, and why."""
    lines = [
        f"GitHub refused the review request for {mention(ref)}: {md_text(why)}"
        for ref, why in refused
    ]
    return " ".join(lines) or None


def labels_note(refused: Sequence[tuple[str, str]]) -> str | None:
    """Labels GitHub would not set or remove, and why (a missing permission, most often)."""
    if not refused:
        return None
    listed = "; ".join(f"`{md_text(name)}`: {md_text(why)}" for name, why in refused)
    return f"Labels not kept in step: {listed}"
